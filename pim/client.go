package pim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/google/uuid"
)

// ARMAPIVersion is the only ARM api-version pimtray speaks for PIM.
const armAPIVersion = "2020-10-01"

// Defaults for the retry policy when ClientOptions.Retry leaves them zero. azcore retries
// 408, 429 and 5xx and transport failures, honouring Retry-After.
const (
	defaultMaxRetries    = 3
	defaultRetryDelay    = 500 * time.Millisecond
	defaultMaxRetryDelay = 30 * time.Second
	// defaultTryTimeout bounds one try of every request, so a connection that stays open and
	// silent (a proxy, a half-dead Wi-Fi) ends in a retry, then a message, instead of holding a
	// refresh or a click forever. azcore sets none by default.
	defaultTryTimeout = 30 * time.Second
	// createTryTimeout bounds one try of a Graph POST that creates a request, a little longer
	// than the others: a hung connection turns into the "did Azure get it?" check.
	createTryTimeout = 45 * time.Second
	// defaultDuration is what an activation asks for when neither the caller nor a known policy says.
	defaultDuration = 8 * time.Hour
	// maxPages stops a listing whose nextLinks never end.
	maxPages = 200
)

// ClientOptions configures a Client. A nil *ClientOptions means the public cloud with defaults.
type ClientOptions struct {
	// ClientOptions are azcore's: Transport (tests pass the fake's HTTP client), Retry,
	// PerCallPolicies/PerRetryPolicies, Logging, Telemetry. Retry fields left zero get pimtray's
	// defaults: 3 retries, 500 ms first delay, Retry-After honoured up to 30 s, and a time-out
	// of 30 s on every try of every request (45 s for a Graph POST that creates a request).
	// A TryTimeout set here applies to every request, those POSTs included.
	azcore.ClientOptions
	// Cloud holds every endpoint; the zero value means AzurePublic.
	Cloud Cloud
	// TenantID is the directory the client works in. When empty it is learned from the tokens.
	TenantID string
	// Now is the local clock (start times of activations, policy cache); nil means time.Now.
	// Azure's own clock may differ: the client learns by how much from its answers and
	// converts every time it sends and returns, so callers reckon with Now alone (ClockOffset).
	Now func() time.Time
	// SharedClock says Azure runs on Now itself (the demo's fake Azure does, on the demo's
	// scaled clock): no offset is learned and the Date headers are not read. At demo speed
	// a millisecond of travel is seconds of demo time, which a learner would take for skew.
	SharedClock bool
	// Log receives what the client decides and why (never a token); nil discards.
	Log *slog.Logger
}

// Client speaks Azure PIM for one tenant on two azcore pipelines: one with Graph tokens,
// one with ARM tokens. It is safe for concurrent use.
type Client struct {
	cred  azcore.TokenCredential
	cloud Cloud
	now   func() time.Time
	log   *slog.Logger
	retry policy.RetryOptions // effective retry options, copied into per-call overrides
	// createTry is the per-try time-out of a Graph POST that creates a request.
	createTry time.Duration
	clock     *azureClock // Azure's clock against Now
	graph     runtime.Pipeline
	arm       runtime.Pipeline
	graphURL  *url.URL // https://graph.microsoft.com/v1.0
	armURL    *url.URL // https://management.azure.com

	mu          sync.Mutex
	tenantID    string
	me          *Principal
	fromToken   tokenIdentity // what the last token said about its user (never the token itself)
	names       map[string]string
	policies    map[string]policyEntry
	principalMu sync.Mutex // one /me lookup at a time
	// armNoStatusFilter: ARM refused `asRequestor() and status eq ...` (400) once; list all.
	armNoStatusFilter atomic.Bool
	// graphNoScopeExpand: Graph refused $expand=directoryScope (400) once; look units up.
	graphNoScopeExpand atomic.Bool
	// graphNoOrFilter: Graph refused `status eq 'PendingApproval' or status eq 'Granted'` (400) once.
	graphNoOrFilter atomic.Bool
	// graphNoDateFilter: Graph refused `createdDateTime ge …` on requests (400) once.
	graphNoDateFilter atomic.Bool
}

var _ API = (*Client)(nil)

// NewClient builds a Client on cred. The credential is asked for tokens with the cloud's Graph
// and ARM scopes ("{graph}/.default", "{arm}/.default").
func NewClient(cred azcore.TokenCredential, opts *ClientOptions) (*Client, error) {
	if cred == nil {
		return nil, errors.New("pim: new client: no credential")
	}
	var o ClientOptions
	if opts != nil {
		o = *opts
	}
	if o.Cloud == (Cloud{}) {
		o.Cloud = AzurePublic
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	graphURL, err := baseURL(o.Cloud.Graph, "graph")
	if err != nil {
		return nil, err
	}
	graphURL = graphURL.JoinPath("v1.0")
	armURL, err := baseURL(o.Cloud.ARM, "arm")
	if err != nil {
		return nil, err
	}
	r := &o.ClientOptions.Retry
	if r.MaxRetries == 0 {
		r.MaxRetries = defaultMaxRetries
	}
	if r.RetryDelay == 0 {
		r.RetryDelay = defaultRetryDelay
	}
	if r.MaxRetryDelay == 0 {
		r.MaxRetryDelay = defaultMaxRetryDelay
	}
	createTry := r.TryTimeout
	if createTry == 0 {
		createTry = createTryTimeout
		r.TryTimeout = defaultTryTimeout
	}
	c := &Client{
		cred:      cred,
		cloud:     o.Cloud,
		now:       o.Now,
		log:       o.Log,
		retry:     o.ClientOptions.Retry,
		createTry: createTry,
		clock:     &azureClock{now: o.Now, log: o.Log, shared: o.SharedClock},
		graphURL:  graphURL,
		armURL:    armURL,
		tenantID:  o.TenantID,
		names:     map[string]string{},
		policies:  map[string]policyEntry{},
	}
	c.graph = c.pipeline(o.Cloud.GraphScope(), &o.ClientOptions)
	c.arm = c.pipeline(o.Cloud.ARMScope(), &o.ClientOptions)
	return c, nil
}

func baseURL(s, what string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(s, "/"))
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("pim: new client: invalid %s endpoint %q", what, s)
	}
	if u.Scheme != "https" {
		return nil, fmt.Errorf("pim: new client: %s endpoint %q is not https", what, s)
	}
	return u, nil
}

func (c *Client) pipeline(scope string, o *azcore.ClientOptions) runtime.Pipeline {
	bearer := runtime.NewBearerTokenPolicy(challengeCredential{c.cred}, []string{scope}, &policy.BearerTokenOptions{
		AuthorizationHandler: policy.AuthorizationHandler{OnRequest: c.authorize(scope)},
	})
	return runtime.NewPipeline("pimtray/pim", "v1", runtime.PipelineOptions{
		PerRetry: []policy.Policy{policyFunc(countTry), bearer, policyFunc(noteSentToken), policyFunc(c.clock.policy)},
	}, o)
}

// Tenant is the tenant the client works in: ClientOptions.TenantID, or what the tokens said.
func (c *Client) Tenant() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tenantID == "" {
		return c.fromToken.TenantID
	}
	return c.tenantID
}

// Cloud is the cloud configuration the client talks to.
func (c *Client) Cloud() Cloud { return c.cloud }

// ---- sending ----

type plane int

const (
	graphAPI plane = iota
	armAPI
)

// call says what a request is for, so errors can be written for people.
type call struct {
	op      string // one of the op* constants
	plane   Plane
	subject string // the role's label, or what is listed ("your Azure roles")
	role    bool   // subject is a role label (goes into Error.Role)
}

func roleCall(op string, r Role) call {
	return call{op: op, plane: r.Plane, subject: r.Label(), role: true}
}

func listCall(p Plane) call {
	return call{op: opList, plane: p, subject: "your " + p.Title() + " roles"}
}

func (cl call) err(e *Error) *Error {
	e.Plane = cl.plane
	if cl.role {
		e.Role = cl.subject
	}
	e.Text = describeFor(e, cl.op, cl.subject, cl.role)
	return e
}

type policyFunc func(*policy.Request) (*http.Response, error)

func (f policyFunc) Do(r *policy.Request) (*http.Response, error) { return f(r) }

type tryCounterKey struct{}

// countTry counts the tries of one call (the retry policy sends a request again from here on),
// so an ARM activation can tell that its GUID may already have been used by an earlier try.
func countTry(req *policy.Request) (*http.Response, error) {
	if n, ok := req.Raw().Context().Value(tryCounterKey{}).(*atomic.Int32); ok {
		n.Add(1)
	}
	return req.Next()
}

type sentTokenKey struct{}

// noteSentToken keeps the token a try was sent with (in memory, for send: a 401 names the
// token Azure refused). The retry policy sends clones of the request, so the original
// request never carries it.
func noteSentToken(req *policy.Request) (*http.Response, error) {
	if p, ok := req.Raw().Context().Value(sentTokenKey{}).(*atomic.Pointer[string]); ok {
		tok := strings.TrimPrefix(req.Raw().Header.Get("Authorization"), "Bearer ")
		p.Store(&tok)
	}
	return req.Next()
}

func withTryCounter(ctx context.Context) (context.Context, *atomic.Int32) {
	n := new(atomic.Int32)
	return context.WithValue(ctx, tryCounterKey{}, n), n
}

// send does one call and returns the body of a 2xx answer. Anything else is an *Error
// written for people (or the credential's own *Error, unchanged).
//
// A plain 401 (the token refused before its expiry, with no claims challenge) is tried once
// more with a new token: the credential drops the refused one and gets another silently.
// Only if Azure refuses that one too is it a sign-in matter.
func (c *Client) send(ctx context.Context, api plane, method, u string, body any, cl call) ([]byte, error) {
	data, status, rejected, err := c.sendOnce(ctx, api, method, u, body, cl)
	if status == http.StatusUnauthorized && rejected != "" && ClaimsFrom(ctx) == "" && RejectedTokenFrom(ctx) == "" {
		c.log.Debug("azure refused the token: getting a new one", "op", cl.op, "subject", cl.subject)
		data, _, _, err = c.sendOnce(WithRejectedToken(ctx, rejected), api, method, u, body, cl)
	}
	return data, err
}

// sendOnce is one try of send. For a plain 401 it also returns the token Azure refused.
func (c *Client) sendOnce(ctx context.Context, api plane, method, u string, body any, cl call) ([]byte, int, string, error) {
	sent := new(atomic.Pointer[string])
	ctx = context.WithValue(ctx, sentTokenKey{}, sent)
	req, err := runtime.NewRequest(ctx, method, u)
	if err != nil {
		return nil, 0, "", cl.err(&Error{Kind: KindOther, Err: fmt.Errorf("build request: %w", err)})
	}
	req.Raw().Header.Set("Accept", "application/json")
	if body != nil {
		if err := runtime.MarshalAsJSON(req, body); err != nil {
			return nil, 0, "", cl.err(&Error{Kind: KindOther, Err: fmt.Errorf("encode request: %w", err)})
		}
	}
	pl := c.graph
	if api == armAPI {
		pl = c.arm
	}
	resp, err := pl.Do(req)
	if err != nil {
		return nil, 0, "", c.failure(ctx, err, cl)
	}
	data, err := runtime.Payload(resp)
	if err != nil {
		return nil, resp.StatusCode, "", cl.err(&Error{Kind: KindUnavailable, StatusCode: resp.StatusCode, Err: fmt.Errorf("read response: %w", err)})
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return data, resp.StatusCode, "", nil
	}
	e := cl.err(decodeError(resp.StatusCode, resp.Header, data))
	c.log.Debug("azure refused", "op", cl.op, "subject", cl.subject, "status", resp.StatusCode, "code", e.Code)
	rejected := ""
	if tok := sent.Load(); tok != nil && resp.StatusCode == http.StatusUnauthorized && e.Kind == KindSignInNeeded {
		rejected = *tok
	}
	return nil, resp.StatusCode, rejected, e
}

// failure sorts an error that came without an HTTP answer: the credential's (passed through),
// the caller giving up, or the network.
func (c *Client) failure(ctx context.Context, err error, cl call) error {
	var te *tokenError
	if errors.As(err, &te) {
		var pe *Error
		if errors.As(te.err, &pe) {
			if pe.Kind == KindAuthContext && pe.Claims != "" && pe.StatusCode == http.StatusUnauthorized {
				// Azure's claims challenge (see challengeCredential): say which role needs it.
				cp := *pe
				return cl.err(&cp)
			}
			return pe // the credential's own verdict (KindSignInNeeded, ...) passes unchanged
		}
		return cl.err(&Error{Kind: KindSignInNeeded, Err: te.err})
	}
	var pe *Error
	if errors.As(err, &pe) {
		return pe
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		if errors.Is(ctxErr, context.DeadlineExceeded) {
			return cl.err(&Error{Kind: KindUnavailable, Err: ctxErr})
		}
		e := cl.err(&Error{Kind: KindOther, Err: ctxErr})
		e.Text = "Stopped before Azure answered: could not " + cl.op + " " + cl.subject + "."
		return e
	}
	c.log.Debug("azure unreachable", "op", cl.op, "subject", cl.subject, "err", err)
	return cl.err(&Error{Kind: KindUnavailable, Err: err})
}

// ambiguous tells a failure after which Azure may or may not have acted on the request:
// no answer at all, or a gateway error.
func ambiguous(err error) bool {
	var pe *Error
	if !errors.As(err, &pe) || pe.Kind != KindUnavailable {
		return false
	}
	switch pe.StatusCode {
	case 0, http.StatusRequestTimeout, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// noRetryButThrottling is the retry policy of a Graph POST that creates a request: Graph has no
// client-chosen id, so a blind re-send could create a second request. Only a 429 (Azure did not
// take the request) is retried; everything else comes back for the caller to check first.
func (c *Client) noRetryButThrottling() policy.RetryOptions {
	o := c.retry
	o.TryTimeout = c.createTry
	o.ShouldRetry = func(resp *http.Response, err error) bool {
		return err == nil && resp != nil && resp.StatusCode == http.StatusTooManyRequests
	}
	return o
}

// ---- URLs ----

// graphEndpoint is {graph}/v1.0{path}?{query}; path is used as given (it may hold OData
// function calls like filterByCurrentUser(on='principal')).
func (c *Client) graphEndpoint(path string, query ...string) string {
	return c.graphURL.String() + path + odataQuery(query...)
}

// armEndpoint is {arm}{path}?api-version=2020-10-01&{query}; path segments are escaped.
func (c *Client) armEndpoint(path string, query ...string) string {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	q := odataQuery(append([]string{"api-version", armAPIVersion}, query...)...)
	return c.armURL.String() + "/" + strings.Join(segs, "/") + q
}

// odataQuery builds "?k=v&k2=v2" from pairs, escaping values with %20 for spaces (OData filters)
// and keeping the $ of system query options readable.
func odataQuery(kv ...string) string {
	if len(kv) == 0 {
		return ""
	}
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(kv[i])
		b.WriteByte('=')
		b.WriteString(strings.ReplaceAll(url.QueryEscape(kv[i+1]), "+", "%20"))
	}
	return b.String()
}

// sameOrigin checks that a nextLink stays on the host it came from: the bearer token must
// never be sent anywhere else.
func sameOrigin(link string, base *url.URL) bool {
	u, err := url.Parse(link)
	return err == nil && strings.EqualFold(u.Scheme, base.Scheme) && strings.EqualFold(u.Host, base.Host)
}

// listAll reads every page of a list, following @odata.nextLink / nextLink.
func listAll[T any](ctx context.Context, c *Client, api plane, first string, cl call, decode func([]byte) (listPage[T], error)) ([]T, error) {
	base := c.graphURL
	if api == armAPI {
		base = c.armURL
	}
	var out []T
	seen := map[string]bool{}
	for u, pages := first, 0; u != ""; pages++ {
		if pages >= maxPages || seen[u] {
			return out, cl.err(&Error{Kind: KindBadResponse, Err: fmt.Errorf("paging does not end after %d pages", pages)})
		}
		seen[u] = true
		data, err := c.send(ctx, api, http.MethodGet, u, nil, cl)
		if err != nil {
			return out, err
		}
		page, err := decode(data)
		if err != nil {
			return out, cl.err(&Error{Kind: KindBadResponse, Err: err})
		}
		out = append(out, page.Items...)
		if page.NextLink != "" && !sameOrigin(page.NextLink, base) {
			return out, cl.err(&Error{Kind: KindBadResponse, Err: fmt.Errorf("nextLink leads to another host: %s", page.NextLink)})
		}
		u = page.NextLink
	}
	return out, nil
}

// ---- who am I ----

// PrincipalSource is a credential that knows its user without asking Azure (pim/auth.Session:
// the signed-in account's object id from its ID token). Client.Me asks it before Graph's /me.
type PrincipalSource interface {
	// Principal is the signed-in user (ID: the object id in tenantID) and the tenant, or false.
	Principal() (p Principal, tenantID string, ok bool)
}

// Me is the signed-in user: what the credential knows already (PrincipalSource), else Graph's
// /me, or, when Graph refuses (no consent, a client id without Graph scopes), the claims of an
// access token. Cached for the client's life.
func (c *Client) Me(ctx context.Context) (Principal, error) {
	c.principalMu.Lock()
	defer c.principalMu.Unlock()
	c.mu.Lock()
	if c.me != nil {
		p := *c.me
		c.mu.Unlock()
		return p, nil
	}
	want := c.tenantID
	c.mu.Unlock()
	if src, ok := c.cred.(PrincipalSource); ok {
		// The account already carries the object id: no request. Only for this tenant's
		// account (a GUID compared; a domain or "organizations" names no GUID to compare).
		if p, tid, ok := src.Principal(); ok && p.ID != "" && (!isGUID(want) || strings.EqualFold(want, tid)) {
			c.mu.Lock()
			c.me = &p
			c.mu.Unlock()
			return p, nil
		}
	}

	cl := call{op: opMe, plane: PlaneEntra, subject: "Microsoft Graph"}
	data, err := c.send(ctx, graphAPI, http.MethodGet, c.graphEndpoint("/me", "$select", "id,userPrincipalName,displayName"), nil, cl)
	var p Principal
	if err == nil {
		if p, err = decodePrincipal(data); err != nil {
			err = cl.err(&Error{Kind: KindBadResponse, Err: err})
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return Principal{}, err
		}
		tp, terr := c.principalFromToken(ctx)
		if terr != nil {
			c.log.Debug("no user from the token either", "err", terr)
			return Principal{}, err
		}
		c.log.Info("Graph /me refused; using the signed-in user's object id from the token", "reason", err.Error())
		p = tp
	}
	c.mu.Lock()
	c.me = &p
	c.mu.Unlock()
	return p, nil
}

func (c *Client) principalFromToken(ctx context.Context) (Principal, error) {
	c.mu.Lock()
	id := c.fromToken
	c.mu.Unlock()
	if id.ObjectID == "" {
		// ARM needs no Graph consent: its token is the one most likely to be had.
		tk, err := c.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{c.cloud.ARMScope()}, EnableCAE: true})
		if err != nil {
			return Principal{}, err
		}
		id = c.noteToken(tk.Token)
	}
	if id.ObjectID == "" {
		return Principal{}, errors.New("the access token names no user (no oid claim)")
	}
	return Principal{ID: id.ObjectID, UserPrincipalName: id.UPN, DisplayName: id.Name}, nil
}

// isGUID reports whether s is a GUID (a tenant id rather than a domain or "organizations").
func isGUID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil && len(s) == 36
}
