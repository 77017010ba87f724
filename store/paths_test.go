package store

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestPathsPerPlatform(t *testing.T) {
	t.Parallel()
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	tests := []struct {
		name    string
		goos    string
		env     map[string]string
		home    string
		demo    bool
		want    Paths
		wantErr bool
	}{
		{
			name: "linux defaults", goos: "linux", home: "/home/ada",
			want: Paths{ConfigFile: "/home/ada/.config/pimtray/config.json", StateDir: "/home/ada/.local/state/pimtray",
				CacheDir: "/home/ada/.cache/pimtray", LogFile: "/home/ada/.local/state/pimtray/pimtray.log", KeyringService: "pimtray"},
		},
		{
			name: "linux XDG", goos: "linux", home: "/home/ada",
			env: map[string]string{"XDG_CONFIG_HOME": "/x/conf", "XDG_STATE_HOME": "/x/state", "XDG_CACHE_HOME": "/x/cache"},
			want: Paths{ConfigFile: "/x/conf/pimtray/config.json", StateDir: "/x/state/pimtray",
				CacheDir: "/x/cache/pimtray", LogFile: "/x/state/pimtray/pimtray.log", KeyringService: "pimtray"},
		},
		{
			name: "linux relative XDG is ignored", goos: "linux", home: "/home/ada",
			env: map[string]string{"XDG_CONFIG_HOME": "conf"},
			want: Paths{ConfigFile: "/home/ada/.config/pimtray/config.json", StateDir: "/home/ada/.local/state/pimtray",
				CacheDir: "/home/ada/.cache/pimtray", LogFile: "/home/ada/.local/state/pimtray/pimtray.log", KeyringService: "pimtray"},
		},
		{
			name: "linux demo has its own roots", goos: "linux", home: "/home/ada", demo: true,
			want: Paths{ConfigFile: "/home/ada/.config/pimtray-demo/config.json", StateDir: "/home/ada/.local/state/pimtray-demo",
				CacheDir: "/home/ada/.cache/pimtray-demo", LogFile: "/home/ada/.local/state/pimtray-demo/pimtray-demo.log",
				KeyringService: "pimtray-demo", Demo: true},
		},
		{
			name: "linux without home", goos: "linux", wantErr: true,
		},
		{
			name: "windows", goos: "windows", home: `C:\Users\ada`,
			env: map[string]string{"AppData": `C:\Users\ada\AppData\Roaming`, "LocalAppData": `C:\Users\ada\AppData\Local`},
			want: Paths{ConfigFile: `C:\Users\ada\AppData\Roaming\pimtray\config.json`, StateDir: `C:\Users\ada\AppData\Local\pimtray\state`,
				CacheDir: `C:\Users\ada\AppData\Local\pimtray\cache`, LogFile: `C:\Users\ada\AppData\Local\pimtray\state\pimtray.log`,
				KeyringService: "pimtray"},
		},
		{
			name: "windows without AppData", goos: "windows", home: `C:\Users\ada`, wantErr: true,
		},
		{
			name: "macOS", goos: "darwin", home: "/Users/ada",
			want: Paths{ConfigFile: "/Users/ada/Library/Application Support/pimtray/config.json",
				StateDir: "/Users/ada/Library/Application Support/pimtray", CacheDir: "/Users/ada/Library/Caches/pimtray",
				LogFile: "/Users/ada/Library/Application Support/pimtray/pimtray.log", KeyringService: "pimtray"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if runtime.GOOS == "windows" && tt.goos != "windows" {
				t.Skip("unix paths are checked on unix")
			}
			got, err := pathsFor(tt.goos, env(tt.env), tt.home, tt.demo)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("want an error, got %+v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestDefaultPathsDemoNeverMixesWithReal(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	real, err := DefaultPaths(false)
	if err != nil {
		t.Fatal(err)
	}
	demo, err := DefaultPaths(true)
	if err != nil {
		t.Fatal(err)
	}
	for _, pair := range [][2]string{{real.ConfigFile, demo.ConfigFile}, {real.StateDir, demo.StateDir}, {real.CacheDir, demo.CacheDir},
		{real.LogFile, demo.LogFile}, {real.KeyringService, demo.KeyringService}} {
		if pair[0] == pair[1] {
			t.Errorf("demo shares %q with the real app", pair[0])
		}
	}
}

func TestEnsureMakesPrivateFolders(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("unix modes")
	}
	root := t.TempDir()
	p, err := pathsFor("linux", func(string) string { return "" }, root, false)
	if err != nil {
		t.Fatal(err)
	}
	// A folder of ours made too open by something else gets tightened; ~/.config is left alone.
	if err := os.MkdirAll(p.CacheDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(root, ".cache"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p.CacheDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := p.Ensure(); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{filepath.Dir(p.ConfigFile), p.StateDir, p.CacheDir} {
		assertMode(t, d, 0o700)
	}
	assertMode(t, filepath.Join(root, ".cache"), 0o755)
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	if runtime.GOOS == "windows" {
		return
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s: mode %o, want %o", path, got, want)
	}
}
