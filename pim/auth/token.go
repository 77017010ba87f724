package auth

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"

	"github.com/pimtray/pimtray/pim"
)

// plane of a token request: which resource, hence which client.
type tokenPlane int

const (
	planeOther tokenPlane = iota
	planeGraph
	planeARM
)

func (p tokenPlane) String() string {
	switch p {
	case planeGraph:
		return "graph"
	case planeARM:
		return "arm"
	}
	return "other"
}

// route picks the client and the scopes for a request: Graph's "/.default" becomes the explicit
// PIM permissions; everything else is asked as given.
func (s *Session) route(scopes []string) (tokenPlane, *client, []string) {
	graph := strings.ToLower(resource(s.opts.Cloud.GraphAudience, s.opts.Cloud.Graph))
	arm := strings.ToLower(resource(s.opts.Cloud.ARMAudience, s.opts.Cloud.ARM))
	plane := planeOther
	for _, sc := range scopes {
		res := strings.ToLower(sc)
		if i := strings.LastIndex(res, "/"); i > len("https://") {
			res = strings.TrimRight(res[:i], "/")
		}
		switch {
		case res == graph:
			plane = planeGraph
		case res == arm || res == "https://management.core.windows.net":
			plane = planeARM
		}
	}
	switch plane {
	case planeGraph:
		out := make([]string, 0, len(scopes)+len(GraphPermissions))
		for _, sc := range scopes {
			if strings.HasSuffix(strings.ToLower(sc), "/.default") {
				out = append(out, GraphScopes(s.opts.Cloud)...)
				continue
			}
			out = append(out, sc)
		}
		return plane, s.graph, dedupe(out)
	case planeARM:
		return plane, s.arm, scopes
	}
	return plane, s.graph, scopes
}

// GetToken is azcore.TokenCredential: a token for the scopes' resource (Graph or ARM), silently
// from the cache or the refresh token. Only when ctx is Interactive may it open the browser, once,
// when a sign-in or a step-up (claims) is needed; otherwise that case is a *pim.Error of
// KindSignInNeeded. Claims come from opts.Claims or pim.WithClaims(ctx).
func (s *Session) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	plane, c, scopes := s.route(opts.Scopes)
	claims := opts.Claims
	if claims == "" {
		claims = pim.ClaimsFrom(ctx)
	}
	if plane == planeARM && s.armCred != nil {
		tk, err := s.armCred.GetToken(ctx, opts)
		if err != nil {
			return azcore.AccessToken{}, s.cliError(ctx, err)
		}
		s.log.Debug("token", "plane", "arm", "source", "azure-cli", "expires", tk.ExpiresOn)
		return tk, nil
	}
	if rejected := pim.RejectedTokenFrom(ctx); rejected != "" && claims == "" {
		return s.renew(ctx, plane, c, scopes, rejected)
	}
	// A renewal under way has dropped the refused token from the cache: a silent read now
	// would find none and spend the refresh token a second time. Wait for it, then read the
	// token it got.
	s.renewMu.RLock()
	if r, ok := s.renewed[plane]; ok && r.err != nil && claims == "" && timeNow().Sub(r.at) < renewalFailureHold {
		// The refresh token failed a moment ago: requests of the same burst are told so
		// without spending it again.
		s.renewMu.RUnlock()
		return azcore.AccessToken{}, r.err
	}
	ar, err := s.silent(ctx, c, scopes, claims)
	s.renewMu.RUnlock()
	if err == nil {
		return s.token(plane, ar), nil
	}
	if !needsInteraction(err) {
		return azcore.AccessToken{}, s.failure(ctx, err)
	}
	s.log.Debug("silent token not possible", "plane", plane.String(), "claims", claims != "", "reason", reason(err))
	if !IsInteractive(ctx) {
		return azcore.AccessToken{}, s.signInNeeded(claims)
	}
	unlock, err := s.lockInteractive(ctx)
	if err != nil {
		return azcore.AccessToken{}, err
	}
	defer unlock()
	if claims == "" {
		// Another request may have signed in while this one waited for the browser lock.
		if ar, err := s.silent(ctx, c, scopes, ""); err == nil {
			return s.token(plane, ar), nil
		}
	}
	ar, err = s.interactive(ctx, c, scopes, claims, SignInOptions{})
	if err != nil {
		return azcore.AccessToken{}, err
	}
	return s.token(plane, ar), nil
}

// renew answers a token Azure refused before its expiry (a plain 401): the token is dropped
// from the cache, so MSAL cannot hand it out again, and a new one is got silently with the
// refresh token. Requests refused together (a listing reads several collections at once)
// share one renewal: one token request, not one per 401. It never opens a browser: if the
// refresh token no longer works either, that is KindSignInNeeded.
func (s *Session) renew(ctx context.Context, plane tokenPlane, c *client, scopes []string, rejected string) (azcore.AccessToken, error) {
	sum := sha256.Sum256([]byte(rejected))
	s.renewMu.Lock()
	defer s.renewMu.Unlock()
	if r, ok := s.renewed[plane]; ok && r.rejected == sum {
		if r.err != nil {
			return azcore.AccessToken{}, r.err // the refresh token no longer works: sign in
		}
		if r.tok.ExpiresOn.After(timeNow()) {
			return r.tok, nil
		}
	}
	if s.renewed == nil {
		s.renewed = map[tokenPlane]renewal{}
	}
	n, err := s.shared.dropAccessTokens(ctx, rejected)
	s.log.Debug("token refused by azure: dropped from the cache", "plane", plane.String(), "dropped", n, "err", err)
	ar, err := s.silent(ctx, c, scopes, "")
	if err != nil {
		if needsInteraction(err) {
			e := s.signInNeeded("")
			s.renewed[plane] = renewal{rejected: sum, err: e, at: timeNow()}
			return azcore.AccessToken{}, e
		}
		return azcore.AccessToken{}, s.failure(ctx, err)
	}
	tk := s.token(plane, ar)
	s.renewed[plane] = renewal{rejected: sum, tok: tk}
	return tk, nil
}

// renewal is the last renewal of a plane's refused token (by the refused token's hash): the
// new token, or the sign-in-needed error when the refresh token did not work either.
type renewal struct {
	rejected [32]byte
	tok      azcore.AccessToken
	err      error
	at       time.Time // when err was learnt
}

// renewalFailureHold is how long a failed renewal answers for its plane's other token reads
// (requests sent together, refused together) before the refresh token is tried again — not
// longer, so that a sign-in made meanwhile by another process is picked up.
const renewalFailureHold = 30 * time.Second

func (s *Session) token(plane tokenPlane, ar public.AuthResult) azcore.AccessToken {
	src := "identity-platform"
	if ar.Metadata.TokenSource == public.TokenSourceCache {
		src = "cache"
	}
	s.log.Debug("token", "plane", plane.String(), "source", src, "expires", ar.ExpiresOn)
	return azcore.AccessToken{Token: ar.AccessToken, ExpiresOn: ar.ExpiresOn, RefreshOn: ar.Metadata.RefreshOn}
}

// errNoAccount: nobody is signed in (in this client's cache).
var errNoAccount = errors.New("no account in the token cache")

func (s *Session) silent(ctx context.Context, c *client, scopes []string, claims string) (public.AuthResult, error) {
	acct, ok, aerr := s.msalAccountErr(ctx, c)
	if unusableFile(aerr) != nil {
		return public.AuthResult{}, aerr // not a sign-out: the user must move the file
	}
	if !ok && c != s.graph {
		// This client has no account of its own yet: the Graph sign-in's account may still
		// work with it (a family refresh token).
		s.mu.Lock()
		if s.account != nil {
			acct, ok = *s.account, true
		}
		s.mu.Unlock()
	}
	if !ok {
		if err := ctx.Err(); err != nil {
			return public.AuthResult{}, err
		}
		return public.AuthResult{}, errNoAccount
	}
	o := []public.AcquireSilentOption{public.WithSilentAccount(acct)}
	if claims != "" {
		o = append(o, public.WithClaims(claims))
	}
	return c.pca.AcquireTokenSilent(ctx, scopes, o...)
}

// signInNeeded is the error of background work that would need the browser.
func (s *Session) signInNeeded(claims string) error {
	name := s.displayTenant()
	e := &pim.Error{Kind: pim.KindSignInNeeded, Claims: claims,
		Text: fmt.Sprintf("Sign in needed for %s: run `pimtray signin` or use Sign in… in the tray.", name)}
	if claims != "" {
		e.Text = fmt.Sprintf("Sign in needed for %s: this role asks for a fresh sign-in (MFA or an authentication context); run `pimtray signin` or use Sign in… in the tray.", name)
	}
	return e
}

func (s *Session) displayTenant() string {
	if s.opts.TenantName != "" {
		return s.opts.TenantName
	}
	if s.tenant == "organizations" || s.tenant == "common" {
		return "your account"
	}
	return s.tenant
}

// cliError words an Azure CLI credential's failure.
func (s *Session) cliError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("azure cli token: %w", ctx.Err())
	}
	msg := firstLine(err.Error())
	if strings.Contains(msg, "az login") || strings.Contains(strings.ToLower(msg), "not found") {
		return &pim.Error{Kind: pim.KindSignInNeeded, Plane: pim.PlaneAzure,
			Text: "No Azure CLI sign-in for Azure roles: run `az login" + tenantHint(s.tenant) + "`."}
	}
	return &pim.Error{Kind: pim.KindSignInNeeded, Plane: pim.PlaneAzure,
		Text: "The Azure CLI gave no token for Azure roles: " + strings.TrimSuffix(msg, ".") + "."}
}

func tenantHint(t string) string {
	if t == "organizations" || t == "common" {
		return ""
	}
	return " --tenant " + t
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	out := in[:0:0]
	for _, s := range in {
		k := strings.ToLower(s)
		if !seen[k] {
			seen[k] = true
			out = append(out, s)
		}
	}
	return out
}
