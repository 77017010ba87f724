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

// A release as build/internal/manifests writes it, for version 1.2.3 (written out by hand
// here: this module can't import the generator, and a fixture that is not the generator's
// output also catches a generator and a checker that agree on a mistake).
const (
	versionManifest = `# yaml-language-server: $schema=https://aka.ms/winget-manifest.version.1.9.0.schema.json
PackageIdentifier: pimtray.pimtray
PackageVersion: "1.2.3"
DefaultLocale: en-US
ManifestType: version
ManifestVersion: 1.9.0
`
	installerManifest = `# yaml-language-server: $schema=https://aka.ms/winget-manifest.installer.1.9.0.schema.json
PackageIdentifier: pimtray.pimtray
PackageVersion: "1.2.3"
InstallerType: zip
NestedInstallerType: portable
ReleaseDate: 2026-12-01
Installers:
  - Architecture: x64
    InstallerUrl: "https://github.com/pimtray/pimtray/releases/download/v1.2.3/pimtray-v1.2.3-windows-amd64.zip"
    InstallerSha256: @AMD64@
    NestedInstallerFiles:
      - RelativeFilePath: "pimtray-v1.2.3-windows-amd64\\pimtray.exe"
        PortableCommandAlias: pimtray
  - Architecture: arm64
    InstallerUrl: "https://github.com/pimtray/pimtray/releases/download/v1.2.3/pimtray-v1.2.3-windows-arm64.zip"
    InstallerSha256: @ARM64@
    NestedInstallerFiles:
      - RelativeFilePath: "pimtray-v1.2.3-windows-arm64\\pimtray.exe"
        PortableCommandAlias: pimtray
ManifestType: installer
ManifestVersion: 1.9.0
`
	localeManifest = `# yaml-language-server: $schema=https://aka.ms/winget-manifest.defaultLocale.1.9.0.schema.json
PackageIdentifier: pimtray.pimtray
PackageVersion: "1.2.3"
PackageLocale: en-US
Publisher: pimtray
PublisherUrl: "https://github.com/pimtray/pimtray"
PackageName: pimtray
License: MIT
LicenseUrl: "https://github.com/pimtray/pimtray/blob/v1.2.3/LICENSE"
ShortDescription: Activate Azure PIM roles from the system tray
Tags:
  - azure
  - pim
ManifestType: defaultLocale
ManifestVersion: 1.9.0
`
	caskFile = `cask "pimtray" do
  version "1.2.3"
  sha256 @MAC@

  url "https://github.com/pimtray/pimtray/releases/download/v#{version}/pimtray-v#{version}-macos.zip"
  name "pimtray"
  desc "Activate Azure PIM roles from the menu bar"
  homepage "https://github.com/pimtray/pimtray"

  depends_on macos: ">= :monterey"

  app "pimtray.app"

  zap launchctl: "io.github.pimtray",
      trash:     [
        "~/Library/Application Support/pimtray",
        "~/Library/Caches/pimtray",
      ]
end
`
)

type release struct {
	dist, winget, cask string
	files              map[string]string // name -> path of the manifests
}

// writeZip makes a zip holding the named files and returns its SHA-256.
func writeZip(t *testing.T, path string, names ...string) string {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, n := range names {
		f, err := w.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte("MZ " + n))
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

// newRelease writes a good release; withMac adds the macOS zip and its checksum in the cask.
func newRelease(t *testing.T, withMac bool) release {
	t.Helper()
	dir := t.TempDir()
	r := release{dist: dir, winget: filepath.Join(dir, "winget"), cask: filepath.Join(dir, "homebrew", "Casks", "pimtray.rb"), files: map[string]string{}}
	amd := writeZip(t, filepath.Join(dir, "pimtray-v1.2.3-windows-amd64.zip"), "pimtray-v1.2.3-windows-amd64/pimtray.exe", "pimtray-v1.2.3-windows-amd64/LICENSE")
	arm := writeZip(t, filepath.Join(dir, "pimtray-v1.2.3-windows-arm64.zip"), "pimtray-v1.2.3-windows-arm64/pimtray.exe")
	mac := ":no_check"
	if withMac {
		mac = `"` + writeZip(t, filepath.Join(dir, "pimtray-v1.2.3-macos.zip"), "pimtray.app/Contents/Info.plist", "pimtray.app/Contents/MacOS/pimtray") + `"`
	}
	vdir := filepath.Join(r.winget, "manifests", "p", "pimtray", "pimtray", "1.2.3")
	for name, text := range map[string]string{
		"version":   versionManifest,
		"installer": strings.NewReplacer("@AMD64@", strings.ToUpper(amd), "@ARM64@", strings.ToUpper(arm)).Replace(installerManifest),
		"locale":    localeManifest,
		"cask":      strings.ReplaceAll(caskFile, "@MAC@", mac),
	} {
		path := map[string]string{
			"version":   filepath.Join(vdir, "pimtray.pimtray.yaml"),
			"installer": filepath.Join(vdir, "pimtray.pimtray.installer.yaml"),
			"locale":    filepath.Join(vdir, "pimtray.pimtray.locale.en-US.yaml"),
			"cask":      r.cask,
		}[name]
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		r.files[name] = path
	}
	return r
}

func (r release) edit(t *testing.T, file, old, new string) {
	t.Helper()
	data, err := os.ReadFile(r.files[file])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		t.Fatalf("%s has no %q to replace", file, old)
	}
	if err := os.WriteFile(r.files[file], []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func check(r release, requireMac bool) (int, string) {
	var out, errs bytes.Buffer
	args := []string{"-winget", r.winget, "-cask", r.cask, "-dist", r.dist}
	if requireMac {
		args = append(args, "-require-mac")
	}
	code := run(args, &out, &errs)
	return code, out.String() + errs.String()
}

func TestAGoodReleasePasses(t *testing.T) {
	for _, withMac := range []bool{false, true} {
		r := newRelease(t, withMac)
		code, out := check(r, withMac)
		if code != 0 {
			t.Fatalf("withMac=%v: exit %d:\n%s", withMac, code, out)
		}
		if !strings.Contains(out, "2 installers (x64, arm64)") {
			t.Errorf("withMac=%v: the summary does not count the installers:\n%s", withMac, out)
		}
	}
}

func TestEachBrokenFieldFails(t *testing.T) {
	cases := []struct {
		name, file, old, new, want string
		withMac, requireMac        bool
	}{
		{name: "identifier differs from the folder", file: "locale", old: "PackageIdentifier: pimtray.pimtray", new: "PackageIdentifier: pimtray.other", want: "PackageIdentifier"},
		{name: "version differs", file: "installer", old: `PackageVersion: "1.2.3"`, new: `PackageVersion: "1.2.4"`, want: "PackageVersion"},
		{name: "wrong manifest type", file: "version", old: "ManifestType: version", new: "ManifestType: singleton", want: "ManifestType"},
		{name: "old manifest version", file: "locale", old: "ManifestVersion: 1.9.0", new: "ManifestVersion: 1.4.0", want: "ManifestVersion"},
		{name: "schema comment missing", file: "installer", old: "# yaml-language-server: $schema=https://aka.ms/winget-manifest.installer.1.9.0.schema.json\n", new: "", want: "first line"},
		{name: "no publisher", file: "locale", old: "Publisher: pimtray\n", new: "", want: "Publisher"},
		{name: "no licence", file: "locale", old: "License: MIT\n", new: "", want: "License"},
		{name: "no short description", file: "locale", old: "ShortDescription: Activate Azure PIM roles from the system tray\n", new: "", want: "ShortDescription"},
		{name: "tag with a space", file: "locale", old: "  - pim", new: "  - pim tray", want: "tag"},
		{name: "not a zip installer", file: "installer", old: "InstallerType: zip", new: "InstallerType: exe", want: "InstallerType"},
		{name: "not portable", file: "installer", old: "NestedInstallerType: portable", new: "NestedInstallerType: msi", want: "NestedInstallerType"},
		{name: "checksum of another file", file: "installer", old: "InstallerSha256: ", new: "InstallerSha256: 00", want: "InstallerSha256"},
		{name: "exe not in the zip", file: "installer", old: `amd64\\pimtray.exe`, new: `amd64\\pimtray-gui.exe`, want: "holds no pimtray-v1.2.3-windows-amd64/pimtray-gui.exe"},
		{name: "zip not in dist", file: "installer", old: "v1.2.3-windows-arm64.zip", new: "v1.2.3-windows-arm.zip", want: "not in"},
		{name: "http address", file: "installer", old: `"https://github.com/pimtray/pimtray/releases/download/v1.2.3/pimtray-v1.2.3-windows-amd64.zip"`, new: `"http://github.com/pimtray/pimtray/releases/download/v1.2.3/pimtray-v1.2.3-windows-amd64.zip"`, want: "https"},
		{name: "architecture twice", file: "installer", old: "Architecture: arm64", new: "Architecture: x64", want: "same architecture"},
		{name: "unknown architecture", file: "installer", old: "Architecture: arm64", new: "Architecture: aarch64", want: "Architecture"},
		{name: "no alias", file: "installer", old: "        PortableCommandAlias: pimtray\n  - Architecture: arm64", new: "  - Architecture: arm64", want: "PortableCommandAlias"},
		{name: "not YAML", file: "version", old: "DefaultLocale: en-US", new: "DefaultLocale: [en-US", want: "not YAML"},

		{name: "cask token", file: "cask", old: `cask "pimtray" do`, new: `cask "pim-tray" do`, want: "token"},
		{name: "cask without desc", file: "cask", old: "  desc \"Activate Azure PIM roles from the menu bar\"\n", new: "", want: "no desc stanza"},
		{name: "cask without app", file: "cask", old: "  app \"pimtray.app\"\n", new: "", want: "no app stanza"},
		{name: "cask without homepage", file: "cask", old: "  homepage \"https://github.com/pimtray/pimtray\"\n", new: "", want: "no homepage stanza"},
		{name: "cask desc with an article", file: "cask", old: `desc "Activate`, new: `desc "An app to activate`, want: "article"},
		{name: "cask desc with a full stop", file: "cask", old: `from the menu bar"`, new: `from the menu bar."`, want: "full stop"},
		{name: "cask stanzas out of order", file: "cask", old: "  name \"pimtray\"\n", new: "  app \"pimtray.app\"\n  name \"pimtray\"\n", want: "order"},
		{name: "cask url of another zip", file: "cask", old: "-macos.zip", new: "-darwin.zip", want: "does not name"},
		{name: "cask unclosed", file: "cask", old: "\nend\n", new: "\n", want: "close with end"},
		{name: "cask http homepage", file: "cask", old: `homepage "https://`, new: `homepage "http://`, want: "homepage"},
		{name: "cask :no_check in a release", file: "cask", requireMac: true, want: "released cask needs"},
		{name: "cask :no_check beside the zip", withMac: true, file: "cask", old: "sha256 \"", new: "sha256 :no_check #\"", want: "belongs in the cask"},
		{name: "cask wrong checksum", withMac: true, file: "cask", old: "sha256 \"", new: "sha256 \"0", want: "sha256"},
		{name: "cask app not in the zip", withMac: true, file: "cask", old: `app "pimtray.app"`, new: `app "PIM Tray.app"`, want: "holds no PIM Tray.app/Contents/Info.plist"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRelease(t, c.withMac)
			if c.old != "" {
				r.edit(t, c.file, c.old, c.new)
			}
			code, out := check(r, c.requireMac)
			if code != 1 {
				t.Fatalf("exit %d, want 1:\n%s", code, out)
			}
			if !strings.Contains(out, c.want) {
				t.Errorf("the problems do not mention %q:\n%s", c.want, out)
			}
		})
	}
}

func TestParseCaskReadsMultiLineStanzas(t *testing.T) {
	token, stanzas, err := parseCask(strings.ReplaceAll(caskFile, "@MAC@", ":no_check"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range stanzas {
		names = append(names, s.name)
	}
	if token != "pimtray" || strings.Join(names, " ") != "version sha256 url name desc homepage depends_on app zap" {
		t.Fatalf("token %q, stanzas %v", token, names)
	}
	zap := stanzas[len(stanzas)-1]
	var trash []string
	for _, a := range zap.args {
		if a.kind == 's' && strings.HasPrefix(a.text, "~/") {
			trash = append(trash, a.text)
		}
	}
	if len(trash) != 2 {
		t.Errorf("zap's list over three lines read as %v", trash)
	}
}

// A build without a v-tag names its assets after the bare version; the cask's url then has no v.
func TestCaskOfAVersionWithoutV(t *testing.T) {
	r := newRelease(t, false)
	r.edit(t, "cask", "/v#{version}/pimtray-v#{version}-macos.zip", "/#{version}/pimtray-#{version}-macos.zip")
	if code, out := check(r, false); code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	r = newRelease(t, false)
	r.edit(t, "cask", "/pimtray-v#{version}-macos.zip", "/pimtray-#{version}-macos.zip")
	if code, out := check(r, false); code != 1 || !strings.Contains(out, "does not name pimtray-v1.2.3-macos.zip") {
		t.Fatalf("a url whose tag and zip disagree: exit %d:\n%s", code, out)
	}
}
