//go:build unix

package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// Issue 12 item 2: a configuration that is a symlink to /dev/zero or a named pipe is one
// sentence and exit 2 — before, /dev/zero grew the process until the kernel killed it, and a
// pipe hung forever. The same for the state file, which the command line only reads.
func TestFilesThatAreNotFilesAreOneSentenceAndExit2(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, want string
		make       func(w *world) error
	}{
		{"config linked to /dev/zero", "is not a regular file (a device)", func(w *world) error {
			os.Remove(w.config)
			return os.Symlink("/dev/zero", w.config)
		}},
		{"config a named pipe", "is not a regular file (a named pipe)", func(w *world) error {
			os.Remove(w.config)
			return syscall.Mkfifo(w.config, 0o600)
		}},
		{"state file linked to /dev/zero", "is not a regular file (a device)", func(w *world) error {
			if err := os.MkdirAll(filepath.Dir(w.state), 0o700); err != nil {
				return err
			}
			return os.Symlink("/dev/zero", w.state)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			if err := c.make(w); err != nil {
				t.Fatal(err)
			}
			r := w.run("status")
			if r.code != 2 || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, c.want) || r.stdout != "" {
				t.Fatalf("exit %d\nstdout %q\nstderr %q", r.code, r.stdout, r.stderr)
			}
			if n := len(w.fake.Requests()); n != 0 {
				t.Errorf("%d requests sent", n)
			}
		})
	}
}
