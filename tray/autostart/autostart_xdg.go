//go:build !windows && !darwin

package autostart

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/pimtray/pimtray/store"
)

// Path returns the autostart entry's file: $XDG_CONFIG_HOME/autostart/<app>.desktop, with
// ~/.config when XDG_CONFIG_HOME is unset or not absolute (XDG Base Directory spec).
func (a *Autostart) Path() (string, error) {
	if err := a.check(); err != nil {
		return "", err
	}
	dir := os.Getenv("XDG_CONFIG_HOME")
	if !filepath.IsAbs(dir) {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("autostart: find the config folder: %w", err)
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "autostart", a.appName+".desktop"), nil
}

// maxEntrySize bounds the read of an autostart entry (ours is ~300 bytes): a pipe or a huge
// file there is "not enabled", never a hang or a memory spike.
const maxEntrySize = 64 << 10

// Enabled reports whether the entry exists and is not switched off by the desktop's settings.
func (a *Autostart) Enabled() bool {
	path, err := a.Path()
	if err != nil {
		return false
	}
	content, err := store.ReadFile(path, maxEntrySize)
	if err != nil {
		return false
	}
	return desktopEntryEnabled(string(content))
}

// SetEnabled writes the autostart entry (on) or removes it (off). Turning it off when it is
// already off is not an error.
func (a *Autostart) SetEnabled(on bool) error {
	return a.setFileEnabled(on, func() ([]byte, error) {
		content, err := desktopEntry(a.appName, a.Command())
		return []byte(content), err
	})
}
