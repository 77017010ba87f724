//go:build !windows && !darwin

package autostart

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestTurningAutostartOnWritesTheEntryAndOffRemovesOnlyIt(t *testing.T) {
	config := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", config)
	dir := filepath.Join(config, "autostart")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other-app.desktop")
	otherContent := "[Desktop Entry]\nType=Application\nName=Other\nExec=other\n"
	if err := os.WriteFile(other, []byte(otherContent), 0o644); err != nil {
		t.Fatal(err)
	}

	a := New("pimtray", "/home/ann/My Apps/pimtray", []string{"--tray"})
	if a.Enabled() {
		t.Fatal("enabled before anything was written")
	}
	if err := a.SetEnabled(true); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "pimtray.desktop")
	if got, err := a.Path(); err != nil || got != path {
		t.Errorf("Path() = %q, %v; want %q", got, err, path)
	}
	content, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("entry not written: %v", err)
	}
	want := `[Desktop Entry]
Type=Application
Name=pimtray
Comment=Azure PIM roles in the system tray
Exec="/home/ann/My Apps/pimtray" --tray
Icon=pimtray
Terminal=false
X-GNOME-Autostart-enabled=true
`
	if string(content) != want {
		t.Errorf("entry is\n%s\nwant\n%s", content, want)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("entry mode: %v, %v; want 0644", fi.Mode(), err)
	}
	if !a.Enabled() {
		t.Error("Enabled() = false after SetEnabled(true)")
	}
	if names := dirNames(t, dir); !slices.Equal(names, []string{"other-app.desktop", "pimtray.desktop"}) {
		t.Errorf("autostart folder holds %q, want only the other app's entry and ours", names)
	}

	// On again rewrites the same file, nothing more.
	if err := a.SetEnabled(true); err != nil {
		t.Fatal(err)
	}
	if names := dirNames(t, dir); len(names) != 2 {
		t.Errorf("autostart folder holds %q after enabling twice", names)
	}

	if err := a.SetEnabled(false); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("entry still there after SetEnabled(false): %v", err)
	}
	if a.Enabled() {
		t.Error("Enabled() = true after SetEnabled(false)")
	}
	if names := dirNames(t, dir); !slices.Equal(names, []string{"other-app.desktop"}) {
		t.Errorf("autostart folder holds %q, want the other app's entry only", names)
	}
	if got, _ := os.ReadFile(other); string(got) != otherContent {
		t.Error("the other app's entry changed")
	}
	if err := a.SetEnabled(false); err != nil {
		t.Errorf("turning off twice: %v", err)
	}
}

func TestAutostartCreatesTheFolderAndFallsBackToDotConfig(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	for _, xdg := range []string{"", "relative/config"} {
		t.Setenv("XDG_CONFIG_HOME", xdg)
		a := New("pimtray", "/usr/local/bin/pimtray", nil)
		if err := a.SetEnabled(true); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(home, ".config", "autostart", "pimtray.desktop")
		content, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("XDG_CONFIG_HOME=%q: entry not in ~/.config/autostart: %v", xdg, err)
		}
		if !strings.Contains(string(content), "\nExec=/usr/local/bin/pimtray\n") {
			t.Errorf("entry Exec line wrong:\n%s", content)
		}
		if err := a.SetEnabled(false); err != nil {
			t.Fatal(err)
		}
	}
}

func TestEntrySwitchedOffInTheDesktopSettingsIsNotEnabled(t *testing.T) {
	for _, line := range []string{"Hidden=true", "X-GNOME-Autostart-enabled=false"} {
		t.Setenv("XDG_CONFIG_HOME", t.TempDir())
		a := New("pimtray", "/usr/bin/pimtray", nil)
		if err := a.SetEnabled(true); err != nil {
			t.Fatal(err)
		}
		path, _ := a.Path()
		content, _ := os.ReadFile(path)
		edited := strings.Replace(string(content), "X-GNOME-Autostart-enabled=true\n", line+"\n", 1)
		if err := os.WriteFile(path, []byte(edited), 0o644); err != nil {
			t.Fatal(err)
		}
		if a.Enabled() {
			t.Errorf("%s: Enabled() = true", line)
		}
		if err := a.SetEnabled(true); err != nil {
			t.Fatal(err)
		}
		if !a.Enabled() {
			t.Errorf("%s: SetEnabled(true) did not switch it back on", line)
		}
	}
}

func TestSetEnabledRefusesWhatItCannotStore(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	for name, a := range map[string]*Autostart{
		"empty name":        New("", "/usr/bin/pimtray", nil),
		"name with slash":   New("../pimtray", "/usr/bin/pimtray", nil),
		"hidden name":       New(".pimtray", "/usr/bin/pimtray", nil),
		"no program":        New("pimtray", "", nil),
		"relative program":  New("pimtray", "bin/pimtray", nil),
		"'=' in path":       New("pimtray", "/opt/a=b/pimtray", nil),
		"newline in an arg": New("pimtray", "/usr/bin/pimtray", []string{"a\nb"}),
	} {
		if err := a.SetEnabled(true); err == nil {
			t.Errorf("%s: no error", name)
		}
		if a.Enabled() {
			t.Errorf("%s: Enabled() = true", name)
		}
	}
	if entries, _ := os.ReadDir(filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "autostart")); len(entries) != 0 {
		t.Errorf("refused settings left files: %v", entries)
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}
