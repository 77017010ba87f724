package cli_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pimtray/pimtray/internal/app"
	"github.com/pimtray/pimtray/internal/cli"
	"github.com/pimtray/pimtray/internal/engine"
)

// saveLastKnownState runs the tray's engine once, as a tray leaves the state file: a
// refresh, then the state saved on the way out.
func (w *world) saveLastKnownState() {
	w.t.Helper()
	o := w.options()
	o.Tray = true
	a, err := app.Open(context.Background(), o)
	if err != nil {
		w.t.Fatal(err)
	}
	defer a.Close()
	// One refresh to its end, without the tray's background loop: a loop stopped mid-request
	// would leave a request on its way to the fake, logged after the test resets the log.
	if err := a.Engine.RefreshNow(context.Background(), ""); err != nil {
		w.t.Fatal(err)
	}
	if _, err := os.Stat(w.state); err != nil {
		w.t.Fatalf("no state file: %v", err)
	}
}

// complete asks the completion what it offers for args (what the shell scripts do through
// the hidden __complete command), with an environment whose engine must never open.
func (w *world) complete(args ...string) (names []string, directive string) {
	w.t.Helper()
	env := w.env()
	env.Open = func(context.Context, cli.Globals, io.Writer) (*engine.Engine, func(), error) {
		w.t.Errorf("completing %q opened the engine", args)
		return nil, nil, io.EOF
	}
	var out, errb bytes.Buffer
	if code := cli.Main(context.Background(), append([]string{"__complete"}, args...), &out, &errb, env); code != 0 {
		w.t.Fatalf("__complete %q: exit %d, %s", args, code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	for _, l := range lines[:len(lines)-1] {
		names = append(names, strings.SplitN(l, "\t", 2)[0])
	}
	return names, lines[len(lines)-1]
}

// TestCompletionOffline: role names and scopes come from the last known state file alone:
// no request to Azure, no engine, no sign-in.
func TestCompletionOffline(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	// Before any state file: nothing to offer, and still no request.
	if names, _ := w.complete("activate", ""); len(names) != 0 {
		t.Errorf("without a state file: %q", names)
	}
	// A command alone (no tray) leaves what it learned for the next one: enough to complete.
	if r := w.run("list"); r.code != 0 {
		t.Fatalf("list: %+v", r)
	}
	w.fake.ResetLog()
	if names, _ := w.complete("activate", ""); len(names) != 9 {
		t.Errorf("after a command: %q, want the 9 names", names)
	}
	if err := os.Remove(filepath.Join(filepath.Dir(w.state), "command-cache.json")); err != nil {
		t.Fatal(err)
	}
	// The tray's last known state alone.
	w.saveLastKnownState()
	w.fake.ResetLog()

	tests := []struct {
		args []string
		want []string // exactly, in order
	}{
		{[]string{"activate", ""}, []string{"AKS Contributor", "Contributor", "Exchange Administrator", "Global Administrator",
			"Member", "Owner", "Reader", "Security Reader", "User Administrator"}},
		{[]string{"activate", "glo"}, []string{"Global Administrator"}},
		{[]string{"--demo", "deactivate", "Sec"}, []string{"Security Reader"}},
		{[]string{"activate", "Owner", "--scope", ""}, []string{"Break-Glass", "IT"}},
		{[]string{"activate", "Contributor", "--scope", ""}, []string{"MySubscription", "rg-web"}},
		{[]string{"deactivate", "--scope", "P"}, []string{"PIM-Admins", "Prod"}},
		{[]string{"activate", "Owner", ""}, nil},
		{[]string{"completion", ""}, []string{"bash", "zsh", "fish", "powershell"}},
		{[]string{"li"}, []string{"list"}},
		{[]string{"list", "--a"}, []string{"--active"}},
	}
	for _, tt := range tests {
		names, directive := w.complete(tt.args...)
		if strings.Join(names, "|") != strings.Join(tt.want, "|") {
			t.Errorf("complete %q = %q, want %q", tt.args, names, tt.want)
		}
		if !strings.HasPrefix(directive, ":") {
			t.Errorf("complete %q: directive %q", tt.args, directive)
		}
	}
	if reqs := w.fake.Requests(); len(reqs) != 0 {
		t.Errorf("completion sent %d requests, the first %s %s", len(reqs), reqs[0].Method, reqs[0].Path)
	}

	// deactivate offers what is active or pending when something is.
	if r := w.run("activate", "Security Reader"); r.code != 0 {
		t.Fatalf("activate: %+v", r)
	}
	w.saveLastKnownState()
	w.fake.ResetLog()
	if names, _ := w.complete("deactivate", ""); strings.Join(names, "|") != "Security Reader" {
		t.Errorf("deactivate offers %q, want the active Security Reader", names)
	}
	if names, _ := w.complete("activate", ""); len(names) != 9 {
		t.Errorf("activate offers %q, want all 9 names", names)
	}
	if reqs := w.fake.Requests(); len(reqs) != 0 {
		t.Errorf("completion sent %d requests", len(reqs))
	}
}

// TestCompletionScriptFixes: pimtray's fixes to cobra's bash, zsh and fish scripts still apply to
// the cobra it is built with (the scripts themselves are run in their shells by
// testdata/script/completion_*.txtar, where the shells are installed).
func TestCompletionScriptFixes(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	for shell, want := range map[string]string{
		"bash":       "        quoted=${cur:0:1}\n",
		"zsh":        "[[ -z $compstate[quote] ]] && cur=${(Q)PREFIX}",
		"fish":       " __complete $escapedArgs $lastArg\"",
		"powershell": "Register-ArgumentCompleter -CommandName 'pimtray'",
	} {
		r := w.run("completion", shell)
		if r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Errorf("completion %s: exit %d, stderr %q, script has %q: %v", shell, r.code, r.stderr, want, strings.Contains(r.stdout, want))
		}
	}
}
