package fakeazure

import (
	"testing"
	"time"
)

// The demo tenant's approver: a request waiting for approval is approved after the
// configured wait (by the fake's clock), its activation starting then, and the listings
// say so.
func TestAutoApproveAfter(t *testing.T) {
	t.Parallel()
	s, clock := start(t, Options{AutoApproveAfter: 2 * time.Minute})
	tok := tokenFor(t, s, DemoTenantID, GraphResource, CredentialOptions{})
	r := call(t, s, "POST", entraRequests, tok, entraActivation(RoleUserAdministrator, "onboarding", "PT4H"))
	if r.status != 201 || r.json(t)["status"] != "PendingApproval" {
		t.Fatalf("approval role: %d %s", r.status, r.body)
	}
	id := r.json(t)["id"].(string)
	sent := clock.Now()
	clock.Advance(time.Minute)
	if got := call(t, s, "GET", entraRequests+"/"+id, tok, nil).json(t)["status"]; got != "PendingApproval" {
		t.Fatalf("after a minute: %v", got)
	}
	if len(s.Activations(DemoTenantID)) != 0 {
		t.Fatal("active before the approver's wait")
	}
	clock.Advance(5 * time.Minute)
	if got := call(t, s, "GET", entraRequests+"/"+id, tok, nil).json(t)["status"]; got != "Provisioned" {
		t.Fatalf("after the wait: %v", got)
	}
	acts := s.Activations(DemoTenantID)
	if want := sent.Add(2 * time.Minute); len(acts) != 1 || !acts[0].Start.Equal(want) || !acts[0].End.Equal(want.Add(4*time.Hour)) {
		t.Fatalf("activations %+v, want one from %v for 4h", acts, want)
	}
}

func TestNoAutoApproveByDefault(t *testing.T) {
	t.Parallel()
	s, clock := start(t, Options{})
	tok := tokenFor(t, s, DemoTenantID, GraphResource, CredentialOptions{})
	r := call(t, s, "POST", entraRequests, tok, entraActivation(RoleUserAdministrator, "onboarding", "PT4H"))
	id := r.json(t)["id"].(string)
	clock.Advance(time.Hour)
	if got := call(t, s, "GET", entraRequests+"/"+id, tok, nil).json(t)["status"]; got != "PendingApproval" {
		t.Fatalf("after an hour: %v", got)
	}
}
