// Package auth signs pimtray in with Microsoft's own library (MSAL Go's public client) and
// turns the sign-in into an azcore.TokenCredential that the pim client uses for both Graph and
// ARM.
//
// # Sign-in
//
// SignIn opens the system browser on the identity platform's authorize page with a loopback
// redirect (http://localhost:<free port>, PKCE, form_post), or uses the device-code flow for
// machines where a browser can't reach back. One sign-in yields tokens for every resource: a
// Graph token first, then an ARM token silently from the same refresh token.
//
// # Tokens in the background
//
// GetToken is silent: it answers from the cache or with the refresh token, and never opens a
// browser unless the context says the user asked for it (Interactive). When a sign-in is needed
// it returns a *pim.Error of KindSignInNeeded, which the tray shows as "Sign in needed".
//
// # Step-up
//
// A claims challenge (a Conditional Access authentication context such as "c1", or MFA) comes in
// TokenRequestOptions.Claims or pim.WithClaims: GetToken asks silently with the claims (which
// skips cached tokens); when the identity platform answers interaction_required and the context
// is Interactive, it signs in once in the browser with the claims and returns the stepped-up
// token.
//
// # Scopes and client ids
//
// Graph's "/.default" is replaced by the explicit delegated PIM permissions (GraphScopes):
// with a well-known client such as Microsoft Graph Command Line Tools, "/.default" would only
// yield what was consented before, and the explicit list lets the sign-in ask for consent.
// ARM scopes are used as asked ("/.default" or "/user_impersonation"). Each plane may use its
// own client id (GraphClientID, ARMClientID, else ClientID, else the defaults below); each
// distinct client id is its own MSAL client, with its own part of the one sealed cache.
//
// # App registration
//
// The defaults work where an admin has consented the Graph PIM permissions for Microsoft Graph
// Command Line Tools. The clean setup is the organisation's own app, used for every plane
// (Options.ClientID, "clientId" in the configuration):
//
//  1. Entra admin center > App registrations > New registration; any name ("pimtray"),
//     single tenant (or multitenant for guest administrators).
//  2. Authentication > Add a platform > Mobile and desktop applications > redirect URI
//     http://localhost; Advanced settings > Allow public client flows: Yes (device code).
//  3. API permissions > Add > Microsoft Graph > Delegated: the GraphPermissions below;
//     Azure Service Management > Delegated: user_impersonation.
//  4. Grant admin consent for the tenant (the Graph PIM permissions need it).
//  5. Copy the Application (client) ID into the configuration.
//
// # Storage
//
// The token cache is Options.Cache (store.SealedCache: sealed file, key in the OS keyring).
// No token is ever logged; debug logs say only which plane, which source, and when it expires.
package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"
	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"

	"github.com/pimtray/pimtray/pim"
)

// Well-known public client ids, used when the configuration names none.
const (
	// DefaultGraphClientID is Microsoft Graph Command Line Tools (the Graph PowerShell SDK's
	// client): it can get Graph's PIM permissions once an admin consented them for the tenant.
	DefaultGraphClientID = "14d82eec-204b-4c2f-b7e8-296a70dab67e"
	// DefaultARMClientID is the Azure CLI's client: it gets ARM tokens everywhere (but never
	// Graph's PIM permissions, so it is not the Graph default).
	DefaultARMClientID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
)

// DefaultSignInTimeout bounds a browser or device-code sign-in nobody completes.
const DefaultSignInTimeout = 5 * time.Minute

// GraphPermissions are the delegated Graph permissions pimtray asks for: the three PIM planes'
// read and activate permissions, and User.Read (who am I).
var GraphPermissions = []string{
	"RoleEligibilitySchedule.Read.Directory",
	"RoleAssignmentSchedule.ReadWrite.Directory",
	"RoleManagementPolicy.Read.Directory",
	"PrivilegedEligibilitySchedule.Read.AzureADGroup",
	"PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup",
	"RoleManagementPolicy.Read.AzureADGroup",
	"User.Read",
}

// GraphScopes are GraphPermissions as scopes of the cloud's Graph resource.
func GraphScopes(c pim.Cloud) []string {
	res := resource(c.GraphAudience, c.Graph)
	out := make([]string, len(GraphPermissions))
	for i, p := range GraphPermissions {
		out[i] = res + "/" + p
	}
	return out
}

// TokenCache is where a Session keeps its MSAL token cache: store.SealedCache (sealed file,
// key in the OS keyring). One TokenCache per Session. A Replace error with a method
// UnusableFile() bool that says true (store.FileError: the sealed file is a folder, a named
// pipe, a device or too large) is told to the user as it is, never as a sign-out.
type TokenCache interface {
	cache.ExportReplace
	// Storage is where the sign-in is kept: "keyring" or "memory".
	Storage() string
	// Warning is "" or what to tell the user ("not remembered: keyring unavailable").
	Warning() string
	// Delete forgets everything stored (sign-out).
	Delete(ctx context.Context) error
}

// Options configure a Session. Only Cloud is required.
type Options struct {
	// Cloud has the authority host and the Graph and ARM resources.
	Cloud pim.Cloud
	// TenantID is the tenant (GUID or domain) to sign in to; "" means "organizations" (the
	// account's home tenant).
	TenantID string
	// TenantName names the tenant in messages; "" means TenantID.
	TenantName string
	// ClientID is the public client (app registration) for every plane; GraphClientID and
	// ARMClientID override it per plane. Empty: DefaultGraphClientID / DefaultARMClientID.
	ClientID, GraphClientID, ARMClientID string
	// Cache keeps the sign-in across restarts. Nil: memory only.
	Cache TokenCache
	// HTTPClient talks to the identity platform. Nil: MSAL's default.
	HTTPClient *http.Client
	// OpenURL opens the sign-in page. Nil: the system browser.
	OpenURL func(url string) error
	// Log gets debug facts (never a token). Nil: discarded.
	Log *slog.Logger
	// UseAzureCLI takes ARM tokens from the Azure CLI's sign-in (az login); Graph still comes
	// from this Session's own sign-in.
	UseAzureCLI bool
	// ARMCredential, when set, provides ARM tokens instead of MSAL (UseAzureCLI sets it to
	// azidentity's AzureCLICredential; tests set their own).
	ARMCredential azcore.TokenCredential
	// RedirectURI is the loopback redirect; "" means http://localhost with a free port. Give a
	// port ("http://localhost:8400") when the app registration demands one.
	RedirectURI string
	// SignInTimeout bounds an interactive sign-in; 0 means DefaultSignInTimeout.
	SignInTimeout time.Duration
}

// Account is who is signed in.
type Account struct {
	// TenantID is the tenant the account signed in to (a GUID, even when Options.TenantID was a
	// domain or "organizations").
	TenantID string `json:"tenantId"`
	// Username is the UPN: admin@contoso.com.
	Username string `json:"username"`
	// HomeAccountID is MSAL's id of the account ("oid.tid").
	HomeAccountID string `json:"homeAccountId"`
}

// Session is one tenant's sign-in. It is safe for concurrent use.
type Session struct {
	opts    Options
	tenant  string
	log     *slog.Logger
	cache   TokenCache
	shared  *sharedCache
	graph   *client
	arm     *client
	armCred azcore.TokenCredential
	timeout time.Duration
	openURL func(string) error

	mu      sync.Mutex // guards account
	account *public.Account

	renewMu sync.RWMutex // one renewal of a refused token at a time (write); silent token reads wait for it (read); guards renewed
	renewed map[tokenPlane]renewal

	interactive1 chan struct{} // one browser (or device code) at a time: a semaphore that honours ctx
}

// client is one MSAL public client (one client id).
type client struct {
	id  string
	pca public.Client
}

var _ azcore.TokenCredential = (*Session)(nil)

var tenantRE = regexp.MustCompile(`^(?i)([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+|organizations|common)$`)

// New makes a Session. It touches neither the network nor the keyring.
func New(opts Options) (*Session, error) {
	if opts.Cloud.AuthorityHost == "" {
		return nil, errors.New("sign-in: the cloud has no authority host")
	}
	tenant := opts.TenantID
	if tenant == "" {
		tenant = "organizations"
	}
	if !tenantRE.MatchString(tenant) {
		return nil, &pim.Error{Kind: pim.KindOther, Text: fmt.Sprintf("%q is not a tenant id: use its GUID or a domain like contoso.onmicrosoft.com.", tenant)}
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Session{
		opts:    opts,
		tenant:  tenant,
		log:     log.With("component", "auth", "tenant", tenant),
		cache:   opts.Cache,
		timeout: opts.SignInTimeout,
		openURL: opts.OpenURL,

		interactive1: make(chan struct{}, 1),
	}
	if s.cache == nil {
		s.cache = &memoryCache{}
	}
	if s.timeout <= 0 {
		s.timeout = DefaultSignInTimeout
	}
	s.shared = &sharedCache{under: s.cache, log: s.log}

	graphID := first(opts.GraphClientID, opts.ClientID, DefaultGraphClientID)
	armID := first(opts.ARMClientID, opts.ClientID, DefaultARMClientID)
	authority := strings.TrimRight(opts.Cloud.AuthorityHost, "/") + "/" + tenant
	u, err := url.Parse(authority)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("sign-in: authority %q is not an https address", authority)
	}
	newClient := func(id string) (*client, error) {
		o := []public.Option{
			public.WithAuthority(authority),
			public.WithCache(s.shared.forClient(id)),
			public.WithClientCapabilities([]string{"CP1"}),
		}
		if opts.HTTPClient != nil {
			o = append(o, public.WithHTTPClient(opts.HTTPClient))
		}
		// No instance discovery, for any authority. A private cloud or the fake would otherwise
		// be validated by login.microsoftonline.com (failing offline); for the well-known clouds'
		// authorities MSAL Go (v1.10) validates none anyway (its trusted-host list) and uses
		// discovery only for the cache's host aliases, one request per client per process —
		// two for every command. The sealed cache is pimtray's own and MSAL writes every token
		// under the authority's host, which is the host it is read with: the aliases find
		// nothing more.
		o = append(o, public.WithInstanceDiscovery(false))
		pca, err := public.New(id, o...)
		if err != nil {
			return nil, fmt.Errorf("sign-in: %w", err)
		}
		return &client{id: id, pca: pca}, nil
	}
	if s.graph, err = newClient(graphID); err != nil {
		return nil, err
	}
	if armID == graphID {
		s.arm = s.graph
	} else if s.arm, err = newClient(armID); err != nil {
		return nil, err
	}
	s.armCred = opts.ARMCredential
	if s.armCred == nil && opts.UseAzureCLI {
		o := &azidentity.AzureCLICredentialOptions{}
		if opts.TenantID != "" && tenant != "organizations" && tenant != "common" {
			o.TenantID = tenant
		}
		if s.armCred, err = azidentity.NewAzureCLICredential(o); err != nil {
			return nil, fmt.Errorf("sign-in: azure cli: %w", err)
		}
	}
	return s, nil
}

// TenantID is the tenant this session signs in to ("organizations" when none was given).
func (s *Session) TenantID() string { return s.tenant }

// Storage is where the sign-in is kept: "keyring" or "memory". It is known for sure once the
// cache was used (Account, GetToken or SignIn); before that it is the cache's expectation.
func (s *Session) Storage() string { return s.cache.Storage() }

// Warning is "" or what to tell the user about the storage ("not remembered: keyring unavailable").
func (s *Session) Warning() string { return s.cache.Warning() }

// Account is who is signed in, from the cache; false when nobody is. It may read the sealed
// cache (bounded by the keyring's timeout).
func (s *Session) Account() (Account, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a, ok := s.msalAccount(ctx, s.graph)
	if !ok {
		return Account{}, false
	}
	return toAccount(a), true
}

func toAccount(a public.Account) Account {
	return Account{TenantID: a.Realm, Username: a.PreferredUsername, HomeAccountID: a.HomeAccountID}
}

// msalAccount finds the signed-in account in c's cache: the one this session signed in with,
// else one of this tenant.
func (s *Session) msalAccount(ctx context.Context, c *client) (public.Account, bool) {
	a, ok, _ := s.msalAccountErr(ctx, c)
	return a, ok
}

// msalAccountErr is msalAccount with the reason the cache could not be read.
func (s *Session) msalAccountErr(ctx context.Context, c *client) (public.Account, bool, error) {
	s.mu.Lock()
	known := s.account
	s.mu.Unlock()
	accounts, err := c.pca.Accounts(ctx)
	if err != nil {
		s.log.Debug("accounts unreadable", "err", err)
		return public.Account{}, false, err
	}
	var pick *public.Account
	for i := range accounts {
		a := &accounts[i]
		if known != nil && a.HomeAccountID == known.HomeAccountID {
			pick = a
			break
		}
		if pick == nil && s.accountFitsTenant(*a) {
			pick = a
		}
	}
	if pick == nil {
		return public.Account{}, false, nil
	}
	if c == s.graph {
		s.mu.Lock()
		if s.account == nil {
			acct := *pick
			s.account = &acct
		}
		s.mu.Unlock()
	}
	return *pick, true, nil
}

func (s *Session) accountFitsTenant(a public.Account) bool {
	switch {
	case s.tenant == "organizations" || s.tenant == "common":
		return true
	case tenantGUID.MatchString(s.tenant):
		return strings.EqualFold(a.Realm, s.tenant)
	default: // a domain: the realm is the GUID, which the domain doesn't tell; one cache per tenant
		return true
	}
}

var tenantGUID = regexp.MustCompile(`^(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// lockInteractive waits for any other sign-in of this session to finish (or ctx to end).
func (s *Session) lockInteractive(ctx context.Context) (unlock func(), err error) {
	select {
	case s.interactive1 <- struct{}{}:
		return func() { <-s.interactive1 }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("sign in to %s: %w", s.displayTenant(), ctx.Err())
	}
}

type interactiveKey struct{}

// Interactive marks a context as a user's own request: GetToken may then open the browser
// (once) when a sign-in or a step-up is needed. Background work never uses it.
func Interactive(ctx context.Context) context.Context {
	return context.WithValue(ctx, interactiveKey{}, true)
}

// IsInteractive tells whether ctx came from Interactive.
func IsInteractive(ctx context.Context) bool {
	v, _ := ctx.Value(interactiveKey{}).(bool)
	return v
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// resource is a token resource without a trailing slash.
func resource(audience, base string) string {
	if audience != "" {
		return strings.TrimRight(audience, "/")
	}
	return strings.TrimRight(base, "/")
}
