package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func makeTree(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "pimtray-v1.2.3-linux-amd64")
	files := map[string]struct {
		content string
		mode    os.FileMode
	}{
		"pimtray":                            {"\x7fELF binary", 0o700},
		"LICENSE":                            {"MIT", 0o600},
		"share/applications/pimtray.desktop": {"[Desktop Entry]\n", 0o664},
		"share/icons/hicolor/16x16/apps/pimtray.png": {"png", 0o644},
	}
	for name, f := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f.content), f.mode); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func runOut(t *testing.T, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	if err := run(args, &out); err != nil {
		t.Fatalf("archive %s: %v", strings.Join(args, " "), err)
	}
	return out.String()
}

func TestPackListCatRoundTrip(t *testing.T) {
	for _, ext := range []string{".tar.gz", ".zip"} {
		t.Run(ext, func(t *testing.T) {
			dir := makeTree(t)
			out := filepath.Join(t.TempDir(), "a"+ext)
			runOut(t, "pack", out, dir)

			want := `0755 pimtray-v1.2.3-linux-amd64/
0644 pimtray-v1.2.3-linux-amd64/LICENSE
0755 pimtray-v1.2.3-linux-amd64/pimtray
0755 pimtray-v1.2.3-linux-amd64/share/
0755 pimtray-v1.2.3-linux-amd64/share/applications/
0644 pimtray-v1.2.3-linux-amd64/share/applications/pimtray.desktop
0755 pimtray-v1.2.3-linux-amd64/share/icons/
0755 pimtray-v1.2.3-linux-amd64/share/icons/hicolor/
0755 pimtray-v1.2.3-linux-amd64/share/icons/hicolor/16x16/
0755 pimtray-v1.2.3-linux-amd64/share/icons/hicolor/16x16/apps/
0644 pimtray-v1.2.3-linux-amd64/share/icons/hicolor/16x16/apps/pimtray.png
`
			if got := runOut(t, "list", out); got != want {
				t.Errorf("list:\n%s\nwant:\n%s", got, want)
			}
			if got := runOut(t, "cat", out, "pimtray-v1.2.3-linux-amd64/pimtray"); got != "\x7fELF binary" {
				t.Errorf("cat pimtray = %q", got)
			}
			if err := run([]string{"cat", out, "pimtray-v1.2.3-linux-amd64/README.md"}, &bytes.Buffer{}); err == nil {
				t.Error("cat of a missing entry: no error")
			}
		})
	}
}

func TestPackIsReproducible(t *testing.T) {
	for _, ext := range []string{".tar.gz", ".zip"} {
		dir := makeTree(t)
		a, b := filepath.Join(t.TempDir(), "a"+ext), filepath.Join(t.TempDir(), "b"+ext)
		runOut(t, "pack", a, dir)
		// Touch every file: times on disk must not reach the archive.
		filepath.Walk(dir, func(p string, _ os.FileInfo, _ error) error {
			return os.Chtimes(p, timeNowish(), timeNowish())
		})
		runOut(t, "pack", b, dir)
		da, _ := os.ReadFile(a)
		db, _ := os.ReadFile(b)
		if !bytes.Equal(da, db) {
			t.Errorf("%s: two packs of the same tree differ", ext)
		}
	}
}

func TestPackRefusesUnknownFormats(t *testing.T) {
	dir := makeTree(t)
	out := filepath.Join(t.TempDir(), "a.rar")
	if err := run([]string{"pack", out, dir}, &bytes.Buffer{}); err == nil {
		t.Error("pack to .rar: no error")
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Error("a failed pack left its output behind")
	}
	if err := run([]string{"frobnicate"}, &bytes.Buffer{}); err == nil {
		t.Error("unknown command: no error")
	}
}

func timeNowish() time.Time { return time.Now().Add(-time.Hour) }
