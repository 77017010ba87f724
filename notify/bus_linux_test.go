//go:build linux

package notify

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// sessionBusConf is a private session bus without service activation (nothing is
// auto-started behind the tests), like /work/shared/desktop/session-bus.conf.
const sessionBusConf = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:tmpdir=DIR</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
  <limit name="max_incoming_bytes">1000000000</limit>
  <limit name="max_outgoing_bytes">1000000000</limit>
  <limit name="max_message_size">1000000000</limit>
  <limit name="max_replies_per_connection">50000</limit>
</busconfig>
`

// needBinary skips the test when a desktop binary is missing, but fails it in CI.
func needBinary(t *testing.T, names ...string) {
	t.Helper()
	for _, name := range names {
		if _, err := exec.LookPath(name); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is required in CI but not installed", name)
			}
			t.Skipf("%s not installed (apt-get install dbus-daemon xvfb dunst libnotify-bin): skipping", name)
		}
	}
}

// startBus starts a private session bus and returns its address. It ends with the test.
func startBus(t *testing.T) string {
	t.Helper()
	needBinary(t, "dbus-daemon")
	dir := t.TempDir()
	conf := filepath.Join(dir, "session.conf")
	if err := os.WriteFile(conf, []byte(strings.ReplaceAll(sessionBusConf, "DIR", dir)), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("dbus-daemon", "--config-file="+conf, "--nofork", "--nopidfile", "--print-address=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start dbus-daemon: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("read the bus address: %v", err)
	}
	return strings.TrimSpace(addr)
}

// connect opens a connection to the bus, closed with the test.
func connect(t *testing.T, addr string) *dbus.Conn {
	t.Helper()
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatalf("connect to the test bus: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

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
	f := &fakeServer{t: t, conn: connect(t, addr), caps: caps, got: make(chan notifyCall, 100)}
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

// waitOwner waits until name has an owner on the bus.
func waitOwner(t *testing.T, conn *dbus.Conn, name string, within time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	for {
		var has bool
		if err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, name).Store(&has); err == nil && has {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s did not appear on the bus within %v", name, within)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
