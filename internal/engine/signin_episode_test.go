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
