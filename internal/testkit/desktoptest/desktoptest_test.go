package desktoptest

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/prop"
)

const timeout = 10 * time.Second

type layout = struct {
	V0 int32
	V1 map[string]dbus.Variant
	V2 []dbus.Variant
}

// fakeTrayItem is a hand-made StatusNotifierItem with a dbusmenu, to test the harness
// apart from fyne.io/systray. Like systray, it answers its first GetLayout one level deep.
type fakeTrayItem struct {
	conn *dbus.Conn

	mu        sync.Mutex
	calls     int
	revision  uint32
	label     string
	clicked   []int32
	truncate1 bool
}

func (f *fakeTrayItem) GetLayout(parent int32, depth int32, names []string) (uint32, layout, *dbus.Error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	leaf := func(id int32, props map[string]dbus.Variant) dbus.Variant {
		return dbus.MakeVariant(layout{V0: id, V1: props, V2: []dbus.Variant{}})
	}
	sub := layout{V0: 2, V1: map[string]dbus.Variant{"label": dbus.MakeVariant("More"), "children-display": dbus.MakeVariant("submenu")}, V2: []dbus.Variant{}}
	if !(f.truncate1 && f.calls == 1) {
		sub.V2 = []dbus.Variant{
			leaf(3, map[string]dbus.Variant{"label": dbus.MakeVariant("★ Favourite"), "toggle-type": dbus.MakeVariant("checkmark"), "toggle-state": dbus.MakeVariant(1)}),
			leaf(4, map[string]dbus.Variant{"label": dbus.MakeVariant("Hidden"), "visible": dbus.MakeVariant(false)}),
		}
	}
	root := layout{V0: 0, V1: map[string]dbus.Variant{"children-display": dbus.MakeVariant("submenu")}, V2: []dbus.Variant{
		leaf(1, map[string]dbus.Variant{"label": dbus.MakeVariant(f.label), "enabled": dbus.MakeVariant(true)}),
		leaf(5, map[string]dbus.Variant{"type": dbus.MakeVariant("separator")}),
		dbus.MakeVariant(sub),
		leaf(6, map[string]dbus.Variant{"label": dbus.MakeVariant("Pending"), "enabled": dbus.MakeVariant(false)}),
	}}
	return f.revision, root, nil
}

func (f *fakeTrayItem) Event(id int32, event string, data dbus.Variant, ts uint32) *dbus.Error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if event == "clicked" {
		f.clicked = append(f.clicked, id)
	}
	return nil
}

func (f *fakeTrayItem) setLabel(label string) {
	f.mu.Lock()
	f.label = label
	f.revision++
	rev := f.revision
	f.mu.Unlock()
	_ = f.conn.Emit("/StatusNotifierItem/menu", "com.canonical.dbusmenu.LayoutUpdated", rev, int32(0))
}

func startFakeTrayItem(t *testing.T, bus string) *fakeTrayItem {
	t.Helper()
	f := &fakeTrayItem{conn: Connect(t, bus), label: "Global Administrator — activate (8h)", truncate1: true}
	type px = struct {
		W, H int32
		Pix  []byte
	}
	icon := []px{{W: 1, H: 1, Pix: []byte{0xff, 0x20, 0x60, 0xe0}}}
	_, err := prop.Export(f.conn, "/StatusNotifierItem", map[string]map[string]*prop.Prop{
		"org.kde.StatusNotifierItem": {
			"Id":         {Value: "pimtray", Emit: prop.EmitTrue},
			"Title":      {Value: "pimtray", Emit: prop.EmitTrue},
			"Status":     {Value: "Active", Emit: prop.EmitTrue},
			"Category":   {Value: "ApplicationStatus", Emit: prop.EmitTrue},
			"IconName":   {Value: "", Emit: prop.EmitTrue},
			"IconPixmap": {Value: icon, Emit: prop.EmitTrue},
			"ItemIsMenu": {Value: true, Emit: prop.EmitTrue},
			"Menu":       {Value: dbus.ObjectPath("/StatusNotifierItem/menu"), Emit: prop.EmitTrue},
			"ToolTip": {Value: struct {
				V0 string
				V1 []px
				V2 string
				V3 string
			}{V2: "pimtray — 1 active"}, Emit: prop.EmitTrue},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.conn.Export(f, "/StatusNotifierItem/menu", "com.canonical.dbusmenu"); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestWatcherAndItem(t *testing.T) {
	bus := StartBus(t)
	w := StartWatcher(t, bus)
	f := startFakeTrayItem(t, bus)

	// Register as fyne.io/systray does: with an object path.
	call := f.conn.Object(watcherName, watcherPath).Call(watcherIface+".RegisterStatusNotifierItem", 0, "/StatusNotifierItem")
	if call.Err != nil {
		t.Fatal(call.Err)
	}
	item := w.WaitForItem(t, timeout)
	if item.Service != f.conn.Names()[0] || item.Path != "/StatusNotifierItem" {
		t.Fatalf("item at %s %s, want %s /StatusNotifierItem", item.Service, item.Path, f.conn.Names()[0])
	}
	// Registering again changes nothing.
	f.conn.Object(watcherName, watcherPath).Call(watcherIface+".RegisterStatusNotifierItem", 0, "/StatusNotifierItem")
	if got := w.Items(); len(got) != 1 || got[0] != item.Service+"/StatusNotifierItem" {
		t.Fatalf("Items() = %q", got)
	}
	var registered dbus.Variant
	if err := Connect(t, bus).Object(watcherName, watcherPath).Call("org.freedesktop.DBus.Properties.Get", 0,
		watcherIface, "RegisteredStatusNotifierItems").Store(&registered); err != nil {
		t.Fatal(err)
	}
	if got, _ := registered.Value().([]string); !slices.Equal(got, w.Items()) {
		t.Fatalf("RegisteredStatusNotifierItems = %v, want %q", registered, w.Items())
	}

	t.Run("properties", func(t *testing.T) {
		p := item.Properties(t)
		if p.Title != "pimtray" || p.ID != "pimtray" || p.Status != "Active" || p.Menu != "/StatusNotifierItem/menu" || !p.ItemIsMenu {
			t.Errorf("properties = %+v", p)
		}
		if p.ToolTip.Title != "pimtray — 1 active" {
			t.Errorf("tooltip = %+v", p.ToolTip)
		}
		if len(p.IconPixmap) != 1 || p.IconPixmap[0].At(0, 0).B != 0xe0 || p.IconPixmap[0].At(0, 0).A != 0xff || p.IconPixmap[0].At(5, 5).A != 0 {
			t.Errorf("icon = %+v", p.IconPixmap)
		}
	})

	t.Run("menu", func(t *testing.T) {
		m := item.Menu(t)
		f.mu.Lock()
		calls := f.calls
		f.mu.Unlock()
		if calls < 2 {
			t.Errorf("a one-level first answer was taken for the whole menu (%d GetLayout calls)", calls)
		}
		if got, want := m.Labels(), []string{"Global Administrator — activate (8h)", "---", "More", "Pending"}; !slices.Equal(got, want) {
			t.Fatalf("Labels() = %q, want %q", got, want)
		}
		more := m.FindByLabel("More")
		if more == nil || more.ChildrenDisplay != "submenu" || !slices.Equal(more.Labels(), []string{"★ Favourite"}) {
			t.Fatalf("submenu:\n%s", m)
		}
		star := m.FindByLabelPrefix("★")
		if star.ToggleType != "checkmark" || !star.Checked() || star.ID != 3 {
			t.Errorf("★ entry = %+v", star)
		}
		if m.FindByLabel("Hidden") != nil {
			t.Error("FindByLabel found an invisible entry")
		}
		if m.FindByLabel("Pending").Enabled {
			t.Error("disabled entry read as enabled")
		}
		want := "Global Administrator — activate (8h) #1\n--- #5\nMore #2\n  ★ Favourite [x] #3\n  Hidden [hidden] #4\nPending [disabled] #6\n"
		if got := m.String(); got != want {
			t.Errorf("String() =\n%s\nwant\n%s", got, want)
		}
		if got := more.String(); !strings.HasPrefix(got, "More #2\n  ★ Favourite") {
			t.Errorf("String() of a submenu =\n%s", got)
		}
	})

	t.Run("click", func(t *testing.T) {
		n := item.ClickLabel(t, "Global Administrator")
		item.Click(t, 3)
		f.mu.Lock()
		got := slices.Clone(f.clicked)
		f.mu.Unlock()
		if n.ID != 1 || !slices.Equal(got, []int32{1, 3}) {
			t.Fatalf("clicked %v, want [1 3]", got)
		}
	})

	t.Run("wait for a change", func(t *testing.T) {
		go func() {
			time.Sleep(50 * time.Millisecond)
			f.setLabel("Global Administrator — 8h 00m left")
		}()
		item.WaitForMenu(t, timeout, "the countdown", func(m *MenuNode) bool {
			return m.FindByLabel("Global Administrator — 8h 00m left") != nil
		})
	})

	t.Run("an item whose owner leaves is forgotten", func(t *testing.T) {
		f.conn.Close()
		w.WaitForItems(t, 0, timeout)
	})
}

func TestNotifyServer(t *testing.T) {
	bus := StartBus(t)
	s := StartNotifyServer(t, bus, NotifyOptions{})
	client := Connect(t, bus)
	bystander := Connect(t, bus)
	WaitForName(t, client, notifyName, timeout)
	obj := client.Object(notifyName, notifyPath)

	var caps []string
	if err := obj.Call(notifyIface+".GetCapabilities", 0).Store(&caps); err != nil || !slices.Contains(caps, "actions") || !slices.Contains(caps, "body") {
		t.Fatalf("GetCapabilities = %q, %v", caps, err)
	}
	var name, vendor, version, spec string
	if err := obj.Call(notifyIface+".GetServerInformation", 0).Store(&name, &vendor, &version, &spec); err != nil || spec != "1.2" {
		t.Fatalf("GetServerInformation = %q %q %q %q, %v", name, vendor, version, spec, err)
	}

	// Both listen for the signals; only the notification's sender may get them.
	sigs := map[*dbus.Conn]chan *dbus.Signal{}
	for _, c := range []*dbus.Conn{client, bystander} {
		if err := c.AddMatchSignal(dbus.WithMatchInterface(notifyIface)); err != nil {
			t.Fatal(err)
		}
		sigs[c] = make(chan *dbus.Signal, 10)
		c.Signal(sigs[c])
	}

	var id uint32
	err := obj.Call(notifyIface+".Notify", 0, "pimtray", uint32(0), "", "Owner · IT ends in 15 minutes", "Re-activate for 8h?",
		[]string{"reactivate", "Re-activate", "dismiss", "Dismiss"}, map[string]dbus.Variant{"urgency": dbus.MakeVariant(byte(1))}, int32(-1)).Store(&id)
	if err != nil || id == 0 {
		t.Fatalf("Notify = %d, %v", id, err)
	}
	n := s.WaitForNotification(t, timeout, "the reminder", func(n Notification) bool { return strings.HasPrefix(n.Summary, "Owner · IT") })
	if n.ID != id || n.AppName != "pimtray" || n.Body != "Re-activate for 8h?" || n.Sender != client.Names()[0] || n.Timeout != -1 {
		t.Errorf("captured %+v", n)
	}
	if !slices.Equal(n.ActionKeys(), []string{"reactivate", "dismiss"}) || n.ActionLabel("reactivate") != "Re-activate" || n.ActionLabel("nope") != "" {
		t.Errorf("actions %q", n.Actions)
	}
	if u, _ := n.Hints["urgency"].Value().(byte); u != 1 {
		t.Errorf("hints %v", n.Hints)
	}

	expect := func(member string, body ...any) {
		t.Helper()
		select {
		case sig := <-sigs[client]:
			if sig.Name != notifyIface+"."+member || !slices.Equal(sig.Body, body) {
				t.Fatalf("client got %s %v, want %s %v", sig.Name, sig.Body, member, body)
			}
		case <-time.After(timeout):
			t.Fatalf("client got no %s", member)
		}
	}
	s.InvokeAction(t, id, "reactivate")
	expect("ActionInvoked", id, "reactivate")
	s.Close(t, id, ClosedDismissed)
	expect("NotificationClosed", id, ClosedDismissed)
	if err := obj.Call(notifyIface+".CloseNotification", 0, id).Err; err != nil {
		t.Fatal(err)
	}
	expect("NotificationClosed", id, ClosedByCall)
	if got := s.ClosedByClient(); !slices.Equal(got, []uint32{id}) {
		t.Errorf("ClosedByClient() = %v", got)
	}
	select {
	case sig := <-sigs[bystander]:
		t.Errorf("a bystander got %s: signals must go to the sender only", sig.Name)
	case <-time.After(50 * time.Millisecond):
	}

	// replaces_id keeps the id.
	var id2 uint32
	if err := obj.Call(notifyIface+".Notify", 0, "pimtray", id, "", "updated", "", []string{}, map[string]dbus.Variant{}, int32(0)).Store(&id2); err != nil || id2 != id {
		t.Fatalf("replacing Notify = %d, %v; want %d", id2, err, id)
	}
	if got := len(s.Notifications()); got != 2 {
		t.Errorf("%d notifications recorded, want 2", got)
	}
}

func TestNotifyServerWithoutActions(t *testing.T) {
	bus := StartBus(t)
	StartNotifyServer(t, bus, NotifyOptions{NoActions: true})
	var caps []string
	if err := Connect(t, bus).Object(notifyName, notifyPath).Call(notifyIface+".GetCapabilities", 0).Store(&caps); err != nil {
		t.Fatal(err)
	}
	if slices.Contains(caps, "actions") || !slices.Contains(caps, "body") {
		t.Fatalf("capabilities %q", caps)
	}
}

func TestKeyring(t *testing.T) {
	bus := StartBus(t)
	k := StartKeyring(t, bus)
	var collection dbus.ObjectPath
	err := Connect(t, bus).Object("org.freedesktop.secrets", "/org/freedesktop/secrets").
		Call("org.freedesktop.Secret.Service.ReadAlias", 0, "default").Store(&collection)
	if err != nil || collection == "/" || collection == "" {
		t.Fatalf("default collection = %q, %v: the keyring is not unlocked", collection, err)
	}
	if !strings.HasPrefix(k.DataDir, "/") {
		t.Errorf("DataDir %q", k.DataDir)
	}
}

func TestBusHasNoAutoStart(t *testing.T) {
	bus := StartBus(t)
	// A name nobody owns must fail at once, not start an installed service.
	err := Connect(t, bus).Object("org.freedesktop.Notifications", "/org/freedesktop/Notifications").
		Call("org.freedesktop.Notifications.GetCapabilities", 0).Err
	if err == nil || !strings.Contains(err.Error(), "ServiceUnknown") && !strings.Contains(err.Error(), "was not provided") {
		t.Fatalf("calling an unowned name: %v, want ServiceUnknown", err)
	}
}

func TestSetEnv(t *testing.T) {
	got := SetEnv([]string{"A=1", "DBUS_SESSION_BUS_ADDRESS=old", "B=2"}, "DBUS_SESSION_BUS_ADDRESS", "new")
	if want := []string{"A=1", "B=2", "DBUS_SESSION_BUS_ADDRESS=new"}; !slices.Equal(got, want) {
		t.Fatalf("SetEnv = %q, want %q", got, want)
	}
}

// recordingTB notes a skip or failure instead of ending the test.
type recordingTB struct {
	testing.TB
	skipped, failed string
}

func (r *recordingTB) Helper()                        {}
func (r *recordingTB) Skipf(format string, a ...any)  { r.skipped = fmt.Sprintf(format, a...) }
func (r *recordingTB) Fatalf(format string, a ...any) { r.failed = fmt.Sprintf(format, a...) }

func TestMissingToolSkipsButFailsInCI(t *testing.T) {
	t.Setenv("CI", "")
	r := &recordingTB{TB: t}
	RequireTools(r, "sh", "no-such-tool-pimtray")
	if !strings.Contains(r.skipped, "no-such-tool-pimtray") || strings.Contains(r.skipped, "sh,") || r.failed != "" {
		t.Errorf("outside CI: skipped %q, failed %q", r.skipped, r.failed)
	}

	t.Setenv("CI", "true")
	r = &recordingTB{TB: t}
	RequireTools(r, "no-such-tool-pimtray")
	if !strings.Contains(r.failed, "no-such-tool-pimtray") || r.skipped != "" {
		t.Errorf("in CI: skipped %q, failed %q", r.skipped, r.failed)
	}

	r = &recordingTB{TB: t}
	RequireTools(r, "sh")
	if r.failed != "" || r.skipped != "" {
		t.Errorf("a present tool: skipped %q, failed %q", r.skipped, r.failed)
	}
}
