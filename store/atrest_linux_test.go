//go:build linux

package store

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

// Files at rest (issue 7): configuration and state writes are atomic — a failed write leaves
// the old file whole and no partial or temporary file, the temporary file lives in the same
// folder (so the rename is atomic) — and an unusable configuration is kept aside with a
// clear message instead of being overwritten.

// bigConfig is a configuration much larger than limit bytes once written.
func bigConfig(limit int) *Config {
	c := DefaultConfig()
	for i := 0; len(c.Favourites)*120 < 4*limit; i++ {
		c.Favourites = append(c.Favourites, Favourite{Key: "azure|t|role|/subscriptions/" + strings.Repeat("x", 40),
			Plane: "azure", Role: "Contributor", Justification: "a reason long enough to take some room"})
	}
	return c
}

// withFileSizeLimit runs f with RLIMIT_FSIZE at limit bytes: a write beyond it fails with
// EFBIG half-way (the Go runtime ignores SIGXFSZ), as a full disk would.
func withFileSizeLimit(t *testing.T, limit uint64, f func()) {
	t.Helper()
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Skipf("getrlimit: %v", err)
	}
	lim := syscall.Rlimit{Cur: limit, Max: old.Max}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		t.Skipf("setrlimit: %v", err)
	}
	defer func() {
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
			t.Fatalf("restore the file size limit: %v", err)
		}
	}()
	f()
}

func TestFailedWritesLeaveTheOldFileWhole(t *testing.T) {
	const limit = 2048
	writers := []struct {
		name  string
		file  string
		write func(path string) error
	}{
		{"configuration", "config.json", func(p string) error { return SaveConfig(p, bigConfig(limit)) }},
		{"state", "state.json", func(p string) error {
			return WriteFileAtomic(p, []byte(strings.Repeat("s", 4*limit))) // the engine's last known state
		}},
	}
	for _, w := range writers {
		t.Run(w.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "pimtray")
			path := filepath.Join(dir, w.file)
			var err error
			if w.file == "config.json" {
				err = SaveConfig(path, DefaultConfig())
			} else {
				err = WriteFileAtomic(path, []byte(`{"small": "v"}`))
			}
			if err != nil {
				t.Fatal(err)
			}
			before, _ := os.ReadFile(path)
			withFileSizeLimit(t, limit, func() { err = w.write(path) })
			if err == nil {
				t.Fatal("a write past the file size limit succeeded")
			}
			if !errors.Is(err, syscall.EFBIG) {
				t.Fatalf("the write failed for another reason than the limit: %v", err)
			}
			if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, w.file) {
				t.Errorf("message %q: want one line naming the file", msg)
			}
			after, _ := os.ReadFile(path)
			if !bytes.Equal(before, after) {
				t.Fatalf("the failed write changed the file:\n%s", after)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 {
				var names []string
				for _, e := range entries {
					names = append(names, e.Name())
				}
				t.Fatalf("files left in the folder: %v (a partial or temporary file)", names)
			}
			if w.file == "config.json" {
				if _, err := LoadConfig(path); err != nil {
					t.Fatalf("the old configuration no longer loads: %v", err)
				}
			}
		})
	}
}

// inotifyEvents watches dir and returns a function that stops and tells what happened:
// "create NAME", "moved_from NAME", "moved_to NAME", "delete NAME".
func inotifyEvents(t *testing.T, dir string) func() []string {
	t.Helper()
	fd, err := syscall.InotifyInit1(syscall.IN_NONBLOCK | syscall.IN_CLOEXEC)
	if err != nil {
		t.Skipf("inotify: %v", err)
	}
	if _, err := syscall.InotifyAddWatch(fd, dir, syscall.IN_CREATE|syscall.IN_MOVED_FROM|syscall.IN_MOVED_TO|syscall.IN_DELETE); err != nil {
		syscall.Close(fd)
		t.Skipf("inotify watch: %v", err)
	}
	return func() []string {
		defer syscall.Close(fd)
		var out []string
		buf := make([]byte, 64<<10)
		n, _ := syscall.Read(fd, buf)
		for off := 0; n > 0 && off+syscall.SizeofInotifyEvent <= n; {
			ev := (*syscall.InotifyEvent)(unsafe.Pointer(&buf[off]))
			name := string(bytes.TrimRight(buf[off+syscall.SizeofInotifyEvent:off+syscall.SizeofInotifyEvent+int(ev.Len)], "\x00"))
			kind := "other"
			switch {
			case ev.Mask&syscall.IN_CREATE != 0:
				kind = "create"
			case ev.Mask&syscall.IN_MOVED_FROM != 0:
				kind = "moved_from"
			case ev.Mask&syscall.IN_MOVED_TO != 0:
				kind = "moved_to"
			case ev.Mask&syscall.IN_DELETE != 0:
				kind = "delete"
			}
			out = append(out, kind+" "+name)
			off += syscall.SizeofInotifyEvent + int(ev.Len)
		}
		return out
	}
}

func TestSaveConfigWritesATemporaryFileInTheSameFolderAndRenamesIt(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "pimtray")
	path := filepath.Join(dir, "config.json")
	if err := SaveConfig(path, DefaultConfig()); err != nil {
		t.Fatal(err)
	}
	stop := inotifyEvents(t, dir)
	c := DefaultConfig()
	c.LogLevel = "debug"
	if err := SaveConfig(path, c); err != nil {
		t.Fatal(err)
	}
	events := stop()
	if len(events) != 3 || !strings.HasPrefix(events[0], "create .config.json.tmp-") ||
		events[1] != "moved_from "+strings.TrimPrefix(events[0], "create ") || events[2] != "moved_to config.json" {
		t.Fatalf("events in the folder: %q; want a temporary file created there, then renamed over config.json", events)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("config.json: %v %v, want 0600", fi, err)
	}
}

func TestUnusableConfigIsKeptAsideWithAClearMessage(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"half written":      "{\n  \"favourites\": [\n    {\"key\": \"entra|t|r|/\", \"plane\": \"entra\", \"role\": \"Glo",
		"binary garbage":    "\x00\x01\x02\xff\xfe{{{",
		"not an object":     "[\"entra\"]\n",
		"wrong type":        "{\n  \"reminders\": \"15m\"\n}\n",
		"unknown field":     "{\n  \"favorites\": []\n}\n",
		"bad duration":      "{\n  \"refreshInterval\": \"five minutes\"\n}\n",
		"trailing garbage":  "{}\n}\n",
		"nul in the middle": "{\"logLevel\": \"de\x00bug\"}",
	}
	for name, content := range cases {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "pimtray")
			if err := os.MkdirAll(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "config.json")
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			c, err := LoadConfig(path)
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("LoadConfig: %v, want a *ConfigError", err)
			}
			msg := err.Error()
			if strings.ContainsAny(msg, "\n\x00") || !strings.HasPrefix(msg, "config ") || !strings.Contains(msg, "config.json") {
				t.Errorf("message %q: want one line naming the file", msg)
			}
			for _, internal := range []string{"*store.", "reflect", "json: cannot", "goroutine", "%!"} {
				if strings.Contains(msg, internal) {
					t.Errorf("message %q shows %q", msg, internal)
				}
			}
			if c == nil || c.DefaultDuration.D() != DefaultDuration {
				t.Fatalf("LoadConfig should give the defaults to run with, got %+v", c)
			}
			// A save (a favourite starred in the tray) keeps the user's file aside, byte for byte.
			c.LogLevel = "debug"
			aside, err := SaveConfigKeepAside(path, c)
			if err != nil {
				t.Fatal(err)
			}
			if filepath.Dir(aside) != dir || !strings.HasPrefix(filepath.Base(aside), "config.json.corrupt-") {
				t.Fatalf("kept aside as %q", aside)
			}
			if kept, _ := os.ReadFile(aside); string(kept) != content {
				t.Fatalf("the kept file differs from the user's: %q", kept)
			}
			if fi, err := os.Stat(aside); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("kept-aside file: %v %v, want 0600", fi, err)
			}
			back, err := LoadConfig(path)
			if err != nil || back.LogLevel != "debug" {
				t.Fatalf("the new file: %+v, %v", back, err)
			}
			// The next save has nothing to keep aside.
			if again, err := SaveConfigKeepAside(path, back); err != nil || again != "" {
				t.Fatalf("second save kept %q aside (%v)", again, err)
			}
		})
	}
}
