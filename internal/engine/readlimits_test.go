//go:build unix

package engine

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pimtray/pimtray/internal/testkit/clocktest"
	"github.com/pimtray/pimtray/store"
)

// A state file that is not one pimtray wrote (a device, a named pipe) stops New with one
// sentence (the command line exits 2 on an InputError), instead of reading /dev/zero until
// memory runs out or waiting forever on a pipe.
func TestStateFileThatIsNotAFileIsRefused(t *testing.T) {
	dir := t.TempDir()
	zero := filepath.Join(dir, "zero.json")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{zero: "(a device)", fifo: "(a named pipe)"} {
		_, err := New(Options{Clock: clocktest.NewFake(time.Unix(1e9, 0)), Config: store.DefaultConfig(), StateFile: path,
			Tenants: []TenantBackend{{ID: tenantA, API: newFakeAPI(time.Now)}}})
		if !IsInput(err) || !strings.Contains(err.Error(), want) || strings.Count(err.Error(), ".") > 2 {
			t.Errorf("state file %s: %v, want one sentence saying %s", filepath.Base(path), err, want)
		}
	}
}
