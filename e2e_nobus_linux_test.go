//go:build linux

package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pimtray/pimtray/internal/testkit/desktoptest"
)

// markedProcesses lists the live processes whose environment holds marker: the children of
// a command (and theirs) inherit it, a dbus-daemon that dbus-launch started included.
func markedProcesses(marker string) []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	needle := []byte("PIMTRAY_TEST_MARKER=" + marker)
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil || !bytes.Contains(env, needle) {
			continue
		}
		if stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat")); err == nil {
			// A zombie (state Z) is gone but for its exit status.
			if i := bytes.LastIndexByte(stat, ')'); i > 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
				continue
			}
		}
		pids = append(pids, pid)
	}
	return pids
}

func cmdline(pid int) string {
	b, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	return strings.TrimSpace(string(bytes.ReplaceAll(b, []byte{0}, []byte{' '})))
}

// With no session bus (an SSH session, a bare window manager) but dbus-launch installed,
// godbus would start a session bus for each command that touches the keyring, and the
// dbus-daemon outlives the command: the command line must never start a bus.
func TestE2ENoSessionBusCommandsStartNone(t *testing.T) {
	t.Parallel()
	requireTools(t, "dbus-x11", "dbus-launch")
	requireNoDiscoverableBus(t)
	w := newWorld(t, worldOptions{})
	marker := randomMarker()
	env := append(withoutBus(w.env()), "PIMTRAY_TEST_MARKER="+marker)
	t.Cleanup(func() { killMarked(marker) })

	commands := [][]string{
		{"--demo", "list"}, {"--demo", "status"}, {"--demo", "activate", "Security Reader", "--for", "1h"},
		{"--demo", "list"}, {"status"}, {"list"}, {"signout"}, {"--version"},
	}
	for _, args := range commands {
		r := w.runIn(env, e2eTimeout, args...)
		if r.code == 0 || r.code == 1 {
			// Exit 1 is fine for the configured tenant (not signed in); anything else is a crash or bad input.
		} else {
			t.Errorf("pimtray %s: exit %d\n%s", strings.Join(args, " "), r.code, r)
		}
		if strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine ") {
			t.Errorf("pimtray %s crashed:\n%s", strings.Join(args, " "), r)
		}
		// The command has ended: nothing it started may live on.
		deadline := time.Now().Add(2 * time.Second) // a child that is on its way out
		var left []int
		for {
			if left = markedProcesses(marker); len(left) == 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		for _, pid := range left {
			t.Errorf("pimtray %s left process %d behind: %s", strings.Join(args, " "), pid, cmdline(pid))
		}
	}
	if r := w.runIn(env, e2eTimeout, "--demo", "status"); !strings.Contains(r.stdout, "not remembered: keyring unavailable") {
		t.Errorf("with no session bus, status should say the sign-in is not remembered (keyring unavailable):\n%s", r)
	}
}

// The tray without a session bus (and dbus-launch at hand) says it needs a desktop session
// and exits, starting no bus.
func TestE2ETrayWithoutSessionBusSaysSoAndExits(t *testing.T) {
	t.Parallel()
	requireTools(t, "dbus-x11", "dbus-launch")
	requireNoDiscoverableBus(t)
	w := newWorld(t, worldOptions{})
	marker := randomMarker()
	env := append(withoutBus(w.env()), "PIMTRAY_TEST_MARKER="+marker)
	t.Cleanup(func() { killMarked(marker) })
	r := w.runIn(env, e2eTimeout, "--demo")
	if r.code != 1 || !strings.Contains(r.stderr, "the tray needs a desktop session (no D-Bus session bus") {
		t.Errorf("want exit 1 and the desktop-session sentence:\n%s", r)
	}
	if strings.Contains(r.stderr, "systray error") {
		t.Errorf("systray's own error reached the user:\n%s", r)
	}
	for _, pid := range markedProcesses(marker) {
		t.Errorf("the tray left process %d behind: %s", pid, cmdline(pid))
	}
}

// The tray on a desktop with no tray host (GNOME without the AppIndicator extension, or a panel
// that starts after pimtray at login) says at once, in one sentence, what is missing and what to
// install, keeps running, and registers its icon when a host appears.
func TestE2ETrayWaitsForATrayHost(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{})
	tr := w.startTray("--demo")
	waitFor(t, e2eTimeout, "the sentence about the missing tray host", func() bool {
		return strings.Contains(tr.Stderr(), "no system tray is running")
	})
	var said []string
	for _, line := range strings.Split(strings.TrimSpace(tr.Stderr()), "\n") {
		if line != "" {
			said = append(said, line)
		}
	}
	if len(said) != 1 || !strings.Contains(said[0], "AppIndicator extension") || strings.Contains(said[0], "systray error") {
		t.Fatalf("want one sentence naming the AppIndicator extension on stderr, got:\n%s", tr.Stderr())
	}
	if tr.Exited() {
		t.Fatalf("the tray exited instead of waiting for a tray host:\n%s", tr)
	}
	watcher := desktoptest.StartWatcher(t, w.bus)
	item := watcher.WaitForItem(t, e2eTimeout)
	item.WaitForMenu(t, e2eTimeout, "the demo's menu", func(m *desktoptest.MenuNode) bool {
		return m.FindByLabel("Quit") != nil
	})
	if strings.Contains(tr.Stderr(), "systray error") {
		t.Errorf("systray's own error reached the user:\n%s", tr.Stderr())
	}
	if code := tr.stop(); code != 0 {
		t.Errorf("tray exit %d after SIGTERM:\n%s", code, tr)
	}
}

// requireNoDiscoverableBus skips where godbus would find a session bus by itself
// (/run/user/UID/bus, as on a desktop): a child without DBUS_SESSION_BUS_ADDRESS would then
// reach the user's own session, which the tests never touch.
func requireNoDiscoverableBus(t *testing.T) {
	t.Helper()
	dir := filepath.Join("/run/user", strconv.Itoa(os.Getuid()))
	for _, name := range []string{"bus", "dbus-session"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			t.Skipf("%s exists: a child with no bus address would reach this session's bus; the no-bus tests need a machine without one (CI)", filepath.Join(dir, name))
		}
	}
}

func randomMarker() string {
	var mark [8]byte
	_, _ = rand.Read(mark[:])
	return hex.EncodeToString(mark[:])
}

// withoutBus is env with no session bus address (godbus would look in /run/user/UID next:
// a test runs where that holds none, as in CI's containers).
func withoutBus(env []string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "DBUS_SESSION_BUS_ADDRESS=") {
			out = append(out, kv)
		}
	}
	return out
}

func killMarked(marker string) {
	for _, pid := range markedProcesses(marker) {
		_ = syscall.Kill(pid, syscall.SIGTERM) // what a failed run left behind
	}
}
