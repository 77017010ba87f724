package store

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"
)

const marker = "PIMTRAY-FAKE-SECRET"

// blob is a stand-in for MSAL's cache: it marshals to its content and takes what it is given.
type blob struct {
	data     []byte
	replaced int
}

func (b *blob) Marshal() ([]byte, error) { return b.data, nil }
func (b *blob) Unmarshal(d []byte) error {
	b.data = append([]byte(nil), d...)
	b.replaced++
	return nil
}

var _ cache.ExportReplace = (*SealedCache)(nil)

func newTestCache(t *testing.T, kr *Keyring, dir, account string, log *slog.Logger) *SealedCache {
	t.Helper()
	c, err := NewSealedCache(SealedCacheOptions{Keyring: kr, Service: "pimtray-test", Account: account, Dir: dir, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func secretCache() []byte {
	return []byte(`{"RefreshToken":{"k":{"secret":"rt-` + marker + `-0123456789"}},"AccessToken":{"k":{"secret":"at-` + marker + `"}}}`)
}

func TestSealedCacheRoundTripAcrossInstances(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "cache")
	kr := NewMemoryKeyring()

	first := newTestCache(t, kr, dir, "tenant-a", nil)
	if err := first.Replace(ctx, &blob{}, cache.ReplaceHints{}); err != nil { // nothing stored yet
		t.Fatal(err)
	}
	if err := first.Export(ctx, &blob{data: secretCache()}, cache.ExportHints{}); err != nil {
		t.Fatal(err)
	}
	if first.Storage() != StorageKeyring || first.Warning() != "" {
		t.Fatalf("storage %q, warning %q", first.Storage(), first.Warning())
	}

	// A new "process": a new SealedCache on the same keyring and folder.
	second := newTestCache(t, kr, dir, "tenant-a", nil)
	got := &blob{}
	if err := second.Replace(ctx, got, cache.ReplaceHints{}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.data, secretCache()) {
		t.Fatalf("replaced with %q", got.data)
	}

	// On disk: 0600 in 0700, sealed, no plaintext.
	assertMode(t, second.File(), 0o600)
	assertMode(t, dir, 0o700)
	raw, err := os.ReadFile(second.File())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(marker)) || bytes.Contains(raw, []byte("RefreshToken")) {
		t.Fatal("the sealed file holds plaintext")
	}
	// The key in the keyring is 32 random bytes as base64: 44 bytes, within every keyring's limit.
	key, err := kr.Get(ctx, "pimtray-test", "tenant-a")
	if err != nil || len(key) != 44 {
		t.Fatalf("key %d bytes, %v", len(key), err)
	}
	if raw, _ := base64.StdEncoding.DecodeString(key); len(raw) != 32 {
		t.Fatalf("key decodes to %d bytes", len(raw))
	}
}

func TestSealedCacheNothingUsableMeansSignedOut(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name  string
		spoil func(t *testing.T, kr *Keyring, c *SealedCache)
	}{
		{"key missing", func(t *testing.T, kr *Keyring, c *SealedCache) {
			if err := kr.Delete(ctx, "pimtray-test", "tenant-a"); err != nil {
				t.Fatal(err)
			}
		}},
		{"key damaged", func(t *testing.T, kr *Keyring, c *SealedCache) {
			if err := kr.Set(ctx, "pimtray-test", "tenant-a", "not base64 !"); err != nil {
				t.Fatal(err)
			}
		}},
		{"another key", func(t *testing.T, kr *Keyring, c *SealedCache) {
			if err := kr.Set(ctx, "pimtray-test", "tenant-a", base64.StdEncoding.EncodeToString(make([]byte, 32))); err != nil {
				t.Fatal(err)
			}
		}},
		{"file changed", func(t *testing.T, kr *Keyring, c *SealedCache) {
			raw, _ := os.ReadFile(c.File())
			raw[len(raw)-1] ^= 1
			if err := os.WriteFile(c.File(), raw, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"file truncated", func(t *testing.T, kr *Keyring, c *SealedCache) {
			if err := os.WriteFile(c.File(), []byte("PTS1"), 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"file garbage", func(t *testing.T, kr *Keyring, c *SealedCache) {
			if err := os.WriteFile(c.File(), []byte("{\"plain\": true}"), 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"file missing", func(t *testing.T, kr *Keyring, c *SealedCache) {
			if err := os.Remove(c.File()); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			kr := NewMemoryKeyring()
			c := newTestCache(t, kr, dir, "tenant-a", nil)
			if err := c.Export(ctx, &blob{data: secretCache()}, cache.ExportHints{}); err != nil {
				t.Fatal(err)
			}
			tt.spoil(t, kr, c)
			fresh := newTestCache(t, kr, dir, "tenant-a", nil)
			got := &blob{}
			if err := fresh.Replace(ctx, got, cache.ReplaceHints{}); err != nil {
				t.Fatalf("replace must not fail: %v", err)
			}
			if got.replaced != 0 || got.data != nil {
				t.Fatalf("expected signed out (cache untouched), got %q", got.data)
			}
			if fresh.Storage() != StorageKeyring {
				t.Errorf("storage = %q", fresh.Storage())
			}
		})
	}
}

func TestSealedCacheFileIsBoundToItsAccount(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	kr := NewMemoryKeyring()
	a := newTestCache(t, kr, dir, "tenant-a", nil)
	b := newTestCache(t, kr, dir, "tenant-b", nil)
	if err := a.Export(ctx, &blob{data: []byte("A")}, cache.ExportHints{}); err != nil {
		t.Fatal(err)
	}
	if err := b.Export(ctx, &blob{data: []byte("B")}, cache.ExportHints{}); err != nil {
		t.Fatal(err)
	}
	// Same key for both, and b's file copied over a's: the associated data refuses it.
	key, _ := kr.Get(ctx, "pimtray-test", "tenant-b")
	if err := kr.Set(ctx, "pimtray-test", "tenant-a", key); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(b.File())
	if err := os.WriteFile(a.File(), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	got := &blob{}
	if err := newTestCache(t, kr, dir, "tenant-a", nil).Replace(ctx, got, cache.ReplaceHints{}); err != nil {
		t.Fatal(err)
	}
	if got.data != nil {
		t.Fatalf("opened another account's file: %q", got.data)
	}
}

func TestSealedCacheKeyringUnavailableKeepsMemoryAndWarns(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	kr := NewKeyringWith(&fakeBackend{err: errors.New("no secret service")}, time.Second)
	c := newTestCache(t, kr, dir, "tenant-a", log)

	if err := c.Replace(ctx, &blob{}, cache.ReplaceHints{}); err != nil {
		t.Fatal(err)
	}
	if c.Storage() != StorageMemory || c.Warning() != "not remembered: keyring unavailable" {
		t.Fatalf("storage %q, warning %q", c.Storage(), c.Warning())
	}
	if err := c.Export(ctx, &blob{data: secretCache()}, cache.ExportHints{}); err != nil {
		t.Fatalf("export must swallow persistence failures: %v", err)
	}
	got := &blob{}
	if err := c.Replace(ctx, got, cache.ReplaceHints{}); err != nil || !bytes.Equal(got.data, secretCache()) {
		t.Fatalf("memory round trip: %q, %v", got.data, err)
	}
	// Never a plaintext fallback: no file at all.
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("files written without a keyring: %v", entries)
	}
	if strings.Contains(logs.String(), marker) {
		t.Fatal("a secret reached the log")
	}
	if !strings.Contains(logs.String(), "keyring unavailable") {
		t.Errorf("the switch to memory should be logged:\n%s", logs.String())
	}
}

func TestSealedCacheHungKeyringReturnsWithinTheTimeout(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	release := make(chan struct{})
	defer close(release)
	kr := NewKeyringWith(&fakeBackend{block: release}, 200*time.Millisecond)
	c := newTestCache(t, kr, t.TempDir(), "tenant-a", nil)
	// The keyring hangs until the test ends: that Export and Replace return at all is the proof.
	if err := c.Export(ctx, &blob{data: []byte("x")}, cache.ExportHints{}); err != nil {
		t.Fatal(err)
	}
	if err := c.Replace(ctx, &blob{}, cache.ReplaceHints{}); err != nil {
		t.Fatal(err)
	}
	if c.Storage() != StorageMemory {
		t.Fatalf("storage = %q", c.Storage())
	}
}

func TestSealedCacheUnwritableFolderKeepsMemory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	parent := t.TempDir()
	dir := filepath.Join(parent, "cache")
	if err := os.WriteFile(dir, []byte("not a folder"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := newTestCache(t, NewMemoryKeyring(), dir, "tenant-a", nil)
	if err := c.Export(ctx, &blob{data: secretCache()}, cache.ExportHints{}); err != nil {
		t.Fatalf("export must swallow persistence failures: %v", err)
	}
	if c.Storage() != StorageMemory || !strings.HasPrefix(c.Warning(), "not remembered: cannot write") {
		t.Fatalf("storage %q, warning %q", c.Storage(), c.Warning())
	}
	got := &blob{}
	if err := c.Replace(ctx, got, cache.ReplaceHints{}); err != nil || !bytes.Equal(got.data, secretCache()) {
		t.Fatalf("memory round trip: %q, %v", got.data, err)
	}
}

func TestSealedCacheDeleteForgetsKeyAndFile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	backend := &MemoryKeyringBackend{}
	kr := NewKeyringWith(backend, 0)
	c := newTestCache(t, kr, dir, "tenant-a", nil)
	if err := c.Export(ctx, &blob{data: secretCache()}, cache.ExportHints{}); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(c.File()); !os.IsNotExist(err) {
		t.Errorf("file still there: %v", err)
	}
	if backend.Len() != 0 {
		t.Errorf("key still in the keyring")
	}
	if err := c.Delete(ctx); err != nil {
		t.Errorf("deleting twice: %v", err)
	}
	got := &blob{}
	if err := newTestCache(t, kr, dir, "tenant-a", nil).Replace(ctx, got, cache.ReplaceHints{}); err != nil || got.data != nil {
		t.Fatalf("after delete: %q, %v", got.data, err)
	}
}

func TestSealedCacheReadsAKeyRenewedByAnotherProcess(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	kr := NewMemoryKeyring()
	tray := newTestCache(t, kr, dir, "tenant-a", nil)
	if err := tray.Export(ctx, &blob{data: []byte("old")}, cache.ExportHints{}); err != nil {
		t.Fatal(err)
	}
	// The CLI signs out and in again: a new key, a new file.
	cli := newTestCache(t, kr, dir, "tenant-a", nil)
	if err := cli.Delete(ctx); err != nil {
		t.Fatal(err)
	}
	if err := cli.Export(ctx, &blob{data: []byte("new")}, cache.ExportHints{}); err != nil {
		t.Fatal(err)
	}
	got := &blob{}
	if err := tray.Replace(ctx, got, cache.ReplaceHints{}); err != nil || string(got.data) != "new" {
		t.Fatalf("tray sees %q, %v", got.data, err)
	}
}

func TestSealedCacheCancelledContextIsReturned(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	defer close(release)
	b := &fakeBackend{block: release, started: make(chan struct{}, 1)}
	c := newTestCache(t, NewKeyringWith(b, time.Minute), t.TempDir(), "tenant-a", nil)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-b.started; cancel() }()
	if err := c.Replace(ctx, &blob{}, cache.ReplaceHints{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
	if c.Storage() != StorageKeyring {
		t.Error("the caller's cancellation is not a keyring failure")
	}
}

func TestFileSafe(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"72f988bf-86f1-41af-91ab-2d7cd011db47": "72f988bf-86f1-41af-91ab-2d7cd011db47",
		"contoso.onmicrosoft.com":              "contoso.onmicrosoft.com",
	} {
		if got := fileSafe(in); got != want {
			t.Errorf("fileSafe(%q) = %q", in, got)
		}
	}
	a, b := fileSafe("a/b"), fileSafe("a:b")
	if a == b || strings.ContainsAny(a+b, `/\:`) {
		t.Errorf("unsafe or colliding: %q %q", a, b)
	}
	if got := fileSafe("../x"); strings.Contains(got, "/") || strings.HasPrefix(got, ".") {
		t.Errorf("fileSafe(../x) = %q", got)
	}
}

func TestNewSealedCacheNeedsNames(t *testing.T) {
	t.Parallel()
	if _, err := NewSealedCache(SealedCacheOptions{Keyring: NewMemoryKeyring(), Dir: t.TempDir()}); err == nil {
		t.Fatal("want an error")
	}
	c, err := NewSealedCache(SealedCacheOptions{Service: "s", Account: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Storage() != StorageMemory || c.Warning() == "" {
		t.Errorf("no keyring: storage %q warning %q", c.Storage(), c.Warning())
	}
}
