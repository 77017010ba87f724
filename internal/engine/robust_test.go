package engine

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pimtray/pimtray/pim"
)

// A plane whose listing never answers: the refresh ends by the engine's own deadline with
// the plane's problem on the menu and the other planes read, and the next refresh comes.
func TestHungPlaneEndsTheRefreshByItsDeadline(t *testing.T) {
	h := newHarness(t, func(o *Options, f *fakeAPI) {
		o.RefreshTimeout = 50 * time.Millisecond
		f.hangPlane = pim.PlaneGroup
	}).start()
	s := h.settle()
	if len(s.Problems) != 1 || s.Problems[0].Plane != pim.PlaneGroup || !strings.Contains(s.Problems[0].Message, "cannot reach Azure") {
		t.Fatalf("problems after a hung Groups listing: %+v", s.Problems)
	}
	if it := item(s, roleOwnerIT); it.Key == "" {
		t.Fatal("the planes that answered are missing")
	}
	h.api.mu.Lock()
	unbounded := h.api.unbounded
	h.api.mu.Unlock()
	if unbounded {
		t.Fatal("the refresh had no deadline: only the test's safety net ended it")
	}

	// The listing answers again: the next planned refresh reads it.
	h.api.set(func(f *fakeAPI) { f.hangPlane = "" })
	n := h.api.count("overview")
	h.advance(6 * time.Minute)
	s = h.settle()
	if h.api.count("overview") == n {
		t.Fatal("no refresh after the hung one")
	}
	if len(s.Problems) != 0 || item(s, roleMember).Key == "" {
		t.Fatalf("after the plane answers again: problems %+v, Member · PIM-Admins %+v", s.Problems, item(s, roleMember))
	}
}

// Azure lists an activation as in force while its start reads a moment ahead of the local
// clock (the clocks differ by more than the client could tell): it is active.
func TestListedActivationIsActiveWhateverItsStart(t *testing.T) {
	h := newHarness(t).start()
	h.api.set(func(f *fakeAPI) { f.staleListing = true }) // lists what it holds as it is
	start := h.clk.Now().Add(40 * time.Second)
	h.api.activateDirect(roleOwnerIT, start, 8*time.Hour)
	h.e.Refresh()
	s := h.settle()
	it := item(s, roleOwnerIT)
	if it.State != StateActive || !it.ExpiresAt.Equal(start.Add(8*time.Hour)) {
		t.Fatalf("a listed activation starting 40 s ahead: %+v", it)
	}
}

// An activation whose answer was lost fails on the menu; the refresh that finds the role
// active drops the failure. A failed re-activation of a running role keeps its text.
func TestRefreshFindingTheRoleActiveDropsItsFailure(t *testing.T) {
	h := newHarness(t).start()
	h.api.set(func(f *fakeAPI) { f.lostAnswer = true })
	if _, err := h.e.ActivateNow(context.Background(), roleOwnerIT.Key(), ActivateOptions{}); err == nil {
		t.Fatal("an activation whose answer was lost succeeded")
	}
	if it := item(h.e.Snapshot(), roleOwnerIT); it.State != StateFailed || it.Problem == "" {
		t.Fatalf("after the lost answer: %+v", it)
	}
	h.e.Refresh()
	s := h.settle()
	if it := item(s, roleOwnerIT); it.State != StateActive || it.Problem != "" {
		t.Fatalf("after a refresh that lists it active: %+v", it)
	}

	// Ten minutes on, a re-activation (to start at the end) loses its answer too: the role
	// ran all along, so its being listed active says nothing about that failure.
	h.advance(10 * time.Minute)
	if _, err := h.e.ReactivateNow(context.Background(), roleOwnerIT.Key(), false); err == nil {
		t.Fatal("a re-activation whose answer was lost succeeded")
	}
	h.e.Refresh()
	s = h.settle()
	if it := item(s, roleOwnerIT); it.State != StateActive || it.Problem == "" {
		t.Fatalf("the failed re-activation's text is gone: %+v", it)
	}
}

// The engine hands the client its own copy of the policy, so the client reads none before
// an activation.
func TestActivationCarriesTheEnginesPolicy(t *testing.T) {
	h := newHarness(t, withFavourites(fav(roleContrib))).start()
	if _, err := h.e.ActivateNow(context.Background(), roleContrib.Key(), ActivateOptions{TicketNumber: "T-1"}); err != nil {
		t.Fatal(err)
	}
	calls := h.api.callsOf("activate")
	if len(calls) != 1 || calls[0].Req.Policy == nil {
		t.Fatalf("activation calls %+v: no policy handed over", calls)
	}
	if p := calls[0].Req.Policy; !p.Known || !p.Ticket || p.MaxDuration != 4*time.Hour {
		t.Errorf("policy handed over = %+v", *p)
	}
}
