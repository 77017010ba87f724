// Package vectors finds the shared PIM test vectors (official Azure example payloads and
// observed error bodies) that live beside the repository in ../shared/pim-vectors.
//
// The vectors are not part of the repository: a fresh clone has no ../shared. Tests that
// need them call Dir, which skips with a clear message where they are absent, but fails
// under CI (env CI=true), so a CI run can never pass by silently skipping conformance.
package vectors

import (
	"os"
	"path/filepath"
	"testing"
)

// EnvDir names an environment variable that, when set, points at the vectors directory
// directly (useful when the repository is checked out elsewhere).
const EnvDir = "PIMTRAY_VECTORS"

// Dir returns the absolute path of the pim-vectors directory. It looks at $PIMTRAY_VECTORS,
// then at ../shared/pim-vectors next to the repository root (the directory holding go.mod,
// found by walking up from the test's working directory). When neither exists it skips the
// test, or fails it when CI=true.
func Dir(t testing.TB) string {
	t.Helper()
	dir, tried := Find()
	if dir != "" {
		return dir
	}
	msg := "pim test vectors not found (looked in " + tried + "); set " + EnvDir + " or place them in ../shared/pim-vectors beside the repository"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
		return ""
	}
	t.Skip(msg)
	return ""
}

// Find returns the vectors directory, or "" and a description of where it looked.
func Find() (dir, tried string) {
	if d := os.Getenv(EnvDir); d != "" {
		if isDir(d) {
			abs, _ := filepath.Abs(d)
			return abs, ""
		}
		return "", "$" + EnvDir + "=" + d
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", "the working directory (unknown: " + err.Error() + ")"
	}
	root := wd
	for {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(root)
		if parent == root {
			root = wd
			break
		}
		root = parent
	}
	d := filepath.Join(filepath.Dir(root), "shared", "pim-vectors")
	if isDir(d) {
		return d, ""
	}
	return "", d
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}
