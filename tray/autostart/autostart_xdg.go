//go:build !windows && !darwin

package autostart

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
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

// Enabled reports whether the entry exists and is not switched off by the desktop's settings.
func (a *Autostart) Enabled() bool {
	path, err := a.Path()
	if err != nil {
		return false
	}
	content, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	return desktopEntryEnabled(string(content))
}

// SetEnabled writes the autostart entry (on) or removes it (off). Turning it off when it is
// already off is not an error.
func (a *Autostart) SetEnabled(on bool) error {
	path, err := a.Path()
	if err != nil {
		return err
	}
	if !on {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("autostart: remove %s: %w", path, err)
		}
		return nil
	}
	if !filepath.IsAbs(a.execPath) {
		return fmt.Errorf("autostart: program path %q is not absolute", a.execPath)
	}
	content, err := desktopEntry(a.appName, a.Command())
	if err != nil {
		return err
	}
	if err := writeFileAtomic(path, []byte(content)); err != nil {
		return fmt.Errorf("autostart: write %s: %w", path, err)
	}
	return nil
}
