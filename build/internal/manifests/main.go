// Command manifests writes pimtray's package-manager manifests for one release, from the
// artifacts build/release.sh (and, for macOS, build/macos/build-app.sh) wrote:
//
//	go run ./build/internal/manifests -version v1.2.3 -dist dist -out dist
//
// It writes
//
//   - OUT/winget/manifests/p/pimtray/pimtray/VERSION/: the winget manifest set (version,
//     installer, defaultLocale; schema 1.9.0) for the portable Windows zips, one installer per
//     architecture, with the zips' SHA-256;
//   - OUT/homebrew/Casks/pimtray.rb: a Homebrew cask for the macOS .app zip. The .app is built
//     on a Mac only; when DIST has no pimtray-VERSION-macos.zip the cask says sha256 :no_check
//     and this command says so (the release workflow builds the zip on macOS first, so the
//     published cask always has its checksum).
//
// The download addresses are the GitHub release assets of the tag VERSION (-repo).
// build/release-check.sh checks the result with build/tools/pkgcheck.
package main

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"text/template"
	"time"
)

// Release is what the manifests describe.
type Release struct {
	Tag         string // the git tag, v1.2.3: in asset names and addresses
	Version     string // the package version, 1.2.3
	TagPrefix   string // "v" when Tag is "v" and Version, for the cask's url
	Repo        string // https://github.com/OWNER/NAME
	ReleaseDate string // YYYY-MM-DD
	Windows     []WindowsZip
	Mac         *MacZip // nil: no macOS zip here
}

// WindowsZip is one portable zip.
type WindowsZip struct {
	Arch   string // winget's architecture: x64, arm64
	Name   string // the asset's file name
	Exe    string // the exe's path inside the zip, with backslashes
	SHA256 string // upper-case hex, as winget writes it
}

// MacZip is the zipped .app.
type MacZip struct {
	Name   string
	SHA256 string // lower-case hex, as Homebrew writes it
}

var tagPattern = regexp.MustCompile(`^v?[0-9A-Za-z][0-9A-Za-z._+-]*$`)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "manifests: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("manifests", flag.ContinueOnError)
	fs.SetOutput(stderr)
	tag := fs.String("version", "", "the release's tag, as in the artifact names (v1.2.3)")
	dist := fs.String("dist", "dist", "the folder with the release artifacts")
	out := fs.String("out", "", "where to write winget/ and homebrew/ (default: -dist)")
	repo := fs.String("repo", "https://github.com/pimtray/pimtray", "the GitHub repository the release is on")
	date := fs.String("date", "", "the release date, YYYY-MM-DD (default: from SOURCE_DATE_EPOCH, else today)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		*out = *dist
	}
	if !tagPattern.MatchString(*tag) {
		return fmt.Errorf("-version %q is not a release tag such as v1.2.3", *tag)
	}
	day, err := releaseDate(*date)
	if err != nil {
		return err
	}
	rel, err := collect(*tag, *dist, strings.TrimSuffix(*repo, "/"), day)
	if err != nil {
		return err
	}
	written, err := write(rel, *out)
	if err != nil {
		return err
	}
	for _, f := range written {
		fmt.Fprintf(stderr, "manifests: wrote %s\n", f)
	}
	if rel.Mac == nil {
		fmt.Fprintf(stderr, "manifests: no %s in %s (it is built on macOS): the cask says sha256 :no_check until the release workflow writes it with the zip beside it\n", macZipName(rel.Tag), *dist)
	}
	return nil
}

func releaseDate(flagValue string) (string, error) {
	if flagValue != "" {
		if _, err := time.Parse(time.DateOnly, flagValue); err != nil {
			return "", fmt.Errorf("-date %q is not YYYY-MM-DD", flagValue)
		}
		return flagValue, nil
	}
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		var secs int64
		if _, err := fmt.Sscan(s, &secs); err != nil {
			return "", fmt.Errorf("SOURCE_DATE_EPOCH %q is not a number of seconds", s)
		}
		return time.Unix(secs, 0).UTC().Format(time.DateOnly), nil
	}
	return time.Now().UTC().Format(time.DateOnly), nil
}

// macZipName is the zip build/macos/build-app.sh writes for the version.
func macZipName(tag string) string { return "pimtray-" + tag + "-macos.zip" }

// collect hashes the artifacts in dist and checks that each zip holds what the manifests
// will point into.
func collect(tag, dist, repo, day string) (Release, error) {
	rel := Release{Tag: tag, Version: strings.TrimPrefix(tag, "v"), Repo: repo, ReleaseDate: day}
	if rel.Version != tag {
		rel.TagPrefix = "v"
	}
	for _, a := range []struct{ goarch, winget string }{{"amd64", "x64"}, {"arm64", "arm64"}} {
		top := "pimtray-" + tag + "-windows-" + a.goarch
		path := filepath.Join(dist, top+".zip")
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err := zipHas(path, top+"/pimtray.exe"); err != nil {
			return rel, err
		}
		sum, err := sha256File(path)
		if err != nil {
			return rel, err
		}
		rel.Windows = append(rel.Windows, WindowsZip{
			Arch: a.winget, Name: top + ".zip", Exe: top + `\pimtray.exe`, SHA256: strings.ToUpper(sum),
		})
	}
	if len(rel.Windows) == 0 {
		return rel, fmt.Errorf("no pimtray-%s-windows-*.zip in %s: run build/release.sh first", tag, dist)
	}
	path := filepath.Join(dist, macZipName(tag))
	if _, err := os.Stat(path); err == nil {
		if err := zipHas(path, "pimtray.app/Contents/MacOS/pimtray"); err != nil {
			return rel, err
		}
		sum, err := sha256File(path)
		if err != nil {
			return rel, err
		}
		rel.Mac = &MacZip{Name: macZipName(tag), SHA256: sum}
	}
	return rel, nil
}

func sha256File(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func zipHas(path, name string) error {
	r, err := zip.OpenReader(path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer r.Close()
	for _, f := range r.File {
		if f.Name == name {
			return nil
		}
	}
	return fmt.Errorf("%s has no %s", path, name)
}

// The manifests. Strings go through q (YAML) or rb (Ruby), so no value can break the syntax.
var templates = template.Must(template.New("").Funcs(template.FuncMap{"q": yamlString, "rb": rubyString}).Parse(`
{{define "version"}}# yaml-language-server: $schema=https://aka.ms/winget-manifest.version.1.9.0.schema.json
PackageIdentifier: pimtray.pimtray
PackageVersion: {{q .Version}}
DefaultLocale: en-US
ManifestType: version
ManifestVersion: 1.9.0
{{end}}
{{define "installer"}}# yaml-language-server: $schema=https://aka.ms/winget-manifest.installer.1.9.0.schema.json
PackageIdentifier: pimtray.pimtray
PackageVersion: {{q .Version}}
InstallerType: zip
NestedInstallerType: portable
ReleaseDate: {{.ReleaseDate}}
Installers:
{{- range .Windows}}
  - Architecture: {{.Arch}}
    InstallerUrl: {{q (printf "%s/releases/download/%s/%s" $.Repo $.Tag .Name)}}
    InstallerSha256: {{.SHA256}}
    NestedInstallerFiles:
      - RelativeFilePath: {{q .Exe}}
        PortableCommandAlias: pimtray
{{- end}}
ManifestType: installer
ManifestVersion: 1.9.0
{{end}}
{{define "locale"}}# yaml-language-server: $schema=https://aka.ms/winget-manifest.defaultLocale.1.9.0.schema.json
PackageIdentifier: pimtray.pimtray
PackageVersion: {{q .Version}}
PackageLocale: en-US
Publisher: pimtray
PublisherUrl: {{q .Repo}}
PublisherSupportUrl: {{q (printf "%s/issues" .Repo)}}
PackageName: pimtray
PackageUrl: {{q .Repo}}
License: MIT
LicenseUrl: {{q (printf "%s/blob/%s/LICENSE" .Repo .Tag)}}
ShortDescription: Activate Azure PIM roles from the system tray
Description: >-
  pimtray puts Azure Privileged Identity Management in the system tray: favourite roles
  with live countdowns, one-click activation with a saved reason and duration, a sign-in
  kept across restarts, and a reminder with Re-activate before an activation runs out.
  It covers Entra ID roles, Azure resource roles and PIM for Groups.
Moniker: pimtray
Tags:
  - azure
  - entra
  - pim
  - privileged-identity-management
  - tray
ReleaseNotesUrl: {{q (printf "%s/releases/tag/%s" .Repo .Tag)}}
ManifestType: defaultLocale
ManifestVersion: 1.9.0
{{end}}
{{define "cask"}}cask "pimtray" do
  version {{rb .Version}}
  sha256 {{if .Mac}}{{rb .Mac.SHA256}}{{else}}:no_check{{end}}

  url "{{.Repo}}/releases/download/{{.TagPrefix}}#{version}/pimtray-{{.TagPrefix}}#{version}-macos.zip"
  name "pimtray"
  desc "Activate Azure PIM roles from the menu bar"
  homepage {{rb .Repo}}

  depends_on macos: ">= :monterey"

  app "pimtray.app"

  zap launchctl: "io.github.pimtray",
      trash:     [
        "~/Library/Application Support/pimtray",
        "~/Library/Caches/pimtray",
        "~/Library/LaunchAgents/io.github.pimtray.plist",
      ]
end
{{end}}`))

// write renders every manifest under out and returns the files written.
func write(rel Release, out string) ([]string, error) {
	wingetDir := filepath.Join(out, "winget", "manifests", "p", "pimtray", "pimtray", rel.Version)
	files := []struct{ tmpl, path string }{
		{"version", filepath.Join(wingetDir, "pimtray.pimtray.yaml")},
		{"installer", filepath.Join(wingetDir, "pimtray.pimtray.installer.yaml")},
		{"locale", filepath.Join(wingetDir, "pimtray.pimtray.locale.en-US.yaml")},
		{"cask", filepath.Join(out, "homebrew", "Casks", "pimtray.rb")},
	}
	var written []string
	for _, f := range files {
		var b strings.Builder
		if err := templates.ExecuteTemplate(&b, f.tmpl, rel); err != nil {
			return written, fmt.Errorf("%s: %w", f.tmpl, err)
		}
		if err := os.MkdirAll(filepath.Dir(f.path), 0o755); err != nil {
			return written, err
		}
		if err := os.WriteFile(f.path, []byte(b.String()), 0o644); err != nil {
			return written, err
		}
		written = append(written, f.path)
	}
	return written, nil
}

// yamlString is s as a YAML double-quoted scalar (JSON's string syntax is a subset of it).
func yamlString(s string) string {
	b, _ := json.Marshal(s) // a string always marshals
	return string(b)
}

// rubyString is s as a Ruby double-quoted string literal with no interpolation.
func rubyString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, `#`, `\#`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}
