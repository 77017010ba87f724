// Package keyringtest runs tests against a real OS keyring on Linux: a private D-Bus session
// bus (no service auto-start) with gnome-keyring-daemon's Secret Service on it, unlocked, in
// temporary folders, both started by the desktop test harness internal/testkit/desktoptest. Nothing of
// the user's own session is touched.
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
// Start skips the test with a clear message when dbus-daemon or gnome-keyring-daemon is not
// installed, and fails it instead when the environment has CI=true.
package keyringtest

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/pimtray/pimtray/internal/testkit/desktoptest"
)

// SecretsName is the Secret Service's bus name.
const SecretsName = "org.freedesktop.secrets"

// childEnv marks a re-executed test binary.
const childEnv = "PIMTRAY_KEYRINGTEST_CHILD"

// Env is a private session bus, with or without a Secret Service on it.
type Env struct {
	bus *desktoptest.Bus
}

// Start starts a private bus and an unlocked gnome-keyring Secret Service on it. Everything
// stops and is removed when the test ends.
func Start(t testing.TB) *Env {
	t.Helper()
	e := StartBus(t)
	desktoptest.StartKeyring(t, e.bus.Addr)
	return e
}

// StartBus starts a private session bus with no Secret Service on it ("no keyring").
func StartBus(t testing.TB) *Env {
	t.Helper()
	return &Env{bus: desktoptest.StartBusDaemon(t)}
}

// BusPID is the dbus-daemon's process id, for a child that kills the bus mid-test.
func (e *Env) BusPID() int { return e.bus.Cmd.Process.Pid }

// Environ is what a child process needs to use this bus: DBUS_SESSION_BUS_ADDRESS.
func (e *Env) Environ() []string { return []string{"DBUS_SESSION_BUS_ADDRESS=" + e.bus.Addr} }

// HangSecretService owns org.freedesktop.secrets on the bus (instead of a real keyring)
// with a connection that takes every call and never answers: the hung keyring of a locked
// desktop whose unlock prompt nobody sees. The bus itself gives up on such a call only
// after its reply timeout (25 s by default). It lets go when the test ends.
func (e *Env) HangSecretService(t testing.TB) {
	t.Helper()
	release := make(chan struct{})
	conn, err := dbus.Connect(e.bus.Addr, dbus.WithHandler(hangHandler{release}))
	if err != nil {
		t.Fatalf("keyringtest: connect to the bus: %v", err)
	}
	t.Cleanup(func() {
		close(release)
		_ = conn.Close()
	})
	reply, err := conn.RequestName(SecretsName, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("keyringtest: own %s: %v (reply %v)", SecretsName, err, reply)
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
	return runInChild(t, limit, nil, env)
}

// RunInChildFiles is RunInChild handing the child open files: files[i] is the child's
// descriptor 3+i (a listening socket the parent keeps bound, see porttest).
func RunInChildFiles(t testing.TB, files []*os.File, env ...string) string {
	t.Helper()
	return runInChild(t, 2*time.Minute, files, env)
}

func runInChild(t testing.TB, limit time.Duration, files []*os.File, env []string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	args := []string{"-test.run=" + runPattern(t.Name()), "-test.count=1", "-test.v"}
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	// Under -race the child would wait a second on its way out (the race detector's
	// atexit_sleep_ms); a race it finds still fails it.
	gorace := strings.TrimSpace("atexit_sleep_ms=0 " + os.Getenv("GORACE")) // options of one's own win
	cmd.Env = append(append(cleanEnv(), childEnv+"=1", "GORACE="+gorace), env...)
	cmd.ExtraFiles = files
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
		case "DBUS_SESSION_BUS_ADDRESS", childEnv, "GORACE":
			continue
		}
		out = append(out, kv)
	}
	return out
}
