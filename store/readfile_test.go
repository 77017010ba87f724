//go:build unix

package store

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// Files that are not what pimtray wrote — a symlink to /dev/zero, a named pipe, a folder, a
// huge file — are refused in one sentence, without reading them (no OOM) and without
// waiting for a writer (no hang).
func TestReadFileRefusesWhatIsNotAnOrdinaryFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	zero := filepath.Join(dir, "zero.json")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.json")
	if err := os.WriteFile(big, make([]byte, 2048), 0o600); err != nil {
		t.Fatal(err)
	}
	ok := filepath.Join(dir, "ok.json")
	if err := os.WriteFile(ok, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path, want string
	}{
		{zero, "is not a regular file (a device)"},
		{fifo, "is not a regular file (a named pipe)"},
		{dir, "is not a regular file (a folder)"},
		{big, "is larger than 1024 bytes"},
	} {
		_, err := ReadFile(c.path, 1024)
		var fe *FileError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ReadFile(%s) = %v, want a FileError saying %q", filepath.Base(c.path), err, c.want)
		}
	}
	if data, err := ReadFile(ok, 1024); err != nil || string(data) != "{}" {
		t.Errorf("ReadFile(ok) = %q, %v", data, err)
	}
	if _, err := ReadFile(filepath.Join(dir, "missing"), 1024); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing file: %v, want fs.ErrNotExist", err)
	}
}

func TestLoadConfigRefusesDevZeroAndFIFO(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	zero := filepath.Join(dir, "config.json")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	_, err := LoadConfig(zero)
	var ce *ConfigError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "config.json: is not a regular file (a device)") {
		t.Fatalf("config linked to /dev/zero: %v", err)
	}
	fifo := filepath.Join(dir, "fifo.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(fifo); !errors.As(err, &ce) || !strings.Contains(err.Error(), "a named pipe") {
		t.Fatalf("config that is a FIFO: %v", err)
	}
	huge := filepath.Join(dir, "huge.json")
	if err := os.WriteFile(huge, make([]byte, MaxConfigSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(huge); !errors.As(err, &ce) || !strings.Contains(err.Error(), "larger than 1 MiB") {
		t.Fatalf("a 1 MiB+1 config: %v", err)
	}
}
