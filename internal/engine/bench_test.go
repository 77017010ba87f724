package engine

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/pimtray/pimtray/internal/fakeazure"
	"github.com/pimtray/pimtray/internal/testkit/clocktest"
	"github.com/pimtray/pimtray/pim"
	"github.com/pimtray/pimtray/store"
)

// wireWatch passes requests to the fake and tells when an activation request leaves.
type wireWatch struct {
	next   *http.Client
	onWire chan time.Time
}

func (w *wireWatch) Do(req *http.Request) (*http.Response, error) {
	p := strings.ToLower(req.URL.Path)
	if (req.Method == http.MethodPost || req.Method == http.MethodPut) && strings.Contains(p, "assignmentschedulerequests") {
		select {
		case w.onWire <- time.Now():
		default:
		}
	}
	return w.next.Do(req)
}

func benchEngine(b *testing.B, state string) (*Engine, *clocktest.Fake, *wireWatch, *fakeazure.Server) {
	b.Helper()
	clk := clocktest.NewFake(t0)
	fake, err := fakeazure.New(fakeazure.Options{Now: clk.Now})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(fake.Close)
	watch := &wireWatch{next: fake.HTTPClient(), onWire: make(chan time.Time, 4)}
	client, err := pim.NewClient(fake.Credential(fakeazure.DemoTenantID), &pim.ClientOptions{
		ClientOptions: azcore.ClientOptions{Transport: watch},
		Cloud:         fake.Cloud(), TenantID: fakeazure.DemoTenantID, Now: clk.Now,
	})
	if err != nil {
		b.Fatal(err)
	}
	e, err := New(Options{Clock: clk, Config: store.DefaultConfig(), StateFile: state,
		Tenants: []TenantBackend{{ID: fakeazure.DemoTenantID, Name: fakeazure.DemoTenantName, API: client}}})
	if err != nil {
		b.Fatal(err)
	}
	return e, clk, watch, fake
}

// BenchmarkClickToRequest measures a click on a role to its activation request on the
// wire, with a warm token and a cached policy (target: under 50 ms, one request per click).
func BenchmarkClickToRequest(b *testing.B) {
	e, clk, watch, fake := benchEngine(b, "")
	ctx := context.Background()
	if err := e.RefreshNow(ctx, ""); err != nil {
		b.Fatal(err)
	}
	var key string
	for _, it := range e.Snapshot().All {
		if it.Role.RoleName == "Security Reader" {
			key = it.Key
		}
	}
	e.Policy(ctx, key) // cached from now on
	fake.ResetLog()
	var total time.Duration
	for b.Loop() {
		start := time.Now()
		e.Activate(key)
		total += (<-watch.onWire).Sub(start)
		for item2(e, key).State != StateActive {
			<-e.Changed()
		}
		clk.Advance(6 * time.Minute)
		if _, err := e.DeactivateNow(ctx, key); err != nil {
			b.Fatal(err)
		}
		// Drain the deactivation's own request from the watch.
		select {
		case <-watch.onWire:
		default:
		}
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/click")
	activations := 0
	for _, r := range fake.Requests() {
		if strings.Contains(r.Body, "SelfActivate") || strings.Contains(r.Body, "selfActivate") {
			activations++
		}
	}
	b.ReportMetric(float64(activations)/float64(b.N), "requests/click")
}

func item2(e *Engine, key string) Item {
	for _, it := range e.Snapshot().All {
		if it.Key == key {
			return it
		}
	}
	return Item{}
}

// BenchmarkStartWithCachedState measures a start to the first snapshot from the last known
// state, before any network call (target: under 300 ms).
func BenchmarkStartWithCachedState(b *testing.B) {
	state := filepath.Join(b.TempDir(), "state.json")
	e, _, _, _ := benchEngine(b, state)
	if err := e.RefreshNow(context.Background(), ""); err != nil {
		b.Fatal(err)
	}
	e.saveState()
	clk := clocktest.NewFake(t0)
	var total time.Duration
	for b.Loop() {
		start := time.Now()
		e2, err := New(Options{Clock: clk, Config: store.DefaultConfig(), StateFile: state,
			Tenants: []TenantBackend{{ID: fakeazure.DemoTenantID, API: nopAPI{}}}})
		if err != nil {
			b.Fatal(err)
		}
		if s := e2.Snapshot(); len(s.All) != 11 {
			b.Fatalf("%d roles from the state file", len(s.All))
		}
		total += time.Since(start)
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/start")
}

// nopAPI is an Azure that is never asked.
type nopAPI struct{ pim.API }
