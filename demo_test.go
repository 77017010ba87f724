package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pimtray/pimtray/store"
)

// newHome gives the process an empty home: every pimtray folder lands under it, and the
// keyring is out of reach (no session bus), so nothing touches the machine's real data.
func newHome(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("XDG_STATE_HOME", filepath.Join(home, ".local", "state"))
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, ".cache"))
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(home, "no-bus"))
	return home
}

// pimtray runs the real command line in this process, as main would.
func pimtray(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

type statusJSON struct {
	Demo  bool `json:"demo"`
	Roles []struct {
		Plane     string    `json:"plane"`
		Role      string    `json:"role"`
		ScopeName string    `json:"scopeName"`
		Status    string    `json:"status"`
		ExpiresAt time.Time `json:"expiresAt"`
	} `json:"roles"`
}

func TestDemoCommandsFromAnEmptyHome(t *testing.T) {
	newHome(t)
	before := time.Now()

	steps := []struct {
		args []string
		want string
	}{
		{[]string{"--demo", "activate", "Global Administrator", "--reason", "patch night"}, "Activated Global Administrator"},
		{[]string{"--demo", "activate", "Owner", "--scope", "IT", "--reason", "deploy"}, "Activated Owner · IT"},
		{[]string{"--demo", "activate", "Contributor", "--scope", "MySubscription", "--reason", "change", "--ticket", "CHG-1234"}, "Activated Contributor · MySubscription"},
	}
	for _, s := range steps {
		code, out, errOut := pimtray(t, s.args...)
		if code != 0 || !strings.Contains(out, s.want) || !strings.Contains(out, "DEMO") {
			t.Fatalf("pimtray %s: exit %d, stdout %q, stderr %q; want exit 0 and %q with DEMO", strings.Join(s.args, " "), code, out, errOut, s.want)
		}
	}

	code, out, errOut := pimtray(t, "--demo", "status", "--json")
	if code != 0 {
		t.Fatalf("status: exit %d, stderr %q", code, errOut)
	}
	var st statusJSON
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("status --json is not JSON: %v\n%s", err, out)
	}
	if !st.Demo {
		t.Errorf("status --json does not say demo")
	}
	active := map[string]time.Time{}
	for _, r := range st.Roles {
		if r.Status == "active" {
			active[r.Role+"@"+r.ScopeName] = r.ExpiresAt
		}
	}
	for _, k := range []string{"Global Administrator@Directory", "Owner@IT", "Contributor@MySubscription"} {
		end, ok := active[k]
		if !ok {
			t.Errorf("status does not show %s active; it shows %+v", k, st.Roles)
			continue
		}
		// The demo's policies allow 8h and the default duration is 8h.
		if lo, hi := before.Add(8*time.Hour-time.Minute), time.Now().Add(8*time.Hour+time.Minute); end.Before(lo) || end.After(hi) {
			t.Errorf("%s ends %v, want 8h from the activation (%v..%v)", k, end, lo, hi)
		}
	}

	// Activating again is not an error: exit 0, already active.
	if code, out, errOut := pimtray(t, "--demo", "activate", "Owner", "--scope", "IT", "--reason", "again"); code != 0 {
		t.Errorf("activating an active role: exit %d, %q %q; want 0", code, out, errOut)
	}
}

func TestDemoBadInputIsOneLineAndExit2(t *testing.T) {
	home := newHome(t)
	badConfig := filepath.Join(home, "bad.json")
	if err := os.WriteFile(badConfig, []byte("{\n  \"defaultDuration\": \"8 hours\"\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		want string // in the one line on stderr
	}{
		{"unknown role", []string{"--demo", "activate", "Nope", "--reason", "x"}, `"Nope"`},
		{"ambiguous name", []string{"--demo", "activate", "Contributor", "--reason", "x"}, "MySubscription"},
		{"too long", []string{"--demo", "activate", "Global Administrator", "--reason", "x", "--for", "100h"}, "at most 8h"},
		{"missing ticket", []string{"--demo", "activate", "Contributor", "--scope", "MySubscription", "--reason", "x"}, "ticket"},
		{"missing justification", []string{"--demo", "activate", "Global Administrator"}, "ustification"},
		{"bad duration", []string{"--demo", "activate", "Global Administrator", "--reason", "x", "--for", "soon"}, "soon"},
		{"unknown command", []string{"--demo", "activte"}, "activate"},
		{"malformed config", []string{"--demo", "--config", badConfig, "list"}, "8 hours"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := pimtray(t, c.args...)
			if code != 2 {
				t.Fatalf("exit %d, want 2 (stdout %q, stderr %q)", code, out, errOut)
			}
			if !strings.Contains(errOut, c.want) {
				t.Errorf("stderr %q does not mention %q", errOut, c.want)
			}
			for _, bad := range []string{"panic", "goroutine ", ".go:", "*errors.", "&{"} {
				if strings.Contains(errOut, bad) {
					t.Errorf("stderr has %q, a programmer's detail: %q", bad, errOut)
				}
			}
			// The ambiguous case lists the candidates; everything else is one sentence.
			if c.name != "ambiguous name" {
				if lines := strings.Count(strings.TrimSpace(errOut), "\n") + 1; lines > 2 {
					t.Errorf("stderr has %d lines, want one sentence (and at most a hint): %q", lines, errOut)
				}
			}
		})
	}
	// Nothing was activated by any of it.
	code, out, _ := pimtray(t, "--demo", "status", "--json")
	var st statusJSON
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil {
		t.Fatalf("status: exit %d, %q", code, out)
	}
	for _, r := range st.Roles {
		if r.Status != "eligible" {
			t.Errorf("bad input changed something: %+v", r)
		}
	}
}

// The demo's fake Azure runs on the demo's own (scaled) clock, the one the client reckons
// with: there is no clock difference to learn. At --demo-speed 1000 a millisecond of
// travel is a second of demo time, and a learner that took the Date headers' jitter for
// skew said "Azure's clock differs" at almost every answer (467 times in 2 minutes).
func TestDemoSpeedLogsNoClockSkew(t *testing.T) {
	newHome(t)
	// The tray started with --demo-speed 1000 keeps its clock for the commands beside it.
	paths, err := store.DefaultPaths(true)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(paths.StateDir, 0o700); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	kept, _ := json.Marshal(map[string]any{"start": now, "at": now, "factor": 1000})
	if err := os.WriteFile(filepath.Join(paths.StateDir, "demo-clock.json"), kept, 0o600); err != nil {
		t.Fatal(err)
	}
	// A fifth of a second of the test is over three minutes of demo time: the first
	// activation comes later than now + 2 minutes however quick the commands are (a listed
	// role's activation sends nothing else), as demoTimeRan needs.
	time.Sleep(200 * time.Millisecond)
	var logs strings.Builder
	for i := 0; i < 4; i++ {
		for _, args := range [][]string{
			{"--demo", "--demo-speed", "1000", "--debug", "list"},
			{"--demo", "--demo-speed", "1000", "--debug", "activate", "Owner", "--scope", "IT", "--reason", "skew"},
			{"--demo", "--demo-speed", "1000", "--debug", "status"},
		} {
			code, out, errOut := pimtray(t, args...)
			if code != 0 {
				t.Fatalf("pimtray %s: exit %d\n%s\n%s", strings.Join(args, " "), code, out, errOut)
			}
			logs.WriteString(errOut)
		}
	}
	if n := strings.Count(logs.String(), "clock differs"); n > 0 {
		t.Fatalf("the demo logged a clock difference %d times at speed 1000:\n%s", n, logs.String())
	}
	if code, out, _ := pimtray(t, "--demo", "status", "--json"); code != 0 || !demoTimeRan(out, now) {
		t.Fatalf("the demo's clock did not run 1000 times faster (status %s): the test proves nothing", out)
	}
	if !strings.Contains(logs.String(), "level=DEBUG") {
		t.Fatal("--debug logged nothing: the test would not see a skew line either")
	}
}

// demoTimeRan: an 8h activation ends more than 8h and 2 minutes past now: the demo's
// clock ran ahead (at 1000×, a second of the test is a quarter of an hour).
func demoTimeRan(statusJSONOut string, now time.Time) bool {
	var st statusJSON
	if json.Unmarshal([]byte(statusJSONOut), &st) != nil {
		return false
	}
	for _, r := range st.Roles {
		if r.ExpiresAt.After(now.Add(8*time.Hour + 2*time.Minute)) {
			return true
		}
	}
	return false
}
