package engine

// Measured figures of issue 7 that the engine alone decides, against the fake Azure with
// the real pim client, signed in through pim/auth (MSAL) with the fake's automated browser:
// requests per activation, click to request on the wire and to the countdown, refresh of
// the three planes against the slowest one, background requests and wake-ups. build/bench.sh
// runs them and prints the table; BENCHMARKS.md holds the results.

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/pimtray/pimtray/internal/fakeazure"
	"github.com/pimtray/pimtray/internal/testkit/clocktest"
	"github.com/pimtray/pimtray/pim"
	"github.com/pimtray/pimtray/pim/auth"
	"github.com/pimtray/pimtray/store"
)

// wireTap passes requests on and notes when an activation request leaves for Azure.
type wireTap struct {
	next policy.Transporter
	sent chan time.Time
}

func (w *wireTap) Do(req *http.Request) (*http.Response, error) {
	p := strings.ToLower(req.URL.Path)
	if (req.Method == http.MethodPost || req.Method == http.MethodPut) && strings.Contains(p, "ssignmentschedulerequests") &&
		!strings.HasSuffix(p, "/cancel") {
		select {
		case w.sent <- time.Now():
		default:
		}
	}
	return w.next.Do(req)
}

// measureRig is an engine on the real pim client and a real sign-in, against the fake.
type measureRig struct {
	e      *Engine
	clk    *clocktest.Fake
	fake   *fakeazure.Server
	client *pim.Client
	tap    *wireTap
}

// newMeasureRig signs in to the fake's demo tenant (MSAL, automated browser) and builds an
// engine with the given favourites (by role name and scope name, with a justification saved),
// then refreshes once and reads the favourites' policies: eligibility, policy and token warm.
// The fake clock starts at the real now: MSAL judges its tokens by the real clock.
func newMeasureRig(tb testing.TB, interval time.Duration, favs ...[2]string) *measureRig {
	tb.Helper()
	clk := clocktest.NewFake(time.Now().UTC().Truncate(time.Second))
	fake, err := fakeazure.New(fakeazure.Options{Now: clk.Now})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(fake.Close)
	sess, err := auth.New(auth.Options{
		Cloud: fake.Cloud(), TenantID: fakeazure.DemoTenantID, TenantName: fakeazure.DemoTenantName,
		ClientID: "00000000-0000-0000-0000-00000000d3e0", HTTPClient: fake.HTTPClient(), OpenURL: fake.Browser(),
	})
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	if _, err := sess.SignIn(ctx, auth.SignInOptions{}); err != nil {
		tb.Fatalf("sign in to the fake: %v", err)
	}
	tap := &wireTap{next: fake.HTTPClient(), sent: make(chan time.Time, 8)}
	client, err := pim.NewClient(sess, &pim.ClientOptions{
		ClientOptions: azcore.ClientOptions{Transport: tap},
		Cloud:         fake.Cloud(), TenantID: fakeazure.DemoTenantID, Now: clk.Now,
	})
	if err != nil {
		tb.Fatal(err)
	}
	cfg := store.DefaultConfig()
	if interval > 0 {
		cfg.RefreshInterval = store.Duration(interval)
	}
	e, err := New(Options{Clock: clk, Config: cfg, Location: time.UTC, Jitter: func() float64 { return 0.5 },
		Tenants: []TenantBackend{{ID: fakeazure.DemoTenantID, Name: fakeazure.DemoTenantName, API: client}}})
	if err != nil {
		tb.Fatal(err)
	}
	if err := e.RefreshNow(ctx, ""); err != nil {
		tb.Fatal(err)
	}
	for _, f := range favs {
		r, ok := rigRole(e, f[0], f[1])
		if !ok {
			tb.Fatalf("no demo role %s on %s", f[0], f[1])
		}
		e.mu.Lock()
		e.cfg.Favourites = append(e.cfg.Favourites, fav(r, func(f *store.Favourite) { f.Justification = "measured" }))
		e.mu.Unlock()
	}
	if err := e.RefreshNow(ctx, ""); err != nil { // reads the favourites' policies
		tb.Fatal(err)
	}
	return &measureRig{e: e, clk: clk, fake: fake, client: client, tap: tap}
}

func rigRole(e *Engine, name, scope string) (pim.Role, bool) {
	for _, it := range e.Snapshot().All {
		if it.Role.RoleName == name && (scope == "" || it.Role.ScopeName == scope) {
			return it.Role, true
		}
	}
	return pim.Role{}, false
}

// waitItem waits (on Changed) until cond holds for the role's item.
func (m *measureRig) waitItem(tb testing.TB, key string, cond func(Item) bool) Item {
	tb.Helper()
	deadline := time.After(30 * time.Second)
	for {
		for _, it := range m.e.Snapshot().All {
			if it.Key == key && cond(it) {
				return it
			}
		}
		select {
		case <-m.e.Changed():
		case <-deadline:
			tb.Fatalf("timed out waiting on %s", key)
		}
	}
}

// activateOnce clicks the role and waits for its countdown; it returns the times from the
// click to the request leaving and to the label counting down, and the requests it took.
func (m *measureRig) activateOnce(tb testing.TB, r pim.Role) (toWire, toLabel time.Duration, requests int) {
	tb.Helper()
	for len(m.tap.sent) > 0 {
		<-m.tap.sent
	}
	m.fake.ResetLog()
	start := time.Now()
	m.e.Activate(r.Key())
	it := m.waitItem(tb, r.Key(), func(it Item) bool {
		return it.State == StateFailed || strings.HasSuffix(Label(it, m.clk.Now()), " left")
	})
	toLabel = time.Since(start)
	if it.State != StateActive {
		tb.Fatalf("%s: %s (%s)", r.Label(), it.State, it.Problem)
	}
	select {
	case at := <-m.tap.sent:
		toWire = at.Sub(start)
	default:
		tb.Fatalf("%s became active without an activation request", r.Label())
	}
	m.e.wg.Wait()
	return toWire, toLabel, len(m.fake.Requests())
}

// deactivate ends the role's activation (Azure allows that 5 minutes after it started).
func (m *measureRig) deactivate(tb testing.TB, r pim.Role) {
	tb.Helper()
	m.clk.Advance(MinActiveForRestart + time.Minute)
	if _, err := m.e.DeactivateNow(context.Background(), r.Key()); err != nil {
		tb.Fatal(err)
	}
}

// measuredFavourites are one favourite per plane that one click activates (a justification
// is saved; none needs a ticket, MFA or approval).
var measuredFavourites = []struct{ plane, name, scope string }{
	{"entra", "Security Reader", ""},
	{"azure", "Owner", "IT"},
	{"group", "Member", "PIM-Admins"},
}

func allMeasured() [][2]string {
	var out [][2]string
	for _, f := range measuredFavourites {
		out = append(out, [2]string{f.name, f.scope})
	}
	return out
}

// TestWarmActivationIsOneRequest holds the floor of issue 7: with a warm token and the
// eligibility and policy cached, one click on a favourite is exactly one HTTP request, in
// each plane (the fake's request log counts every request, the identity platform's too).
func TestWarmActivationIsOneRequest(t *testing.T) {
	m := newMeasureRig(t, 0, allMeasured()...)
	for _, f := range measuredFavourites {
		t.Run(f.plane, func(t *testing.T) {
			r, _ := rigRole(m.e, f.name, f.scope)
			_, _, n := m.activateOnce(t, r)
			if n != 1 {
				t.Fatalf("%d requests for one activation of %s, want 1: %+v", n, r.Label(), m.fake.Requests())
			}
			m.fake.ResetLog()
			m.deactivate(t, r)
			m.fake.ResetLog()
			if _, _, n := m.activateOnce(t, r); n != 1 {
				t.Fatalf("%d requests for the second activation of %s, want 1: %+v", n, r.Label(), m.fake.Requests())
			}
		})
	}
}

// TestActivationAnHourLaterIsOneRequest: the floor holds for a click long after the policy
// was read, while the tray ran its background refreshes. The pim client trusts its own policy
// cache for an hour only, the engine its copy for 12 hours: the engine hands its copy to the
// client (pim.ActivateRequest.Policy), so the client reads nothing before the activation.
func TestActivationAnHourLaterIsOneRequest(t *testing.T) {
	m := newMeasureRig(t, 0, [2]string{"Security Reader", ""})
	st := loopStepper{tb: t, e: m.e, clk: m.clk}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	st.start(ctx, &wg)
	defer func() { cancel(); wg.Wait() }()
	st.advance(61 * time.Minute)
	r, _ := rigRole(m.e, "Security Reader", "")
	if _, _, n := m.activateOnce(t, r); n != 1 {
		t.Fatalf("%d requests for one activation an hour later, want 1: %+v", n, m.fake.Requests())
	}
}

// BenchmarkClickToCountdown: a click on a favourite (warm token, cached eligibility and
// policy) to its activation request on the wire (target < 50 ms) and to the label counting
// down, with benchLatency injected per request at the fake. Also reports the HTTP requests
// per activation (floor 1).
func BenchmarkClickToCountdown(b *testing.B) {
	for _, f := range measuredFavourites {
		b.Run(f.plane, func(b *testing.B) {
			m := newMeasureRig(b, 0, [2]string{f.name, f.scope})
			r, _ := rigRole(m.e, f.name, f.scope)
			m.activateOnce(b, r) // the first click of a run: Me, connections
			m.deactivate(b, r)
			m.fake.SetLatency(benchLatency)
			var wires, labels []time.Duration
			reqs, most := 0, 0
			for b.Loop() {
				w, l, n := m.activateOnce(b, r)
				wires, labels, reqs, most = append(wires, w), append(labels, l), reqs+n, max(most, n)
				b.StopTimer()
				m.deactivate(b, r) // 6 simulated minutes later
				b.StartTimer()
			}
			b.ReportMetric(ms(median(wires)), "ms-click-to-wire-p50")
			b.ReportMetric(ms(slices.Max(wires)), "ms-click-to-wire-max")
			b.ReportMetric(ms(median(labels)), "ms-click-to-label-p50")
			b.ReportMetric(ms(slices.Max(labels)), "ms-click-to-label-max")
			b.ReportMetric(float64(reqs)/float64(b.N), "requests/activation")
			b.ReportMetric(float64(most), "requests/activation-max")
			b.ReportMetric(ms(benchLatency), "ms-injected-latency")
		})
	}
}

// benchLatency is the latency the fake adds to every request in BenchmarkClickToCountdown:
// a click to wire time near it would betray a request made before the activation.
const benchLatency = 100 * time.Millisecond

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkRefreshThreePlanes: a refresh of all three planes with planeLatency per request,
// against the slowest plane read alone (target: all three ≤ 1.2 × the slowest).
func BenchmarkRefreshThreePlanes(b *testing.B) {
	const planeLatency = 300 * time.Millisecond
	m := newMeasureRig(b, 0, allMeasured()...)
	ctx := context.Background()
	m.fake.SetLatency(planeLatency)
	var all, slowest time.Duration
	var slowestPlane pim.Plane
	for b.Loop() {
		start := time.Now()
		if err := m.e.RefreshNow(ctx, ""); err != nil {
			b.Fatal(err)
		}
		all += time.Since(start)
		b.StopTimer()
		var worst time.Duration
		for _, p := range pim.Planes() {
			start := time.Now()
			ov, err := m.client.Overview(ctx, p)
			if err != nil || ov.Errors[p] != nil {
				b.Fatalf("%s: %v %v", p, err, ov.Errors)
			}
			if d := time.Since(start); d > worst {
				worst, slowestPlane = d, p
			}
		}
		slowest += worst
		b.StartTimer()
	}
	n := float64(b.N)
	b.ReportMetric(ms(all)/n, "ms-three-planes")
	b.ReportMetric(ms(slowest)/n, "ms-slowest-plane")
	b.ReportMetric(float64(all)/float64(slowest), "ratio")
	b.ReportMetric(ms(planeLatency), "ms-latency-per-request")
	b.Logf("slowest plane: %s", slowestPlane)
}

// loopStepper moves the fake clock from one of the engine's wake-ups to the next, letting
// it finish its work at each (the harness's advance, for benchmarks).
type loopStepper struct {
	tb  testing.TB
	e   *Engine
	clk *clocktest.Fake
}

// start runs the engine's loop and waits until it began: it is at work from then on until it
// waits (clock.Begin), so quiet returns only once it waits.
func (s loopStepper) start(ctx context.Context, wg *sync.WaitGroup) {
	s.tb.Helper()
	begun := s.clk.Begun()
	wg.Go(func() { s.e.Run(ctx) })
	if !s.clk.Wait(10*time.Second, func() bool { return s.clk.Begun() > begun }) {
		s.tb.Fatal("the engine's loop did not start")
	}
}

func (s loopStepper) quiet() {
	s.tb.Helper()
	if !s.clk.WaitIdle(10 * time.Second) {
		s.tb.Fatalf("the engine did not settle at %v", s.clk.Now())
	}
}

func (s loopStepper) advance(d time.Duration) {
	s.tb.Helper()
	target := s.clk.Now().Add(d)
	for {
		s.quiet()
		next, ok := s.clk.NextTimer()
		if !ok || next.After(target) {
			s.clk.Set(target)
			s.quiet()
			return
		}
		s.clk.Set(next)
	}
}

// wakeups are the engine's timed wake-ups so far: the timers fired on its clock.
func (s loopStepper) wakeups() int { return s.clk.Fired() }

// trayTicks counts the tray's label redraws over d from now: each one NextTick later.
func trayTicks(e *Engine, clk *clocktest.Fake, d time.Duration) int {
	s := e.Snapshot()
	n := 0
	for now, end := clk.Now(), clk.Now().Add(d); ; n++ {
		step := NextTick(s, now)
		if step == 0 || now.Add(step).After(end) {
			return n
		}
		now = now.Add(step)
	}
}

// BenchmarkBackground: what the engine does when nobody looks, on a fake clock through a
// simulated hour (the real refresh interval, 5 minutes jittered): HTTP requests per hour,
// and the engine's timed wake-ups plus the tray's label redraws per 10 minutes. Cases: nothing
// active; one favourite counting down (8h left); one in its last 10 minutes (seconds shown in
// the last 2); one waiting for approval (polled every 30 s).
func BenchmarkBackground(b *testing.B) {
	cases := []struct {
		name  string
		setup func(b *testing.B, m *measureRig, st loopStepper)
	}{
		{"nothing active", func(*testing.B, *measureRig, loopStepper) {}},
		{"countdown running", func(b *testing.B, m *measureRig, st loopStepper) {
			r, _ := rigRole(m.e, "Security Reader", "")
			m.activateOnce(b, r)
		}},
		{"countdown in its last 10 minutes", func(b *testing.B, m *measureRig, st loopStepper) {
			r, _ := rigRole(m.e, "Security Reader", "")
			m.activateOnce(b, r)
			st.advance(8*time.Hour - 10*time.Minute)
		}},
		{"waiting for approval", func(b *testing.B, m *measureRig, st loopStepper) {
			r, _ := rigRole(m.e, "User Administrator", "")
			m.e.Activate(r.Key())
			m.waitItem(b, r.Key(), func(it Item) bool { return it.State == StatePending })
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var reqs, wakes, ticks int
			for b.Loop() {
				b.StopTimer()
				m := newMeasureRig(b, 0, [2]string{"Security Reader", ""}, [2]string{"User Administrator", ""})
				st := loopStepper{tb: b, e: m.e, clk: m.clk}
				ctx, cancel := context.WithCancel(context.Background())
				var wg sync.WaitGroup
				st.start(ctx, &wg)
				st.advance(time.Second) // the first refresh at start
				c.setup(b, m, st)
				st.advance(time.Second)
				b.StartTimer()
				m.fake.ResetLog()
				w0 := st.wakeups()
				ticks += trayTicks(m.e, m.clk, 10*time.Minute)
				st.advance(10 * time.Minute)
				wakes += st.wakeups() - w0
				st.advance(50 * time.Minute)
				reqs += len(m.fake.Requests())
				b.StopTimer()
				cancel()
				wg.Wait()
				b.StartTimer()
			}
			n := float64(b.N)
			b.ReportMetric(float64(reqs)/n, "requests/hour")
			b.ReportMetric(float64(wakes)/n, "engine-wakeups/10min")
			b.ReportMetric(float64(ticks)/n, "tray-redraws/10min")
		})
	}
}
