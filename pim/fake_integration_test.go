package pim_test

// The pim client against the faithful fake Azure (internal/fakeazure), plane by plane: what the
// tray and the command line do every day, with the fake's request log as the witness.

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pimtray/pimtray/internal/fakeazure"
	"github.com/pimtray/pimtray/pim"
)

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func startFake(t *testing.T, o fakeazure.Options) (*fakeazure.Server, *pim.Client, *fakeClock) {
	t.Helper()
	clk := &fakeClock{now: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}
	if o.Now == nil {
		o.Now = clk.Now
	}
	s, err := fakeazure.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	opts := &pim.ClientOptions{Cloud: s.Cloud(), TenantID: fakeazure.DemoTenantID, Now: clk.Now}
	opts.Transport = s.HTTPClient()
	c, err := pim.NewClient(s.Credential(fakeazure.DemoTenantID), opts)
	if err != nil {
		t.Fatal(err)
	}
	return s, c, clk
}

func findRole(t *testing.T, ov *pim.Overview, plane pim.Plane, name, scope string) pim.Role {
	t.Helper()
	for _, r := range ov.Eligible {
		if r.Plane == plane && r.RoleName == name && r.ScopeName == scope {
			return r
		}
	}
	t.Fatalf("no eligible %s %q on %q among %d roles", plane, name, scope, len(ov.Eligible))
	return pim.Role{}
}

// creates counts the requests that create a PIM request (activate, deactivate) at the fake.
func creates(s *fakeazure.Server) int {
	n := 0
	for _, r := range s.Requests() {
		if (r.Method == "POST" || r.Method == "PUT") && strings.Contains(strings.ToLower(r.Path), "assignmentschedulerequests") &&
			!strings.HasSuffix(r.Path, "/cancel") && !strings.HasSuffix(r.Path, "/validate") {
			n++
		}
	}
	return n
}

func TestEachPlaneListsActivatesAndDeactivatesAgainstTheFake(t *testing.T) {
	t.Parallel()
	cases := []struct {
		plane       pim.Plane
		role, scope string
		req         pim.ActivateRequest
	}{
		{pim.PlaneEntra, "Global Administrator", "Directory", pim.ActivateRequest{Justification: "patch night", Duration: 2 * time.Hour}},
		{pim.PlaneAzure, "Contributor", "MySubscription", pim.ActivateRequest{Justification: "change", TicketNumber: "CHG-1", TicketSystem: "ServiceNow", Duration: 3 * time.Hour}},
		{pim.PlaneGroup, "Member", "PIM-Admins", pim.ActivateRequest{Justification: "ops", Duration: time.Hour}},
	}
	for _, c := range cases {
		t.Run(string(c.plane), func(t *testing.T) {
			s, client, clk := startFake(t, fakeazure.Options{})
			ctx := context.Background()
			ov, err := client.Overview(ctx, c.plane)
			if err != nil || len(ov.Errors) > 0 {
				t.Fatalf("overview: %v %v", err, ov.Errors)
			}
			role := findRole(t, ov, c.plane, c.role, c.scope)
			req := c.req
			req.Role = role
			s.ResetLog()
			act, err := client.Activate(ctx, req)
			if err != nil {
				t.Fatalf("activate: %v", err)
			}
			if act.Status != pim.StatusActive || !act.ExpiresAt.Equal(clk.Now().Add(req.Duration)) {
				t.Fatalf("activation %+v, want active until %v", act, clk.Now().Add(req.Duration))
			}
			if n := creates(s); n != 1 {
				t.Fatalf("%d create requests at the fake, want exactly 1: %+v", n, s.Requests())
			}
			// The fake holds it, and the listing shows it with its end.
			ov, _ = client.Overview(ctx, c.plane)
			found := false
			for _, a := range ov.Active {
				if a.Role.Key() == role.Key() && a.ExpiresAt.Equal(act.ExpiresAt) {
					found = true
				}
			}
			if !found {
				t.Fatalf("active listing %+v lacks %s until %v", ov.Active, role.Label(), act.ExpiresAt)
			}
			// Again: already active, a typed error.
			if _, err := client.Activate(ctx, req); !errors.Is(err, pim.ErrAlreadyActive) {
				t.Fatalf("second activation: %v, want ErrAlreadyActive", err)
			}
			// Deactivating at once is refused (5 minutes minimum), later allowed.
			if err := client.Deactivate(ctx, role); !errors.Is(err, pim.ErrTooShort) {
				t.Fatalf("deactivate at once: %v, want ErrTooShort", err)
			}
			clk.Advance(6 * time.Minute)
			if err := client.Deactivate(ctx, role); err != nil {
				t.Fatalf("deactivate after 6 min: %v", err)
			}
			if got := s.Activations(fakeazure.DemoTenantID); len(got) != 0 {
				t.Fatalf("after deactivation the fake still holds %+v", got)
			}
		})
	}
}

func TestApprovalIsPendingThenCancelled(t *testing.T) {
	t.Parallel()
	cases := []struct {
		plane       pim.Plane
		role, scope string
	}{
		{pim.PlaneEntra, "User Administrator", "Directory"},
		{pim.PlaneGroup, "Owner", "Break-Glass"},
	}
	for _, c := range cases {
		t.Run(string(c.plane), func(t *testing.T) {
			s, client, _ := startFake(t, fakeazure.Options{})
			ctx := context.Background()
			ov, _ := client.Overview(ctx, c.plane)
			role := findRole(t, ov, c.plane, c.role, c.scope)
			act, err := client.Activate(ctx, pim.ActivateRequest{Role: role, Justification: "need it", Duration: time.Hour})
			if err != nil {
				t.Fatalf("activate: %v", err)
			}
			if act.Status != pim.StatusPending || !strings.HasPrefix(act.RequestStatus, "Pending") {
				t.Fatalf("activation of an approval role: %+v, want pending", act)
			}
			ov, _ = client.Overview(ctx, c.plane)
			if len(ov.Pending) != 1 || ov.Pending[0].Role.Key() != role.Key() {
				t.Fatalf("open requests %+v, want the one just sent", ov.Pending)
			}
			if err := client.Cancel(ctx, ov.Pending[0]); err != nil {
				t.Fatalf("cancel: %v", err)
			}
			if p := s.PendingRequests(fakeazure.DemoTenantID); len(p) != 0 {
				t.Fatalf("after cancel the fake still has open requests %+v", p)
			}
		})
	}
}

func TestApprovedRequestBecomesActive(t *testing.T) {
	t.Parallel()
	s, client, _ := startFake(t, fakeazure.Options{})
	ctx := context.Background()
	ov, _ := client.Overview(ctx, pim.PlaneEntra)
	role := findRole(t, ov, pim.PlaneEntra, "User Administrator", "Directory")
	act, err := client.Activate(ctx, pim.ActivateRequest{Role: role, Justification: "onboarding", Duration: time.Hour})
	if err != nil || act.Status != pim.StatusPending {
		t.Fatalf("activate: %+v %v", act, err)
	}
	if err := s.Approve(act.RequestID); err != nil {
		t.Fatalf("approve %q: %v", act.RequestID, err)
	}
	ov, _ = client.Overview(ctx, pim.PlaneEntra)
	for _, a := range ov.Active {
		if a.Role.Key() == role.Key() {
			return
		}
	}
	t.Fatalf("approved request is not active: %+v", ov.Active)
}

func TestPolicyRulesAgainstTheFake(t *testing.T) {
	t.Parallel()
	_, client, _ := startFake(t, fakeazure.Options{})
	ctx := context.Background()
	ov, _ := client.Overview(ctx)
	cases := []struct {
		plane       pim.Plane
		role, scope string
		want        pim.Policy
	}{
		{pim.PlaneEntra, "Global Administrator", "Directory", pim.Policy{MaxDuration: 8 * time.Hour, Justification: true, MFA: true}},
		{pim.PlaneEntra, "User Administrator", "Directory", pim.Policy{MaxDuration: 8 * time.Hour, Justification: true, Approval: true}},
		{pim.PlaneEntra, "Security Reader", "Directory", pim.Policy{MaxDuration: 8 * time.Hour}},
		{pim.PlaneEntra, "Exchange Administrator", "Directory", pim.Policy{MaxDuration: 8 * time.Hour, Justification: true, AuthContext: "c1"}},
		{pim.PlaneAzure, "Owner", "IT", pim.Policy{MaxDuration: 8 * time.Hour, Justification: true}},
		{pim.PlaneAzure, "Contributor", "MySubscription", pim.Policy{MaxDuration: 8 * time.Hour, Justification: true, Ticket: true}},
		{pim.PlaneGroup, "Owner", "Break-Glass", pim.Policy{MaxDuration: 2 * time.Hour, Justification: true, Approval: true}},
	}
	for _, c := range cases {
		got, err := client.Policy(ctx, findRole(t, ov, c.plane, c.role, c.scope))
		if err != nil {
			t.Errorf("%s policy: %v", c.role, err)
			continue
		}
		got.Known = false
		if got != c.want {
			t.Errorf("%s on %s: policy %+v, want %+v", c.role, c.scope, got, c.want)
		}
	}
}

func TestPolicyFailuresAreTypedAndNamed(t *testing.T) {
	t.Parallel()
	_, client, _ := startFake(t, fakeazure.Options{})
	ctx := context.Background()
	ov, _ := client.Overview(ctx)
	exch := findRole(t, ov, pim.PlaneEntra, "Exchange Administrator", "Directory")
	_, err := client.Activate(ctx, pim.ActivateRequest{Role: exch, Justification: "x", Duration: time.Hour})
	var pe *pim.Error
	if !errors.As(err, &pe) || pe.Kind != pim.KindAuthContext || !strings.Contains(pe.Claims, `"c1"`) {
		t.Fatalf("Exchange Administrator without c1: %v, want an authentication-context error carrying c1 claims", err)
	}
	ga := findRole(t, ov, pim.PlaneEntra, "Global Administrator", "Directory")
	_, err = client.Activate(ctx, pim.ActivateRequest{Role: ga, Justification: "x", Duration: 100 * time.Hour})
	if !errors.Is(err, pim.ErrPolicy) || err.Error() != "Global Administrator allows at most 8h; 100h was asked." {
		t.Fatalf("100h: %v, want the policy sentence", err)
	}
}

func TestPagingAndConcurrencyAgainstTheFake(t *testing.T) {
	t.Parallel()
	s, client, clk := startFake(t, fakeazure.Options{PageSize: 2})
	ctx := context.Background()
	ov, err := client.Overview(ctx)
	if err != nil || len(ov.Errors) > 0 {
		t.Fatalf("overview: %v %v", err, ov.Errors)
	}
	// Every demo role arrives although the fake pages by two.
	if len(ov.Eligible) != 11 {
		t.Fatalf("%d eligible roles over pages of 2, want the demo's 11", len(ov.Eligible))
	}
	paged := 0
	for _, r := range s.Requests() {
		if strings.Contains(r.Query, "skiptoken") || strings.Contains(r.Query, "page") {
			paged++
		}
	}
	if paged == 0 {
		t.Fatalf("no follow-up page was requested: %+v", s.Requests())
	}

	// The three planes are fetched side by side: at one moment lists of each are in flight
	// at the fake (counted by a gate in front of it, not timed).
	gate := &pim.PlaneGate{Next: s.HTTPClient(), PerPlane: 1}
	opts := &pim.ClientOptions{Cloud: s.Cloud(), TenantID: fakeazure.DemoTenantID, Now: clk.Now}
	opts.Transport = gate
	gated, err := pim.NewClient(s.Credential(fakeazure.DemoTenantID), opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gated.Overview(ctx); err != nil {
		t.Fatal(err)
	}
	if !gate.Met() {
		t.Errorf("the three planes' lists were never in flight together: they are not fetched concurrently")
	}
}
