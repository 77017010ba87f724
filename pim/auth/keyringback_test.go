package auth_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pimtray/pimtray/internal/fakeazure"
	"github.com/pimtray/pimtray/internal/testkit/keyringtest"
	"github.com/pimtray/pimtray/pim/auth"
	"github.com/pimtray/pimtray/store"
)

// downKeyring is a memory keyring that can be taken down and brought back.
type downKeyring struct {
	keyringtest.Memory
	down atomic.Bool
}

var errDown = errors.New("the Secret Service is not running")

func (k *downKeyring) Get(s, u string) (string, error) {
	if k.down.Load() {
		return "", errDown
	}
	return k.Memory.Get(s, u)
}

func (k *downKeyring) Set(s, u, p string) error {
	if k.down.Load() {
		return errDown
	}
	return k.Memory.Set(s, u, p)
}

func (k *downKeyring) Delete(s, u string) error {
	if k.down.Load() {
		return errDown
	}
	return k.Memory.Delete(s, u)
}

// Issue 12 item 4: a keyring unavailable when pimtray starts is asked again later; once it
// answers, the saved sign-in is used — silently, no browser.
func TestAKeyringThatComesBackGivesTheSavedSignInWithoutABrowser(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFake(t, fakeazure.Options{})
	be := &downKeyring{}
	kr := store.NewKeyringWith(be, time.Second)
	dir := t.TempDir()
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	newCache := func(clk func() time.Time) *store.SealedCache {
		c, err := store.NewSealedCache(store.SealedCacheOptions{Keyring: kr, Service: "pimtray-test",
			Account: fakeazure.DemoTenantID, Dir: dir, Now: clk})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	first := newSession(t, f, fakeazure.DemoTenantID, newCache(nil), f.Browser())
	if _, err := first.SignIn(ctx, auth.SignInOptions{}); err != nil {
		t.Fatal(err)
	}

	be.down.Store(true) // the next start: the keyring is not there yet
	s := newSession(t, f, fakeazure.DemoTenantID, newCache(clock), noBrowser(t))
	if _, ok := s.Account(); ok || s.Storage() != store.StorageMemory {
		t.Fatalf("with the keyring down: signed in? storage %q", s.Storage())
	}
	be.down.Store(false)
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	acct, ok := s.Account()
	if !ok || acct.Username != fakeazure.DemoUserUPN || s.Storage() != store.StorageKeyring || s.Warning() != "" {
		t.Fatalf("after the keyring came back: %+v %v storage %q warning %q", acct, ok, s.Storage(), s.Warning())
	}
	mustToken(t, s, ctx, armScope(f))
}
