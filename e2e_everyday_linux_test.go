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
	dir := filepath.Join(w.root, "dialog")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(w.root, "zenity-calls")
	script := "#!/bin/sh\nprintf '%s\\037' \"$@\" >> '" + log + "'\necho >> '" + log + "'\nprintf '%s\\n' '" + answer + "'\n"
	if err := os.WriteFile(filepath.Join(dir, "zenity"), []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	w.binPath = dir
	w.extraEnv = append(w.extraEnv, "DISPLAY=:99")
	return func() []string {
		b, _ := os.ReadFile(log)
		var out []string
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if l != "" {
				out = append(out, strings.ReplaceAll(strings.TrimSuffix(l, "\x1f"), "\x1f", " | "))
			}
		}
		return out
	}
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
	const dur = 15 * time.Second
	w := newWorld(t, worldOptions{Favourites: []store.Favourite{ownerIT(dur)}})
	w.signIn()
	calls := w.zenityStandIn(t, "patch night")
	desktoptest.StartNotifyServer(t, w.bus, desktoptest.NotifyOptions{})
	watcher := desktoptest.StartWatcher(t, w.bus)
	w.fake.ResetLog()
	w.startTray()
	item := watcher.WaitForItem(t, e2eTimeout)
	const ready = "Owner · IT — activate (15s)"
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

	// It runs out (15s); the next click asks nothing.
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
	w := newWorld(t, worldOptions{Favourites: []store.Favourite{contributorSub(6 * time.Minute)}, Reminders: []string{"5m57s"},
		AcceptScheduledExtension: true})
	w.signIn()
	calls := w.zenityStandIn(t, "change window\x1fCHG-42")
	notes := desktoptest.StartNotifyServer(t, w.bus, desktoptest.NotifyOptions{})
	watcher := desktoptest.StartWatcher(t, w.bus)
	w.fake.ResetLog()
	tr := w.startTray()
	item := watcher.WaitForItem(t, e2eTimeout)
	const ready = "Contributor · MySubscription — activate (6m)"
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

// "Could not deactivate …" (too early) is withdrawn when a later try works, instead of
// staying on screen for ten minutes.
func TestE2EAFailureNoticeIsWithdrawnWhenALaterTryWorks(t *testing.T) {
	w := newWorld(t, worldOptions{Favourites: []store.Favourite{securityReader(time.Hour)}})
	w.signIn()
	notes := desktoptest.StartNotifyServer(t, w.bus, desktoptest.NotifyOptions{})
	watcher := desktoptest.StartWatcher(t, w.bus)
	w.startTray()
	item := watcher.WaitForItem(t, e2eTimeout)
	const ready = "Security Reader — activate (1h)"
	m := item.WaitForMenu(t, e2eTimeout, "the favourite", func(m *desktoptest.MenuNode) bool { return m.FindByLabel(ready) != nil })
	item.Click(t, m.FindByLabel(ready).ID)
	deactivate := func() {
		m := item.WaitForMenu(t, e2eTimeout, "Deactivate in the active role's submenu", func(m *desktoptest.MenuNode) bool {
			n := m.FindByLabel(label(m, "Security Reader — "))
			return n != nil && n.FindByLabel("Deactivate") != nil && strings.HasSuffix(n.Label, "left")
		})
		d := m.FindByLabel(label(m, "Security Reader — ")).FindByLabel("Deactivate")
		item.Click(t, d.ID)
	}
	deactivate() // within the first 5 minutes: Azure refuses
	failed := notes.WaitForNotification(t, e2eTimeout, "the failure notice", func(n desktoptest.Notification) bool {
		return strings.HasPrefix(n.Summary, "Could not deactivate Security Reader")
	})
	// Five minutes later (the fake's clock) the same click works.
	w.offset.Store(int64(6 * time.Minute))
	defer w.offset.Store(0)
	deactivate()
	waitFor(t, e2eTimeout, "the failure notice withdrawn", func() bool { return slices.Contains(notes.ClosedByClient(), failed.ID) })
	if _, ok := w.activation(fakeazure.RoleSecurityReader); ok {
		t.Fatal("Security Reader is still active at the fake")
	}
}
