package desktoptest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

const (
	notifyName  = "org.freedesktop.Notifications"
	notifyPath  = dbus.ObjectPath("/org/freedesktop/Notifications")
	notifyIface = "org.freedesktop.Notifications"
)

// Reasons a notification closed, as NotificationClosed reports them.
const (
	ClosedExpired   uint32 = 1
	ClosedDismissed uint32 = 2 // by the user
	ClosedByCall    uint32 = 3 // by CloseNotification
	ClosedUndefined uint32 = 4
)

// Notification is one Notify call as the daemon received it.
type Notification struct {
	ID         uint32
	Sender     string // the caller's unique bus name
	AppName    string
	ReplacesID uint32
	AppIcon    string
	Summary    string
	Body       string
	// Actions are key, label pairs, flat, as sent: ["reactivate", "Re-activate", ...].
	Actions []string
	Hints   map[string]dbus.Variant
	Timeout int32 // ms; -1 server default, 0 never
}

// ActionKeys are the keys of the notification's actions, in order.
func (n Notification) ActionKeys() []string {
	var keys []string
	for i := 0; i+1 < len(n.Actions); i += 2 {
		keys = append(keys, n.Actions[i])
	}
	return keys
}

// ActionLabel is the label shown for the action key, "" if there is none.
func (n Notification) ActionLabel(key string) string {
	for i := 0; i+1 < len(n.Actions); i += 2 {
		if n.Actions[i] == key {
			return n.Actions[i+1]
		}
	}
	return ""
}

// NotifyOptions shape the fake daemon.
type NotifyOptions struct {
	// NoActions leaves "actions" out of the capabilities, like daemons that show no buttons.
	NoActions bool
	// Capabilities, when set, replace the default list entirely.
	Capabilities []string
}

// NotifyServer is a notification daemon for tests: it owns org.freedesktop.Notifications,
// records every Notify and CloseNotification, and sends ActionInvoked and
// NotificationClosed back to the notification's sender on request.
type NotifyServer struct {
	conn *dbus.Conn
	caps []string

	mu      sync.Mutex
	nextID  uint32
	all     []Notification
	closed  []uint32 // ids closed through CloseNotification
	changed chan struct{}
}

// StartNotifyServer owns org.freedesktop.Notifications on the bus at busAddr until
// cleanup. By default it announces the capabilities "actions", "body" and "persistence".
func StartNotifyServer(t testing.TB, busAddr string, opts NotifyOptions) *NotifyServer {
	t.Helper()
	s := &NotifyServer{conn: Connect(t, busAddr), changed: make(chan struct{})}
	switch {
	case opts.Capabilities != nil:
		s.caps = slices.Clone(opts.Capabilities)
	case opts.NoActions:
		s.caps = []string{"body", "persistence"}
	default:
		s.caps = []string{"actions", "body", "persistence"}
	}
	if err := s.conn.Export(&notifyMethods{s: s}, notifyPath, notifyIface); err != nil {
		t.Fatalf("desktoptest: export notification daemon: %v", err)
	}
	reply, err := s.conn.RequestName(notifyName, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("desktoptest: own %s: reply %v, %v", notifyName, reply, err)
	}
	return s
}

// notifyMethods are the exported D-Bus methods.
type notifyMethods struct{ s *NotifyServer }

func (m *notifyMethods) GetCapabilities() ([]string, *dbus.Error) {
	return slices.Clone(m.s.caps), nil
}

func (m *notifyMethods) GetServerInformation() (name, vendor, version, specVersion string, err *dbus.Error) {
	return "desktoptest", "pimtray", "1.0", "1.2", nil
}

func (m *notifyMethods) Notify(sender dbus.Sender, appName string, replacesID uint32, appIcon, summary, body string,
	actions []string, hints map[string]dbus.Variant, timeout int32) (uint32, *dbus.Error) {
	s := m.s
	s.mu.Lock()
	defer s.mu.Unlock()
	id := replacesID
	if id == 0 {
		s.nextID++
		id = s.nextID
	}
	s.all = append(s.all, Notification{
		ID: id, Sender: string(sender), AppName: appName, ReplacesID: replacesID, AppIcon: appIcon,
		Summary: summary, Body: body, Actions: actions, Hints: hints, Timeout: timeout,
	})
	s.signalLocked()
	return id, nil
}

func (m *notifyMethods) CloseNotification(id uint32) *dbus.Error {
	s := m.s
	s.mu.Lock()
	s.closed = append(s.closed, id)
	s.signalLocked()
	s.mu.Unlock()
	if n, ok := s.find(id); ok {
		_ = s.emit(n.Sender, "NotificationClosed", id, ClosedByCall)
	}
	return nil
}

func (s *NotifyServer) signalLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// find is the latest notification with this id.
func (s *NotifyServer) find(id uint32) (Notification, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.all) - 1; i >= 0; i-- {
		if s.all[i].ID == id {
			return s.all[i], true
		}
	}
	return Notification{}, false
}

// Notifications are all Notify calls received so far, oldest first.
func (s *NotifyServer) Notifications() []Notification {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.all)
}

// ClosedByClient are the ids the client closed with CloseNotification, in order.
func (s *NotifyServer) ClosedByClient() []uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.closed)
}

// WaitForNotification waits for a received notification for which match holds (nil:
// any) and returns the first such; what names it in the failure message.
func (s *NotifyServer) WaitForNotification(t testing.TB, timeout time.Duration, what string, match func(Notification) bool) Notification {
	t.Helper()
	deadline := time.After(timeout)
	for {
		s.mu.Lock()
		all, changed := slices.Clone(s.all), s.changed
		s.mu.Unlock()
		for _, n := range all {
			if match == nil || match(n) {
				return n
			}
		}
		select {
		case <-changed:
		case <-deadline:
			var got []string
			for _, n := range all {
				got = append(got, fmt.Sprintf("%d %q: %q %v", n.ID, n.Summary, n.Body, n.ActionKeys()))
			}
			t.Fatalf("desktoptest: waited %v for a notification: %s; received %d: %q", timeout, what, len(all), got)
		}
	}
}

// InvokeAction sends ActionInvoked(id, key) to the notification's sender, as a daemon
// does when the user clicks that button ("default": the notification itself).
func (s *NotifyServer) InvokeAction(t testing.TB, id uint32, key string) {
	t.Helper()
	n, ok := s.find(id)
	if !ok {
		t.Fatalf("desktoptest: no notification %d to invoke %q on", id, key)
	}
	if err := s.emit(n.Sender, "ActionInvoked", id, key); err != nil {
		t.Fatalf("desktoptest: send ActionInvoked: %v", err)
	}
}

// Close sends NotificationClosed(id, reason) to the notification's sender, as a daemon
// does when the notification expires (ClosedExpired) or the user dismisses it.
func (s *NotifyServer) Close(t testing.TB, id uint32, reason uint32) {
	t.Helper()
	n, ok := s.find(id)
	if !ok {
		t.Fatalf("desktoptest: no notification %d to close", id)
	}
	if err := s.emit(n.Sender, "NotificationClosed", id, reason); err != nil {
		t.Fatalf("desktoptest: send NotificationClosed: %v", err)
	}
}

// emit sends a notification signal to one connection only, as real daemons do.
func (s *NotifyServer) emit(dest, member string, body ...any) error {
	msg := &dbus.Message{
		Type: dbus.TypeSignal,
		Headers: map[dbus.HeaderField]dbus.Variant{
			dbus.FieldPath:        dbus.MakeVariant(notifyPath),
			dbus.FieldInterface:   dbus.MakeVariant(notifyIface),
			dbus.FieldMember:      dbus.MakeVariant(member),
			dbus.FieldDestination: dbus.MakeVariant(dest),
			dbus.FieldSignature:   dbus.MakeVariant(dbus.SignatureOf(body...)),
		},
		Body: body,
	}
	return s.conn.Send(msg, nil).Err
}
