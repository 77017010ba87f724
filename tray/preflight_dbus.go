//go:build (linux || freebsd || openbsd || netbsd) && !android

package tray

import (
	"context"
	"fmt"
	"log/slog"
	"time"

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

// whenPublished calls resend once systray's item is on the bus and settle has passed.
// systray reads the icon once when it publishes the item's properties and drops a SetIcon
// that lands after that read and before the properties are up; a tray host that registers
// the item at the same moment can also miss a NewIcon signal. Either way the host would
// show an old icon (nothing active, say) until the next change; the resend puts the
// current icon and tooltip back. It only runs at start: a few property reads, then done.
func whenPublished(ctx context.Context, settle time.Duration, resend func()) {
	go func() {
		shared, err := dbus.SessionBus() // systray's connection: its unique name is the item's
		if err != nil || len(shared.Names()) == 0 {
			return
		}
		conn, err := dbus.ConnectSessionBus()
		if err != nil {
			return
		}
		defer conn.Close()
		item := conn.Object(shared.Names()[0], "/StatusNotifierItem")
		poll := time.NewTicker(50 * time.Millisecond)
		defer poll.Stop()
		giveUp := time.After(30 * time.Second)
		for {
			callCtx, cancel := context.WithTimeout(ctx, time.Second)
			err := item.CallWithContext(callCtx, "org.freedesktop.DBus.Properties.Get", 0, "org.kde.StatusNotifierItem", "Status").Err
			cancel()
			if err == nil {
				break
			}
			select {
			case <-ctx.Done():
				return
			case <-giveUp:
				return
			case <-poll.C:
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(settle):
			resend()
		}
	}()
}
