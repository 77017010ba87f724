package store

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeBackend is a keyring backend whose calls can fail or hang.
type fakeBackend struct {
	MemoryKeyringBackend
	err     error         // every call fails with this
	block   chan struct{} // every call waits for this to close
	calls   atomic.Int32
	started chan struct{} // signalled (non-blocking) when a call starts
}

func (f *fakeBackend) enter() error {
	f.calls.Add(1)
	if f.started != nil {
		select {
		case f.started <- struct{}{}:
		default:
		}
	}
	if f.block != nil {
		<-f.block
	}
	return f.err
}

func (f *fakeBackend) Set(s, u, p string) error {
	if err := f.enter(); err != nil {
		return err
	}
	return f.MemoryKeyringBackend.Set(s, u, p)
}

func (f *fakeBackend) Get(s, u string) (string, error) {
	if err := f.enter(); err != nil {
		return "", err
	}
	return f.MemoryKeyringBackend.Get(s, u)
}

func (f *fakeBackend) Delete(s, u string) error {
	if err := f.enter(); err != nil {
		return err
	}
	return f.MemoryKeyringBackend.Delete(s, u)
}

func TestKeyringSetGetDelete(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	k := NewMemoryKeyring()
	if _, err := k.Get(ctx, "svc", "acct"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("get of nothing: %v", err)
	}
	if err := k.Set(ctx, "svc", "acct", "s3cret"); err != nil {
		t.Fatal(err)
	}
	if v, err := k.Get(ctx, "svc", "acct"); err != nil || v != "s3cret" {
		t.Fatalf("get = %q, %v", v, err)
	}
	if err := k.Delete(ctx, "svc", "acct"); err != nil {
		t.Fatal(err)
	}
	if err := k.Delete(ctx, "svc", "acct"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
}

func TestKeyringErrorsAreMapped(t *testing.T) {
	t.Parallel()
	b := &fakeBackend{err: errors.New("The name org.freedesktop.secrets was not provided by any .service files")}
	k := NewKeyringWith(b, time.Second)
	_, err := k.Get(context.Background(), "svc", "acct")
	if !errors.Is(err, ErrKeyringUnavailable) {
		t.Fatalf("got %v", err)
	}
	if err.Error() != "keyring unavailable: keyring read: The name org.freedesktop.secrets was not provided by any .service files" {
		t.Errorf("message: %q", err)
	}
}

func TestKeyringHungCallTimesOutAndFailsFastAfter(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	b := &fakeBackend{block: release}
	k := NewKeyringWith(b, 100*time.Millisecond)

	// The hung call ends by the keyring's own time-out (said so), not by anything else.
	_, err := k.Get(context.Background(), "svc", "acct")
	if !errors.Is(err, ErrKeyringUnavailable) || !strings.Contains(err.Error(), "no answer from the keyring within 100ms") {
		t.Fatalf("got %v, want the time-out", err)
	}
	// While the first call is still stuck, others return at once without piling up goroutines:
	// they don't wait for a time-out of their own (what they say) nor call the backend.
	for range 5 {
		err := k.Set(context.Background(), "svc", "acct", "x")
		if !errors.Is(err, ErrKeyringUnavailable) || !strings.Contains(err.Error(), "an earlier request is still unanswered") {
			t.Fatalf("got %v, want the fail-fast error", err)
		}
	}
	if n := b.calls.Load(); n != 1 {
		t.Errorf("backend calls = %d, want 1 (the stuck one)", n)
	}
	// Once the keyring answers again, calls go through.
	close(release)
	deadline := time.Now().Add(5 * time.Second)
	for k.stuck.Load() != 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond) // waiting for a goroutine outside our control; bounded
	}
	b.block = nil
	if err := k.Set(context.Background(), "svc", "acct", "x"); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
}

func TestKeyringHonoursTheCallersContext(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	defer close(release)
	b := &fakeBackend{block: release, started: make(chan struct{}, 1)}
	k := NewKeyringWith(b, time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	var err error
	go func() {
		defer wg.Done()
		_, err = k.Get(ctx, "svc", "acct")
	}()
	<-b.started
	cancel()
	wg.Wait()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
}

type panicBackend struct{ MemoryKeyringBackend }

func (*panicBackend) Get(string, string) (string, error) { panic("boom") }

func TestKeyringBackendPanicIsAnError(t *testing.T) {
	t.Parallel()
	k := NewKeyringWith(&panicBackend{}, time.Second)
	if _, err := k.Get(context.Background(), "s", "a"); !errors.Is(err, ErrKeyringUnavailable) {
		t.Fatalf("got %v", err)
	}
}
