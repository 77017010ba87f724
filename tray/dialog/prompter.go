package dialog

import (
	"context"

	"github.com/pimtray/pimtray/internal/engine"
)

// Prompter asks the engine's questions (a missing justification or ticket number) with
// Ask; it implements engine.Prompter. The engine calls it from a goroutine of its own,
// so the tray menu stays responsive while the dialog is open.
type Prompter struct{}

var _ engine.Prompter = Prompter{}

// Ask shows q.Title and q.Text in a native input dialog; ok is false when the user cancels.
func (Prompter) Ask(ctx context.Context, q engine.Question) (answer string, ok bool, err error) {
	return Ask(ctx, Question{Title: q.Title, Prompt: q.Text})
}
