package main

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Formats from the winget manifest schema 1.9.0 (microsoft/winget-cli,
// schemas/JSON/manifests/v1.9.0).
var (
	wingetIdentifier = regexp.MustCompile(`^[^.\s\\/:*?"<>|\x01-\x1f]{1,32}(\.[^.\s\\/:*?"<>|\x01-\x1f]{1,32}){1,7}$`)
	wingetVersion    = regexp.MustCompile(`^[^\\/:*?"<>|\x01-\x1f]+$`)
	wingetLocale     = regexp.MustCompile(`^([a-zA-Z]{2,3}|[iI]-[a-zA-Z]+|[xX]-[a-zA-Z]{1,8})(-[a-zA-Z]{1,8})*$`)
	wingetURL        = regexp.MustCompile(`^([Hh][Tt][Tt][Pp][Ss]?)://.+$`)
	wingetSHA256     = regexp.MustCompile(`^[A-Fa-f0-9]{64}$`)
	wingetTag        = regexp.MustCompile(`^\S+$`)
	wingetArches     = []string{"x86", "x64", "arm", "arm64", "neutral"}
)

const wingetManifestVersion = "1.9.0"

type manifest = map[string]any

// checkWinget checks the manifest set under dir/manifests against the zips in dist.
func checkWinget(dir, dist string) ([]string, string) {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	// manifests/<first letter>/<Publisher>/<Name>/<Version>/<Id>.yaml, as in winget-pkgs.
	versionFiles, _ := filepath.Glob(filepath.Join(dir, "manifests", "*", "*", "*", "*", "*.yaml"))
	dirs := map[string]bool{}
	for _, f := range versionFiles {
		dirs[filepath.Dir(f)] = true
	}
	if len(dirs) != 1 {
		bad("winget: want one manifest folder manifests/<letter>/<publisher>/<name>/<version> under %s, found %d", dir, len(dirs))
		return problems, ""
	}
	var vdir string
	for d := range dirs {
		vdir = d
	}
	rel, _ := filepath.Rel(filepath.Join(dir, "manifests"), vdir)
	parts := strings.Split(filepath.ToSlash(rel), "/")
	id := parts[1] + "." + parts[2]
	folderVersion := parts[3]
	if !strings.EqualFold(parts[0], id[:1]) {
		bad("winget: folder %s: the first level must be the identifier's first letter, %q", rel, strings.ToLower(id[:1]))
	}

	load := func(kind string) manifest {
		name := id + ".yaml"
		switch kind {
		case "installer":
			name = id + ".installer.yaml"
		case "defaultLocale":
			name = "" // found from the version manifest's DefaultLocale
		}
		if name == "" {
			return nil
		}
		return loadManifest(filepath.Join(vdir, name), kind, &problems)
	}
	version := load("version")
	installer := load("installer")
	if version == nil || installer == nil {
		return problems, ""
	}
	locale := str(version, "DefaultLocale")
	if !wingetLocale.MatchString(locale) {
		bad("winget version manifest: DefaultLocale %q is not a locale such as en-US", locale)
		return problems, ""
	}
	defaultLocale := loadManifest(filepath.Join(vdir, id+".locale."+locale+".yaml"), "defaultLocale", &problems)
	if defaultLocale == nil {
		return problems, ""
	}
	if entries, _ := os.ReadDir(vdir); len(entries) != 3 {
		bad("winget: %s must hold exactly the version, installer and defaultLocale manifests, has %d files", vdir, len(entries))
	}

	for _, m := range []struct {
		name string
		m    manifest
	}{{"version", version}, {"installer", installer}, {"defaultLocale", defaultLocale}} {
		if got := str(m.m, "PackageIdentifier"); got != id {
			bad("winget %s manifest: PackageIdentifier %q, but the folder says %q", m.name, got, id)
		}
		if got := str(m.m, "PackageVersion"); got != folderVersion {
			bad("winget %s manifest: PackageVersion %q, but the folder says %q", m.name, got, folderVersion)
		}
	}
	if !wingetIdentifier.MatchString(id) || len(id) > 128 {
		bad("winget: PackageIdentifier %q is not Publisher.Name (schema pattern)", id)
	}
	if !wingetVersion.MatchString(folderVersion) || len(folderVersion) > 128 {
		bad("winget: PackageVersion %q has characters the schema forbids", folderVersion)
	}

	// defaultLocale: what winget-pkgs requires of it.
	if got := str(defaultLocale, "PackageLocale"); got != locale {
		bad("winget defaultLocale manifest: PackageLocale %q, want %q", got, locale)
	}
	for _, f := range []struct {
		key      string
		min, max int
	}{{"Publisher", 2, 256}, {"PackageName", 2, 256}, {"License", 3, 512}, {"ShortDescription", 3, 256}} {
		v, ok := defaultLocale[f.key].(string)
		if !ok || len(v) < f.min || len(v) > f.max {
			bad("winget defaultLocale manifest: %s must be a string of %d to %d characters, is %v", f.key, f.min, f.max, defaultLocale[f.key])
		}
	}
	if d, ok := defaultLocale["Description"]; ok {
		if s, _ := d.(string); len(s) < 3 || len(s) > 10000 {
			bad("winget defaultLocale manifest: Description must be 3 to 10000 characters")
		}
	}
	for _, key := range []string{"PublisherUrl", "PublisherSupportUrl", "PackageUrl", "LicenseUrl", "ReleaseNotesUrl"} {
		if v, ok := defaultLocale[key]; ok {
			if s, _ := v.(string); !wingetURL.MatchString(s) || len(s) > 2048 {
				bad("winget defaultLocale manifest: %s %v is not an http(s) address", key, v)
			}
		}
	}
	if tags, ok := defaultLocale["Tags"]; ok {
		list, _ := tags.([]any)
		if len(list) > 16 {
			bad("winget defaultLocale manifest: at most 16 Tags, has %d", len(list))
		}
		for _, t := range list {
			if s, _ := t.(string); !wingetTag.MatchString(s) || len(s) > 40 {
				bad("winget defaultLocale manifest: tag %v must be one word of at most 40 characters", t)
			}
		}
	}

	// installer: a zip holding a portable exe, one installer per architecture.
	if d, ok := installer["ReleaseDate"]; ok {
		// YAML reads an unquoted date as a timestamp.
		if _, isTime := d.(time.Time); !isTime {
			if _, err := time.Parse(time.DateOnly, fmt.Sprint(d)); err != nil {
				bad("winget installer manifest: ReleaseDate %v is not YYYY-MM-DD", d)
			}
		}
	}
	list, _ := installer["Installers"].([]any)
	if len(list) == 0 {
		bad("winget installer manifest: no Installers")
	}
	var arches []string
	for i, item := range list {
		inst, _ := item.(manifest)
		if inst == nil {
			bad("winget installer %d: not a mapping", i+1)
			continue
		}
		field := func(key string) any { // an installer's own value, else the root's
			if v, ok := inst[key]; ok {
				return v
			}
			return installer[key]
		}
		arch := str(inst, "Architecture")
		where := fmt.Sprintf("winget installer %d (%s)", i+1, arch)
		if !slices.Contains(wingetArches, arch) {
			bad("%s: Architecture %q is not one of %v", where, arch, wingetArches)
		}
		if slices.Contains(arches, arch) {
			bad("%s: a second installer for the same architecture", where)
		}
		arches = append(arches, arch)
		if t := fmt.Sprint(field("InstallerType")); t != "zip" {
			bad("%s: InstallerType %q, want zip (the portable zip)", where, t)
		}
		if t := fmt.Sprint(field("NestedInstallerType")); t != "portable" {
			bad("%s: NestedInstallerType %q, want portable", where, t)
		}
		nested, _ := field("NestedInstallerFiles").([]any)
		if len(nested) != 1 {
			bad("%s: a portable zip needs exactly one NestedInstallerFiles entry, has %d", where, len(nested))
		}
		address := str(inst, "InstallerUrl")
		if !wingetURL.MatchString(address) || !strings.HasPrefix(address, "https://") {
			bad("%s: InstallerUrl %q is not an https address", where, address)
			continue
		}
		sum := str(inst, "InstallerSha256")
		if !wingetSHA256.MatchString(sum) {
			bad("%s: InstallerSha256 %q is not 64 hex digits", where, sum)
		}
		u, err := url.Parse(address)
		if err != nil {
			bad("%s: InstallerUrl %q: %v", where, address, err)
			continue
		}
		zipPath := filepath.Join(dist, path.Base(u.Path))
		got, err := fileSHA256(zipPath)
		if err != nil {
			bad("%s: the zip its InstallerUrl names is not in %s: %v", where, dist, err)
			continue
		}
		if !strings.EqualFold(got, sum) {
			bad("%s: InstallerSha256 %s is not the SHA-256 of %s (%s)", where, sum, zipPath, strings.ToUpper(got))
		}
		for _, n := range nested {
			nf, _ := n.(manifest)
			rel := str(nf, "RelativeFilePath")
			alias := str(nf, "PortableCommandAlias")
			if alias == "" || len(alias) > 40 {
				bad("%s: PortableCommandAlias %q: the command users type must be 1 to 40 characters", where, alias)
			}
			if err := zipHasFile(zipPath, strings.ReplaceAll(rel, `\`, "/")); err != nil {
				bad("%s: RelativeFilePath %q: %v", where, rel, err)
			}
		}
	}
	summary := fmt.Sprintf("%s %s: %d installers (%s), each zip's SHA-256 and exe path verified",
		id, folderVersion, len(list), strings.Join(arches, ", "))
	return problems, summary
}

// loadManifest parses one manifest and checks its ManifestType and ManifestVersion.
func loadManifest(file, kind string, problems *[]string) manifest {
	data, err := os.ReadFile(file)
	if err != nil {
		*problems = append(*problems, fmt.Sprintf("winget %s manifest: %v", kind, err))
		return nil
	}
	var m manifest
	if err := yaml.Unmarshal(data, &m); err != nil {
		*problems = append(*problems, fmt.Sprintf("winget %s manifest %s: not YAML: %v", kind, file, err))
		return nil
	}
	if m == nil {
		*problems = append(*problems, fmt.Sprintf("winget %s manifest %s is empty", kind, file))
		return nil
	}
	if got := str(m, "ManifestType"); got != kind {
		*problems = append(*problems, fmt.Sprintf("winget %s: ManifestType %q, want %q", file, got, kind))
	}
	if got := str(m, "ManifestVersion"); got != wingetManifestVersion {
		*problems = append(*problems, fmt.Sprintf("winget %s: ManifestVersion %q, want %s", file, got, wingetManifestVersion))
	}
	// winget-pkgs' tooling and editors read the schema from this first-line comment.
	schema := "# yaml-language-server: $schema=https://aka.ms/winget-manifest." + kind + "." + wingetManifestVersion + ".schema.json\n"
	if !strings.HasPrefix(string(data), schema) {
		*problems = append(*problems, fmt.Sprintf("winget %s: the first line must be %q", file, strings.TrimSpace(schema)))
	}
	return m
}

// str is m[key] when it is a string, else "".
func str(m manifest, key string) string {
	s, _ := m[key].(string)
	return s
}

func fileSHA256(file string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// zipHasFile says whether the zip holds a regular file of that name.
func zipHasFile(file, name string) error {
	r, err := zip.OpenReader(file)
	if err != nil {
		return err
	}
	defer r.Close()
	for _, f := range r.File {
		if f.Name == name {
			if !f.Mode().IsRegular() {
				return fmt.Errorf("%s in %s is not a file", name, filepath.Base(file))
			}
			return nil
		}
	}
	return fmt.Errorf("%s holds no %s", filepath.Base(file), name)
}
