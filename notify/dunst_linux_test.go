//go:build linux

package notify

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pimtray/pimtray/internal/engine"
	"github.com/pimtray/pimtray/internal/testkit/desktoptest"
)

// startXvfb starts a virtual X display and returns its name (":N"). It ends with the test.
func startXvfb(t *testing.T) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-nolisten", "tcp", "-screen", "0", "800x600x24")
	cmd.ExtraFiles = []*os.File{w} // fd 3: Xvfb writes the display number it picked
	if err := cmd.Start(); err != nil {
		t.Fatalf("start Xvfb: %v", err)
	}
	w.Close()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(r).ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	select {
	case n := <-line:
		if n == "" {
			t.Fatal("Xvfb did not report its display")
		}
		return ":" + n
	case <-time.After(10 * time.Second):
		t.Fatal("Xvfb did not start within 10s")
		return ""
	}
}

// TestRealDunst shows a reminder through the real dunst daemon (under Xvfb, on a
// private bus), picks "Re-activate" from dunst's context menu, runs dunst's action on the
// body of another notice (its menu then, as there is no default action), and sees both
// picks come back as ActionEvents.
func TestRealDunst(t *testing.T) {
	desktoptest.RequireTools(t, "dbus-daemon", "Xvfb", "dunst", "dunstctl", "dbus-send")
	display := startXvfb(t)
	addr := desktoptest.StartBus(t)
	dir := t.TempDir()

	// dunst's context menu runs "dmenu" with the actions on stdin, one per line
	// ("#Re-activate (summary) [id,reactivate]"); this one picks Re-activate.
	menu := filepath.Join(dir, "menu.txt")
	pick := filepath.Join(dir, "pick.sh")
	script := fmt.Sprintf("#!/bin/sh\ncat > %q\ngrep -m1 'Re-activate' %q\n", menu, menu)
	if err := os.WriteFile(pick, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "dunstrc")
	dunstrc := fmt.Sprintf("[global]\n    dmenu = %s\n    browser = /bin/true\n[urgency_normal]\n    timeout = 0\n[urgency_critical]\n    timeout = 0\n", pick)
	if err := os.WriteFile(conf, []byte(dunstrc), 0o600); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "DISPLAY="+display, "DBUS_SESSION_BUS_ADDRESS="+addr,
		"XDG_CONFIG_HOME="+dir, "HOME="+dir)
	dunst := exec.Command("dunst", "-config", conf)
	dunst.Env = env
	var dunstLog strings.Builder
	dunst.Stdout, dunst.Stderr = &dunstLog, &dunstLog
	if err := dunst.Start(); err != nil {
		t.Fatalf("start dunst: %v", err)
	}
	t.Cleanup(func() {
		dunst.Process.Kill()
		dunst.Wait()
		if t.Failed() {
			t.Logf("dunst output:\n%s", dunstLog.String())
		}
	})
	desktoptest.WaitForName(t, desktoptest.Connect(t, addr), fdoName, 10*time.Second)

	nf, _ := newTestNotifier(t, addr, Options{Icon: testPNG(t)})
	if c := nf.Capabilities(); c.Backend != BackendDBus || !strings.HasPrefix(c.Server, "dunst") || !c.Actions {
		t.Fatalf("dunst capabilities = %+v", c)
	}
	dunstctl := func(args ...string) {
		t.Helper()
		cmd := exec.Command("dunstctl", args...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("dunstctl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}

	if err := nf.Show(reminder("owner|15m", "owner", "Owner · IT ends in 15 minutes")); err != nil {
		t.Fatal(err)
	}
	dunstctl("context")
	if ev := nextEvent(t, nf); ev != (ActionEvent{NoticeID: "owner|15m", Action: engine.ActionReactivate}) {
		t.Errorf("after picking Re-activate in dunst: %+v", ev)
	}
	if got, _ := os.ReadFile(menu); !strings.Contains(string(got), "Dismiss") || !strings.Contains(string(got), "Owner · IT ends in 15 minutes") {
		t.Errorf("dunst's menu lacked the Dismiss button or the summary:\n%s", got)
	}

	// The notice offers no "default" action, so dunst's "action" (what its body click runs)
	// opens the menu of the notice's buttons, which holds no dead "Open": Re-activate is
	// picked from it. Dunst closing the notice picked above must not have produced a
	// "dismiss" in between.
	if err := nf.Show(engine.Notice{ID: "reader|ended", Kind: engine.NoticeEnded, Key: "reader", Title: "Reader has ended",
		Body: "Reader on Prod has ended.", Actions: []string{engine.ActionReactivate, engine.ActionDismiss}}); err != nil {
		t.Fatal(err)
	}
	dunstctl("action", "0")
	if ev := nextEvent(t, nf); ev != (ActionEvent{NoticeID: "reader|ended", Action: engine.ActionReactivate}) {
		t.Errorf("after dunst's action on the body: %+v", ev)
	}
	if got, _ := os.ReadFile(menu); !strings.Contains(string(got), "Reader has ended") || strings.Contains(string(got), "Open") {
		t.Errorf("dunst's menu for the ended notice:\n%s", got)
	}
}
