package cli_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// files is every file under dir with its content: what a command left behind.
func files(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := os.ReadFile(path)
			out[path] = string(data)
		}
		return nil
	})
	return out
}

// TestHelpRunsNothing: `pimtray COMMAND --help` (or -h, anywhere after the command) prints
// that command's usage and exits 0; it sends nothing to Azure and changes no file — the
// command itself never runs ("activate --help" once activated the role).
func TestHelpRunsNothing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args  []string
		usage string // the usage line
	}{
		{[]string{"--help"}, "pimtray [flags]"},
		{[]string{"-h"}, "pimtray [flags]"},
		{[]string{"--demo", "--help"}, "pimtray [flags]"},
		{[]string{"list", "--help"}, "pimtray list [flags]"},
		{[]string{"list", "-h", "--active"}, "pimtray list [flags]"},
		{[]string{"--demo", "activate", "Security Reader", "--help"}, "pimtray activate ROLE [flags]"},
		{[]string{"activate", "Security Reader", "-h"}, "pimtray activate ROLE [flags]"},
		{[]string{"activate", "--help", "Owner", "--scope", "IT", "--reason", "x"}, "pimtray activate ROLE [flags]"},
		{[]string{"deactivate", "Owner", "--help"}, "pimtray deactivate ROLE [flags]"},
		{[]string{"status", "--help"}, "pimtray status [flags]"},
		{[]string{"status", "-h", "--json"}, "pimtray status [flags]"},
		{[]string{"signin", "--help"}, "pimtray signin [flags]"},
		{[]string{"signin", "--device-code", "-h"}, "pimtray signin [flags]"},
		{[]string{"--demo", "signout", "--help"}, "pimtray signout [flags]"},
		{[]string{"signout", "-h"}, "pimtray signout [flags]"},
		{[]string{"completion", "--help"}, "pimtray completion bash|zsh|fish|powershell [flags]"},
		{[]string{"help", "activate"}, "pimtray activate ROLE [flags]"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			w := newWorld(t)
			before := files(t, w.dir)
			r := w.run(tt.args...)
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("exit %d, stderr %q; want 0 and nothing", r.code, r.stderr)
			}
			if !strings.Contains(r.stdout, "Usage:\n  "+tt.usage+"\n") || !regexp.MustCompile(`(?m)^Flags:$`).MatchString(r.stdout) {
				t.Errorf("not the command's usage (%q):\n%s", tt.usage, r.stdout)
			}
			if reqs := w.fake.Requests(); len(reqs) != 0 {
				t.Errorf("--help sent %d requests, the first %s %s", len(reqs), reqs[0].Method, reqs[0].Path)
			}
			if after := files(t, w.dir); !equalFiles(before, after) {
				t.Errorf("--help changed files: before %v, after %v", keys(before), keys(after))
			}
		})
	}
	// The checks can fail: the same command without --help sends requests and the demo's
	// first command writes its favourites.
	w := newWorld(t)
	before := files(t, w.dir)
	if r := w.run("--demo", "activate", "Security Reader"); r.code != 0 || len(w.fake.Requests()) == 0 || len(w.activations()) != 1 {
		t.Fatalf("control: %+v, %d requests", r, len(w.fake.Requests()))
	}
	if equalFiles(before, files(t, w.dir)) {
		t.Fatal("control: the demo's first command changed no file")
	}
}

func equalFiles(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if bv, ok := b[k]; !ok || bv != v {
			return false
		}
	}
	return true
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, filepath.Base(k))
	}
	return out
}
