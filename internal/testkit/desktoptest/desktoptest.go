// Package desktoptest runs the real Linux desktop services pimtray talks to, for tests,
// on a private D-Bus session bus: no mocks of the protocols, only stand-ins for the
// programs at the other end.
//
//   - [StartBus]: a private dbus-daemon with service activation off, so nothing installed
//     on the machine is auto-started behind the test.
//   - [StartKeyring]: gnome-keyring-daemon with an unlocked "login" collection
//     (org.freedesktop.secrets), in temporary XDG directories.
//   - [StartWatcher]: the tray host's side (org.kde.StatusNotifierWatcher); it hands out an
//     [Item] for each registered tray icon, to read its properties and its menu
//     (com.canonical.dbusmenu GetLayout) and to click menu entries (Event "clicked").
//   - [StartNotifyServer]: a notification daemon (org.freedesktop.Notifications) that
//     records every Notify and can answer with ActionInvoked and NotificationClosed.
//   - [StartProcess]: a child process whose output lines a test can wait for.
//
// godbus caches the session bus connection per process (dbus.SessionBus), so code under
// test that uses the session bus should run in a child process started with
// [BusEnv]; [UseBus] points the test process itself at a bus, for code that connects
// only after it.
//
// Everything skips the test with a clear message when a needed program is missing, and
// fails it instead when the environment variable CI is "true". Everything started is
// stopped by t.Cleanup.
package desktoptest

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// DefaultTimeout is how long the helpers wait for something that normally takes
// milliseconds (a bus, a name, a menu change) before failing the test.
const DefaultTimeout = 10 * time.Second

// RequireTools skips the test unless every tool is on PATH (fails it when CI=true).
func RequireTools(t testing.TB, tools ...string) {
	t.Helper()
	var missing []string
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) > 0 {
		skipOrFail(t, "desktop test needs %s, not found on PATH (Debian: apt-get install dbus-daemon dbus-bin gnome-keyring)",
			strings.Join(missing, ", "))
	}
}

// skipOrFail skips, or fails in CI, where a missing tool must not hide a broken test.
func skipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format+" (CI=true: failing instead of skipping)", args...)
		return
	}
	t.Skipf(format, args...)
}

// busConfig is a session bus like the stock one, but with no service directories:
// calling a name nobody owns fails instead of starting whatever is installed.
const busConfig = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:dir=%s</listen>
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

// StartBus starts a private dbus-daemon for this test and returns its address. It sets
// nothing in this process's environment: pass the address to children with BusEnv, or
// call UseBus. The daemon (and every service on it that ends with its bus) stops at cleanup.
func StartBus(t testing.TB) string {
	t.Helper()
	return StartBusDaemon(t).Addr
}

// Bus is a running private dbus-daemon.
type Bus struct {
	// Addr is its address, what DBUS_SESSION_BUS_ADDRESS is set to.
	Addr string
	// Cmd is the daemon's process, for a test that kills the bus under the code it tests.
	Cmd *exec.Cmd
}

// StartBusDaemon is StartBus for a test that needs the daemon's process too.
func StartBusDaemon(t testing.TB) *Bus {
	t.Helper()
	RequireTools(t, "dbus-daemon")
	// A short directory of its own: socket paths are limited to about 100 bytes.
	dir, err := os.MkdirTemp("", "pimtray-bus-")
	if err != nil {
		t.Fatalf("desktoptest: create bus directory: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	conf := filepath.Join(dir, "session.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(busConfig, dir)), 0o600); err != nil {
		t.Fatalf("desktoptest: write bus config: %v", err)
	}
	cmd := exec.Command("dbus-daemon", "--config-file="+conf, "--nofork", "--nopidfile", "--print-address=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("desktoptest: %v", err)
	}
	var stderr SyncBuffer
	cmd.Stderr = &stderr
	p, err := startProc(cmd)
	if err != nil {
		t.Fatalf("desktoptest: start dbus-daemon: %v", err)
	}
	t.Cleanup(func() { p.stop(5 * time.Second) })

	addrc := make(chan string, 1)
	go func() {
		r := bufio.NewReader(stdout)
		line, _ := r.ReadString('\n')
		addrc <- strings.TrimSpace(line)
		_, _ = io.Copy(io.Discard, r)
	}()
	select {
	case addr := <-addrc:
		if addr == "" {
			t.Fatalf("desktoptest: dbus-daemon printed no address: %s", stderr.String())
		}
		return &Bus{Addr: addr, Cmd: cmd}
	case <-time.After(DefaultTimeout):
		t.Fatalf("desktoptest: dbus-daemon did not start within %v: %s", DefaultTimeout, stderr.String())
	}
	return nil
}

// UseBus points this process's session bus at addr (DBUS_SESSION_BUS_ADDRESS, restored
// after the test). godbus caches its first dbus.SessionBus() connection for the whole
// process, so this only helps code that has not connected yet; prefer child processes.
func UseBus(t testing.TB, addr string) {
	t.Helper()
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", addr)
}

// BusEnv is this process's environment with the session bus set to addr, for a child.
func BusEnv(addr string) []string {
	return SetEnv(os.Environ(), "DBUS_SESSION_BUS_ADDRESS", addr)
}

// SetEnv returns env with key set to value, replacing any earlier value.
func SetEnv(env []string, key, value string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if !strings.HasPrefix(kv, key+"=") {
			out = append(out, kv)
		}
	}
	return append(out, key+"="+value)
}

// Connect opens a private connection to the bus at addr, closed at cleanup.
func Connect(t testing.TB, addr string) *dbus.Conn {
	t.Helper()
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatalf("desktoptest: connect to %s: %v", addr, err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// WaitForName waits until name has an owner on conn's bus.
func WaitForName(t testing.TB, conn *dbus.Conn, name string, timeout time.Duration) {
	t.Helper()
	if err := waitForOwner(conn, name, timeout, nil); err != nil {
		t.Fatalf("desktoptest: %v", err)
	}
}

// waitForOwner polls until name has an owner on conn's bus. It gives up after timeout, or
// as soon as died is closed (the program meant to own name has ended); nil: never.
func waitForOwner(conn *dbus.Conn, name string, timeout time.Duration, died <-chan struct{}) error {
	deadline := time.Now().Add(timeout)
	for {
		var has bool
		err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, name).Store(&has)
		if err == nil && has {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("nobody owns %s after %v (last error: %v)", name, timeout, err)
		}
		select {
		case <-died:
			return fmt.Errorf("exited before owning %s", name)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// proc is a started child whose end is watched: Wait runs once, in its own goroutine.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has ended
	err  error         // Wait's result, valid after done
}

// startProc starts cmd and watches for its end.
func startProc(cmd *exec.Cmd) (*proc, error) {
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop asks the process to end (SIGTERM), then kills it after grace.
func (p *proc) stop(grace time.Duration) {
	if p.exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// SyncBuffer collects a child's output safely while the child writes it.
type SyncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
