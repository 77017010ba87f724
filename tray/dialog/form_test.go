package dialog

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf16"
)

// parsedItem is one control read back from a template.
type parsedItem struct {
	style, exStyle uint32
	x, y, cx, cy   int16
	id, class      uint16
	text           string
	offset         int // in words, from the template's start
}

type parsedTemplate struct {
	style, exStyle uint32
	cx, cy         int16
	title, font    string
	pointSize      uint16
	items          []parsedItem
}

// parseTemplate reads a DLGTEMPLATE the way the dialog manager does, failing on
// anything out of place.
func parseTemplate(t *testing.T, w []uint16) parsedTemplate {
	t.Helper()
	i := 0
	next := func() uint16 {
		t.Helper()
		if i >= len(w) {
			t.Fatalf("template ends early at word %d", i)
		}
		i++
		return w[i-1]
	}
	dword := func() uint32 { lo := next(); return uint32(lo) | uint32(next())<<16 }
	str := func() string {
		var s []uint16
		for c := next(); c != 0; c = next() {
			s = append(s, c)
		}
		return string(utf16.Decode(s))
	}
	var p parsedTemplate
	p.style, p.exStyle = dword(), dword()
	n := int(next())
	next()
	next()
	p.cx, p.cy = int16(next()), int16(next())
	if m := next(); m != 0 {
		t.Fatalf("menu word = %#x, want 0", m)
	}
	if c := next(); c != 0 {
		t.Fatalf("class word = %#x, want 0", c)
	}
	p.title = str()
	if p.style&dsSetFont == 0 {
		t.Fatal("no DS_SETFONT: the dialog would use the system font, not the message font")
	}
	p.pointSize = next()
	p.font = str()
	for k := 0; k < n; k++ {
		if i%2 != 0 {
			if w[i] != 0 {
				t.Fatalf("padding word before item %d is %#x", k, w[i])
			}
			i++
		}
		it := parsedItem{offset: i}
		it.style, it.exStyle = dword(), dword()
		it.x, it.y, it.cx, it.cy = int16(next()), int16(next()), int16(next()), int16(next())
		it.id = next()
		if m := next(); m != 0xFFFF {
			t.Fatalf("item %d class marker = %#x, want 0xFFFF (a predefined class)", k, m)
		}
		it.class = next()
		it.text = str()
		if extra := next(); extra != 0 {
			t.Fatalf("item %d has %d bytes of creation data", k, extra)
		}
		p.items = append(p.items, it)
	}
	if i != len(w) {
		t.Fatalf("%d words after the last item", len(w)-i)
	}
	return p
}

func edits(p parsedTemplate) []parsedItem {
	var out []parsedItem
	for _, it := range p.items {
		if it.class == classEdit {
			out = append(out, it)
		}
	}
	return out
}

func itemByID(t *testing.T, p parsedTemplate, id uint16) parsedItem {
	t.Helper()
	for _, it := range p.items {
		if it.id == id {
			return it
		}
	}
	t.Fatalf("no control with id %d", id)
	return parsedItem{}
}

func TestTemplateOfAQuestion(t *testing.T) {
	f := form{
		title:  "Justification for Global Administrator",
		prompt: "Global Administrator requires a justification. Why do you need it?",
		fields: []formField{{text: "patch night"}},
	}
	p := parseTemplate(t, f.template())
	if p.title != f.title || p.font != fontName || p.pointSize != fontSize {
		t.Fatalf("title %q font %q %d", p.title, p.font, p.pointSize)
	}
	for _, want := range []uint32{dsModalFrame, dsCenter, wsCaption, wsSysMenu, wsPopup} {
		if p.style&want == 0 {
			t.Errorf("dialog style %#x lacks %#x", p.style, want)
		}
	}
	if p.exStyle&wsExTopmost == 0 {
		t.Error("the dialog is not topmost: it could open behind other windows")
	}
	if len(p.items) != 4 { // prompt, edit, OK, Cancel
		t.Fatalf("%d controls, want 4: %+v", len(p.items), p.items)
	}
	prompt := p.items[0]
	if prompt.class != classStatic || prompt.text != f.prompt || prompt.style&ssNoPrefix == 0 {
		t.Fatalf("prompt control %+v", prompt)
	}
	e := edits(p)
	if len(e) != 1 || e[0].id != idFirstFld || e[0].text != "patch night" {
		t.Fatalf("edit controls %+v", e)
	}
	if e[0].style&esPassword != 0 {
		t.Fatal("a plain question hides what is typed")
	}
	if e[0].style&wsTabStop == 0 {
		t.Fatal("the edit box is not a tab stop")
	}
	ok, cancel := itemByID(t, p, idOK), itemByID(t, p, idCancel)
	if ok.class != classButton || ok.text != "OK" || ok.style&bsDefPushButton == 0 {
		t.Fatalf("OK button %+v: Enter would not press it", ok)
	}
	if cancel.class != classButton || cancel.text != "Cancel" || cancel.style&bsDefPushButton != 0 {
		t.Fatalf("Cancel button %+v", cancel)
	}
	// Everything inside the dialog, nothing overlapping the prompt or the edit box.
	for _, it := range p.items {
		if it.x < 0 || it.y < 0 || it.x+it.cx > p.cx || it.y+it.cy > p.cy {
			t.Errorf("control %q (%d,%d %dx%d) outside the %dx%d dialog", it.text, it.x, it.y, it.cx, it.cy, p.cx, p.cy)
		}
	}
	if e[0].y < prompt.y+prompt.cy || ok.y < e[0].y+e[0].cy {
		t.Fatalf("controls overlap: prompt %+v edit %+v ok %+v", prompt, e[0], ok)
	}
}

func TestTemplateOfASecret(t *testing.T) {
	p := parseTemplate(t, form{title: "Password", prompt: "Your password?", fields: []formField{{secret: true}}}.template())
	e := edits(p)
	if len(e) != 1 || e[0].style&esPassword == 0 {
		t.Fatalf("the secret's edit box does not hide what is typed: %+v", e)
	}
}

// The form that asks for a reason and a ticket at once is the same template with one
// more field: each field a label and an edit box, in order, each a tab stop.
func TestTemplateOfAForm(t *testing.T) {
	f := form{title: "Contributor · MySubscription", prompt: "Contributor requires a justification and a ticket.",
		fields: []formField{{label: "Justification", text: "deploy"}, {label: "Ticket number"}}}
	p := parseTemplate(t, f.template())
	e := edits(p)
	if len(e) != 2 || e[0].id != idFirstFld || e[1].id != idFirstFld+1 || e[0].text != "deploy" {
		t.Fatalf("edit controls %+v", e)
	}
	if e[1].y <= e[0].y+e[0].cy {
		t.Fatalf("the second field does not sit below the first: %+v", e)
	}
	var labels []string
	for _, it := range p.items {
		if it.class == classStatic {
			labels = append(labels, it.text)
		}
	}
	if strings.Join(labels, "|") != f.prompt+"|Justification|Ticket number" {
		t.Fatalf("labels %q", labels)
	}
}

func TestTemplateTexts(t *testing.T) {
	long := strings.Repeat("Contributor on a resource group with a long name ", 4)
	tests := []struct {
		name, in, want string
	}{
		{"non-ASCII", "Begründung für Global Administrator — ✓", "Begründung für Global Administrator — ✓"},
		{"astral", "ticket 🎫", "ticket 🎫"},
		{"NUL would end the string", "a\x00b", "ab"},
		{"ampersand is not a mnemonic", "R&D Owner", "R&D Owner"},
		{"long prompt", long, long},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := parseTemplate(t, form{title: tc.in, prompt: tc.in, fields: []formField{{text: tc.in}}}.template())
			if p.title != tc.want || p.items[0].text != tc.want || edits(p)[0].text != tc.want {
				t.Fatalf("title %q prompt %q edit %q, want %q", p.title, p.items[0].text, edits(p)[0].text, tc.want)
			}
		})
	}
	short := parseTemplate(t, form{prompt: "Why?", fields: []formField{{}}}.template())
	longer := parseTemplate(t, form{prompt: long, fields: []formField{{}}}.template())
	if longer.items[0].cy <= short.items[0].cy || longer.cy <= short.cy {
		t.Fatalf("a long prompt gets no more room: %d vs %d", longer.items[0].cy, short.items[0].cy)
	}
}

func TestFilterChoices(t *testing.T) {
	choices := []string{"Owner · IT", "Contributor · rg-web", "AKS Contributor · MySubscription", "Reader · Prod"}
	tests := []struct {
		filter string
		want   []int
	}{
		{"", []int{0, 1, 2, 3}},
		{"contributor", []int{1, 2}},
		{"CONTRIB  web", []int{1}},
		{"aks", []int{2}},
		{"nothing", nil},
	}
	for _, tc := range tests {
		if got := filterChoices(choices, tc.filter); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("filterChoices(%q) = %v, want %v", tc.filter, got, tc.want)
		}
	}
}

// A chooser is a filter box over a list box, in a wider dialog, with its own OK label.
func TestTemplateOfAChooser(t *testing.T) {
	f := form{title: "Find a role", prompt: "Pick a role to activate.", ok: "Activate",
		fields: []formField{{label: "Filter", choices: []string{"Owner · IT", "Reader · Prod"}}}}
	p := parseTemplate(t, f.template())
	if p.cx != dluWideWidth {
		t.Errorf("width %d, want %d", p.cx, dluWideWidth)
	}
	list := itemByID(t, p, listID(0))
	if list.class != classListBox || list.style&lbsNotify == 0 || list.style&wsTabStop == 0 {
		t.Fatalf("list box %+v", list)
	}
	filter := itemByID(t, p, idFirstFld)
	if filter.class != classEdit || list.y <= filter.y {
		t.Fatalf("the filter %+v is not above the list %+v", filter, list)
	}
	if ok := itemByID(t, p, idOK); ok.text != "Activate" || ok.y <= list.y+list.cy {
		t.Fatalf("OK button %+v", ok)
	}
}
