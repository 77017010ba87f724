package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pimtray/pimtray/internal/testkit/clocktest"
	"github.com/pimtray/pimtray/store"
)

// FuzzStateFile: the last known state is read at every start, before anything else. Whatever
// the file holds (half a file, an older pimtray's, a hand edit), the engine starts, and its
// snapshot, labels, icon and next tick are computed without a panic. Seeded with real state
// files: roles, an activation, an open request, reminders sent.
func FuzzStateFile(f *testing.F) {
	for _, s := range realStateFiles(f) {
		f.Add(s)
		f.Add(s[:len(s)/2])
		f.Add([]byte(strings.ReplaceAll(string(s), `"version": 1`, `"version": 2`)))
	}
	for _, s := range []string{``, `{}`, `null`, `{"version":1}`, `{"version":1,"tenants":null}`,
		`{"version":1,"tenants":[{"id":"` + tenantA + `","eligible":[{}],"active":[{}],"pending":[{}]}]}`,
		`{"version":1,"tenants":[{"id":"` + tenantA + `","eligible":[{"plane":"azure","roleId":"r","scope":"s"}],"active":[{"role":{"plane":"azure","roleId":"r","scope":"s"},"status":"active","expiresAt":"0001-01-01T00:00:00Z"}]}],"recent":{"x":{"acts":[{}],"until":"9999-12-31T23:59:59Z"}},"awaiting":{"x":{}},"scheduled":{"x":{"at":"2025-03-10T09:00:00Z"}}}`,
		`{"version":1,"policies":{"k":{"policy":{"maxDuration":-1},"known":true}}}`} {
		f.Add([]byte(s))
	}
	path := filepath.Join(f.TempDir(), "state.json") // a worker runs one input at a time
	f.Fuzz(func(t *testing.T, data []byte) {
		done := make(chan struct{})
		go func() {
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				panic(fmt.Sprintf("the engine hangs on the state file %q", data))
			}
		}()
		defer close(done)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		clk := clocktest.NewFake(t0)
		cfg := store.DefaultConfig()
		cfg.Favourites = []store.Favourite{fav(roleOwnerIT), fav(roleMember)}
		e, err := New(Options{Clock: clk, Config: cfg, StateFile: path, ReadOnlyState: true,
			Tenants: []TenantBackend{{ID: tenantA, API: nopAPI{}}}})
		if err != nil {
			t.Fatalf("a state file stopped the start: %v", err)
		}
		for _, at := range []time.Duration{0, time.Minute, 8 * time.Hour} {
			now := t0.Add(at)
			clk.Set(now)
			s := e.Snapshot()
			for _, it := range append(s.Favourites, s.All...) {
				if l := Label(it, now); l == "" || strings.ContainsAny(l, "\r\n") {
					t.Fatalf("label %q of %+v", l, it)
				}
			}
			if d := NextTick(s, now); d < 0 || (d > 0 && d < time.Second) {
				t.Fatalf("next tick %v", d)
			}
			_ = Tooltip(s, now)
			_ = Header(s)
		}
	})
}

// realStateFiles are state files the engine itself wrote.
func realStateFiles(f *testing.F) [][]byte {
	var out [][]byte
	dir := f.TempDir()
	for i, setup := range []func(ctx context.Context, e *Engine, api *fakeAPI){
		func(ctx context.Context, e *Engine, api *fakeAPI) {},
		func(ctx context.Context, e *Engine, api *fakeAPI) {
			if _, err := e.ActivateNow(ctx, roleOwnerIT.Key(), ActivateOptions{}); err != nil {
				f.Fatal(err)
			}
			if _, err := e.ActivateNow(ctx, roleUA.Key(), ActivateOptions{}); err != nil {
				f.Fatal(err)
			}
		},
	} {
		path := filepath.Join(dir, "state"+string(rune('a'+i))+".json")
		clk := clocktest.NewFake(t0)
		api := newFakeAPI(clk.Now)
		cfg := store.DefaultConfig()
		cfg.Favourites = []store.Favourite{fav(roleOwnerIT), fav(roleMember)}
		e, err := New(Options{Clock: clk, Config: cfg, StateFile: path, Tenants: []TenantBackend{{ID: tenantA, API: api}}})
		if err != nil {
			f.Fatal(err)
		}
		ctx := context.Background()
		if err := e.RefreshNow(ctx, ""); err != nil {
			f.Fatal(err)
		}
		setup(ctx, e, api)
		e.saveState()
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, data)
	}
	return out
}
