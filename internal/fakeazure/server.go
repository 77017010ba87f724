// Package fakeazure is a faithful fake of the Azure that pimtray talks to: the Microsoft identity
// platform (OIDC discovery, authorize with form_post, token, device code), Microsoft Graph v1.0
// (Entra directory roles and PIM for Groups) and Azure Resource Manager (api-version 2020-10-01,
// Microsoft.Authorization), all on one HTTPS server.
//
// # Faithful
//
// Responses have the shape of Microsoft's official examples (the conformance tests compare them
// key by key with ../shared/pim-vectors), refusals carry the error bodies seen in the field, and
// the fake is stateful and policy-aware: activations start and end by its clock, policies are
// enforced (maximum duration, justification, ticket, MFA, approval, authentication context), and
// an ARM request's client-chosen GUID makes retries idempotent.
//
// # Layout
//
// Under Server.URL: the identity platform at /{tenant}/..., Graph at /graph/v1.0/..., ARM at
// /arm/.... Cloud() returns a pim.Cloud with every endpoint pointing there; tokens are issued for
// the real resource URIs (https://graph.microsoft.com, https://management.azure.com) so scopes
// look real, and the fake checks a token's audience against the plane it is used on.
//
// # Control
//
// Tests steer the fake with SetLatency, InjectFault, Approve, Deny, RevokeRefreshTokens and
// ConfirmDeviceCode, and read the request log with Requests. Every secret it issues contains
// SecretMarker; the request log never does.
//
// The demo ships the fake (it runs through the real client, sign-in and TLS), but not these
// controls: nothing in the app calls them, so the linker drops them, and the fault machinery is
// reached only through InjectFault. The fake serves with net/http and crypto/tls, not
// net/http/httptest. The deps test in the repository root proves both.
package fakeazure

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pimtray/pimtray/pim"
)

const (
	accessTokenLifetime  = time.Hour
	refreshTokenLifetime = 90 * 24 * time.Hour
	authCodeLifetime     = 10 * time.Minute
	deviceCodeLifetime   = 15 * time.Minute
	defaultPageSize      = 3
	defaultRefreshGrace  = time.Minute
	maxBodyBytes         = 1 << 20
)

// Options configure a fake. The zero value serves the demo tenant on a random local port.
type Options struct {
	// Now is the fake's clock: activations start and expire by it, and tokens' iat/exp come from
	// it. Nil means time.Now.
	Now func() time.Time
	// Tenants are the tenants served; nil means the demo tenant (Demo()).
	Tenants []*Tenant
	// Addr is the listen address; "" means "127.0.0.1:0".
	Addr string
	// Listener, when set, is served instead of listening on Addr; Close closes it. Processes
	// that must serve one address in turn share a listener (a dup of one socket) instead of
	// freeing a port and binding it again, which another process may take in between.
	Listener net.Listener
	// StateFile persists activations, requests and sign-in sessions as JSON (for --demo), loaded
	// at start, written atomically after every change and re-read when another process changed
	// it. Never any secret in it. "" keeps the state in memory.
	StateFile string
	// Latency delays every request (see also SetLatency).
	Latency time.Duration
	// Log receives one debug line per request (method, path, status; never a body); nil discards.
	Log *slog.Logger

	// PageSize is the number of items per page of every paged list; 0 means 3, so even the demo
	// tenant's lists come in several pages.
	PageSize int
	// AutoConfirmDeviceCode confirms device codes at once, as if the user had entered the code.
	AutoConfirmDeviceCode bool
	// AutoApproveAfter is the demo tenant's approver: a request waiting for approval is
	// approved once it has waited this long (by Now), as if someone had approved it then.
	// 0: requests wait until Approve or Deny (or time out after a day).
	AutoApproveAfter time.Duration
	// AcceptScheduledExtension accepts an activation scheduled to start when the current one
	// ends; by default it is refused with RoleAssignmentExists, as a field report says Azure does.
	AcceptScheduledExtension bool
	// ARMClaimsChallenge makes ARM answer a missing authentication context with
	// 401 + WWW-Authenticate insufficient_claims instead of 400 RoleAssignmentRequestAcrsValidationFailed.
	ARMClaimsChallenge bool
	// ARMPolicyForbidden makes ARM's roleManagementPolicyAssignments answer 403, as it may for an
	// eligible-only user (field report).
	ARMPolicyForbidden bool
	// EnforceTokenExpiry refuses access tokens whose exp (by Now) has passed with 401. Off by
	// default because tests that move the fake clock by hours would otherwise see their cached
	// tokens refused.
	EnforceTokenExpiry bool
	// RefreshTokenGrace is how long (by Now) a refresh token still works after its first use,
	// for clients that race two refreshes; 0 means one minute.
	RefreshTokenGrace time.Duration
	// MinActivation is the shortest activation the fake accepts; 0 means Azure's five minutes
	// ("can't be assigned for a duration of less than five minutes"). End-to-end tests that
	// watch an activation end in real time set less.
	MinActivation time.Duration
}

// Server is a running fake. Create it with New; Close it when done.
type Server struct {
	// URL is the base URL, "https://127.0.0.1:port".
	URL string

	opts     Options
	srv      *http.Server
	served   chan struct{} // closed when Serve has returned
	inflight requests
	delayed  atomic.Int32 // requests waiting out their latency now
	cert     *x509.Certificate
	client   *http.Client
	now      func() time.Time
	key      []byte
	closing  chan struct{}
	once     sync.Once

	tenantList []*Tenant
	tenantByID map[string]*Tenant
	roleIndex  map[*Tenant]map[string]*eligibility // eligibility key -> eligibility, per tenant
	history    map[*Tenant][]*pimRequest           // Tenant.PastRequests, made at New; never changed

	mu          sync.Mutex // guards st, stamp, codes, deviceCodes
	st          *state
	stamp       fileStamp
	codes       map[string]*authCode
	deviceCodes map[string]*deviceCode

	ctl      sync.Mutex // guards the fields below
	latency  time.Duration
	planeLat map[string]time.Duration
	faults   []*activeFault
	// faulter is set by InjectFault: only a binary that injects faults (a test) links the fault
	// machinery; the demo's serve never reaches it.
	faulter  func(s *Server, entry *Request, w *recorder, r *http.Request, plane string, handler http.HandlerFunc) (answered bool)
	reqLog   []Request
	minted   map[string]string // access token id (uti) -> plane ("graph", "arm"), for RejectAccessTokens
	rejected map[string]bool   // access token ids Azure refuses
}

// New starts a fake on Options.Addr.
func New(opts Options) (*Server, error) {
	s := &Server{opts: opts, now: opts.Now, closing: make(chan struct{}),
		codes: map[string]*authCode{}, deviceCodes: map[string]*deviceCode{},
		latency: opts.Latency, planeLat: map[string]time.Duration{}}
	if s.now == nil {
		s.now = time.Now
	}
	if opts.PageSize <= 0 {
		s.opts.PageSize = defaultPageSize
	}
	tenants := opts.Tenants
	if tenants == nil {
		tenants = []*Tenant{Demo()}
	}
	s.tenantByID = map[string]*Tenant{}
	s.roleIndex = map[*Tenant]map[string]*eligibility{}
	s.history = map[*Tenant][]*pimRequest{}
	for _, t := range tenants {
		if t == nil || t.ID == "" {
			return nil, errors.New("fakeazure: a tenant without an id")
		}
		id := strings.ToLower(t.ID)
		if _, dup := s.tenantByID[id]; dup {
			return nil, fmt.Errorf("fakeazure: tenant %s given twice", t.ID)
		}
		t.init()
		s.tenantList = append(s.tenantList, t)
		s.tenantByID[id] = t
		idx := map[string]*eligibility{}
		for _, e := range t.roles {
			idx[e.key] = e
		}
		s.roleIndex[t] = idx
		s.history[t] = t.history(s.now())
	}

	// The signing key: random, or derived from the state file's path so that two processes
	// sharing a demo state accept each other's tokens. (The fake's tokens protect nothing.)
	if opts.StateFile != "" {
		abs, err := filepath.Abs(opts.StateFile)
		if err != nil {
			return nil, fmt.Errorf("fakeazure: state file path: %w", err)
		}
		s.opts.StateFile = abs
		sum := sha256.Sum256([]byte("pimtray-fake-signing-key|" + abs))
		s.key = sum[:]
	} else {
		s.key = randBytes(32)
	}
	st, stamp, err := loadInitialState(s.opts.StateFile)
	if err != nil {
		// A broken demo state is set aside, never fatal: the demo starts afresh.
		aside := s.opts.StateFile + ".corrupt"
		_ = os.Rename(s.opts.StateFile, aside)
		s.logger().Warn("fakeazure: state file unreadable; set aside, starting afresh", "file", aside, "err", err)
		st, stamp = newState(), fileStamp{}
	}
	s.st, s.stamp = st, stamp
	if s.seedWaitingLocked() {
		s.saveLocked()
	}

	l := opts.Listener
	if l == nil {
		addr := opts.Addr
		if addr == "" {
			addr = "127.0.0.1:0"
		}
		if l, err = net.Listen("tcp", addr); err != nil {
			return nil, fmt.Errorf("fakeazure: listen on %s: %w", addr, err)
		}
	}
	cert, err := selfSignedCert()
	if err != nil {
		_ = l.Close()
		return nil, err
	}
	// net/http and crypto/tls, not net/http/httptest: the demo ships this server, and the
	// shipped binary links nothing made for tests (the deps test checks). HTTP/1.1 only, as
	// httptest serves it: a reset fault hijacks the connection.
	s.cert = cert.Leaf
	s.srv = &http.Server{
		Handler: http.HandlerFunc(s.serve),
		// TLS handshake errors from clients that don't trust the fake are expected in tests.
		ErrorLog:          log.New(io.Discard, "", 0),
		ReadHeaderTimeout: time.Minute,
	}
	tl := tls.NewListener(l, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12,
		NextProtos: []string{"http/1.1"}})
	s.served = make(chan struct{})
	go func() {
		defer close(s.served)
		_ = s.srv.Serve(tl) // until Close
	}()
	s.URL = "https://" + l.Addr().String()
	roots := x509.NewCertPool()
	roots.AddCert(cert.Leaf)
	s.client = &http.Client{Transport: &http.Transport{
		// Never through a proxy from the environment; trust the fake's certificate only.
		Proxy:               nil,
		TLSClientConfig:     &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     90 * time.Second,
	}}
	return s, nil
}

// Close stops the server and waits for the requests in flight; requests held by a hang fault
// or latency are released first.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.closing)
		_ = s.srv.Close() // closes the listener and every connection
		<-s.served
		s.inflight.closeAndWait()
		s.client.CloseIdleConnections()
	})
}

// HTTPClient returns a client that trusts the fake's certificate (and uses no proxy). Every call
// returns a new *http.Client sharing one transport, so callers may set their own Timeout.
func (s *Server) HTTPClient() *http.Client {
	c := *s.client
	return &c
}

// Cloud returns the cloud configuration with every endpoint at the fake; the audiences are the
// real resource URIs.
func (s *Server) Cloud() pim.Cloud {
	return pim.Cloud{
		Name:          "PimtrayFake",
		AuthorityHost: s.URL + "/",
		Graph:         s.URL + "/graph",
		ARM:           s.URL + "/arm",
		GraphAudience: GraphResource,
		ARMAudience:   ARMResource,
	}
}

// Authority returns the authority URL of a tenant at the fake: URL + "/" + tenantID.
func (s *Server) Authority(tenantID string) string { return s.URL + "/" + tenantID }

// Tenants lists the tenants the fake serves.
func (s *Server) Tenants() []*Tenant { return append([]*Tenant(nil), s.tenantList...) }

func (s *Server) tenant(id string) *Tenant { return s.tenantByID[strings.ToLower(id)] }

func (s *Server) logger() *slog.Logger {
	if s.opts.Log != nil {
		return s.opts.Log
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func (s *Server) minActivation() time.Duration {
	if s.opts.MinActivation > 0 {
		return s.opts.MinActivation
	}
	return 5 * time.Minute
}

func (s *Server) grace() time.Duration {
	if s.opts.RefreshTokenGrace > 0 {
		return s.opts.RefreshTokenGrace
	}
	return defaultRefreshGrace
}

func (s *Server) pageSize() int { return s.opts.PageSize }

// serve is the single entry point: it logs the request, applies latency and faults, and routes it.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if !s.inflight.enter() {
		abort() // closing
	}
	defer s.inflight.leave()
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes))
	_ = r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(body))

	plane, handler := s.route(r)
	entry := Request{Time: s.now(), Method: r.Method, Path: r.URL.Path, Query: redactQuery(r.URL.RawQuery),
		Body: redactBody(r.Header.Get("Content-Type"), body), Plane: plane}
	// The request is logged when its answer starts, not when the handler returns: a client can
	// have read a whole answer before then, and a test that looks at the log next must find it.
	logged := false
	logOnce := func(status int) {
		if logged {
			return
		}
		logged = true
		entry.Status = status
		s.appendLog(entry)
	}
	rec := &recorder{ResponseWriter: w, start: logOnce}
	defer func() {
		logOnce(rec.status) // an answer never started: canceled, hung, reset
		s.logger().Debug("fakeazure request", "method", r.Method, "path", r.URL.Path, "status", rec.status, "plane", plane, "fault", entry.Fault)
	}()

	if !s.wait(r.Context(), s.latencyFor(plane)) {
		entry.Fault = "canceled"
		abort()
	}
	// Dated by the fake's clock, as Azure dates its answers by its own (net/http would use the
	// machine's): a client learns the offset between the two from it.
	w.Header().Set("Date", s.now().UTC().Format(http.TimeFormat))
	if faults := s.faultsHook(); faults != nil && faults(s, &entry, rec, r, plane, handler) {
		return
	}
	handler(rec, r)
}

// route picks the plane and the handler for a request.
func (s *Server) route(r *http.Request) (string, http.HandlerFunc) {
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/graph/"):
		return graphPlane(r), s.serveGraph
	case strings.HasPrefix(p, "/arm/"):
		return "azure", s.serveARM
	}
	return "identity", s.serveIdentity
}

// wait sleeps d, or less when the request is canceled or the server closes (then false).
func (s *Server) wait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	s.delayed.Add(1) // the tests count requests held side by side, not the wall clock
	defer s.delayed.Add(-1)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
	case <-s.closing:
	}
	return false
}

// requests counts the requests being served, so Close can wait for them (as httptest's does:
// no handler touches a test's files after Close).
type requests struct {
	mu     sync.Mutex
	cond   *sync.Cond
	n      int
	closed bool
}

func (q *requests) enter() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return false
	}
	q.n++
	return true
}

func (q *requests) leave() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.n--
	if q.n == 0 && q.cond != nil {
		q.cond.Broadcast()
	}
}

func (q *requests) closeAndWait() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	if q.cond == nil {
		q.cond = sync.NewCond(&q.mu)
	}
	for q.n > 0 {
		q.cond.Wait()
	}
}

// recorder remembers the status written and lets a reset fault hijack the connection.
type recorder struct {
	http.ResponseWriter
	status int
	start  func(status int) // called once, as the answer starts
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
		if r.start != nil {
			r.start(code)
		}
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.WriteHeader(http.StatusOK)
	}
	return r.ResponseWriter.Write(b)
}

// selfSignedCert makes a throwaway certificate for 127.0.0.1, ::1 and localhost.
func selfSignedCert() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("fakeazure: certificate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("fakeazure: certificate serial: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: []string{"pimtray fake Azure"}, CommonName: "127.0.0.1"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1"), net.IPv6loopback},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("fakeazure: create certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("fakeazure: parse certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}
