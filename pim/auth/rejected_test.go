package auth_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/pimtray/pimtray/internal/fakeazure"
	"github.com/pimtray/pimtray/pim"
	"github.com/pimtray/pimtray/pim/auth"
)

func newPIMClient(t *testing.T, f *fakeazure.Server, s *auth.Session) *pim.Client {
	t.Helper()
	c, err := pim.NewClient(s, &pim.ClientOptions{ClientOptions: azcore.ClientOptions{Transport: f.HTTPClient()},
		Cloud: f.Cloud(), TenantID: fakeazure.DemoTenantID})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// count of the fake's requests by plane and status, since the log was reset.
func countRequests(f *fakeazure.Server, plane string, status int) int {
	n := 0
	for _, r := range f.Requests() {
		if r.Plane == plane && (status == 0 || r.Status == status) {
			n++
		}
	}
	return n
}

// refusedTwice names a request Azure refused more than once (a retry loop), or "".
func refusedTwice(f *fakeazure.Server) string {
	seen := map[string]bool{}
	for _, r := range f.Requests() {
		if r.Status != 401 {
			continue
		}
		k := r.Method + " " + r.Path + "?" + r.Query
		if seen[k] {
			return k
		}
		seen[k] = true
	}
	return ""
}

func tokenGrants(f *fakeazure.Server) int {
	n := 0
	for _, r := range f.Requests() {
		if r.Plane == "identity" && strings.HasSuffix(r.Path, "/oauth2/v2.0/token") {
			n++
		}
	}
	return n
}

// The sign-in trap, first half: Azure stops accepting a cached access token before its
// expiry (a plain 401, no claims challenge). The token is dropped and a new one got silently
// from the refresh token, once: no browser, no "sign in needed", one 401 and one token grant.
func TestTokenAzureRefusesIsRenewedSilentlyOnce(t *testing.T) {
	ctx := context.Background()
	f := newFake(t, fakeazure.Options{})
	ks := newKeyStore(t)
	b := &browser{open: f.Browser()}
	s := newSession(t, f, fakeazure.DemoTenantID, ks.cache(t, fakeazure.DemoTenantID, nil), b.OpenURL)
	if _, err := s.SignIn(ctx, auth.SignInOptions{}); err != nil {
		t.Fatal(err)
	}
	c := newPIMClient(t, f, s)
	if _, err := c.Overview(ctx, pim.PlaneAzure); err != nil {
		t.Fatal(err)
	}
	for _, plane := range []string{"arm", "graph"} {
		f.RejectAccessTokens(plane)
		f.ResetLog()
		p := pim.PlaneAzure
		if plane == "graph" {
			p = pim.PlaneEntra
		}
		ov, err := c.Overview(ctx, p)
		if err == nil {
			err = ov.Errors[p]
		}
		if err != nil {
			t.Fatalf("%s: after Azure refused the cached token: %v", plane, err)
		}
		fp := map[string]string{"arm": "azure", "graph": "entra"}[plane]
		if n := countRequests(f, fp, 401); n == 0 {
			t.Errorf("%s: no request was refused: the test tests nothing", plane)
		}
		if r := refusedTwice(f); r != "" {
			t.Errorf("%s: %s was refused twice", plane, r)
		}
		if n := tokenGrants(f); n != 1 {
			t.Errorf("%s: %d token requests, want 1 (the refresh token, once, for all the refused requests)", plane, n)
			for _, r := range f.Requests() {
				t.Logf("%s %s %s?%s %d", r.Plane, r.Method, r.Path, r.Query, r.Status)
			}
		}
	}
	if n := b.trips.Load(); n != 1 {
		t.Errorf("browser trips = %d, want 1 (the first sign-in only)", n)
	}
	// Another process over the same keyring does not get the refused tokens either.
	later := newSession(t, f, fakeazure.DemoTenantID, ks.cache(t, fakeazure.DemoTenantID, nil), noBrowser(t))
	f.ResetLog()
	if _, err := newPIMClient(t, f, later).Overview(ctx, pim.PlaneAzure); err != nil {
		t.Fatal(err)
	}
	if n := countRequests(f, "azure", 401); n != 0 {
		t.Errorf("a new process sent the refused token again (%d refused requests)", n)
	}
}

// A token that cannot be renewed (the refresh token was revoked too) is a sign-in matter,
// said as one, without a browser and without a loop.
func TestTokenRefusedAfterRenewalIsSignInNeeded(t *testing.T) {
	ctx := context.Background()
	f := newFake(t, fakeazure.Options{})
	s := newSession(t, f, fakeazure.DemoTenantID, newKeyStore(t).cache(t, fakeazure.DemoTenantID, nil), f.Browser())
	if _, err := s.SignIn(ctx, auth.SignInOptions{}); err != nil {
		t.Fatal(err)
	}
	c := newPIMClient(t, f, s)
	// How many requests one listing of the Azure plane makes, while all is well.
	f.ResetLog()
	if _, err := c.Overview(ctx, pim.PlaneAzure); err != nil {
		t.Fatal(err)
	}
	perListing := countRequests(f, "azure", 0)
	f.RejectAccessTokens("arm")
	f.RevokeRefreshTokens(fakeazure.DemoTenantID)
	f.ResetLog()
	ov, err := c.Overview(ctx, pim.PlaneAzure)
	if err == nil {
		err = ov.Errors[pim.PlaneAzure]
	}
	if !errors.Is(err, pim.ErrSignInNeeded) {
		t.Fatalf("got %v, want sign-in needed", err)
	}
	if r := refusedTwice(f); r != "" {
		t.Errorf("%s was refused twice", r)
	}
	// The refused requests share one renewal; a request of the listing that asks for its
	// token after the renewal failed tries the (revoked) refresh token once itself. No loop:
	// at most one token request per request of the listing.
	if n := tokenGrants(f); n < 1 || n > perListing {
		t.Errorf("%d token requests for a listing of %d requests", n, perListing)
		for _, r := range f.Requests() {
			t.Logf("%s %s %s %d", r.Plane, r.Method, r.Path, r.Status)
		}
	}
}

// The sign-in trap, second half: a sign-in the user asks for renews every plane. Before, the
// browser renewed Graph only and ARM came from the cache again, refused again.
func TestSignInRenewsEveryPlane(t *testing.T) {
	ctx := context.Background()
	f := newFake(t, fakeazure.Options{})
	b := &browser{open: f.Browser()}
	s := newSession(t, f, fakeazure.DemoTenantID, newKeyStore(t).cache(t, fakeazure.DemoTenantID, nil), b.OpenURL)
	if _, err := s.SignIn(ctx, auth.SignInOptions{}); err != nil {
		t.Fatal(err)
	}
	c := newPIMClient(t, f, s)
	f.RejectAccessTokens("arm")
	f.RevokeRefreshTokens(fakeazure.DemoTenantID) // so only a new sign-in can help
	ov, err := c.Overview(ctx, pim.PlaneAzure)
	if err == nil {
		err = ov.Errors[pim.PlaneAzure]
	}
	if !errors.Is(err, pim.ErrSignInNeeded) {
		t.Fatalf("before the sign-in: %v, want sign-in needed", err)
	}
	if _, err := s.SignIn(ctx, auth.SignInOptions{}); err != nil {
		t.Fatal(err)
	}
	f.ResetLog()
	for _, p := range []pim.Plane{pim.PlaneAzure, pim.PlaneEntra} {
		ov, err := c.Overview(ctx, p)
		if err == nil {
			err = ov.Errors[p]
		}
		if err != nil {
			t.Errorf("%s after the sign-in: %v", p, err)
		}
	}
	if n := countRequests(f, "azure", 401) + countRequests(f, "entra", 401); n != 0 {
		t.Errorf("%d requests refused after the sign-in: a refused token came back from the cache", n)
	}
	if n := b.trips.Load(); n != 2 {
		t.Errorf("browser trips = %d, want 2 (one per sign-in)", n)
	}
}
