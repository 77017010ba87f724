//go:build unix && !darwin

package opener

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tools makes a folder the whole PATH, with a script per tool: name → its body. Each
// script appends "name args…" to the returned log file.
func tools(t *testing.T, scripts map[string]string) (logFile string) {
	t.Helper()
	dir := t.TempDir()
	logFile = filepath.Join(dir, "calls")
	for name, body := range scripts {
		s := "#!/bin/sh\necho \"" + name + " $*\" >> '" + logFile + "'\n" + body + "\n"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", dir)
	t.Setenv("VISUAL", "")
	t.Setenv("EDITOR", "")
	return logFile
}

// calls are the tools' calls once there are want of them (an editor is started, not
// waited for: its script may write a moment later).
func calls(t *testing.T, logFile string, want int) []string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, _ := os.ReadFile(logFile)
		var got []string
		if s := strings.TrimSpace(string(b)); s != "" {
			got = strings.Split(s, "\n")
		}
		if len(got) >= want || time.Now().After(deadline) {
			return got
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func aFile(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(p, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestXdgOpenWorks(t *testing.T) {
	log := tools(t, map[string]string{"xdg-open": "exit 0", "mousepad": "exit 0"})
	p := aFile(t)
	if err := New().Open(p); err != nil {
		t.Fatal(err)
	}
	if got := calls(t, log, 1); len(got) != 1 || got[0] != "xdg-open "+p {
		t.Fatalf("calls = %q", got)
	}
}

// Xfce without a JSON handler: xdg-open exits 4. A text editor opens it instead.
func TestXdgOpenFailsAnEditorOpensIt(t *testing.T) {
	log := tools(t, map[string]string{"xdg-open": "exit 4", "mousepad": "exit 0"})
	p := aFile(t)
	if err := New().Open(p); err != nil {
		t.Fatal(err)
	}
	got := calls(t, log, 2)
	if len(got) != 2 || got[0] != "xdg-open "+p || got[1] != "mousepad "+p {
		t.Fatalf("calls = %q", got)
	}
}

func TestEditorInATerminal(t *testing.T) {
	log := tools(t, map[string]string{"xdg-open": "exit 4", "xterm": "exit 0"})
	t.Setenv("EDITOR", "vim -n")
	p := aFile(t)
	if err := New().Open(p); err != nil {
		t.Fatal(err)
	}
	if got := calls(t, log, 2); len(got) != 2 || got[1] != "xterm -e vim -n "+p {
		t.Fatalf("calls = %q", got)
	}
}

func TestTheFolderAsTheLastResort(t *testing.T) {
	log := tools(t, map[string]string{"xdg-open": `case "$1" in *.json) exit 4;; esac; exit 0`})
	p := aFile(t)
	if err := New().Open(p); err != nil {
		t.Fatal(err)
	}
	if got := calls(t, log, 2); len(got) != 2 || got[1] != "xdg-open "+filepath.Dir(p) {
		t.Fatalf("calls = %q", got)
	}
}

func TestNothingWorksSaysWhatWasTriedAndWhereTheFileIs(t *testing.T) {
	tools(t, map[string]string{"xdg-open": "echo 'no method available for opening' >&2; exit 3"})
	p := aFile(t)
	err := New().Open(p)
	want := "could not open " + p + " (xdg-open: exit status 3 (no method available for opening); xdg-open: exit status 3 (no method available for opening)); open it by hand"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
	tools(t, nil)
	if err := New().Open(p); err == nil || err.Error() != "no program to open "+p+" was found; open it by hand" {
		t.Fatalf("err = %v", err)
	}
}
