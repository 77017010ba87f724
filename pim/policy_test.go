package pim

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"
)

func TestPolicyOfEachPlane(t *testing.T) {
	t.Parallel()
	tests := []struct {
		plane Plane
		label string
		want  Policy
	}{
		{PlaneEntra, "Global Administrator", Policy{MaxDuration: 8 * time.Hour, Justification: true, MFA: true, Known: true}},
		{PlaneEntra, "User Administrator", Policy{MaxDuration: 8 * time.Hour, Justification: true, Approval: true, Known: true}},
		{PlaneEntra, "Security Reader", Policy{MaxDuration: 8 * time.Hour, Known: true}},
		{PlaneEntra, "Exchange Administrator", Policy{MaxDuration: 8 * time.Hour, Justification: true, AuthContext: "c1", Known: true}},
		{PlaneEntra, "Helpdesk Administrator · Paris", Policy{MaxDuration: 2 * time.Hour, Known: true}},
		{PlaneAzure, "Owner · IT", Policy{MaxDuration: 8 * time.Hour, Justification: true, Known: true}},
		{PlaneAzure, "Contributor · MySubscription", Policy{MaxDuration: 8 * time.Hour, Justification: true, Ticket: true, Known: true}},
		{PlaneAzure, "Contributor · rg-web", Policy{MaxDuration: 4 * time.Hour, Known: true}},
		{PlaneGroup, "Member · PIM-Admins", Policy{MaxDuration: 8 * time.Hour, Known: true}},
		{PlaneGroup, "Owner · Break-Glass", Policy{MaxDuration: 2 * time.Hour, Justification: true, Approval: true, Known: true}},
	}
	s := newStub(t)
	c := s.client(t, nil, nil)
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			role := eligible(t, c, tt.plane, tt.label)
			got, err := c.Policy(context.Background(), role)
			if err != nil || got != tt.want {
				t.Errorf("policy %+v (%v), want %+v", got, err, tt.want)
			}
		})
	}
	// The filters Azure documents.
	for _, h := range s.Hits("GET", "roleManagementPolicyAssignments") {
		q, _ := url.ParseQuery(h.RawQuery)
		f := q.Get("$filter")
		switch {
		case h.Path == "/v1.0/policies/roleManagementPolicyAssignments":
			if q.Get("$expand") != "policy($expand=rules)" {
				t.Errorf("graph policy query %q", h.RawQuery)
			}
			if !graphPolicyFilter.MatchString(f) {
				t.Errorf("graph policy filter %q", f)
			}
		default:
			if q.Get("api-version") != armAPIVersion || !armPolicyFilter.MatchString(f) {
				t.Errorf("arm policy query %s?%s", h.Path, h.RawQuery)
			}
		}
	}
}

var (
	graphPolicyFilter = regexp.MustCompile(`^(scopeId eq '/' and scopeType eq 'DirectoryRole' and roleDefinitionId eq '[0-9a-f-]{36}'|scopeId eq '[0-9a-f-]{36}' and scopeType eq 'Group' and roleDefinitionId eq '(member|owner)')$`)
	armPolicyFilter   = regexp.MustCompile(`^roleDefinitionId eq '/[^']+/providers/Microsoft\.Authorization/roleDefinitions/[0-9a-f-]{36}'$`)
)

func TestPolicyIsCachedPerRoleForAnHour(t *testing.T) {
	t.Parallel()
	s := newStub(t)
	c := s.client(t, nil, nil)
	role := eligible(t, c, PlaneAzure, "Owner · IT")
	other := eligible(t, c, PlaneAzure, "Reader · Prod")
	for range 3 {
		if _, err := c.Policy(context.Background(), role); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Policy(context.Background(), other); err != nil {
		t.Fatal(err)
	}
	if n := len(s.Hits("GET", "roleManagementPolicyAssignments")); n != 2 {
		t.Errorf("%d policy reads, want 2 (one per role)", n)
	}
	s.advance(59 * time.Minute)
	_, _ = c.Policy(context.Background(), role)
	if n := len(s.Hits("GET", "roleManagementPolicyAssignments")); n != 2 {
		t.Errorf("%d policy reads within the hour", n)
	}
	s.advance(2 * time.Minute)
	_, _ = c.Policy(context.Background(), role)
	if n := len(s.Hits("GET", "roleManagementPolicyAssignments")); n != 3 {
		t.Errorf("%d policy reads after the hour, want 3", n)
	}
}

func TestPolicyRefusedIsUnknownNotAnError(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusForbidden, http.StatusUnauthorized} {
		for _, plane := range []Plane{PlaneEntra, PlaneAzure, PlaneGroup} {
			s := newStub(t)
			c := s.client(t, nil, nil)
			ov, err := c.Overview(context.Background(), plane)
			if err != nil {
				t.Fatal(err)
			}
			s.set(func(s *stub) { s.policyStatus = status })
			p, err := c.Policy(context.Background(), ov.Eligible[0])
			if err != nil || p.Known || p != (Policy{}) {
				t.Errorf("%s %d: %+v %v", plane, status, p, err)
			}
		}
	}
}

func TestPolicyOtherFailuresAreErrors(t *testing.T) {
	t.Parallel()
	s := newStub(t)
	c := s.client(t, nil, nil)
	role := eligible(t, c, PlaneEntra, "Security Reader")
	s.fault(stubFault{method: "GET", path: "roleManagementPolicyAssignments", status: 200, body: `{"value":[{"policy":{"rules":[{"id":"Expiration_EndUser_Assignment","maximumDuration":"eight hours"}]}}]}`})
	if _, err := c.Policy(context.Background(), role); err == nil || !errorsIsKind(err, KindBadResponse) {
		t.Errorf("err = %v", err)
	}
}

func errorsIsKind(err error, k Kind) bool {
	pe, ok := err.(*Error)
	return ok && pe.Kind == k
}
