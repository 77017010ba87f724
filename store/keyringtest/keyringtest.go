// Package keyringtest runs tests against a real OS keyring on Linux: a private D-Bus session
// bus (no service auto-start) with gnome-keyring-daemon's Secret Service on it, unlocked, in
// temporary folders. Nothing of the user's own session is touched.
//
// # One bus per process
//
// godbus caches the session bus connection of a process the first time it is used, and
// go-keyring uses that cached connection. A test that talks to a keyring through go-keyring
// therefore needs DBUS_SESSION_BUS_ADDRESS set before the process's first D-Bus use, and can
// never switch to another bus. So run such tests in a child process, the test binary
// re-executing just that test with the bus's environment:
//
//	func TestSomething(t *testing.T) {
//		if keyringtest.InChild() {
//			// ... the test itself, against the real keyring ...
//			return
//		}
//		kr := keyringtest.Start(t)
//		keyringtest.RunInChild(t, kr.Environ()...)
//	}
//
// (Env.Use sets the variable in the current process instead, for a test binary whose only
// D-Bus user is that one test.)
//
// Start skips the test with a clear message when dbus-daemon or gnome-keyring-daemon is not
// installed, and fails it instead when the environment has CI=true.
package keyringtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// SecretsName is the Secret Service's bus name.
const SecretsName = "org.freedesktop.secrets"

// busConfig is a session bus like the stock one but with no service directories, so nothing
// is auto-started behind the tests (Debian's default would start any installed service,
// including a gnome-keyring without an unlocked collection).
const busConfig = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:dir=@DIR@</listen>
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

// childEnv marks a re-executed test binary.
const childEnv = "PIMTRAY_KEYRINGTEST_CHILD"

// Env is a private session bus, with or without a Secret Service on it.
type Env struct {
	addr    string
	dir     string
	bus     *exec.Cmd
	keyring *exec.Cmd
	mu      sync.Mutex
	hang    chan struct{}
	hangC   *dbus.Conn
	busDone chan struct{}
	krDone  chan struct{}
}

// Start starts a private bus and an unlocked gnome-keyring Secret Service on it. Everything
// stops and is removed when the test ends.
func Start(t testing.TB) *Env {
	t.Helper()
	e := StartBus(t)
	e.StartKeyring(t)
	return e
}

// StartBus starts a private session bus with no Secret Service on it ("no keyring").
func StartBus(t testing.TB) *Env {
	t.Helper()
	need(t, "dbus-daemon")
	dir, err := os.MkdirTemp("", "pimtray-kr-") // short: unix socket paths are limited to ~108 bytes
	if err != nil {
		t.Fatalf("keyringtest: %v", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatalf("keyringtest: %v", err)
	}
	e := &Env{dir: dir}
	t.Cleanup(func() {
		e.Close()
		_ = os.RemoveAll(dir)
	})
	conf := filepath.Join(dir, "session-bus.conf")
	// The socket lives in our own folder, so nothing is left in /tmp even when the bus is killed.
	if err := os.WriteFile(conf, []byte(strings.ReplaceAll(busConfig, "@DIR@", dir)), 0o600); err != nil {
		t.Fatalf("keyringtest: %v", err)
	}
	cmd := exec.Command("dbus-daemon", "--config-file="+conf, "--nofork", "--nopidfile", "--print-address=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("keyringtest: %v", err)
	}
	busErr := &syncWriter{w: &strings.Builder{}} // it complains about fd limits when not root-capable: noise
	cmd.Stderr = busErr
	if err := cmd.Start(); err != nil {
		t.Fatalf("keyringtest: start dbus-daemon: %v", err)
	}
	e.bus, e.busDone = cmd, make(chan struct{})
	go func() { _ = cmd.Wait(); close(e.busDone) }()
	line := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(out)
		if s.Scan() {
			line <- strings.TrimSpace(s.Text())
		}
		close(line)
		for s.Scan() { // keep draining so the daemon never blocks on a full pipe
		}
	}()
	select {
	case a, ok := <-line:
		if !ok || a == "" {
			t.Fatalf("keyringtest: dbus-daemon printed no address (%s)", strings.TrimSpace(busErr.String()))
		}
		e.addr = a
	case <-time.After(10 * time.Second):
		t.Fatalf("keyringtest: dbus-daemon did not start within 10s")
	}
	return e
}

// StartKeyring starts gnome-keyring-daemon's Secret Service on the bus, with a fresh login
// collection unlocked, and waits until it owns org.freedesktop.secrets.
func (e *Env) StartKeyring(t testing.TB) {
	t.Helper()
	need(t, "gnome-keyring-daemon")
	data, run, home := filepath.Join(e.dir, "data"), filepath.Join(e.dir, "run"), filepath.Join(e.dir, "home")
	for _, d := range []string{data, run, home} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatalf("keyringtest: %v", err)
		}
	}
	cmd := exec.Command("gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets")
	cmd.Env = append(cleanEnv(), "DBUS_SESSION_BUS_ADDRESS="+e.addr, "XDG_DATA_HOME="+data,
		"XDG_RUNTIME_DIR="+run, "HOME="+home)
	cmd.Stdin = strings.NewReader("keyringtest-password") // --unlock reads the login password from stdin
	stderr := &syncWriter{w: &strings.Builder{}}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("keyringtest: start gnome-keyring-daemon: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	e.mu.Lock()
	e.keyring, e.krDone = cmd, done
	e.mu.Unlock()
	if err := e.waitOwner(SecretsName, 10*time.Second, done); err != nil {
		t.Fatalf("keyringtest: gnome-keyring-daemon: %v (%s)", err, strings.TrimSpace(stderr.String()))
	}
}

// BusPID is the dbus-daemon's process id (0 when stopped), for a child that kills the bus mid-test.
func (e *Env) BusPID() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.bus == nil {
		return 0
	}
	return e.bus.Process.Pid
}

// KeyringPID is gnome-keyring-daemon's process id (0 when not running).
func (e *Env) KeyringPID() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.keyring == nil {
		return 0
	}
	return e.keyring.Process.Pid
}

// Address is the bus address.
func (e *Env) Address() string { return e.addr }

// Environ is what a child process needs to use this bus: DBUS_SESSION_BUS_ADDRESS.
func (e *Env) Environ() []string { return []string{"DBUS_SESSION_BUS_ADDRESS=" + e.addr} }

// Use points this process at the bus (t.Setenv). Only for a process that has not used the
// session bus yet; see the package doc.
func (e *Env) Use(t testing.TB) {
	t.Helper()
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", e.addr)
}

// KillKeyring stops the Secret Service ("the keyring went away"); the bus stays.
func (e *Env) KillKeyring() {
	e.mu.Lock()
	cmd, done := e.keyring, e.krDone
	e.keyring = nil
	e.mu.Unlock()
	if cmd != nil {
		_ = cmd.Process.Kill()
		<-done
	}
}

// KillBus stops the bus itself (and with it the keyring).
func (e *Env) KillBus() {
	e.KillKeyring()
	e.mu.Lock()
	cmd := e.bus
	e.bus = nil
	e.mu.Unlock()
	if cmd != nil {
		_ = cmd.Process.Kill()
		<-e.busDone
	}
}

// HangSecretService owns org.freedesktop.secrets on the bus (instead of a real keyring)
// with a connection that takes every call and never answers: the hung keyring of a locked
// desktop whose unlock prompt nobody sees. The bus itself gives up on such a call only
// after its reply timeout (25 s by default).
func (e *Env) HangSecretService(t testing.TB) {
	t.Helper()
	e.mu.Lock()
	e.hang = make(chan struct{})
	hang := e.hang
	e.mu.Unlock()
	conn, err := dbus.Connect(e.addr, dbus.WithHandler(hangHandler{hang}))
	if err != nil {
		t.Fatalf("keyringtest: connect to the bus: %v", err)
	}
	reply, err := conn.RequestName(SecretsName, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		_ = conn.Close()
		t.Fatalf("keyringtest: own %s: %v (reply %v)", SecretsName, err, reply)
	}
	e.mu.Lock()
	e.hangC = conn
	e.mu.Unlock()
}

// Close stops everything started (idempotent).
func (e *Env) Close() {
	e.mu.Lock()
	if e.hang != nil {
		close(e.hang)
		e.hang = nil
	}
	if e.hangC != nil {
		_ = e.hangC.Close()
		e.hangC = nil
	}
	e.mu.Unlock()
	e.KillBus()
}

func (e *Env) waitOwner(name string, limit time.Duration, died <-chan struct{}) error {
	conn, err := dbus.Connect(e.addr)
	if err != nil {
		return fmt.Errorf("connect to the bus: %w", err)
	}
	defer conn.Close()
	deadline := time.Now().Add(limit)
	for {
		var has bool
		if err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, name).Store(&has); err != nil {
			return fmt.Errorf("ask the bus for %s: %w", name, err)
		}
		if has {
			return nil
		}
		select {
		case <-died:
			return errors.New("exited before owning " + name)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s has no owner after %s", name, limit)
		}
	}
}

// hangHandler takes any call on any object and blocks until released.
type hangHandler struct{ release <-chan struct{} }

func (h hangHandler) LookupObject(dbus.ObjectPath) (dbus.ServerObject, bool) { return h, true }
func (h hangHandler) LookupInterface(string) (dbus.Interface, bool)          { return h, true }
func (h hangHandler) LookupMethod(string) (dbus.Method, bool)                { return hangMethod(h), true }

type hangMethod hangHandler

func (m hangMethod) Call(...any) ([]any, error) {
	<-m.release
	return nil, errors.New("keyringtest: released")
}
func (hangMethod) NumArguments() int     { return 0 }
func (hangMethod) NumReturns() int       { return 0 }
func (hangMethod) ArgumentValue(int) any { return nil }
func (hangMethod) ReturnValue(int) any   { return nil }

// DecodeArguments accepts any arguments undecoded (dbus.ArgumentDecoder).
func (hangMethod) DecodeArguments(*dbus.Conn, string, *dbus.Message, []any) ([]any, error) {
	return nil, nil
}

// InChild is true in a test binary re-executed by RunInChild.
func InChild() bool { return os.Getenv(childEnv) != "" }

// RunInChild runs the current test again in a child process (the test binary re-executing
// just this test) with the given extra environment ("KEY=value"), and fails t when the
// child fails. The child sees InChild() true. It returns the child's output.
func RunInChild(t testing.TB, env ...string) string {
	t.Helper()
	return RunInChildTimeout(t, 2*time.Minute, env...)
}

// RunInChildTimeout is RunInChild with a limit on the child's run time.
func RunInChildTimeout(t testing.TB, limit time.Duration, env ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	args := []string{"-test.run=" + runPattern(t.Name()), "-test.count=1", "-test.v"}
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(append(cleanEnv(), childEnv+"=1"), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child test %s failed: %v\n%s", t.Name(), err, out)
	}
	if !strings.Contains(string(out), "--- PASS") && !strings.Contains(string(out), "--- SKIP") {
		t.Fatalf("child test %s ran no test:\n%s", t.Name(), out)
	}
	if strings.Contains(string(out), "--- SKIP") {
		t.Logf("child test skipped:\n%s", out)
	}
	return string(out)
}

// runPattern is a -test.run pattern matching exactly this test (and its path of subtests).
func runPattern(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return strings.Join(parts, "/")
}

// cleanEnv is this process's environment without a session bus address or a child marker,
// so a child never reaches the user's real session bus by accident.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "DBUS_SESSION_BUS_ADDRESS", childEnv:
			continue
		}
		out = append(out, kv)
	}
	return out
}

// need skips (or fails, under CI) when a program is missing.
func need(t testing.TB, prog string) {
	t.Helper()
	if _, err := exec.LookPath(prog); err != nil {
		msg := fmt.Sprintf("%s is not installed (apt-get install dbus-daemon gnome-keyring): skipping the real-keyring test", prog)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
}

type syncWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.String()
}
