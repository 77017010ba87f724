// Command pkgcheck checks pimtray's winget manifests and Homebrew cask against what their
// repositories (microsoft/winget-pkgs, a Homebrew tap) require, and against the release
// artifacts they point to:
//
//	pkgcheck -winget DIR/winget -cask DIR/homebrew/Casks/pimtray.rb -dist DIR [-require-mac]
//
// winget: the three files of a multi-file manifest (version, installer, defaultLocale) in
// manifests/<letter>/<publisher>/<name>/<version>/, each parsed as YAML and checked for the
// fields and formats schema 1.9.0 requires (PackageIdentifier, PackageVersion, ManifestType,
// ManifestVersion, Publisher, PackageName, License, ShortDescription, Installers with
// Architecture, InstallerUrl, InstallerSha256), one identifier and version across the files;
// a zip installer of a portable exe (InstallerType zip, NestedInstallerType portable,
// NestedInstallerFiles); each InstallerSha256 equal to the SHA-256 of the zip in DIST that
// its InstallerUrl names, and each RelativeFilePath a file inside that zip.
//
// cask: the Ruby file parsed stanza by stanza (cask "token" do ... end) and checked for
// version, sha256, url, name, desc, homepage and app, Homebrew's audit rules for desc, and
// https addresses; the url, with #{version} put in, names pimtray-v<version>-macos.zip. When
// that zip is in DIST, sha256 must be its checksum and the zip must hold the app; when it is
// not (it is built on macOS), sha256 :no_check is accepted unless -require-mac.
//
// Every problem is printed; the exit code is 1 if there was any.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("pkgcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	winget := fs.String("winget", "", "the winget folder (holding manifests/)")
	cask := fs.String("cask", "", "the cask file")
	dist := fs.String("dist", "", "the folder with the release artifacts")
	requireMac := fs.Bool("require-mac", false, "fail when the macOS zip is not in -dist (release builds)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *dist == "" || (*winget == "" && *cask == "") {
		fmt.Fprintln(stderr, "pkgcheck: give -dist and at least one of -winget and -cask")
		return 2
	}
	var problems []string
	if *winget != "" {
		p, summary := checkWinget(*winget, *dist)
		problems = append(problems, p...)
		if len(p) == 0 {
			fmt.Fprintf(stdout, "pkgcheck: winget %s\n", summary)
		}
	}
	if *cask != "" {
		p, summary := checkCask(*cask, *dist, *requireMac)
		problems = append(problems, p...)
		if len(p) == 0 {
			fmt.Fprintf(stdout, "pkgcheck: cask %s\n", summary)
		}
	}
	for _, p := range problems {
		fmt.Fprintf(stderr, "pkgcheck: FAIL: %s\n", p)
	}
	if len(problems) > 0 {
		return 1
	}
	return 0
}
