package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/pimtray/pimtray/internal/fakeazure"
	"github.com/pimtray/pimtray/pim"
)

var linus = fakeazure.User{ID: "11111111-2222-4333-8444-555555555555", UPN: "linus@contoso.example", DisplayName: "Linus Torvalds"}
var grace = fakeazure.User{ID: "6a1f0c3e-9b2d-4e57-8c4a-d3e2f1a0b9c8", UPN: "grace.hopper@contoso.example", DisplayName: "Grace Hopper"}

// approvalListings counts the listings of what waits for the user, per plane.
func approvalListings(s *fakeazure.Server) map[string]int {
	out := map[string]int{}
	for _, r := range s.Requests() {
		if r.Method == "GET" && (strings.Contains(r.Path, "on='approver'") || strings.Contains(r.Path, "on=%27approver%27") ||
			strings.Contains(r.Query, "asApprover") || strings.Contains(r.Query, "asapprover")) {
			out[r.Plane]++
		}
	}
	return out
}

func stageDecisions(s *fakeazure.Server) int {
	n := 0
	for _, r := range s.Requests() {
		p := strings.ToLower(r.Path)
		if (r.Method == "PATCH" || r.Method == "PUT") && (strings.Contains(p, "/steps/") || strings.Contains(p, "/stages/")) {
			n++
		}
	}
	return n
}

func waitingStatus(s *fakeazure.Server, id string) fakeazure.Waiting {
	for _, w := range s.WaitingRequests(fakeazure.DemoTenantID) {
		if strings.EqualFold(w.ID, id) {
			return w
		}
	}
	return fakeazure.Waiting{}
}

func (h *azureHarness) approvals(n int) Snapshot {
	h.t.Helper()
	return h.waitFor("approvals", func(s Snapshot) bool { return len(s.Approvals) == n && !s.Refreshing })
}

func TestDemoApprovalsShowAndAreAnnouncedOnce(t *testing.T) {
	h := newAzureHarness(t, fakeazure.Options{})
	h.start()
	s := h.approvals(2)
	if s.Icon != IconPending || !strings.Contains(s.Tooltip, "2 waiting for your approval") {
		t.Errorf("icon %s, tooltip %q", s.Icon, s.Tooltip)
	}
	a := s.Approvals[0]
	if a.Requester != "Grace Hopper" || a.RoleLabel() != "User Administrator" || a.API != "beta" || a.ID != "c0ffee01" || a.TicketNumber != "HR-311" {
		t.Errorf("first waiting: %+v", a)
	}
	if b := s.Approvals[1]; b.Requester != "Alan Turing" || b.RoleLabel() != "Contributor · rg-web" || b.API != "2021-01-01-preview" {
		t.Errorf("second waiting: %+v", b)
	}
	for range 2 {
		n := h.notice(NoticeApproval)
		if len(n.Actions) != 2 || n.Actions[0] != ActionApprove || n.Actions[1] != ActionDeny || !strings.HasSuffix(n.Title, " asks for your approval") {
			t.Errorf("notice %+v", n)
		}
	}
	// A refresh asked for (the menu's Refresh) lists every plane once, and announces nothing again.
	h.fake.ResetLog()
	h.advance(10 * time.Minute)
	h.e.Refresh()
	h.settle()
	if got := approvalListings(h.fake); got["entra"] != 1 || got["azure"] != 1 || got["group"] != 1 {
		t.Errorf("a refresh listed approvals %v; want one listing per plane", got)
	}
	select {
	case n := <-h.e.Notices():
		if n.Kind == NoticeApproval {
			t.Errorf("announced again: %+v", n)
		}
	default:
	}
}

func TestNewRequestShowsWithinOneRefreshAndApproveSendsOneDecision(t *testing.T) {
	h := newAzureHarness(t, fakeazure.Options{})
	h.start()
	h.approvals(2)
	id, err := h.fake.RequestApproval(fakeazure.DemoTenantID, fakeazure.WaitingRequest{Plane: "entra", Requester: linus,
		RoleID: fakeazure.RoleSecurityReader, RoleName: "Security Reader", Justification: "audit"})
	if err != nil {
		t.Fatal(err)
	}
	h.advance(time.Minute)
	h.e.Refresh()
	s := h.approvals(3)
	n := h.notice(NoticeApproval)
	for strings.HasPrefix(n.Title, "Grace") || strings.HasPrefix(n.Title, "Alan") {
		n = h.notice(NoticeApproval)
	}
	if n.Title != "Linus Torvalds asks for your approval" || !strings.HasPrefix(n.Body, "Security Reader, for 1 hour, asked 1 min ago.") || !strings.Contains(n.Body, "“audit”") {
		t.Errorf("notice %q: %q", n.Title, n.Body)
	}
	short := s.Approvals[2].ID
	h.fake.ResetLog()
	h.prompt.answers = []string{"looks fine"}
	h.e.Approve(short)
	h.notice(NoticeDecided)
	if got := stageDecisions(h.fake); got != 1 {
		t.Errorf("%d decisions sent, want exactly 1", got)
	}
	if w := waitingStatus(h.fake, id); w.Status != "Provisioned" || w.Justification != "looks fine" || w.ActiveFrom.IsZero() {
		t.Errorf("the requester sees %+v", w)
	}
	if q := h.prompt.questions(); len(q) != 1 || q[0].Default != "Approved" || !strings.Contains(q[0].Text, "“audit”") {
		t.Errorf("asked %+v", q)
	}
	h.approvals(2)
}

func TestDenyAsksWhyAndCancelSendsNothing(t *testing.T) {
	h := newAzureHarness(t, fakeazure.Options{})
	h.start()
	s := h.approvals(2)
	h.fake.ResetLog()
	h.e.Deny(s.Approvals[1].ID) // the prompter cancels
	h.settle()
	time.Sleep(50 * time.Millisecond)
	h.settle()
	if q := h.prompt.questions(); len(q) != 1 || !strings.HasPrefix(q[0].Title, "Deny Alan Turing") {
		t.Fatalf("asked %+v", q)
	}
	for _, r := range h.fake.Requests() {
		if strings.Contains(strings.ToLower(r.Path), "approvals/") {
			t.Errorf("cancel sent %s %s", r.Method, r.Path)
		}
	}
	if len(h.e.Snapshot().Approvals) != 2 {
		t.Errorf("cancelled: the entry went")
	}
	h.prompt.answers = []string{"not during the freeze"}
	h.e.Deny(s.Approvals[1].ID)
	h.notice(NoticeDecided)
	if w := waitingStatus(h.fake, fakeazure.DemoWaitingAzureID); w.Status != "Denied" || w.Justification != "not during the freeze" {
		t.Errorf("requester sees %+v", w)
	}
	if got := stageDecisions(h.fake); got != 1 {
		t.Errorf("%d decisions, want 1", got)
	}
}

func TestNotificationButtonApprovesOnce(t *testing.T) {
	h := newAzureHarness(t, fakeazure.Options{})
	h.start()
	h.approvals(2)
	n := h.notice(NoticeApproval)
	h.fake.ResetLog()
	h.prompt.answers = []string{"ok"}
	h.e.NoticeAction(n.ID, ActionApprove)
	h.notice(NoticeDecided)
	if got := stageDecisions(h.fake); got != 1 {
		t.Errorf("%d decisions from the button, want 1", got)
	}
	if w := waitingStatus(h.fake, fakeazure.DemoWaitingEntraID); w.Status != "Provisioned" {
		t.Errorf("requester sees %+v", w)
	}
	h.approvals(1)
}

func TestRaceSaysAlreadyApprovedByNameAndRemovesTheEntry(t *testing.T) {
	for _, plane := range []pim.Plane{pim.PlaneEntra, pim.PlaneAzure, pim.PlaneGroup} {
		t.Run(string(plane), func(t *testing.T) {
			h := newAzureHarness(t, fakeazure.Options{})
			h.start()
			h.approvals(2)
			w := fakeazure.WaitingRequest{Plane: string(plane), Requester: linus, OtherApprovers: []fakeazure.User{grace},
				RoleID: fakeazure.RoleSecurityReader, RoleName: "Security Reader"}
			if plane == pim.PlaneAzure {
				w.RoleID, w.RoleName, w.Scope = fakeazure.RoleReader, "Reader", fakeazure.DemoScopeProd
			} else if plane == pim.PlaneGroup {
				w.RoleID, w.RoleName, w.Scope, w.ScopeName = "member", "Member", fakeazure.DemoPIMAdminsGroupID, "PIM-Admins"
			}
			id, _ := h.fake.RequestApproval(fakeazure.DemoTenantID, w)
			h.e.RefreshApprovals(t.Context())
			h.approvals(3)
			if err := h.fake.RaceNextDecision(fakeazure.DemoTenantID, id, grace, true); err != nil {
				t.Fatal(err)
			}
			h.prompt.answers = []string{"ok"}
			h.e.Approve(id)
			n := h.notice(NoticeFailed)
			if n.Title != "Already decided" || !strings.HasSuffix(n.Body, "already approved by Grace Hopper.") {
				t.Errorf("notice %q: %q", n.Title, n.Body)
			}
			h.approvals(2)
		})
	}
}

func TestDecidedElsewhereIsToldOnceAndItsNoticeWithdrawn(t *testing.T) {
	h := newAzureHarness(t, fakeazure.Options{})
	h.start()
	h.approvals(2)
	first := h.notice(NoticeApproval)
	if err := h.fake.DecideAs(fakeazure.DemoTenantID, fakeazure.DemoWaitingEntraID, grace, true, "done"); err != nil {
		t.Fatal(err)
	}
	h.advance(time.Minute)
	h.e.Refresh()
	h.approvals(1)
	var withdrawn, told bool
	for !(withdrawn && told) {
		n := h.notice2()
		switch {
		case n.Kind == NoticeWithdrawn && n.ID == first.ID:
			withdrawn = true
		case n.Kind == NoticeDecidedElsewhere:
			told = true
			if !strings.Contains(n.Body, "Grace Hopper · User Administrator") {
				t.Errorf("told %q", n.Body)
			}
		}
	}
}

// notice2 is the next notice of any kind.
func (h *harness) notice2() Notice {
	h.t.Helper()
	select {
	case n := <-h.e.Notices():
		return n
	case <-time.After(5 * time.Second):
		h.t.Fatal("timed out waiting for a notice")
	}
	return Notice{}
}

func TestPlaneWithoutPermissionIsSaidOnceAndNotAskedAgain(t *testing.T) {
	tn := fakeazure.Demo()
	tn.GraphConsent = []string{"User.Read", "RoleEligibilitySchedule.Read.Directory", "PrivilegedEligibilitySchedule.Read.AzureADGroup",
		"PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup", "RoleManagementPolicy.Read.Directory", "RoleManagementPolicy.Read.AzureADGroup"}
	h := newAzureHarness(t, fakeazure.Options{Tenants: []*fakeazure.Tenant{tn}})
	h.start()
	s := h.approvals(1)
	if len(s.ApprovalPlanes) != 1 || s.ApprovalPlanes[0].Plane != pim.PlaneEntra || !strings.Contains(s.ApprovalPlanes[0].Message, "not asked again until the next sign-in") {
		t.Errorf("planes %+v", s.ApprovalPlanes)
	}
	h.fake.ResetLog()
	h.advance(2 * time.Hour)
	h.e.RefreshApprovals(t.Context())
	if got := approvalListings(h.fake); got["entra"] != 0 || got["azure"] == 0 {
		t.Errorf("after the 403 the listings were %v: entra must not be asked again", got)
	}
}

// A Windows toast from an earlier run carries its request in its arguments: its Approve still
// acts once the request is listed again.
func TestApproveFromAToastOfAnEarlierRun(t *testing.T) {
	h := newAzureHarness(t, fakeazure.Options{})
	h.start()
	s := h.approvals(2)
	key := "approval|" + strings.ToLower(s.Approvals[1].TenantID+"|"+s.Approvals[1].RequestID)
	h.fake.ResetLog()
	h.prompt.answers = []string{"ok"}
	h.e.NoticeActionFor("toast-of-yesterday", ActionApprove, key)
	h.notice(NoticeDecided)
	if w := waitingStatus(h.fake, fakeazure.DemoWaitingAzureID); w.Status != "Provisioned" || stageDecisions(h.fake) != 1 {
		t.Errorf("requester sees %+v after %d decisions", w, stageDecisions(h.fake))
	}
}

// The polling rule of the timed refreshes, pure: what waited is listed each time, what never
// had anything once an hour, what Azure refused (403/404) never until the next sign-in.
func TestPollRule(t *testing.T) {
	now := t0.Add(10 * time.Hour)
	known := map[pim.Plane]*approverPlane{
		pim.PlaneEntra: {had: true, polled: now.Add(-5 * time.Minute)},
		pim.PlaneAzure: {polled: now.Add(-5 * time.Minute)},
		pim.PlaneGroup: {unavailable: "Groups: no", polled: now.Add(-5 * time.Hour)},
	}
	all := pim.Planes()
	if got := pollRule(all, known, now, false); len(got) != 1 || got[0] != pim.PlaneEntra {
		t.Errorf("timed refresh polls %v, want entra only", got)
	}
	known[pim.PlaneAzure].polled = now.Add(-ApprovalIdlePoll)
	if got := pollRule(all, known, now, false); len(got) != 2 || got[1] != pim.PlaneAzure {
		t.Errorf("an hour later polls %v, want entra and azure", got)
	}
	if got := pollRule(all, known, now, true); len(got) != 2 {
		t.Errorf("a refresh asked for polls %v: everything but the unavailable plane", got)
	}
	if got := pollRule(all, map[pim.Plane]*approverPlane{}, now, false); len(got) != 3 {
		t.Errorf("nothing known: %v, want every plane", got)
	}
}
