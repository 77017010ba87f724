package app

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"github.com/pimtray/pimtray/internal/cli"
)

func TestTemporaryBuild(t *testing.T) {
	t.Parallel()
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Skip(err)
	}
	for path, want := range map[string]bool{
		filepath.Join(os.TempDir(), "go-build123", "b001", "exe", "pimtray"):        true,
		filepath.Join(cache, "go-build", "ab", "pimtray"):                           true,
		filepath.Join(string(filepath.Separator), "usr", "local", "bin", "pimtray"): false,
		os.TempDir(): false,
	} {
		if got := temporaryBuild(path); got != want {
			t.Errorf("temporaryBuild(%s) = %v, want %v", path, got, want)
		}
	}
}

// The demo's Start at login is its own entry, started with --demo (and its speed).
func TestAutostartForTheDemo(t *testing.T) {
	t.Parallel()
	as, _, err := autostartFor(cli.Globals{Demo: true, DemoSpeed: 60})
	if err != nil {
		t.Fatal(err)
	}
	if as.AppName() != "pimtray-demo" {
		t.Errorf("entry %q", as.AppName())
	}
	if cmd := as.Command(); !slices.Equal(cmd[1:], []string{"--demo", "--demo-speed", "60"}) {
		t.Errorf("command %q", cmd)
	}
	real, _, _ := autostartFor(cli.Globals{})
	if real.AppName() != "pimtray" || len(real.Command()) != 1 {
		t.Errorf("real entry %q %q", real.AppName(), real.Command())
	}
}

// A test binary lives in a temporary folder, as go run's does: with a pimtray on PATH the
// entry points there; without one, a warning.
func TestAutostartUnderGoRun(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the installed binary is pimtray.exe")
	}
	exe, _ := os.Executable()
	exe, _ = filepath.EvalSymlinks(exe)
	if !temporaryBuild(exe) {
		t.Skipf("the test binary %s is not in a temporary folder", exe)
	}
	t.Setenv("PATH", t.TempDir())
	as, warn, _ := autostartFor(cli.Globals{})
	if warn == "" || as.Command()[0] != exe {
		t.Errorf("no warning for %q: %q", as.Command(), warn)
	}
	// A folder outside the temporary ones, for the installed binary.
	home, err := os.UserHomeDir()
	if err != nil {
		t.Skip(err)
	}
	bin, err := os.MkdirTemp(home, ".pimtray-test-bin-")
	if err != nil {
		t.Skip(err)
	}
	t.Cleanup(func() { os.RemoveAll(bin) })
	if err := os.WriteFile(filepath.Join(bin, "pimtray"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)
	as, warn, _ = autostartFor(cli.Globals{})
	if warn != "" || as.Command()[0] != filepath.Join(bin, "pimtray") {
		t.Errorf("with pimtray on PATH: %q, warning %q", as.Command(), warn)
	}
}
