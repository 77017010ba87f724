//go:build windows

package dialog

import (
	"context"
	"fmt"
	"strings"

	"golang.org/x/sys/windows"
)

// choose is the native dialog with a list field: a filter box over a list box of the
// rows (their cells joined by " · "); Enter or a double click picks the selected row. The
// answer is the row's index, as choose's callers expect.
func choose(ctx context.Context, l List) (string, bool, error) {
	rows := make([]string, len(l.Rows))
	for i, r := range l.Rows {
		rows[i] = strings.Join(r, " · ")
	}
	answers, ok, err := askForm(ctx, form{
		title: l.Title, prompt: l.Prompt, ok: l.OK,
		fields: []formField{{label: "Type to filter (" + strings.Join(l.Columns, " · ") + "):", choices: rows}},
	})
	if err != nil || !ok {
		return "", ok, err
	}
	return answers[0], true, nil
}

// Message box flags and answers (winuser.h).
const (
	mbOKCancel      = 0x00000001
	mbIconQuestion  = 0x00000020
	mbSetForeground = 0x00010000
	mbTopmost       = 0x00040000
)

// confirm is a MessageBoxW with OK and Cancel (its buttons can't be renamed, so the prompt
// says what OK does). The box can't be closed from outside: ctx is checked only after it.
func confirm(ctx context.Context, c Confirmation) (bool, error) {
	text, err := windows.UTF16PtrFromString(c.Prompt + "\n\nOK: " + c.OK)
	if err != nil {
		return false, fmt.Errorf("the message box failed: %w", err)
	}
	title, err := windows.UTF16PtrFromString(c.Title)
	if err != nil {
		return false, fmt.Errorf("the message box failed: %w", err)
	}
	ret, err := windows.MessageBox(0, text, title, mbOKCancel|mbIconQuestion|mbSetForeground|mbTopmost)
	if ret == 0 {
		return false, fmt.Errorf("the message box failed: %w", err)
	}
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	return ret == idOK, nil
}
