package engine

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pimtray/pimtray/pim"
	"github.com/pimtray/pimtray/store"
)

func TestClickSendsExactlyOneRequest(t *testing.T) {
	h := newHarness(t, withFavourites(fav(roleOwnerIT))).start()
	gate := make(chan struct{})
	entered := make(chan string, 4)
	h.api.set(func(f *fakeAPI) { f.gate, f.entered = gate, entered })

	h.e.Activate(roleOwnerIT.Key())
	<-entered // the request is on the wire
	h.stateIs(roleOwnerIT, StateActivating)
	h.e.Activate(roleOwnerIT.Key()) // a second click while in flight
	h.e.ActivateFavourites()        // and "activate all"
	if _, err := h.e.ActivateNow(context.Background(), roleOwnerIT.Key(), ActivateOptions{}); !errors.Is(err, ErrInFlight) {
		t.Fatalf("ActivateNow in flight: %v", err)
	}
	close(gate)
	s := h.stateIs(roleOwnerIT, StateActive)
	if n := h.api.count("activate"); n != 1 {
		t.Fatalf("activation requests = %d, want 1", n)
	}
	it := item(s, roleOwnerIT)
	if want := t0.Add(8 * time.Hour); !it.ExpiresAt.Equal(want) {
		t.Errorf("ExpiresAt = %v, want %v", it.ExpiresAt, want)
	}
	if got := Label(it, h.clk.Now()); got != "Owner · IT — 8h 00m left" {
		t.Errorf("label = %q", got)
	}
	// A click on an active favourite sends nothing.
	h.e.Activate(roleOwnerIT.Key())
	h.settle()
	if n := h.api.count("activate"); n != 1 {
		t.Fatalf("activation requests after clicking an active role = %d, want 1", n)
	}
	c := h.api.callsOf("activate")[0]
	if c.Req.Duration != 8*time.Hour || !c.Req.StartAt.IsZero() {
		t.Errorf("request = %+v", c.Req)
	}
}

func TestDurationChoice(t *testing.T) {
	tests := []struct {
		name    string
		fav     func(*store.Favourite)
		cfgDur  time.Duration
		role    pim.Role
		opts    ActivateOptions
		want    time.Duration
		wantErr string
	}{
		{"config default", nil, 0, roleOwnerIT, ActivateOptions{}, 8 * time.Hour, ""},
		{"default capped at the policy maximum", nil, 0, roleMember, ActivateOptions{}, 2 * time.Hour, ""},
		{"configured default", nil, 3 * time.Hour, roleOwnerIT, ActivateOptions{}, 3 * time.Hour, ""},
		{"favourite's duration", func(f *store.Favourite) { f.Duration = store.Duration(time.Hour) }, 0, roleOwnerIT, ActivateOptions{}, time.Hour, ""},
		{"favourite over the maximum is capped", func(f *store.Favourite) { f.Duration = store.Duration(10 * time.Hour) }, 0, roleMember, ActivateOptions{}, 2 * time.Hour, ""},
		{"explicit", nil, 0, roleOwnerIT, ActivateOptions{Duration: 90 * time.Minute}, 90 * time.Minute, ""},
		{"explicit over the maximum is refused", nil, 0, roleMember, ActivateOptions{Duration: 100 * time.Hour}, 0, "Member · PIM-Admins allows at most 2h; 100h was asked."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []harnessOpt
			if tt.fav != nil {
				opts = append(opts, withFavourites(fav(tt.role, tt.fav)))
			}
			if tt.cfgDur > 0 {
				opts = append(opts, func(o *Options, _ *fakeAPI) { o.Config.DefaultDuration = store.Duration(tt.cfgDur) })
			}
			h := newHarness(t, opts...)
			if err := h.e.RefreshNow(context.Background(), ""); err != nil {
				t.Fatal(err)
			}
			res, err := h.e.ActivateNow(context.Background(), tt.role.Key(), tt.opts)
			if tt.wantErr != "" {
				var ie *InputError
				if !errors.As(err, &ie) || err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want input error %q", err, tt.wantErr)
				}
				if n := h.api.count("activate"); n != 0 {
					t.Fatalf("%d requests sent for bad input", n)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Duration != tt.want || h.api.callsOf("activate")[0].Req.Duration != tt.want {
				t.Fatalf("duration = %v (sent %v), want %v", res.Duration, h.api.callsOf("activate")[0].Req.Duration, tt.want)
			}
		})
	}
}

func TestMissingJustificationAsks(t *testing.T) {
	t.Run("cancel sends nothing", func(t *testing.T) {
		h := newHarness(t, withFavourites(fav(roleContrib))).start()
		h.prompt.answers = []string{""} // cancel
		h.e.Activate(roleContrib.Key())
		h.waitFor("question", func(Snapshot) bool { return len(h.prompt.questions()) == 1 })
		s := h.stateIs(roleContrib, StateEligible)
		if n := h.api.count("activate"); n != 0 {
			t.Fatalf("%d requests after cancel", n)
		}
		if q := h.prompt.questions()[0]; q.Field != FieldTicket || !strings.Contains(q.Text, "ticket") {
			t.Errorf("question = %+v", q)
		}
		if it := item(s, roleContrib); it.Problem != "" {
			t.Errorf("problem after cancel: %q", it.Problem)
		}
		h.noNotice()
	})
	t.Run("answer is sent", func(t *testing.T) {
		h := newHarness(t, withFavourites(fav(roleContrib))).start()
		h.prompt.answers = []string{"CHG-42"}
		h.e.Activate(roleContrib.Key())
		h.stateIs(roleContrib, StateActive)
		calls := h.api.callsOf("activate")
		if len(calls) != 1 || calls[0].Req.TicketNumber != "CHG-42" || calls[0].Req.Duration != 4*time.Hour {
			t.Fatalf("calls = %+v", calls)
		}
	})
	t.Run("a favourite that carries it is not asked", func(t *testing.T) {
		h := newHarness(t, withFavourites(fav(roleContrib, func(f *store.Favourite) { f.TicketNumber, f.TicketSystem = "CHG-1", "ServiceNow" }))).start()
		h.e.Activate(roleContrib.Key())
		h.stateIs(roleContrib, StateActive)
		if q := h.prompt.questions(); len(q) != 0 {
			t.Fatalf("asked %+v", q)
		}
		if c := h.api.callsOf("activate")[0]; c.Req.TicketNumber != "CHG-1" || c.Req.TicketSystem != "ServiceNow" {
			t.Fatalf("request = %+v", c.Req)
		}
	})
	t.Run("no prompter: input error, nothing sent", func(t *testing.T) {
		h := newHarness(t, func(o *Options, _ *fakeAPI) { o.Prompter = nil })
		h.e.RefreshNow(context.Background(), "")
		_, err := h.e.ActivateNow(context.Background(), roleContrib.Key(), ActivateOptions{Prompt: true})
		var ie *InputError
		if !errors.As(err, &ie) || ie.Field != FieldTicket || err.Error() != "Contributor · MySubscription requires a ticket number." {
			t.Fatalf("err = %v", err)
		}
		if n := h.api.count("activate"); n != 0 {
			t.Fatalf("%d requests", n)
		}
	})
	t.Run("policy unreadable: Azure's answer tells, then one question", func(t *testing.T) {
		// Unreadable from the start: the background reads no policy either.
		h := newHarness(t, func(_ *Options, f *fakeAPI) { f.policyErr = &pim.Error{Kind: pim.KindPermission} }).start()
		h.prompt.answers = []string{"CHG-7"}
		h.e.Activate(roleContrib.Key())
		h.stateIs(roleContrib, StateActive)
		calls := h.api.callsOf("activate")
		// 8h is refused (ExpirationRule, max 4h) → 4h; a ticket is missing → asked once → sent.
		if len(calls) != 3 || calls[1].Req.Duration != 4*time.Hour || calls[2].Req.TicketNumber != "CHG-7" || len(h.prompt.questions()) != 1 {
			t.Fatalf("calls = %+v", calls)
		}
	})
}

func TestAlreadyActiveCountsAsActive(t *testing.T) {
	h := newHarness(t)
	h.e.RefreshNow(context.Background(), "")
	// Activated elsewhere after our last refresh.
	h.api.activateDirect(roleOwnerIT, t0.Add(-time.Hour), 3*time.Hour)
	res, err := h.e.ActivateNow(context.Background(), roleOwnerIT.Key(), ActivateOptions{Interactive: true})
	if err != nil {
		t.Fatal(err)
	}
	if !res.AlreadyActive || !res.Activation.ExpiresAt.Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("result = %+v", res)
	}
	it := item(h.e.Snapshot(), roleOwnerIT)
	if it.State != StateActive || !it.ExpiresAt.Equal(t0.Add(2*time.Hour)) || it.Problem != "" {
		t.Fatalf("item = %+v", it)
	}
}

func TestApprovalPendingThenApproved(t *testing.T) {
	h := newHarness(t, withFavourites(fav(roleUA))).start()
	h.e.Activate(roleUA.Key())
	s := h.stateIs(roleUA, StatePending)
	if got := Label(item(s, roleUA), h.clk.Now()); got != "User Administrator — pending approval" {
		t.Errorf("label = %q", got)
	}
	if s.Icon != IconPending {
		t.Errorf("icon = %s", s.Icon)
	}
	if n := h.notice(NoticePending); n.Title != "User Administrator: request sent" {
		t.Errorf("pending notice = %+v", n)
	}
	overviews := h.api.count("overview")
	h.api.approve(roleUA, 8*time.Hour)
	h.advance(PendingPollInterval) // the short poll while something is pending
	h.notice(NoticeApproved)
	s = h.stateIs(roleUA, StateActive)
	if n := h.api.count("overview"); n <= overviews {
		t.Fatalf("no poll happened")
	}
	if it := item(s, roleUA); !it.ExpiresAt.Equal(t0.Add(8 * time.Hour)) { // approved at t0
		t.Errorf("ExpiresAt = %v", it.ExpiresAt)
	}
	// Nothing pending any more: no more polls.
	h.settle()
	before := h.api.count("overview")
	h.advance(2 * PendingPollInterval)
	h.settle()
	if n := h.api.count("overview"); n != before {
		t.Fatalf("polled %d times with nothing pending", n-before)
	}
}

func TestApprovalDenied(t *testing.T) {
	h := newHarness(t, withFavourites(fav(roleUA)))
	ctx := context.Background()
	h.e.RefreshNow(ctx, "")
	res, err := h.e.ActivateNow(ctx, roleUA.Key(), ActivateOptions{})
	if err != nil || res.Activation.Status != pim.StatusPending {
		t.Fatalf("activate: %+v %v", res, err)
	}
	h.e.RefreshNow(ctx, "") // seen among the open requests
	h.api.deny(roleUA)
	h.clk.Advance(PendingPollInterval)
	h.e.RefreshNow(ctx, "") // gone, not active: maybe the active listing lags an approval
	if it := item(h.e.Snapshot(), roleUA); it.State != StatePending {
		t.Fatalf("called denied at once: %+v", it)
	}
	h.noNotice()
	h.clk.Advance(denyGrace)
	h.e.RefreshNow(ctx, "")
	n := h.notice(NoticeDenied)
	if !strings.Contains(n.Title, "User Administrator") || n.Key != roleUA.Key() {
		t.Errorf("notice = %+v", n)
	}
	if it := item(h.e.Snapshot(), roleUA); it.State != StateEligible {
		t.Fatalf("after denial: %+v", it)
	}
}

func TestStepUpRetriesOnceInForeground(t *testing.T) {
	h := newHarness(t, withFavourites(fav(roleEX))).start()
	h.e.Activate(roleEX.Key())
	h.stateIs(roleEX, StateActive)
	calls := h.api.callsOf("activate")
	if len(calls) != 2 {
		t.Fatalf("calls = %d, want 2 (refused, then one step-up retry)", len(calls))
	}
	if calls[0].Interactive || calls[0].Claims != "" {
		t.Errorf("first try should be silent: %+v", calls[0])
	}
	if !calls[1].Interactive || !strings.Contains(calls[1].Claims, `"c1"`) {
		t.Errorf("retry should be interactive with the claims: %+v", calls[1])
	}
	// MfaRule: the same, with MFA claims.
	h.prompt.answers = []string{"incident 7"}
	h.e.Activate(roleGA.Key())
	h.stateIs(roleGA, StateActive)
	ga := h.api.callsOf("activate")[2:]
	if len(ga) != 2 || !ga[1].Interactive || !strings.Contains(ga[1].Claims, "mfa") || ga[1].Req.Justification != "incident 7" {
		t.Fatalf("GA calls = %+v", ga)
	}
}

func TestStepUpNeverInBackground(t *testing.T) {
	h := newHarness(t)
	h.e.RefreshNow(context.Background(), "")
	_, err := h.e.ActivateNow(context.Background(), roleEX.Key(), ActivateOptions{}) // background
	if err == nil {
		t.Fatal("activation without a step-up succeeded")
	}
	calls := h.api.callsOf("activate")
	if len(calls) != 1 || calls[0].Interactive {
		t.Fatalf("calls = %+v", calls)
	}
	it := item(h.e.Snapshot(), roleEX)
	if it.State != StateNeedsSignIn || Label(it, h.clk.Now()) != "Exchange Administrator — needs sign-in" {
		t.Fatalf("item = %+v", it)
	}
	if n := h.notice(NoticeSignInNeeded); n.Key != roleEX.Key() {
		t.Fatalf("notice = %+v", n)
	}
	// The click that follows is foreground: it steps up and succeeds.
	if _, err := h.e.ActivateNow(context.Background(), roleEX.Key(), ActivateOptions{Interactive: true}); err != nil {
		t.Fatal(err)
	}
	if it := item(h.e.Snapshot(), roleEX); it.State != StateActive {
		t.Fatalf("item = %+v", it)
	}
}

func TestListingLagTrustsTheRequest(t *testing.T) {
	h := newHarness(t).start()
	h.api.set(func(f *fakeAPI) { f.hideActive = true }) // the listings don't show it for minutes
	h.e.Activate(roleOwnerIT.Key())
	h.stateIs(roleOwnerIT, StateActive)
	h.e.Refresh()
	h.settle()
	h.advance(2 * time.Minute)
	h.e.Refresh()
	s := h.settle()
	if it := item(s, roleOwnerIT); it.State != StateActive || !it.ExpiresAt.Equal(t0.Add(8*time.Hour)) {
		t.Fatalf("after a lagging refresh: %+v", it)
	}
	// A deactivation is trusted over a lagging listing too.
	h.api.set(func(f *fakeAPI) { f.hideActive, f.staleListing = false, true })
	h.advance(4 * time.Minute)
	if _, err := h.e.DeactivateNow(context.Background(), roleOwnerIT.Key()); err != nil {
		t.Fatal(err)
	}
	h.api.activateDirect(roleOwnerIT, t0, 8*time.Hour) // the listing still shows it
	h.e.Refresh()
	s = h.settle()
	if it := item(s, roleOwnerIT); it.State != StateEligible {
		t.Fatalf("after deactivation with a lagging listing: %+v", it)
	}
}

func TestExpiryWithoutRefresh(t *testing.T) {
	h := newHarness(t, withFavourites(fav(roleOwnerIT, func(f *store.Favourite) { f.Duration = store.Duration(30 * time.Minute) })),
		func(o *Options, _ *fakeAPI) {
			o.Config.RefreshInterval = store.Duration(time.Hour)
			o.Config.Reminders = nil
		}).start()
	h.api.set(func(f *fakeAPI) { f.staleListing = true }) // the listing would keep showing it
	h.e.Activate(roleOwnerIT.Key())
	h.stateIs(roleOwnerIT, StateActive)
	h.settle()
	overviews := h.api.count("overview")
	h.advance(30 * time.Minute)
	s := h.stateIs(roleOwnerIT, StateEligible)
	if got := Label(item(s, roleOwnerIT), h.clk.Now()); got != "Owner · IT — activate (30m)" {
		t.Errorf("label = %q", got)
	}
	if n := h.api.count("overview"); n != overviews {
		t.Errorf("expiry needed %d refreshes", n-overviews)
	}
	if s.Icon != IconIdle {
		t.Errorf("icon = %s", s.Icon)
	}
}

func TestRefreshSchedule(t *testing.T) {
	h := newHarness(t).start()
	n := h.api.count("overview")
	// Every 5 minutes (jitter fixed at the middle).
	h.advance(5*time.Minute - time.Second)
	h.settle()
	if h.api.count("overview") != n {
		t.Fatal("refreshed early")
	}
	h.advance(time.Second)
	h.waitFor("refresh", func(Snapshot) bool { return h.api.count("overview") == n+1 })
	h.settle()

	// Offline: back off exponentially (15s, 30s, 60s ...).
	h.api.set(func(f *fakeAPI) { f.overviewErr = &pim.Error{Kind: pim.KindUnavailable, Text: "cannot reach Azure"} })
	h.advance(5 * time.Minute)
	h.waitFor("offline", func(s Snapshot) bool { return s.Offline && !s.Refreshing })
	base := h.api.count("overview")
	for i, wait := range []time.Duration{15 * time.Second, 30 * time.Second, 60 * time.Second} {
		h.advance(wait - time.Second)
		h.settle()
		if got := h.api.count("overview"); got != base+i {
			t.Fatalf("backoff step %d: %d refreshes before %v", i, got-base, wait)
		}
		h.advance(time.Second)
		h.waitFor("retry", func(Snapshot) bool { return h.api.count("overview") == base+i+1 })
		h.settle()
	}
	// Back online.
	h.api.set(func(f *fakeAPI) { f.overviewErr = nil })
	h.advance(2 * time.Minute)
	h.waitFor("online", func(s Snapshot) bool { return !s.Offline && !s.Refreshing })
}

func TestWakeFromSleepRefreshes(t *testing.T) {
	h := newHarness(t, func(o *Options, _ *fakeAPI) { o.Config.RefreshInterval = store.Duration(time.Hour) }).start()
	n := h.api.count("overview")
	// The machine sleeps 3 hours: the (monotonic) timer fires long after it was due.
	h.clk.Advance(3 * time.Hour)
	h.waitFor("refresh after wake", func(Snapshot) bool { return h.api.count("overview") > n })
}

func TestPlaneProblemHidesNothingElse(t *testing.T) {
	h := newHarness(t)
	h.api.set(func(f *fakeAPI) {
		f.planeErr[pim.PlaneGroup] = &pim.Error{Kind: pim.KindPermission, Plane: pim.PlaneGroup, Text: "missing consent"}
	})
	if err := h.e.RefreshNow(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	s := h.e.Snapshot()
	if len(s.Problems) != 1 || s.Problems[0].Message != "Groups: admin consent needed — see README" {
		t.Fatalf("problems = %+v", s.Problems)
	}
	if item(s, roleGA).Key == "" || item(s, roleOwnerIT).Key == "" {
		t.Fatal("other planes hidden")
	}
	if item(s, roleMember).Key != "" {
		t.Fatal("group role listed although the plane failed")
	}
	// Once the plane answers, the line goes.
	h.api.set(func(f *fakeAPI) { delete(f.planeErr, pim.PlaneGroup) })
	h.e.RefreshNow(context.Background(), "")
	if s := h.e.Snapshot(); len(s.Problems) != 0 || item(s, roleMember).Key == "" {
		t.Fatalf("after recovery: problems %+v", s.Problems)
	}
}

func TestStartShowsLastKnownStateAtOnce(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state.json")
	h := newHarness(t, withFavourites(fav(roleOwnerIT)), func(o *Options, _ *fakeAPI) { o.StateFile = state })
	h.start()
	h.e.Activate(roleOwnerIT.Key())
	h.stateIs(roleOwnerIT, StateActive)
	h.settle()
	h.stop()

	// A new process: before any network call, the menu shows the last known state.
	h2 := newHarness(t, withFavourites(fav(roleOwnerIT)), func(o *Options, _ *fakeAPI) { o.StateFile = state })
	h2.clk.Set(t0.Add(time.Hour))
	s := h2.e.Snapshot()
	if n := len(h2.api.calls); n != 0 {
		t.Fatalf("%d calls before Run", n)
	}
	it := s.Favourites[0]
	if it.State != StateActive || !it.ExpiresAt.Equal(t0.Add(8*time.Hour)) || it.Policy == nil {
		t.Fatalf("favourite at start = %+v", it)
	}
	if len(s.All) != len(h.api.roles) {
		t.Fatalf("all = %d roles", len(s.All))
	}
	data, _ := os.ReadFile(state)
	if strings.Contains(string(data), "PIMTRAY-FAKE-SECRET") {
		t.Fatal("secret in the state file")
	}
	if fi, err := os.Stat(state); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file mode: %v %v", fi.Mode(), err)
	}
}

func TestCorruptStateStartsEmpty(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.json")
	os.WriteFile(state, []byte("{not json"), 0o600)
	h := newHarness(t, func(o *Options, _ *fakeAPI) { o.StateFile = state })
	if s := h.e.Snapshot(); len(s.All) != 0 {
		t.Fatalf("all = %+v", s.All)
	}
	h.start()
	if s := h.e.Snapshot(); len(s.All) == 0 {
		t.Fatal("refresh did not fill the roles")
	}
}

func TestBackgroundSignInNeeded(t *testing.T) {
	h := newHarness(t, withFavourites(fav(roleOwnerIT)))
	h.e.RefreshNow(context.Background(), "")
	h.api.set(func(f *fakeAPI) {
		f.overviewErr = &pim.Error{Kind: pim.KindSignInNeeded, Text: "Sign in needed."}
	})
	h.start()
	s := h.waitFor("needs sign-in", func(s Snapshot) bool { return s.Favourites[0].State == StateNeedsSignIn })
	if s.Icon != IconAttention || s.Accounts[0].SignedIn {
		t.Fatalf("icon %s accounts %+v", s.Icon, s.Accounts)
	}
	h.notice(NoticeSignInNeeded)
	// Told once per episode.
	h.advance(5 * time.Minute)
	h.settle()
	select {
	case n := <-h.e.Notices():
		t.Fatalf("second notice: %+v", n)
	default:
	}
}

type fakeAuth struct {
	mu       sync.Mutex
	user     string
	signedIn bool
	signIns  int
	ctxs     []bool // interactive?
}

func (a *fakeAuth) SignIn(ctx context.Context, o SignInOptions) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.signIns++
	a.ctxs = append(a.ctxs, isInteractive(ctx))
	if o.Prompt != nil {
		o.Prompt("enter code ABC")
	}
	a.signedIn, a.user = true, "admin@contoso.example"
	return a.user, nil
}

func (a *fakeAuth) SignOut(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.signedIn, a.user = false, ""
	return nil
}

func (a *fakeAuth) Account() (string, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.user, a.signedIn
}

func (a *fakeAuth) Storage() string { return "keyring" }

func (a *fakeAuth) count() (int, []bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.signIns, slices.Clone(a.ctxs)
}

func TestSignedOutTenantWaitsForTheUser(t *testing.T) {
	auth := &fakeAuth{}
	h := newHarness(t, withFavourites(fav(roleOwnerIT)), func(o *Options, api *fakeAPI) {
		o.Tenants[0].Auth = auth
	})
	ctx := context.Background()
	if err := h.e.RefreshNow(ctx, ""); !errors.Is(err, pim.ErrSignInNeeded) {
		t.Fatalf("refresh signed out: %v", err)
	}
	if n, _ := auth.count(); len(h.api.calls) != 0 || n != 0 {
		t.Fatalf("background work signed in or called Azure: %d calls, %d sign-ins", len(h.api.calls), n)
	}
	s := h.e.Snapshot()
	if Header(s) != "Sign in…" || s.Favourites[0].State != StateNeedsSignIn {
		t.Fatalf("header %q favourite %+v", Header(s), s.Favourites[0])
	}
	acc, err := h.e.SignInNow(ctx, "", SignInOptions{})
	if err != nil || acc.User != "admin@contoso.example" || !acc.SignedIn || acc.Storage != "keyring" {
		t.Fatalf("sign in: %+v %v", acc, err)
	}
	if _, ctxs := auth.count(); !ctxs[0] {
		t.Error("sign-in context not interactive")
	}
	s = h.e.Snapshot()
	if s.Favourites[0].State != StateEligible || Header(s) != "admin@contoso.example · Contoso" {
		t.Fatalf("after sign-in: %q %+v", Header(s), s.Favourites[0])
	}
	if err := h.e.SignOutNow(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if s := h.e.Snapshot(); s.Favourites[0].State != StateNeedsSignIn {
		t.Fatalf("after sign-out: %+v", s.Favourites[0])
	}
	// A click on "needs sign-in" signs in (the user asked) and activates.
	h.start()
	h.e.Activate(roleOwnerIT.Key())
	h.stateIs(roleOwnerIT, StateActive)
	if n, _ := auth.count(); n != 2 {
		t.Fatalf("sign-ins = %d", n)
	}
}

func TestToggleFavouriteSavesConfig(t *testing.T) {
	h := newHarness(t)
	h.e.RefreshNow(context.Background(), "")
	h.e.ToggleFavourite(roleSR.Key())
	c := <-h.saved
	if len(c.Favourites) != 1 || c.Favourites[0].Key != roleSR.Key() || c.Favourites[0].Role != "Security Reader" || c.Favourites[0].Tenant != tenantA {
		t.Fatalf("saved = %+v", c.Favourites)
	}
	if s := h.e.Snapshot(); len(s.Favourites) != 1 || !s.Favourites[0].Favourite || !item(s, roleSR).Favourite {
		t.Fatalf("snapshot favourites = %+v", s.Favourites)
	}
	h.e.ToggleFavourite(roleSR.Key())
	if c := <-h.saved; len(c.Favourites) != 0 {
		t.Fatalf("saved = %+v", c.Favourites)
	}
}

func TestDemoMarksEverything(t *testing.T) {
	h := newHarness(t, func(o *Options, _ *fakeAPI) { o.Demo = true })
	h.e.RefreshNow(context.Background(), "")
	s := h.e.Snapshot()
	if !s.Demo || !strings.Contains(s.Tooltip, "DEMO") || !strings.Contains(s.Header, "DEMO") {
		t.Fatalf("demo snapshot: %+v", s)
	}
	// A first demo start seeds the seed tool's examples as favourites.
	var got []string
	for _, f := range s.Favourites {
		got = append(got, f.Role.Label())
	}
	if want := "Global Administrator, Owner · IT, Contributor · MySubscription"; strings.Join(got, ", ") != want {
		t.Fatalf("demo favourites = %q", got)
	}
	if c := <-h.saved; len(c.Favourites) != 3 {
		t.Fatalf("saved %+v", c.Favourites)
	}
}

func TestMultiTenant(t *testing.T) {
	const tenantB = "22222222-2222-2222-2222-222222222222"
	clkFake := newHarness(t) // for its clock only
	apiB := newFakeAPI(clkFake.clk.Now)
	apiB.tenant = tenantB
	for i := range apiB.roles {
		apiB.roles[i].TenantID = tenantB
	}
	apiB.policies = map[string]pim.Policy{}
	ownerB := roleOwnerIT
	ownerB.TenantID = tenantB
	apiB.policies[ownerB.Key()] = pim.Policy{MaxDuration: time.Hour}
	h := newHarness(t, withFavourites(fav(roleOwnerIT), fav(ownerB)), func(o *Options, _ *fakeAPI) {
		o.Tenants = append(o.Tenants, TenantBackend{ID: tenantB, Name: "Fabrikam", API: apiB})
	})
	apiB.now = h.clk.Now
	if err := h.e.RefreshNow(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	s := h.e.Snapshot()
	if len(s.All) != 2*len(h.api.roles) || len(s.Accounts) != 2 {
		t.Fatalf("all %d accounts %d", len(s.All), len(s.Accounts))
	}
	if roleOwnerIT.Key() == ownerB.Key() {
		t.Fatal("keys do not carry the tenant")
	}
	if got := Label(s.Favourites[1], h.clk.Now()); got != "Owner · IT (Fabrikam) — activate (1h)" {
		t.Errorf("label = %q", got)
	}
	if _, err := h.e.ActivateNow(context.Background(), ownerB.Key(), ActivateOptions{}); err != nil {
		t.Fatal(err)
	}
	if h.api.count("activate") != 0 || apiB.count("activate") != 1 {
		t.Fatal("activation went to the wrong tenant")
	}
	if err := h.e.RefreshNow(context.Background(), "Fabrikam"); err != nil {
		t.Fatal(err)
	}
	if err := h.e.RefreshNow(context.Background(), "nope"); !IsInput(err) {
		t.Fatalf("unknown tenant: %v", err)
	}
}

func TestDeactivate(t *testing.T) {
	h := newHarness(t).start()
	h.e.Activate(roleOwnerIT.Key())
	h.stateIs(roleOwnerIT, StateActive)
	// Within 5 minutes Azure refuses: a clear sentence, still active.
	_, err := h.e.DeactivateNow(context.Background(), roleOwnerIT.Key())
	if err == nil || HumanError(err) != "Owner · IT can be deactivated only 5 minutes after it was activated; try again in a few minutes." {
		t.Fatalf("err = %v", err)
	}
	h.advance(6 * time.Minute)
	h.settle()
	h.e.Deactivate(roleOwnerIT.Key())
	h.stateIs(roleOwnerIT, StateEligible)
	if h.api.count("deactivate") != 2 {
		t.Fatal("deactivate not sent")
	}
	// A pending request is withdrawn instead.
	h.e.Activate(roleUA.Key())
	h.stateIs(roleUA, StatePending)
	d, err := h.e.DeactivateNow(context.Background(), roleUA.Key())
	if err != nil || !d.Withdrawn || h.api.count("cancel") != 1 {
		t.Fatalf("withdraw: %+v %v", d, err)
	}
	h.stateIs(roleUA, StateEligible)
}

func TestFailureShowsAndNotifies(t *testing.T) {
	// The failing API is in place before the engine starts: swapping it later would race with
	// the background refresh that reads it.
	var failing *failingAPI
	h := newHarness(t, func(o *Options, api *fakeAPI) {
		failing = &failingAPI{fakeAPI: api}
		o.Tenants[0].API = failing
	}).start()
	// Throttled beyond retries: the item shows the failure, a notice says it.
	failing.set(&pim.Error{Kind: pim.KindThrottled, Text: "Azure is busy; try again in a minute."})
	h.e.Activate(roleSR.Key())
	s := h.stateIs(roleSR, StateFailed)
	if it := item(s, roleSR); it.Problem != "Azure is busy; try again in a minute." || Label(it, h.clk.Now()) != "Security Reader — failed, click to retry" {
		t.Fatalf("item = %+v", it)
	}
	if s.Icon != IconAttention {
		t.Errorf("icon %s", s.Icon)
	}
	n := h.notice(NoticeFailed)
	if n.Body != "Azure is busy; try again in a minute." || !strings.Contains(n.Title, "Security Reader") {
		t.Fatalf("notice = %+v", n)
	}
	// Retrying clears it.
	failing.set(nil)
	h.e.Activate(roleSR.Key())
	h.stateIs(roleSR, StateActive)
}

type failingAPI struct {
	*fakeAPI
	err error
}

func (f *failingAPI) set(err error) { f.fakeAPI.mu.Lock(); f.err = err; f.fakeAPI.mu.Unlock() }

func (f *failingAPI) Activate(ctx context.Context, req pim.ActivateRequest) (pim.Activation, error) {
	f.fakeAPI.mu.Lock()
	err := f.err
	f.fakeAPI.mu.Unlock()
	if err != nil {
		f.fakeAPI.mu.Lock()
		f.fakeAPI.log(fakeCall{Op: "activate", Key: req.Role.Key(), Req: req})
		f.fakeAPI.mu.Unlock()
		return pim.Activation{}, err
	}
	return f.fakeAPI.Activate(ctx, req)
}

// Idle, the engine wakes only to refresh (every 5 minutes). While something counts down it
// also looks at the wall clock once a minute (to notice a sleep), never more.
func TestIdleWakeUps(t *testing.T) {
	wakeups := func(h *harness) int { return h.clk.Fired() }
	h := newHarness(t).start()
	h.settle()
	before := wakeups(h)
	h.advance(time.Hour)
	if got := wakeups(h) - before; got != 12 {
		t.Errorf("idle: %d wake-ups in an hour, want 12 (refreshes)", got)
	}
	h.activateAt0(roleOwnerIT) // 8h
	before = wakeups(h)
	h.advance(time.Hour)
	if got := wakeups(h) - before; got > 60 || got < 55 {
		t.Errorf("with a countdown: %d wake-ups in an hour, want about 60 (once a minute)", got)
	}
	h.stop()
	if n := h.clk.Pending(); n != 0 {
		t.Errorf("%d timers left after Run returned", n)
	}
}
