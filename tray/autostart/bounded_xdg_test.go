//go:build !windows && !darwin

package autostart

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// An autostart entry that is a named pipe (or a device) is "not enabled", read without
// waiting for a writer and without reading a device dry (issue 12: bounded reads).
func TestAnEntryThatIsAPipeIsNotEnabledAndDoesNotHang(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	a := New("pimtray", "/usr/bin/pimtray", nil)
	path, err := a.Path()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan bool, 1)
	go func() { done <- a.Enabled() }()
	if <-done {
		t.Fatal("a named pipe counted as an enabled entry")
	}
}
