package auth_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"

	"github.com/pimtray/pimtray/internal/fakeazure"
	"github.com/pimtray/pimtray/internal/testkit/keyringtest"
	"github.com/pimtray/pimtray/internal/testkit/porttest"
	"github.com/pimtray/pimtray/pim"
	"github.com/pimtray/pimtray/pim/auth"
	"github.com/pimtray/pimtray/store"
)

// testClientID is an organisation's own app registration, used for every plane.
const testClientID = "5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"

const (
	secondTenantID  = "0d9c8b7a-6f5e-4d3c-8b2a-1f0e9d8c7b6a"
	secondTenantUPN = "ops@fabrikam.example"
)

func newFake(t *testing.T, opts fakeazure.Options) *fakeazure.Server {
	t.Helper()
	f, err := fakeazure.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return f
}

// browser counts trips to the sign-in page.
type browser struct {
	open  func(string) error
	trips atomic.Int32
}

func (b *browser) OpenURL(u string) error {
	b.trips.Add(1)
	return b.open(u)
}

// noBrowser fails the test if anything opens a browser.
func noBrowser(t *testing.T) func(string) error {
	return func(string) error {
		t.Errorf("a browser was opened")
		return errors.New("no browser here")
	}
}

// keyStore is one machine's keyring and cache folder: sessions made on it are "processes".
type keyStore struct {
	kr  *store.Keyring
	dir string
}

func newKeyStore(t *testing.T) keyStore {
	return keyStore{kr: store.NewKeyringWith(&keyringtest.Memory{}, 0), dir: t.TempDir()}
}

func (k keyStore) cache(t *testing.T, tenant string, log *slog.Logger) *store.SealedCache {
	t.Helper()
	c, err := store.NewSealedCache(store.SealedCacheOptions{Keyring: k.kr, Service: "pimtray-test", Account: tenant, Dir: k.dir, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newSession(t *testing.T, f *fakeazure.Server, tenant string, c auth.TokenCache, open func(string) error, mod ...func(*auth.Options)) *auth.Session {
	t.Helper()
	o := auth.Options{Cloud: f.Cloud(), TenantID: tenant, ClientID: testClientID, Cache: c,
		HTTPClient: f.HTTPClient(), OpenURL: open, SignInTimeout: 20 * time.Second}
	for _, m := range mod {
		m(&o)
	}
	s, err := auth.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func graphScope(f *fakeazure.Server) policy.TokenRequestOptions {
	return policy.TokenRequestOptions{Scopes: []string{f.Cloud().GraphScope()}, EnableCAE: true}
}

func armScope(f *fakeazure.Server) policy.TokenRequestOptions {
	return policy.TokenRequestOptions{Scopes: []string{f.Cloud().ARMScope()}, EnableCAE: true}
}

// claimsOf decodes a JWT's payload (the fake's tokens are JWT-shaped).
func claimsOf(t *testing.T, tok azcore.AccessToken) map[string]any {
	t.Helper()
	parts := strings.Split(tok.Token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT (%d parts)", len(parts))
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]any{}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func mustToken(t *testing.T, s *auth.Session, ctx context.Context, o policy.TokenRequestOptions) azcore.AccessToken {
	t.Helper()
	tok, err := s.GetToken(ctx, o)
	if err != nil {
		t.Fatalf("GetToken(%v): %v", o.Scopes, err)
	}
	if tok.Token == "" || !tok.ExpiresOn.After(time.Now()) {
		t.Fatalf("bad token: expires %v", tok.ExpiresOn)
	}
	return tok
}

func TestFirstSignInThenANewProcessIsSilent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFake(t, fakeazure.Options{})
	ks := newKeyStore(t)
	b := &browser{open: f.Browser()}

	first := newSession(t, f, fakeazure.DemoTenantID, ks.cache(t, fakeazure.DemoTenantID, nil), b.OpenURL)
	if _, ok := first.Account(); ok {
		t.Fatal("signed in before signing in")
	}
	acct, err := first.SignIn(ctx, auth.SignInOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if acct.Username != fakeazure.DemoUserUPN || !strings.EqualFold(acct.TenantID, fakeazure.DemoTenantID) || acct.HomeAccountID == "" {
		t.Errorf("account = %+v", acct)
	}
	if first.Storage() != store.StorageKeyring || first.Warning() != "" {
		t.Errorf("storage %q warning %q", first.Storage(), first.Warning())
	}

	// "Exit" and start again: a new Session and a new cache object over the same keyring and folder.
	second := newSession(t, f, fakeazure.DemoTenantID, ks.cache(t, fakeazure.DemoTenantID, nil), noBrowser(t))
	got, ok := second.Account()
	if !ok || got != acct {
		t.Fatalf("new process account = %+v, %v; want %+v", got, ok, acct)
	}
	g := mustToken(t, second, ctx, graphScope(f))
	a := mustToken(t, second, ctx, armScope(f))
	if aud := claimsOf(t, g)["aud"]; aud != fakeazure.GraphResource {
		t.Errorf("graph token aud = %v", aud)
	}
	if aud := claimsOf(t, a)["aud"]; aud != fakeazure.ARMResource {
		t.Errorf("arm token aud = %v", aud)
	}
	if n := b.trips.Load(); n != 1 {
		t.Errorf("browser trips = %d, want 1", n)
	}
}

func TestGraphThenARMFromOneBrowserTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFake(t, fakeazure.Options{})
	b := &browser{open: f.Browser()}
	s := newSession(t, f, fakeazure.DemoTenantID, newKeyStore(t).cache(t, fakeazure.DemoTenantID, nil), b.OpenURL)
	// No SignIn: the user's own click (Interactive) on a Graph role signs in once...
	g := mustToken(t, s, auth.Interactive(ctx), graphScope(f))
	// ... and ARM, in the background, needs no second trip.
	a := mustToken(t, s, ctx, armScope(f))
	if n := b.trips.Load(); n != 1 {
		t.Fatalf("browser trips = %d, want 1", n)
	}
	gc, ac := claimsOf(t, g), claimsOf(t, a)
	if gc["tid"] != fakeazure.DemoTenantID || ac["tid"] != fakeazure.DemoTenantID || gc["upn"] != fakeazure.DemoUserUPN {
		t.Errorf("claims: graph %v / arm %v", gc["tid"], ac["tid"])
	}
	if scp, _ := gc["scp"].(string); !strings.Contains(scp, "RoleAssignmentSchedule.ReadWrite.Directory") {
		t.Errorf("graph scp = %q", scp)
	}
	if xms, _ := json.Marshal(gc["xms_cc"]); !strings.Contains(string(xms), "CP1") {
		t.Errorf("the client should announce CP1: xms_cc = %s", xms)
	}
}

func TestBackgroundNeverOpensABrowser(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFake(t, fakeazure.Options{})
	s := newSession(t, f, fakeazure.DemoTenantID, nil, noBrowser(t), func(o *auth.Options) { o.TenantName = "Contoso (demo)" })
	_, err := s.GetToken(ctx, graphScope(f))
	if !errors.Is(err, pim.ErrSignInNeeded) {
		t.Fatalf("got %v", err)
	}
	want := "Sign in needed for Contoso (demo): run `pimtray signin` or use Sign in… in the tray."
	if err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
}

func TestStepUpForAuthenticationContext(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFake(t, fakeazure.Options{})
	b := &browser{open: f.Browser()}
	s := newSession(t, f, fakeazure.DemoTenantID, newKeyStore(t).cache(t, fakeazure.DemoTenantID, nil), b.OpenURL)
	if _, err := s.SignIn(ctx, auth.SignInOptions{}); err != nil {
		t.Fatal(err)
	}
	plain := mustToken(t, s, ctx, graphScope(f))
	if _, has := claimsOf(t, plain)["acrs"]; has {
		t.Fatal("a plain sign-in should not carry acrs")
	}
	const claims = `{"access_token":{"acrs":{"essential":true,"value":"c1"}}}`

	// In the background, a claims challenge is "sign in needed", with the claims, and no browser.
	o := graphScope(f)
	o.Claims = claims
	_, err := s.GetToken(ctx, o)
	var pe *pim.Error
	if !errors.As(err, &pe) || pe.Kind != pim.KindSignInNeeded || pe.Claims != claims {
		t.Fatalf("background step-up: %v", err)
	}
	if n := b.trips.Load(); n != 1 {
		t.Fatalf("browser trips = %d, want 1", n)
	}

	// The user's own request steps up with one browser trip; claims may come through pim.WithClaims.
	tok := mustToken(t, s, pim.WithClaims(auth.Interactive(ctx), claims), graphScope(f))
	if n := b.trips.Load(); n != 2 {
		t.Fatalf("browser trips = %d, want 2", n)
	}
	acrs, _ := json.Marshal(claimsOf(t, tok)["acrs"])
	if !strings.Contains(string(acrs), `"c1"`) {
		t.Fatalf("stepped-up token acrs = %s", acrs)
	}
}

func TestRevokedRefreshTokenMeansSignInNeededWithoutABrowser(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFake(t, fakeazure.Options{})
	ks := newKeyStore(t)
	s := newSession(t, f, fakeazure.DemoTenantID, ks.cache(t, fakeazure.DemoTenantID, nil), f.Browser())
	if _, err := s.SignIn(ctx, auth.SignInOptions{}); err != nil {
		t.Fatal(err)
	}
	f.RevokeRefreshTokens(fakeazure.DemoTenantID)

	// An hour later the access tokens have expired: the next process must use the refresh token.
	later := newSession(t, f, fakeazure.DemoTenantID, expired{ks.cache(t, fakeazure.DemoTenantID, nil)}, noBrowser(t))
	_, err := later.GetToken(ctx, graphScope(f))
	if !errors.Is(err, pim.ErrSignInNeeded) {
		t.Fatalf("got %v", err)
	}
	if !strings.HasPrefix(err.Error(), "Sign in needed for "+fakeazure.DemoTenantID) {
		t.Errorf("message: %s", err)
	}
}

// expired is a TokenCache decorator that drops MSAL's cached access tokens on load: the state
// of the cache an hour after the sign-in, when only refresh tokens are still good.
type expired struct{ auth.TokenCache }

func (e expired) Replace(ctx context.Context, u cache.Unmarshaler, h cache.ReplaceHints) error {
	return e.TokenCache.Replace(ctx, dropAccessTokens{u}, h)
}

type dropAccessTokens struct{ cache.Unmarshaler }

func (d dropAccessTokens) Unmarshal(b []byte) error {
	var blob struct {
		Format  int                                   `json:"pimtray"`
		Clients map[string]map[string]json.RawMessage `json:"clients"`
	}
	if err := json.Unmarshal(b, &blob); err != nil {
		return err
	}
	for _, c := range blob.Clients {
		c["AccessToken"] = json.RawMessage(`{}`)
	}
	out, err := json.Marshal(blob)
	if err != nil {
		return err
	}
	return d.Unmarshaler.Unmarshal(out)
}

func TestARefreshAfterExpiryNeedsNoBrowser(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFake(t, fakeazure.Options{})
	ks := newKeyStore(t)
	s := newSession(t, f, fakeazure.DemoTenantID, ks.cache(t, fakeazure.DemoTenantID, nil), f.Browser())
	if _, err := s.SignIn(ctx, auth.SignInOptions{}); err != nil {
		t.Fatal(err)
	}
	later := newSession(t, f, fakeazure.DemoTenantID, expired{ks.cache(t, fakeazure.DemoTenantID, nil)}, noBrowser(t))
	mustToken(t, later, ctx, graphScope(f))
	mustToken(t, later, ctx, armScope(f))
	// The refresh token rotated twice; the rotated one was stored, so yet another process works.
	again := newSession(t, f, fakeazure.DemoTenantID, expired{ks.cache(t, fakeazure.DemoTenantID, nil)}, noBrowser(t))
	mustToken(t, again, ctx, armScope(f))
}

func TestTwoTenantsSideBySide(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	second := fakeazure.NewTenant(secondTenantID, "Fabrikam", fakeazure.User{ID: "6e5d4c3b-2a19-4807-b6a5-94837261504f", UPN: secondTenantUPN, DisplayName: "Ops"})
	f := newFake(t, fakeazure.Options{Tenants: []*fakeazure.Tenant{fakeazure.Demo(), second}})
	ks := newKeyStore(t)
	b := &browser{open: f.Browser()}
	contoso := newSession(t, f, fakeazure.DemoTenantID, ks.cache(t, fakeazure.DemoTenantID, nil), b.OpenURL)
	fabrikam := newSession(t, f, secondTenantID, ks.cache(t, secondTenantID, nil), b.OpenURL)
	a1, err := contoso.SignIn(ctx, auth.SignInOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a2, err := fabrikam.SignIn(ctx, auth.SignInOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if a1.Username != fakeazure.DemoUserUPN || a2.Username != secondTenantUPN || a2.TenantID != secondTenantID {
		t.Fatalf("accounts %+v / %+v", a1, a2)
	}
	for _, c := range []struct {
		s    *auth.Session
		tid  string
		user string
	}{{contoso, fakeazure.DemoTenantID, fakeazure.DemoUserUPN}, {fabrikam, secondTenantID, secondTenantUPN}} {
		for _, o := range []policy.TokenRequestOptions{graphScope(f), armScope(f)} {
			cl := claimsOf(t, mustToken(t, c.s, ctx, o))
			if cl["tid"] != c.tid || cl["upn"] != c.user {
				t.Errorf("token for %s has tid %v upn %v", c.tid, cl["tid"], cl["upn"])
			}
		}
	}
	// Signing out of one leaves the other signed in, also in a new process.
	if err := fabrikam.SignOut(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := fabrikam.Account(); ok {
		t.Error("still signed in to Fabrikam")
	}
	if _, err := newSession(t, f, secondTenantID, ks.cache(t, secondTenantID, nil), noBrowser(t)).GetToken(ctx, graphScope(f)); !errors.Is(err, pim.ErrSignInNeeded) {
		t.Errorf("after sign-out: %v", err)
	}
	mustToken(t, newSession(t, f, fakeazure.DemoTenantID, ks.cache(t, fakeazure.DemoTenantID, nil), noBrowser(t)), ctx, armScope(f))
}

func TestDeviceCodeSignIn(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFake(t, fakeazure.Options{})
	s := newSession(t, f, fakeazure.DemoTenantID, nil, noBrowser(t))
	codeRE := regexp.MustCompile(`^To sign in, open (https://\S+) and enter code (\S+)$`)
	var prompts []string
	confirmed := make(chan error, 1)
	acct, err := s.SignIn(ctx, auth.SignInOptions{DeviceCode: true, Prompt: func(msg string) {
		prompts = append(prompts, msg)
		m := codeRE.FindStringSubmatch(msg)
		if m == nil {
			confirmed <- fmt.Errorf("prompt %q does not say where and which code", msg)
			return
		}
		go func() { confirmed <- f.ConfirmDeviceCode(m[2]) }() // the user, on their phone
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := <-confirmed; err != nil {
		t.Fatal(err)
	}
	if acct.Username != fakeazure.DemoUserUPN {
		t.Errorf("account %+v", acct)
	}
	if len(prompts) != 1 {
		t.Errorf("prompts: %q", prompts)
	}
	mustToken(t, s, ctx, armScope(f))
}

func TestDeviceCodeNeedsAPrompt(t *testing.T) {
	t.Parallel()
	f := newFake(t, fakeazure.Options{})
	s := newSession(t, f, fakeazure.DemoTenantID, nil, noBrowser(t))
	if _, err := s.SignIn(context.Background(), auth.SignInOptions{DeviceCode: true}); err == nil {
		t.Fatal("want an error")
	}
}

// assertQuickSentence checks an error is one human sentence. (That it came quickly is the
// test's deadline's to say: no wall-clock bound on a loaded machine.)
func assertQuickSentence(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatal("want an error")
	}
	msg := err.Error()
	if !strings.Contains(msg, want) || strings.Contains(msg, "\n") || !strings.HasSuffix(msg, ".") {
		t.Errorf("message %q should be one sentence containing %q", msg, want)
	}
	if strings.Contains(msg, fakeazure.SecretMarker) {
		t.Error("a secret in the message")
	}
}

func TestCancelledSignIn(t *testing.T) {
	t.Parallel()
	f := newFake(t, fakeazure.Options{})
	s := newSession(t, f, fakeazure.DemoTenantID, nil, f.BrowserWith(fakeazure.BrowserOptions{Cancel: true}))
	_, err := s.SignIn(context.Background(), auth.SignInOptions{})
	assertQuickSentence(t, err, "The sign-in to "+fakeazure.DemoTenantID+" was cancelled or refused in the browser: AADSTS65004: User declined to consent to access the app.")
	if !errors.Is(err, pim.ErrSignInNeeded) {
		t.Errorf("kind: %v", err)
	}
	if _, ok := s.Account(); ok {
		t.Error("signed in after a cancelled sign-in")
	}
}

func TestWrongTenant(t *testing.T) {
	t.Parallel()
	f := newFake(t, fakeazure.Options{})
	b := &browser{open: f.Browser()}
	for _, tenant := range []string{"11111111-2222-3333-4444-555555555555", "nowhere.example"} {
		s := newSession(t, f, tenant, nil, b.OpenURL)
		_, err := s.SignIn(context.Background(), auth.SignInOptions{})
		assertQuickSentence(t, err, fmt.Sprintf("Tenant %q was not found at ", tenant))
		_, err = s.GetToken(auth.Interactive(context.Background()), graphScope(f))
		assertQuickSentence(t, err, fmt.Sprintf("Tenant %q was not found at ", tenant))
	}
	if n := b.trips.Load(); n != 0 {
		t.Errorf("a browser opened for a tenant that does not exist (%d)", n)
	}
	if _, err := auth.New(auth.Options{Cloud: f.Cloud(), TenantID: "not a tenant"}); err == nil || err.Error() != `"not a tenant" is not a tenant id: use its GUID or a domain like contoso.onmicrosoft.com.` {
		t.Errorf("New: %v", err)
	}
}

func TestClosedLoopbackPort(t *testing.T) {
	t.Parallel()
	f := newFake(t, fakeazure.Options{})
	// The browser is told to post the answer to a loopback port nobody listens on (a firewall,
	// a proxy, a browser on another machine): it fails, and so does the sign-in, at once.
	_, closed, _ := strings.Cut(porttest.ClosedPort(t), ":")
	redirectElsewhere := func(raw string) error {
		u, err := url.Parse(raw)
		if err != nil {
			return err
		}
		q := u.Query()
		q.Set("redirect_uri", "http://localhost:"+closed)
		u.RawQuery = q.Encode()
		return f.Browser()(u.String())
	}
	s := newSession(t, f, fakeazure.DemoTenantID, nil, redirectElsewhere)
	_, err := s.SignIn(context.Background(), auth.SignInOptions{})
	assertQuickSentence(t, err, "The browser could not finish the sign-in to "+fakeazure.DemoTenantID)
	if !strings.Contains(err.Error(), "pimtray signin --device-code") {
		t.Errorf("should suggest the device code: %s", err)
	}
}

func TestLoopbackPortInUse(t *testing.T) {
	t.Parallel()
	f := newFake(t, fakeazure.Options{})
	l, err := net.Listen("tcp", "localhost:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	b := &browser{open: f.Browser()}
	s := newSession(t, f, fakeazure.DemoTenantID, nil, b.OpenURL, func(o *auth.Options) { o.RedirectURI = fmt.Sprintf("http://localhost:%d", port) })
	_, err = s.SignIn(context.Background(), auth.SignInOptions{})
	assertQuickSentence(t, err, fmt.Sprintf("Cannot listen on http://localhost:%d for the sign-in reply", port))
	if b.trips.Load() != 0 {
		t.Error("the browser opened although nothing could receive the answer")
	}
}

func TestAbandonedSignInTimesOut(t *testing.T) {
	t.Parallel()
	f := newFake(t, fakeazure.Options{})
	// The browser opens but the user walks away.
	s := newSession(t, f, fakeazure.DemoTenantID, nil, func(string) error { return nil },
		func(o *auth.Options) { o.SignInTimeout = 300 * time.Millisecond })
	_, err := s.SignIn(context.Background(), auth.SignInOptions{})
	assertQuickSentence(t, err, "The sign-in to "+fakeazure.DemoTenantID+" was not finished within 300ms")
	// A caller's own cancellation stays a context error.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.SignIn(ctx, auth.SignInOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestSignOutForgetsEverything(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFake(t, fakeazure.Options{})
	ks := newKeyStore(t)
	c := ks.cache(t, fakeazure.DemoTenantID, nil)
	s := newSession(t, f, fakeazure.DemoTenantID, c, f.Browser())
	if _, err := s.SignIn(ctx, auth.SignInOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(c.File()); err != nil {
		t.Fatalf("no sealed file after sign-in: %v", err)
	}
	if err := s.SignOut(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(c.File()); !os.IsNotExist(err) {
		t.Errorf("sealed file left after sign-out: %v", err)
	}
	if _, err := ks.kr.Get(ctx, "pimtray-test", fakeazure.DemoTenantID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("key left in the keyring: %v", err)
	}
	if _, err := s.GetToken(ctx, armScope(f)); !errors.Is(err, pim.ErrSignInNeeded) {
		t.Errorf("token after sign-out: %v", err)
	}
}

// fakeCLI stands in for the Azure CLI credential.
type fakeCLI struct {
	calls atomic.Int32
	err   error
}

func (c *fakeCLI) GetToken(_ context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.calls.Add(1)
	if c.err != nil {
		return azcore.AccessToken{}, c.err
	}
	return azcore.AccessToken{Token: "cli-token", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func TestARMFromTheAzureCLI(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFake(t, fakeazure.Options{})
	cli := &fakeCLI{}
	b := &browser{open: f.Browser()}
	s := newSession(t, f, fakeazure.DemoTenantID, nil, b.OpenURL, func(o *auth.Options) { o.ARMCredential = cli })
	if _, err := s.SignIn(ctx, auth.SignInOptions{}); err != nil {
		t.Fatal(err)
	}
	if tok := mustToken(t, s, ctx, armScope(f)); tok.Token != "cli-token" {
		t.Errorf("arm token did not come from the CLI")
	}
	if claimsOf(t, mustToken(t, s, ctx, graphScope(f)))["aud"] != fakeazure.GraphResource {
		t.Error("graph token should come from the sign-in")
	}
	if cli.calls.Load() != 1 || b.trips.Load() != 1 {
		t.Errorf("cli calls %d, browser trips %d", cli.calls.Load(), b.trips.Load())
	}
	cli.err = errors.New("ERROR: Please run 'az login' to setup account.")
	_, err := s.GetToken(ctx, armScope(f))
	if !errors.Is(err, pim.ErrSignInNeeded) || err.Error() != "No Azure CLI sign-in for Azure roles: run `az login --tenant "+fakeazure.DemoTenantID+"`." {
		t.Errorf("got %v", err)
	}
	// UseAzureCLI builds azidentity's credential without running az.
	if _, err := auth.New(auth.Options{Cloud: f.Cloud(), UseAzureCLI: true}); err != nil {
		t.Errorf("UseAzureCLI: %v", err)
	}
}

func TestKeyringUnavailableStillSignsInForThisRun(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFake(t, fakeazure.Options{})
	dir := t.TempDir()
	broken := store.NewKeyringWith(failingKeyring{}, time.Second)
	c, err := store.NewSealedCache(store.SealedCacheOptions{Keyring: broken, Service: "pimtray-test", Account: fakeazure.DemoTenantID, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	s := newSession(t, f, fakeazure.DemoTenantID, c, f.Browser())
	if _, err := s.SignIn(ctx, auth.SignInOptions{}); err != nil {
		t.Fatalf("sign-in must work without a keyring: %v", err)
	}
	mustToken(t, s, ctx, armScope(f))
	if s.Storage() != "memory" || s.Warning() != "not remembered: keyring unavailable" {
		t.Errorf("storage %q warning %q", s.Storage(), s.Warning())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("files written without a keyring: %v", entries)
	}
}

type failingKeyring struct{}

func (failingKeyring) Set(string, string, string) error   { return errors.New("no secret service") }
func (failingKeyring) Get(string, string) (string, error) { return "", errors.New("no secret service") }
func (failingKeyring) Delete(string, string) error        { return errors.New("no secret service") }

func TestConcurrentGraphAndARMTokens(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFake(t, fakeazure.Options{})
	ks := newKeyStore(t)
	b := &browser{open: f.Browser()}
	s := newSession(t, f, fakeazure.DemoTenantID, ks.cache(t, fakeazure.DemoTenantID, nil), b.OpenURL,
		func(o *auth.Options) {
			o.GraphClientID, o.ARMClientID = testClientID, "6b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e"
		})
	if _, err := s.SignIn(ctx, auth.SignInOptions{}); err != nil {
		t.Fatal(err)
	}
	// Two client ids are two app registrations: each needs its own sign-in (MSAL Go shares no
	// refresh token between clients it has not seen), so SignIn makes both trips at once.
	if n := b.trips.Load(); n != 2 {
		t.Errorf("browser trips = %d, want 2", n)
	}
	// Three planes at once, an hour later (refresh tokens used concurrently by two clients).
	later := newSession(t, f, fakeazure.DemoTenantID, expired{ks.cache(t, fakeazure.DemoTenantID, nil)}, noBrowser(t),
		func(o *auth.Options) {
			o.GraphClientID, o.ARMClientID = testClientID, "6b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e"
		})
	errs := make(chan error, 6)
	for range 3 {
		go func() { _, err := later.GetToken(ctx, graphScope(f)); errs <- err }()
		go func() { _, err := later.GetToken(ctx, armScope(f)); errs <- err }()
	}
	for range 6 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	// Both clients' rotated refresh tokens were kept: a third process refreshes both.
	third := newSession(t, f, fakeazure.DemoTenantID, expired{ks.cache(t, fakeazure.DemoTenantID, nil)}, noBrowser(t),
		func(o *auth.Options) {
			o.GraphClientID, o.ARMClientID = testClientID, "6b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e"
		})
	mustToken(t, third, ctx, graphScope(f))
	mustToken(t, third, ctx, armScope(f))
}

func TestSecretsNeverReachLogsOrFiles(t *testing.T) {
	ctx := context.Background()
	home := t.TempDir()
	t.Setenv("HOME", home)
	for _, v := range []string{"XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"} {
		t.Setenv(v, "")
	}
	paths, err := store.DefaultPaths(false)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f := newFake(t, fakeazure.Options{Log: log})
	kr := store.NewKeyringWith(&keyringtest.Memory{}, 0)
	newCache := func() *store.SealedCache {
		c, err := store.NewSealedCache(store.SealedCacheOptions{Keyring: kr, Service: paths.KeyringService, Account: fakeazure.DemoTenantID, Dir: paths.CacheDir, Log: log})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	withLog := func(o *auth.Options) { o.Log = log }

	// The whole flow: sign in, tokens for both planes, step-up, a new process, device code, sign out.
	s := newSession(t, f, fakeazure.DemoTenantID, newCache(), f.Browser(), withLog)
	if _, err := s.SignIn(ctx, auth.SignInOptions{}); err != nil {
		t.Fatal(err)
	}
	mustToken(t, s, ctx, graphScope(f))
	mustToken(t, s, ctx, armScope(f))
	mustToken(t, s, pim.WithClaims(auth.Interactive(ctx), `{"access_token":{"acrs":{"essential":true,"value":"c1"}}}`), graphScope(f))
	later := newSession(t, f, fakeazure.DemoTenantID, expired{newCache()}, noBrowser(t), withLog)
	mustToken(t, later, ctx, armScope(f))
	f.RevokeRefreshTokens(fakeazure.DemoTenantID)
	if _, err := newSession(t, f, fakeazure.DemoTenantID, expired{newCache()}, noBrowser(t), withLog).GetToken(ctx, graphScope(f)); !errors.Is(err, pim.ErrSignInNeeded) {
		t.Fatalf("after revocation: %v", err)
	}
	dc := newSession(t, f, fakeazure.DemoTenantID, newCache(), noBrowser(t), withLog)
	if _, err := dc.SignIn(ctx, auth.SignInOptions{DeviceCode: true, Prompt: func(msg string) {
		log.Info("prompt shown", "message", msg) // what the CLI prints must be safe too
		code := msg[strings.LastIndex(msg, " ")+1:]
		go func() { _ = f.ConfirmDeviceCode(code) }()
	}}); err != nil {
		t.Fatal(err)
	}

	if logs.Len() == 0 || !strings.Contains(logs.String(), "level=DEBUG") {
		t.Fatal("debug logging was not on")
	}
	for i, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, fakeazure.SecretMarker) {
			t.Errorf("log line %d holds a secret: %.120s…", i+1, line)
		}
	}
	files := 0
	walkFiles(t, home, func(path string, data []byte) {
		files++
		if bytes.Contains(data, []byte(fakeazure.SecretMarker)) || bytes.Contains(data, []byte("refresh_token")) {
			t.Errorf("%s holds a secret in plaintext", path)
		}
	})
	if files == 0 {
		t.Error("expected the sealed cache under the home folder")
	}
	if err := dc.SignOut(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestHungKeyringSignsInWithinSeconds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFake(t, fakeazure.Options{})
	release := make(chan struct{})
	defer close(release)
	hung := store.NewKeyringWith(hungKeyring{release}, 300*time.Millisecond)
	c, err := store.NewSealedCache(store.SealedCacheOptions{Keyring: hung, Service: "pimtray-test", Account: fakeazure.DemoTenantID, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	s := newSession(t, f, fakeazure.DemoTenantID, c, f.Browser())
	// The keyring hangs until the test ends: that the sign-in returns at all is the proof.
	if _, err := s.SignIn(ctx, auth.SignInOptions{}); err != nil {
		t.Fatal(err)
	}
	mustToken(t, s, ctx, armScope(f))
	if s.Warning() != "not remembered: keyring unavailable" {
		t.Errorf("warning %q", s.Warning())
	}
}

type hungKeyring struct{ release chan struct{} }

func (h hungKeyring) Set(string, string, string) error { <-h.release; return nil }
func (h hungKeyring) Get(string, string) (string, error) {
	<-h.release
	return "", store.ErrNotFound
}
func (h hungKeyring) Delete(string, string) error { <-h.release; return nil }

func TestConcurrentInteractiveRequestsOpenOneBrowser(t *testing.T) {
	t.Parallel()
	ctx := auth.Interactive(context.Background())
	f := newFake(t, fakeazure.Options{})
	b := &browser{open: f.Browser()}
	s := newSession(t, f, fakeazure.DemoTenantID, nil, b.OpenURL)
	errs := make(chan error, 3)
	for _, o := range []policy.TokenRequestOptions{graphScope(f), graphScope(f), armScope(f)} {
		go func() { _, err := s.GetToken(ctx, o); errs <- err }()
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n := b.trips.Load(); n != 1 {
		t.Errorf("browser trips = %d, want 1", n)
	}
}

// TestStepUpEndsInAGrantedActivation drives the real pim client on this Session: activating
// "Exchange Administrator" (authentication context c1) fails in the background with the claims,
// and the user's own retry signs in once with them and gets the role.
func TestStepUpEndsInAGrantedActivation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFake(t, fakeazure.Options{})
	b := &browser{open: f.Browser()}
	s := newSession(t, f, fakeazure.DemoTenantID, newKeyStore(t).cache(t, fakeazure.DemoTenantID, nil), b.OpenURL)
	if _, err := s.SignIn(ctx, auth.SignInOptions{}); err != nil {
		t.Fatal(err)
	}
	c, err := pim.NewClient(s, &pim.ClientOptions{ClientOptions: azcore.ClientOptions{Transport: f.HTTPClient()},
		Cloud: f.Cloud(), TenantID: fakeazure.DemoTenantID})
	if err != nil {
		t.Fatal(err)
	}
	ov, err := c.Overview(ctx, pim.PlaneEntra)
	if err != nil {
		t.Fatal(err)
	}
	var role pim.Role
	for _, r := range ov.Eligible {
		if r.RoleName == "Exchange Administrator" {
			role = r
		}
	}
	if role.RoleID == "" {
		t.Fatalf("no Exchange Administrator among %d eligible roles", len(ov.Eligible))
	}
	req := pim.ActivateRequest{Role: role, Justification: "mailbox migration", Duration: time.Hour}
	_, err = c.Activate(ctx, req)
	var pe *pim.Error
	if !errors.As(err, &pe) || pe.Kind != pim.KindAuthContext || pe.Claims == "" {
		t.Fatalf("background activation: %v", err)
	}
	if b.trips.Load() != 1 {
		t.Fatalf("background work opened the browser (%d trips)", b.trips.Load())
	}
	act, err := c.Activate(pim.WithClaims(auth.Interactive(ctx), pe.Claims), req)
	if err != nil {
		t.Fatalf("stepped-up activation: %v", err)
	}
	if act.Status != pim.StatusActive {
		t.Errorf("status %q", act.Status)
	}
	if n := b.trips.Load(); n != 2 {
		t.Errorf("browser trips = %d, want 2 (sign-in, step-up)", n)
	}
}
