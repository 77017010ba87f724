//go:build windows

package dialog

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// These tests open the real dialog and type into it with SendInput, as a user would.
// They need an interactive desktop, so they run only when PIMTRAY_DIALOG_DESKTOP=1:
// build/wine runs them under Wine (a Windows test binary in a Wine desktop on Xvfb);
// on a Windows machine, run them from a logged-in session.

func needDesktop(t *testing.T) {
	t.Helper()
	if os.Getenv("PIMTRAY_DIALOG_DESKTOP") != "1" {
		t.Skip("opens real windows: set PIMTRAY_DIALOG_DESKTOP=1 on an interactive desktop")
	}
}

var (
	procFindWindowW   = user32.NewProc("FindWindowW")
	procSendInput     = user32.NewProc("SendInput")
	procGetWindowLong = user32.NewProc("GetWindowLongW")
	procGetFocus      = user32.NewProc("GetForegroundWindow")
)

// keyInput is INPUT with a KEYBDINPUT (64-bit layout).
type keyInput struct {
	typ     uint32
	_       uint32
	vk      uint16
	scan    uint16
	flags   uint32
	time    uint32
	_       uint32
	extra   uintptr
	padding [8]byte
}

const (
	inputKeyboard  = 1
	keyUp          = 0x0002
	keyUnicode     = 0x0004
	vkReturn       = 0x0D
	vkEscape       = 0x1B
	vkTab          = 0x09
	gwlStyle       = ^uintptr(15) // -16
	waitForDialog  = 20 * time.Second
	answerDeadline = 20 * time.Second
)

func sendKeys(t *testing.T, in []keyInput) {
	t.Helper()
	if n, _, err := procSendInput.Call(uintptr(len(in)), uintptr(unsafe.Pointer(&in[0])), unsafe.Sizeof(in[0])); int(n) != len(in) {
		t.Fatalf("SendInput sent %d of %d: %v", n, len(in), err)
	}
}

func typeText(t *testing.T, s string) {
	t.Helper()
	var in []keyInput
	for _, c := range windows.StringToUTF16(s) {
		if c == 0 {
			break
		}
		in = append(in, keyInput{typ: inputKeyboard, scan: c, flags: keyUnicode},
			keyInput{typ: inputKeyboard, scan: c, flags: keyUnicode | keyUp})
	}
	sendKeys(t, in)
}

func pressKey(t *testing.T, vk uint16) {
	t.Helper()
	sendKeys(t, []keyInput{{typ: inputKeyboard, vk: vk}, {typ: inputKeyboard, vk: vk, flags: keyUp}})
}

// findDialog waits for the dialog titled title to be on screen.
func findDialog(t *testing.T, title string) uintptr {
	t.Helper()
	p, _ := windows.UTF16PtrFromString(title)
	deadline := time.Now().Add(waitForDialog)
	for time.Now().Before(deadline) {
		if h, _, _ := procFindWindowW.Call(0, uintptr(unsafe.Pointer(p))); h != 0 {
			time.Sleep(300 * time.Millisecond) // let it take the focus
			return h
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no window titled %q appeared", title)
	return 0
}

type answer struct {
	texts []string
	ok    bool
	err   error
}

func askAsync(ctx context.Context, f form) <-chan answer {
	ch := make(chan answer, 1)
	go func() {
		a, ok, err := askForm(ctx, f)
		ch <- answer{a, ok, err}
	}()
	return ch
}

func wait(t *testing.T, ch <-chan answer) answer {
	t.Helper()
	select {
	case a := <-ch:
		return a
	case <-time.After(answerDeadline):
		t.Fatal("the dialog did not close")
		return answer{}
	}
}

func TestDialogTypedAnswerAndEnter(t *testing.T) {
	needDesktop(t)
	ch := make(chan answer, 1)
	go func() {
		a, ok, err := Ask(context.Background(), Question{Title: "pimtray test: enter", Prompt: "Ticket?", Default: "INC-1"})
		ch <- answer{[]string{a}, ok, err}
	}()
	h := findDialog(t, "pimtray test: enter")
	if fg, _, _ := procGetFocus.Call(); fg != h {
		t.Errorf("the dialog is not the foreground window (%#x, dialog %#x)", fg, h)
	}
	typeText(t, "INC-42 é") // replaces the selected default
	pressKey(t, vkReturn)
	a := wait(t, ch)
	if a.err != nil || !a.ok || a.texts[0] != "INC-42 é" {
		t.Fatalf("Ask() = %q, %v, %v; want \"INC-42 é\", true, nil", a.texts, a.ok, a.err)
	}
}

func TestDialogEscapeCancels(t *testing.T) {
	needDesktop(t)
	ch := askAsync(context.Background(), form{title: "pimtray test: escape", prompt: "Why?", fields: []formField{{text: "x"}}})
	findDialog(t, "pimtray test: escape")
	pressKey(t, vkEscape)
	if a := wait(t, ch); a.ok || a.err != nil {
		t.Fatalf("Escape gave ok=%v err=%v, want a cancel", a.ok, a.err)
	}
}

func TestDialogSecretHidesTheText(t *testing.T) {
	needDesktop(t)
	ch := askAsync(context.Background(), form{title: "pimtray test: secret", prompt: "Password?", fields: []formField{{secret: true}}})
	h := findDialog(t, "pimtray test: secret")
	edit, _, _ := procGetDlgItem.Call(h, idFirstFld)
	if style, _, _ := procGetWindowLong.Call(edit, gwlStyle); style&esPassword == 0 {
		t.Errorf("the secret's edit box style %#x lacks ES_PASSWORD", style)
	}
	typeText(t, "hunter2")
	pressKey(t, vkReturn)
	if a := wait(t, ch); !a.ok || a.err != nil || a.texts[0] != "hunter2" {
		t.Fatalf("got %q ok=%v err=%v", a.texts, a.ok, a.err)
	}
}

func TestDialogFormTabsBetweenFields(t *testing.T) {
	needDesktop(t)
	ch := askAsync(context.Background(), form{title: "pimtray test: form", prompt: "Reason and ticket",
		fields: []formField{{label: "Justification"}, {label: "Ticket number"}}})
	findDialog(t, "pimtray test: form")
	typeText(t, "deploy")
	pressKey(t, vkTab)
	typeText(t, "CHG-7")
	pressKey(t, vkReturn)
	if a := wait(t, ch); !a.ok || a.err != nil || strings.Join(a.texts, "|") != "deploy|CHG-7" {
		t.Fatalf("got %q ok=%v err=%v", a.texts, a.ok, a.err)
	}
}

func TestDialogEndsWithItsContext(t *testing.T) {
	needDesktop(t)
	ctx, cancel := context.WithCancel(context.Background())
	ch := askAsync(ctx, form{title: "pimtray test: context", prompt: "Why?", fields: []formField{{}}})
	findDialog(t, "pimtray test: context")
	cancel()
	a := wait(t, ch)
	if a.ok || !errors.Is(a.err, context.Canceled) {
		t.Fatalf("got ok=%v err=%v, want the context's error", a.ok, a.err)
	}
	p, _ := windows.UTF16PtrFromString("pimtray test: context")
	if h, _, _ := procFindWindowW.Call(0, uintptr(unsafe.Pointer(p))); h != 0 {
		t.Fatal("the dialog is still on screen after its context ended")
	}
}

// A dialog Windows refuses to create is an error, never a cancel.
func TestDialogThatCannotBeShownIsAnError(t *testing.T) {
	needDesktop(t)
	tmpl := form{title: "pimtray test: broken", fields: []formField{{}}}.template()
	// Point the edit box at a window class that does not exist.
	for i := 0; i+1 < len(tmpl); i++ {
		if tmpl[i] == 0xFFFF && tmpl[i+1] == classEdit {
			tmpl[i+1] = 0x0099
		}
	}
	res, err := showDialog(tmpl, 0)
	_, ok, err := outcome(res, err, nil)
	if ok || err == nil || !strings.Contains(err.Error(), "could not be shown") {
		t.Fatalf("a dialog that could not be created gave ok=%v err=%v", ok, err)
	}
}

func chooseAsync(l List) <-chan answer {
	ch := make(chan answer, 1)
	go func() {
		i, ok, err := Choose(context.Background(), l)
		ch <- answer{[]string{fmt.Sprint(i)}, ok, err}
	}()
	return ch
}

var roles = List{Prompt: "Pick a role to activate.", OK: "Activate", Columns: []string{"Role", "Scope"},
	Rows: [][]string{{"Owner", "IT"}, {"Contributor", "rg-web"}, {"AKS Contributor", "MySubscription"}, {"Reader", "Prod"}}}

// Typing filters the list; Enter picks the first row left.
func TestDialogChooseFiltersAndPicks(t *testing.T) {
	needDesktop(t)
	l := roles
	l.Title = "pimtray test: choose"
	ch := chooseAsync(l)
	h := findDialog(t, l.Title)
	typeText(t, "contrib web")
	time.Sleep(300 * time.Millisecond)
	list, _, _ := procGetDlgItem.Call(h, uintptr(listID(0)))
	if n, _, _ := procSendMessageW.Call(list, 0x018B /* LB_GETCOUNT */, 0, 0); n != 1 {
		t.Errorf("the filter left %d rows, want 1 (Contributor · rg-web)", n)
	}
	pressKey(t, vkReturn)
	if a := wait(t, ch); !a.ok || a.err != nil || a.texts[0] != "1" {
		t.Fatalf("Choose() = %v, %v, %v; want row 1", a.texts, a.ok, a.err)
	}
}

// A filter that matches nothing leaves nothing to pick: OK is not a pick.
func TestDialogChooseNothingMatching(t *testing.T) {
	needDesktop(t)
	l := roles
	l.Title = "pimtray test: choose none"
	ch := chooseAsync(l)
	findDialog(t, l.Title)
	typeText(t, "no such role")
	pressKey(t, vkReturn)
	if a := wait(t, ch); a.ok || a.err != nil {
		t.Fatalf("Choose() = %v, %v, %v; want nothing picked", a.texts, a.ok, a.err)
	}
}
