package cli

import (
	"runtime/debug"
)

// versionText is what --version prints: "pimtray " and the version the release build
// stamped, else the module's build information: its version (a tag, or a pseudo-version
// that names the commit), or for a build from a work tree "(devel)" with the commit and
// "+dirty" when it had changes.
func versionText(stamped string, info *debug.BuildInfo) string {
	if stamped != "" && stamped != "dev" {
		return "pimtray " + stamped
	}
	if info == nil {
		return "pimtray (devel)"
	}
	var rev string
	var dirty bool
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return "pimtray " + v
	}
	out := "pimtray (devel)"
	if rev != "" {
		out += " " + rev[:min(len(rev), 7)]
		if dirty {
			out += "+dirty"
		}
	}
	return out
}

// VersionText is what --version prints for the stamped version ("" or "dev": the build
// information), for the tray's menu to show the same.
func VersionText(stamped string) string { return versionText(stamped, buildInfo()) }

// buildInfo is the binary's build information, nil when it has none.
func buildInfo() *debug.BuildInfo {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return nil
	}
	return info
}
