package pim_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/pimtray/pimtray/internal/fakeazure"
	"github.com/pimtray/pimtray/pim"
)

func startLarge(t *testing.T, history int) (*fakeazure.Server, *pim.Client) {
	t.Helper()
	tenant := fakeazure.Large()
	tenant.PastRequests = history
	s, err := fakeazure.New(fakeazure.Options{Tenants: []*fakeazure.Tenant{tenant}, PageSize: fakeazure.LargePageSize})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	opts := &pim.ClientOptions{Cloud: s.Cloud(), TenantID: fakeazure.LargeTenantID}
	opts.Transport = s.HTTPClient()
	c, err := pim.NewClient(s.Credential(fakeazure.LargeTenantID), opts)
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

// listingCost is the number of Graph and ARM requests an Overview of every plane sends.
func listingCost(t *testing.T, s *fakeazure.Server, c *pim.Client) (int, *pim.Overview) {
	t.Helper()
	s.ResetLog()
	ov, err := c.Overview(context.Background())
	if err != nil || len(ov.Errors) > 0 {
		t.Fatalf("Overview: %v %v", err, ov.Errors)
	}
	n := 0
	for _, r := range s.Requests() {
		if r.Plane != "identity" {
			n++
		}
	}
	return n, ov
}

// On the large tenant the listings cost the same with no history and with 1,000 past requests
// per plane: the open requests are read as such (ARM's status filter, Graph's), and group names
// come with the groups ($expand=group), not one GET each.
func TestOverviewCostDoesNotGrowWithHistory(t *testing.T) {
	t.Parallel()
	s0, c0 := startLarge(t, 0)
	none, ov := listingCost(t, s0, c0)
	s1, c1 := startLarge(t, fakeazure.LargePastRequests)
	long, _ := listingCost(t, s1, c1)
	if none != long {
		t.Errorf("an overview costs %d requests with no history and %d with %d past requests per plane", none, long, fakeazure.LargePastRequests)
	}
	// 3 Entra lists, 3 group lists, 4 pages of Azure eligibilities, 1 of active, 2 of requests
	// (pending approval, and granted for a later start: ARM's status filter takes one status).
	if long > 13 {
		t.Errorf("an overview of %d roles costs %d requests, want at most 13", fakeazure.LargeRoles, long)
	}
	if len(ov.Eligible) != fakeazure.LargeRoles {
		t.Errorf("%d eligible roles, want %d", len(ov.Eligible), fakeazure.LargeRoles)
	}
	for _, r := range s1.Requests() {
		if strings.Contains(r.Path, "/groups/") {
			t.Errorf("a group looked up by itself: %s", r.Path)
		}
	}
	for _, r := range ov.Eligible {
		if r.Plane == pim.PlaneGroup && (r.ScopeName == "" || r.ScopeName == r.Scope) {
			t.Errorf("group without its name: %+v", r)
		}
	}
}

// A pending Azure request is still found among 1,000 past ones, and when ARM refuses the status
// filter the client lists all and keeps the pending ones itself.
func TestAzurePendingWithAndWithoutTheStatusFilter(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, c := startLarge(t, fakeazure.LargePastRequests)
	ov, err := c.Overview(ctx, pim.PlaneAzure)
	if err != nil {
		t.Fatal(err)
	}
	var approval pim.Role
	for _, r := range ov.Eligible {
		if p, err := c.Policy(ctx, r); err == nil && p.Approval && !p.Ticket && !p.MFA {
			approval = r
			break
		}
	}
	if approval.RoleID == "" {
		t.Fatal("no Azure role with approval in the large tenant")
	}
	if a, err := c.Activate(ctx, pim.ActivateRequest{Role: approval, Justification: "change 1"}); err != nil || a.Status != pim.StatusPending {
		t.Fatalf("activate: %+v %v", a, err)
	}
	ov, err = c.Overview(ctx, pim.PlaneAzure)
	if err != nil || len(ov.Pending) != 1 || ov.Pending[0].Role.Key() != approval.Key() {
		t.Fatalf("pending with the status filter: %+v %v", ov.Pending, err)
	}
	s.InjectFault(fakeazure.Fault{Kind: fakeazure.FaultStatus, Status: http.StatusBadRequest, Plane: "azure", Path: "roleAssignmentScheduleRequests", Method: http.MethodGet, Count: 1})
	s.ResetLog()
	ov, err = c.Overview(ctx, pim.PlaneAzure)
	if err != nil || len(ov.Errors) > 0 || len(ov.Pending) != 1 || ov.Pending[0].Role.Key() != approval.Key() {
		t.Fatalf("pending after ARM refused the status filter: %+v %v %v", ov.Pending, err, ov.Errors)
	}
	pages := 0
	for _, r := range s.Requests() {
		if strings.Contains(r.Path, "roleAssignmentScheduleRequests") && !strings.Contains(r.Query, "status") {
			pages++
		}
	}
	if pages != fakeazure.LargePastRequests/fakeazure.LargePageSize+1 {
		t.Errorf("the fallback read %d pages of requests, want all %d", pages, fakeazure.LargePastRequests/fakeazure.LargePageSize+1)
	}
}

// When Graph refuses to expand directoryScope, the administrative units are looked up by id
// and the roles keep their names.
func TestEntraUnitsNamedWithoutTheScopeExpand(t *testing.T) {
	t.Parallel()
	s, c := startLarge(t, 0)
	s.InjectFault(fakeazure.Fault{Kind: fakeazure.FaultStatus, Status: http.StatusBadRequest, Plane: "entra", Path: "roleEligibilityScheduleInstances", Count: 1})
	ov, err := c.Overview(context.Background(), pim.PlaneEntra)
	if err != nil || len(ov.Errors) > 0 {
		t.Fatalf("Overview: %v %v", err, ov.Errors)
	}
	units := 0
	for _, r := range ov.Eligible {
		if r.ScopeType == pim.ScopeAdministrativeUnit {
			units++
			if r.ScopeName == "" || strings.Contains(r.ScopeName, "-") {
				t.Errorf("unit without its name: %+v", r)
			}
		}
	}
	if units != 10 {
		t.Errorf("%d roles on administrative units, want 10", units)
	}
}
