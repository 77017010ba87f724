// Package build holds the release tooling (scripts and data files). These tests check the
// files the scripts rely on, so an edit that would break a release fails here instead of in
// the release script.
package build

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestScriptsAreStrictExecutableBash(t *testing.T) {
	for _, script := range []string{"release.sh", "check-archives.sh", "release-check.sh", "macos/build-app.sh"} {
		fi, err := os.Stat(script)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm()&0o111 == 0 {
			t.Errorf("%s is not executable", script)
		}
		text := readFile(t, script)
		if !strings.HasPrefix(text, "#!/usr/bin/env bash\n") || !strings.Contains(text, "\nset -euo pipefail\n") {
			t.Errorf("%s does not start with a bash shebang and set -euo pipefail", script)
		}
		if out, err := exec.Command("bash", "-n", script).CombinedOutput(); err != nil {
			t.Errorf("%s: syntax error: %s", script, out)
		}
	}
}

// release.sh stamps the version by replacing the "0.0.0.0" placeholders of winres.json, and
// go-winres resolves the icon path relative to the file.
func TestWinresConfig(t *testing.T) {
	text := readFile(t, "windows/winres.json")
	var cfg map[string]map[string]map[string]json.RawMessage
	if err := json.Unmarshal([]byte(text), &cfg); err != nil {
		t.Fatalf("winres.json: %v", err)
	}
	var icon string
	if err := json.Unmarshal(cfg["RT_GROUP_ICON"]["APP"]["0000"], &icon); err != nil {
		t.Fatalf("winres.json RT_GROUP_ICON APP: %v", err)
	}
	if _, err := os.Stat(filepath.Join("windows", icon)); err != nil {
		t.Errorf("winres.json icon: %v", err)
	}
	for _, placeholder := range []string{
		`"file_version": "0.0.0.0"`, `"product_version": "0.0.0.0"`,
		`"FileVersion": "0.0.0.0"`, `"ProductVersion": "0.0.0.0"`, `"version": "0.0.0.0"`,
	} {
		if strings.Count(text, placeholder) != 1 {
			t.Errorf("winres.json must hold %s once: release.sh replaces it", placeholder)
		}
	}
	for _, want := range []string{`"dpi-awareness": "per monitor v2"`, `"execution-level": "as invoker"`, `"OriginalFilename": "pimtray.exe"`} {
		if !strings.Contains(text, want) {
			t.Errorf("winres.json lacks %s", want)
		}
	}
}

func TestMacInfoPlist(t *testing.T) {
	text := readFile(t, "macos/Info.plist")
	var doc struct {
		Dict struct {
			Items []struct {
				XMLName xml.Name
				Value   string `xml:",chardata"`
			} `xml:",any"`
		} `xml:"dict"`
	}
	if err := xml.Unmarshal([]byte(text), &doc); err != nil {
		t.Fatalf("Info.plist: %v", err)
	}
	keys := map[string]string{}
	items := doc.Dict.Items
	for i := 0; i+1 < len(items); i += 2 {
		v := items[i+1]
		if v.XMLName.Local == "true" || v.XMLName.Local == "false" {
			keys[items[i].Value] = v.XMLName.Local
		} else {
			keys[items[i].Value] = v.Value
		}
	}
	for k, want := range map[string]string{
		"LSUIElement":                "true", // no Dock icon: pimtray lives in the menu bar
		"CFBundleIdentifier":         "io.github.pimtray",
		"CFBundleExecutable":         "pimtray",
		"CFBundleIconFile":           "pimtray.icns",
		"CFBundlePackageType":        "APPL",
		"CFBundleShortVersionString": "@NUMERIC_VERSION@",
		"CFBundleVersion":            "@NUMERIC_VERSION@",
	} {
		if keys[k] != want {
			t.Errorf("Info.plist %s = %q, want %q", k, keys[k], want)
		}
	}
}

func TestLinuxDesktopFileAndIcons(t *testing.T) {
	text := readFile(t, "linux/pimtray.desktop")
	if !strings.HasPrefix(text, "[Desktop Entry]\n") {
		t.Error("pimtray.desktop does not start with [Desktop Entry]")
	}
	for _, line := range []string{"Type=Application", "Name=pimtray", "Exec=pimtray", "Icon=pimtray", "Terminal=false"} {
		if !strings.Contains(text, "\n"+line+"\n") {
			t.Errorf("pimtray.desktop lacks %s", line)
		}
	}
	// release.sh installs these sizes into share/icons/hicolor.
	script := readFile(t, "release.sh")
	m := regexp.MustCompile(`for size in ([0-9 ]+); do`).FindStringSubmatch(script)
	if m == nil {
		t.Fatal("release.sh: icon size loop not found")
	}
	for _, size := range strings.Fields(m[1]) {
		if _, err := os.Stat(filepath.Join("..", "assets", "icons", "pimtray-"+size+".png")); err != nil {
			t.Errorf("release.sh installs the %s px icon: %v", size, err)
		}
	}
}

// The .deb and .rpm install the same icon sizes as the Linux archive.
func TestPackagesInstallTheArchivesIcons(t *testing.T) {
	script := readFile(t, "release.sh")
	m := regexp.MustCompile(`for size in ([0-9 ]+); do`).FindStringSubmatch(script)
	if m == nil {
		t.Fatal("release.sh: icon size loop not found")
	}
	nfpm := readFile(t, "linux/nfpm.yaml")
	got := regexp.MustCompile(`dst: /usr/share/icons/hicolor/([0-9]+)x[0-9]+/apps/pimtray.png`).FindAllStringSubmatch(nfpm, -1)
	var sizes []string
	for _, g := range got {
		sizes = append(sizes, g[1])
	}
	if strings.Join(sizes, " ") != strings.TrimSpace(m[1]) {
		t.Errorf("nfpm.yaml installs icons %v, the archive %s", sizes, m[1])
	}
}

// Package versions: Debian and RPM order them like the tags, and neither allows '-'.
func TestPackageVersions(t *testing.T) {
	script := readFile(t, "release.sh")
	fn := regexp.MustCompile(`(?s)\npkg_version\(\) \{.*?\n\}\n`).FindString(script)
	if fn == "" {
		t.Fatal("release.sh: pkg_version not found")
	}
	for tag, want := range map[string]string{
		"v1.2.3":                  "1.2.3",
		"v1.2.3-rc1":              "1.2.3~rc1",
		"v0.0.0-ci":               "0.0.0~ci",
		"v1.2.3-4-gabcdef0":       "1.2.3+4.gabcdef0",
		"v1.2.3-rc.1-4-gabcdef0":  "1.2.3~rc.1+4.gabcdef0",
		"v1.2.3-4-gabcdef0-dirty": "1.2.3+4.gabcdef0.dirty",
		"abcdef0":                 "0.0.0+gabcdef0",
		"abcdef0-dirty":           "0.0.0+gabcdef0.dirty",
		"v1.2.3+build_7":          "1.2.3+build.7",
	} {
		out, err := exec.Command("bash", "-c", fn+`pkg_version "$1"`, "bash", tag).Output()
		if err != nil {
			t.Fatalf("pkg_version %s: %v", tag, err)
		}
		if got := strings.TrimSpace(string(out)); got != want {
			t.Errorf("pkg_version %s = %s, want %s", tag, got, want)
		}
	}
}
