//go:build windows

package dialog

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"golang.org/x/sys/windows"
)

// On Windows the dialog is a native Win32 dialog box made from an in-memory template
// (form.go), shown by DialogBoxIndirectParamW on a thread of its own: no PowerShell, no
// script, no temporary file, no second process. The answer never leaves this process.

var (
	user32                           = windows.NewLazySystemDLL("user32.dll")
	procDialogBoxIndirectParamW      = user32.NewProc("DialogBoxIndirectParamW")
	procEndDialog                    = user32.NewProc("EndDialog")
	procGetDlgItem                   = user32.NewProc("GetDlgItem")
	procSetFocus                     = user32.NewProc("SetFocus")
	procSendMessageW                 = user32.NewProc("SendMessageW")
	procPostMessageW                 = user32.NewProc("PostMessageW")
	procGetWindowTextLengthW         = user32.NewProc("GetWindowTextLengthW")
	procGetWindowTextW               = user32.NewProc("GetWindowTextW")
	procSetForegroundWindow          = user32.NewProc("SetForegroundWindow")
	procSetThreadDpiAwarenessContext = user32.NewProc("SetThreadDpiAwarenessContext") // Windows 10 1607+
)

const (
	wmInitDialog = 0x0110
	wmCommand    = 0x0111
	wmApp        = 0x8000
	wmEndNow     = wmApp + 1 // posted by the context watcher: close, the answer is no longer wanted
	emSetSel     = 0x00B1

	// resultEnded is the dialog's result when wmEndNow closed it.
	resultEnded = 3
)

// dpiAwarenessPerMonitorV2 is DPI_AWARENESS_CONTEXT_PER_MONITOR_AWARE_V2. The release
// exe's manifest asks for it already; setting it on the dialog's thread as well keeps a
// plain `go build` exe's dialog sharp on high-DPI screens, and lets Windows rescale it
// when it moves to another monitor.
const dpiAwarenessPerMonitorV2 = ^uintptr(3) // (DPI_AWARENESS_CONTEXT)-4

// available: the Win32 dialog needs only user32.
func available() error {
	if err := procDialogBoxIndirectParamW.Find(); err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	return nil
}

// askFields shows every field in one native dialog.
func askFields(ctx context.Context, title, prompt string, fields []Field) ([]string, bool, error) {
	f := form{title: title, prompt: prompt}
	for _, fl := range fields {
		f.fields = append(f.fields, formField{label: fl.Label, text: fl.Default})
	}
	return askForm(ctx, f)
}

func ask(ctx context.Context, q Question) (string, bool, error) {
	answers, ok, err := askForm(ctx, form{
		title: q.Title, prompt: q.Prompt,
		fields: []formField{{text: q.Default, secret: q.Secret}},
	})
	if !ok || err != nil {
		return "", ok, err
	}
	return answers[0], true, nil
}

// dialogState is one open dialog, shared between its thread, the dialog procedure and
// the goroutine that ends it with its context.
type dialogState struct {
	form form

	mu      sync.Mutex
	hwnd    uintptr // set by WM_INITDIALOG
	ended   bool    // the context ended: close at once
	answers []string
}

var (
	dialogsMu sync.Mutex
	nextID    uintptr
	pending   = map[uintptr]*dialogState{} // by the id passed to WM_INITDIALOG
	open      = map[uintptr]*dialogState{} // by window handle

	// dialogProc is the one DLGPROC of every dialog: callbacks made by
	// windows.NewCallback are never freed, so there is exactly one.
	dialogProcOnce sync.Once
	dialogProc     uintptr
)

// askForm shows f and waits for OK, Cancel or ctx's end. answers holds one string per
// field after OK.
func askForm(ctx context.Context, f form) (answers []string, ok bool, err error) {
	if err := procDialogBoxIndirectParamW.Find(); err != nil {
		return nil, false, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	dialogProcOnce.Do(func() { dialogProc = windows.NewCallback(dialogProcedure) })

	st := &dialogState{form: f}
	dialogsMu.Lock()
	nextID++
	id := nextID
	pending[id] = st
	dialogsMu.Unlock()
	defer func() {
		dialogsMu.Lock()
		delete(pending, id)
		dialogsMu.Unlock()
	}()

	stop := context.AfterFunc(ctx, func() {
		st.mu.Lock()
		defer st.mu.Unlock()
		st.ended = true
		if st.hwnd != 0 {
			procPostMessageW.Call(st.hwnd, wmEndNow, 0, 0)
		}
	})
	defer stop()

	result, callErr := showDialog(f.template(), id)
	if ctx.Err() != nil {
		return nil, false, ctx.Err()
	}
	return outcome(result, callErr, st)
}

// outcome sorts DialogBoxIndirectParamW's result: OK with the answers, a cancel, or a
// dialog that could not be shown (-1, or 0 for a bad owner), which is a failure the user
// must hear about, never a cancel.
func outcome(result uintptr, callErr error, st *dialogState) ([]string, bool, error) {
	switch result {
	case idOK:
		st.mu.Lock()
		defer st.mu.Unlock()
		return st.answers, true, nil
	case idCancel:
		return nil, false, nil
	}
	if callErr == nil || errors.Is(callErr, windows.ERROR_SUCCESS) {
		callErr = fmt.Errorf("DialogBoxIndirectParamW returned %d", int(result))
	}
	return nil, false, fmt.Errorf("the input dialog could not be shown: %w", callErr)
}

// showDialog runs the modal dialog on a locked OS thread (a window belongs to the
// thread that made it) and returns its result.
func showDialog(tmpl []uint16, id uintptr) (uintptr, error) {
	type outcome struct {
		result uintptr
		err    error
	}
	done := make(chan outcome, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if procSetThreadDpiAwarenessContext.Find() == nil {
			if old, _, _ := procSetThreadDpiAwarenessContext.Call(dpiAwarenessPerMonitorV2); old != 0 {
				defer procSetThreadDpiAwarenessContext.Call(old)
			}
		}
		var module windows.Handle
		_ = windows.GetModuleHandleEx(0, nil, &module)
		r, _, err := procDialogBoxIndirectParamW.Call(uintptr(module), uintptr(unsafe.Pointer(&tmpl[0])), 0, dialogProc, id)
		runtime.KeepAlive(tmpl)
		done <- outcome{r, err}
	}()
	o := <-done
	return o.result, o.err
}

// dialogProcedure is the DLGPROC: it fills in nothing the template already holds, puts
// the focus in the first field, and collects the answers on OK.
func dialogProcedure(hwnd, msg, wParam, lParam uintptr) uintptr {
	switch msg {
	case wmInitDialog:
		dialogsMu.Lock()
		st := pending[lParam]
		if st != nil {
			open[hwnd] = st
		}
		dialogsMu.Unlock()
		if st == nil {
			procEndDialog.Call(hwnd, idCancel)
			return 1
		}
		st.mu.Lock()
		st.hwnd = hwnd
		ended := st.ended
		st.mu.Unlock()
		if ended {
			procEndDialog.Call(hwnd, resultEnded)
			return 1
		}
		procSetForegroundWindow.Call(hwnd)
		for i, fld := range st.form.fields {
			if fld.choices != nil {
				fillList(hwnd, fld, i, fld.text)
			}
		}
		if len(st.form.fields) > 0 {
			edit, _, _ := procGetDlgItem.Call(hwnd, idFirstFld)
			procSetFocus.Call(edit)
			procSendMessageW.Call(edit, emSetSel, 0, ^uintptr(0)) // select the default: typing replaces it
			return 0                                              // we set the focus
		}
		return 1
	case wmCommand:
		st := openDialog(hwnd)
		id, code := wParam&0xFFFF, (wParam>>16)&0xFFFF
		if st != nil {
			for i, fld := range st.form.fields {
				switch {
				case fld.choices == nil:
				case id == uintptr(idFirstFld+i) && code == enChange: // the filter changed
					edit, _, _ := procGetDlgItem.Call(hwnd, id)
					fillList(hwnd, fld, i, windowText(edit))
					return 1
				case id == uintptr(listID(i)) && code == lbnDblClk: // a double click picks
					id = idOK
				}
			}
		}
		switch id {
		case idOK:
			if st != nil {
				answers := make([]string, len(st.form.fields))
				for i, fld := range st.form.fields {
					if fld.choices != nil {
						answers[i] = pickedChoice(hwnd, i)
						continue
					}
					edit, _, _ := procGetDlgItem.Call(hwnd, uintptr(idFirstFld+i))
					answers[i] = windowText(edit)
				}
				st.mu.Lock()
				st.answers = answers
				st.mu.Unlock()
			}
			closeDialog(hwnd, idOK)
			return 1
		case idCancel: // the Cancel button, Escape and the close box
			closeDialog(hwnd, idCancel)
			return 1
		}
	case wmEndNow:
		closeDialog(hwnd, resultEnded)
		return 1
	}
	return 0
}

// List box messages and notifications (winuser.h).
const (
	enChange       = 0x0300
	lbnDblClk      = 2
	lbAddString    = 0x0180
	lbResetContent = 0x0184
	lbSetCurSel    = 0x0186
	lbGetCurSel    = 0x0188
	lbGetItemData  = 0x0199
	lbSetItemData  = 0x019A
	lbErr          = ^uintptr(0)
)

// fillList shows the choices of field i that match filter, the first one selected (so
// Enter picks it); each row keeps its choice's index as its item data.
func fillList(hwnd uintptr, fld formField, i int, filter string) {
	list, _, _ := procGetDlgItem.Call(hwnd, uintptr(listID(i)))
	procSendMessageW.Call(list, lbResetContent, 0, 0)
	for _, c := range filterChoices(fld.choices, filter) {
		text, err := windows.UTF16PtrFromString(strings.ReplaceAll(fld.choices[c], "\x00", ""))
		if err != nil {
			continue
		}
		row, _, _ := procSendMessageW.Call(list, lbAddString, 0, uintptr(unsafe.Pointer(text)))
		if row != lbErr && row != lbErr-1 { // LB_ERR, LB_ERRSPACE
			procSendMessageW.Call(list, lbSetItemData, row, uintptr(c))
		}
	}
	procSendMessageW.Call(list, lbSetCurSel, 0, 0)
}

// pickedChoice is the index of the choice selected in field i's list, as text; "" when
// nothing is selected (a filter that matches nothing).
func pickedChoice(hwnd uintptr, i int) string {
	list, _, _ := procGetDlgItem.Call(hwnd, uintptr(listID(i)))
	row, _, _ := procSendMessageW.Call(list, lbGetCurSel, 0, 0)
	if row == lbErr {
		return ""
	}
	c, _, _ := procSendMessageW.Call(list, lbGetItemData, row, 0)
	if c == lbErr {
		return ""
	}
	return strconv.Itoa(int(c))
}

func openDialog(hwnd uintptr) *dialogState {
	dialogsMu.Lock()
	defer dialogsMu.Unlock()
	return open[hwnd]
}

func closeDialog(hwnd, result uintptr) {
	dialogsMu.Lock()
	delete(open, hwnd)
	dialogsMu.Unlock()
	procEndDialog.Call(hwnd, result)
}

// windowText is a control's text.
func windowText(hwnd uintptr) string {
	n, _, _ := procGetWindowTextLengthW.Call(hwnd)
	if n == 0 {
		return ""
	}
	buf := make([]uint16, n+1)
	got, _, _ := procGetWindowTextW.Call(hwnd, uintptr(unsafe.Pointer(&buf[0])), n+1)
	return windows.UTF16ToString(buf[:got])
}
