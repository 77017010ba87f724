package tray

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestAcquireSingleInstance(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "pimtray") // created when missing
	release, err := AcquireSingleInstance(dir)
	if err != nil {
		t.Fatalf("first tray: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(dir, lockFileName))
	if err != nil || strings.TrimSpace(string(b)) != strconv.Itoa(os.Getpid()) {
		t.Errorf("lock file holds %q (%v), want this process id", b, err)
	}

	_, err = AcquireSingleInstance(dir)
	if !errors.Is(err, ErrAlreadyRunning) {
		t.Fatalf("second tray: err = %v, want ErrAlreadyRunning", err)
	}
	if err.Error() != "pimtray is already running in the tray" {
		t.Errorf("message = %q", err)
	}

	release()
	release() // harmless
	again, err := AcquireSingleInstance(dir)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	again()
}

func TestAcquireSingleInstanceBadDir(t *testing.T) {
	file := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := AcquireSingleInstance(file)
	if err == nil || errors.Is(err, ErrAlreadyRunning) {
		t.Fatalf("err = %v, want a failure that is not ErrAlreadyRunning", err)
	}
}
