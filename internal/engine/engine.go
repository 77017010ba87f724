// Package engine is pimtray's headless core: it owns the app's state and every decision,
// and the tray, the notifications and the command line only render it and forward clicks.
//
// # What it owns
//
// The favourites (from the configuration), the eligible, active and pending roles of every
// tenant, the requests in flight, the policies, the reminder schedule and what a click does.
// It talks to Azure through pim.API only and to the disk through the state file and the
// SaveConfig callback.
//
// # Time
//
// Everything runs on a clock.Clock. Deadlines (an activation's end, a reminder, the next
// refresh) are wall-clock instants; timers are only wake-ups, after which the engine
// re-reads Now. A wake-up much later than planned means the machine slept (or the clock
// was changed): the engine refreshes at once.
//
// # Foreground and background
//
// A click (Activate, NoticeAction, SignIn) and a command-line call may open a sign-in
// window: for a step-up (MFA, authentication context) or a sign-in the user asked for.
// Background work (refresh, pending polls, scheduled re-activation, keep-alive) never
// does: it marks the item "needs sign-in" and raises a NoticeSignInNeeded.
package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/pimtray/pimtray/internal/clock"
	"github.com/pimtray/pimtray/internal/engine/roles"
	"github.com/pimtray/pimtray/pim"
	"github.com/pimtray/pimtray/store"
)

// Tunables, in one place with their reasons.
const (
	// RecentWindow is how long the engine trusts what it just did (an activation's own status
	// and end time, a deactivation) over the listings, which lag writes by minutes.
	RecentWindow = roles.RecentWindow
	// PendingPollInterval is how often open requests are checked while something waits for approval.
	PendingPollInterval = 30 * time.Second
	// MinActiveForRestart is how long an activation must have run before Azure lets it be deactivated.
	MinActiveForRestart = 5 * time.Minute
	// wakeSlack: a timer firing this much later than planned (wall clock) means the machine slept.
	wakeSlack = time.Minute
	// wakeCheck: how often the wall clock is looked at while something counts down.
	wakeCheck = time.Minute
	// offline back-off: first retry after backoffBase, doubling, at most backoffMax.
	backoffBase = 15 * time.Second
	backoffMax  = 10 * time.Minute
	// policyMaxAge: cached policies are read again after this long.
	policyMaxAge = 12 * time.Hour
	// retryAfterExists: a re-activation refused with RoleAssignmentExists right after the old
	// one ended or was deactivated (the service lags) is tried again after this long, a few
	// times (roles.Book.Retry).
	retryAfterExists = roles.RetryAfterExists
	// denyGrace: a request gone from the open requests but not (yet) active is called denied
	// only after this long, as the active listing may lag an approval (roles.Book.Resolve).
	denyGrace = roles.DenyGrace
	// sentKeep: reminder ids are remembered this long.
	sentKeep = 48 * time.Hour
	// defaultRefreshTimeout bounds one tenant's refresh (its listings, then the favourites'
	// policies), whatever the client's own time-outs: a request that never ends (a silent
	// connection, a token request that hangs) turns into "cannot reach Azure" on the menu and
	// the next refresh still comes.
	defaultRefreshTimeout = 2 * time.Minute
)

// SlowAnswer is how long an activation waits for Azure before its label says it still waits.
const SlowAnswer = 5 * time.Second

// slowAnswersLocked notes when each request in flight was first seen and returns when the
// next one turns slow (its label changes then); zero: none.
func (e *Engine) slowAnswersLocked(now time.Time) time.Time {
	return e.roles.SlowAnswers(now, roles.Op(StateActivating), SlowAnswer)
}

// DefaultDuration is what an activation asks for when neither the favourite nor the
// configuration says (capped at the policy maximum).
const DefaultDuration = 8 * time.Hour

// SignInOptions are the choices of an interactive sign-in.
type SignInOptions struct {
	// DeviceCode signs in with a code typed on another device instead of a browser.
	DeviceCode bool
	// Prompt shows the device-code message ("To sign in, open https://… and enter ABC-DEF").
	Prompt func(message string)
}

// Authenticator is one tenant's sign-in (pim/auth.Session behind a small adapter).
type Authenticator interface {
	// SignIn signs in interactively (browser or device code) and returns the user's name (UPN).
	SignIn(ctx context.Context, opts SignInOptions) (user string, err error)
	// SignOut forgets the tenant's sign-in.
	SignOut(ctx context.Context) error
	// Account is the signed-in user, if any, without any network call.
	Account() (user string, signedIn bool)
	// Storage is where the sign-in is kept: "keyring" or "memory".
	Storage() string
}

// TenantBackend is what the engine needs of one tenant.
type TenantBackend struct {
	// ID is the tenant id (GUID or domain); every role of this tenant carries it.
	ID string
	// Name labels the tenant for people ("Contoso"); optional.
	Name string
	// API speaks PIM in this tenant (*pim.Client).
	API pim.API
	// Auth is the tenant's sign-in; nil means the API's credential needs no sign-in (tests,
	// a demo credential): the tenant is always signed in.
	Auth Authenticator
	// Planes to read; nil: all three.
	Planes []pim.Plane
}

// Question is what the Prompter asks the user.
type Question struct {
	Key   string // the role's key
	Role  string // the role's label: "Contributor · MySubscription"
	Field Field  // what is asked
	Title string // dialog title: "Justification for Global Administrator"
	Text  string // the prompt: "Global Administrator requires a justification."
	// Default is the saved or last answer, pre-filled (empty: none).
	Default string
	// Label names the field in a Form: "Justification", "Ticket number".
	Label string
}

// Field is one thing a policy may require that a click must carry.
type Field string

const (
	FieldJustification Field = "justification"
	FieldTicket        Field = "ticket"
)

// Prompter asks the user for a missing justification or ticket number (tray/dialog
// implements it with a native dialog). ok is false when the user cancelled: then nothing is sent.
type Prompter interface {
	Ask(ctx context.Context, q Question) (answer string, ok bool, err error)
}

// Options configure an Engine. Only Tenants is required.
type Options struct {
	// Clock is the time source; nil: clock.Real{}.
	Clock clock.Clock
	// Config is the user's configuration; nil: store.DefaultConfig(). The engine keeps its own copy.
	Config *store.Config
	// SaveConfig persists the configuration after ToggleFavourite; nil: changes live only in
	// memory. ConfigFile, when set, is used instead.
	SaveConfig func(*store.Config) error
	// ConfigFile is the configuration's file: changes are written as edits of the file as it
	// is then (store.EditConfig), keeping hand edits, and a refresh reads it again when it
	// changed on disk. "": SaveConfig.
	ConfigFile string
	// Tenants, in display order.
	Tenants []TenantBackend
	// StateFile keeps the last known state (roles, activations, policies, reminders sent) so a
	// start shows it at once and no reminder repeats across restarts; "" keeps nothing.
	StateFile string
	// ReadOnlyState reads StateFile but never writes it (the command line beside a running tray).
	ReadOnlyState bool
	// CommandCache is the command line's own file of what it learned (the listings of each
	// plane with their age, policies, its recent activations), beside the StateFile it only
	// reads: every command starts from the fresher of the two, so a command after a recent
	// one (or beside a running tray) reads no plane it knows. Used with ReadOnlyState; "" keeps
	// nothing.
	CommandCache string
	// Prompter asks for a missing justification or ticket on a click; nil: such a click fails
	// with a message instead.
	Prompter Prompter
	// Interactive marks a context as allowed to open a sign-in window (pim/auth.Interactive);
	// the engine uses it only for foreground work. nil: contexts are passed as they are.
	Interactive func(context.Context) context.Context
	// Demo marks everything the UI shows as DEMO, and seeds the demo's favourites on a first start.
	Demo bool
	// Log receives the engine's log; nil: discarded.
	Log *slog.Logger
	// Jitter returns a number in [0,1) to spread background refreshes; nil: random.
	Jitter func() float64
	// Location is the user's time zone, for keep-alive times ("18:00") and times in
	// notifications; nil: time.Local.
	Location *time.Location
	// RefreshTimeout bounds one tenant's refresh (background, polls and RefreshNow); a plane
	// still unread then shows as "cannot reach Azure". 0: two minutes.
	RefreshTimeout time.Duration
}

// Engine is the headless core. Create it with New, start Run in a goroutine, read
// Snapshot whenever Changed fires, show what Notices delivers, forward clicks.
type Engine struct {
	clk      clock.Clock
	log      *slog.Logger
	opts     Options
	prompter Prompter
	jitter   func() float64

	changed chan struct{}
	notices chan Notice
	// kick wakes the loop to plan with a change; it carries the change's end of work under way
	// (clock.Begin), ended once the loop has looked (a test's clock moves only then).
	kick chan func()

	promptMu  sync.Mutex // one dialog at a time
	saveMu    sync.Mutex // state writes in order
	cfgSaveMu sync.Mutex // configuration writes in order
	wg        sync.WaitGroup
	baseCtx   context.Context
	stop      context.CancelFunc

	mu  sync.Mutex
	cfg *store.Config
	// The configuration's saving (config.go): edits not yet written, the file's stamp when
	// last read or written, and a failed save's line, count and retry.
	cfgPending   []configEdit
	cfgStamp     fileStamp
	saveProblem  string
	loadProblem  string
	saveFailures int
	saveRetryAt  time.Time
	tenants      []*tenantState
	// roles is one record per role: in flight, recent actions, problems, requests awaited,
	// activations planned, reminders tracked, policies, answers, keep-alives, daily sends.
	roles roles.Book
	// favouritePolicyReads is how many policy reads the last refresh spent on favourites.
	favouritePolicyReads int
	// recentActivity is "Recent activity": the user's latest requests, read when asked.
	recentActivity RecentActivity
	// told is what the engine told the user, by notice (notices.go).
	told noticeLog

	// announced is the snapshot (without Now, as JSON) at the last Changed.
	announced []byte

	refreshing      bool
	refreshAgain    bool
	askedRefresh    bool // Refresh was called (not the timer): approvals on every plane
	refreshFailures int
	nextRefresh     time.Time
	lastRefresh     time.Time
	offline         bool
	nextPoll        time.Time
	polling         bool
	firstRun        bool // no state file existed
	noticeSeq       int
}

// listing is what the tenant's listings show, for the role records' decisions.
func (ts *tenantState) listing() roles.Listing {
	return roles.Listing{Active: ts.active, Pending: ts.pending, Fetched: ts.fetched}
}

type tenantState struct {
	b           TenantBackend
	learnedID   string // the tenant's GUID as Azure reported it (b.ID may be "organizations" or a domain)
	orgName     string // the tenant's display name as Azure reported it at sign-in ("" until then)
	user        string
	signedIn    bool
	needsSignIn bool // a call said a sign-in is needed
	storage     string
	eligible    []pim.Role
	active      []pim.Activation
	pending     []pim.Activation
	planeErrs   map[pim.Plane]string
	fetched     map[pim.Plane]time.Time // when each plane was last read (the read's start)
	loaded      bool                    // eligible roles known (from a refresh or the state file)
	told        bool                    // NoticeSignInNeeded raised for this episode
	// signInPlanes are the planes whose last call said a sign-in is needed ("" the tenant as a
	// whole). The episode (needsSignIn, told) ends when every one of them worked again, so a
	// refresh that reads the other planes fine does not start a new one: one notice per episode.
	signInPlanes map[pim.Plane]bool
	// approvals are the requests by others waiting for the user (approvals.go); approver what
	// is known of each plane's approvals.
	approvals []pim.ApprovalRequest
	approver  map[pim.Plane]*approverPlane
}

type (
	itemProblem    = roles.Problem
	policyEntry    = roles.Policy
	recentEntry    = roles.Recent
	awaitEntry     = roles.Await
	scheduledEntry = roles.Scheduled
)

type noticeRef struct {
	key    string
	endsAt time.Time
	at     time.Time
}

// New builds an engine and shows the last known state from StateFile at once.
// It does no network call; Run starts the background work.
func New(opts Options) (*Engine, error) {
	if len(opts.Tenants) == 0 {
		return nil, errors.New("engine: no tenant to work in")
	}
	e := &Engine{
		clk:      opts.Clock,
		log:      opts.Log,
		opts:     opts,
		prompter: opts.Prompter,
		jitter:   opts.Jitter,
		changed:  make(chan struct{}, 1),
		notices:  make(chan Notice, 64),
		kick:     make(chan func(), 1),
		told:     noticeLog{sent: map[string]time.Time{}, refs: map[string]noticeRef{}, live: map[string]liveNotice{}},
	}
	if e.clk == nil {
		e.clk = clock.Real{}
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if e.jitter == nil {
		e.jitter = rand.Float64
	}
	if opts.Config != nil {
		e.cfg = cloneConfig(opts.Config)
	} else {
		e.cfg = store.DefaultConfig()
	}
	seen := map[string]bool{}
	for _, b := range opts.Tenants {
		if b.API == nil {
			return nil, errors.New("engine: tenant " + b.ID + " has no API")
		}
		if seen[b.ID] {
			return nil, errors.New("engine: tenant " + b.ID + " given twice")
		}
		seen[b.ID] = true
		ts := &tenantState{b: b, signedIn: b.Auth == nil, planeErrs: map[pim.Plane]string{}, fetched: map[pim.Plane]time.Time{},
			signInPlanes: map[pim.Plane]bool{}}
		if b.Auth != nil {
			ts.user, ts.signedIn = b.Auth.Account()
			ts.storage = b.Auth.Storage()
		}
		e.tenants = append(e.tenants, ts)
	}
	if opts.ConfigFile != "" {
		e.cfgStamp = stampOf(opts.ConfigFile)
	}
	e.baseCtx, e.stop = context.WithCancel(context.Background())
	if err := e.loadState(); err != nil {
		return nil, err
	}
	e.loadCommandCache()
	return e, nil
}

// Changed fires (coalesced, buffer 1) whenever the snapshot changed.
func (e *Engine) Changed() <-chan struct{} { return e.changed }

// Notices delivers the notifications to show. Nobody reading is fine: notices are dropped
// (and logged) when 64 wait unread.
func (e *Engine) Notices() <-chan Notice { return e.notices }

// signal tells the UI about a change of state, when the snapshot shows it, and lets the
// loop plan with it (always: not everything the loop plans with shows).
func (e *Engine) signal() {
	e.announce()
	e.wake()
}

// wake lets the loop plan with what changed. Until it has looked, the change is work under
// way for the clock (clock.Begin): a test's clock does not move past it.
func (e *Engine) wake() {
	done := clock.Begin(e.clk)
	select {
	case e.kick <- done:
	default:
		done() // a wake-up is on its way already: the loop looks at this change with it
	}
}

// announce fires Changed when the snapshot differs from the one at the last Changed,
// leaving out Now: a wake-up or an action that changed nothing the UI shows costs the UI
// nothing (a tray would otherwise redraw its menu every minute while a role is active).
// Whoever reads Snapshot after a Changed sees at least what it announced, so no change
// goes untold; comparing with the last one announced rather than the last one read keeps
// that true with several readers.
func (e *Engine) announce() {
	e.mu.Lock()
	s := e.snapshotLocked(e.now())
	s.Now = time.Time{}
	cur, err := json.Marshal(s)
	same := err == nil && e.announced != nil && bytes.Equal(cur, e.announced)
	if !same {
		e.announced = cur
	}
	e.mu.Unlock()
	if same {
		return
	}
	select {
	case e.changed <- struct{}{}:
	default:
	}
}

func (e *Engine) notify(n Notice) {
	select {
	case e.notices <- n:
	default:
		e.log.Warn("notice dropped: nobody is reading notices", "kind", n.Kind, "title", n.Title)
	}
}

// goBackground runs f in a goroutine tracked by Run's shutdown, as work under way for the
// clock (clock.Begin) until the loop may plan with what f changed.
func (e *Engine) goBackground(f func(ctx context.Context)) {
	e.wg.Add(1)
	end := clock.Begin(e.clk)
	go func() {
		defer e.wg.Done()
		defer func() {
			e.wake() // let the loop plan with what f changed
			end()
		}()
		f(e.baseCtx)
	}()
}

// Close stops the background work the engine started and waits for it: a configuration
// save a command's engine (which never ran Run) left running ends before the process does.
// After Run it has nothing left to wait for.
func (e *Engine) Close() {
	e.stop()
	e.wg.Wait()
}

// Run does the background work until ctx ends: a refresh at once, then every
// RefreshInterval (jittered), polls while something is pending, wakes at expiries and
// reminders, re-activations and keep-alives. It returns after the work it started ended.
func (e *Engine) Run(ctx context.Context) error {
	defer func() {
		e.stop()
		e.wg.Wait()
		for { // the wake-ups no loop will look at: no work under way any more
			select {
			case done := <-e.kick:
				done()
			default:
				return
			}
		}
	}()
	go func() {
		<-ctx.Done()
		e.stop()
	}()
	e.mu.Lock()
	e.nextRefresh = e.clk.Now() // at once
	e.mu.Unlock()
	var planned time.Time
	// The loop is work under way for the clock except while it waits (clock.Begin): a test's
	// clock moves only while it waits with nothing to look at.
	end := clock.Begin(e.clk)
	for {
		now := e.clk.Now()
		if !planned.IsZero() {
			// A timer planned for `planned` fired now: much later means the machine slept or
			// the clock jumped forward; earlier means the clock was set back. Refresh either way.
			if late := now.Sub(planned); late > wakeSlack || late < -wakeSlack {
				e.log.Info("clock jump or wake from sleep: refreshing", "late", late.Round(time.Second))
				e.mu.Lock()
				e.nextRefresh = now
				e.refreshFailures = 0
				e.mu.Unlock()
			}
		}
		next := e.tick(now, !planned.IsZero())
		var tm clock.Timer
		var c <-chan time.Time
		planned = time.Time{}
		if !next.IsZero() {
			tm = clock.TimerAt(e.clk, next)
			c = tm.C()
		}
		end()
		select {
		case <-ctx.Done():
			if tm != nil {
				tm.Stop()
			}
			e.saveState()
			return nil
		case done := <-e.kick:
			end = clock.Begin(e.clk)
			done()
			if tm != nil {
				select {
				case <-c: // the timer fired as well: this wake-up is also the timer's
					planned = next
				default:
				}
				tm.Stop() // (a timer that fired: its wake-up is taken over)
			}
		case <-c:
			end = clock.Begin(e.clk)
			tm.Stop() // the wake-up is taken over
			planned = next
		}
	}
}

// tick does what is due at now and returns when to wake next (zero: only on a kick).
// timer says a timer woke the loop (rather than a change that signalled already).
func (e *Engine) tick(now time.Time, timer bool) time.Time {
	var next time.Time
	at := func(t time.Time) {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	e.mu.Lock()
	// Refresh. While one runs, it plans the next itself when done (and signals).
	if !e.refreshing {
		if !e.nextRefresh.IsZero() && !e.nextRefresh.After(now) {
			e.refreshing = true
			e.nextRefresh = time.Time{}
			e.goBackground(func(ctx context.Context) { e.runRefresh(ctx) })
		}
		at(e.nextRefresh)
	}
	// Poll open requests while something waits for approval.
	if e.hasPendingLocked(now) {
		if e.nextPoll.IsZero() {
			e.nextPoll = now.Add(PendingPollInterval)
		}
		if !e.polling { // a running poll signals when done; the next is planned then
			if !e.nextPoll.After(now) {
				if !e.refreshing { // a running refresh reads the requests anyway
					e.polling = true
					e.goBackground(func(ctx context.Context) { e.pollPending(ctx) })
				}
				e.nextPoll = now.Add(PendingPollInterval)
			}
			at(e.nextPoll)
		}
	} else {
		e.nextPoll = time.Time{}
	}
	e.pruneRecentLocked(now)
	at(e.saveDueLocked(now))
	at(e.slowAnswersLocked(now))
	// Scheduled activations (re-activation at the end, retries).
	due, nextPlanned := e.roles.Due(now)
	at(nextPlanned)
	for key, s := range due {
		e.goBackground(func(ctx context.Context) { e.runScheduled(ctx, key, s) })
	}
	// Keep-alive.
	for _, k := range e.keepAliveDueLocked(now) {
		key := k
		e.goBackground(func(ctx context.Context) { e.runKeepAlive(ctx, key) })
	}
	at(e.nextKeepAliveLocked(now))
	// Start my day: the favourites' daily schedules.
	at(e.dailyLocked(now))
	// Display changes: an activation ending, entering the "expiring" window, an overlay lapsing.
	at(e.nextDisplayChangeLocked(now))
	// Reminders.
	told, nextReminder := e.remindersLocked(now)
	at(nextReminder)
	// Notices no longer true (after the reminders: a "has ended" takes a reminder's place).
	told = append(told, e.staleNoticesLocked(now)...)
	at(e.nextNoticeChangeLocked(now))
	// While something counts down, look at the wall clock every minute: timers run on
	// monotonic time, which stops while the machine sleeps, so a reminder due during a
	// sleep would otherwise come late after the wake.
	if e.roles.Counting(now) {
		at(now.Add(wakeCheck))
	}
	e.mu.Unlock()

	for _, n := range told {
		e.notify(n)
	}
	if len(told) > 0 {
		e.saveState()
	}
	// A timed wake may change what the UI shows (an expiry, the icon): tell it if so.
	if timer || len(told) > 0 {
		e.announce()
	}
	return next
}

func (e *Engine) now() time.Time { return e.clk.Now() }

func (e *Engine) tenant(id string) *tenantState {
	for _, t := range e.tenants {
		if id == "" || t.is(id) {
			return t
		}
	}
	return nil
}

// is reports whether id (an id, the learned GUID, or the name) names this tenant.
func (ts *tenantState) is(id string) bool {
	return NamesTenant(ts.b.ID, ts.b.Name, id) || (ts.learnedID != "" && equalFold(ts.learnedID, id))
}

// id is the tenant's GUID when Azure told it, else the configured id.
func (ts *tenantState) id() string {
	if ts.learnedID != "" {
		return ts.learnedID
	}
	return ts.b.ID
}

func (e *Engine) favouriteLocked(key string) (store.Favourite, bool) {
	for _, f := range e.cfg.Favourites {
		if f.Key == key {
			return f, true
		}
	}
	return store.Favourite{}, false
}

func (e *Engine) thresholds() []time.Duration {
	var out []time.Duration
	for _, d := range e.cfg.Reminders {
		out = append(out, d.D())
	}
	return out
}

// expiringWindow is the first reminder threshold: from then on the icon says "expiring".
func (e *Engine) expiringWindow() time.Duration {
	var w time.Duration
	for _, d := range e.cfg.Reminders {
		w = max(w, d.D())
	}
	if w == 0 {
		w = 15 * time.Minute
	}
	return w
}

func (e *Engine) refreshTimeout() time.Duration {
	if e.opts.RefreshTimeout > 0 {
		return e.opts.RefreshTimeout
	}
	return defaultRefreshTimeout
}

func (e *Engine) refreshInterval() time.Duration {
	if d := e.cfg.RefreshInterval.D(); d > 0 {
		return d
	}
	return store.DefaultRefreshInterval
}

func cloneConfig(c *store.Config) *store.Config {
	cp := *c
	cp.Tenants = append([]store.TenantConfig(nil), c.Tenants...)
	cp.Favourites = append([]store.Favourite(nil), c.Favourites...)
	cp.Reminders = slices.Clone(c.Reminders) // an empty list (reminders off) stays empty, not nil (the default)
	return &cp
}

// NamesTenant reports whether named (what the user typed after --tenant) names the tenant
// with this id and name: either, in any case.
func NamesTenant(id, name, named string) bool {
	return equalFold(id, named) || (name != "" && equalFold(name, named))
}
