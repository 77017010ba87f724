package dialog

import (
	"strings"
	"unicode/utf16"
)

// This file lays out the Windows input dialog as an in-memory dialog template
// (DLGTEMPLATE, https://learn.microsoft.com/windows/win32/dlgbox/about-dialog-boxes#templates-in-memory).
// It is plain Go with no system calls, so its tests run on every platform; only
// dialog_windows.go hands the template to DialogBoxIndirectParamW.
//
// A form is a prompt and a list of fields, each a label and an edit box: one field is
// Ask's input box, two are a form that asks for several answers at once. The dialog
// manager then does what a native dialog does: Tab moves between the fields, Enter is
// OK (the default button), Escape and the close box are Cancel, and the layout, in
// dialog units, scales with the font and the monitor's DPI.

// form is one dialog: a title, a prompt and its fields.
type form struct {
	title  string
	prompt string
	ok     string // the OK button's label; "" is "OK"
	fields []formField
}

// formField is one answer the form asks for: an edit box, or, with choices, an edit box
// that filters the list box below it (the answer is then the picked choice's index).
type formField struct {
	label   string // shown above the edit box; "" for none (the prompt says it all)
	text    string // pre-filled answer (the filter, for a list)
	secret  bool   // hide what is typed (ES_PASSWORD)
	choices []string
}

// listID is the control id of field i's list box.
func listID(i int) uint16 { return uint16(idFirstList + i) }

// width is the dialog's width in dialog units: wider for a list of roles.
func (f form) width() int16 {
	for _, fld := range f.fields {
		if fld.choices != nil {
			return dluWideWidth
		}
	}
	return dluWidth
}

// Window styles and control classes of the template (winuser.h).
const (
	wsPopup     = 0x80000000
	wsChild     = 0x40000000
	wsVisible   = 0x10000000
	wsCaption   = 0x00C00000
	wsBorder    = 0x00800000
	wsSysMenu   = 0x00080000
	wsTabStop   = 0x00010000
	wsGroup     = 0x00020000
	wsExTopmost = 0x00000008

	dsSetFont    = 0x0040
	dsModalFrame = 0x0080
	dsFixedSys   = 0x0008
	dsCenter     = 0x0800
	dsShellFont  = dsSetFont | dsFixedSys

	esAutoHScroll = 0x0080
	esPassword    = 0x0020

	bsPushButton    = 0x0000
	bsDefPushButton = 0x0001

	ssLeft        = 0x0000
	ssNoPrefix    = 0x0080
	ssEditControl = 0x2000 // wrap lines the way an edit control does (long role names)

	classButton  = 0x0080
	classEdit    = 0x0081
	classStatic  = 0x0082
	classListBox = 0x0083

	lbsNotify           = 0x0001
	lbsNoIntegralHeight = 0x0100
	wsVScroll           = 0x00200000

	idOK        = 1
	idCancel    = 2
	idStatic    = 0xFFFF // IDC_STATIC (-1)
	idFirstFld  = 100    // the edit box of field i is idFirstFld+i
	idFirstList = 200    // the list box of field i is idFirstList+i
)

// Layout, in dialog units (a quarter of the font's average character width across, an
// eighth of its height down).
const (
	dluMargin     = 7
	dluWidth      = 260 // the client area's width
	dluWideWidth  = 340 // with a list
	dluList       = 132 // a list box: about 16 rows
	dluLine       = 8   // one line of text
	dluEdit       = 14
	dluButtonW    = 50
	dluButtonH    = 14
	dluGap        = 4
	charsPerLine  = 52 // what surely fits on a line of the prompt's width
	maxPromptLine = 8
)

// fontName and fontSize are the dialog's font: Windows' own message font since Vista.
const (
	fontName = "Segoe UI"
	fontSize = 9
)

// promptLines estimates how many lines the prompt wraps to at the dialog's width.
func promptLines(s string) int {
	n := 0
	for _, para := range strings.Split(s, "\n") {
		runes := len([]rune(para))
		n += max(1, (runes+charsPerLine-1)/charsPerLine)
	}
	return min(max(n, 1), maxPromptLine)
}

// dlgItem is one control of the template.
type dlgItem struct {
	style, exStyle uint32
	x, y, cx, cy   int16
	id             uint16
	class          uint16
	text           string
}

// layout places the form's controls and returns them with the client area's height.
func (f form) layout() ([]dlgItem, int16) {
	width := f.width()
	w := width - 2*dluMargin
	y := int16(dluMargin)
	var items []dlgItem
	if f.prompt != "" {
		h := int16(promptLines(f.prompt) * dluLine)
		items = append(items, dlgItem{
			style: wsChild | wsVisible | ssLeft | ssNoPrefix | ssEditControl,
			x:     dluMargin, y: y, cx: w, cy: h, id: idStatic, class: classStatic, text: f.prompt,
		})
		y += h + dluGap + 2
	}
	for i, fld := range f.fields {
		if fld.label != "" {
			items = append(items, dlgItem{
				style: wsChild | wsVisible | ssLeft | ssNoPrefix,
				x:     dluMargin, y: y, cx: w, cy: dluLine, id: idStatic, class: classStatic, text: fld.label,
			})
			y += dluLine + 2
		}
		style := uint32(wsChild | wsVisible | wsTabStop | wsBorder | esAutoHScroll)
		if i == 0 {
			style |= wsGroup
		}
		if fld.secret {
			style |= esPassword
		}
		items = append(items, dlgItem{
			style: style, // WS_BORDER: the dialog manager draws it as a sunken edge (DS_3DLOOK)
			x:     dluMargin, y: y, cx: w, cy: dluEdit, id: uint16(idFirstFld + i), class: classEdit, text: fld.text,
		})
		y += dluEdit + dluGap + 2
		if fld.choices != nil {
			items = append(items, dlgItem{
				style: wsChild | wsVisible | wsTabStop | wsBorder | wsVScroll | lbsNotify | lbsNoIntegralHeight,
				x:     dluMargin, y: y, cx: w, cy: dluList, id: listID(i), class: classListBox,
			})
			y += dluList + dluGap + 2
		}
	}
	y += dluGap
	okLabel := f.ok
	if okLabel == "" {
		okLabel = "OK"
	}
	cancelX := width - dluMargin - dluButtonW
	okX := cancelX - dluGap - dluButtonW
	items = append(items,
		dlgItem{style: wsChild | wsVisible | wsTabStop | wsGroup | bsDefPushButton,
			x: okX, y: y, cx: dluButtonW, cy: dluButtonH, id: idOK, class: classButton, text: okLabel},
		dlgItem{style: wsChild | wsVisible | wsTabStop | bsPushButton,
			x: cancelX, y: y, cx: dluButtonW, cy: dluButtonH, id: idCancel, class: classButton, text: "Cancel"},
	)
	return items, y + dluButtonH + dluMargin
}

// template is the form as a DLGTEMPLATE with its DLGITEMTEMPLATEs, in 16-bit words
// (DWORD fields little-endian as two words). Every item starts on a DWORD boundary.
func (f form) template() []uint16 {
	items, height := f.layout()
	var t tmplWriter
	t.dword(wsPopup | wsCaption | wsSysMenu | dsModalFrame | dsShellFont | dsCenter)
	t.dword(wsExTopmost)
	t.word(uint16(len(items)))
	t.word(0) // x, y: DS_CENTER places it
	t.word(0)
	t.word(uint16(f.width()))
	t.word(uint16(height))
	t.word(0) // no menu
	t.word(0) // the standard dialog class
	t.str(f.title)
	t.word(fontSize)
	t.str(fontName)
	for _, it := range items {
		t.align()
		t.dword(it.style)
		t.dword(it.exStyle)
		t.word(uint16(it.x))
		t.word(uint16(it.y))
		t.word(uint16(it.cx))
		t.word(uint16(it.cy))
		t.word(it.id)
		t.word(0xFFFF) // a predefined class by atom
		t.word(it.class)
		t.str(it.text)
		t.word(0) // no creation data
	}
	return t.buf
}

type tmplWriter struct{ buf []uint16 }

func (t *tmplWriter) word(w uint16) { t.buf = append(t.buf, w) }
func (t *tmplWriter) dword(d uint32) {
	t.buf = append(t.buf, uint16(d), uint16(d>>16))
}

// str writes s as a NUL-terminated UTF-16 string; NULs inside s end it early, so they
// are dropped.
func (t *tmplWriter) str(s string) {
	t.buf = append(t.buf, utf16.Encode([]rune(strings.ReplaceAll(s, "\x00", "")))...)
	t.buf = append(t.buf, 0)
}

// align pads to the next DWORD boundary (the buffer starts on one).
func (t *tmplWriter) align() {
	if len(t.buf)%2 != 0 {
		t.buf = append(t.buf, 0)
	}
}

// filterChoices is the indexes of the choices that hold every word of filter, in any
// case, in their order: what a list field shows while its filter reads filter.
func filterChoices(choices []string, filter string) []int {
	words := strings.Fields(strings.ToLower(filter))
	var out []int
next:
	for i, c := range choices {
		lc := strings.ToLower(c)
		for _, w := range words {
			if !strings.Contains(lc, w) {
				continue next
			}
		}
		out = append(out, i)
	}
	return out
}
