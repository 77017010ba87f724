package autostart

import (
	"errors"
	"fmt"
	"path/filepath"

	"golang.org/x/sys/windows/registry"
)

const (
	// runKey holds the programs started when the user logs in.
	runKey = `Software\Microsoft\Windows\CurrentVersion\Run`
	// approvedKey is where Task Manager's Startup tab and Settings › Apps › Startup record
	// that the user switched an entry of runKey off, without removing it.
	approvedKey = `Software\Microsoft\Windows\CurrentVersion\Explorer\StartupApproved\Run`
)

// Path returns where the entry lives: the registry value's full name.
func (a *Autostart) Path() (string, error) {
	if err := a.check(); err != nil {
		return "", err
	}
	return `HKEY_CURRENT_USER\` + runKey + `\` + a.appName, nil
}

// Enabled reports whether the Run value exists and the user has not switched it off in Task
// Manager.
func (a *Autostart) Enabled() bool {
	if a.check() != nil {
		return false
	}
	k, err := registry.OpenKey(registry.CURRENT_USER, runKey, registry.QUERY_VALUE)
	if err != nil {
		return false
	}
	defer k.Close()
	if _, _, err := k.GetStringValue(a.appName); err != nil {
		return false
	}
	return !a.switchedOffByUser()
}

// switchedOffByUser reads the StartupApproved flag: its first byte is odd when the entry is
// disabled (0x03) and even when enabled (0x02).
func (a *Autostart) switchedOffByUser() bool {
	k, err := registry.OpenKey(registry.CURRENT_USER, approvedKey, registry.QUERY_VALUE)
	if err != nil {
		return false
	}
	defer k.Close()
	data, _, err := k.GetBinaryValue(a.appName)
	return err == nil && len(data) > 0 && data[0]&1 == 1
}

// SetEnabled writes the Run value (on) or deletes it (off). Turning it on also clears a
// "disabled" mark the user set in Task Manager for this value, so the toggle means what it
// says. Turning it off when it is already off is not an error.
func (a *Autostart) SetEnabled(on bool) error {
	if err := a.check(); err != nil {
		return err
	}
	if !on {
		k, err := registry.OpenKey(registry.CURRENT_USER, runKey, registry.SET_VALUE)
		if errors.Is(err, registry.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("autostart: open the Run key: %w", err)
		}
		defer k.Close()
		if err := k.DeleteValue(a.appName); err != nil && !errors.Is(err, registry.ErrNotExist) {
			return fmt.Errorf("autostart: delete the Run value %s: %w", a.appName, err)
		}
		return nil
	}
	if !filepath.IsAbs(a.execPath) {
		return fmt.Errorf("autostart: program path %q is not absolute", a.execPath)
	}
	k, _, err := registry.CreateKey(registry.CURRENT_USER, runKey, registry.SET_VALUE)
	if err != nil {
		return fmt.Errorf("autostart: open the Run key: %w", err)
	}
	defer k.Close()
	if err := k.SetStringValue(a.appName, windowsCommandLine(a.Command())); err != nil {
		return fmt.Errorf("autostart: set the Run value %s: %w", a.appName, err)
	}
	if a.switchedOffByUser() {
		if ak, err := registry.OpenKey(registry.CURRENT_USER, approvedKey, registry.SET_VALUE); err == nil {
			_ = ak.DeleteValue(a.appName) // best effort: the Run value is written either way
			ak.Close()
		}
	}
	return nil
}
