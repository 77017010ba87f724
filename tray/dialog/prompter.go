package dialog

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/pimtray/pimtray/internal/engine"
)

// Prompter asks the engine's questions (a missing justification or ticket number) with
// Ask, and a role's two questions in one form with AskForm; it implements engine.Prompter,
// engine.FormPrompter and engine.PromptChecker. The engine calls it from a goroutine of its
// own, so the tray menu stays responsive while the dialog is open.
type Prompter struct{}

var (
	_ engine.Prompter      = Prompter{}
	_ engine.FormPrompter  = Prompter{}
	_ engine.PromptChecker = Prompter{}
)

// Ask shows q.Title and q.Text in a native input dialog, q.Default pre-filled; ok is false
// when the user cancels.
func (Prompter) Ask(ctx context.Context, q engine.Question) (answer string, ok bool, err error) {
	answer, ok, err = Ask(ctx, Question{Title: q.Title, Prompt: q.Text, Default: q.Default})
	return answer, ok, engineError(err)
}

// AskForm shows every question of f in one dialog.
func (Prompter) AskForm(ctx context.Context, f engine.Form) ([]string, bool, error) {
	fields := make([]Field, len(f.Questions))
	for i, q := range f.Questions {
		fields[i] = Field{Label: q.Label, Default: q.Default}
	}
	answers, ok, err := AskForm(ctx, f.Title, f.Text, fields)
	return answers, ok, engineError(err)
}

// CanPrompt reports whether a dialog could be shown now.
func (Prompter) CanPrompt() error { return engineError(Available()) }

// engineError marks "no dialog at all" for the engine (engine.ErrNoDialog), which then
// says how to activate without one.
func engineError(err error) error {
	if err != nil && errors.Is(err, ErrUnavailable) {
		return fmt.Errorf("%w%s", engine.ErrNoDialog, strings.TrimPrefix(err.Error(), ErrUnavailable.Error()))
	}
	return err
}
