//go:build unix

package app

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/pimtray/pimtray/internal/cli"
	"github.com/pimtray/pimtray/internal/testkit/keyringtest"
	"github.com/pimtray/pimtray/store"
)

// Issue 12: a sealed sign-in file that is not a regular file stops a command (and the tray at
// its start) with one sentence naming the file, exit 2 — as a configuration or a state file
// that is not a file does — instead of counting as signed out with only a log line.
func TestSealedFileThatIsNotAFileIsBadInput(t *testing.T) {
	t.Parallel()
	const tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	for _, tt := range []struct {
		name, want string
		make       func(path string) error
	}{
		{"a named pipe", "is not a regular file (a named pipe)", func(p string) error { return syscall.Mkfifo(p, 0o600) }},
		{"a folder", "is not a regular file (a folder)", func(p string) error { return os.Mkdir(p, 0o700) }},
		{"a link to /dev/zero", "is not a regular file (a device)", func(p string) error { return os.Symlink("/dev/zero", p) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			a := &App{Paths: store.Paths{CacheDir: dir, KeyringService: "pimtray-test"},
				Keyring: store.NewKeyringWith(&keyringtest.Memory{}, 0), Log: slog.New(slog.DiscardHandler)}
			sealed, err := store.NewSealedCache(store.SealedCacheOptions{Keyring: a.Keyring, Service: "pimtray-test", Account: tenant, Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			if err := tt.make(sealed.File()); err != nil {
				t.Fatal(err)
			}
			_, err = msalBackend(context.Background(), a, Tenant{Config: store.TenantConfig{ID: tenant}})
			if err == nil || !cli.IsBadInput(err) {
				t.Fatalf("err = %v, want bad input (exit 2)", err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "the sign-in file ") || !strings.Contains(msg, "signin-"+tenant+".sealed "+tt.want) ||
				!strings.HasSuffix(msg, ".") || strings.Contains(msg, "\n") {
				t.Fatalf("not one sentence naming the file: %q", msg)
			}
		})
	}
}
