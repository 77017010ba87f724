package cli

import (
	"runtime/debug"
	"testing"
)

func TestVersionText(t *testing.T) {
	t.Parallel()
	vcs := func(main string, settings ...string) *debug.BuildInfo {
		info := &debug.BuildInfo{Main: debug.Module{Path: "github.com/pimtray/pimtray", Version: main}}
		for i := 0; i+1 < len(settings); i += 2 {
			info.Settings = append(info.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
		}
		return info
	}
	const rev = "4a6b5cc1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7"
	tests := []struct {
		name    string
		stamped string
		info    *debug.BuildInfo
		want    string
	}{
		{"stamped by the release build", "v1.2.3", vcs("(devel)", "vcs.revision", rev), "pimtray v1.2.3"},
		{"go install of a tag", "", vcs("v1.2.3"), "pimtray v1.2.3"},
		{"the old default stamp", "dev", vcs("v1.2.3"), "pimtray v1.2.3"},
		{"a pseudo-version names its commit", "", vcs("v0.0.0-20261201143734-4a6b5cc1d2e3+dirty", "vcs.revision", rev), "pimtray v0.0.0-20261201143734-4a6b5cc1d2e3+dirty"},
		{"a work tree with changes", "", vcs("(devel)", "vcs.revision", rev, "vcs.modified", "true"), "pimtray (devel) 4a6b5cc+dirty"},
		{"a clean work tree", "", vcs("(devel)", "vcs.revision", rev, "vcs.modified", "false"), "pimtray (devel) 4a6b5cc"},
		{"no VCS information", "", vcs("(devel)"), "pimtray (devel)"},
		{"no build information", "", nil, "pimtray (devel)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := versionText(tt.stamped, tt.info); got != tt.want {
				t.Errorf("versionText = %q, want %q", got, tt.want)
			}
		})
	}
}
