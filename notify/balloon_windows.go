//go:build windows

package notify

import (
	"errors"
	"fmt"
	"strings"
	"unsafe"

	"golang.org/x/sys/windows"
)

// The fallback when toasts can't be shown (no WinRT, as under Wine; a policy that turns
// them off): a balloon on pimtray's own tray icon, through Shell_NotifyIconW(NIM_MODIFY,
// NIF_INFO). Only the balloon fields change; the icon, its tooltip and its menu stay
// fyne.io/systray's. No second icon is added (beeep's fallback added one per notice).
//
// fyne.io/systray does not expose balloons, so this finds its icon the way the shell
// knows it: the hidden window of class "SystrayClass" that belongs to this process, icon
// id 100 (systray_windows.go, fyne.io/systray v1.12). Should a later systray change
// either, no window is found and Show reports the fallback as unavailable.

const (
	systrayWindowClass = "SystrayClass"
	systrayIconID      = 100

	nimModify = 0x00000001
	nifInfo   = 0x00000010
	niifInfo  = 0x00000001
)

var (
	shell32                      = windows.NewLazySystemDLL("shell32.dll")
	procShellNotifyIconW         = shell32.NewProc("Shell_NotifyIconW")
	user32                       = windows.NewLazySystemDLL("user32.dll")
	procFindWindowExW            = user32.NewProc("FindWindowExW")
	procGetWindowThreadProcessId = user32.NewProc("GetWindowThreadProcessId")
)

// notifyIconData is NOTIFYICONDATAW (shellapi.h), the Vista+ layout.
type notifyIconData struct {
	Size                       uint32
	Wnd                        windows.Handle
	ID, Flags, CallbackMessage uint32
	Icon                       windows.Handle
	Tip                        [128]uint16
	State, StateMask           uint32
	Info                       [256]uint16
	Timeout                    uint32 // a union with uVersion
	InfoTitle                  [64]uint16
	InfoFlags                  uint32
	GUIDItem                   windows.GUID
	BalloonIcon                windows.Handle
}

// errNoTrayIcon: the tray icon isn't there (yet), so there is nothing to put a balloon on.
var errNoTrayIcon = errors.New("pimtray's tray icon was not found")

// trayIconWindow is the systray's window in this process, or 0.
func trayIconWindow() windows.Handle {
	class, _ := windows.UTF16PtrFromString(systrayWindowClass)
	self := windows.GetCurrentProcessId()
	var after uintptr
	for {
		h, _, _ := procFindWindowExW.Call(0, after, uintptr(unsafe.Pointer(class)), 0)
		if h == 0 {
			return 0
		}
		var pid uint32
		procGetWindowThreadProcessId.Call(h, uintptr(unsafe.Pointer(&pid)))
		if pid == self {
			return windows.Handle(h)
		}
		after = h
	}
}

// showBalloon shows title and text as a balloon on pimtray's own tray icon.
func showBalloon(title, text string) error {
	wnd := trayIconWindow()
	if wnd == 0 {
		return errNoTrayIcon
	}
	nid := notifyIconData{Wnd: wnd, ID: systrayIconID, Flags: nifInfo, InfoFlags: niifInfo}
	nid.Size = uint32(unsafe.Sizeof(nid))
	copyUTF16(nid.InfoTitle[:], title)
	copyUTF16(nid.Info[:], text)
	if r, _, err := procShellNotifyIconW.Call(nimModify, uintptr(unsafe.Pointer(&nid))); r == 0 {
		return fmt.Errorf("Shell_NotifyIconW: %w", err)
	}
	return nil
}

// copyUTF16 puts s into dst as a NUL-terminated string, cut to fit (at a whole rune).
func copyUTF16(dst []uint16, s string) {
	u, _ := windows.UTF16FromString(strings.ReplaceAll(s, "\x00", ""))
	if len(u) > len(dst) {
		u = u[:len(dst)]
		if c := u[len(u)-2]; c >= 0xD800 && c < 0xDC00 { // don't leave half a surrogate pair
			u = u[:len(u)-1]
		}
		u[len(u)-1] = 0
	}
	copy(dst, u)
}
