package store

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	gokeyring "github.com/zalando/go-keyring"
)

// Keyring errors. Every error a Keyring returns matches one of these with errors.Is (or is
// the caller's own context error). Constants: no caller can reassign them.
const (
	// ErrNotFound: the keyring answered and holds no such secret.
	ErrNotFound = sentinel("not found in the keyring")
	// ErrKeyringUnavailable: no keyring (no Secret Service on the session bus), a locked
	// keyring, an error from it, or no answer within the timeout.
	ErrKeyringUnavailable = sentinel("keyring unavailable")
)

// DefaultKeyringTimeout bounds every keyring call: a locked keyring can wait forever for a
// password prompt nobody sees, and the tray must not hang with it.
const DefaultKeyringTimeout = 3 * time.Second

// KeyringBackend is an OS keyring, in go-keyring's shape.
type KeyringBackend interface {
	Set(service, user, secret string) error
	Get(service, user string) (string, error)
	Delete(service, user string) error
}

// Keyring is the OS keyring with a timeout on every call. A call that doesn't answer in
// time keeps running in its goroutine, but the caller gets ErrKeyringUnavailable at once;
// while such a call is still stuck, further calls fail fast instead of piling up.
type Keyring struct {
	backend KeyringBackend
	timeout time.Duration
	stuck   atomic.Int32 // calls that timed out and have not returned yet
}

// NewKeyring is the system keyring (Secret Service on Linux, Credential Manager on Windows,
// Keychain on macOS). timeout 0 means DefaultKeyringTimeout.
func NewKeyring(timeout time.Duration) *Keyring {
	return NewKeyringWith(systemKeyring{}, timeout)
}

// NewKeyringWith wraps any backend (tests: a fake that fails or hangs).
func NewKeyringWith(b KeyringBackend, timeout time.Duration) *Keyring {
	if timeout <= 0 {
		timeout = DefaultKeyringTimeout
	}
	return &Keyring{backend: b, timeout: timeout}
}

// Timeout is the limit on each call.
func (k *Keyring) Timeout() time.Duration { return k.timeout }

// Get reads a secret.
func (k *Keyring) Get(ctx context.Context, service, account string) (string, error) {
	var v string
	err := k.call(ctx, "read", func() error {
		var err error
		v, err = k.backend.Get(service, account)
		return err
	})
	if err != nil {
		return "", err
	}
	return v, nil
}

// Set stores a secret, replacing any old one.
func (k *Keyring) Set(ctx context.Context, service, account, secret string) error {
	return k.call(ctx, "write", func() error { return k.backend.Set(service, account, secret) })
}

// Delete removes a secret; ErrNotFound when there was none.
func (k *Keyring) Delete(ctx context.Context, service, account string) error {
	return k.call(ctx, "delete", func() error { return k.backend.Delete(service, account) })
}

func (k *Keyring) call(ctx context.Context, op string, f func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if k.stuck.Load() > 0 {
		return fmt.Errorf("%w: keyring %s: an earlier request is still unanswered", ErrKeyringUnavailable, op)
	}
	done := make(chan error, 1) // buffered: a call that returns late must not block its goroutine
	go func() {
		var err error
		defer func() {
			if r := recover(); r != nil { // a backend panic must not take the app down
				err = fmt.Errorf("keyring backend panicked: %v", r)
			}
			done <- err
		}()
		err = f()
	}()
	timer := time.NewTimer(k.timeout)
	defer timer.Stop()
	select {
	case err := <-done:
		return mapKeyringError(op, err)
	case <-ctx.Done():
		k.abandon(done)
		return ctx.Err()
	case <-timer.C:
		k.abandon(done)
		return fmt.Errorf("%w: no answer from the keyring within %s", ErrKeyringUnavailable, k.timeout)
	}
}

// abandon counts a call as stuck until it finally returns.
func (k *Keyring) abandon(done <-chan error) {
	k.stuck.Add(1)
	go func() {
		<-done
		k.stuck.Add(-1)
	}()
}

func mapKeyringError(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gokeyring.ErrNotFound), errors.Is(err, ErrNotFound):
		return ErrNotFound
	case errors.Is(err, gokeyring.ErrSetDataTooBig):
		return fmt.Errorf("%w: keyring %s: the secret is too big for this keyring", ErrKeyringUnavailable, op)
	case errors.Is(err, ErrKeyringUnavailable):
		return err
	}
	return fmt.Errorf("%w: keyring %s: %v", ErrKeyringUnavailable, op, err)
}

// systemKeyring is go-keyring.
type systemKeyring struct{}

func (systemKeyring) Set(s, u, p string) error {
	if err := keyringReachable(); err != nil {
		return err
	}
	return gokeyring.Set(s, u, p)
}

func (systemKeyring) Get(s, u string) (string, error) {
	if err := keyringReachable(); err != nil {
		return "", err
	}
	return gokeyring.Get(s, u)
}

func (systemKeyring) Delete(s, u string) error {
	if err := keyringReachable(); err != nil {
		return err
	}
	return gokeyring.Delete(s, u)
}

// sentinel is the type of store's error constants.
type sentinel string

func (e sentinel) Error() string { return string(e) }
