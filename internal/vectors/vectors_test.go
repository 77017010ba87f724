package vectors

import (
	"os"
	"path/filepath"
	"testing"
)

// fakeTB records what Dir asks of the test instead of stopping it.
type fakeTB struct {
	testing.TB
	skipped, failed string
}

func (f *fakeTB) Helper()           {}
func (f *fakeTB) Skip(args ...any)  { f.skipped = args[0].(string) }
func (f *fakeTB) Fatal(args ...any) { f.failed = args[0].(string) }

func TestDirFindsTheVectorsThroughTheEnvironment(t *testing.T) {
	d := t.TempDir()
	t.Setenv(EnvDir, d)
	t.Setenv("CI", "")
	var tb fakeTB
	if got := Dir(&tb); got != d || tb.skipped != "" || tb.failed != "" {
		t.Errorf("Dir = %q (skip %q, fail %q)", got, tb.skipped, tb.failed)
	}
}

func TestDirSkipsLocallyAndFailsUnderCI(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	t.Setenv(EnvDir, missing)

	t.Setenv("CI", "")
	var local fakeTB
	if got := Dir(&local); got != "" || local.skipped == "" || local.failed != "" {
		t.Errorf("locally: %q skip %q fail %q", got, local.skipped, local.failed)
	}

	t.Setenv("CI", "true")
	var ci fakeTB
	if got := Dir(&ci); got != "" || ci.failed == "" || ci.skipped != "" {
		t.Errorf("under CI: %q skip %q fail %q", got, ci.skipped, ci.failed)
	}
}

func TestFindLooksBesideTheRepository(t *testing.T) {
	// A fake checkout: root/go.mod, root/pkg (the test's directory), ../shared/pim-vectors.
	top := t.TempDir()
	root := filepath.Join(top, "main")
	pkg := filepath.Join(root, "pim")
	want := filepath.Join(top, "shared", "pim-vectors")
	for _, d := range []string{pkg, want} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("module x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvDir, "")
	t.Chdir(pkg)
	got, _ := Find()
	if real, _ := filepath.EvalSymlinks(got); real != want && got != want {
		wantReal, _ := filepath.EvalSymlinks(want)
		if real != wantReal {
			t.Errorf("Find = %q, want %q", got, want)
		}
	}
}
