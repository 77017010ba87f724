package pim_test

// The approver's side against the fake Azure: what waits for the demo user on each plane, and
// deciding it, with the fake's request log and its requester's side as witnesses.

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pimtray/pimtray/internal/fakeazure"
	"github.com/pimtray/pimtray/pim"
)

var (
	grace = fakeazure.User{ID: "6a1f0c3e-9b2d-4e57-8c4a-d3e2f1a0b9c8", UPN: "grace.hopper@contoso.example", DisplayName: "Grace Hopper"}
	linus = fakeazure.User{ID: "11111111-2222-4333-8444-555555555555", UPN: "linus@contoso.example", DisplayName: "Linus Torvalds"}
)

// decisions counts the decisions sent to the fake (PATCH/PUT of a step or stage).
func decisions(s *fakeazure.Server) int {
	n := 0
	for _, r := range s.Requests() {
		p := strings.ToLower(r.Path)
		if (r.Method == "PATCH" || r.Method == "PUT") && (strings.Contains(p, "/steps/") || strings.Contains(p, "/stages/")) {
			n++
		}
	}
	return n
}

func waitingOf(s *fakeazure.Server, id string) fakeazure.Waiting {
	for _, w := range s.WaitingRequests(fakeazure.DemoTenantID) {
		if strings.EqualFold(w.ID, id) {
			return w
		}
	}
	return fakeazure.Waiting{}
}

func findApproval(t *testing.T, l *pim.Approvals, id string) pim.ApprovalRequest {
	t.Helper()
	for _, a := range l.Items {
		if strings.HasSuffix(strings.ToLower(a.ID), strings.ToLower(id)) {
			return a
		}
	}
	t.Fatalf("request %s not among the %d waiting", id, len(l.Items))
	return pim.ApprovalRequest{}
}

func TestDemoHasTwoRequestsWaitingForApproval(t *testing.T) {
	s, c, clk := startFake(t, fakeazure.Options{})
	s.ResetLog()
	l, err := c.Approvals(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := len(s.Requests()); got != 3 {
		t.Errorf("listing what waits on three planes took %d requests, want 3 (one per plane)", got)
	}
	if len(l.Items) != 2 {
		t.Fatalf("demo: %d requests waiting, want 2: %+v", len(l.Items), l.Items)
	}
	e := findApproval(t, l, fakeazure.DemoWaitingEntraID)
	if e.Plane != pim.PlaneEntra || e.Requester.DisplayName != "Grace Hopper" || e.Requester.UserPrincipalName != "grace.hopper@contoso.example" ||
		e.Role.RoleName != "User Administrator" || e.Role.ScopeName != "Directory" || e.Justification != "Onboard the new interns" ||
		e.TicketNumber != "HR-311" || e.TicketSystem != "ServiceNow" || e.Duration != 2*time.Hour || e.API != "beta" {
		t.Errorf("entra request read as %+v", e)
	}
	if want := clk.Now().Add(-12 * time.Minute); !e.CreatedAt.Equal(want) || !e.ExpiresAt.Equal(want.Add(24*time.Hour)) {
		t.Errorf("asked %v (expires %v), want %v", e.CreatedAt, e.ExpiresAt, want)
	}
	a := findApproval(t, l, fakeazure.DemoWaitingAzureID)
	if a.Plane != pim.PlaneAzure || a.Requester.DisplayName != "Alan Turing" || a.Requester.UserPrincipalName != "alan.turing@contoso.example" ||
		a.Role.RoleName != "Contributor" || a.Role.ScopeName != "rg-web" || a.Role.ScopeType != pim.ScopeResourceGroup ||
		a.Duration != time.Hour || a.API != "2021-01-01-preview" || !strings.HasPrefix(a.ApprovalID, "/providers/Microsoft.Authorization/roleAssignmentApprovals/") {
		t.Errorf("azure request read as %+v", a)
	}
}

func TestApproveAndDenyOnEachPlaneReachTheRequester(t *testing.T) {
	for _, plane := range []pim.Plane{pim.PlaneEntra, pim.PlaneAzure, pim.PlaneGroup} {
		for _, approve := range []bool{true, false} {
			t.Run(string(plane)+map[bool]string{true: "/approve", false: "/deny"}[approve], func(t *testing.T) {
				s, c, _ := startFake(t, fakeazure.Options{})
				w := fakeazure.WaitingRequest{Plane: string(plane), Requester: linus, Justification: "needs it"}
				switch plane {
				case pim.PlaneEntra:
					w.RoleID, w.RoleName = fakeazure.RoleGlobalAdministrator, "Global Administrator"
				case pim.PlaneAzure:
					w.RoleID, w.RoleName, w.Scope, w.ScopeName = fakeazure.RoleOwner, "Owner", fakeazure.DemoScopeIT, "IT"
				case pim.PlaneGroup:
					w.RoleID, w.RoleName, w.Scope, w.ScopeName = "member", "Member", fakeazure.DemoPIMAdminsGroupID, "PIM-Admins"
				}
				id, err := s.RequestApproval(fakeazure.DemoTenantID, w)
				if err != nil {
					t.Fatal(err)
				}
				l, err := c.Approvals(context.Background(), plane)
				if err != nil {
					t.Fatal(err)
				}
				req := findApproval(t, l, id)
				if req.Requester.DisplayName != "Linus Torvalds" || req.Role.RoleName != w.RoleName {
					t.Errorf("read as %+v", req)
				}
				s.ResetLog()
				if err := c.Decide(context.Background(), req, pim.Decision{Approve: approve, Justification: "ok by me"}); err != nil {
					t.Fatal(err)
				}
				if n := decisions(s); n != 1 {
					t.Errorf("%d decisions sent, want exactly 1", n)
				}
				if n := len(s.Requests()); n != 2 {
					t.Errorf("deciding took %d requests, want 2 (read the stages, decide)", n)
				}
				got := waitingOf(s, id)
				wantStatus := map[bool]string{true: "Provisioned", false: "Denied"}[approve]
				if got.Status != wantStatus || got.DecidedBy != fakeazure.DemoUserName || got.Justification != "ok by me" {
					t.Errorf("the requester sees %+v, want %s by %s", got, wantStatus, fakeazure.DemoUserName)
				}
				if approve != !got.ActiveFrom.IsZero() {
					t.Errorf("requester's activation from %v (approved %v)", got.ActiveFrom, approve)
				}
				l, err = c.Approvals(context.Background(), plane)
				if err != nil || len(l.Items) != 0 && plane == pim.PlaneGroup {
					t.Errorf("after the decision: %v, %+v", err, l)
				}
				for _, it := range l.Items {
					if strings.HasSuffix(it.ID, id) {
						t.Errorf("the decided request still waits: %+v", it)
					}
				}
			})
		}
	}
}

func TestAnotherApproverFirstIsAlreadyApprovedByName(t *testing.T) {
	for _, plane := range []pim.Plane{pim.PlaneEntra, pim.PlaneAzure, pim.PlaneGroup} {
		t.Run(string(plane), func(t *testing.T) {
			s, c, _ := startFake(t, fakeazure.Options{})
			w := fakeazure.WaitingRequest{Plane: string(plane), Requester: linus, OtherApprovers: []fakeazure.User{grace},
				RoleID: "member", RoleName: "Member", Scope: fakeazure.DemoPIMAdminsGroupID}
			if plane == pim.PlaneEntra {
				w.RoleID, w.RoleName, w.Scope = fakeazure.RoleSecurityReader, "Security Reader", ""
			} else if plane == pim.PlaneAzure {
				w.RoleID, w.RoleName, w.Scope = fakeazure.RoleReader, "Reader", fakeazure.DemoScopeProd
			}
			id, _ := s.RequestApproval(fakeazure.DemoTenantID, w)
			l, err := c.Approvals(context.Background(), plane)
			if err != nil {
				t.Fatal(err)
			}
			req := findApproval(t, l, id)
			if err := s.DecideAs(fakeazure.DemoTenantID, id, grace, true, "done"); err != nil {
				t.Fatal(err)
			}
			s.ResetLog()
			err = c.Decide(context.Background(), req, pim.Decision{Approve: true})
			var de *pim.DecisionError
			if !errors.As(err, &de) || de.Outcome != pim.OutcomeDecided {
				t.Fatalf("got %v, want OutcomeDecided", err)
			}
			if want := "already approved by Grace Hopper."; !strings.HasSuffix(err.Error(), want) {
				t.Errorf("said %q, want it to end %q", err, want)
			}
			if n := decisions(s); n != 0 {
				t.Errorf("%d decisions sent for a request the stages say is decided", n)
			}
		})
	}
}

// The race itself: the stages read in progress, another approver decides before the PATCH: 409,
// then one more read says who.
func TestConflictAtTheDecisionSaysWho(t *testing.T) {
	s, c, _ := startFake(t, fakeazure.Options{})
	id, _ := s.RequestApproval(fakeazure.DemoTenantID, fakeazure.WaitingRequest{Plane: "entra", Requester: linus,
		OtherApprovers: []fakeazure.User{grace}, RoleID: fakeazure.RoleSecurityReader, RoleName: "Security Reader"})
	l, _ := c.Approvals(context.Background(), pim.PlaneEntra)
	req := findApproval(t, l, id)
	if err := s.RaceNextDecision(fakeazure.DemoTenantID, id, grace, false); err != nil {
		t.Fatal(err)
	}
	err := c.Decide(context.Background(), req, pim.Decision{Approve: true})
	if err == nil || !strings.HasSuffix(err.Error(), "already denied by Grace Hopper.") {
		t.Fatalf("got %v", err)
	}
	if got := waitingOf(s, id); got.Status != "Denied" || got.DecidedBy != "Grace Hopper" {
		t.Errorf("requester sees %+v", got)
	}
}

func TestExpiredAndNotYours(t *testing.T) {
	s, c, clk := startFake(t, fakeazure.Options{})
	l, _ := c.Approvals(context.Background())
	req := findApproval(t, l, fakeazure.DemoWaitingEntraID)
	clk.Advance(24 * time.Hour)
	err := c.Decide(context.Background(), req, pim.Decision{Approve: true})
	var de *pim.DecisionError
	if !errors.As(err, &de) || de.Outcome != pim.OutcomeExpired {
		t.Fatalf("a day later: %v, want OutcomeExpired", err)
	}
	if l, _ := c.Approvals(context.Background()); len(l.Items) != 0 {
		t.Errorf("expired requests still listed: %+v", l.Items)
	}
	id, _ := s.RequestApproval(fakeazure.DemoTenantID, fakeazure.WaitingRequest{Plane: "group", Requester: linus, NotMine: true,
		OtherApprovers: []fakeazure.User{grace}, RoleID: "owner", RoleName: "Owner", Scope: fakeazure.DemoBreakGlassGroupID})
	l, _ = c.Approvals(context.Background(), pim.PlaneGroup)
	for _, it := range l.Items {
		if it.ID == id {
			t.Errorf("a request for other approvers is listed for the user")
		}
	}
	stale := pim.ApprovalRequest{Plane: pim.PlaneGroup, ID: id, ApprovalID: "not-known", Requester: pim.Principal{DisplayName: "Linus"}}
	if err := c.Decide(context.Background(), stale, pim.Decision{}); !errors.As(err, &de) || de.Outcome != pim.OutcomeExpired {
		t.Errorf("an approval Azure does not know: %v", err)
	}
	// Someone else's approval (the caller is no approver of it): 403, not yours to decide.
	theirs := pim.ApprovalRequest{Plane: pim.PlaneGroup, ID: id, ApprovalID: waitingOf(s, id).ApprovalID, Requester: pim.Principal{DisplayName: "Linus"}}
	s.ResetLog()
	err = c.Decide(context.Background(), theirs, pim.Decision{Approve: true})
	if !errors.As(err, &de) || de.Outcome != pim.OutcomeNotYours || !strings.HasSuffix(err.Error(), ": not yours to decide (no approval stage is assigned to you).") {
		t.Errorf("someone else's approval: %v", err)
	}
	if n := decisions(s); n != 0 {
		t.Errorf("%d decisions sent for an approval that is not the user's", n)
	}
}

func TestNoPermissionIsUnavailable(t *testing.T) {
	tn := fakeazure.Demo()
	tn.GraphConsent = []string{"User.Read", "RoleEligibilitySchedule.Read.Directory"}
	_, c, _ := startFake(t, fakeazure.Options{Tenants: []*fakeazure.Tenant{tn}})
	l, err := c.Approvals(context.Background(), pim.PlaneEntra, pim.PlaneAzure)
	if err != nil {
		t.Fatal(err)
	}
	if !pim.Unavailable(l.Errors[pim.PlaneEntra]) {
		t.Errorf("entra without RoleAssignmentSchedule consent: %v, want unavailable", l.Errors[pim.PlaneEntra])
	}
	if len(l.Items) != 1 || l.Items[0].Plane != pim.PlaneAzure {
		t.Errorf("azure still listed: %+v", l.Items)
	}
}
