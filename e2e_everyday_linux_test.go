//go:build linux

package main

// End-to-end tests of issue 11's everyday flows on the real binary, tray and notification
// bus: a typed justification is remembered, Re-activate keeps the reason and the ticket,
// a failure notice goes when a later try works and every notice goes when pimtray quits.
// The input dialog is a zenity stand-in on PATH (a script that answers as a user types and
// records how it was called): the tests drive zenity's command-line contract, not its window.

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pimtray/pimtray/internal/fakeazure"
	"github.com/pimtray/pimtray/internal/testkit/desktoptest"
	"github.com/pimtray/pimtray/store"
)

var (
	ownerITKey = strings.ToLower("azure|" + fakeazure.DemoTenantID + "|" +
		fakeazure.DemoScopeIT + "/providers/Microsoft.Authorization/roleDefinitions/" + fakeazure.RoleOwner + "|" + fakeazure.DemoScopeIT)
	contributorSubKey = strings.ToLower("azure|" + fakeazure.DemoTenantID + "|" +
		fakeazure.DemoScopeMySubscription + "/providers/Microsoft.Authorization/roleDefinitions/" + fakeazure.RoleContributor + "|" + fakeazure.DemoScopeMySubscription)
)

// ownerIT is the favourite "Owner · IT" (a justification required), asking for d.
func ownerIT(d time.Duration) store.Favourite {
	return store.Favourite{Key: ownerITKey, Tenant: fakeazure.DemoTenantID, Plane: "azure", Role: "Owner",
		RoleID: fakeazure.DemoScopeIT + "/providers/Microsoft.Authorization/roleDefinitions/" + fakeazure.RoleOwner,
		Scope:  fakeazure.DemoScopeIT, ScopeName: "IT", Duration: store.Duration(d)}
}

// contributorSub is "Contributor · MySubscription" (a justification and a ticket required).
func contributorSub(d time.Duration) store.Favourite {
	return store.Favourite{Key: contributorSubKey, Tenant: fakeazure.DemoTenantID, Plane: "azure", Role: "Contributor",
		RoleID: fakeazure.DemoScopeMySubscription + "/providers/Microsoft.Authorization/roleDefinitions/" + fakeazure.RoleContributor,
		Scope:  fakeazure.DemoScopeMySubscription, ScopeName: "MySubscription", Duration: store.Duration(d)}
}

// zenityStandIn puts a zenity on the children's PATH that prints answer (as a user types
// it and presses OK) and appends its arguments, one call per line, to the returned file.
func (w *world) zenityStandIn(t *testing.T, answer string) (calls func() []string) {
	t.Helper()
	return w.fakeZenity(t, "printf '%s\\n' '"+answer+"'\n")
}

// armRequest is what the tests read of an ARM schedule request's body.
type armRequest struct {
	Properties struct {
		RequestType   string `json:"requestType"`
		Justification string `json:"justification"`
		TicketInfo    struct {
			TicketNumber string `json:"ticketNumber"`
		} `json:"ticketInfo"`
		ScheduleInfo struct {
			StartDateTime string `json:"startDateTime"`
		} `json:"scheduleInfo"`
	} `json:"properties"`
}

func armBody(t *testing.T, body string) armRequest {
	t.Helper()
	var r armRequest
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatalf("request body %q: %v", body, err)
	}
	return r
}

func savedFavourite(t *testing.T, w *world, key string) store.Favourite {
	t.Helper()
	cfg, err := store.LoadConfig(w.configFile())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range cfg.Favourites {
		if f.Key == key {
			return f
		}
	}
	t.Fatalf("no favourite %s in the configuration", key)
	return store.Favourite{}
}

// A click on a favourite that needs a reason asks once; the answer is saved to the
// favourite, and the next click asks nothing and sends it again.
func TestE2EATypedJustificationIsRememberedForTheNextClick(t *testing.T) {
	t.Parallel()
	// 5s: the answer saved and the countdown came within 0.2 s of the click on two cores at a
	// load average of 20; the second click waits for the end. The favourite asks for an hour,
	// the role's policy allows only dur (see shortPolicy).
	const dur = 5 * time.Second
	w := newWorld(t, worldOptions{Favourites: []store.Favourite{ownerIT(time.Hour)}, Tenant: shortPolicy(dur)})
	w.signIn()
	calls := w.zenityStandIn(t, "patch night")
	desktoptest.StartNotifyServer(t, w.bus, desktoptest.NotifyOptions{})
	watcher := desktoptest.StartWatcher(t, w.bus)
	w.fake.ResetLog()
	w.startTray()
	item := watcher.WaitForItem(t, e2eTimeout)
	const ready = "Owner · IT — activate (5s)"
	m := item.WaitForMenu(t, e2eTimeout, "the favourite", func(m *desktoptest.MenuNode) bool { return m.FindByLabel(ready) != nil })

	item.Click(t, m.FindByLabel(ready).ID)
	waitFor(t, e2eTimeout, "the first activation", func() bool { return len(w.scheduleRequests()) == 1 })
	if c := calls(); len(c) != 1 || !strings.HasPrefix(c[0], "--entry | --title | Justification for Owner · IT") {
		t.Fatalf("dialogs: %q", c)
	}
	if j := armBody(t, w.scheduleRequests()[0].Body).Properties.Justification; j != "patch night" {
		t.Fatalf("sent justification %q", j)
	}
	waitFor(t, e2eTimeout, "the answer saved to the favourite", func() bool {
		return savedFavourite(t, w, ownerITKey).Justification == "patch night"
	})

	// It runs out (5s); the next click asks nothing.
	countdown := regexp.MustCompile(`^Owner · IT — \d+s left$`)
	item.WaitForMenu(t, e2eTimeout, "the countdown", func(m *desktoptest.MenuNode) bool { return countdown.MatchString(label(m, "Owner · IT — ")) })
	m = item.WaitForMenu(t, dur+e2eTimeout, "activate again after the end", func(m *desktoptest.MenuNode) bool { return m.FindByLabel(ready) != nil })
	item.Click(t, m.FindByLabel(ready).ID)
	waitFor(t, e2eTimeout, "the second activation", func() bool { return len(w.scheduleRequests()) == 2 })
	if c := calls(); len(c) != 1 {
		t.Fatalf("the second click asked again: %q", c)
	}
	if j := armBody(t, w.scheduleRequests()[1].Body).Properties.Justification; j != "patch night" {
		t.Fatalf("the second click sent justification %q", j)
	}
}

// A role that needs a reason and a ticket asks one form; Re-activate from the reminder
// asks nothing and sends both again (the fake's request log); at quit pimtray withdraws
// the notices it still has on screen.
func TestE2EReactivateFromTheReminderKeepsReasonAndTicket(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{Favourites: []store.Favourite{contributorSub(6 * time.Minute)}, Reminders: []string{"5m57s"},
		AcceptScheduledExtension: true})
	w.signIn()
	calls := w.zenityStandIn(t, "change window\x1fCHG-42")
	notes := desktoptest.StartNotifyServer(t, w.bus, desktoptest.NotifyOptions{})
	watcher := desktoptest.StartWatcher(t, w.bus)
	w.fake.ResetLog()
	tr := w.startTray()
	item := watcher.WaitForItem(t, e2eTimeout)
	const ready = "Contributor · MySubscription — activate (6m) · ticket" // what it needs, from its policy
	m := item.WaitForMenu(t, e2eTimeout, "the favourite", func(m *desktoptest.MenuNode) bool { return m.FindByLabel(ready) != nil })
	item.Click(t, m.FindByLabel(ready).ID)
	waitFor(t, e2eTimeout, "the activation", func() bool { return len(w.scheduleRequests()) == 1 })
	c := calls()
	if len(c) != 1 || !strings.HasPrefix(c[0], "--forms | --title | Activate Contributor · MySubscription") ||
		!strings.Contains(c[0], "--add-entry | Justification | --add-entry | Ticket number") {
		t.Fatalf("want one form with both fields; dialogs: %q", c)
	}
	first := armBody(t, w.scheduleRequests()[0].Body)
	if first.Properties.Justification != "change window" || first.Properties.TicketInfo.TicketNumber != "CHG-42" {
		t.Fatalf("first request %+v", first.Properties)
	}

	rem := notes.WaitForNotification(t, e2eTimeout, "the reminder", func(n desktoptest.Notification) bool {
		return strings.HasPrefix(n.Summary, "Contributor · MySubscription ends in")
	})
	if !slices.Contains(rem.ActionKeys(), "reactivate") {
		t.Fatalf("reminder without Re-activate: %+v", rem)
	}
	notes.InvokeAction(t, rem.ID, "reactivate")
	waitFor(t, e2eTimeout, "the re-activation", func() bool { return len(w.scheduleRequests()) == 2 })
	re := armBody(t, w.scheduleRequests()[1].Body)
	if re.Properties.Justification != "change window" || re.Properties.TicketInfo.TicketNumber != "CHG-42" || re.Properties.ScheduleInfo.StartDateTime == "" {
		t.Fatalf("re-activation request %+v: want the same reason and ticket, starting at the end", re.Properties)
	}
	if c := calls(); len(c) != 1 {
		t.Fatalf("the re-activation asked: %q", c)
	}
	follow := notes.WaitForNotification(t, e2eTimeout, "the follow-up", func(n desktoptest.Notification) bool {
		return n.Summary == "Contributor · MySubscription re-activated"
	})

	// Quit: the notice still on screen (the follow-up took the reminder's place) goes.
	if code := tr.stop(); code != 0 {
		t.Fatalf("tray exit %d", code)
	}
	if closed := notes.ClosedByClient(); !slices.Contains(closed, follow.ID) {
		t.Fatalf("at quit pimtray closed %v, want %d (its notice on screen)", closed, follow.ID)
	}
}

// "Could not deactivate …" is withdrawn when a later try works, instead of staying on
// screen for ten minutes. (Too early a deactivation can't be clicked any more: Deactivate is
// greyed in the first 5 minutes; here Azure refuses one.)
func TestE2EAFailureNoticeIsWithdrawnWhenALaterTryWorks(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{Favourites: []store.Favourite{securityReader(time.Hour)}})
	w.signIn()
	notes := desktoptest.StartNotifyServer(t, w.bus, desktoptest.NotifyOptions{})
	watcher := desktoptest.StartWatcher(t, w.bus)
	tr := w.startTray()
	item := watcher.WaitForItem(t, e2eTimeout)
	item.WaitForMenu(t, e2eTimeout, "the favourite", func(m *desktoptest.MenuNode) bool {
		return m.FindByLabel("Security Reader — activate (1h)") != nil && m.FindByLabel("Refresh") != nil
	})
	// Active for 6 minutes (Deactivate is offered from the 5th): a deactivation Azure
	// refuses once, then a second click that works.
	w.activateElsewhere(securityReaderKey, 6*time.Minute, time.Hour)
	w.fake.InjectFault(fakeazure.Fault{Kind: fakeazure.FaultStatus, Status: 400, Method: "POST", Path: "roleAssignmentScheduleRequests", Count: 1})
	deactivate := func() {
		m := item.WaitForMenu(t, e2eTimeout, "Deactivate in the active role's submenu", func(m *desktoptest.MenuNode) bool {
			n := m.FindByLabel(label(m, "Security Reader — "))
			return n != nil && n.FindByLabel("Deactivate") != nil && n.FindByLabel("Deactivate").Enabled && strings.HasSuffix(n.Label, "left")
		})
		d := m.FindByLabel(label(m, "Security Reader — ")).FindByLabel("Deactivate")
		item.Click(t, d.ID)
	}
	item.ClickLabel(t, "Refresh") // the tray reads the activation made elsewhere
	deactivate()                  // Azure refuses (the injected fault)
	failed := notes.WaitForNotification(t, e2eTimeout, "the failure notice", func(n desktoptest.Notification) bool {
		return strings.HasPrefix(n.Summary, "Could not deactivate Security Reader")
	})
	deactivate()
	waitFor(t, e2eTimeout, "the failure notice withdrawn", func() bool { return slices.Contains(notes.ClosedByClient(), failed.ID) })
	if _, ok := w.activation(fakeazure.RoleSecurityReader); ok {
		t.Fatal("Security Reader is still active at the fake")
	}

	// Refused again (an activation this time), and then pimtray quits: the failure notice
	// goes with it.
	m := item.WaitForMenu(t, e2eTimeout, "the favourite again", func(m *desktoptest.MenuNode) bool {
		return m.FindByLabel("Security Reader — activate (1h)") != nil
	})
	w.fake.InjectFault(fakeazure.Fault{Kind: fakeazure.FaultStatus, Status: 400, Method: "POST", Path: "roleAssignmentScheduleRequests", Count: 1})
	item.Click(t, m.FindByLabel("Security Reader — activate (1h)").ID)
	again := notes.WaitForNotification(t, e2eTimeout, "the second failure notice", func(n desktoptest.Notification) bool {
		return strings.HasPrefix(n.Summary, "Could not activate Security Reader") && n.ID != failed.ID
	})
	// The menu says why, on a line under the role (most tray hosts never show a tooltip).
	item.WaitForMenu(t, e2eTimeout, "the failure's reason under the role", func(m *desktoptest.MenuNode) bool {
		for i, n := range m.Children {
			if strings.HasPrefix(n.Label, "Security Reader — failed") && i+1 < len(m.Children) {
				next := m.Children[i+1]
				return strings.HasPrefix(next.Label, "    ↳ ") && len(next.Label) > 10 && !next.Enabled
			}
		}
		return false
	})
	if code := tr.stop(); code != 0 {
		t.Fatalf("tray exit %d", code)
	}
	if !slices.Contains(notes.ClosedByClient(), again.ID) {
		t.Fatalf("at quit pimtray closed %v, want the failure notice %d", notes.ClosedByClient(), again.ID)
	}
}

// The demo shows what the README promises: a click on Global Administrator (MFA) says it
// signs in again and activates; a request for User Administrator (approval) is approved by
// the demo tenant's approver after two demo minutes and announced; and under --demo-speed
// the command line beside the tray reads the same demo clock (it said "has ended" for a
// role with hours left).
func TestE2EDemoShowsApprovalStepUpAndSharesItsClock(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{})
	calls := w.zenityStandIn(t, "demo day")
	notes := desktoptest.StartNotifyServer(t, w.bus, desktoptest.NotifyOptions{})
	watcher := desktoptest.StartWatcher(t, w.bus)
	w.startTray("--demo", "--demo-speed", "120")
	item := watcher.WaitForItem(t, e2eTimeout)
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(w.stateDir, store.DemoName, store.DemoName+".log"))
			t.Logf("the demo's log:\n%s", b)
			t.Logf("menu:\n%s", item.Menu(t))
		}
	})

	const ga = "Global Administrator — activate (8h) · MFA" // the label says what it needs
	m := item.WaitForMenu(t, e2eTimeout, "the demo's favourites", func(m *desktoptest.MenuNode) bool { return m.FindByLabel(ga) != nil })
	item.Click(t, m.FindByLabel(ga).ID)
	step := notes.WaitForNotification(t, e2eTimeout, "the step-up notice", func(n desktoptest.Notification) bool {
		return strings.HasPrefix(n.Summary, "Global Administrator needs MFA: signing in again")
	})
	if !strings.Contains(step.Body, "demo tenant's sign-in") || !strings.HasSuffix(step.Summary, "— DEMO") {
		t.Errorf("step-up notice %q / %q", step.Summary, step.Body)
	}
	item.WaitForMenu(t, e2eTimeout, "Global Administrator active", func(m *desktoptest.MenuNode) bool {
		return strings.HasSuffix(label(m, "Global Administrator — "), "left")
	})
	if c := calls(); len(c) != 1 {
		t.Fatalf("dialogs: %q", c)
	}

	// The command line beside the tray: the same demo time, so the role is active with
	// hours left (at 120x, eight demo hours last four real minutes).
	r := w.mustRun(e2eTimeout, "--demo", "status", "--json")
	if !strings.Contains(r.stdout, `"Global Administrator"`) {
		t.Fatalf("status beside the tray:\n%s", r)
	}
	var st struct {
		Roles []struct {
			Role      string    `json:"role"`
			Status    string    `json:"status"`
			ExpiresAt time.Time `json:"expiresAt"`
		} `json:"roles"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatalf("status --json: %v\n%s", err, r.stdout)
	}
	var trayEnd string
	if n := item.Menu(t).FindByLabelPrefix("Global Administrator — "); n != nil {
		trayEnd = n.Label
	}
	found := false
	for _, a := range st.Roles {
		if a.Role == "Global Administrator" && a.Status == "active" && !a.ExpiresAt.IsZero() {
			found = true
		}
	}
	if !found {
		t.Fatalf("the command line does not see Global Administrator active (the tray says %q):\n%s", trayEnd, r.stdout)
	}

	// User Administrator needs approval: from All eligible roles.
	all := item.WaitForMenu(t, e2eTimeout, "All eligible roles", func(m *desktoptest.MenuNode) bool {
		return m.FindByLabelPrefix("User Administrator") != nil
	})
	item.Click(t, all.FindByLabelPrefix("User Administrator").ID)
	notes.WaitForNotification(t, e2eTimeout, "the request sent", func(n desktoptest.Notification) bool {
		return strings.HasPrefix(n.Summary, "User Administrator: request sent")
	})
	approved := notes.WaitForNotification(t, e2eTimeout, "the approval", func(n desktoptest.Notification) bool {
		return strings.HasPrefix(n.Summary, "User Administrator approved")
	})
	if !strings.HasSuffix(approved.Summary, "— DEMO") {
		t.Errorf("approval notice %q", approved.Summary)
	}
}

// With a real notification daemon (dunst under Xvfb): the reminder is on screen while the
// tray runs and gone once it quits.
func TestE2EQuitWithdrawsNoticesFromDunst(t *testing.T) {
	t.Parallel()
	requireTools(t, "apt-get install xvfb dunst", "Xvfb", "dunst", "dunstctl")
	w, _ := reminderScenario(t)
	display := startXvfb(t)
	dunstEnv := startDunst(t, w.bus, display)
	watcher := desktoptest.StartWatcher(t, w.bus)
	tr := w.startTray()
	watcher.WaitForItem(t, e2eTimeout)
	displayed := func() string {
		out, _ := dunstctl(t, dunstEnv, "count", "displayed")
		return strings.TrimSpace(out)
	}
	waitFor(t, e2eTimeout, "dunst to show the reminder", func() bool { return displayed() == "1" })
	if code := tr.stop(); code != 0 {
		t.Fatalf("tray exit %d", code)
	}
	waitFor(t, e2eTimeout, "the reminder gone from dunst after quit", func() bool { return displayed() == "0" })
}
