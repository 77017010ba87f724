package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/pimtray/pimtray/internal/app"
	"github.com/pimtray/pimtray/internal/cli"
	"github.com/pimtray/pimtray/internal/engine"
	"github.com/pimtray/pimtray/internal/fakeazure"
	"github.com/pimtray/pimtray/internal/testkit/clocktest"
	"github.com/pimtray/pimtray/pim"
	"github.com/pimtray/pimtray/store"
)

// t0 is 09:00 UTC; the tests show times in UTC.
var t0 = time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)

// world is the fake Azure and a fake clock shared by every command of a test, as separate
// runs of pimtray share the real Azure.
type world struct {
	t      testing.TB
	clk    *clocktest.Fake
	fake   *fakeazure.Server
	dir    string
	config string // config file path
	state  string
}

// newWorld is the fake Azure and a configuration naming its demo tenant (Contoso).
func newWorld(t testing.TB, opts ...func(*fakeazure.Options)) *world {
	t.Helper()
	clk := clocktest.NewFake(t0)
	o := fakeazure.Options{Now: clk.Now}
	for _, f := range opts {
		f(&o)
	}
	fake, err := fakeazure.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	dir := t.TempDir()
	w := &world{t: t, clk: clk, fake: fake, dir: dir, config: filepath.Join(dir, "config.json"), state: filepath.Join(dir, "state", "state.json")}
	w.writeConfig(`{"tenants": [{"id": "` + fakeazure.DemoTenantID + `", "name": "` + fakeazure.DemoTenantName + `"}]}`)
	return w
}

func (w *world) writeConfig(json string) {
	w.t.Helper()
	if err := os.WriteFile(w.config, []byte(json), 0o600); err != nil {
		w.t.Fatal(err)
	}
}

// options open pimtray the way main.go does (internal/app), in the test's folders, on the
// fake clock, with each tenant reached through the fake's test credential (no MSAL).
func (w *world) options() app.Options {
	return app.Options{
		Paths: &store.Paths{ConfigFile: w.config, StateDir: filepath.Dir(w.state), CacheDir: filepath.Join(w.dir, "cache"),
			LogFile: filepath.Join(w.dir, "pimtray.log"), KeyringService: "pimtray-test"},
		Clock:    w.clk,
		Location: time.UTC,
		Backend: func(ctx context.Context, a *app.App, t app.Tenant) (engine.TenantBackend, error) {
			client, err := pim.NewClient(w.fake.Credential(t.Config.ID), &pim.ClientOptions{
				ClientOptions: azcore.ClientOptions{Transport: w.fake.HTTPClient()},
				Cloud:         w.fake.Cloud(), TenantID: t.Config.ID, Now: a.Clock.Now,
			})
			return engine.TenantBackend{ID: t.Config.ID, Name: t.Config.Name, API: client}, err
		},
	}
}

func (w *world) env() cli.Env {
	o := w.options()
	return cli.Env{Version: "1.2.3", Location: time.UTC, Open: app.CommandOpener(o), StateFiles: app.StateFiles(o.Paths)}
}

type result struct {
	code           int
	stdout, stderr string
}

func (w *world) run(args ...string) result {
	w.t.Helper()
	var out, errb bytes.Buffer
	code := cli.Main(context.Background(), args, &out, &errb, w.env())
	return result{code, out.String(), errb.String()}
}

// activations are the activation requests Azure received (not deactivations, not dry runs).
func (w *world) activations() []fakeazure.Request {
	var out []fakeazure.Request
	for _, r := range w.fake.Requests() {
		if (r.Method == "POST" || r.Method == "PUT") && strings.Contains(strings.ToLower(r.Path), "assignmentschedulerequests") &&
			!strings.HasSuffix(r.Path, "/cancel") && !strings.HasSuffix(r.Path, "/validate") &&
			strings.Contains(strings.ToLower(r.Body), "selfactivate") {
			out = append(out, r)
		}
	}
	return out
}

func TestActivate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		code     int
		stdout   string // regexp
		stderr   string // regexp
		requests int    // activation requests at the fake
	}{
		{"seed example: Global Administrator", []string{"--demo", "activate", "Global Administrator", "--reason", "incident 42"},
			0, `(?s)^DEMO — .*\nActivated Global Administrator until 17:00 \(8h\)\.\n$`, `^$`, 1},
		{"seed example: Owner on IT", []string{"--demo", "activate", "Owner", "--scope", "IT", "--reason", "deploy"},
			0, `Activated Owner · IT until 17:00 \(8h\)\.`, `^$`, 1},
		{"seed example: Contributor with a ticket", []string{"--demo", "activate", "Contributor", "--scope", "MySubscription", "--reason", "fix", "--ticket", "CHG-1"},
			0, `Activated Contributor · MySubscription until 17:00 \(8h\)\.`, `^$`, 1},
		{"case-insensitive names and a shorter duration", []string{"activate", "owner", "--scope", "it", "--for", "90m", "--reason", "x"},
			0, `^Activated Owner · IT until 10:30 \(1h 30m\)\.\n$`, `^$`, 1},
		{"flags before the role", []string{"activate", "--reason", "x", "--scope", "rg-web", "Contributor"},
			0, `Activated Contributor · rg-web until 13:00 \(4h\)\.`, `^$`, 1},
		{"default capped at the policy maximum", []string{"activate", "Contributor", "--scope", "rg-web", "--reason", "x"},
			0, `\(4h\)`, `^$`, 1},
		{"scope by id", []string{"activate", "Reader", "--scope", fakeazure.DemoProdSubscriptionID},
			0, `Activated Reader · Prod`, `^$`, 1},
		{"approval: pending, exit 3", []string{"activate", "User Administrator", "--reason", "onboarding"},
			3, `^User Administrator: request sent; it waits for approval\.\n$`, `^$`, 1},
		{"group membership", []string{"activate", "Member", "--scope", "PIM-Admins", "--reason", "x"},
			0, `Activated Member · PIM-Admins until 17:00`, `^$`, 1},
		{"authentication context: one step-up, then granted", []string{"activate", "Exchange Administrator", "--reason", "x"},
			0, `Activated Exchange Administrator`, `^$`, 2},
		{"ambiguous name lists the candidates", []string{"activate", "Contributor", "--reason", "x"},
			2, `^$`, `(?s)^pimtray: "Contributor" matches 2 roles; add --scope to pick one:\n  azure .*MySubscription \(subscription\).*\n  azure .*rg-web \(resource group\).*\n$`, 0},
		{"Owner is ambiguous across planes", []string{"activate", "Owner", "--reason", "x"},
			2, `^$`, `(?s)matches 2 roles.*\n  azure .*IT \(management group\).*\n  group .*Break-Glass \(group\)`, 0},
		{"Contributor never picks AKS Contributor", []string{"activate", "Contributor", "--scope", "MySubscription", "--reason", "x", "--ticket", "1"},
			0, `Activated Contributor · MySubscription`, `^$`, 1},
		{"unknown role with a suggestion", []string{"activate", "Contributer"},
			2, `^$`, `^pimtray: you are not eligible for a role named "Contributer"; did you mean "Contributor"\?\n$`, 0},
		{"unknown role", []string{"activate", "Space Cadet"},
			2, `^$`, `^pimtray: you are not eligible for a role named "Space Cadet" \(see 'pimtray list'\)\n$`, 0},
		{"unknown scope", []string{"activate", "Owner", "--scope", "Nowhere"},
			2, `^$`, `^pimtray: Owner has no scope "Nowhere"; its scopes: IT \(management group\), Break-Glass \(group\)\n$`, 0},
		{"too long: refused before any request", []string{"activate", "Global Administrator", "--for", "100h", "--reason", "x"},
			2, `^$`, `^pimtray: Global Administrator allows at most 8h; 100h was asked\. Ask for --for 8h or less\.\n$`, 0},
		{"missing justification", []string{"activate", "Global Administrator"},
			2, `^$`, `^pimtray: Global Administrator requires a justification\. Add --reason TEXT\.\n$`, 0},
		{"missing ticket", []string{"activate", "Contributor", "--scope", "MySubscription", "--reason", "x"},
			2, `^$`, `^pimtray: Contributor · MySubscription requires a ticket number\. Add --ticket NUMBER\.\n$`, 0},
		{"bad duration", []string{"activate", "Owner", "--scope", "IT", "--for", "8 hours"},
			2, `^$`, `^pimtray: --for "8 hours" is not a duration \(try 8h, 90m or 1h30m\) \(see 'pimtray --help'\)\n$`, 0},
		{"no role", []string{"activate"}, 2, `^$`, `^pimtray: activate needs a ROLE`, 0},
		{"unquoted name", []string{"activate", "Global", "Administrator"}, 2, `^$`, `takes one ROLE, got 2 arguments`, 0},
		{"unknown flag", []string{"activate", "Owner", "--sope", "IT"}, 2, `^$`, `^pimtray: unknown flag: --sope; did you mean --scope\? \(see 'pimtray --help'\)\n$`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			r := w.run(tt.args...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, tt.code, r.stdout, r.stderr)
			}
			if !regexp.MustCompile(tt.stdout).MatchString(r.stdout) {
				t.Errorf("stdout %q does not match %q", r.stdout, tt.stdout)
			}
			if !regexp.MustCompile(tt.stderr).MatchString(r.stderr) {
				t.Errorf("stderr %q does not match %q", r.stderr, tt.stderr)
			}
			if n := len(w.activations()); n != tt.requests {
				t.Errorf("%d activation requests, want %d", n, tt.requests)
			}
		})
	}
}

func TestStatusAfterActivate(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	if r := w.run("--demo", "activate", "Owner", "--scope", "IT", "--reason", "deploy"); r.code != 0 {
		t.Fatalf("activate: %+v", r)
	}
	w.clk.Advance(18 * time.Minute)
	r := w.run("--demo", "status")
	if r.code != 0 {
		t.Fatalf("status: %+v", r)
	}
	for _, want := range []string{"DEMO", "Signed in to Contoso (" + fakeazure.DemoTenantID + ") as admin@contoso.example.",
		"Owner · IT", "active until 17:00 (7h 42m left)"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("status lacks %q:\n%s", want, r.stdout)
		}
	}
	// Again: already active, no second activation kept.
	r = w.run("activate", "Owner", "--scope", "IT", "--reason", "deploy")
	if r.code != 0 || r.stdout != "Owner · IT is already active until 17:00 (7h 42m left).\n" {
		t.Fatalf("second activate: %+v", r)
	}
	// status --json
	r = w.run("status", "--json")
	var st struct {
		Demo     bool
		Accounts []struct{ TenantID, User string }
		Roles    []map[string]any
	}
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || r.code != 0 {
		t.Fatalf("status --json: %v %+v", err, r)
	}
	if len(st.Accounts) != 1 || st.Accounts[0].TenantID != fakeazure.DemoTenantID || len(st.Roles) != 1 {
		t.Fatalf("status json = %+v", st)
	}
	if st.Roles[0]["expiresAt"] != "2025-03-10T17:00:00Z" || st.Roles[0]["status"] != "active" {
		t.Fatalf("role = %+v", st.Roles[0])
	}
}

func TestListJSON(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.run("activate", "Reader", "--scope", "Prod")
	r := w.run("list", "--json")
	if r.code != 0 {
		t.Fatalf("list: %+v", r)
	}
	var roles []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &roles); err != nil {
		t.Fatal(err)
	}
	if len(roles) != 11 {
		t.Fatalf("%d roles, want the demo's 11", len(roles))
	}
	keys := []string{"plane", "role", "roleId", "scope", "scopeName", "scopeType", "status", "startsAt", "expiresAt", "policy", "key"}
	for _, ro := range roles {
		for _, k := range keys {
			if _, ok := ro[k]; !ok {
				t.Fatalf("%v lacks %q", ro["role"], k)
			}
		}
		// The favourite key is what favourites[].key takes: plane|tenant|roleId|scope.
		wantKey := strings.ToLower(fmt.Sprintf("%v|%v|%v|%v", ro["plane"], ro["tenantId"], ro["roleId"], ro["scope"]))
		if ro["key"] != wantKey {
			t.Errorf("%v key = %v, want %s", ro["role"], ro["key"], wantKey)
		}
	}
	find := func(role, scope string) map[string]any {
		for _, ro := range roles {
			if ro["role"] == role && (scope == "" || ro["scopeName"] == scope) {
				return ro
			}
		}
		t.Fatalf("no %s on %s", role, scope)
		return nil
	}
	ga := find("Global Administrator", "")
	if ga == nil {
		return
	}
	want := map[string]any{"maxDuration": "8h", "justification": true, "ticket": false, "approval": false, "mfa": true, "authContext": ""}
	if pol, _ := ga["policy"].(map[string]any); !equalMaps(pol, want) {
		t.Errorf("GA policy = %v", ga["policy"])
	}
	if ga["plane"] != "entra" || ga["status"] != "eligible" || ga["startsAt"] != nil {
		t.Errorf("GA = %v", ga)
	}
	rd := find("Reader", "Prod")
	if rd["status"] != "active" || rd["expiresAt"] != "2025-03-10T17:00:00Z" || rd["scopeType"] != "subscription" || rd["plane"] != "azure" {
		t.Errorf("Reader = %v", rd)
	}
	if ex := find("Exchange Administrator", ""); ex["policy"].(map[string]any)["authContext"] != "c1" {
		t.Errorf("Exchange = %v", ex["policy"])
	}
	if bg := find("Owner", "Break-Glass"); bg["plane"] != "group" || bg["roleId"] != "owner" || bg["policy"].(map[string]any)["approval"] != true {
		t.Errorf("Break-Glass = %v", bg)
	}
	// --active
	r = w.run("list", "--active", "--json")
	if err := json.Unmarshal([]byte(r.stdout), &roles); err != nil || len(roles) != 1 || roles[0]["role"] != "Reader" {
		t.Fatalf("list --active: %v %s", err, r.stdout)
	}
}

func equalMaps(a, b map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range b {
		if a[k] != v {
			return false
		}
	}
	return true
}

func TestListHuman(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.run("--demo", "list")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "DEMO — ") {
		t.Fatalf("list: %+v", r)
	}
	for _, want := range []string{"Global Administrator", "Directory", "max 8h, justification, MFA",
		"Contributor", "rg-web (resource group)", "max 4h", "PIM-Admins (group)", "eligible"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("list lacks %q:\n%s", want, r.stdout)
		}
	}
	if r := w.run("list", "--active"); r.stdout != "Nothing active.\n" {
		t.Errorf("list --active = %q", r.stdout)
	}
}

func TestDeactivate(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.run("activate", "Owner", "--scope", "IT", "--reason", "x")
	// Within 5 minutes Azure refuses: one clear line, exit 1.
	r := w.run("deactivate", "Owner", "--scope", "IT")
	if r.code != 1 || !strings.Contains(r.stderr, "can be deactivated only 5 minutes after it was activated") {
		t.Fatalf("early deactivate: %+v", r)
	}
	w.clk.Advance(10 * time.Minute)
	// "Owner" is ambiguous (IT, Break-Glass) but only one is active: that one.
	r = w.run("deactivate", "Owner")
	if r.code != 0 || r.stdout != "Deactivated Owner · IT.\n" {
		t.Fatalf("deactivate: %+v", r)
	}
	if r := w.run("status"); !strings.Contains(r.stdout, "Nothing active.") {
		t.Fatalf("status after deactivate: %+v", r)
	}
	// A pending request is withdrawn.
	if r := w.run("activate", "User Administrator", "--reason", "x"); r.code != 3 {
		t.Fatalf("pending: %+v", r)
	}
	r = w.run("deactivate", "User Administrator")
	if r.code != 0 || r.stdout != "Withdrew the request for User Administrator.\n" {
		t.Fatalf("withdraw: %+v", r)
	}
}

func TestPendingThenApproved(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.run("activate", "User Administrator", "--reason", "onboarding", "--json")
	if r.code != 3 {
		t.Fatalf("activate: %+v", r)
	}
	var j map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &j); err != nil || j["status"] != "pending" {
		t.Fatalf("json: %v %s", err, r.stdout)
	}
	reqs := w.fake.PendingRequests(fakeazure.DemoTenantID)
	if len(reqs) != 1 {
		t.Fatalf("pending at the fake: %+v", reqs)
	}
	if err := w.fake.Approve(reqs[0].ID); err != nil {
		t.Fatal(err)
	}
	r = w.run("activate", "User Administrator", "--reason", "onboarding")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "User Administrator is already active until 17:00") {
		t.Fatalf("after approval: %+v", r)
	}
}

func TestUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{[]string{"--version"}, 0, "^pimtray 1.2.3\n$", "^$"},
		{[]string{"--help"}, 0, "(?s)^pimtray — .*Exit codes", "^$"},
		{[]string{"help"}, 0, "(?s)Usage:", "^$"},
		{[]string{"frobnicate"}, 2, "^$", `^pimtray: unknown command "frobnicate" \(see 'pimtray --help'\)\n$`},
		{[]string{"lst"}, 2, "^$", `^pimtray: unknown command "lst"; did you mean "list"\? \(see 'pimtray --help'\)\n$`},
		// Unknown flags are echoed as typed, in one line: no usage dump.
		{[]string{"--nope", "list"}, 2, "^$", `^pimtray: unknown flag: --nope \(see 'pimtray --help'\)\n$`},
		{[]string{"list", "--lst"}, 2, "^$", `^pimtray: unknown flag: --lst \(see 'pimtray --help'\)\n$`},
		{[]string{"--lst"}, 2, "^$", `^pimtray: unknown flag: --lst; did you mean the command "list"\? \(see 'pimtray --help'\)\n$`},
		{[]string{"--dmo", "list"}, 2, "^$", `^pimtray: unknown flag: --dmo; did you mean --demo\? \(see 'pimtray --help'\)\n$`},
		{[]string{"list", "--actve"}, 2, "^$", `^pimtray: unknown flag: --actve; did you mean --active\? \(see 'pimtray --help'\)\n$`},
		{[]string{"activate", "-x", "Owner"}, 2, "^$", `^pimtray: unknown shorthand flag: 'x' in -x \(see 'pimtray --help'\)\n$`},
		{[]string{"activate", "Owner", "--for"}, 2, "^$", `^pimtray: flag needs an argument: --for \(see 'pimtray --help'\)\n$`},
		{[]string{"completion"}, 2, "^$", `^pimtray: completion needs one shell: bash, zsh, fish or powershell \(see 'pimtray --help'\)\n$`},
		{[]string{"completion", "tcsh"}, 2, "^$", `^pimtray: completion needs one shell`},
		// Global flags work after the command too.
		{[]string{"list", "--version"}, 0, "^pimtray 1.2.3\n$", "^$"},
		{[]string{"list", "extra"}, 2, "^$", `list takes no arguments`},
		// An explicit configuration must exist (the default one need not).
		{[]string{"--config", "/nonexistent/x.json", "status"}, 2, "^$", `^pimtray: the configuration file /nonexistent/x.json does not exist \(leave out --config to use the default one\)\n$`},
		// A tenant not configured yet is one to sign in to; a name that is no tenant id is bad input.
		{[]string{"status", "--tenant", "contoso.nowhere"}, 0, `^Not signed in to contoso.nowhere: run 'pimtray signin --tenant contoso.nowhere'\.\nWhat is active is unknown until you sign in\.\n$`, "^$"},
		{[]string{"status", "--tenant", "contoso nowhere"}, 2, "^$", `^pimtray: "contoso nowhere" is not a tenant id or domain \(a GUID such as .*\)\n$`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			w := newWorld(t)
			r := w.run(tt.args...)
			if r.code != tt.code || !regexp.MustCompile(tt.stdout).MatchString(r.stdout) || !regexp.MustCompile(tt.stderr).MatchString(r.stderr) {
				t.Fatalf("got exit %d\nstdout: %q\nstderr: %q", r.code, r.stdout, r.stderr)
			}
			if len(w.fake.Requests()) != 0 && tt.code == 2 {
				t.Errorf("bad usage sent %d requests", len(w.fake.Requests()))
			}
		})
	}
}

func TestMalformedConfig(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	os.WriteFile(w.config, []byte("{\n  \"defaultDuration\": \"8 hours\"\n}\n"), 0o600)
	r := w.run("list")
	if r.code != 2 || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, "line 2") {
		t.Fatalf("malformed config: %+v", r)
	}
	if n := len(w.fake.Requests()); n != 0 {
		t.Fatalf("%d requests with a malformed config", n)
	}
}

func TestConfiguredDefaultDuration(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.writeConfig(`{"tenants": [{"id": "` + fakeazure.DemoTenantID + `"}], "defaultDuration": "2h"}`)
	r := w.run("activate", "Security Reader")
	if r.code != 0 || r.stdout != "Activated Security Reader until 11:00 (2h).\n" {
		t.Fatalf("%+v", r)
	}
}

func TestSignInAndOutWithoutAuthenticator(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.run("--demo", "signin")
	if r.code != 0 || !strings.Contains(r.stdout, "Signed in to Contoso as admin@contoso.example.") {
		t.Fatalf("signin: %+v", r)
	}
	r = w.run("signout")
	if r.code != 2 || !strings.Contains(r.stderr, "nothing to sign out of") {
		t.Fatalf("signout: %+v", r)
	}
}

// TestTrayOrCommand: pimtray with no command (global flags only) starts the tray with those
// flags; a command, --version or --help never does.
func TestTrayOrCommand(t *testing.T) {
	t.Parallel()
	for args, want := range map[string]bool{
		"":                   true,
		"--demo":             true,
		"--demo --config x":  true,
		"--demo-speed 60":    true,
		"list":               false,
		"--demo activate GA": false,
		"--version":          false,
		"--help":             false,
		"--bogus":            false,
	} {
		w := newWorld(t)
		env := w.env()
		ran := false
		env.RunTray = func(context.Context, cli.Globals, io.Writer) int { ran = true; return 0 }
		cli.Main(context.Background(), strings.Fields(args), io.Discard, io.Discard, env)
		if ran != want {
			t.Errorf("pimtray %s: tray ran = %v, want %v", args, ran, want)
		}
	}
	env := newWorld(t).env()
	var got cli.Globals
	env.RunTray = func(_ context.Context, g cli.Globals, _ io.Writer) int { got = g; return 0 }
	if code := cli.Main(context.Background(), strings.Fields("--demo --demo-speed 60 --tenant t1 --debug"), io.Discard, io.Discard, env); code != 0 ||
		!got.Demo || got.DemoSpeed != 60 || got.Tenant != "t1" || !got.Debug {
		t.Fatalf("tray globals = %+v, exit %d", got, code)
	}
}

const (
	fabrikamID  = "5e1f0c2a-9b7d-4c3e-8f6a-1d2b3c4d5e6f"
	fabrikamSub = "/subscriptions/aa11bb22-cc33-dd44-ee55-ff6677889900"
)

// twoTenants is the demo tenant and Fabrikam, where the user is a guest with an Owner role
// on one subscription and a group whose Graph permissions nobody consented.
func twoTenants(t *testing.T) (*world, cli.Env) {
	fab := fakeazure.NewTenant(fabrikamID, "Fabrikam", fakeazure.User{ID: "0f0f0f0f-1111-2222-3333-444455556666",
		UPN: "admin_contoso.example#EXT#@fabrikam.example", DisplayName: "Alex Admin (guest)"})
	fab.AddAzureRole(fakeazure.AzureRole{RoleDefinitionID: fakeazure.RoleOwner, Name: "Owner", Scope: fabrikamSub, ScopeName: "FabSub",
		Policy: fakeazure.Policy{MaxDuration: 2 * time.Hour}})
	fab.AddGroup(fakeazure.Group{Name: "Fab-Admins", Member: &fakeazure.Policy{MaxDuration: time.Hour}})
	fab.GraphConsent = []string{"User.Read", "RoleEligibilitySchedule.Read.Directory",
		"RoleAssignmentSchedule.ReadWrite.Directory", "RoleManagementPolicy.Read.Directory"}
	w := newWorld(t, func(o *fakeazure.Options) { o.Tenants = []*fakeazure.Tenant{fakeazure.Demo(), fab} })
	w.writeConfig(`{"tenants": [{"id": "` + fakeazure.DemoTenantID + `", "name": "Contoso"}, {"id": "` + fabrikamID + `", "name": "Fabrikam"}]}`)
	env := w.env()
	return w, env
}

func TestSeveralTenants(t *testing.T) {
	t.Parallel()
	w, env := twoTenants(t)
	run := func(args ...string) result {
		var out, errb bytes.Buffer
		code := cli.Main(context.Background(), args, &out, &errb, env)
		return result{code, out.String(), errb.String()}
	}
	// Only Fabrikam's roles; its Groups plane lacks consent: one line, the rest still listed.
	r := run("list", "--tenant", "Fabrikam", "--json")
	var roles []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &roles); err != nil || r.code != 0 {
		t.Fatalf("list: %v %+v", err, r)
	}
	if len(roles) != 1 || roles[0]["scopeName"] != "FabSub" || roles[0]["tenantId"] != fabrikamID {
		t.Fatalf("Fabrikam roles = %v", roles)
	}
	if !strings.Contains(r.stderr, "Groups: admin consent needed") || !strings.Contains(r.stderr, "see README") {
		t.Errorf("no plane problem line: %q", r.stderr)
	}
	// "Owner" is ambiguous in Contoso, unique in Fabrikam.
	if r := run("activate", "Owner", "--reason", "x"); r.code != 2 {
		t.Fatalf("ambiguous across tenants: %+v", r)
	}
	r = run("activate", "Owner", "--tenant", fabrikamID)
	if r.code != 0 || r.stdout != "Activated Owner · FabSub until 11:00 (2h).\n" {
		t.Fatalf("activate in Fabrikam: %+v", r)
	}
	acts := w.activations()
	if len(acts) != 1 || !strings.Contains(acts[0].Path, strings.TrimPrefix(fabrikamSub, "/")) {
		t.Fatalf("activation requests = %+v", acts)
	}
	if r := run("activate", "Reader", "--tenant", "Fabrikam"); r.code != 2 || !strings.Contains(r.stderr, `not eligible for a role named "Reader"`) {
		t.Fatalf("Contoso's role in Fabrikam: %+v", r)
	}
	// status shows both accounts, each with its tenant.
	r = run("status")
	for _, want := range []string{"Signed in to Contoso (" + fakeazure.DemoTenantID + ") as admin@contoso.example.",
		"Signed in to Fabrikam (" + fabrikamID + ") as admin_contoso.example#EXT#@fabrikam.example.", "Owner · FabSub"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("status lacks %q:\n%s", want, r.stdout)
		}
	}
}

// TestRoleSuggestions: a typo'd role or scope name gets "did you mean", one line, exit 2,
// nothing sent.
func TestRoleSuggestions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args   []string
		stderr string
	}{
		{[]string{"activate", "Global Admnistrator"}, `pimtray: you are not eligible for a role named "Global Admnistrator"; did you mean "Global Administrator"?` + "\n"},
		{[]string{"activate", "global admin"}, `pimtray: you are not eligible for a role named "global admin"; did you mean "Global Administrator"?` + "\n"},
		{[]string{"activate", "Exchange"}, `pimtray: you are not eligible for a role named "Exchange"; did you mean "Exchange Administrator"?` + "\n"},
		{[]string{"deactivate", "Securty Reader"}, `pimtray: you are not eligible for a role named "Securty Reader"; did you mean "Security Reader"?` + "\n"},
		{[]string{"activate", "Reader", "--scope", "Prd"}, `pimtray: Reader has no scope "Prd"; did you mean "Prod"?` + "\n"},
		{[]string{"activate", "Owner", "--scope", "Break"}, `pimtray: Owner has no scope "Break"; did you mean "Break-Glass"?` + "\n"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			w := newWorld(t)
			r := w.run(tt.args...)
			if r.code != 2 || r.stdout != "" || r.stderr != tt.stderr {
				t.Fatalf("exit %d\nstdout %q\nstderr %q\nwant   %q", r.code, r.stdout, r.stderr, tt.stderr)
			}
			if n := len(w.activations()); n != 0 {
				t.Errorf("%d activations sent", n)
			}
		})
	}
}
