package engine

import (
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/pimtray/pimtray/internal/fakeazure"
	"github.com/pimtray/pimtray/internal/testkit/clocktest"
	"github.com/pimtray/pimtray/pim"
	"github.com/pimtray/pimtray/store"
)

// The engine at scale: the large tenant (440 roles over 200 scopes, pages of 100) with the
// real pim client, the fake's request log as the witness.

// largeFavourites are three favourites of the large tenant, one per plane.
func largeFavourites() []store.Favourite {
	mk := func(plane pim.Plane, roleID, scope string) store.Favourite {
		r := pim.Role{Plane: plane, TenantID: fakeazure.LargeTenantID, RoleID: roleID, Scope: scope}
		return store.Favourite{Key: r.Key(), Tenant: fakeazure.LargeTenantID, Plane: string(plane), RoleID: roleID, Scope: scope,
			Justification: "on call"}
	}
	return []store.Favourite{
		mk(pim.PlaneEntra, fakeazure.RoleSecurityReader, "/"),
		mk(pim.PlaneAzure, "/subscriptions/a1f0c2d4-5e6b-4a7c-8d9e-0f1a2b3c4d5e/providers/Microsoft.Authorization/roleDefinitions/"+fakeazure.LargeWebsiteContributor, fakeazure.LargeScopeRGShop),
	}
}

func newLargeHarness(t testing.TB, history int, stateFile string) *azureHarness {
	t.Helper()
	clk := clocktest.NewFake(t0)
	tenant := fakeazure.Large()
	tenant.PastRequests = history
	fake, err := fakeazure.New(fakeazure.Options{Now: clk.Now, Tenants: []*fakeazure.Tenant{tenant}, PageSize: fakeazure.LargePageSize})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	client, err := pim.NewClient(fake.Credential(fakeazure.LargeTenantID), &pim.ClientOptions{
		ClientOptions: azcore.ClientOptions{Transport: fake.HTTPClient()},
		Cloud:         fake.Cloud(), TenantID: fakeazure.LargeTenantID, Now: clk.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg := store.DefaultConfig()
	cfg.Favourites = largeFavourites()
	h := &harness{t: t, clk: clk, prompt: &fakePrompter{}, saved: make(chan *store.Config, 16)}
	e, err := New(Options{
		Clock: clk, Config: cfg, Location: time.UTC, Prompter: h.prompt, Jitter: func() float64 { return 0.5 },
		Tenants:   []TenantBackend{{ID: fakeazure.LargeTenantID, Name: fakeazure.LargeTenantName, API: client}},
		StateFile: stateFile,
		Log:       slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		t.Fatal(err)
	}
	h.e = e
	return &azureHarness{harness: h, fake: fake}
}

// azureRequests counts the Graph and ARM requests in the fake's log (sign-in is the identity
// plane's, which the fake's test credential does not use).
func (h *azureHarness) azureRequests() int {
	n := 0
	for _, r := range h.fake.Requests() {
		if r.Plane != "identity" {
			n++
		}
	}
	return n
}

type scaleCost struct{ start, refresh, click int }

func measureLarge(t testing.TB, history int) scaleCost {
	h := newLargeHarness(t, history, "")
	h.start()
	h.settle()
	var c scaleCost
	c.start = h.azureRequests()
	if n := len(h.e.Snapshot().All); n != fakeazure.LargeRoles {
		t.Fatalf("%d roles known, want %d", n, fakeazure.LargeRoles)
	}
	// Every background refresh, while the other roles' policies still fill in and after.
	for i := 0; i < 3; i++ {
		h.fake.ResetLog()
		h.advance(h.e.refreshInterval() + time.Minute)
		h.settle()
		c.refresh = max(c.refresh, h.azureRequests())
	}
	fav := largeFavourites()[1]
	h.fake.ResetLog()
	h.e.Activate(fav.Key)
	h.settle()
	c.click = h.azureRequests()
	if it := itemByKey(h.e.Snapshot(), fav.Key); it.State != StateActive {
		t.Errorf("after the click: %s is %s", fav.Key, it.State)
	}
	return c
}

func itemByKey(s Snapshot, key string) Item {
	for _, it := range s.All {
		if it.Key == key {
			return it
		}
	}
	return Item{}
}

// On 440 roles with 1,000 past requests per plane: the tray starts in at most 40 requests, a
// background refresh costs at most 15 (13 listings — ARM's open requests are two lists, pending
// approval and scheduled — and two policy reads), the same as with no history, and a click is one.
func TestLargeTenantCost(t *testing.T) {
	none := measureLarge(t, 0)
	long := measureLarge(t, fakeazure.LargePastRequests)
	t.Logf("no history: %+v; %d past requests per plane: %+v", none, fakeazure.LargePastRequests, long)
	if long.refresh != none.refresh {
		t.Errorf("a refresh costs %d requests with no history and %d with %d past requests per plane", none.refresh, long.refresh, fakeazure.LargePastRequests)
	}
	if long.start > 40 {
		t.Errorf("the tray's start costs %d requests, want at most 40", long.start)
	}
	if long.refresh > 15 {
		t.Errorf("a background refresh costs %d requests, want at most 15", long.refresh)
	}
	if long.click != 1 {
		t.Errorf("a click costs %d requests, want 1", long.click)
	}
}

// BenchmarkLargeTenant: the tray's start (first refresh, the favourites' policies and the first
// others'), the worst of three background refreshes and a click, in requests, on the 440-role
// tenant with no history and with 1,000 past requests per plane (build/bench.sh).
func BenchmarkLargeTenant(b *testing.B) {
	for _, history := range []int{0, fakeazure.LargePastRequests} {
		b.Run(fmt.Sprintf("history=%d", history), func(b *testing.B) {
			var c scaleCost
			for b.Loop() {
				got := measureLarge(b, history)
				c.start, c.refresh, c.click = max(c.start, got.start), max(c.refresh, got.refresh), max(c.click, got.click)
			}
			b.ReportMetric(float64(c.start), "requests/start")
			b.ReportMetric(float64(c.refresh), "requests/refresh")
			b.ReportMetric(float64(c.click), "requests/click")
		})
	}
}
