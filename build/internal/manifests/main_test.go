package main

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeZip(t *testing.T, path string, names ...string) string {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, n := range names {
		if _, err := w.Create(n); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(buf.Bytes())
	return hex.EncodeToString(sum[:])
}

func read(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestManifestsCarryTheZipsChecksumsAndPaths(t *testing.T) {
	dist := t.TempDir()
	amd := writeZip(t, filepath.Join(dist, "pimtray-v1.2.3-windows-amd64.zip"), "pimtray-v1.2.3-windows-amd64/pimtray.exe")
	arm := writeZip(t, filepath.Join(dist, "pimtray-v1.2.3-windows-arm64.zip"), "pimtray-v1.2.3-windows-arm64/pimtray.exe")
	var stderr bytes.Buffer
	if err := run([]string{"-version", "v1.2.3", "-dist", dist, "-date", "2026-12-01"}, &stderr); err != nil {
		t.Fatal(err)
	}
	vdir := filepath.Join(dist, "winget", "manifests", "p", "pimtray", "pimtray", "1.2.3")
	installer := read(t, filepath.Join(vdir, "pimtray.pimtray.installer.yaml"))
	for _, want := range []string{
		"InstallerSha256: " + strings.ToUpper(amd),
		"InstallerSha256: " + strings.ToUpper(arm),
		`InstallerUrl: "https://github.com/pimtray/pimtray/releases/download/v1.2.3/pimtray-v1.2.3-windows-arm64.zip"`,
		`RelativeFilePath: "pimtray-v1.2.3-windows-amd64\\pimtray.exe"`,
		"ReleaseDate: 2026-12-01",
		`PackageVersion: "1.2.3"`,
	} {
		if !strings.Contains(installer, want) {
			t.Errorf("installer manifest lacks %s:\n%s", want, installer)
		}
	}
	for _, f := range []string{"pimtray.pimtray.yaml", "pimtray.pimtray.locale.en-US.yaml"} {
		if !strings.Contains(read(t, filepath.Join(vdir, f)), `PackageVersion: "1.2.3"`) {
			t.Errorf("%s lacks the version", f)
		}
	}
	cask := read(t, filepath.Join(dist, "homebrew", "Casks", "pimtray.rb"))
	if !strings.Contains(cask, "sha256 :no_check") || !strings.Contains(stderr.String(), "no pimtray-v1.2.3-macos.zip") {
		t.Errorf("without the macOS zip the cask must say :no_check, and the command why:\n%s\n%s", cask, stderr.String())
	}

	mac := writeZip(t, filepath.Join(dist, "pimtray-v1.2.3-macos.zip"), "pimtray.app/Contents/MacOS/pimtray")
	if err := run([]string{"-version", "v1.2.3", "-dist", dist}, &stderr); err != nil {
		t.Fatal(err)
	}
	cask = read(t, filepath.Join(dist, "homebrew", "Casks", "pimtray.rb"))
	if !strings.Contains(cask, `sha256 "`+mac+`"`) || !strings.Contains(cask, `version "1.2.3"`) {
		t.Errorf("with the macOS zip the cask must carry its checksum %s:\n%s", mac, cask)
	}
}

func TestManifestsRefuseWhatTheyCannotDescribe(t *testing.T) {
	dist := t.TempDir()
	var stderr bytes.Buffer
	if err := run([]string{"-version", "v1.2.3", "-dist", dist}, &stderr); err == nil || !strings.Contains(err.Error(), "run build/release.sh first") {
		t.Errorf("no zips: %v", err)
	}
	writeZip(t, filepath.Join(dist, "pimtray-v1.2.3-windows-amd64.zip"), "pimtray.exe")
	if err := run([]string{"-version", "v1.2.3", "-dist", dist}, &stderr); err == nil || !strings.Contains(err.Error(), "has no pimtray-v1.2.3-windows-amd64/pimtray.exe") {
		t.Errorf("a zip without the exe in its folder: %v", err)
	}
	if err := run([]string{"-version", "v1 2", "-dist", dist}, &stderr); err == nil {
		t.Error("a version with a space was accepted")
	}
}

func TestQuotingKeepsValuesInsideTheirStrings(t *testing.T) {
	if got := yamlString(`a "b" \ c: #d`); got != `"a \"b\" \\ c: #d"` {
		t.Errorf("yamlString: %s", got)
	}
	if got := rubyString(`a "b" #{x} \`); got != `"a \"b\" \#{x} \\"` {
		t.Errorf("rubyString: %s", got)
	}
}

// A build from a commit without a tag (git describe: abcdef0) gets manifests too, with the
// version as it is in the asset names.
func TestManifestsForAVersionWithoutV(t *testing.T) {
	dist := t.TempDir()
	writeZip(t, filepath.Join(dist, "pimtray-abcdef0-windows-amd64.zip"), "pimtray-abcdef0-windows-amd64/pimtray.exe")
	var stderr bytes.Buffer
	if err := run([]string{"-version", "abcdef0", "-dist", dist}, &stderr); err != nil {
		t.Fatal(err)
	}
	cask := read(t, filepath.Join(dist, "homebrew", "Casks", "pimtray.rb"))
	if !strings.Contains(cask, `url "https://github.com/pimtray/pimtray/releases/download/#{version}/pimtray-#{version}-macos.zip"`) {
		t.Errorf("the cask's url must not add a v:\n%s", cask)
	}
	if _, err := os.Stat(filepath.Join(dist, "winget", "manifests", "p", "pimtray", "pimtray", "abcdef0", "pimtray.pimtray.installer.yaml")); err != nil {
		t.Error(err)
	}
}
