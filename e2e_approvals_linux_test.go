package main

// The approver's side end to end: the real tray binary on a private D-Bus with the tray
// watcher and a notification server played by the test, the fake Azure's demo tenant with its
// two requests waiting for the user (Grace Hopper's User Administrator, Alan Turing's
// Contributor on rg-web), and a zenity stand-in for the justification dialog.

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pimtray/pimtray/assets"
	"github.com/pimtray/pimtray/internal/fakeazure"
	"github.com/pimtray/pimtray/internal/testkit/desktoptest"
)

// dialogAnswers puts a zenity on the children's PATH that answers from a file: its content
// as typed and OK, or, when the file says CANCEL, the Cancel button (exit 1). Every call is
// logged, one line each.
func (w *world) dialogAnswers(t *testing.T) (answer func(string), calls func() []string) {
	t.Helper()
	dir := filepath.Join(w.root, "dialog")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	file, log := filepath.Join(w.root, "dialog-answer"), filepath.Join(w.root, "dialog-calls")
	script := "#!/bin/sh\nprintf '%s\\037' \"$@\" >> '" + log + "'\necho >> '" + log + "'\n" +
		"a=$(cat '" + file + "')\n[ \"$a\" = CANCEL ] && exit 1\nprintf '%s\\n' \"$a\"\n"
	if err := os.WriteFile(filepath.Join(dir, "zenity"), []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	w.binPath = dir
	w.extraEnv = append(w.extraEnv, "DISPLAY=:99")
	answer = func(a string) {
		if err := os.WriteFile(file, []byte(a), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	calls = func() []string {
		b, _ := os.ReadFile(log)
		var out []string
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if l != "" {
				out = append(out, strings.ReplaceAll(strings.TrimSuffix(l, "\x1f"), "\x1f", " | "))
			}
		}
		return out
	}
	return answer, calls
}

// decisions are the decisions the tray sent the fake (a PATCH of a step or stage, a PUT of an ARM stage).
func (w *world) decisions() []fakeazure.Request {
	var out []fakeazure.Request
	for _, r := range w.fake.Requests() {
		p := strings.ToLower(r.Path)
		if (r.Method == "PATCH" || r.Method == "PUT") && (strings.Contains(p, "/steps/") || strings.Contains(p, "/stages/")) {
			out = append(out, r)
		}
	}
	return out
}

func (w *world) waiting(id string) fakeazure.Waiting {
	for _, x := range w.fake.WaitingRequests(fakeazure.DemoTenantID) {
		if strings.EqualFold(x.ID, id) {
			return x
		}
	}
	return fakeazure.Waiting{}
}

func TestE2EApproveFromTheMenuAndFromTheNotification(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{Approvals: true})
	w.signIn()
	answer, calls := w.dialogAnswers(t)
	notes := desktoptest.StartNotifyServer(t, w.bus, desktoptest.NotifyOptions{})
	watcher := desktoptest.StartWatcher(t, w.bus)
	w.fake.ResetLog()
	w.startTray()
	item := watcher.WaitForItem(t, e2eTimeout)

	// The section at the top, one entry per request, each a submenu.
	m := item.WaitForMenu(t, e2eTimeout, "the approvals section", func(m *desktoptest.MenuNode) bool {
		return m.FindByLabel("Waiting for your approval (2)") != nil
	})
	labels := m.Labels()
	at := func(prefix string) int {
		for i, l := range labels {
			if strings.HasPrefix(l, prefix) {
				return i
			}
		}
		return -1
	}
	sec, grace, alan := at("Waiting for your approval (2)"), at("Grace Hopper · User Administrator · Directory · "), at("Alan Turing · Contributor · rg-web · ")
	if sec < 0 || grace != sec+1 || alan != sec+2 || at("Activate all favourites") < alan {
		t.Fatalf("the section is not at the top with both requests:\n%s", m)
	}
	g := m.FindByLabelPrefix("Grace Hopper · User Administrator")
	if g.FindByLabel("Approve…") == nil || g.FindByLabel("Deny…") == nil || g.FindByLabel("“Onboard the new interns”") == nil {
		t.Errorf("Grace's submenu:\n%s", g)
	}
	p := item.WaitForProperties(t, e2eTimeout, "the pending icon", func(p desktoptest.ItemProperties) bool {
		return iconStateOf(t, p) == assets.StatePending
	})
	if !strings.Contains(p.ToolTip.Title, "2 waiting for your approval") {
		t.Errorf("tooltip %q", p.ToolTip.Title)
	}

	// A notification per request, with Approve and Deny buttons.
	nAlan := notes.WaitForNotification(t, e2eTimeout, "Alan's request", func(n desktoptest.Notification) bool {
		return n.Summary == "Alan Turing asks for your approval"
	})
	if !strings.HasPrefix(nAlan.Body, "Contributor · rg-web, for 1 hour, asked ") {
		t.Errorf("body %q", nAlan.Body)
	}
	if keys := nAlan.ActionKeys(); len(keys) != 2 || keys[0] != "approve" || keys[1] != "deny" ||
		nAlan.ActionLabel("approve") != "Approve" || nAlan.ActionLabel("deny") != "Deny" {
		t.Errorf("actions %q", nAlan.Actions)
	}
	if !strings.Contains(nAlan.Body, "“Hotfix deploy for INC-4821”") {
		t.Errorf("body %q", nAlan.Body)
	}
	if n := len(w.decisions()); n != 0 {
		t.Fatalf("%d decisions before any click", n)
	}

	// Deny from the menu, cancelled in the dialog: nothing is sent.
	answer("CANCEL")
	item.Click(t, g.FindByLabel("Deny…").ID)
	waitFor(t, e2eTimeout, "the deny dialog", func() bool { return len(calls()) == 1 })
	if c := calls()[0]; !strings.Contains(c, "Deny Grace Hopper · User Administrator") {
		t.Errorf("dialog %q", c)
	}
	time.Sleep(500 * time.Millisecond) // a decision would be on its way by now
	if n := len(w.decisions()); n != 0 {
		t.Fatalf("a cancelled deny sent %d decisions", n)
	}

	// Approve from the menu: one decision; the requester sees it approved.
	answer("ok for the interns")
	m = item.Menu(t)
	item.Click(t, m.FindByLabelPrefix("Grace Hopper · User Administrator").FindByLabel("Approve…").ID)
	waitFor(t, e2eTimeout, "Grace's request approved at the fake", func() bool {
		return w.waiting(fakeazure.DemoWaitingEntraID).Status == "Provisioned"
	})
	if x := w.waiting(fakeazure.DemoWaitingEntraID); x.Justification != "ok for the interns" || x.DecidedBy != fakeazure.DemoUserName || x.ActiveFrom.IsZero() {
		t.Errorf("the requester sees %+v", x)
	}
	item.WaitForMenu(t, e2eTimeout, "one request left", func(m *desktoptest.MenuNode) bool {
		return m.FindByLabel("Waiting for your approval (1)") != nil && m.FindByLabelPrefix("Grace Hopper") == nil
	})

	// Approve from the notification's button: one more decision, through ARM.
	notes.InvokeAction(t, nAlan.ID, "approve")
	waitFor(t, e2eTimeout, "Alan's request approved at the fake", func() bool {
		return w.waiting(fakeazure.DemoWaitingAzureID).Status == "Provisioned"
	})
	if d := w.decisions(); len(d) != 2 || d[0].Method != "PATCH" || !strings.Contains(d[0].Path, "/graph/beta/") || d[1].Method != "PUT" {
		t.Errorf("decisions sent: %+v", d)
	}
	item.WaitForMenu(t, e2eTimeout, "the section gone", func(m *desktoptest.MenuNode) bool {
		return m.FindByLabelPrefix("Waiting for your approval") == nil
	})
	item.WaitForProperties(t, e2eTimeout, "the idle icon", func(p desktoptest.ItemProperties) bool {
		return iconStateOf(t, p) == assets.StateIdle
	})

	// Another user asks: it shows with the next refresh, announced once.
	if _, err := w.fake.RequestApproval(fakeazure.DemoTenantID, fakeazure.WaitingRequest{Plane: "entra",
		Requester: fakeazure.User{ID: "11111111-2222-4333-8444-555555555555", UPN: "linus@contoso.example", DisplayName: "Linus Torvalds"},
		RoleID:    fakeazure.RoleSecurityReader, RoleName: "Security Reader", Justification: "audit"}); err != nil {
		t.Fatal(err)
	}
	item.ClickLabel(t, "Refresh")
	item.WaitForMenu(t, e2eTimeout, "Linus's request", func(m *desktoptest.MenuNode) bool {
		return m.FindByLabelPrefix("Linus Torvalds · Security Reader · Directory · ") != nil
	})
	notes.WaitForNotification(t, e2eTimeout, "Linus's request announced", func(n desktoptest.Notification) bool {
		return n.Summary == "Linus Torvalds asks for your approval" && strings.HasPrefix(n.Body, "Security Reader, ")
	})
}

// The same against a real notification daemon: dunst under Xvfb on the private bus. The
// user picks "Approve" from dunst's action menu (dunstctl context, a dmenu stand-in choosing
// the first Approve line): one decision reaches the fake, the requester sees it approved and
// the request leaves the menu.
func TestE2EApproveFromTheNotificationWithDunst(t *testing.T) {
	t.Parallel()
	requireTools(t, "apt-get install xvfb dunst", "Xvfb", "dunst", "dunstctl")
	w := newWorld(t, worldOptions{Approvals: true})
	w.signIn()
	answer, _ := w.dialogAnswers(t)
	answer("approved from dunst")
	display := startXvfb(t)
	dunstEnv := startDunst(t, w.bus, display, "Approve")
	mon := monitorNotify(t, w.bus)
	watcher := desktoptest.StartWatcher(t, w.bus)
	w.fake.ResetLog()
	w.startTray()
	item := watcher.WaitForItem(t, e2eTimeout)
	n := mon.waitForCall(t, e2eTimeout, "Grace Hopper asks for your approval")
	if !slices.Contains(n.Actions, "approve") || !slices.Contains(n.Actions, "Approve") || !slices.Contains(n.Actions, "Deny") {
		t.Errorf("actions sent to dunst: %q", n.Actions)
	}
	waitFor(t, e2eTimeout, "dunst to show both requests", func() bool {
		out, _ := dunstctl(t, dunstEnv, "count", "displayed")
		return strings.TrimSpace(out) == "2"
	})
	if out, err := dunstctl(t, dunstEnv, "context"); err != nil {
		t.Fatalf("dunstctl context: %v\n%s", err, out)
	}
	waitFor(t, e2eTimeout, "one decision at the fake", func() bool { return len(w.decisions()) == 1 })
	g, a := w.waiting(fakeazure.DemoWaitingEntraID), w.waiting(fakeazure.DemoWaitingAzureID)
	approved := g
	if a.Status == "Provisioned" {
		approved = a
	}
	if approved.Status != "Provisioned" || approved.Justification != "approved from dunst" || (g.Status == "Provisioned") == (a.Status == "Provisioned") {
		t.Fatalf("requester's side: %+v / %+v, want exactly one approved", g, a)
	}
	item.WaitForMenu(t, e2eTimeout, "one request left", func(m *desktoptest.MenuNode) bool {
		return m.FindByLabel("Waiting for your approval (1)") != nil && m.FindByLabelPrefix(approved.Requester.DisplayName) == nil
	})
	time.Sleep(300 * time.Millisecond)
	if n := len(w.decisions()); n != 1 {
		t.Errorf("%d decisions, want exactly 1", n)
	}
}
