//go:build windows

package opener

import (
	"errors"
	"fmt"

	"golang.org/x/sys/windows"
)

// platformWays: the file type's "edit" verb (the user's editor for it, through the shell),
// Notepad when the type has none (a stock Windows has no program at all for .json), then
// the file selected in Explorer. (Explorer exits 1 even when it worked, so it is started,
// not waited for.)
func platformWays(path string) []way {
	return []way{
		{name: `the "edit" verb`, do: shellEdit},
		{name: "notepad.exe", args: []string{path}},
		{name: "explorer.exe", args: []string{"/select," + path}},
	}
}

// seErrNoAssoc is SE_ERR_NOASSOC, ShellExecute's "no program for this verb".
const seErrNoAssoc = 31

// shellEdit is ShellExecuteW(NULL, "edit", path, …): it fails (SE_ERR_NOASSOC) when the
// file's type has no edit verb.
func shellEdit(path string) error {
	verb, _ := windows.UTF16PtrFromString("edit")
	file, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return err
	}
	err = windows.ShellExecute(0, verb, file, nil, nil, windows.SW_SHOWNORMAL)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, windows.ERROR_NO_ASSOCIATION), errors.Is(err, windows.Errno(seErrNoAssoc)):
		return errors.New("no editor is registered for this file type")
	default:
		return fmt.Errorf("ShellExecute: %w", err)
	}
}
