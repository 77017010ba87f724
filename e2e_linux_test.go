//go:build linux

package main

// End-to-end tests of the whole app: the real pimtray binary, run as its users run it, on
// a private D-Bus session bus with a real gnome-keyring, a tray host and a notification
// daemon played by the test (internal/testkit/desktoptest) or a real one (dunst), against the fake
// Azure (internal/fakeazure) configured as a custom cloud. Run them with
//
//	go test -count=1 -run E2E -v .
//
// (without -race: the tray child is built without it, and this package has nothing else).
// They skip when dbus-daemon or gnome-keyring-daemon is missing, and fail instead when CI=true.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/pimtray/pimtray/assets"
	"github.com/pimtray/pimtray/internal/fakeazure"
	"github.com/pimtray/pimtray/internal/testkit/desktoptest"
	"github.com/pimtray/pimtray/store"
)

// TestE2ETrayClickActivatesCountsDownAndExpires is issue 4's "Done when": the real tray,
// signed in silently from the keyring, publishes its menu over com.canonical.dbusmenu; a
// click on the favourite sends exactly one activation to the fake Azure, the label turns
// into a countdown that ticks, the icon and tooltip say "expiring", and after the
// (short) activation ends the label reads "activate" again and the icon is idle.
func TestE2ETrayClickActivatesCountsDownAndExpires(t *testing.T) {
	t.Parallel()
	// 5s: what the test watches while it runs (the countdown, one tick, the icon) came within
	// 1.3 s of the click on two cores at a load average of 20. A favourite lasts at least
	// Azure's five minutes, so the role's policy allows only dur: a click asks for the
	// policy's maximum (the label says so once the policy is read, as it is here).
	const dur = 5 * time.Second
	w := newWorld(t, worldOptions{Favourites: []store.Favourite{securityReader(time.Hour)}, Tenant: shortPolicy(dur)})
	w.signIn()
	desktoptest.StartNotifyServer(t, w.bus, desktoptest.NotifyOptions{}) // takes the "has ended" notice
	watcher := desktoptest.StartWatcher(t, w.bus)
	w.fake.ResetLog()

	w.startTray()
	item := watcher.WaitForItem(t, e2eTimeout)
	const ready = "Security Reader — activate (5s)"
	// Ready, and the start's refresh over (while it runs the menu says "Refreshing…").
	m := item.WaitForMenu(t, e2eTimeout, "the favourite ready to activate", func(m *desktoptest.MenuNode) bool {
		return label(m, "Security Reader — ") == ready && m.FindByLabel("Refresh") != nil
	})
	if h := m.Children[0].Label; h != "admin@contoso.example · Contoso" {
		t.Errorf("menu header = %q, want the account and tenant (signed in silently)", h)
	}
	for _, want := range []string{"Activate all favourites", "All eligible roles", "Refresh", "Sign out", "Quit"} {
		if m.FindByLabel(want) == nil {
			t.Errorf("menu lacks %q:\n%s", want, m)
		}
	}
	before := item.Properties(t)
	if got := iconStateOf(t, before); got != assets.StateIdle {
		t.Errorf("icon before the click: %s, want idle", got)
	}
	if before.ToolTip.Title != "pimtray — nothing active" || before.Status != "Active" {
		t.Errorf("before the click: tooltip %q, status %q", before.ToolTip.Title, before.Status)
	}
	if n := len(w.scheduleRequests()); n != 0 {
		t.Fatalf("the tray sent %d activation requests before any click:\n%s", n, describeRequests(w.scheduleRequests()))
	}
	assertSilentTokens(t, w)

	fav := m.FindByLabel(ready)
	item.Click(t, fav.ID)
	// An impatient second click while the request is in flight sends nothing more (the
	// entry may already be gone from the rebuilt menu: then the click just misses).
	_ = item.Event(fav.ID, "clicked")

	// One request at the fake, the label a countdown, the icon "expiring" (5s is well
	// within the first reminder threshold, 15 minutes by default).
	waitFor(t, e2eTimeout, "the activation request at the fake", func() bool { return len(w.scheduleRequests()) > 0 })
	countdown := regexp.MustCompile(`^Security Reader — (\d+)s left$`)
	first := item.WaitForMenu(t, e2eTimeout, "a countdown in the label", func(m *desktoptest.MenuNode) bool {
		return countdown.MatchString(label(m, "Security Reader — "))
	})
	firstLabel := label(first, "Security Reader — ")
	if n := first.FindByLabel(firstLabel); n == nil || n.FindByLabelPrefix("Deactivate (available at ") == nil || n.FindByLabel("Re-activate now") == nil {
		t.Errorf("the active favourite should open a submenu with Re-activate now and Deactivate (greyed in its first 5 minutes):\n%s", first)
	}
	item.WaitForMenu(t, e2eTimeout, "the countdown to tick", func(m *desktoptest.MenuNode) bool {
		l := label(m, "Security Reader — ")
		return countdown.MatchString(l) && l != firstLabel
	})
	active := item.WaitForProperties(t, e2eTimeout, "the expiring icon and tooltip", func(p desktoptest.ItemProperties) bool {
		return iconStateOf(t, p) == assets.StateExpiring && strings.HasPrefix(p.ToolTip.Title, "pimtray — 1 active; Security Reader ends in ")
	})
	if active.Status != "Active" {
		t.Errorf("item status while active = %q", active.Status)
	}

	// Expiry: back to "activate" with no further request.
	item.WaitForMenu(t, dur+e2eTimeout, "the label to read activate again after expiry", func(m *desktoptest.MenuNode) bool {
		return label(m, "Security Reader — ") == ready
	})
	item.WaitForProperties(t, e2eTimeout, "the idle icon after expiry", func(p desktoptest.ItemProperties) bool {
		return iconStateOf(t, p) == assets.StateIdle && p.ToolTip.Title == "pimtray — nothing active"
	})
	reqs := w.scheduleRequests()
	if len(reqs) != 1 {
		t.Fatalf("want exactly one activation request for one click, got %d:\n%s", len(reqs), describeRequests(reqs))
	}
	b := parseScheduleBody(t, reqs[0])
	if reqs[0].Method != "POST" || reqs[0].Status != 201 || b.Action != "selfActivate" || b.ScheduleInfo.Expiration.Duration != "PT5S" {
		t.Errorf("the click's request: %s", describeRequests(reqs))
	}
}

// shortPolicy lets Security Reader and Owner · IT be activated for d at most (keeping their
// other rules), so an activation a test clicks runs out while it watches.
func shortPolicy(d time.Duration) func(*fakeazure.Tenant) {
	return func(tn *fakeazure.Tenant) {
		tn.AddEntraRole(fakeazure.EntraRole{RoleDefinitionID: fakeazure.RoleSecurityReader, Name: "Security Reader",
			Policy: fakeazure.Policy{MaxDuration: d}})
		tn.AddAzureRole(fakeazure.AzureRole{RoleDefinitionID: fakeazure.RoleOwner, Name: "Owner", Scope: fakeazure.DemoScopeIT, ScopeName: "IT",
			Policy: fakeazure.Policy{MaxDuration: d, Justification: true}})
	}
}

// TestE2EOneTrayPerUser is issue 4's "one tray per user": a second tray start says the
// first one is running and exits at once, the command line works beside the tray, and
// once the first tray quits a new one starts.
func TestE2EOneTrayPerUser(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{Favourites: []store.Favourite{securityReader(time.Hour)}})
	w.signIn()
	watcher := desktoptest.StartWatcher(t, w.bus)
	first := w.startTray()
	item := watcher.WaitForItem(t, e2eTimeout)
	item.WaitForMenu(t, e2eTimeout, "the first tray's menu", func(m *desktoptest.MenuNode) bool {
		return label(m, "Security Reader — ") == "Security Reader — activate (1h)"
	})

	second := w.run(e2eTimeout, "--debug")
	if second.code != 0 || !strings.Contains(second.stderr, "pimtray is already running in the tray") {
		t.Errorf("a second tray start should say the first one runs and exit 0:\n%s", second)
	}
	if second.took > 5*time.Second {
		t.Errorf("the second tray took %v to give up; want at once", second.took)
	}
	if got := watcher.Items(); len(got) != 1 {
		t.Errorf("registered tray icons: %q, want the first tray's only", got)
	}

	list := w.mustRun(e2eTimeout, "list")
	if !strings.Contains(list.stdout, "Security Reader") || !strings.Contains(list.stdout, "Reader") {
		t.Errorf("pimtray list beside the tray:\n%s", list)
	}
	if first.Exited() {
		t.Fatalf("the first tray ended: %s", first.Stderr())
	}
	if l := label(item.Menu(t), "Security Reader — "); l != "Security Reader — activate (1h)" {
		t.Errorf("the first tray's menu after the CLI ran: %q", l)
	}

	if code := first.stop(); code != 0 {
		t.Errorf("the tray exited %d on SIGTERM, want 0", code)
	}
	watcher.WaitForItems(t, 0, e2eTimeout)
	w.startTray()
	watcher.WaitForItem(t, e2eTimeout)
}

// reminderScenario is the start of the reminder tests: Security Reader activated 10
// minutes ago (elsewhere) and ending in 3, a favourite asking for 30 minutes, and one
// reminder threshold at 5 minutes, which has passed: the tray raises it at once.
func reminderScenario(t *testing.T) (w *world, oldEnd time.Time) {
	t.Helper()
	w = newWorld(t, worldOptions{Favourites: []store.Favourite{securityReader(30 * time.Minute)}, Reminders: []string{"5m"}})
	w.signIn()
	w.activateElsewhere(securityReaderKey, 10*time.Minute, 3*time.Minute)
	old, ok := w.activation(fakeazure.RoleSecurityReader)
	if !ok {
		t.Fatal("the fake shows no activation of Security Reader")
	}
	w.fake.ResetLog()
	return w, old.End
}

// checkReactivation checks what the fake saw after "Re-activate" on a role active for 10
// minutes: an activation scheduled to start at the current end (refused with
// RoleAssignmentExists, as Azure does), then, since the role has run 5 minutes or more and
// needs no approval, a deactivation and a fresh activation for the favourite's 30 minutes —
// and nothing else. It returns the new end.
func checkReactivation(t *testing.T, w *world, oldEnd time.Time) time.Time {
	t.Helper()
	waitFor(t, e2eTimeout, "three requests at the fake", func() bool { return len(w.scheduleRequests()) >= 3 })
	reqs := w.scheduleRequests()
	if len(reqs) != 3 {
		t.Fatalf("want exactly 3 requests (scheduled activation, deactivation, activation), got %d:\n%s", len(reqs), describeRequests(reqs))
	}
	type want struct {
		status int
		action string
	}
	for i, wt := range []want{{400, "selfActivate"}, {201, "selfDeactivate"}, {201, "selfActivate"}} {
		b := parseScheduleBody(t, reqs[i])
		if reqs[i].Method != "POST" || reqs[i].Status != wt.status || b.Action != wt.action {
			t.Errorf("request %d: want POST %s answered %d; got:\n%s", i+1, wt.action, wt.status, describeRequests(reqs))
		}
	}
	first := parseScheduleBody(t, reqs[0])
	start, err := time.Parse(time.RFC3339Nano, first.ScheduleInfo.StartDateTime)
	if err != nil || start.Sub(oldEnd).Abs() > time.Second {
		t.Errorf("the first try should start at the current end %v; it asked for %q", oldEnd, first.ScheduleInfo.StartDateTime)
	}
	if d := parseScheduleBody(t, reqs[2]).ScheduleInfo.Expiration.Duration; d != "PT30M" {
		t.Errorf("the new activation asked for %s, want the favourite's PT30M", d)
	}
	act, ok := w.activation(fakeazure.RoleSecurityReader)
	if !ok {
		t.Fatal("Security Reader is not active at the fake after the re-activation")
	}
	if left := time.Until(act.End); left < 29*time.Minute || left > 30*time.Minute {
		t.Errorf("the new activation ends in %v, want about 30 minutes", left)
	}
	return act.End
}

// TestE2EReminderReactivateFromNotification is issue 5's "Done when" with a notification
// daemon played by the test: the real tray raises the reminder (summary, body, the
// Re-activate and Dismiss buttons), the user picks Re-activate (ActionInvoked), the fake
// sees exactly the expected requests, a follow-up notification gives the new end time and
// the menu counts down from it.
func TestE2EReminderReactivateFromNotification(t *testing.T) {
	t.Parallel()
	w, oldEnd := reminderScenario(t)
	notes := desktoptest.StartNotifyServer(t, w.bus, desktoptest.NotifyOptions{})
	watcher := desktoptest.StartWatcher(t, w.bus)
	w.startTray()
	item := watcher.WaitForItem(t, e2eTimeout)

	n := notes.WaitForNotification(t, e2eTimeout, "the reminder", func(n desktoptest.Notification) bool {
		return strings.HasPrefix(n.Summary, "Security Reader ends in")
	})
	if n.Summary != "Security Reader ends in 5 minutes" || n.AppName != "pimtray" {
		t.Errorf("reminder: app %q, summary %q", n.AppName, n.Summary)
	}
	if want := "Active until %s. Re-activate to keep your access."; !bodyAt(n.Body, want, oldEnd) {
		t.Errorf("reminder body %q, want %q at %v", n.Body, want, oldEnd)
	}
	if keys := n.ActionKeys(); !slices.Equal(keys, []string{"reactivate", "dismiss"}) ||
		n.ActionLabel("reactivate") != "Re-activate" || n.ActionLabel("dismiss") != "Dismiss" {
		t.Errorf("reminder actions %q", n.Actions)
	}
	// The tray says it too: a countdown under 5 minutes and the "expiring" icon.
	countdown := regexp.MustCompile(`^Security Reader — (3m|2m \d\ds) left$`)
	item.WaitForMenu(t, e2eTimeout, "the countdown of the running activation", func(m *desktoptest.MenuNode) bool {
		return countdown.MatchString(label(m, "Security Reader — "))
	})
	item.WaitForProperties(t, e2eTimeout, "the expiring icon", func(p desktoptest.ItemProperties) bool {
		return iconStateOf(t, p) == assets.StateExpiring
	})
	if reqs := w.scheduleRequests(); len(reqs) != 0 {
		t.Fatalf("the tray sent requests before any action:\n%s", describeRequests(reqs))
	}

	notes.InvokeAction(t, n.ID, "reactivate")
	newEnd := checkReactivation(t, w, oldEnd)

	follow := notes.WaitForNotification(t, e2eTimeout, "the follow-up with the new end", func(n desktoptest.Notification) bool {
		return n.Summary == "Security Reader re-activated"
	})
	if !bodyAt(follow.Body, "Active until %s.", newEnd) {
		t.Errorf("follow-up body %q, want the new end %v", follow.Body, newEnd)
	}
	item.WaitForMenu(t, e2eTimeout, "the new end in the menu", func(m *desktoptest.MenuNode) bool {
		l := label(m, "Security Reader — ")
		return l == "Security Reader — 30m left" || l == "Security Reader — 29m left"
	})
	item.WaitForProperties(t, e2eTimeout, "the active icon", func(p desktoptest.ItemProperties) bool {
		return iconStateOf(t, p) == assets.StateActive
	})
	if reqs := w.scheduleRequests(); len(reqs) != 3 {
		t.Errorf("more requests after the re-activation:\n%s", describeRequests(reqs))
	}
}

// TestE2EReminderReactivateWithDunst is the same flow against a real notification daemon:
// dunst under Xvfb on the private bus. The test sees what pimtray sends it by monitoring
// the bus, and picks "Re-activate" the way a user does, from dunst's action menu
// (dunstctl context, with a dmenu stand-in that chooses the Re-activate line).
func TestE2EReminderReactivateWithDunst(t *testing.T) {
	t.Parallel()
	requireTools(t, "apt-get install xvfb dunst", "Xvfb", "dunst", "dunstctl")
	w, oldEnd := reminderScenario(t)
	display := startXvfb(t)
	dunstEnv := startDunst(t, w.bus, display)
	mon := monitorNotify(t, w.bus)
	watcher := desktoptest.StartWatcher(t, w.bus)
	w.startTray()
	item := watcher.WaitForItem(t, e2eTimeout)

	n := mon.waitForCall(t, e2eTimeout, "Security Reader ends in")
	if n.Summary != "Security Reader ends in 5 minutes" || !bodyAt(n.Body, "Active until %s. Re-activate to keep your access.", oldEnd) {
		t.Errorf("reminder sent to dunst: %q / %q", n.Summary, n.Body)
	}
	if !slices.Contains(n.Actions, "reactivate") || !slices.Contains(n.Actions, "Re-activate") {
		t.Errorf("reminder actions sent to dunst: %q", n.Actions)
	}
	waitFor(t, e2eTimeout, "dunst to show the reminder", func() bool {
		out, _ := dunstctl(t, dunstEnv, "count", "displayed")
		return strings.TrimSpace(out) != "" && strings.TrimSpace(out) != "0"
	})
	if out, err := dunstctl(t, dunstEnv, "context"); err != nil {
		t.Fatalf("dunstctl context: %v\n%s", err, out)
	}

	newEnd := checkReactivation(t, w, oldEnd)
	follow := mon.waitForCall(t, e2eTimeout, "Security Reader re-activated")
	if !bodyAt(follow.Body, "Active until %s.", newEnd) {
		t.Errorf("follow-up body %q, want the new end %v", follow.Body, newEnd)
	}
	item.WaitForMenu(t, e2eTimeout, "the new end in the menu", func(m *desktoptest.MenuNode) bool {
		l := label(m, "Security Reader — ")
		return l == "Security Reader — 30m left" || l == "Security Reader — 29m left"
	})
}

// TestE2ERemindersWithoutNotificationDaemon is issue 5's "no notification daemon": two
// activations end within the reminder threshold and nothing serves notifications on the
// bus. The tray still shows it (the "expiring" icon, both countdowns, the tooltip), the
// failure is logged once (a warning; the second notice's failure only at debug level),
// and the tray keeps working and quits cleanly.
func TestE2ERemindersWithoutNotificationDaemon(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{
		Favourites: []store.Favourite{securityReader(time.Hour), readerProd(time.Hour)},
		Reminders:  []string{"5m"},
		LogLevel:   "debug",
	})
	w.signIn()
	w.activateElsewhere(securityReaderKey, 10*time.Minute, 3*time.Minute)
	w.activateElsewhere(readerProdKey, 10*time.Minute, 4*time.Minute)
	watcher := desktoptest.StartWatcher(t, w.bus)
	tr := w.startTray()
	item := watcher.WaitForItem(t, e2eTimeout)

	countdown := func(role, minutes string) *regexp.Regexp {
		return regexp.MustCompile(`^` + regexp.QuoteMeta(role) + ` — (` + minutes + `m|\dm \d\ds) left$`)
	}
	sr, rp := countdown("Security Reader", "3"), countdown("Reader · Prod", "4")
	item.WaitForMenu(t, e2eTimeout, "both countdowns", func(m *desktoptest.MenuNode) bool {
		return sr.MatchString(label(m, "Security Reader — ")) && rp.MatchString(label(m, "Reader · Prod — "))
	})
	item.WaitForProperties(t, e2eTimeout, "the expiring icon and tooltip", func(p desktoptest.ItemProperties) bool {
		return iconStateOf(t, p) == assets.StateExpiring && strings.HasPrefix(p.ToolTip.Title, "pimtray — 2 active; Security Reader ends in ")
	})

	// Both reminders were due at once; both failed to show. The log says so once.
	const failure = "notifications are not available"
	var log string
	waitFor(t, e2eTimeout, "both reminders' failures in the log", func() bool {
		b, _ := os.ReadFile(w.logFile())
		log = string(b)
		return strings.Count(log, failure) >= 2
	})
	warn, debug := 0, 0
	for _, line := range strings.Split(log, "\n") {
		if !strings.Contains(line, failure) {
			continue
		}
		switch {
		case strings.Contains(line, "level=WARN"):
			warn++
		case strings.Contains(line, "level=DEBUG"):
			debug++
		}
	}
	if warn != 1 || debug < 1 {
		t.Errorf("the notification failure should be a warning once, then debug lines: %d warnings, %d debug; log:\n%s", warn, debug, log)
	}
	if strings.Contains(log, "panic") || strings.Contains(tr.Stderr(), "panic") {
		t.Errorf("a panic in the log or on stderr:\n%s\n%s", log, tr.Stderr())
	}

	// Still working: the menu answers, a refresh runs, and SIGTERM ends it cleanly.
	item.ClickLabel(t, "Refresh")
	item.WaitForMenu(t, e2eTimeout, "the menu after a refresh", func(m *desktoptest.MenuNode) bool {
		return m.FindByLabel("Refresh") != nil && sr.MatchString(label(m, "Security Reader — "))
	})
	if tr.Exited() {
		t.Fatalf("the tray ended:\n%s", tr.Stderr())
	}
	if code := tr.stop(); code != 0 {
		t.Errorf("the tray exited %d on SIGTERM, want 0; stderr:\n%s", code, tr.Stderr())
	}
}

// TestE2EKeyringKeepsTheSignIn is issue 3's keyring "Done when" at the app level: sign in
// with the device code, then a new process (pimtray status) is signed in from the real
// Secret Service without signing in again; with the keyring daemon gone, status answers at
// once (signed out, the sign-in kept in memory only) and a new sign-in works for the run,
// saying "not remembered: keyring unavailable", without touching the sealed file.
func TestE2EKeyringKeepsTheSignIn(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{})
	in := w.signIn()
	if !strings.Contains(in.stdout, ", kept in the keyring.") {
		t.Errorf("sign-in should say it is kept in the keyring:\n%s", in)
	}
	sealed := filepath.Join(w.cacheDir, store.AppName, "signin-"+fakeazure.DemoTenantID+".sealed")
	before, err := os.ReadFile(sealed)
	if err != nil {
		t.Fatalf("the sealed sign-in file: %v", err)
	}

	w.fake.ResetLog()
	w.forgetCommandCache() // signin's check filled it: this status must ask Azure itself
	st := w.mustRun(e2eTimeout, "status")
	want := "Signed in to Contoso (" + fakeazure.DemoTenantID + ") as " + fakeazure.DemoUserUPN + ", kept in the keyring."
	if !strings.Contains(st.stdout, want) {
		t.Errorf("a new process should be signed in from the keyring:\n%s", st)
	}
	assertSilentTokens(t, w)

	// The keyring goes away (its daemon dies; the bus stays).
	if err := w.keyring.Cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	conn := desktoptest.Connect(t, w.bus)
	waitFor(t, e2eTimeout, "the Secret Service to leave the bus", func() bool {
		var has bool
		err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, "org.freedesktop.secrets").Store(&has)
		return err == nil && !has
	})

	st = w.mustRun(e2eTimeout, "status", "--json")
	var status struct {
		Accounts []struct {
			SignedIn bool   `json:"signedIn"`
			Storage  string `json:"storage"`
		} `json:"accounts"`
	}
	if err := json.Unmarshal([]byte(st.stdout), &status); err != nil || len(status.Accounts) != 1 {
		t.Fatalf("status --json: %v\n%s", err, st)
	}
	if a := status.Accounts[0]; a.SignedIn || a.Storage != "memory" {
		t.Errorf("without the keyring a new process is signed out with its sign-in in memory only; got %+v\n%s", a, st)
	}
	if st.took > 10*time.Second {
		t.Errorf("status took %v without the keyring; want an answer within seconds", st.took)
	}
	human := w.mustRun(e2eTimeout, "status")
	if !strings.Contains(human.stdout, "Not signed in to Contoso") {
		t.Errorf("status without the keyring:\n%s", human)
	}

	in = w.mustRun(e2eTimeout, "signin", "--device-code")
	if want := "Signed in to Contoso as " + fakeazure.DemoUserUPN + " — not remembered: keyring unavailable."; !strings.Contains(in.stdout, want) {
		t.Errorf("sign-in without the keyring should work for the run and warn:\n%s", in)
	}
	if in.took > 10*time.Second {
		t.Errorf("sign-in took %v without the keyring", in.took)
	}
	after, err := os.ReadFile(sealed)
	if err != nil || !bytes.Equal(before, after) {
		t.Errorf("the sealed file changed (or went) while the keyring was unavailable: %v", err)
	}
	if files, _ := filepath.Glob(filepath.Join(w.cacheDir, store.AppName, "*")); len(files) != 1 {
		t.Errorf("files in the cache folder: %q, want the sealed file only", files)
	}
}

// TestE2ENoSecretAnywhere is issue 3's secret hygiene over the whole flow, with debug
// logging on everywhere (--debug and "logLevel": "debug"): sign in, list, activate,
// status, and the tray (a refresh and a favourite starred, so it rewrites the
// configuration). Afterwards the fake's secret marker is in no file under the user's home
// and XDG folders (the keyring's folder included), not in the log, not in any child's
// output, and not on the command line of any process of the run (sampled all along). And
// pimtray's files are 0600 in 0700 folders.
func TestE2ENoSecretAnywhere(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{Favourites: []store.Favourite{securityReader(time.Hour)}, LogLevel: "debug"})
	// Controls: the fake's secrets do carry the marker, and the file scan finds it.
	tok, err := w.fake.Credential(fakeazure.DemoTenantID).GetToken(context.Background(),
		policy.TokenRequestOptions{Scopes: []string{w.fake.Cloud().GraphScope()}})
	if err != nil || !strings.Contains(tok.Token, fakeazure.SecretMarker) {
		t.Fatalf("control: the fake's tokens should carry the marker (err %v)", err)
	}
	planted := t.TempDir()
	if err := os.WriteFile(filepath.Join(planted, "leak"), []byte("x"+fakeazure.SecretMarker+"y"), 0o600); err != nil {
		t.Fatal(err)
	}
	if hits, _ := filesContaining(t, planted, fakeazure.SecretMarker); len(hits) != 1 {
		t.Fatalf("control: the scan should find a planted marker, found %q", hits)
	}

	procs := w.watchCommandLines(fakeazure.SecretMarker)
	w.mustRun(e2eTimeout, "signin", "--device-code", "--debug")
	w.mustRun(e2eTimeout, "list", "--debug")
	act := w.mustRun(e2eTimeout, "activate", "Security Reader", "--for", "1h", "--debug")
	if !strings.Contains(act.stdout, "Activated Security Reader until") {
		t.Errorf("activate:\n%s", act)
	}
	w.forgetCommandCache() // so that status asks Azure, with its debug lines
	st := w.mustRun(e2eTimeout, "status", "--debug")
	if !strings.Contains(st.stdout, "Security Reader") || !strings.Contains(st.stderr, "level=DEBUG") {
		t.Errorf("status --debug should show the active role and debug lines:\n%s", st)
	}

	desktoptest.StartNotifyServer(t, w.bus, desktoptest.NotifyOptions{})
	watcher := desktoptest.StartWatcher(t, w.bus)
	tr := w.startTray("--debug")
	item := watcher.WaitForItem(t, e2eTimeout)
	active := regexp.MustCompile(`^Security Reader — (1h 00m|59m) left$`)
	item.WaitForMenu(t, e2eTimeout, "the active favourite", func(m *desktoptest.MenuNode) bool {
		return active.MatchString(label(m, "Security Reader — "))
	})
	item.ClickLabel(t, "Refresh")
	// Make Reader · Prod a favourite from the menu: the tray saves the configuration.
	m := item.WaitForMenu(t, e2eTimeout, "the favourite check box of Reader · Prod", func(m *desktoptest.MenuNode) bool {
		return favouriteToggle(m, "Reader · Prod") != nil
	})
	star := favouriteToggle(m, "Reader · Prod")
	if star == nil {
		t.Fatalf("no favourite check box for Reader · Prod:\n%s", m)
	}
	item.Click(t, star.ID)
	waitFor(t, e2eTimeout, "the configuration to list the new favourite", func() bool {
		b, _ := os.ReadFile(w.configFile())
		return strings.Contains(string(b), readerProdKey)
	})
	if code := tr.stop(); code != 0 {
		t.Errorf("the tray exited %d", code)
	}
	logData, err := os.ReadFile(w.logFile())
	if err != nil || !strings.Contains(string(logData), "level=DEBUG") {
		t.Fatalf("the tray's log should hold debug lines (err %v)", err)
	}

	// The marker is nowhere.
	n, found := procs.result()
	if n == 0 {
		t.Errorf("the command-line watch saw no process of the run")
	}
	for _, f := range found {
		t.Errorf("a command line carries a secret: %s", f)
	}
	roots := []string{w.root, w.keyring.DataDir, w.keyring.HomeDir}
	scanned := 0
	for _, root := range roots {
		hits, files := filesContaining(t, root, fakeazure.SecretMarker)
		scanned += files
		for _, h := range hits {
			t.Errorf("a file carries a secret in plaintext: %s", h)
		}
	}
	t.Logf("scanned %d files and %d command lines of the run's processes", scanned, n)
	if scanned < 5 {
		t.Errorf("only %d files scanned; the run should have written its config, state, log and sealed cache", scanned)
	}
	w.mu.Lock()
	outputs := strings.Join(w.outputs, "\n")
	w.mu.Unlock()
	if strings.Contains(outputs, fakeazure.SecretMarker) {
		t.Errorf("a child's output carries a secret:\n%s", outputs)
	}
	if !strings.Contains(outputs, "level=DEBUG") {
		t.Errorf("the children's output should hold their debug lines")
	}

	// pimtray's folders are 0700 and its files 0600.
	for _, dir := range []string{filepath.Dir(w.configFile()), w.appStateDir(), filepath.Join(w.cacheDir, store.AppName)} {
		checkModes(t, dir)
	}
	for _, f := range []string{w.configFile(), w.logFile(), filepath.Join(w.appStateDir(), "state.json"),
		filepath.Join(w.cacheDir, store.AppName, "signin-"+fakeazure.DemoTenantID+".sealed")} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("expected file: %v", err)
		}
	}
}

// checkModes checks that dir and every folder in it are 0700 and every file 0600.
func checkModes(t *testing.T, dir string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		switch perm := fi.Mode().Perm(); {
		case fi.IsDir() && perm != 0o700:
			t.Errorf("folder %s is %v, want 0700", path, perm)
		case fi.Mode().IsRegular() && perm != 0o600:
			t.Errorf("file %s is %v, want 0600", path, perm)
		}
		return nil
	})
	if err != nil {
		t.Errorf("walk %s: %v", dir, err)
	}
}

// bodyAt reports whether body is format with end's time of day (HH:MM, UTC as the
// children run) filled in. The app may see the end a few milliseconds earlier than the
// fake stores it (Azure's times are truncated on the wire), so a minute boundary just
// before end also counts.
func bodyAt(body, format string, end time.Time) bool {
	for _, at := range []time.Time{end, end.Add(-time.Second)} {
		if body == fmt.Sprintf(format, at.UTC().Format("15:04")) {
			return true
		}
	}
	return false
}

// TestE2EReactivateAfterTheEndActivatesAnew is issue 5's "an action for an activation
// that already ended activates anew": an activation made elsewhere shows up at a refresh,
// runs out, the "has ended" notification comes with its Re-activate button, and picking
// it sends exactly one activation, starting now, for the favourite's duration.
func TestE2EReactivateAfterTheEndActivatesAnew(t *testing.T) {
	t.Parallel()
	// The refresh that shows the activation must end before it does: 0.7 s after the click on
	// two cores at a load average of 20.
	const remaining = 6 * time.Second
	w := newWorld(t, worldOptions{Favourites: []store.Favourite{securityReader(30 * time.Minute)}})
	w.signIn()
	notes := desktoptest.StartNotifyServer(t, w.bus, desktoptest.NotifyOptions{})
	watcher := desktoptest.StartWatcher(t, w.bus)
	w.startTray()
	item := watcher.WaitForItem(t, e2eTimeout)
	m := item.WaitForMenu(t, e2eTimeout, "the favourite and Refresh", func(m *desktoptest.MenuNode) bool {
		return label(m, "Security Reader — ") == "Security Reader — activate (30m)" && m.FindByLabel("Refresh") != nil
	})

	// Activated elsewhere (the tray is up first, so its refresh sees it while it runs).
	w.activateElsewhere(securityReaderKey, 10*time.Minute, remaining)
	old, ok := w.activation(fakeazure.RoleSecurityReader)
	if !ok {
		t.Fatal("the fake shows no activation of Security Reader")
	}
	w.fake.ResetLog()
	item.Click(t, m.FindByLabel("Refresh").ID)
	item.WaitForMenu(t, time.Until(old.End), "the activation made elsewhere to show", func(m *desktoptest.MenuNode) bool {
		return regexp.MustCompile(`^Security Reader — \d+s left$`).MatchString(label(m, "Security Reader — "))
	})
	ended := notes.WaitForNotification(t, time.Until(old.End)+e2eTimeout, "the has-ended notice", func(n desktoptest.Notification) bool {
		return n.Summary == "Security Reader has ended"
	})
	if !slices.Contains(ended.ActionKeys(), "reactivate") {
		t.Errorf("the has-ended notice offers %q, want Re-activate", ended.ActionKeys())
	}
	item.WaitForMenu(t, e2eTimeout, "the favourite ready to activate again", func(m *desktoptest.MenuNode) bool {
		return label(m, "Security Reader — ") == "Security Reader — activate (30m)"
	})
	if reqs := w.scheduleRequests(); len(reqs) != 0 {
		t.Fatalf("requests before the action:\n%s", describeRequests(reqs))
	}

	clicked := time.Now()
	notes.InvokeAction(t, ended.ID, "reactivate")
	follow := notes.WaitForNotification(t, e2eTimeout, "the follow-up", func(n desktoptest.Notification) bool {
		return n.Summary == "Security Reader re-activated"
	})
	reqs := w.scheduleRequests()
	if len(reqs) != 1 {
		t.Fatalf("want exactly one activation, got %d:\n%s", len(reqs), describeRequests(reqs))
	}
	b := parseScheduleBody(t, reqs[0])
	start, err := time.Parse(time.RFC3339Nano, b.ScheduleInfo.StartDateTime)
	if reqs[0].Status != 201 || b.Action != "selfActivate" || b.ScheduleInfo.Expiration.Duration != "PT30M" ||
		err != nil || start.Before(clicked.Add(-time.Second)) || start.After(time.Now()) {
		t.Errorf("the activation should start now for 30 minutes:\n%s", describeRequests(reqs))
	}
	act, ok := w.activation(fakeazure.RoleSecurityReader)
	if !ok || !bodyAt(follow.Body, "Active until %s.", act.End) {
		t.Errorf("follow-up body %q; fake activation %+v", follow.Body, act)
	}
	item.WaitForMenu(t, e2eTimeout, "the new countdown", func(m *desktoptest.MenuNode) bool {
		l := label(m, "Security Reader — ")
		return l == "Security Reader — 30m left" || l == "Security Reader — 29m left"
	})
}
