package console

import (
	"os"

	"golang.org/x/sys/windows"
)

var (
	kernel32          = windows.NewLazySystemDLL("kernel32.dll")
	procAttachConsole = kernel32.NewProc("AttachConsole")
)

// attachParentProcess is ATTACH_PARENT_PROCESS, (DWORD)-1.
const attachParentProcess = ^uint32(0)

// AttachParentConsole attaches to the console of the process that started this one (cmd.exe,
// PowerShell, Windows Terminal) and points os.Stdout, os.Stderr and os.Stdin at it, so a
// GUI-subsystem pimtray prints its CLI output there. Streams the parent already redirected
// (to a file or pipe) are kept as they are. It reports whether a console was attached; started
// from Explorer or at login there is none, and nothing changes.
//
// The shell does not wait for a GUI program, so its prompt may come back before the output.
func AttachParentConsole() bool {
	r, _, _ := procAttachConsole.Call(uintptr(attachParentProcess))
	if r == 0 {
		return false
	}
	reopen := func(std uint32, label, device string, access uint32, f **os.File) {
		h, err := windows.GetStdHandle(std)
		if err == nil && h != 0 && h != windows.InvalidHandle {
			if t, err := windows.GetFileType(h); err == nil && t != windows.FILE_TYPE_UNKNOWN {
				// Redirected by the parent (a file or pipe), or already the console: use it.
				if *f == nil || (*f).Fd() != uintptr(h) {
					*f = os.NewFile(uintptr(h), label)
				}
				return
			}
		}
		p, err := windows.UTF16PtrFromString(device)
		if err != nil {
			return
		}
		h, err = windows.CreateFile(p, access, windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE, nil, windows.OPEN_EXISTING, 0, 0)
		if err != nil {
			return
		}
		_ = windows.SetStdHandle(std, h)
		*f = os.NewFile(uintptr(h), label)
	}
	rw := uint32(windows.GENERIC_READ | windows.GENERIC_WRITE)
	reopen(windows.STD_OUTPUT_HANDLE, "/dev/stdout", "CONOUT$", rw, &os.Stdout)
	reopen(windows.STD_ERROR_HANDLE, "/dev/stderr", "CONOUT$", rw, &os.Stderr)
	reopen(windows.STD_INPUT_HANDLE, "/dev/stdin", "CONIN$", rw, &os.Stdin)
	return true
}
