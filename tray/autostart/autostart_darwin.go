package autostart

import (
	"fmt"
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
	return a.setFileEnabled(on, func() ([]byte, error) {
		return launchAgentPlist(a.launchAgentLabel(), a.Command()), nil
	})
}
