//go:build windows

package dialog

import (
	"context"
	"fmt"

	"golang.org/x/sys/windows"
)

// choose has no Windows list dialog yet: the tray says so in its menu, and the roles stay
// reachable through its submenus. (To do: a searchable list box, like ask's input box.)
func choose(context.Context, List) (string, bool, error) {
	return "", false, fmt.Errorf("%w: no list dialog on Windows yet", ErrUnavailable)
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
