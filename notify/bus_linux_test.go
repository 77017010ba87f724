//go:build linux

package notify

import (
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/pimtray/pimtray/internal/testkit/desktoptest"
)

// notifyCall is one Notify the fake server received.
type notifyCall struct {
	Sender     string
	AppName    string
	ReplacesID uint32
	AppIcon    string
	Summary    string
	Body       string
	Actions    []string
	Hints      map[string]dbus.Variant
	Expire     int32
	ID         uint32 // what the server answered
}

// fakeServer owns org.freedesktop.Notifications on a test bus and records what it is asked.
type fakeServer struct {
	t    *testing.T
	conn *dbus.Conn
	caps []string

	mu     sync.Mutex
	nextID uint32
	calls  []notifyCall
	closes []uint32
	hang   chan struct{} // when non-nil, Notify waits on it (a hung server)
	got    chan notifyCall
}

// fakeMethods is what the fake exports (only these methods are visible on the bus).
type fakeMethods struct{ f *fakeServer }

func (m fakeMethods) GetCapabilities() ([]string, *dbus.Error) { return m.f.caps, nil }

func (m fakeMethods) GetServerInformation() (string, string, string, string, *dbus.Error) {
	return "fake", "pimtray tests", "1.0", "1.2", nil
}

func (m fakeMethods) Notify(sender dbus.Sender, app string, replaces uint32, icon, summary, body string,
	actions []string, hints map[string]dbus.Variant, expire int32) (uint32, *dbus.Error) {
	f := m.f
	f.mu.Lock()
	hang := f.hang
	f.mu.Unlock()
	if hang != nil {
		<-hang
	}
	f.mu.Lock()
	id := replaces
	if id == 0 {
		f.nextID++
		id = f.nextID
	}
	c := notifyCall{string(sender), app, replaces, icon, summary, body, actions, hints, expire, id}
	f.calls = append(f.calls, c)
	f.mu.Unlock()
	f.got <- c
	return id, nil
}

func (m fakeMethods) CloseNotification(sender dbus.Sender, id uint32) *dbus.Error {
	m.f.mu.Lock()
	m.f.closes = append(m.f.closes, id)
	m.f.mu.Unlock()
	m.f.signal(string(sender), "NotificationClosed", id, uint32(3))
	return nil
}

// startFakeServer runs a notification server with these capabilities on the bus.
func startFakeServer(t *testing.T, addr string, caps ...string) *fakeServer {
	t.Helper()
	f := &fakeServer{t: t, conn: desktoptest.Connect(t, addr), caps: caps, got: make(chan notifyCall, 100)}
	if err := f.conn.Export(fakeMethods{f}, fdoPath, fdoIface); err != nil {
		t.Fatal(err)
	}
	reply, err := f.conn.RequestName(fdoName, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("own %s: %v %v", fdoName, reply, err)
	}
	return f
}

// signal sends a notification signal to dest only, as real servers do; "" broadcasts.
func (f *fakeServer) signal(dest, member string, args ...any) {
	f.t.Helper()
	msg := &dbus.Message{Type: dbus.TypeSignal, Headers: map[dbus.HeaderField]dbus.Variant{
		dbus.FieldPath:      dbus.MakeVariant(fdoPath),
		dbus.FieldInterface: dbus.MakeVariant(fdoIface),
		dbus.FieldMember:    dbus.MakeVariant(member),
	}, Body: args}
	if len(args) > 0 {
		msg.Headers[dbus.FieldSignature] = dbus.MakeVariant(dbus.SignatureOf(args...))
	}
	if dest != "" {
		msg.Headers[dbus.FieldDestination] = dbus.MakeVariant(dest)
	}
	if call := f.conn.Send(msg, nil); call.Err != nil {
		f.t.Errorf("send %s: %v", member, call.Err)
	}
}

// next waits for the next Notify.
func (f *fakeServer) next() notifyCall {
	f.t.Helper()
	select {
	case c := <-f.got:
		return c
	case <-time.After(5 * time.Second):
		f.t.Fatal("the server got no Notify call")
		return notifyCall{}
	}
}

func (f *fakeServer) closed() []uint32 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]uint32(nil), f.closes...)
}
