package engine

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pimtray/pimtray/internal/testkit/clocktest"
	"github.com/pimtray/pimtray/pim"
	"github.com/pimtray/pimtray/store"
)

// fakeAPI is an in-memory pim.API for the engine's unit tests: policy-aware, with a call
// log, a gate to hold activations in flight, and switches for the service's quirks.
type fakeAPI struct {
	mu       sync.Mutex
	now      func() time.Time
	tenant   string
	roles    []pim.Role
	policies map[string]pim.Policy // by role key
	active   []pim.Activation
	pending  []pim.Activation
	calls    []fakeCall

	gate             chan struct{} // when set, Activate waits for one value
	entered          chan string   // when set, Activate reports its role key on entry
	planeErr         map[pim.Plane]error
	overviewErr      error
	policyErr        error
	hideActive       bool // the listing lags: activations don't show
	staleListing     bool // expired activations stay listed
	refuseScheduled  bool // an activation starting later is refused with RoleAssignmentExists
	existsAfterDeact int  // this many activations after a deactivation still get RoleAssignmentExists
	lostAnswer       bool // activations are made, but their answer is lost (Unavailable)
	// hangPlane's listing never answers: Overview waits for ctx to end, then reports the plane
	// unreachable, as the real client does. unbounded is set when no deadline ended the wait.
	hangPlane pim.Plane
	unbounded bool
	seq       int
}

type fakeCall struct {
	Op          string // overview, policy, activate, deactivate, cancel, me
	Key         string
	Req         pim.ActivateRequest
	Claims      string
	Interactive bool
	Planes      []pim.Plane
}

type interactiveKey struct{}

func markInteractive(ctx context.Context) context.Context {
	return context.WithValue(ctx, interactiveKey{}, true)
}

func isInteractive(ctx context.Context) bool { v, _ := ctx.Value(interactiveKey{}).(bool); return v }

const tenantA = "11111111-1111-1111-1111-111111111111"

func role(plane pim.Plane, name, id, scope, scopeName string) pim.Role {
	st := pim.ScopeDirectory
	switch plane {
	case pim.PlaneAzure:
		st = pim.ScopeSubscription
	case pim.PlaneGroup:
		st = pim.ScopeGroup
	}
	return pim.Role{Plane: plane, TenantID: tenantA, RoleID: id, RoleName: name, Scope: scope, ScopeName: scopeName, ScopeType: st}
}

var (
	roleGA      = role(pim.PlaneEntra, "Global Administrator", "62e90394", "/", "Directory")
	roleUA      = role(pim.PlaneEntra, "User Administrator", "fe930be7", "/", "Directory")
	roleSR      = role(pim.PlaneEntra, "Security Reader", "5d6b6bb7", "/", "Directory")
	roleEX      = role(pim.PlaneEntra, "Exchange Administrator", "29232cdf", "/", "Directory")
	roleOwnerIT = role(pim.PlaneAzure, "Owner", "/providers/Microsoft.Management/managementGroups/IT/providers/Microsoft.Authorization/roleDefinitions/8e3af657", "/providers/Microsoft.Management/managementGroups/IT", "IT")
	roleContrib = role(pim.PlaneAzure, "Contributor", "/subscriptions/s1/providers/Microsoft.Authorization/roleDefinitions/b24988ac", "/subscriptions/s1", "MySubscription")
	roleMember  = role(pim.PlaneGroup, "Member", "member", "g1", "PIM-Admins")
)

func newFakeAPI(now func() time.Time) *fakeAPI {
	f := &fakeAPI{now: now, tenant: tenantA, policies: map[string]pim.Policy{}, planeErr: map[pim.Plane]error{}}
	f.roles = []pim.Role{roleGA, roleUA, roleSR, roleEX, roleOwnerIT, roleContrib, roleMember}
	f.policies[roleGA.Key()] = pim.Policy{MaxDuration: 8 * time.Hour, Justification: true, MFA: true}
	f.policies[roleUA.Key()] = pim.Policy{MaxDuration: 8 * time.Hour, Approval: true}
	f.policies[roleSR.Key()] = pim.Policy{MaxDuration: 8 * time.Hour}
	f.policies[roleEX.Key()] = pim.Policy{MaxDuration: 8 * time.Hour, AuthContext: "c1"}
	f.policies[roleOwnerIT.Key()] = pim.Policy{MaxDuration: 8 * time.Hour}
	f.policies[roleContrib.Key()] = pim.Policy{MaxDuration: 4 * time.Hour, Ticket: true}
	f.policies[roleMember.Key()] = pim.Policy{MaxDuration: 2 * time.Hour}
	return f
}

func (f *fakeAPI) log(c fakeCall) {
	f.calls = append(f.calls, c)
}

func (f *fakeAPI) count(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if c.Op == op {
			n++
		}
	}
	return n
}

func (f *fakeAPI) callsOf(op string) []fakeCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fakeCall
	for _, c := range f.calls {
		if c.Op == op {
			out = append(out, c)
		}
	}
	return out
}

func (f *fakeAPI) Me(ctx context.Context) (pim.Principal, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log(fakeCall{Op: "me"})
	return pim.Principal{ID: "me", UserPrincipalName: "admin@contoso.example"}, nil
}

func (f *fakeAPI) Overview(ctx context.Context, planes ...pim.Plane) (*pim.Overview, error) {
	f.mu.Lock()
	hang := f.hangPlane
	f.mu.Unlock()
	hung := hang != "" && (len(planes) == 0 || slices.Contains(planes, hang))
	if hung {
		select {
		case <-ctx.Done():
		case <-time.After(5 * time.Second): // a test's safety net, not a wait it relies on
			f.mu.Lock()
			f.unbounded = true
			f.mu.Unlock()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log(fakeCall{Op: "overview", Planes: planes})
	if f.overviewErr != nil {
		return nil, f.overviewErr
	}
	if len(planes) == 0 {
		planes = pim.Planes()
	}
	now := f.now()
	ov := &pim.Overview{TenantID: f.tenant, Errors: map[pim.Plane]error{}, FetchedAt: now}
	for _, p := range planes {
		if err := f.planeErr[p]; err != nil {
			ov.Errors[p] = err
			continue
		}
		if hung && p == hang {
			ov.Errors[p] = &pim.Error{Kind: pim.KindUnavailable, Plane: p, Err: context.Cause(ctx)}
			continue
		}
		for _, r := range f.roles {
			if r.Plane == p {
				ov.Eligible = append(ov.Eligible, r)
			}
		}
		for _, a := range f.active {
			if a.Role.Plane != p || f.hideActive {
				continue
			}
			if !f.staleListing && (a.StartsAt.After(now) || !a.ExpiresAt.After(now)) {
				continue
			}
			ov.Active = append(ov.Active, a)
		}
		for _, a := range f.pending {
			if a.Role.Plane == p {
				ov.Pending = append(ov.Pending, a)
			}
		}
	}
	return ov, nil
}

func (f *fakeAPI) Policy(ctx context.Context, r pim.Role) (pim.Policy, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log(fakeCall{Op: "policy", Key: r.Key()})
	if f.policyErr != nil {
		return pim.Policy{}, f.policyErr
	}
	return f.policies[r.Key()], nil
}

func (f *fakeAPI) runningLocked(key string, at time.Time) (pim.Activation, bool) {
	for _, a := range f.active {
		if a.Role.Key() == key && !a.StartsAt.After(at) && a.ExpiresAt.After(at) {
			return a, true
		}
	}
	return pim.Activation{}, false
}

func (f *fakeAPI) Activate(ctx context.Context, req pim.ActivateRequest) (pim.Activation, error) {
	key := req.Role.Key()
	f.mu.Lock()
	f.log(fakeCall{Op: "activate", Key: key, Req: req, Claims: pim.ClaimsFrom(ctx), Interactive: isInteractive(ctx)})
	gate, entered := f.gate, f.entered
	f.mu.Unlock()
	if entered != nil {
		entered <- key
	}
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return pim.Activation{}, ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	pol := f.policies[key]
	claims := pim.ClaimsFrom(ctx)
	label := req.Role.Label()
	switch {
	case pol.MaxDuration > 0 && req.Duration > pol.MaxDuration:
		return pim.Activation{}, &pim.Error{Kind: pim.KindPolicy, Rules: []string{pim.RuleExpiration}, Max: pol.MaxDuration, Asked: req.Duration, Role: label}
	case pol.MFA && !strings.Contains(claims, "mfa"):
		return pim.Activation{}, &pim.Error{Kind: pim.KindPolicy, Rules: []string{pim.RuleMFA}, Role: label}
	case pol.AuthContext != "" && !strings.Contains(claims, `"`+pol.AuthContext+`"`):
		return pim.Activation{}, &pim.Error{Kind: pim.KindAuthContext, Role: label,
			Claims: `{"access_token":{"acrs":{"essential":true,"value":"` + pol.AuthContext + `"}}}`}
	case pol.Justification && req.Justification == "":
		return pim.Activation{}, &pim.Error{Kind: pim.KindPolicy, Rules: []string{pim.RuleJustification}, Role: label}
	case pol.Ticket && req.TicketNumber == "":
		return pim.Activation{}, &pim.Error{Kind: pim.KindPolicy, Rules: []string{pim.RuleTicketing}, Role: label}
	}
	start := req.StartAt
	if start.IsZero() {
		start = now
	}
	if _, ok := f.runningLocked(key, now); ok && (req.StartAt.IsZero() || f.refuseScheduled) {
		return pim.Activation{}, &pim.Error{Kind: pim.KindAlreadyActive, Code: "RoleAssignmentExists", Role: label, Text: "The Role assignment already exists."}
	}
	if f.existsAfterDeact > 0 {
		f.existsAfterDeact--
		return pim.Activation{}, &pim.Error{Kind: pim.KindAlreadyActive, Code: "RoleAssignmentExists", Role: label, Text: "The Role assignment already exists."}
	}
	f.seq++
	id := "req-" + string(rune('a'+f.seq))
	if pol.Approval {
		a := pim.Activation{Role: req.Role, Status: pim.StatusPending, RequestID: id, RequestStatus: "PendingApproval", StartsAt: start}
		f.pending = append(f.pending, a)
		return a, nil
	}
	a := pim.Activation{Role: req.Role, Status: pim.StatusActive, RequestID: id, RequestStatus: "Provisioned",
		AssignmentType: "Activated", StartsAt: start, ExpiresAt: start.Add(req.Duration)}
	if !req.StartAt.IsZero() && req.StartAt.After(now) {
		a.RequestStatus = "Granted"
	}
	f.active = append(f.active, a)
	if f.lostAnswer {
		return pim.Activation{}, &pim.Error{Kind: pim.KindUnavailable, Role: label,
			Text: "Azure could not be reached to activate " + label + "; try again later."}
	}
	return a, nil
}

func (f *fakeAPI) Deactivate(ctx context.Context, r pim.Role) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	key := r.Key()
	f.log(fakeCall{Op: "deactivate", Key: key})
	now := f.now()
	a, ok := f.runningLocked(key, now)
	if !ok {
		return &pim.Error{Kind: pim.KindNotFound, Code: "RoleAssignmentDoesNotExist"}
	}
	if now.Sub(a.StartsAt) < 5*time.Minute {
		return &pim.Error{Kind: pim.KindTooShort, Code: "ActiveDurationTooShort"}
	}
	f.active = slices.DeleteFunc(f.active, func(x pim.Activation) bool { return x.Role.Key() == key })
	return nil
}

func (f *fakeAPI) Cancel(ctx context.Context, a pim.Activation) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log(fakeCall{Op: "cancel", Key: a.Role.Key()})
	f.pending = slices.DeleteFunc(f.pending, func(x pim.Activation) bool { return x.Role.Key() == a.Role.Key() })
	return nil
}

// approve turns the role's open request into an activation of d from now.
func (f *fakeAPI) approve(r pim.Role, d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	f.pending = slices.DeleteFunc(f.pending, func(x pim.Activation) bool { return x.Role.Key() == r.Key() })
	f.active = append(f.active, pim.Activation{Role: r, Status: pim.StatusActive, AssignmentType: "Activated", StartsAt: now, ExpiresAt: now.Add(d)})
}

func (f *fakeAPI) deny(r pim.Role) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pending = slices.DeleteFunc(f.pending, func(x pim.Activation) bool { return x.Role.Key() == r.Key() })
}

// activateDirect is an activation made elsewhere (the portal).
func (f *fakeAPI) activateDirect(r pim.Role, start time.Time, d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.active = append(f.active, pim.Activation{Role: r, Status: pim.StatusActive, AssignmentType: "Activated", StartsAt: start, ExpiresAt: start.Add(d)})
}

func (f *fakeAPI) set(fn func(f *fakeAPI)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

// ---- harness ----

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

var t0 = time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)

type harness struct {
	t      testing.TB
	clk    *clocktest.Fake
	api    *fakeAPI
	e      *Engine
	prompt *fakePrompter
	saved  chan *store.Config
	cancel context.CancelFunc
	done   chan struct{}
}

type fakePrompter struct {
	mu      sync.Mutex
	answers []string // "" = cancel
	asked   []Question
}

func (p *fakePrompter) Ask(ctx context.Context, q Question) (string, bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.asked = append(p.asked, q)
	if len(p.answers) == 0 {
		return "", false, nil
	}
	a := p.answers[0]
	p.answers = p.answers[1:]
	return a, a != "", nil
}

func (p *fakePrompter) questions() []Question {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.asked)
}

type harnessOpt func(*Options, *fakeAPI)

func withFavourites(favs ...store.Favourite) harnessOpt {
	return func(o *Options, _ *fakeAPI) { o.Config.Favourites = append(o.Config.Favourites, favs...) }
}

func fav(r pim.Role, mod ...func(*store.Favourite)) store.Favourite {
	f := favouriteFor(r)
	for _, m := range mod {
		m(&f)
	}
	return f
}

// newHarness builds an engine on a fake clock and fake API. It does not start Run.
func newHarness(t *testing.T, opts ...harnessOpt) *harness {
	t.Helper()
	clk := clocktest.NewFake(t0)
	api := newFakeAPI(clk.Now)
	h := &harness{t: t, clk: clk, api: api, prompt: &fakePrompter{}, saved: make(chan *store.Config, 16)}
	o := Options{
		Clock:       clk,
		Config:      store.DefaultConfig(),
		Tenants:     []TenantBackend{{ID: tenantA, Name: "Contoso", API: api}},
		Prompter:    h.prompt,
		Interactive: markInteractive,
		Jitter:      func() float64 { return 0.5 },
		Location:    time.UTC,
		Log:         slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
		SaveConfig: func(c *store.Config) error {
			h.saved <- c
			return nil
		},
	}
	for _, op := range opts {
		op(&o, api)
	}
	e, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	h.e = e
	return h
}

// quiet waits (on the fake clock, never sleeping) until the engine has nothing left to do at
// the clock's now: no background work running, its loop waiting with no change to look at and
// no wake-up due (clocktest.Fake.WaitIdle).
func (h *harness) quiet() {
	h.t.Helper()
	if !h.clk.WaitIdle(liveness) {
		h.t.Fatalf("the engine did not settle at %v", h.clk.Now())
	}
}

// advance moves the clock by d from one of the engine's wake-ups to the next, letting it
// finish its work at each: time passes as it would, with no sleeping.
func (h *harness) advance(d time.Duration) {
	h.t.Helper()
	target := h.clk.Now().Add(d)
	for {
		h.quiet()
		next, ok := h.clk.NextTimer()
		if !ok || next.After(target) {
			h.clk.Set(target)
			h.quiet()
			return
		}
		h.clk.Set(next)
	}
}

// start runs the engine's loop and waits for the first refresh.
func (h *harness) start() *harness {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	h.done = make(chan struct{})
	begun := h.clk.Begun()
	go func() {
		defer close(h.done)
		h.e.Run(ctx)
	}()
	h.t.Cleanup(h.stop)
	// The loop is at work from its start until it waits (clock.Begin): once it began, the
	// clock is at rest only when the loop is (quiet).
	if !h.clk.Wait(liveness, func() bool { return h.clk.Begun() > begun }) {
		h.t.Fatal("the engine's loop did not start")
	}
	h.waitFor("first refresh", func(s Snapshot) bool { return !s.LastRefresh.IsZero() && !s.Refreshing })
	return h
}

func (h *harness) stop() {
	if h.cancel == nil {
		return
	}
	h.cancel()
	<-h.done
	h.cancel = nil
}

// waitFor waits (on Changed, never sleeping) until cond holds for the snapshot.
func (h *harness) waitFor(what string, cond func(Snapshot) bool) Snapshot {
	h.t.Helper()
	deadline := time.After(liveness)
	for {
		s := h.e.Snapshot()
		if cond(s) {
			return s
		}
		select {
		case <-h.e.Changed():
		case <-deadline:
			h.t.Fatalf("timed out waiting for %s; snapshot: %+v", what, s)
		}
	}
}

// item finds the role's item in a snapshot.
func item(s Snapshot, r pim.Role) Item {
	for _, it := range s.All {
		if it.Key == r.Key() {
			return it
		}
	}
	return Item{}
}

func (h *harness) stateIs(r pim.Role, st ItemState) Snapshot {
	h.t.Helper()
	return h.waitFor(r.Label()+" "+string(st), func(s Snapshot) bool { return item(s, r).State == st })
}

// notice waits for the next notice of a kind (others are skipped).
func (h *harness) notice(kind NoticeKind) Notice {
	h.t.Helper()
	deadline := time.After(liveness)
	for {
		select {
		case n := <-h.e.Notices():
			if n.Kind == kind {
				return n
			}
			h.t.Logf("skipping notice %s: %s", n.Kind, n.Title)
		case <-deadline:
			h.e.mu.Lock()
			h.t.Logf("now %v records %+v sent %+v", h.clk.Now(), h.e.roles.Save(), h.e.told.sent)
			h.e.mu.Unlock()
			h.t.Fatalf("timed out waiting for a %s notice", kind)
		}
	}
}

// noNotice asserts no notice is queued.
func (h *harness) noNotice() {
	h.t.Helper()
	select {
	case n := <-h.e.Notices():
		h.t.Fatalf("unexpected notice %s: %s — %s", n.Kind, n.Title, n.Body)
	default:
	}
}

// settle waits until the engine has no request in flight, no refresh running and, when
// its loop runs, nothing left to do.
func (h *harness) settle() Snapshot {
	h.t.Helper()
	h.waitFor("engine idle", func(s Snapshot) bool {
		if s.Refreshing {
			return false
		}
		for _, it := range s.All {
			if it.State == StateActivating || it.State == StateDeactivating {
				return false
			}
		}
		return true
	})
	if h.cancel != nil {
		h.quiet()
	}
	return h.e.Snapshot()
}

// liveness bounds how long a test waits for the engine to do what it must do at once; it is
// generous because a loaded machine under -race can stall a goroutine for seconds. It never
// measures anything: a passing test returns as soon as the engine has acted.
const liveness = 30 * time.Second
