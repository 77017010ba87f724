package store

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"
)

// flakyBackend is a memory keyring that can be taken down and brought back.
type flakyBackend struct {
	MemoryKeyringBackend
	down  atomic.Bool
	calls atomic.Int32
}

var errNoSecretService = errors.New("org.freedesktop.secrets was not provided by any .service files")

func (f *flakyBackend) Set(s, u, p string) error {
	f.calls.Add(1)
	if f.down.Load() {
		return errNoSecretService
	}
	return f.MemoryKeyringBackend.Set(s, u, p)
}

func (f *flakyBackend) Get(s, u string) (string, error) {
	f.calls.Add(1)
	if f.down.Load() {
		return "", errNoSecretService
	}
	return f.MemoryKeyringBackend.Get(s, u)
}

func (f *flakyBackend) Delete(s, u string) error {
	f.calls.Add(1)
	if f.down.Load() {
		return errNoSecretService
	}
	return f.MemoryKeyringBackend.Delete(s, u)
}

type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *stepClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// A keyring that is unavailable at start (the Secret Service starts after pimtray, a locked
// wallet) is asked again with a back-off; once it answers, the saved sign-in is used again —
// before, the cache stayed "memory only" for the whole run and the user had to sign in in the
// browser although the saved sign-in was intact.
func TestSealedCacheUsesAKeyringThatComesBack(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	be := &flakyBackend{}
	kr := NewKeyringWith(be, time.Second)
	saved := newTestCache(t, kr, dir, "tenant-a", nil)
	if err := saved.Export(ctx, &blob{data: secretCache()}, cache.ExportHints{}); err != nil {
		t.Fatal(err)
	}

	be.down.Store(true)
	clk := &stepClock{t: time.Unix(1e9, 0)}
	c, err := NewSealedCache(SealedCacheOptions{Keyring: kr, Service: "pimtray-test", Account: "tenant-a", Dir: dir, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	got := &blob{}
	if err := c.Replace(ctx, got, cache.ReplaceHints{}); err != nil || got.data != nil {
		t.Fatalf("with the keyring down: %q, %v; want nothing (signed out)", got.data, err)
	}
	if c.Storage() != StorageMemory || c.Warning() != WarningKeyringUnavailable {
		t.Fatalf("storage %q warning %q", c.Storage(), c.Warning())
	}
	// Not hammered: within the back-off, no keyring call.
	calls := be.calls.Load()
	be.down.Store(false)
	for range 5 {
		if err := c.Replace(ctx, &blob{}, cache.ReplaceHints{}); err != nil {
			t.Fatal(err)
		}
	}
	if n := be.calls.Load() - calls; n != 0 {
		t.Fatalf("%d keyring calls within the back-off, want 0", n)
	}
	clk.add(keyringRetryBase)
	got = &blob{}
	if err := c.Replace(ctx, got, cache.ReplaceHints{}); err != nil || !bytes.Equal(got.data, secretCache()) {
		t.Fatalf("after the keyring came back: %q, %v; want the saved sign-in", got.data, err)
	}
	if c.Storage() != StorageKeyring || c.Warning() != "" {
		t.Fatalf("after the keyring came back: storage %q warning %q", c.Storage(), c.Warning())
	}
}

// A sign-in made while the keyring was away (kept in memory) is the newest: when the keyring
// answers again it is sealed into the file, so the next start has it.
func TestSealedCacheSavesTheSignInMadeWhileTheKeyringWasAway(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	be := &flakyBackend{}
	be.down.Store(true)
	kr := NewKeyringWith(be, time.Second)
	clk := &stepClock{t: time.Unix(1e9, 0)}
	c, err := NewSealedCache(SealedCacheOptions{Keyring: kr, Service: "pimtray-test", Account: "tenant-a", Dir: dir, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Export(ctx, &blob{data: secretCache()}, cache.ExportHints{}); err != nil {
		t.Fatal(err)
	}
	// It stays down for a while: the back-off doubles.
	clk.add(keyringRetryBase)
	if err := c.Replace(ctx, &blob{}, cache.ReplaceHints{}); err != nil || c.Storage() != StorageMemory {
		t.Fatalf("still down: %v %q", err, c.Storage())
	}
	calls := be.calls.Load()
	clk.add(keyringRetryBase) // less than the doubled back-off
	be.down.Store(false)
	if err := c.Replace(ctx, &blob{}, cache.ReplaceHints{}); err != nil || be.calls.Load() != calls {
		t.Fatalf("asked the keyring before the doubled back-off passed (%d calls)", be.calls.Load()-calls)
	}
	clk.add(keyringRetryBase)
	got := &blob{}
	if err := c.Replace(ctx, got, cache.ReplaceHints{}); err != nil || !bytes.Equal(got.data, secretCache()) || c.Storage() != StorageKeyring {
		t.Fatalf("after the keyring came back: %q, %v, %q", got.data, err, c.Storage())
	}
	next := newTestCache(t, kr, dir, "tenant-a", nil)
	got = &blob{}
	if err := next.Replace(ctx, got, cache.ReplaceHints{}); err != nil || !bytes.Equal(got.data, secretCache()) {
		t.Fatalf("the next start: %q, %v; want the sign-in made while the keyring was away", got.data, err)
	}
}
