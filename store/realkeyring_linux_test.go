//go:build linux

package store

// Tests against the real Secret Service (gnome-keyring) on a private D-Bus session bus. Each
// runs its body in a child process (see keyringtest): go-keyring's D-Bus connection is cached
// per process, so every test needs a process of its own pointed at its own bus.

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"
	"github.com/pimtray/pimtray/internal/testkit/keyringtest"
)

const (
	envPhase = "PIMTRAY_TEST_PHASE"
	envDir   = "PIMTRAY_TEST_DIR"
	envPID   = "PIMTRAY_TEST_PID"
)

func TestRealKeyringSetGetDelete(t *testing.T) {
	t.Parallel()
	if !keyringtest.InChild() {
		kr := keyringtest.Start(t)
		keyringtest.RunInChild(t, kr.Environ()...)
		return
	}
	ctx := context.Background()
	k := NewKeyring(0)
	if _, err := k.Get(ctx, "pimtray-test", "acct"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("get before set: %v", err)
	}
	if err := k.Set(ctx, "pimtray-test", "acct", "value-1"); err != nil {
		t.Fatal(err)
	}
	if err := k.Set(ctx, "pimtray-test", "acct", "value-2"); err != nil { // replaces
		t.Fatal(err)
	}
	if v, err := k.Get(ctx, "pimtray-test", "acct"); err != nil || v != "value-2" {
		t.Fatalf("get = %q, %v", v, err)
	}
	if err := k.Delete(ctx, "pimtray-test", "acct"); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Get(ctx, "pimtray-test", "acct"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("get after delete: %v", err)
	}
}

func TestRealKeyringSealedCacheSurvivesARestart(t *testing.T) {
	t.Parallel()
	if !keyringtest.InChild() {
		kr := keyringtest.Start(t)
		dir := filepath.Join(t.TempDir(), "pimtray")
		keyringtest.RunInChild(t, append(kr.Environ(), envPhase+"=write", envDir+"="+dir)...)
		keyringtest.RunInChild(t, append(kr.Environ(), envPhase+"=read", envDir+"="+dir)...)
		// At rest: one sealed file, private, without the secret in it.
		entries, err := os.ReadDir(dir)
		if err != nil || len(entries) != 1 {
			t.Fatalf("files: %v, %v", entries, err)
		}
		path := filepath.Join(dir, entries[0].Name())
		assertMode(t, path, 0o600)
		assertMode(t, dir, 0o700)
		raw, _ := os.ReadFile(path)
		if bytes.Contains(raw, []byte(marker)) {
			t.Fatal("the secret is on disk in plaintext")
		}
		return
	}
	ctx := context.Background()
	c := newTestCache(t, NewKeyring(0), os.Getenv(envDir), "72f988bf-86f1-41af-91ab-2d7cd011db47", nil)
	switch os.Getenv(envPhase) {
	case "write":
		if err := c.Replace(ctx, &blob{}, cache.ReplaceHints{}); err != nil {
			t.Fatal(err)
		}
		if err := c.Export(ctx, &blob{data: secretCache()}, cache.ExportHints{}); err != nil {
			t.Fatal(err)
		}
	case "read":
		got := &blob{}
		if err := c.Replace(ctx, got, cache.ReplaceHints{}); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.data, secretCache()) {
			t.Fatalf("the new process got %q", got.data)
		}
	default:
		t.Fatal("no phase")
	}
	if c.Storage() != StorageKeyring || c.Warning() != "" {
		t.Fatalf("storage %q, warning %q", c.Storage(), c.Warning())
	}
}

func TestRealKeyringNoSecretServiceMeansMemory(t *testing.T) {
	t.Parallel()
	if !keyringtest.InChild() {
		bus := keyringtest.StartBus(t) // a bus, but nobody owns org.freedesktop.secrets
		keyringtest.RunInChild(t, append(bus.Environ(), envDir+"="+t.TempDir())...)
		return
	}
	assertMemoryWithinSeconds(t, NewKeyring(0))
}

func TestRealKeyringNoBusMeansMemory(t *testing.T) {
	t.Parallel()
	if !keyringtest.InChild() {
		dead := filepath.Join(t.TempDir(), "no-bus")
		keyringtest.RunInChild(t, "DBUS_SESSION_BUS_ADDRESS=unix:path="+dead, envDir+"="+t.TempDir())
		return
	}
	assertMemoryWithinSeconds(t, NewKeyring(0))
}

func TestRealKeyringBusKilledMidRunMeansMemory(t *testing.T) {
	t.Parallel()
	if !keyringtest.InChild() {
		kr := keyringtest.Start(t)
		keyringtest.RunInChild(t, append(kr.Environ(), envDir+"="+t.TempDir(), envPID+"="+strconv.Itoa(kr.BusPID()))...)
		return
	}
	ctx := context.Background()
	k := NewKeyring(0)
	if err := k.Set(ctx, "pimtray-test", "acct", "v"); err != nil {
		t.Fatalf("before the bus dies: %v", err)
	}
	pid, _ := strconv.Atoi(os.Getenv(envPID))
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	assertMemoryWithinSeconds(t, k)
}

func TestRealKeyringHungSecretServiceTimesOut(t *testing.T) {
	t.Parallel()
	if !keyringtest.InChild() {
		bus := keyringtest.StartBus(t)
		bus.HangSecretService(t)
		keyringtest.RunInChild(t, append(bus.Environ(), envDir+"="+t.TempDir())...)
		return
	}
	const timeout = 500 * time.Millisecond
	k := NewKeyring(timeout)
	// The Secret Service hangs until the test ends: the call returns by the keyring's own
	// time-out (it says so), not by the wall clock of a loaded machine.
	_, err := k.Get(context.Background(), "pimtray-test", "acct")
	if !errors.Is(err, ErrKeyringUnavailable) || !strings.Contains(err.Error(), "no answer from the keyring within 500ms") {
		t.Fatalf("got %v, want the keyring's time-out", err)
	}
	assertMemoryWithinSeconds(t, k)
}

// assertMemoryWithinSeconds: a sign-in cache on this keyring falls back to memory with the
// warning, and writes nothing to disk. (Quickly: a keyring that hangs would hold it until the
// test's deadline; no wall-clock bound on a loaded machine.)
func assertMemoryWithinSeconds(t *testing.T, k *Keyring) {
	t.Helper()
	ctx := context.Background()
	dir := os.Getenv(envDir)
	c := newTestCache(t, k, dir, "tenant-a", nil)
	if err := c.Replace(ctx, &blob{}, cache.ReplaceHints{}); err != nil {
		t.Fatal(err)
	}
	if err := c.Export(ctx, &blob{data: secretCache()}, cache.ExportHints{}); err != nil {
		t.Fatal(err)
	}
	got := &blob{}
	if err := c.Replace(ctx, got, cache.ReplaceHints{}); err != nil || !bytes.Equal(got.data, secretCache()) {
		t.Fatalf("memory round trip: %q, %v", got.data, err)
	}
	if c.Storage() != StorageMemory || c.Warning() != WarningKeyringUnavailable {
		t.Fatalf("storage %q, warning %q", c.Storage(), c.Warning())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("wrote files without a keyring: %v", entries)
	}
}
