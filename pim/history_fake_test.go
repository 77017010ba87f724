package pim_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pimtray/pimtray/internal/fakeazure"
	"github.com/pimtray/pimtray/pim"
)

func startHistoryFake(t *testing.T, past int) (*fakeazure.Server, *pim.Client, *fakeClock) {
	t.Helper()
	tenant := fakeazure.Demo()
	tenant.PastRequests = past
	return startFake(t, fakeazure.Options{Tenants: []*fakeazure.Tenant{tenant}, PageSize: 20})
}

// The user's own requests on every plane, newest first: what each was, how it ended, with its
// justification and the duration asked; activations, deactivations, denials, cancellations and
// requests no one decided.
func TestHistoryListsTheUsersOwnRequestsNewestFirst(t *testing.T) {
	s, client, clk := startHistoryFake(t, 40)
	ctx := context.Background()
	ov, _ := client.Overview(ctx)
	role := findRole(t, ov, pim.PlaneAzure, "Owner", "IT")
	if _, err := client.Activate(ctx, pim.ActivateRequest{Role: role, Justification: "deploy", Duration: time.Hour}); err != nil {
		t.Fatal(err)
	}
	s.ResetLog()
	hs, errs := client.History(ctx, clk.Now().Add(-400*24*time.Hour))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if len(hs) != 3*40+1 {
		t.Fatalf("%d entries, want %d", len(hs), 3*40+1)
	}
	if h := hs[0]; h.Role.Key() != role.Key() || h.Action != "activate" || h.Status != "Provisioned" || h.Justification != "deploy" || h.Duration != time.Hour || !h.CreatedAt.Equal(clk.Now()) {
		t.Fatalf("newest %+v, want the activation just made", h)
	}
	statuses := map[string]int{}
	planes := map[pim.Plane]int{}
	for i, h := range hs {
		if i > 0 && h.CreatedAt.After(hs[i-1].CreatedAt) {
			t.Fatalf("entry %d (%v) is newer than entry %d (%v)", i, h.CreatedAt, i-1, hs[i-1].CreatedAt)
		}
		if h.Role.RoleName == "" {
			t.Errorf("entry %d has no role name: %+v", i, h)
		}
		statuses[h.Action+" "+h.Status]++
		planes[h.Role.Plane]++
	}
	for _, want := range []string{"activate Provisioned", "activate Denied", "activate Canceled", "activate TimedOut", "deactivate Revoked"} {
		if statuses[want] == 0 {
			t.Errorf("no %q among %v", want, statuses)
		}
	}
	if planes[pim.PlaneEntra] != 40 || planes[pim.PlaneGroup] != 40 || planes[pim.PlaneAzure] != 41 {
		t.Errorf("per plane %v", planes)
	}
}

// --days: Graph is asked for that span only (createdDateTime ge …); ARM, whose filter has no
// dates, is read whole and cut here. Either way the span holds exactly the requests made in it.
func TestHistorySpanIsFilteredByAzureWhereItCan(t *testing.T) {
	s, client, clk := startHistoryFake(t, 100)
	ctx := context.Background()
	all, _ := client.History(ctx, time.Time{})
	since := clk.Now().Add(-60 * 24 * time.Hour)
	var want int
	for _, h := range all {
		if !h.CreatedAt.Before(since) {
			want++
		}
	}
	s.ResetLog()
	hs, errs := client.History(ctx, since)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if len(hs) != want || want == 0 || want == len(all) {
		t.Fatalf("%d entries in the last 60 days, want %d (of %d)", len(hs), want, len(all))
	}
	var graph, arm int
	for _, r := range s.Requests() {
		q, _ := url.QueryUnescape(r.Path + "?" + r.Query)
		switch r.Plane {
		case "entra", "group":
			graph++
			if !strings.Contains(q, "createdDateTime ge "+since.UTC().Format(time.RFC3339)) {
				t.Errorf("Graph asked without the span: %s", q)
			}
		case "azure":
			arm++
		}
	}
	// Graph: one page per plane (each under 20 in 60 days); ARM: every page of 100 (20 a page).
	if graph != 2 || arm != 5 {
		t.Errorf("requests: Graph %d, ARM %d; want 2 and 5", graph, arm)
	}
}
