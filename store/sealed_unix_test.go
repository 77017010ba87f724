//go:build unix

package store

import (
	"context"
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"
)

// Issue 12: a sealed sign-in file that is not a regular file (a folder, a named pipe, a link to
// /dev/zero) or is too large is not a silent sign-out: Check (what commands ask at start) and
// Replace (what MSAL asks) say in one sentence which file and why, without reading it or
// blocking on it, and without asking the keyring.
func TestSealedCacheFileThatIsNotAFileIsSaid(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tt := range []struct {
		name, want string
		make       func(path string) error
	}{
		{"a folder", "is not a regular file (a folder)", func(p string) error { return os.Mkdir(p, 0o700) }},
		{"a named pipe", "is not a regular file (a named pipe)", func(p string) error { return syscall.Mkfifo(p, 0o600) }},
		{"a link to /dev/zero", "is not a regular file (a device)", func(p string) error { return os.Symlink("/dev/zero", p) }},
		{"too large", "is larger than 4 MiB", func(p string) error {
			f, err := os.Create(p)
			if err != nil {
				return err
			}
			defer f.Close()
			return f.Truncate(MaxSealedSize + 1) // sparse
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			kr := NewMemoryKeyring()
			c := newTestCache(t, kr, dir, "tenant-a", nil)
			if err := tt.make(c.File()); err != nil {
				t.Fatal(err)
			}
			want := "the sign-in file " + displayPath(c.File()) + " " + tt.want
			err := c.Check()
			if err == nil || !strings.HasPrefix(err.Error(), want) || !IsFileError(err) {
				t.Fatalf("Check: %v, want %q…", err, want)
			}
			var marked interface{ UnusableFile() bool }
			if !errors.As(err, &marked) || !marked.UnusableFile() {
				t.Errorf("Check's error is not marked unusable: %T", err)
			}
			got := &blob{}
			if err := c.Replace(ctx, got, cache.ReplaceHints{}); err == nil || !strings.HasPrefix(err.Error(), want) {
				t.Fatalf("Replace: %v (a silent sign-out), want %q…", err, want)
			}
			if got.replaced != 0 {
				t.Error("Replace loaded something")
			}
		})
	}
	// A regular file, or none, is for Replace to judge: Check says nothing.
	dir := t.TempDir()
	c := newTestCache(t, NewMemoryKeyring(), dir, "tenant-a", nil)
	if err := c.Check(); err != nil {
		t.Fatalf("no file: %v", err)
	}
	if err := c.Export(ctx, &blob{data: secretCache()}, cache.ExportHints{}); err != nil {
		t.Fatal(err)
	}
	if err := c.Check(); err != nil {
		t.Fatalf("a sealed file: %v", err)
	}
}
