package desktoptest

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/prop"
)

const (
	watcherName  = "org.kde.StatusNotifierWatcher"
	watcherPath  = dbus.ObjectPath("/StatusNotifierWatcher")
	watcherIface = "org.kde.StatusNotifierWatcher"
	itemIface    = "org.kde.StatusNotifierItem"
	menuIface    = "com.canonical.dbusmenu"
	defaultItem  = dbus.ObjectPath("/StatusNotifierItem")
)

// Watcher plays the desktop's tray host: it owns org.kde.StatusNotifierWatcher and
// records the tray icons (StatusNotifierItems) that register, dropping those whose
// owner leaves the bus.
type Watcher struct {
	addr  string
	conn  *dbus.Conn
	props *prop.Properties

	mu      sync.Mutex
	closed  bool // set before the connection closes: no more property updates
	items   []registration
	changed chan struct{} // closed and replaced on every change
}

// registration is one registered item: the bus name that owns it and its object path.
type registration struct {
	owner   string // unique name of the registering connection
	service string // bus name to call
	path    dbus.ObjectPath
}

func (r registration) id() string { return r.service + string(r.path) }

// StartWatcher owns org.kde.StatusNotifierWatcher on the bus at busAddr until cleanup.
// Start it before or after the tray: fyne.io/systray registers again when a watcher appears.
func StartWatcher(t testing.TB, busAddr string) *Watcher {
	t.Helper()
	w := &Watcher{addr: busAddr, conn: Connect(t, busAddr), changed: make(chan struct{})}
	exp := &watcherMethods{w: w}
	if err := w.conn.Export(exp, watcherPath, watcherIface); err != nil {
		t.Fatalf("desktoptest: export watcher: %v", err)
	}
	props, err := prop.Export(w.conn, watcherPath, map[string]map[string]*prop.Prop{
		watcherIface: {
			"RegisteredStatusNotifierItems":  {Value: []string{}, Emit: prop.EmitTrue},
			"IsStatusNotifierHostRegistered": {Value: true, Emit: prop.EmitTrue},
			"ProtocolVersion":                {Value: int32(0), Emit: prop.EmitTrue},
		},
	})
	if err != nil {
		t.Fatalf("desktoptest: export watcher properties: %v", err)
	}
	w.props = props
	t.Cleanup(func() { // runs before Connect's cleanup closes the connection
		w.mu.Lock()
		w.closed = true
		w.mu.Unlock()
	})

	// Forget items whose connection leaves the bus.
	if err := w.conn.AddMatchSignal(
		dbus.WithMatchSender("org.freedesktop.DBus"),
		dbus.WithMatchInterface("org.freedesktop.DBus"),
		dbus.WithMatchMember("NameOwnerChanged"),
	); err != nil {
		t.Fatalf("desktoptest: watch names: %v", err)
	}
	sigs := make(chan *dbus.Signal, 64)
	w.conn.Signal(sigs)
	go func() {
		for sig := range sigs {
			if sig.Name != "org.freedesktop.DBus.NameOwnerChanged" || len(sig.Body) < 3 {
				continue
			}
			name, _ := sig.Body[0].(string)
			newOwner, _ := sig.Body[2].(string)
			if newOwner == "" {
				w.forget(name)
			}
		}
	}()

	reply, err := w.conn.RequestName(watcherName, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("desktoptest: own %s: reply %v, %v", watcherName, reply, err)
	}
	return w
}

// watcherMethods are the exported D-Bus methods (kept apart so Watcher's own methods
// aren't on the bus).
type watcherMethods struct{ w *Watcher }

// RegisterStatusNotifierItem takes a bus name or, as fyne.io/systray sends it, an
// object path on the caller's connection.
func (m *watcherMethods) RegisterStatusNotifierItem(sender dbus.Sender, service string) *dbus.Error {
	r := registration{owner: string(sender), service: service, path: defaultItem}
	if strings.HasPrefix(service, "/") {
		r.service, r.path = string(sender), dbus.ObjectPath(service)
	}
	m.w.register(r)
	return nil
}

// RegisterStatusNotifierHost accepts any host.
func (m *watcherMethods) RegisterStatusNotifierHost(service string) *dbus.Error { return nil }

func (w *Watcher) register(r registration) {
	w.mu.Lock()
	for _, x := range w.items {
		if x.id() == r.id() {
			w.mu.Unlock()
			return // registering again (a new watcher appeared, or a retry) changes nothing
		}
	}
	w.items = append(w.items, r)
	w.publishLocked()
	w.mu.Unlock()
	_ = w.conn.Emit(watcherPath, watcherIface+".StatusNotifierItemRegistered", r.id())
}

// forget drops the items of a connection (unique name) or bus name that left the bus.
func (w *Watcher) forget(name string) {
	w.mu.Lock()
	var gone []string
	keep := w.items[:0]
	for _, r := range w.items {
		if r.owner == name || r.service == name {
			gone = append(gone, r.id())
			continue
		}
		keep = append(keep, r)
	}
	w.items = keep
	if len(gone) > 0 {
		w.publishLocked()
	}
	w.mu.Unlock()
	for _, id := range gone {
		_ = w.conn.Emit(watcherPath, watcherIface+".StatusNotifierItemUnregistered", id)
	}
}

func (w *Watcher) publishLocked() {
	if w.closed {
		return
	}
	ids := make([]string, len(w.items))
	for i, r := range w.items {
		ids[i] = r.id()
	}
	w.props.SetMust(watcherIface, "RegisteredStatusNotifierItems", ids)
	close(w.changed)
	w.changed = make(chan struct{})
}

// Items are the registered tray icons, as "busname/object/path", oldest first.
func (w *Watcher) Items() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	ids := make([]string, len(w.items))
	for i, r := range w.items {
		ids[i] = r.id()
	}
	return ids
}

// WaitForItem waits until a tray icon is registered and returns a client for the oldest
// one still on the bus.
func (w *Watcher) WaitForItem(t testing.TB, timeout time.Duration) *Item {
	t.Helper()
	regs := w.waitFor(t, timeout, "a tray icon to register", func(n int) bool { return n > 0 })
	return NewItem(t, w.addr, regs[0].service, regs[0].path)
}

// WaitForItems waits until exactly n tray icons are registered (0: all gone) and
// returns their ids, as Items does.
func (w *Watcher) WaitForItems(t testing.TB, n int, timeout time.Duration) []string {
	t.Helper()
	regs := w.waitFor(t, timeout, fmt.Sprintf("exactly %d tray icon(s) to be registered", n), func(have int) bool { return have == n })
	ids := make([]string, len(regs))
	for i, r := range regs {
		ids[i] = r.id()
	}
	return ids
}

func (w *Watcher) waitFor(t testing.TB, timeout time.Duration, what string, ok func(n int) bool) []registration {
	t.Helper()
	deadline := time.After(timeout)
	for {
		w.mu.Lock()
		items, changed := append([]registration(nil), w.items...), w.changed
		w.mu.Unlock()
		if ok(len(items)) {
			return items
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("desktoptest: waited %v for %s; have %d: %q", timeout, what, len(items), w.Items())
		}
	}
}
