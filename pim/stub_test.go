package pim

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// This file is a small stateful stand-in for Graph and ARM, for the client's own tests: two
// httptest TLS servers answering with payloads shaped like the official examples in
// ../shared/pim-vectors (TestStubPayloadsCarryVectorFields checks the shapes against them when
// they are present). The faithful fake Azure lives in fakeazure; this stub exists so the client's
// tests can inject exactly the answers they need.

var stubEpoch = time.Date(2025, 6, 2, 8, 0, 0, 0, time.UTC)

const (
	stubTenant = "11111111-2222-3333-4444-555555555555"
	stubUser   = "3b9e6f21-8c4d-4a7e-b5f2-19d0c6a8e3f4"
	stubUPN    = "admin@contoso.example"
	stubSub    = "b3c1e7f2-4a6d-4e8b-9c0f-2d5a7e1b3c4d"
	stubProd   = "e8a2f4c6-1b3d-4f5e-8a7c-9d0b2e4f6a8c"
	stubAU     = "0d9e8f7a-6b5c-4d3e-2f1a-0b9c8d7e6f5a"
	stubGroupA = "4f6a2c8e-1d3b-4b7a-9e5c-7a1f3d9b2c60" // PIM-Admins
	stubGroupB = "9c2e7b41-5f8a-4d3c-a6e1-2b8f4c7d9e05" // Break-Glass
)

type stubPolicy struct {
	max                             time.Duration
	justification, ticket, mfa, app bool
	authContext                     string
}

type stubRole struct {
	plane                       Plane
	roleID, roleName            string
	scope, scopeName, scopeType string
	eligID                      string
	policy                      stubPolicy
	principalID                 string
	eligibleStart, eligibleEnd  time.Time
	memberType                  string
}

type stubActive struct {
	role           *stubRole
	start, end     time.Time
	assignmentType string
}

type stubRequest struct {
	id, name      string // Graph: id; ARM: name (the GUID)
	role          *stubRole
	status        string
	action        string
	start         time.Time
	dur           time.Duration
	created       time.Time
	justification string
}

type stubHit struct {
	Method, Path, RawQuery, Body, Token string
}

type stubFault struct {
	method, path string // path: substring of the URL path
	times        int    // how many more times (0: done)
	status       int
	header       http.Header
	body         string
	delay        time.Duration // handle normally, then wait this long before answering (a slow answer)
}

type stub struct {
	t          testing.TB
	graph, arm *httptest.Server

	mu           sync.Mutex
	now          time.Time
	roles        []*stubRole
	active       []*stubActive
	requests     []*stubRequest
	hits         []stubHit
	faults       []*stubFault
	latency      time.Duration
	pageSize     int
	noExpand     bool // ignore $expand=roleDefinition
	policyStatus int  // answer policy reads with this status (e.g. 403)
	meStatus     int  // answer /me with this status
	planeStatus  map[Plane]int
	seq          int
}

func newStub(t testing.TB) *stub {
	s := &stub{t: t, now: stubEpoch, planeStatus: map[Plane]int{}}
	s.roles = demoRoles()
	quiet := log.New(io.Discard, "", 0) // handshakes cut short by tests are not news
	s.graph = httptest.NewUnstartedServer(s.serve(func() string { return s.graph.URL }, s.serveGraph))
	s.graph.Config.ErrorLog = quiet
	s.graph.StartTLS()
	s.arm = httptest.NewUnstartedServer(s.serve(func() string { return s.arm.URL }, s.serveARM))
	s.arm.Config.ErrorLog = quiet
	s.arm.StartTLS()
	t.Cleanup(s.graph.Close)
	t.Cleanup(s.arm.Close)
	return s
}

func demoRoles() []*stubRole {
	mg := "/providers/Microsoft.Management/managementGroups/IT"
	sub := "/subscriptions/" + stubSub
	rg := sub + "/resourceGroups/rg-web"
	prod := "/subscriptions/" + stubProd
	armRole := func(scope, guid string) string {
		return scope + "/providers/Microsoft.Authorization/roleDefinitions/" + guid
	}
	rs := []*stubRole{
		{plane: PlaneEntra, roleID: "62e90394-69f5-4237-9190-012177145e10", roleName: "Global Administrator", scope: "/",
			policy: stubPolicy{max: 8 * time.Hour, justification: true, mfa: true}},
		{plane: PlaneEntra, roleID: "fe930be7-5e62-47db-91af-98c3a49a38b1", roleName: "User Administrator", scope: "/",
			policy: stubPolicy{max: 8 * time.Hour, justification: true, app: true}},
		{plane: PlaneEntra, roleID: "5d6b6bb7-de71-4623-b4af-96380a352509", roleName: "Security Reader", scope: "/",
			policy: stubPolicy{max: 8 * time.Hour}},
		{plane: PlaneEntra, roleID: "29232cdf-9323-42fd-ade2-1d097af3e4de", roleName: "Exchange Administrator", scope: "/",
			policy: stubPolicy{max: 8 * time.Hour, justification: true, authContext: "c1"}},
		{plane: PlaneEntra, roleID: "729827e3-9c14-49f7-bb1b-9608f156bbb8", roleName: "Helpdesk Administrator",
			scope: "/administrativeUnits/" + stubAU, scopeName: "Paris", policy: stubPolicy{max: 2 * time.Hour}},
		{plane: PlaneAzure, roleID: armRole(mg, "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"), roleName: "Owner", scope: mg, scopeName: "IT",
			scopeType: "managementgroup", policy: stubPolicy{max: 8 * time.Hour, justification: true}},
		{plane: PlaneAzure, roleID: armRole(sub, "b24988ac-6180-42a0-ab88-20f7382dd24c"), roleName: "Contributor", scope: sub,
			scopeName: "MySubscription", scopeType: "subscription", policy: stubPolicy{max: 8 * time.Hour, justification: true, ticket: true}},
		{plane: PlaneAzure, roleID: armRole(sub, "ed7f3fbd-7b88-4dd4-9017-9adb7ce333f8"), roleName: "AKS Contributor", scope: sub,
			scopeName: "MySubscription", scopeType: "subscription", policy: stubPolicy{max: 8 * time.Hour}},
		{plane: PlaneAzure, roleID: armRole(sub, "b24988ac-6180-42a0-ab88-20f7382dd24c"), roleName: "Contributor", scope: rg,
			scopeName: "rg-web", scopeType: "resourcegroup", policy: stubPolicy{max: 4 * time.Hour}},
		{plane: PlaneAzure, roleID: armRole(prod, "acdd72a7-3385-48ef-bd42-f606fba81ae7"), roleName: "Reader", scope: prod,
			scopeName: "Prod", scopeType: "subscription", policy: stubPolicy{max: 8 * time.Hour}},
		{plane: PlaneGroup, roleID: "member", roleName: "Member", scope: stubGroupA, scopeName: "PIM-Admins", scopeType: "group",
			policy: stubPolicy{max: 8 * time.Hour}},
		{plane: PlaneGroup, roleID: "owner", roleName: "Owner", scope: stubGroupB, scopeName: "Break-Glass", scopeType: "group",
			policy: stubPolicy{max: 2 * time.Hour, justification: true, app: true}},
	}
	for i, r := range rs {
		r.eligID = fmt.Sprintf("elig-%02d-%s", i, string(r.plane))
		if r.plane == PlaneAzure {
			r.eligID = r.scope + "/providers/Microsoft.Authorization/RoleEligibilitySchedules/" + fmt.Sprintf("00000000-0000-0000-0000-%012d", i)
		}
		r.principalID = stubUser
		r.memberType = "Direct"
		r.eligibleStart = stubEpoch.Add(-30 * 24 * time.Hour)
		if i%2 == 0 {
			r.eligibleEnd = stubEpoch.Add(300 * 24 * time.Hour)
		}
		if r.plane == PlaneEntra && r.scope == "/" {
			r.scopeName, r.scopeType = "Directory", "directory"
		}
		if r.plane == PlaneEntra && r.scopeType == "" {
			r.scopeType = "administrativeunit"
		}
	}
	return rs
}

// ---- test plumbing: credential, counting policy, client ----

// staticCred returns a fixed fake token per scope (with "+claims" when claims were asked) and
// records every request for a token.
type staticCred struct {
	mu    sync.Mutex
	calls []policy.TokenRequestOptions
	err   error                                            // when set, every GetToken fails with it
	fail  func(policy.TokenRequestOptions) error           // when set and returning non-nil, GetToken fails
	token func(policy.TokenRequestOptions) (string, error) // custom tokens
}

func (c *staticCred) GetToken(_ context.Context, tro policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.mu.Lock()
	c.calls = append(c.calls, tro)
	c.mu.Unlock()
	if c.err != nil {
		return azcore.AccessToken{}, c.err
	}
	if c.fail != nil {
		if err := c.fail(tro); err != nil {
			return azcore.AccessToken{}, err
		}
	}
	tok := "PIMTRAY-FAKE-SECRET-" + strings.Join(tro.Scopes, ",")
	if tro.Claims != "" {
		tok += "+claims"
	}
	if c.token != nil {
		t, err := c.token(tro)
		if err != nil {
			return azcore.AccessToken{}, err
		}
		tok = t
	}
	return azcore.AccessToken{Token: tok, ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func (c *staticCred) Calls() []policy.TokenRequestOptions {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]policy.TokenRequestOptions(nil), c.calls...)
}

// counter is a per-try policy counting every request the client sends (retries included).
type counter struct {
	mu   sync.Mutex
	reqs []string // "METHOD path"
}

func (c *counter) Do(req *policy.Request) (*http.Response, error) {
	c.mu.Lock()
	c.reqs = append(c.reqs, req.Raw().Method+" "+req.Raw().URL.Path)
	c.mu.Unlock()
	return req.Next()
}

func (c *counter) count(method, pathContains string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, r := range c.reqs {
		if strings.HasPrefix(r, method+" ") && strings.Contains(r, pathContains) {
			n++
		}
	}
	return n
}

func (c *counter) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.reqs)
}

func (s *stub) cloud() Cloud {
	return Cloud{Name: "stub", AuthorityHost: s.graph.URL + "/", Graph: s.graph.URL, ARM: s.arm.URL}
}

// httpClient trusts both test servers.
func (s *stub) httpClient() *http.Client {
	pool := x509.NewCertPool()
	pool.AddCert(s.graph.Certificate())
	pool.AddCert(s.arm.Certificate())
	tr := s.graph.Client().Transport.(*http.Transport).Clone()
	tr.TLSClientConfig.RootCAs = pool
	return &http.Client{Transport: tr}
}

type testClient struct {
	*Client
	cred  *staticCred
	count *counter
}

// newTestClient builds a client on the stub with fast retries. transport, when non-nil, wraps
// the stub's HTTP client (fault injection).
func (s *stub) client(t testing.TB, cred *staticCred, wrap func(policy.Transporter) policy.Transporter) testClient {
	t.Helper()
	if cred == nil {
		cred = &staticCred{}
	}
	cnt := &counter{}
	var tr policy.Transporter = s.httpClient()
	if wrap != nil {
		tr = wrap(tr)
	}
	o := &ClientOptions{Cloud: s.cloud(), TenantID: stubTenant, Now: s.Now, Log: testLogger(t)}
	o.Transport = tr
	o.PerRetryPolicies = []policy.Policy{cnt}
	o.Retry = policy.RetryOptions{MaxRetries: 2, RetryDelay: 5 * time.Millisecond, MaxRetryDelay: 2 * time.Second}
	c, err := NewClient(cred, o)
	if err != nil {
		t.Fatal(err)
	}
	return testClient{Client: c, cred: cred, count: cnt}
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// ---- stub controls ----

func (s *stub) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now
}

func (s *stub) advance(d time.Duration) {
	s.mu.Lock()
	s.now = s.now.Add(d)
	s.mu.Unlock()
}

func (s *stub) fault(f stubFault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.times == 0 {
		f.times = 1
	}
	s.faults = append(s.faults, &f)
}

func (s *stub) set(f func(s *stub)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

func (s *stub) Hits(method, pathContains string) []stubHit {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []stubHit
	for _, h := range s.hits {
		if (method == "" || h.Method == method) && strings.Contains(h.Path, pathContains) {
			out = append(out, h)
		}
	}
	return out
}

func (s *stub) role(plane Plane, name, scopeName string) *stubRole {
	for _, r := range s.roles {
		if r.plane == plane && r.roleName == name && (scopeName == "" || r.scopeName == scopeName) {
			return r
		}
	}
	s.t.Fatalf("stub has no %s role %q at %q", plane, name, scopeName)
	return nil
}

// domainRole is the Role the client would list for r.
func (r *stubRole) domain() Role {
	return Role{Plane: r.plane, TenantID: stubTenant, RoleID: r.roleID, RoleName: r.roleName, Scope: r.scope,
		ScopeName: r.scopeName, ScopeType: r.scopeType, EligibilityID: r.eligID, PrincipalID: r.principalID,
		MemberType: r.memberType, EligibleUntil: r.eligibleEnd}
}

func (s *stub) activate(r *stubRole, start time.Time, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.active = append(s.active, &stubActive{role: r, start: start, end: start.Add(d), assignmentType: "Activated"})
}

func (s *stub) addRequest(r *stubRole, status string) *stubRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newRequestLocked(r, "selfActivate", status, s.now, time.Hour, "")
}

func (s *stub) newRequestLocked(r *stubRole, action, status string, start time.Time, d time.Duration, just string) *stubRequest {
	s.seq++
	id := fmt.Sprintf("%08d-0000-4000-8000-%012d", s.seq, s.seq)
	req := &stubRequest{id: id, name: id, role: r, status: status, action: action, start: start, dur: d, created: s.now, justification: just}
	s.requests = append(s.requests, req)
	return req
}

// ---- serving ----

func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if v != nil {
		_ = json.NewEncoder(w).Encode(v)
	}
}

func writeErr(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{"code": code, "message": msg}})
}

// begin logs the hit, applies latency and faults; false means it was answered already.
func (s *stub) begin(w http.ResponseWriter, r *http.Request, wantAudience string) (body []byte, delay time.Duration, ok bool) {
	body, _ = io.ReadAll(r.Body)
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	s.hits = append(s.hits, stubHit{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Body: string(body), Token: tok})
	lat := s.latency
	var f *stubFault
	for _, x := range s.faults {
		if x.times > 0 && (x.method == "" || x.method == r.Method) && strings.Contains(r.URL.Path, x.path) {
			x.times--
			f = x
			break
		}
	}
	now := s.now
	s.mu.Unlock()
	if lat > 0 {
		time.Sleep(lat)
	}
	// Dated by the stub's clock, which is the client's too: no offset to learn.
	w.Header().Set("Date", now.UTC().Format(http.TimeFormat))
	if tokenAudience(tok) != wantAudience {
		writeErr(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "The access token is missing or is for another audience.")
		return nil, 0, false
	}
	if f != nil {
		if f.delay > 0 {
			return body, f.delay, true
		} else {
			for k, vs := range f.header {
				for _, v := range vs {
					w.Header().Add(k, v)
				}
			}
			if f.body != "" {
				w.Header().Set("Content-Type", "application/json")
			}
			w.WriteHeader(f.status)
			_, _ = io.WriteString(w, f.body)
			return nil, 0, false
		}
	}
	return body, 0, true
}

// serve wraps a handler: a slow-answer fault lets the handler act, then holds its answer back.
func (s *stub) serve(audience func() string, h func(w http.ResponseWriter, r *http.Request, body []byte)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, delay, ok := s.begin(w, r, audience())
		if !ok {
			return
		}
		if delay == 0 {
			h(w, r, body)
			return
		}
		rec := httptest.NewRecorder()
		h(rec, r, body)
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			// The client gave up: answer nothing at all (not an empty 200).
			panic(http.ErrAbortHandler)
		}
		for k, vs := range rec.Header() {
			w.Header()[k] = vs
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	}
}

// tokenAudience is the resource a test token is for: the scope's resource in the static
// credential's tokens, the aud claim in JWT-shaped ones.
func tokenAudience(tok string) string {
	if rest, ok := strings.CutPrefix(tok, "PIMTRAY-FAKE-SECRET-"); ok {
		return strings.TrimSuffix(strings.TrimSuffix(rest, "+claims"), "/.default")
	}
	parts := strings.Split(tok, ".")
	if len(parts) == 3 {
		b, _ := base64.RawURLEncoding.DecodeString(parts[1])
		var c struct{ Aud string }
		_ = json.Unmarshal(b, &c)
		return c.Aud
	}
	return ""
}

// page answers a list with paging when pageSize is set ($skiptoken = offset).
func (s *stub) page(w http.ResponseWriter, r *http.Request, base string, items []any, nextKey string, extra map[string]any) {
	s.mu.Lock()
	size := s.pageSize
	s.mu.Unlock()
	off, _ := strconv.Atoi(r.URL.Query().Get("$skiptoken"))
	if off > len(items) {
		off = len(items)
	}
	end := len(items)
	if size > 0 && off+size < end {
		end = off + size
	}
	resp := map[string]any{"value": items[off:end]}
	for k, v := range extra {
		resp[k] = v
	}
	if end < len(items) {
		q := r.URL.Query()
		q.Set("$skiptoken", strconv.Itoa(end))
		resp[nextKey] = base + r.URL.Path + "?" + q.Encode()
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *stub) planeRefused(w http.ResponseWriter, p Plane) bool {
	s.mu.Lock()
	st := s.planeStatus[p]
	s.mu.Unlock()
	switch st {
	case 0:
		return false
	case http.StatusForbidden:
		if p == PlaneAzure {
			writeErr(w, st, "AuthorizationFailed", "The client 'admin@contoso.example' with object id '"+stubUser+"' does not have authorization to perform action 'Microsoft.Authorization/roleEligibilityScheduleInstances/read' over scope '/providers/Microsoft.Authorization' or the scope is invalid.")
		} else {
			writeErr(w, st, "UnknownError", `{"errorCode":"PermissionScopeNotGranted","message":"Authorization failed due to missing permission scope PrivilegedEligibilitySchedule.Read.AzureADGroup,PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup.","instanceAnnotations":[]}`)
		}
	default:
		writeErr(w, st, "ServiceUnavailable", "The service is unavailable.")
	}
	return true
}

var (
	filterRoleDefRe = regexp.MustCompile(`roleDefinitionId eq '([^']*)'`)
	filterScopeRe   = regexp.MustCompile(`scopeId eq '([^']*)'`)
)

func (s *stub) serveGraph(w http.ResponseWriter, r *http.Request, body []byte) {
	p := strings.TrimPrefix(r.URL.Path, "/v1.0")
	q := r.URL.Query()
	switch {
	case r.Method == http.MethodGet && p == "/me":
		s.mu.Lock()
		st := s.meStatus
		s.mu.Unlock()
		if st != 0 {
			writeErr(w, st, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
			return
		}
		writeJSON(w, 200, map[string]any{"@odata.context": s.graph.URL + "/v1.0/$metadata#users(id,userPrincipalName,displayName)/$entity",
			"id": stubUser, "userPrincipalName": stubUPN, "displayName": "Alex Admin"})

	case r.Method == http.MethodGet && p == entraEligiblePath:
		if s.planeRefused(w, PlaneEntra) {
			return
		}
		expand := q.Get("$expand") == "roleDefinition" && !s.noExpandNow()
		s.page(w, r, s.graph.URL, s.items(func(x *stubRole) any { return graphEligItem(x, expand) }, PlaneEntra), "@odata.nextLink", nil)
	case r.Method == http.MethodGet && p == entraActivePath:
		if s.planeRefused(w, PlaneEntra) {
			return
		}
		expand := q.Get("$expand") == "roleDefinition" && !s.noExpandNow()
		s.page(w, r, s.graph.URL, s.activeItems(PlaneEntra, func(a *stubActive) any { return graphActiveItem(a, expand) }), "@odata.nextLink", nil)
	case r.Method == http.MethodGet && p == entraRequestsPath+"/filterByCurrentUser(on='principal')":
		if s.planeRefused(w, PlaneEntra) {
			return
		}
		s.page(w, r, s.graph.URL, s.requestItems(PlaneEntra, q.Get("$filter"), graphRequestItem), "@odata.nextLink", nil)
	case r.Method == http.MethodPost && (p == entraRequestsPath || p == groupRequestsPath):
		s.graphCreate(w, r, body, p == groupRequestsPath)
	case r.Method == http.MethodPost && strings.HasSuffix(p, "/cancel"):
		id := strings.TrimSuffix(p, "/cancel")
		id = id[strings.LastIndex(id, "/")+1:]
		if s.cancel(id) {
			w.WriteHeader(http.StatusNoContent)
		} else {
			writeErr(w, 404, "Request_ResourceNotFound", "Resource '"+id+"' does not exist.")
		}
	case r.Method == http.MethodGet && strings.HasPrefix(p, "/roleManagement/directory/roleDefinitions/"):
		id := strings.TrimPrefix(p, "/roleManagement/directory/roleDefinitions/")
		for _, x := range s.roles {
			if x.plane == PlaneEntra && x.roleID == id {
				writeJSON(w, 200, map[string]any{"id": id, "displayName": x.roleName})
				return
			}
		}
		writeErr(w, 404, "Request_ResourceNotFound", "not found")
	case r.Method == http.MethodGet && p == "/directory/administrativeUnits/"+stubAU:
		writeJSON(w, 200, map[string]any{"id": stubAU, "displayName": "Paris"})
	case r.Method == http.MethodGet && strings.HasPrefix(p, "/groups/"):
		id := strings.TrimPrefix(p, "/groups/")
		for _, x := range s.roles {
			if x.plane == PlaneGroup && x.scope == id {
				writeJSON(w, 200, map[string]any{"id": id, "displayName": x.scopeName})
				return
			}
		}
		writeErr(w, 404, "Request_ResourceNotFound", "not found")

	case r.Method == http.MethodGet && p == groupEligiblePath:
		if s.planeRefused(w, PlaneGroup) {
			return
		}
		s.page(w, r, s.graph.URL, s.items(groupEligItem, PlaneGroup), "@odata.nextLink", nil)
	case r.Method == http.MethodGet && p == groupActivePath:
		if s.planeRefused(w, PlaneGroup) {
			return
		}
		s.page(w, r, s.graph.URL, s.activeItems(PlaneGroup, groupActiveItem), "@odata.nextLink", nil)
	case r.Method == http.MethodGet && p == groupRequestsPath+"/filterByCurrentUser(on='principal')":
		if s.planeRefused(w, PlaneGroup) {
			return
		}
		s.page(w, r, s.graph.URL, s.requestItems(PlaneGroup, q.Get("$filter"), groupRequestItem), "@odata.nextLink", nil)

	case r.Method == http.MethodGet && p == "/policies/roleManagementPolicyAssignments":
		s.mu.Lock()
		st := s.policyStatus
		s.mu.Unlock()
		if st != 0 {
			writeErr(w, st, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
			return
		}
		f := q.Get("$filter")
		rd, sc := filterRoleDefRe.FindStringSubmatch(f), filterScopeRe.FindStringSubmatch(f)
		var items []any
		for _, x := range s.roles {
			if x.plane == PlaneAzure || rd == nil || x.roleID != rd[1] {
				continue
			}
			if x.plane == PlaneGroup && (sc == nil || sc[1] != x.scope) {
				continue
			}
			if x.plane == PlaneEntra && strings.Contains(f, "'Group'") {
				continue
			}
			items = append(items, graphPolicyItem(x))
			if x.plane == PlaneEntra {
				break // one policy per directory role, whatever its scope
			}
		}
		s.page(w, r, s.graph.URL, items, "@odata.nextLink", map[string]any{"@odata.context": s.graph.URL + "/v1.0/$metadata#policies/roleManagementPolicyAssignments(policy(rules()))"})
	default:
		writeErr(w, 400, "BadRequest", "Resource not found for the segment '"+p+"'.")
	}
}

func (s *stub) noExpandNow() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.noExpand
}

func (s *stub) items(f func(*stubRole) any, p Plane) []any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []any
	for _, r := range s.roles {
		if r.plane == p {
			out = append(out, f(r))
		}
	}
	return out
}

func (s *stub) activeItems(p Plane, f func(*stubActive) any) []any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []any
	for _, a := range s.active {
		if a.role.plane == p && a.end.After(s.now) {
			out = append(out, f(a))
		}
	}
	return out
}

func (s *stub) requestItems(p Plane, filter string, f func(*stubRequest) any) []any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []any
	for _, q := range s.requests {
		if q.role.plane != p {
			continue
		}
		if strings.Contains(filter, "PendingApproval") && q.status != "PendingApproval" {
			continue
		}
		out = append(out, f(q))
	}
	return out
}

func (s *stub) cancel(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, q := range s.requests {
		if (q.id == id || q.name == id) && isPendingStatus(q.status) {
			q.status = "Canceled"
			return true
		}
	}
	return false
}

// decide applies the stub's (simple) policy to an activation and records it. It returns the
// request, or an error status, code and message.
func (s *stub) decideLocked(r *stubRole, action string, start time.Time, d time.Duration, just, ticket, token, name string) (*stubRequest, int, string, string) {
	var act *stubActive
	for _, a := range s.active {
		if a.role == r && a.end.After(s.now) {
			act = a
		}
	}
	switch strings.ToLower(action) {
	case "selfdeactivate":
		if act == nil {
			return nil, 400, "RoleAssignmentDoesNotExist", "The Role assignment does not exist."
		}
		if s.now.Sub(act.start) < 5*time.Minute {
			return nil, 400, "ActiveDurationTooShort", "The Active duration is too short. Miniumum Required is 5 minutes."
		}
		act.end = s.now
		q := s.newRequestLocked(r, action, "Revoked", s.now, 0, "")
		if name != "" {
			q.name = name
		}
		return q, 0, "", ""
	case "selfactivate":
	default:
		return nil, 400, "InvalidRequest", "unknown action " + action
	}
	if act != nil {
		return nil, 400, "RoleAssignmentExists", "The Role assignment already exists."
	}
	for _, q := range s.requests {
		if q.role == r && isPendingStatus(q.status) {
			return nil, 400, "RoleAssignmentRequestExists", "The Role assignment request already exists."
		}
	}
	p := r.policy
	if p.max > 0 && d > p.max {
		return nil, 400, "RoleAssignmentRequestPolicyValidationFailed", `The following policy rules failed: ["ExpirationRule"]`
	}
	if p.justification && just == "" {
		return nil, 400, "RoleAssignmentRequestPolicyValidationFailed", "The following policy rules failed: JustificationRule - Justification is required"
	}
	if p.ticket && ticket == "" {
		return nil, 400, "RoleAssignmentRequestPolicyValidationFailed", `The following policy rules failed: ["TicketingRule"]`
	}
	if p.authContext != "" && !strings.HasSuffix(token, "+claims") {
		claims := `{"access_token":{"acrs":{"essential":true, "value":"` + p.authContext + `"}}}`
		return nil, 400, "RoleAssignmentRequestAcrsValidationFailed", "&claims=" + url.QueryEscape(claims)
	}
	status := "Provisioned"
	if p.app {
		status = "PendingApproval"
	}
	q := s.newRequestLocked(r, action, status, start, d, just)
	if name != "" {
		q.name = name
	}
	if status == "Provisioned" {
		s.active = append(s.active, &stubActive{role: r, start: start, end: start.Add(d), assignmentType: "Activated"})
	}
	return q, 0, "", ""
}

func (s *stub) graphCreate(w http.ResponseWriter, r *http.Request, body []byte, groups bool) {
	var in struct {
		Action, PrincipalID, RoleDefinitionID, DirectoryScopeID, AccessID, GroupID, Justification string
		ScheduleInfo                                                                              wireSchedule
		TicketInfo                                                                                struct{ TicketNumber string }
	}
	if err := json.Unmarshal(body, &in); err != nil {
		writeErr(w, 400, "BadRequest", "unreadable body")
		return
	}
	if in.PrincipalID != stubUser {
		writeErr(w, 400, "BadRequest", "principalId is not the caller")
		return
	}
	s.mu.Lock()
	var role *stubRole
	for _, x := range s.roles {
		if groups && x.plane == PlaneGroup && x.scope == in.GroupID && x.roleID == in.AccessID ||
			!groups && x.plane == PlaneEntra && x.roleID == in.RoleDefinitionID && x.scope == in.DirectoryScopeID {
			role = x
		}
	}
	if role == nil {
		s.mu.Unlock()
		writeErr(w, 400, "RoleAssignmentDoesNotExist", "The Role assignment does not exist.")
		return
	}
	start, _ := parseTime(in.ScheduleInfo.StartDateTime)
	if start.IsZero() {
		start = s.now
	}
	d, _ := ParseISODuration(in.ScheduleInfo.Expiration.Duration)
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	q, st, code, msg := s.decideLocked(role, in.Action, start, d, in.Justification, in.TicketInfo.TicketNumber, tok, "")
	var item map[string]any
	if q != nil {
		if groups {
			item = groupRequestItem(q).(map[string]any)
			item["@odata.type"] = s.graph.URL + "/v1.0/$metadata#identityGovernance/privilegedAccess/group/assignmentScheduleRequests/$entity"
		} else {
			item = graphRequestItem(q).(map[string]any)
			item["@odata.context"] = s.graph.URL + "/v1.0/$metadata#roleManagement/directory/roleAssignmentScheduleRequests/$entity"
		}
	}
	s.mu.Unlock()
	if q == nil {
		writeErr(w, st, code, msg)
		return
	}
	writeJSON(w, http.StatusCreated, item)
}

func (s *stub) serveARM(w http.ResponseWriter, r *http.Request, body []byte) {
	q := r.URL.Query()
	if q.Get("api-version") != armAPIVersion {
		writeErr(w, 400, "InvalidApiVersionParameter", "The api-version '"+q.Get("api-version")+"' is invalid.")
		return
	}
	p := r.URL.Path
	const auth = "/providers/Microsoft.Authorization/"
	i := strings.LastIndex(p, auth)
	if i < 0 {
		writeErr(w, 404, "NotFound", "no such path")
		return
	}
	scope, rest := p[:i], p[i+len(auth):]
	switch {
	case r.Method == http.MethodGet && scope == "" && (rest == "roleEligibilityScheduleInstances" || rest == "roleAssignmentScheduleInstances"):
		if q.Get("$filter") != "asTarget()" {
			writeErr(w, 403, "AuthorizationFailed", "The client does not have permissions to perform action at scope '/'. Please use $filter=asTarget()")
			return
		}
		if s.planeRefused(w, PlaneAzure) {
			return
		}
		if rest == "roleEligibilityScheduleInstances" {
			s.page(w, r, s.arm.URL, s.items(armEligItem, PlaneAzure), "nextLink", nil)
		} else {
			s.page(w, r, s.arm.URL, s.activeItems(PlaneAzure, armActiveItem), "nextLink", nil)
		}
	case r.Method == http.MethodGet && scope == "" && rest == "roleAssignmentScheduleRequests":
		if s.planeRefused(w, PlaneAzure) {
			return
		}
		s.page(w, r, s.arm.URL, s.requestItems(PlaneAzure, "", armRequestItem), "nextLink", nil)
	case strings.HasPrefix(rest, "roleAssignmentScheduleRequests/"):
		name := strings.TrimPrefix(rest, "roleAssignmentScheduleRequests/")
		switch {
		case r.Method == http.MethodPost && strings.HasSuffix(name, "/cancel"):
			if s.cancel(strings.TrimSuffix(name, "/cancel")) {
				w.WriteHeader(http.StatusOK)
			} else {
				writeErr(w, 404, "RoleAssignmentScheduleRequestNotFound", "The role assignment schedule request was not found.")
			}
		case r.Method == http.MethodGet:
			s.mu.Lock()
			var item any
			for _, x := range s.requests {
				if x.name == name {
					item = armRequestItem(x)
				}
			}
			s.mu.Unlock()
			if item == nil {
				writeErr(w, 404, "RoleAssignmentScheduleRequestNotFound", "The role assignment schedule request was not found.")
				return
			}
			writeJSON(w, 200, item)
		case r.Method == http.MethodPut:
			s.armPut(w, r, scope, name, body)
		default:
			writeErr(w, 405, "MethodNotAllowed", "method not allowed")
		}
	case r.Method == http.MethodGet && rest == "roleManagementPolicyAssignments":
		s.mu.Lock()
		st := s.policyStatus
		s.mu.Unlock()
		if st != 0 {
			writeErr(w, st, "AuthorizationFailed", "The client does not have authorization to perform action 'Microsoft.Authorization/roleManagementPolicyAssignments/read' over scope '"+scope+"' or the scope is invalid.")
			return
		}
		rd := filterRoleDefRe.FindStringSubmatch(q.Get("$filter"))
		var items []any
		for _, x := range s.roles {
			if x.plane == PlaneAzure && rd != nil && x.roleID == rd[1] && strings.EqualFold(x.scope, scope) {
				items = append(items, armPolicyItem(x))
			}
		}
		s.page(w, r, s.arm.URL, items, "nextLink", nil)
	default:
		writeErr(w, 404, "NotFound", "no such path "+p)
	}
}

func (s *stub) armPut(w http.ResponseWriter, r *http.Request, scope, name string, body []byte) {
	var in struct {
		Properties struct {
			PrincipalID, RoleDefinitionID, RequestType, LinkedRoleEligibilityScheduleID, Justification string
			ScheduleInfo                                                                               wireSchedule
			TicketInfo                                                                                 struct{ TicketNumber string }
		}
	}
	if err := json.Unmarshal(body, &in); err != nil {
		writeErr(w, 400, "InvalidRequestContent", "unreadable body")
		return
	}
	pr := in.Properties
	s.mu.Lock()
	for _, x := range s.requests {
		if x.name == name {
			// The same request name again: the request exists (what it did stays done).
			code, msg := "RoleAssignmentRequestExists", "The Role assignment request already exists."
			if x.status == "Provisioned" {
				code, msg = "RoleAssignmentExists", "The Role assignment already exists."
			}
			s.mu.Unlock()
			writeErr(w, 400, code, msg)
			return
		}
	}
	var role *stubRole
	for _, x := range s.roles {
		if x.plane == PlaneAzure && strings.EqualFold(x.scope, scope) && strings.EqualFold(x.roleID, pr.RoleDefinitionID) {
			role = x
		}
	}
	if role == nil || pr.PrincipalID != stubUser {
		s.mu.Unlock()
		writeErr(w, 400, "RoleAssignmentDoesNotExist", "The Role assignment does not exist.")
		return
	}
	if strings.EqualFold(pr.RequestType, "SelfActivate") && pr.LinkedRoleEligibilityScheduleID != role.eligID {
		s.mu.Unlock()
		writeErr(w, 400, "InvalidRequest", "linkedRoleEligibilityScheduleId does not match")
		return
	}
	start, _ := parseTime(pr.ScheduleInfo.StartDateTime)
	if start.IsZero() {
		start = s.now
	}
	d, _ := ParseISODuration(pr.ScheduleInfo.Expiration.Duration)
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	q, st, code, msg := s.decideLocked(role, pr.RequestType, start, d, pr.Justification, pr.TicketInfo.TicketNumber, tok, name)
	var item any
	if q != nil {
		item = armRequestItem(q)
	}
	s.mu.Unlock()
	if q == nil {
		writeErr(w, st, code, msg)
		return
	}
	writeJSON(w, http.StatusCreated, item)
}

// ---- payloads, shaped like ../shared/pim-vectors ----

func target() map[string]any {
	return map[string]any{"caller": "EndUser", "operations": []any{"All"}, "level": "Assignment",
		"inheritableSettings": []any{}, "enforcedSettings": []any{}}
}

func graphEligItem(r *stubRole, expand bool) any {
	m := map[string]any{
		"@odata.type":               "#microsoft.graph.unifiedRoleEligibilityScheduleInstance",
		"id":                        r.eligID + "-instance",
		"principalId":               r.principalID,
		"roleDefinitionId":          r.roleID,
		"directoryScopeId":          r.scope,
		"appScopeId":                nil,
		"startDateTime":             ts(r.eligibleStart),
		"endDateTime":               ts(r.eligibleEnd),
		"memberType":                r.memberType,
		"roleEligibilityScheduleId": r.eligID,
	}
	if expand {
		m["roleDefinition"] = map[string]any{"id": r.roleID, "displayName": r.roleName, "isBuiltIn": true, "unknownField": []any{1, 2}}
	}
	return m
}

func graphActiveItem(a *stubActive, expand bool) any {
	r := a.role
	m := map[string]any{
		"@odata.type":              "#microsoft.graph.unifiedRoleAssignmentScheduleInstance",
		"id":                       r.eligID + "-active",
		"principalId":              r.principalID,
		"roleDefinitionId":         r.roleID,
		"directoryScopeId":         r.scope,
		"appScopeId":               nil,
		"startDateTime":            ts(a.start),
		"endDateTime":              ts(a.end),
		"assignmentType":           a.assignmentType,
		"memberType":               r.memberType,
		"roleAssignmentOriginId":   r.eligID + "-origin",
		"roleAssignmentScheduleId": r.eligID + "-schedule",
	}
	if expand {
		m["roleDefinition"] = map[string]any{"id": r.roleID, "displayName": r.roleName}
	}
	return m
}

func schedule(q *stubRequest) map[string]any {
	return map[string]any{"startDateTime": ts(q.start), "recurrence": nil,
		"expiration": map[string]any{"type": "afterDuration", "endDateTime": nil, "duration": formatISODuration(q.dur)}}
}

func graphRequestItem(q *stubRequest) any {
	r := q.role
	return map[string]any{
		"id": q.id, "status": q.status, "createdDateTime": ts(q.created), "completedDateTime": ts(q.created),
		"approvalId": nil, "customData": nil, "action": q.action, "principalId": stubUser,
		"roleDefinitionId": r.roleID, "directoryScopeId": r.scope, "appScopeId": nil, "isValidationOnly": false,
		"targetScheduleId": q.id, "justification": q.justification,
		"createdBy":    map[string]any{"application": nil, "device": nil, "user": map[string]any{"displayName": nil, "id": stubUser}},
		"scheduleInfo": schedule(q),
		"ticketInfo":   map[string]any{"ticketNumber": nil, "ticketSystem": nil},
	}
}

func groupEligItem(r *stubRole) any {
	return map[string]any{
		"@odata.type":           "#microsoft.graph.privilegedAccessGroupEligibilityScheduleInstance",
		"id":                    r.eligID + "-instance",
		"startDateTime":         ts(r.eligibleStart),
		"endDateTime":           ts(r.eligibleEnd),
		"memberType":            r.memberType,
		"principalId":           r.principalID,
		"accessId":              r.roleID,
		"groupId":               r.scope,
		"eligibilityScheduleId": r.eligID,
	}
}

func groupActiveItem(a *stubActive) any {
	r := a.role
	return map[string]any{
		"@odata.type":          "#microsoft.graph.privilegedAccessGroupAssignmentScheduleInstance",
		"id":                   r.eligID + "-active",
		"startDateTime":        ts(a.start),
		"endDateTime":          ts(a.end),
		"memberType":           r.memberType,
		"assignmentType":       strings.ToLower(a.assignmentType),
		"principalId":          r.principalID,
		"accessId":             r.roleID,
		"groupId":              r.scope,
		"assignmentScheduleId": r.eligID + "-schedule",
	}
}

func groupRequestItem(q *stubRequest) any {
	r := q.role
	return map[string]any{
		"id": q.id, "status": q.status, "completedDateTime": ts(q.created), "createdDateTime": ts(q.created),
		"approvalId": nil, "customData": nil, "createdBy": map[string]any{"user": map[string]any{"id": stubUser}},
		"action": q.action, "isValidationOnly": false, "justification": q.justification,
		"scheduleInfo": schedule(q), "ticketInfo": map[string]any{"ticketNumber": nil, "ticketSystem": nil},
		"accessId": r.roleID, "principalId": stubUser, "groupId": r.scope,
		"targetScheduleId": r.scope + "_" + r.roleID + "_" + q.id,
	}
}

func stubARMExpanded(r *stubRole) map[string]any {
	return map[string]any{
		"scope":          map[string]any{"id": r.scope, "displayName": r.scopeName, "type": r.scopeType},
		"roleDefinition": map[string]any{"id": r.roleID, "displayName": r.roleName, "type": "BuiltInRole"},
		"principal":      map[string]any{"id": stubUser, "displayName": "Alex Admin", "email": stubUPN, "type": "User"},
	}
}

func armEligItem(r *stubRole) any {
	name := lastSegment(r.eligID) + "-i"
	return map[string]any{
		"properties": map[string]any{
			"scope": r.scope, "roleDefinitionId": r.roleID, "principalId": r.principalID, "principalType": "User",
			"status": "Provisioned", "roleEligibilityScheduleId": r.eligID, "startDateTime": ts(r.eligibleStart),
			"endDateTime": ts(r.eligibleEnd), "memberType": r.memberType, "createdOn": ts(r.eligibleStart),
			"condition": nil, "conditionVersion": nil, "expandedProperties": stubARMExpanded(r),
		},
		"name": name,
		"id":   r.scope + "/providers/Microsoft.Authorization/RoleEligibilityScheduleInstances/" + name,
		"type": "Microsoft.Authorization/RoleEligibilityScheduleInstances",
	}
}

func armActiveItem(a *stubActive) any {
	r := a.role
	name := lastSegment(r.eligID) + "-a"
	return map[string]any{
		"properties": map[string]any{
			"originRoleAssignmentId":                  r.scope + "/providers/Microsoft.Authorization/roleAssignments/" + name,
			"linkedRoleEligibilityScheduleId":         r.eligID,
			"linkedRoleEligibilityScheduleInstanceId": lastSegment(r.eligID) + "-i",
			"assignmentType":                          a.assignmentType,
			"scope":                                   r.scope, "roleDefinitionId": r.roleID, "principalId": r.principalID,
			"principalType": "User", "status": "Accepted",
			"roleAssignmentScheduleId": r.scope + "/providers/Microsoft.Authorization/RoleAssignmentSchedules/" + name,
			"startDateTime":            ts(a.start), "endDateTime": ts(a.end), "memberType": r.memberType,
			"createdOn": ts(a.start), "condition": nil, "conditionVersion": nil, "expandedProperties": stubARMExpanded(r),
		},
		"name": name,
		"id":   r.scope + "/providers/Microsoft.Authorization/RoleAssignmentScheduleInstances/" + name,
		"type": "Microsoft.Authorization/RoleAssignmentScheduleInstances",
	}
}

func armRequestItem(q *stubRequest) any {
	r := q.role
	typ := "SelfActivate"
	if strings.EqualFold(q.action, "selfDeactivate") {
		typ = "SelfDeactivate"
	}
	return map[string]any{
		"properties": map[string]any{
			"targetRoleAssignmentScheduleId": q.name, "targetRoleAssignmentScheduleInstanceId": nil,
			"scope": r.scope, "roleDefinitionId": r.roleID, "principalId": stubUser, "principalType": "User",
			"requestType": typ, "status": q.status, "approvalId": nil,
			"scheduleInfo": map[string]any{"startDateTime": ts(q.start),
				"expiration": map[string]any{"type": "AfterDuration", "endDateTime": nil, "duration": formatISODuration(q.dur)}},
			"ticketInfo":    map[string]any{"ticketNumber": nil, "ticketSystem": nil},
			"justification": q.justification, "requestorId": stubUser, "createdOn": ts(q.created),
			"condition": nil, "conditionVersion": nil, "linkedRoleEligibilityScheduleId": r.eligID,
			"expandedProperties": stubARMExpanded(r),
		},
		"name": q.name,
		"id":   r.scope + "/providers/Microsoft.Authorization/RoleAssignmentScheduleRequests/" + q.name,
		"type": "Microsoft.Authorization/RoleAssignmentScheduleRequests",
	}
}

func stubPolicyRules(p stubPolicy, graph bool) []any {
	var enabled []any
	if p.mfa {
		enabled = append(enabled, "MultiFactorAuthentication")
	}
	if p.justification {
		enabled = append(enabled, "Justification")
	}
	if p.ticket {
		enabled = append(enabled, "Ticketing")
	}
	if enabled == nil {
		enabled = []any{}
	}
	typ := func(name string) (string, any) {
		if graph {
			return "@odata.type", "#microsoft.graph.unifiedRoleManagementPolicy" + name
		}
		return "ruleType", "RoleManagementPolicy" + name
	}
	rule := func(name, id string, fields map[string]any) any {
		k, v := typ(name)
		fields[k] = v
		fields["id"] = id
		tg := target()
		if !graph {
			tg["targetObjects"] = nil
		}
		fields["target"] = tg
		return fields
	}
	var claim any
	if p.authContext != "" {
		claim = p.authContext
	}
	return []any{
		rule("ExpirationRule", "Expiration_Admin_Eligibility", map[string]any{"isExpirationRequired": false, "maximumDuration": "P365D"}),
		rule("ExpirationRule", "Expiration_EndUser_Assignment", map[string]any{"isExpirationRequired": true, "maximumDuration": formatISODuration(p.max)}),
		rule("EnablementRule", "Enablement_Admin_Assignment", map[string]any{"enabledRules": []any{"Justification", "Ticketing", "MultiFactorAuthentication"}}),
		rule("EnablementRule", "Enablement_EndUser_Assignment", map[string]any{"enabledRules": enabled}),
		rule("ApprovalRule", "Approval_EndUser_Assignment", map[string]any{"setting": map[string]any{
			"isApprovalRequired": p.app, "isApprovalRequiredForExtension": false, "isRequestorJustificationRequired": true,
			"approvalMode": "SingleStage", "approvalStages": []any{}}}),
		rule("AuthenticationContextRule", "AuthenticationContext_EndUser_Assignment", map[string]any{"isEnabled": p.authContext != "", "claimValue": claim}),
		rule("NotificationRule", "Notification_Admin_EndUser_Assignment", map[string]any{"notificationType": "Email", "recipientType": "Admin",
			"notificationLevel": "All", "isDefaultRecipientsEnabled": true, "notificationRecipients": []any{}}),
	}
}

func graphPolicyItem(r *stubRole) any {
	scopeID, scopeType, prefix := "/", "DirectoryRole", "DirectoryRole_"+stubTenant
	if r.plane == PlaneGroup {
		scopeID, scopeType, prefix = r.scope, "Group", "Group_"+r.scope
	}
	policyID := prefix + "_" + r.eligID
	return map[string]any{
		"id": policyID + "_" + r.roleID, "policyId": policyID, "scopeId": scopeID, "scopeType": scopeType, "roleDefinitionId": r.roleID,
		"policy": map[string]any{"id": policyID, "displayName": scopeType, "description": scopeType, "isOrganizationDefault": false,
			"scopeId": scopeID, "scopeType": scopeType, "lastModifiedDateTime": nil,
			"lastModifiedBy": map[string]any{"displayName": nil, "id": nil}, "rules": stubPolicyRules(r.policy, true)},
	}
}

func armPolicyItem(r *stubRole) any {
	policyID := r.scope + "/providers/Microsoft.Authorization/roleManagementPolicies/" + lastSegment(r.eligID)
	name := lastSegment(r.eligID) + "_" + lastSegment(r.roleID)
	return map[string]any{
		"properties": map[string]any{
			"scope": r.scope, "roleDefinitionId": r.roleID, "policyId": policyID, "effectiveRules": stubPolicyRules(r.policy, false),
			"policyAssignmentProperties": map[string]any{
				"scope":          map[string]any{"id": r.scope, "displayName": r.scopeName, "type": r.scopeType},
				"roleDefinition": map[string]any{"id": r.roleID, "displayName": r.roleName, "type": "BuiltInRole"},
				"policy":         map[string]any{"id": policyID, "lastModifiedBy": map[string]any{"id": nil, "displayName": "Admin", "type": nil, "email": nil}, "lastModifiedDateTime": nil},
			},
		},
		"name": name,
		"id":   r.scope + "/providers/Microsoft.Authorization/roleManagementPolicyAssignment/" + name,
		"type": "Microsoft.Authorization/RoleManagementPolicyAssignment",
	}
}

// ---- fault-injecting transport ----

// faultTransport sits between the client and the stub. A rule can drop a request before it is
// sent (Azure never sees it) or after (Azure acts on it, but the answer is lost), as a network
// failure or timeout would.
type faultTransport struct {
	next  policy.Transporter
	mu    sync.Mutex
	rules []*faultRule
	sent  []string // METHOD URL of every request that reached the stub
	fails atomic.Int32
}

type faultRule struct {
	method, path string
	times        int
	after        bool // let the stub act, then lose the answer
}

var errInjected = errors.New("read tcp 127.0.0.1:1234: connection reset by peer (injected)")

func (f *faultTransport) Do(req *http.Request) (*http.Response, error) {
	f.mu.Lock()
	var rule *faultRule
	for _, r := range f.rules {
		if r.times > 0 && r.method == req.Method && strings.Contains(req.URL.Path, r.path) {
			r.times--
			rule = r
			break
		}
	}
	f.mu.Unlock()
	if rule != nil && !rule.after {
		f.fails.Add(1)
		return nil, errInjected
	}
	f.mu.Lock()
	f.sent = append(f.sent, req.Method+" "+req.URL.String())
	f.mu.Unlock()
	resp, err := f.next.Do(req)
	if rule != nil && err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		f.fails.Add(1)
		return nil, errInjected
	}
	return resp, err
}

func (f *faultTransport) sentMatching(method, pathContains string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, s := range f.sent {
		if strings.HasPrefix(s, method+" ") && strings.Contains(s, pathContains) {
			out = append(out, s)
		}
	}
	return out
}
