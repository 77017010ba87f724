package engine

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pimtray/pimtray/internal/fakeazure"
	"github.com/pimtray/pimtray/pim"
	"github.com/pimtray/pimtray/store"
)

// drained empties Changed and reports whether it had fired.
func drained(e *Engine) bool {
	select {
	case <-e.Changed():
		return true
	default:
		return false
	}
}

// wakeups are the engine's timed wake-ups so far: the timers fired on its clock.
func (h *harness) wakeups() int { return h.clk.Fired() }

// Changed fires only when the snapshot (Now aside) changed: a timed wake-up that changes
// nothing the UI shows, or an action that changes nothing, costs the UI nothing.
func TestChangedOnlyWhenTheSnapshotChanges(t *testing.T) {
	h := newHarness(t, func(o *Options, _ *fakeAPI) { o.Config.RefreshInterval = store.Duration(time.Hour) }).start()
	h.e.Activate(roleSR.Key())
	h.stateIs(roleSR, StateActive)
	h.advance(MinActiveForRestart + time.Minute)
	h.e.Deactivate(roleSR.Key())
	h.stateIs(roleSR, StateEligible)
	h.settle()
	drained(h.e)

	// The deactivation is trusted over the listings for RecentWindow: the engine wakes when
	// that lapses, and nothing shows any different.
	before, wakes := h.e.Snapshot(), h.wakeups()
	h.advance(RecentWindow + time.Second)
	if h.wakeups() == wakes {
		t.Fatal("the engine did not wake when the recent deactivation lapsed; the test proves nothing")
	}
	if drained(h.e) {
		after := h.e.Snapshot()
		t.Errorf("Changed fired on a wake-up that changed nothing:\nbefore %+v\nafter  %+v", before, after)
	}
	// Nor does work that ends having changed nothing the UI shows (every action signals
	// when done).
	h.e.signal()
	if drained(h.e) {
		t.Error("Changed fired with nothing changed")
	}

	// A real change fires it, and the reader sees it.
	h.e.ToggleFavourite(roleSR.Key())
	if !drained(h.e) {
		t.Fatal("starring a role did not fire Changed")
	}
	if it := item(h.e.Snapshot(), roleSR); !it.Favourite {
		t.Errorf("after Changed the snapshot shows %+v, not the favourite", it)
	}
	h.settle()
	drained(h.e)
	// A wake-up that changes something fires it: the countdown's end.
	h.e.Activate(roleSR.Key())
	h.stateIs(roleSR, StateActive)
	h.settle()
	drained(h.e)
	h.advance(8 * time.Hour)
	h.waitFor("the activation to end", func(s Snapshot) bool { return item(s, roleSR).State == StateEligible })
}

// Every reader is told about every change, whoever read the snapshot in between: Changed
// compares with what it last announced, not with what some reader last read.
func TestChangedWithSeveralReaders(t *testing.T) {
	h := newHarness(t)
	drained(h.e)
	h.e.signal() // the first announcement
	drained(h.e)
	h.e.mu.Lock()
	h.e.cfg.Favourites = append(h.e.cfg.Favourites, favouriteFor(roleGA))
	h.e.mu.Unlock()
	_ = h.e.Snapshot() // another reader sees the change before it is announced
	h.e.signal()
	if !drained(h.e) {
		t.Fatal("a change read by one reader was not announced to the others")
	}
}

// The background refreshes read the policies of the roles that are not favourites too, a few
// per refresh (policyReadBudget), so every label comes to say what a click asks for, capped
// by the policy; then once per otherPolicyMaxAge.
func TestNonFavouritesShowTheirDuration(t *testing.T) {
	h := newHarness(t, withFavourites(fav(roleGA)), func(o *Options, _ *fakeAPI) {
		o.Config.RefreshInterval = store.Duration(time.Hour)
	}).start()
	h.settle()
	others := len(h.api.roles) - 1
	for range others + 1 { // at worst one a refresh
		h.advance(time.Hour)
		h.settle()
	}
	s := h.e.Snapshot()
	for r, want := range map[string]string{
		roleGA.Key():      "Global Administrator — activate (8h)",
		roleSR.Key():      "Security Reader — activate (8h)",
		roleContrib.Key(): "Contributor · MySubscription — activate (4h)", // max 4h
		roleMember.Key():  "Member · PIM-Admins — activate (2h)",          // max 2h
	} {
		var found bool
		for _, it := range s.All {
			if it.Key == r {
				found = true
				if got := Label(it, h.clk.Now()); got != want {
					t.Errorf("label = %q, want %q", got, want)
				}
			}
		}
		if !found {
			t.Errorf("no %s", r)
		}
	}
	policies := h.api.count("policy")
	if policies != len(h.api.roles) {
		t.Errorf("%d policy reads for %d roles, want one each", policies, len(h.api.roles))
	}
	// The next refreshes read none again.
	h.advance(2 * time.Hour)
	h.settle()
	if n := h.api.count("policy"); n != policies {
		t.Errorf("%d more policy reads on later refreshes", n-policies)
	}
}

// The command line's refresh reads only what it needs: no policy of a role that is not a
// favourite.
func TestRefreshNowReadsNoOtherPolicies(t *testing.T) {
	h := newHarness(t, withFavourites(fav(roleGA)))
	if err := h.e.RefreshNow(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	for _, c := range h.api.callsOf("policy") {
		if c.Key != roleGA.Key() {
			t.Errorf("RefreshNow read the policy of %s", c.Key)
		}
	}
}

// A user who may not read policies is not asked again at every refresh: each role is
// tried once per policyMaxAge.
func TestUnreadablePoliciesAreNotRetriedEveryRefresh(t *testing.T) {
	h := newHarness(t, func(o *Options, api *fakeAPI) {
		api.policyErr = &pim.Error{Kind: pim.KindPermission, Text: "You may not read policies."}
	}).start()
	h.settle()
	h.advance(time.Hour) // several refreshes: each tries a few (policyReadBudget)
	h.settle()
	tried := h.api.count("policy")
	if tried != len(h.api.roles) {
		t.Fatalf("%d policy reads for %d roles, want one each", tried, len(h.api.roles))
	}
	if it := item(h.e.Snapshot(), roleSR); Label(it, h.clk.Now()) != "Security Reader — activate" {
		t.Errorf("label without a policy = %q, want no duration", Label(it, h.clk.Now()))
	}
	h.advance(time.Hour) // several refreshes
	h.settle()
	if n := h.api.count("policy"); n != tried {
		t.Errorf("%d more policy reads in an hour", n-tried)
	}
	h.advance(otherPolicyMaxAge)
	h.settle()
	// The read is due now; on a loaded machine it may still be on its way when the loop looks
	// quiet, so wait for it (a bound, not a measurement).
	for deadline := time.Now().Add(liveness); h.api.count("policy") <= tried; {
		select {
		case <-h.e.Changed():
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no policy read after %v", otherPolicyMaxAge)
		}
	}
}

// The demo's header says DEMO once: the demo tenant's name doesn't say it again.
func TestDemoHeaderSaysDemoOnce(t *testing.T) {
	s := Snapshot{Demo: true, Accounts: []Account{{TenantID: fakeazure.DemoTenantID, TenantName: fakeazure.DemoTenantName,
		User: fakeazure.DemoUserUPN, SignedIn: true}}}
	h := Header(s)
	if h != "admin@contoso.example · Contoso — DEMO" {
		t.Errorf("demo header = %q", h)
	}
	if n := strings.Count(strings.ToLower(h), "demo"); n != 1 {
		t.Errorf("demo header %q says demo %d times", h, n)
	}
}
