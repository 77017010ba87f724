// Package autostart starts pimtray when the user logs in, the way each desktop expects:
//
//   - Linux and other XDG desktops: an autostart entry,
//     $XDG_CONFIG_HOME/autostart/<app>.desktop (~/.config/autostart when unset);
//   - macOS: a LaunchAgent, ~/Library/LaunchAgents/io.github.<app>.plist, loaded by launchd at
//     the next login (enabling it does not start a second copy now);
//   - Windows: the value <app> under HKCU\Software\Microsoft\Windows\CurrentVersion\Run.
//
// Turning it off removes exactly what turning it on added: that one file or registry value,
// nothing else in the folder or key.
package autostart

import (
	"errors"
	"fmt"
	"strings"
)

// Autostart turns starting an application at login on and off for the current user.
type Autostart struct {
	appName  string
	execPath string
	args     []string
}

// New returns the start-at-login setting of appName ("pimtray"), which starts execPath (an
// absolute path, usually from os.Executable) with args. appName names the entry: the
// .desktop file, the LaunchAgent label and the Run value.
func New(appName, execPath string, args []string) *Autostart {
	return &Autostart{appName: appName, execPath: execPath, args: append([]string(nil), args...)}
}

// AppName returns the name the entry is stored under.
func (a *Autostart) AppName() string { return a.appName }

// Command returns the program and arguments started at login.
func (a *Autostart) Command() []string {
	return append([]string{a.execPath}, a.args...)
}

// launchAgentLabel is the LaunchAgent's label and file name stem on macOS.
func (a *Autostart) launchAgentLabel() string { return "io.github." + a.appName }

// check reports a setting that cannot be stored: the name must be usable as a file name and a
// registry value name, the command must name a program and fit on one line.
func (a *Autostart) check() error {
	if a.appName == "" || strings.HasPrefix(a.appName, ".") || strings.Trim(a.appName, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != "" {
		return fmt.Errorf("autostart: app name %q must be letters, digits, '.', '_' or '-'", a.appName)
	}
	if a.execPath == "" {
		return errors.New("autostart: no program to start")
	}
	for _, s := range a.Command() {
		if strings.ContainsAny(s, "\x00\n\r") {
			return fmt.Errorf("autostart: command %q contains a line break or NUL", s)
		}
	}
	return nil
}
