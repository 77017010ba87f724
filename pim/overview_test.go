package pim

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

func labels(rs []Role) []string {
	var out []string
	for _, r := range rs {
		out = append(out, string(r.Plane)+": "+r.Label()+" ["+r.ScopeType+"]")
	}
	sort.Strings(out)
	return out
}

func TestOverviewListsEveryPlaneWithNames(t *testing.T) {
	t.Parallel()
	s := newStub(t)
	c := s.client(t, nil, nil)
	owner := s.role(PlaneAzure, "Owner", "IT")
	s.activate(owner, stubEpoch.Add(-time.Hour), 3*time.Hour)
	s.activate(s.role(PlaneEntra, "Security Reader", ""), stubEpoch.Add(-10*time.Minute), time.Hour)
	s.activate(s.role(PlaneGroup, "Member", "PIM-Admins"), stubEpoch.Add(-10*time.Minute), 2*time.Hour)
	s.addRequest(s.role(PlaneEntra, "User Administrator", ""), "PendingApproval")
	s.addRequest(s.role(PlaneGroup, "Owner", "Break-Glass"), "PendingApproval")
	s.addRequest(s.role(PlaneAzure, "Reader", "Prod"), "PendingApproval")
	s.addRequest(s.role(PlaneAzure, "AKS Contributor", ""), "Provisioned") // done: not open

	ov, err := c.Overview(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(ov.Errors) != 0 {
		t.Fatalf("errors: %v", ov.Errors)
	}
	want := []string{
		"azure: AKS Contributor · MySubscription [subscription]",
		"azure: Contributor · MySubscription [subscription]",
		"azure: Contributor · rg-web [resourcegroup]",
		"azure: Owner · IT [managementgroup]",
		"azure: Reader · Prod [subscription]",
		"entra: Exchange Administrator [directory]",
		"entra: Global Administrator [directory]",
		"entra: Helpdesk Administrator · Paris [administrativeunit]",
		"entra: Security Reader [directory]",
		"entra: User Administrator [directory]",
		"group: Member · PIM-Admins [group]",
		"group: Owner · Break-Glass [group]",
	}
	if got := labels(ov.Eligible); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("eligible:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if ov.TenantID != stubTenant || !ov.FetchedAt.Equal(stubEpoch) {
		t.Errorf("tenant %q fetched %v", ov.TenantID, ov.FetchedAt)
	}
	// Every eligible role carries what activating it needs.
	for _, r := range ov.Eligible {
		sr := s.role(r.Plane, r.RoleName, r.ScopeName)
		if want := sr.domain(); r != want {
			t.Errorf("eligible role\n got %+v\nwant %+v", r, want)
		}
	}

	if len(ov.Active) != 3 {
		t.Fatalf("active: %+v", ov.Active)
	}
	byLabel := map[string]Activation{}
	for _, a := range ov.Active {
		byLabel[a.Role.Label()] = a
	}
	oa := byLabel["Owner · IT"]
	if oa.Status != StatusActive || oa.AssignmentType != "Activated" || !oa.StartsAt.Equal(stubEpoch.Add(-time.Hour)) ||
		!oa.ExpiresAt.Equal(stubEpoch.Add(2*time.Hour)) || oa.Role.EligibilityID != owner.eligID || oa.Role.Key() != owner.domain().Key() {
		t.Errorf("owner activation: %+v", oa)
	}
	if g := byLabel["Member · PIM-Admins"]; g.AssignmentType != "Activated" || !g.ExpiresAt.Equal(stubEpoch.Add(110*time.Minute)) {
		t.Errorf("group activation: %+v", g)
	}
	if _, ok := byLabel["Security Reader"]; !ok {
		t.Errorf("entra activation missing: %v", byLabel)
	}

	var pending []string
	for _, a := range ov.Pending {
		if a.Status != StatusPending || a.RequestStatus != "PendingApproval" || a.RequestID == "" || a.ExpiresAt.IsZero() {
			t.Errorf("pending: %+v", a)
		}
		pending = append(pending, a.Role.Label())
	}
	sort.Strings(pending)
	if got := strings.Join(pending, ", "); got != "Owner · Break-Glass, Reader · Prod, User Administrator" {
		t.Errorf("pending: %s", got)
	}
}

func TestOverviewLooksUpRoleNamesWhenExpandIsIgnoredAndCachesThem(t *testing.T) {
	t.Parallel()
	s := newStub(t)
	s.set(func(s *stub) { s.noExpand = true })
	c := s.client(t, nil, nil)
	for range 2 {
		ov, err := c.Overview(context.Background(), PlaneEntra)
		if err != nil {
			t.Fatal(err)
		}
		got := labels(ov.Eligible)
		if len(got) != 5 || got[1] != "entra: Global Administrator [directory]" || got[2] != "entra: Helpdesk Administrator · Paris [administrativeunit]" {
			t.Fatalf("eligible: %v", got)
		}
	}
	if n := c.count.count("GET", "/roleDefinitions/"); n != 5 {
		t.Errorf("role definition lookups: %d, want 5 (each once, then cached)", n)
	}
	if n := c.count.count("GET", "/administrativeUnits/"); n != 1 {
		t.Errorf("administrative unit lookups: %d, want 1", n)
	}
}

func TestOverviewOnePlaneFailingNeverHidesTheOthers(t *testing.T) {
	t.Parallel()
	s := newStub(t)
	s.set(func(s *stub) { s.planeStatus[PlaneGroup] = http.StatusForbidden })
	c := s.client(t, nil, nil)
	ov, err := c.Overview(context.Background())
	if err != nil {
		t.Fatalf("overview failed as a whole: %v", err)
	}
	gerr := ov.Errors[PlaneGroup]
	if !errors.Is(gerr, ErrPermission) {
		t.Fatalf("groups error: %v", gerr)
	}
	var pe *Error
	errors.As(gerr, &pe)
	if pe.Permission != "PrivilegedEligibilitySchedule.Read.AzureADGroup, PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup" || pe.Plane != PlaneGroup {
		t.Errorf("permission: %+v", pe)
	}
	if !strings.Contains(pe.Error(), "PrivilegedEligibilitySchedule.Read.AzureADGroup") || !strings.Contains(pe.Error(), "Groups roles") {
		t.Errorf("message: %s", pe.Error())
	}
	if len(ov.Errors) != 1 {
		t.Errorf("errors: %v", ov.Errors)
	}
	planes := map[Plane]int{}
	for _, r := range ov.Eligible {
		planes[r.Plane]++
	}
	if planes[PlaneEntra] != 5 || planes[PlaneAzure] != 5 || planes[PlaneGroup] != 0 {
		t.Errorf("eligible per plane: %v", planes)
	}
}

func TestOverviewAllPlanesFailingIsAnError(t *testing.T) {
	t.Parallel()
	s := newStub(t)
	s.set(func(s *stub) {
		s.planeStatus[PlaneGroup] = http.StatusForbidden
		s.planeStatus[PlaneEntra] = http.StatusForbidden
		s.planeStatus[PlaneAzure] = http.StatusForbidden
	})
	c := s.client(t, nil, nil)
	ov, err := c.Overview(context.Background())
	if !errors.Is(err, ErrPermission) || len(ov.Errors) != 3 {
		t.Fatalf("err %v, errors %v", err, ov.Errors)
	}
	var pe *Error
	errors.As(ov.Errors[PlaneAzure], &pe)
	if pe.Permission != "Microsoft.Authorization/roleEligibilityScheduleInstances/read" {
		t.Errorf("azure permission: %q", pe.Permission)
	}
}

func TestOverviewOnlyAskedPlanes(t *testing.T) {
	t.Parallel()
	s := newStub(t)
	c := s.client(t, nil, nil)
	ov, err := c.Overview(context.Background(), PlaneAzure, PlaneAzure)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range ov.Eligible {
		if r.Plane != PlaneAzure {
			t.Fatalf("unasked plane listed: %+v", r)
		}
	}
	if n := len(s.Hits("", "/v1.0/")); n != 0 {
		t.Errorf("graph was called %d times for an Azure-only overview", n)
	}
	if n := len(s.Hits("GET", "roleEligibilityScheduleInstances")); n != 1 {
		t.Errorf("eligibility listed %d times", n)
	}
}

func TestOverviewFollowsEveryNextLink(t *testing.T) {
	t.Parallel()
	s := newStub(t)
	s.set(func(s *stub) { s.pageSize = 2 })
	// 5 Entra, 5 Azure roles: 3 pages each; 2 Groups roles + 3 more: 3 pages.
	extra := []*stubRole{}
	for i, g := range []string{"aaaaaaaa-0000-0000-0000-000000000001", "aaaaaaaa-0000-0000-0000-000000000002", "aaaaaaaa-0000-0000-0000-000000000003"} {
		extra = append(extra, &stubRole{plane: PlaneGroup, roleID: "member", roleName: "Member", scope: g, scopeName: "Team " + string(rune('A'+i)),
			scopeType: "group", eligID: "elig-x-" + g, principalID: stubUser, memberType: "Direct", policy: stubPolicy{max: time.Hour}})
	}
	s.set(func(s *stub) { s.roles = append(s.roles, extra...) })
	for _, r := range s.roles {
		if r.plane != PlaneEntra || r.scope == "/" {
			s.activate(r, stubEpoch, time.Hour)
		}
	}
	c := s.client(t, nil, nil)
	ov, err := c.Overview(context.Background())
	if err != nil || len(ov.Errors) > 0 {
		t.Fatal(err, ov.Errors)
	}
	count := map[Plane]int{}
	for _, r := range ov.Eligible {
		count[r.Plane]++
	}
	if count[PlaneEntra] != 5 || count[PlaneAzure] != 5 || count[PlaneGroup] != 5 {
		t.Fatalf("eligible per plane: %v", count)
	}
	if len(ov.Active) != 14 {
		t.Errorf("active: %d, want 14", len(ov.Active))
	}
	for _, path := range []string{entraEligiblePath, armEligiblePath, groupEligiblePath, armActivePath, groupActivePath} {
		if n := len(s.Hits("GET", path)); n != 3 {
			t.Errorf("%s: %d pages read, want 3", path, n)
		}
	}
	names := map[string]bool{}
	for _, r := range ov.Eligible {
		names[r.ScopeName] = true
	}
	if !names["Team C"] || !names["Break-Glass"] {
		t.Errorf("group names from the last page missing: %v", names)
	}
}

func TestOverviewRefusesNextLinkToAnotherHost(t *testing.T) {
	t.Parallel()
	s := newStub(t)
	c := s.client(t, nil, nil)
	s.fault(stubFault{method: "GET", path: armEligiblePath, status: 200,
		body: `{"value":[],"nextLink":"https://evil.example/providers/Microsoft.Authorization/roleEligibilityScheduleInstances?api-version=2020-10-01"}`})
	ov, _ := c.Overview(context.Background(), PlaneAzure)
	if !errors.Is(ov.Errors[PlaneAzure], ErrBadResponse) {
		t.Fatalf("want bad response, got %v", ov.Errors[PlaneAzure])
	}
}

// The planes are fetched side by side, and each plane's lists side by side: at one moment
// lists of every plane are in flight, at least two of each (counted, not timed).
func TestOverviewFetchesPlanesAndListsConcurrently(t *testing.T) {
	t.Parallel()
	s := newStub(t)
	s.activate(s.role(PlaneAzure, "Owner", "IT"), stubEpoch, time.Hour)
	var gate *PlaneGate
	c := s.client(t, nil, func(next policy.Transporter) policy.Transporter {
		gate = &PlaneGate{Next: next, PerPlane: 2}
		return gate
	})
	ov, err := c.Overview(context.Background())
	if err != nil || len(ov.Errors) > 0 {
		t.Fatal(err, ov.Errors)
	}
	if !gate.Met() {
		t.Errorf("the lists of the three planes were never in flight together, two of each: not fetched concurrently")
	}
}
