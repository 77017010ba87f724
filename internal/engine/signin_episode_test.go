package engine

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pimtray/pimtray/pim"
)

// One plane refusing the sign-in while the others read fine (Azure forgot the ARM token):
// one "Sign in needed" notice for the episode, not one per refresh (9 in 2.5 minutes before).
func TestOneSignInNoticePerEpisodeWhenOnePlaneRefuses(t *testing.T) {
	auth := &fakeAuth{signedIn: true, user: "admin@contoso.example"}
	h := newHarness(t, withFavourites(fav(roleOwnerIT)), func(o *Options, api *fakeAPI) {
		o.Tenants[0].Auth = auth
		api.planeErr[pim.PlaneAzure] = &pim.Error{Kind: pim.KindSignInNeeded, Plane: pim.PlaneAzure, Text: "Sign in needed."}
	})
	h.start()
	h.notice(NoticeSignInNeeded)
	for range 6 { // refreshes, and Refresh clicks, while the episode lasts
		h.e.Refresh()
		h.advance(5 * time.Minute)
		h.settle()
	}
	for {
		select {
		case n := <-h.e.Notices():
			if n.Kind == NoticeSignInNeeded {
				t.Fatalf("a second sign-in notice in one episode: %+v", n)
			}
			continue
		default:
		}
		break
	}
	if s := h.e.Snapshot(); s.Accounts[0].SignedIn {
		t.Fatalf("the account shows signed in while Azure roles refuse it: %+v", s.Accounts)
	}
	// The plane works again: the episode ends; a later refusal is a new episode, told again.
	h.api.set(func(f *fakeAPI) { delete(f.planeErr, pim.PlaneAzure) })
	h.e.Refresh()
	h.settle()
	if s := h.e.Snapshot(); !s.Accounts[0].SignedIn {
		t.Fatalf("still not signed in after the plane read fine: %+v", s.Accounts)
	}
	h.api.set(func(f *fakeAPI) {
		f.planeErr[pim.PlaneAzure] = &pim.Error{Kind: pim.KindSignInNeeded, Plane: pim.PlaneAzure, Text: "Sign in needed."}
	})
	h.e.Refresh()
	h.notice(NoticeSignInNeeded)
}

// `pimtray signin` says "Signed in" only when every plane accepted the new sign-in; otherwise
// it names the plane that did not.
func TestSignInNowNamesThePlaneThatStillRefuses(t *testing.T) {
	auth := &fakeAuth{}
	h := newHarness(t, func(o *Options, api *fakeAPI) {
		o.Tenants[0].Auth = auth
		api.planeErr[pim.PlaneAzure] = &pim.Error{Kind: pim.KindSignInNeeded, Plane: pim.PlaneAzure, Text: "Sign in needed."}
	})
	ctx := context.Background()
	_, err := h.e.SignInNow(ctx, "", SignInOptions{})
	if err == nil || err.Error() != "Signed in to Contoso as admin@contoso.example, but Azure still refuses the sign-in for Azure roles." {
		t.Fatalf("sign-in with Azure roles refused: %v", err)
	}
	if !strings.Contains(HumanError(err), "Azure roles") {
		t.Errorf("human error: %s", HumanError(err))
	}
	h.noNotice() // the user is told by SignInNow itself, not by a background notice as well
	h.api.set(func(f *fakeAPI) { delete(f.planeErr, pim.PlaneAzure) })
	acc, err := h.e.SignInNow(ctx, "", SignInOptions{})
	if err != nil || !acc.SignedIn {
		t.Fatalf("sign-in with every plane fine: %+v %v", acc, err)
	}
}

// Azure roles read before the plane refused the sign-in are last known, not known: their
// labels say so and do not count down as if Azure had just said it (the tray showed stale
// Azure roles counting down for the whole episode); an Entra role, whose plane reads fine,
// still counts down.
func TestRolesOfAPlaneThatNeedsSignInDoNotCountDown(t *testing.T) {
	auth := &fakeAuth{signedIn: true, user: "admin@contoso.example"}
	h := newHarness(t, func(o *Options, api *fakeAPI) { o.Tenants[0].Auth = auth })
	h.api.activateDirect(roleOwnerIT, t0, 2*time.Hour)
	h.api.activateDirect(roleGA, t0, 2*time.Hour)
	h.start()
	s := h.stateIs(roleOwnerIT, StateActive)
	if got := Label(item(s, roleOwnerIT), s.Now); !strings.HasSuffix(got, "— 2h 00m left") {
		t.Fatalf("before the episode: %q", got)
	}
	h.api.set(func(f *fakeAPI) {
		f.planeErr[pim.PlaneAzure] = &pim.Error{Kind: pim.KindSignInNeeded, Plane: pim.PlaneAzure, Text: "Sign in needed."}
	})
	h.advance(10 * time.Minute)
	h.e.Refresh()
	s = h.settle()
	owner, ga := item(s, roleOwnerIT), item(s, roleGA)
	if got, later := Label(owner, s.Now), Label(owner, s.Now.Add(10*time.Minute)); got != later ||
		got != "Owner · IT — needs sign-in (last known: active until 11:00)" {
		t.Errorf("Owner · IT, its plane refusing the sign-in: %q, 10 minutes later %q", got, later)
	}
	if got := Label(ga, s.Now); !strings.HasSuffix(got, "— 1h 50m left") {
		t.Errorf("Global Administrator, its plane fine: %q", got)
	}
	if w := NextTick(Snapshot{All: []Item{owner}}, s.Now); w != 0 && w < time.Hour {
		t.Errorf("the last known role wakes the menu after %v to count down", w)
	}
	// Signed in again, the plane reads fine: known again, counting down.
	h.api.set(func(f *fakeAPI) { delete(f.planeErr, pim.PlaneAzure) })
	h.e.Refresh()
	s = h.settle()
	if got := Label(item(s, roleOwnerIT), s.Now); !strings.HasSuffix(got, "— 1h 50m left") {
		t.Errorf("after the episode: %q", got)
	}
}

func TestLastKnownLabels(t *testing.T) {
	now := t0
	for _, tt := range []struct {
		it   Item
		want string
	}{
		{Item{Role: roleOwnerIT, State: StatePending, LastKnown: true}, "Owner · IT — needs sign-in (last known: pending approval)"},
		{Item{Role: roleOwnerIT, State: StateScheduled, StartsAt: now.Add(time.Hour), ExpiresAt: now.Add(2 * time.Hour), LastKnown: true},
			"Owner · IT — needs sign-in (last known: starts 10:00)"},
		{Item{Role: roleOwnerIT, State: StateActive, LastKnown: true}, "Owner · IT — needs sign-in (last known: active)"},
		// Its last known end has passed: nothing to say but what any ended role says.
		{Item{Role: roleOwnerIT, State: StateActive, ExpiresAt: now.Add(-time.Minute), Duration: time.Hour, LastKnown: true}, "Owner · IT — activate (1h)"},
	} {
		if got := Label(tt.it, now); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.it, got, tt.want)
		}
	}
}
