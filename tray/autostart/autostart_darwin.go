package autostart

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Path returns the LaunchAgent's file: ~/Library/LaunchAgents/io.github.<app>.plist.
func (a *Autostart) Path() (string, error) {
	if err := a.check(); err != nil {
		return "", err
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("autostart: find the home folder: %w", err)
	}
	return filepath.Join(home, "Library", "LaunchAgents", a.launchAgentLabel()+".plist"), nil
}

// Enabled reports whether the LaunchAgent exists.
func (a *Autostart) Enabled() bool {
	path, err := a.Path()
	if err != nil {
		return false
	}
	_, err = os.Stat(path)
	return err == nil
}

// SetEnabled writes the LaunchAgent (on) or removes it (off). launchd reads it at the next
// login; it is deliberately not loaded now, which would start a second pimtray. Turning it
// off when it is already off is not an error.
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
	if err := writeFileAtomic(path, launchAgentPlist(a.launchAgentLabel(), a.Command())); err != nil {
		return fmt.Errorf("autostart: write %s: %w", path, err)
	}
	return nil
}
