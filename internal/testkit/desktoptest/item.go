package desktoptest

import (
	"errors"
	"fmt"
	"image/color"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// Item is a client for one tray icon (StatusNotifierItem) and its menu
// (com.canonical.dbusmenu), as a desktop's tray host sees them. Its methods that take a
// testing.TB fail the test on error; the Get*/Event ones return errors instead, for
// goroutines and benchmarks.
type Item struct {
	// Service is the bus name the icon is on; Path its object path.
	Service string
	Path    dbus.ObjectPath
	conn    *dbus.Conn
}

// NewItem connects to the tray icon at service and path on the bus at busAddr (usually
// through Watcher.WaitForItem).
func NewItem(t testing.TB, busAddr, service string, path dbus.ObjectPath) *Item {
	t.Helper()
	it := &Item{Service: service, Path: path, conn: Connect(t, busAddr)}
	// Every signal the icon sends (LayoutUpdated, ItemsPropertiesUpdated, NewIcon,
	// PropertiesChanged, ...) wakes the Wait* methods up.
	if err := it.conn.AddMatchSignal(dbus.WithMatchSender(service)); err != nil {
		t.Fatalf("desktoptest: watch %s: %v", service, err)
	}
	return it
}

// Pixmap is one icon image: ARGB32 pixels in network byte order, row by row.
type Pixmap struct {
	Width, Height int32
	ARGB          []byte
}

// At is the pixel at x, y (zero when outside the image).
func (p Pixmap) At(x, y int) color.NRGBA {
	i := (y*int(p.Width) + x) * 4
	if x < 0 || y < 0 || x >= int(p.Width) || i+3 >= len(p.ARGB) {
		return color.NRGBA{}
	}
	return color.NRGBA{A: p.ARGB[i], R: p.ARGB[i+1], G: p.ARGB[i+2], B: p.ARGB[i+3]}
}

// ToolTip is the icon's tooltip; fyne.io/systray puts its text in Title.
type ToolTip struct {
	IconName    string
	Icons       []Pixmap
	Title       string
	Description string
}

// ItemProperties are the icon's org.kde.StatusNotifierItem properties.
type ItemProperties struct {
	ID         string
	Title      string
	Status     string // Passive, Active or NeedsAttention
	Category   string
	IconName   string
	IconPixmap []Pixmap
	ToolTip    ToolTip
	Menu       dbus.ObjectPath
	ItemIsMenu bool
}

// GetProperties reads the icon's properties (Properties.GetAll).
func (it *Item) GetProperties() (ItemProperties, error) {
	var all map[string]dbus.Variant
	err := it.conn.Object(it.Service, it.Path).Call("org.freedesktop.DBus.Properties.GetAll", 0, itemIface).Store(&all)
	if err != nil {
		return ItemProperties{}, fmt.Errorf("read the tray icon's properties: %w", err)
	}
	var p ItemProperties
	str := func(name string) string {
		s, _ := all[name].Value().(string)
		return s
	}
	p.ID, p.Title, p.Status, p.Category, p.IconName = str("Id"), str("Title"), str("Status"), str("Category"), str("IconName")
	p.Menu, _ = all["Menu"].Value().(dbus.ObjectPath)
	p.ItemIsMenu, _ = all["ItemIsMenu"].Value().(bool)
	if v, ok := all["IconPixmap"]; ok {
		if err := v.Store(&p.IconPixmap); err != nil {
			return p, fmt.Errorf("decode IconPixmap %s: %w", v.Signature(), err)
		}
	}
	if v, ok := all["ToolTip"]; ok {
		if err := v.Store(&p.ToolTip); err != nil {
			return p, fmt.Errorf("decode ToolTip %s: %w", v.Signature(), err)
		}
	}
	return p, nil
}

// Properties reads the icon's properties or fails the test.
func (it *Item) Properties(t testing.TB) ItemProperties {
	t.Helper()
	p, err := it.GetProperties()
	if err != nil {
		t.Fatalf("desktoptest: %v", err)
	}
	return p
}

// WaitForProperties waits until cond holds for the icon's properties and returns them;
// what says what the test waits for, in its failure message.
func (it *Item) WaitForProperties(t testing.TB, timeout time.Duration, what string, cond func(ItemProperties) bool) ItemProperties {
	t.Helper()
	var last ItemProperties
	var lastErr error
	ok := it.waitFor(timeout, func() bool {
		last, lastErr = it.GetProperties()
		return lastErr == nil && cond(last)
	})
	if !ok {
		t.Fatalf("desktoptest: waited %v for %s; last properties: %+v (error: %v)", timeout, what, summary(last), lastErr)
	}
	return last
}

func summary(p ItemProperties) string {
	sizes := make([]string, len(p.IconPixmap))
	for i, px := range p.IconPixmap {
		sizes[i] = fmt.Sprintf("%dx%d", px.Width, px.Height)
	}
	return fmt.Sprintf("Title=%q Status=%q ToolTip=%q IconPixmap=[%s]", p.Title, p.Status, p.ToolTip.Title, strings.Join(sizes, " "))
}

func (it *Item) menuPath() dbus.ObjectPath {
	var v dbus.Variant
	err := it.conn.Object(it.Service, it.Path).Call("org.freedesktop.DBus.Properties.Get", 0, itemIface, "Menu").Store(&v)
	if p, ok := v.Value().(dbus.ObjectPath); err == nil && ok && p.IsValid() {
		return p
	}
	return it.Path + "/menu"
}

// GetMenu reads the whole menu: GetLayout(0, -1, []) parsed into a tree whose root (ID
// 0) holds the top-level entries.
//
// It returns a settled menu: a tray that rebuilds its menu adds the entries one by one
// (each a new layout revision), so GetMenu reads until the revision stays the same over
// menuSettle. fyne.io/systray also answers the first GetLayout after each rebuild with one
// level only; GetMenu reads again while a submenu comes back empty.
func (it *Item) GetMenu() (*MenuNode, error) {
	obj := it.conn.Object(it.Service, it.menuPath())
	read := func() (*MenuNode, error) {
		var revision uint32
		var layout struct {
			ID       int32
			Props    map[string]dbus.Variant
			Children []dbus.Variant
		}
		err := obj.Call(menuIface+".GetLayout", 0, int32(0), int32(-1), []string{}).Store(&revision, &layout)
		if err != nil {
			return nil, fmt.Errorf("read the tray menu (GetLayout): %w", err)
		}
		root, err := parseNode(layout.ID, layout.Props, layout.Children)
		if err != nil {
			return nil, err
		}
		root.Revision = revision
		return root, nil
	}
	prev, err := read()
	if err != nil {
		return nil, err
	}
	for attempt := 0; attempt < 100; attempt++ {
		time.Sleep(menuSettle)
		cur, err := read()
		if err != nil {
			return nil, err
		}
		if cur.Revision == prev.Revision && !cur.truncated() {
			return cur, nil
		}
		prev = cur
	}
	return prev, nil // still changing after 100 tries: let the caller's condition decide
}

// menuSettle is how long the menu's revision must stay the same for GetMenu to take it
// as complete.
const menuSettle = 15 * time.Millisecond

// Menu reads the whole menu or fails the test.
func (it *Item) Menu(t testing.TB) *MenuNode {
	t.Helper()
	m, err := it.GetMenu()
	if err != nil {
		t.Fatalf("desktoptest: %v", err)
	}
	return m
}

// WaitForMenu waits until cond holds for the menu and returns it; what says what the
// test waits for, in its failure message (which also shows the last menu seen).
func (it *Item) WaitForMenu(t testing.TB, timeout time.Duration, what string, cond func(*MenuNode) bool) *MenuNode {
	t.Helper()
	var last *MenuNode
	var lastErr error
	ok := it.waitFor(timeout, func() bool {
		last, lastErr = it.GetMenu()
		return lastErr == nil && cond(last)
	})
	if !ok {
		t.Fatalf("desktoptest: waited %v for %s (error: %v); last menu:\n%s", timeout, what, lastErr, last)
	}
	return last
}

// Event sends a dbusmenu event ("clicked", "opened", ...) to the entry with this id. A
// tray that leaves the bus while handling it (a click on Quit) has received it: that is
// not an error.
func (it *Item) Event(id int32, event string) error {
	obj := it.conn.Object(it.Service, it.menuPath())
	err := obj.Call(menuIface+".Event", 0, id, event, dbus.MakeVariant(""), uint32(time.Now().Unix())).Err
	var derr dbus.Error
	if errors.As(err, &derr) && derr.Name == "org.freedesktop.DBus.Error.NoReply" {
		return nil
	}
	if err != nil {
		return fmt.Errorf("send %q to menu entry %d: %w", event, id, err)
	}
	return nil
}

// Click clicks the menu entry with this id, as a user picking it would.
func (it *Item) Click(t testing.TB, id int32) {
	t.Helper()
	if err := it.Event(id, "clicked"); err != nil {
		t.Fatalf("desktoptest: %v", err)
	}
}

// ClickLabel reads the menu, finds the first entry whose label starts with prefix
// (anywhere in the tree) and clicks it; it returns the entry clicked.
func (it *Item) ClickLabel(t testing.TB, prefix string) *MenuNode {
	t.Helper()
	m := it.Menu(t)
	n := m.FindByLabelPrefix(prefix)
	if n == nil {
		t.Fatalf("desktoptest: no menu entry starts with %q; menu:\n%s", prefix, m)
	}
	it.Click(t, n.ID)
	return n
}

// waitFor checks cond now and again on every signal from the icon (and at least every
// 100 ms, in case a signal was missed) until it holds or timeout passes.
func (it *Item) waitFor(timeout time.Duration, cond func() bool) bool {
	sigs := make(chan *dbus.Signal, 64)
	it.conn.Signal(sigs)
	defer it.conn.RemoveSignal(sigs)
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	poll := time.NewTicker(100 * time.Millisecond)
	defer poll.Stop()
	for {
		if cond() {
			return true
		}
		select {
		case <-sigs:
			for drained := false; !drained; { // one check for a burst of signals
				select {
				case <-sigs:
				default:
					drained = true
				}
			}
		case <-poll.C:
		case <-deadline.C:
			return cond()
		}
	}
}

// MenuNode is one menu entry, with the dbusmenu properties tests look at. The root (ID 0)
// is the menu itself.
type MenuNode struct {
	ID    int32
	Label string
	// Type is "separator" for separators, "" (standard) otherwise.
	Type    string
	Enabled bool
	Visible bool
	// ToggleType is "checkmark", "radio" or ""; ToggleState 1 is on, 0 off, -1 unknown.
	ToggleType  string
	ToggleState int32
	// ChildrenDisplay is "submenu" when the entry opens a submenu.
	ChildrenDisplay string
	// Props holds every property as sent.
	Props    map[string]dbus.Variant
	Children []*MenuNode
	// Revision is the layout revision GetLayout reported (root only).
	Revision uint32
}

func parseNode(id int32, props map[string]dbus.Variant, children []dbus.Variant) (*MenuNode, error) {
	n := &MenuNode{ID: id, Props: props, Enabled: true, Visible: true, ToggleState: -1}
	if v, ok := props["label"].Value().(string); ok {
		n.Label = v
	}
	if v, ok := props["type"].Value().(string); ok && v != "standard" {
		n.Type = v
	}
	if v, ok := props["enabled"].Value().(bool); ok {
		n.Enabled = v
	}
	if v, ok := props["visible"].Value().(bool); ok {
		n.Visible = v
	}
	if v, ok := props["toggle-type"].Value().(string); ok {
		n.ToggleType = v
	}
	switch v := props["toggle-state"].Value().(type) {
	case int32:
		n.ToggleState = v
	case int64:
		n.ToggleState = int32(v)
	case int:
		n.ToggleState = int32(v)
	}
	if v, ok := props["children-display"].Value().(string); ok {
		n.ChildrenDisplay = v
	}
	for _, c := range children {
		var child struct {
			ID       int32
			Props    map[string]dbus.Variant
			Children []dbus.Variant
		}
		if err := c.Store(&child); err != nil {
			return nil, fmt.Errorf("decode menu entry under %d (%s): %w", id, c.Signature(), err)
		}
		cn, err := parseNode(child.ID, child.Props, child.Children)
		if err != nil {
			return nil, err
		}
		n.Children = append(n.Children, cn)
	}
	return n, nil
}

// truncated reports whether some submenu came back without its entries.
func (n *MenuNode) truncated() bool {
	if n.ID != 0 && n.ChildrenDisplay == "submenu" && len(n.Children) == 0 {
		return true
	}
	for _, c := range n.Children {
		if c.truncated() {
			return true
		}
	}
	return false
}

// IsSeparator reports whether the entry is a separator line.
func (n *MenuNode) IsSeparator() bool { return n.Type == "separator" }

// Checked reports whether a check-box entry is ticked.
func (n *MenuNode) Checked() bool { return n.ToggleState == 1 }

// Find returns the first entry (depth first, n itself included) for which match holds.
func (n *MenuNode) Find(match func(*MenuNode) bool) *MenuNode {
	if n == nil {
		return nil
	}
	if match(n) {
		return n
	}
	for _, c := range n.Children {
		if f := c.Find(match); f != nil {
			return f
		}
	}
	return nil
}

// FindByLabelPrefix returns the first visible entry whose label starts with prefix.
func (n *MenuNode) FindByLabelPrefix(prefix string) *MenuNode {
	return n.Find(func(m *MenuNode) bool { return m.Visible && !m.IsSeparator() && strings.HasPrefix(m.Label, prefix) })
}

// FindByLabel returns the first visible entry whose label is exactly label.
func (n *MenuNode) FindByLabel(label string) *MenuNode {
	return n.Find(func(m *MenuNode) bool { return m.Visible && !m.IsSeparator() && m.Label == label })
}

// FindByID returns the entry with this id.
func (n *MenuNode) FindByID(id int32) *MenuNode {
	return n.Find(func(m *MenuNode) bool { return m.ID == id })
}

// Labels are the labels of the entry's direct children, separators as "---".
func (n *MenuNode) Labels() []string {
	var out []string
	for _, c := range n.Children {
		if !c.Visible {
			continue
		}
		if c.IsSeparator() {
			out = append(out, "---")
			continue
		}
		out = append(out, c.Label)
	}
	return out
}

// String draws the tree, one entry a line, indented by depth, with [disabled], [x]/[ ]
// for check boxes and the entry ids: readable in a failure message.
func (n *MenuNode) String() string {
	if n == nil {
		return "<no menu>"
	}
	var b strings.Builder
	var walk func(m *MenuNode, depth int)
	walk = func(m *MenuNode, depth int) {
		if m.ID == 0 { // the menu itself: only its entries are drawn
			for _, c := range m.Children {
				walk(c, depth)
			}
			return
		}
		b.WriteString(strings.Repeat("  ", depth))
		if m.IsSeparator() {
			b.WriteString("---")
		} else {
			b.WriteString(m.Label)
		}
		if m.ToggleType == "checkmark" {
			if m.Checked() {
				b.WriteString(" [x]")
			} else {
				b.WriteString(" [ ]")
			}
		}
		if !m.Enabled {
			b.WriteString(" [disabled]")
		}
		if !m.Visible {
			b.WriteString(" [hidden]")
		}
		fmt.Fprintf(&b, " #%d\n", m.ID)
		for _, c := range m.Children {
			walk(c, depth+1)
		}
	}
	walk(n, 0)
	return b.String()
}
