// Package dialog asks the user one question with the desktop's own input dialog:
// zenity (or kdialog) on Linux and other Unix desktops, osascript's "display dialog" on
// macOS, a native Win32 dialog box on Windows (form.go, dialog_windows.go).
//
// Ask blocks only its caller (the core calls it from a goroutine; the tray menu keeps
// working). On Unix and macOS the dialog is a separate process and the answer travels
// over its standard output, never on a command line; on Windows it is a window of
// pimtray's own, on a thread of its own. A secret question hides what is typed and never
// puts its default on a command line either.
//
// A cancel (Cancel, Escape, the close box) is ok == false with no error; a dialog that
// could not be shown at all is an error, so the user hears why nothing happened.
package dialog

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// Question is what to ask.
type Question struct {
	Title   string // the window title; default "pimtray"
	Prompt  string // the question, one or two sentences
	Default string // pre-filled answer
	Secret  bool   // hide what is typed
}

// ErrUnavailable means this desktop has no dialog tool pimtray can use; errors.Is
// matches the error Ask returns in that case.
// A constant: no caller can reassign it.
const ErrUnavailable = sentinel("no input dialog available")

// Ask shows q and waits for the answer. ok is false when the user cancelled or closed
// the dialog, or when ctx ended first (then err is ctx's error). err is non-nil when no
// dialog could be shown at all; it then says what to install.
func Ask(ctx context.Context, q Question) (answer string, ok bool, err error) {
	if q.Title == "" {
		q.Title = "pimtray"
	}
	if q.Secret {
		q.Default = ""
	}
	return ask(ctx, q)
}

// Field is one entry of a form.
type Field struct {
	Label   string // "Justification", "Ticket number"
	Default string // the saved answer: shown, and kept when the entry is left empty
}

// AskForm shows several entries in one dialog (zenity --forms) and returns one answer per
// field, in order: an entry left empty gives the field's Default. ok is false when the user
// cancelled. Where the desktop has no form dialog (kdialog, macOS), the fields are asked one
// after the other; cancelling any of them cancels the whole form.
func AskForm(ctx context.Context, title, prompt string, fields []Field) (answers []string, ok bool, err error) {
	if title == "" {
		title = "pimtray"
	}
	answers, ok, err = askFields(ctx, title, prompt, fields)
	if err != nil || !ok {
		return nil, ok, err
	}
	for i, f := range fields {
		if strings.TrimSpace(answers[i]) == "" {
			answers[i] = f.Default
		}
	}
	return answers, true, nil
}

// askEach is a form as one Ask per field, for dialogs without forms.
func askEach(ctx context.Context, title, prompt string, fields []Field) ([]string, bool, error) {
	out := make([]string, len(fields))
	for i, f := range fields {
		a, ok, err := ask(ctx, Question{Title: title, Prompt: prompt + "\n\n" + f.Label + ":", Default: f.Default})
		if err != nil || !ok {
			return nil, ok, err
		}
		out[i] = a
	}
	return out, true, nil
}

// formLabel is a field's label with its saved answer, for dialogs whose form entries
// can't be pre-filled (zenity's): "Justification (empty keeps: patch night)".
func formLabel(f Field) string {
	if f.Default == "" {
		return f.Label
	}
	return f.Label + " (empty keeps: " + f.Default + ")"
}

// Available reports whether a dialog could be shown now (a display and a dialog program),
// without showing one; the error says what is missing and wraps ErrUnavailable.
func Available() error { return available() }

// exitCode is the dialog process's exit status, or -1 when it didn't run or was killed.
func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}

// runDialog runs one dialog process and sorts its outcome: exit 0 is an answer (the
// last line break trimmed), what cancelled recognises is a cancel, anything else an error.
func runDialog(ctx context.Context, cmd *exec.Cmd, tool string, cancelled func(code int, stderr string) bool) (string, bool, error) {
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// A dialog killed on ctx's end may leave children holding its output open: don't wait for them.
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	if ctx.Err() != nil {
		return "", false, ctx.Err()
	}
	switch code := exitCode(err); {
	case err == nil:
		return strings.TrimRight(stdout.String(), "\r\n"), true, nil
	case code >= 0 && cancelled(code, stderr.String()):
		return "", false, nil
	default:
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return "", false, fmt.Errorf("the %s dialog failed: %s", tool, firstLine(msg))
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// sentinel is the type of dialog's error constants.
type sentinel string

func (e sentinel) Error() string { return string(e) }
