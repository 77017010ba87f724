package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// App folder names. The demo keeps everything under its own name so demo data never
// mixes with a real sign-in or a real configuration.
const (
	AppName  = "pimtray"
	DemoName = "pimtray-demo"
)

// Paths are where pimtray keeps its files on this machine.
type Paths struct {
	// ConfigFile is the user's configuration (config.json).
	ConfigFile string
	// StateDir holds the last known state (state.json) and the log.
	StateDir string
	// CacheDir holds the sealed sign-in caches (one file per tenant). Losing it only
	// means signing in again.
	CacheDir string
	// LogFile is the log pimtray writes when it runs in the tray.
	LogFile string
	// KeyringService is the keyring service name the sealing keys are kept under:
	// "pimtray", or "pimtray-demo" for the demo.
	KeyringService string
	// Demo is true for the demo's paths.
	Demo bool
}

// StateFile is the last-known-state file in StateDir.
func (p Paths) StateFile() string { return filepath.Join(p.StateDir, "state.json") }

// Ensure creates the folders (0700) and tightens pimtray's own folders to 0700 when they
// were created looser by something else.
func (p Paths) Ensure() error {
	for _, dir := range []string{filepath.Dir(p.ConfigFile), p.StateDir, p.CacheDir, filepath.Dir(p.LogFile)} {
		if dir == "" || dir == "." {
			continue
		}
		if err := ensurePrivateDir(dir); err != nil {
			return err
		}
	}
	return nil
}

// DefaultPaths are the platform's usual places:
//
//   - Linux and BSDs: $XDG_CONFIG_HOME/pimtray/config.json, $XDG_STATE_HOME/pimtray, $XDG_CACHE_HOME/pimtray
//     (defaults ~/.config, ~/.local/state, ~/.cache);
//   - Windows: %AppData%\pimtray\config.json, %LocalAppData%\pimtray\state and \cache;
//   - macOS: ~/Library/Application Support/pimtray (config and state), ~/Library/Caches/pimtray.
//
// With demo true every folder is named "pimtray-demo" instead.
func DefaultPaths(demo bool) (Paths, error) {
	home, _ := os.UserHomeDir()
	return pathsFor(runtime.GOOS, os.Getenv, home, demo)
}

// pathsFor is DefaultPaths for a given OS and environment (tested for every OS on any OS).
func pathsFor(goos string, getenv func(string) string, home string, demo bool) (Paths, error) {
	name := AppName
	if demo {
		name = DemoName
	}
	// join uses the target OS's separator so Windows paths built on Linux tests still read right.
	join := func(elem ...string) string {
		if goos == "windows" {
			return strings.Join(elem, `\`)
		}
		return filepath.Join(elem...)
	}
	needHome := func() error {
		if home == "" {
			return errors.New("cannot find the home folder: set HOME")
		}
		return nil
	}
	var config, state, cache string
	switch goos {
	case "windows":
		appData, local := getenv("AppData"), getenv("LocalAppData")
		if appData == "" {
			return Paths{}, errors.New("cannot find the AppData folder: %AppData% is not set")
		}
		if local == "" {
			local = appData
		}
		config = join(appData, name)
		state = join(local, name, "state")
		cache = join(local, name, "cache")
	case "darwin", "ios":
		if err := needHome(); err != nil {
			return Paths{}, err
		}
		config = join(home, "Library", "Application Support", name)
		state = config
		cache = join(home, "Library", "Caches", name)
	default: // Linux, BSDs: XDG base directories. Relative values must be ignored (XDG spec).
		xdg := func(env string, fallback ...string) (string, error) {
			if v := getenv(env); v != "" && filepath.IsAbs(v) {
				return v, nil
			}
			if err := needHome(); err != nil {
				return "", err
			}
			return join(append([]string{home}, fallback...)...), nil
		}
		var err error
		if config, err = xdg("XDG_CONFIG_HOME", ".config"); err != nil {
			return Paths{}, err
		}
		if state, err = xdg("XDG_STATE_HOME", ".local", "state"); err != nil {
			return Paths{}, err
		}
		if cache, err = xdg("XDG_CACHE_HOME", ".cache"); err != nil {
			return Paths{}, err
		}
		config, state, cache = join(config, name), join(state, name), join(cache, name)
	}
	return Paths{
		ConfigFile:     join(config, "config.json"),
		StateDir:       state,
		CacheDir:       cache,
		LogFile:        join(state, name+".log"),
		KeyringService: name,
		Demo:           demo,
	}, nil
}

// ensurePrivateDir creates dir (and missing parents) 0700. When dir itself already exists and is
// one of pimtray's own folders, it is tightened to 0700.
func ensurePrivateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create folder %s: %w", displayPath(dir), err)
	}
	if runtime.GOOS == "windows" {
		return nil // permission bits mean little there; the profile folder is private already
	}
	if !strings.HasPrefix(filepath.Base(dir), AppName) && !isUnderAppDir(dir) {
		return nil // never change the mode of a folder that isn't ours (~/.config, /tmp, ...)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("check folder %s: %w", displayPath(dir), err)
	}
	if fi.Mode().Perm() != 0o700 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("make folder %s private: %w", displayPath(dir), err)
		}
	}
	return nil
}

// isUnderAppDir is true for folders inside a "pimtray*" folder (state, cache on Windows).
func isUnderAppDir(dir string) bool {
	for d := filepath.Dir(dir); d != filepath.Dir(d); d = filepath.Dir(d) {
		if strings.HasPrefix(filepath.Base(d), AppName) {
			return true
		}
	}
	return false
}

// displayPath shortens the home folder to "~" for messages.
func displayPath(p string) string {
	home, err := os.UserHomeDir()
	if err != nil || home == "" || home == "/" {
		return p
	}
	if p == home {
		return "~"
	}
	if rest, ok := strings.CutPrefix(p, home+string(filepath.Separator)); ok {
		return "~" + string(filepath.Separator) + rest
	}
	return p
}
