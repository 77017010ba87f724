//go:build (linux || freebsd || openbsd || netbsd) && !android

package tray

import (
	"fmt"
	"log/slog"

	"fyne.io/systray"
	"github.com/godbus/dbus/v5"
)

// preflight checks that a tray icon can be shown: fyne.io/systray on these systems
// publishes a StatusNotifierItem on the D-Bus session bus, and without a bus it would sit
// silently with no icon. A missing tray host (GNOME without the AppIndicator extension) is
// only worth a warning: the icon appears as soon as a host starts.
func preflight(log *slog.Logger) error {
	// The shared connection is the one systray uses next.
	conn, err := dbus.SessionBus()
	if err != nil {
		return fmt.Errorf("the tray needs a desktop session (no D-Bus session bus: %w)", err)
	}
	var hasWatcher bool
	err = conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, "org.kde.StatusNotifierWatcher").Store(&hasWatcher)
	if err == nil && !hasWatcher {
		log.Warn("no system tray host is running (org.kde.StatusNotifierWatcher); on GNOME, install the AppIndicator extension. The icon appears once a tray host starts.")
	}
	return nil
}

// seedBeforeRun gives systray the first icon, tooltip and title before it starts. Here
// systray reads them once when it publishes the item's properties, and drops a SetIcon
// or SetTooltip that lands while it is still publishing (onReady runs concurrently with
// that): set before Run, they are always there. The title names the item in tray hosts.
func seedBeforeRun(icon []byte, tooltip string) {
	if len(icon) > 0 {
		systray.SetIcon(icon)
	}
	systray.SetTooltip(tooltip)
	systray.SetTitle("pimtray")
}
