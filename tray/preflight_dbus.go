//go:build (linux || freebsd || openbsd || netbsd) && !android

package tray

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"fyne.io/systray"
	"github.com/godbus/dbus/v5"

	"github.com/pimtray/pimtray/internal/sessionbus"
)

// preflight checks that a tray icon can be shown: fyne.io/systray on these systems
// publishes a StatusNotifierItem on the D-Bus session bus, and without a bus it would sit
// silently with no icon. It never starts a bus (godbus would run dbus-launch when none is
// known: a private bus no tray host is on, and a daemon left behind). A missing tray host
// (GNOME without the AppIndicator extension, a panel that starts after pimtray at login) is
// said at once on stderr, in one sentence, and preflight waits for one to appear (or for ctx):
// systray registers its icon once, when it starts, and a host that appears while it is
// starting would be missed.
func preflight(ctx context.Context, log *slog.Logger, stderr io.Writer) error {
	if !sessionbus.Known() {
		return errors.New("the tray needs a desktop session (no D-Bus session bus: DBUS_SESSION_BUS_ADDRESS is not set); use the command line here: pimtray list, pimtray activate")
	}
	// The shared connection is the one systray uses next.
	conn, err := dbus.SessionBus()
	if err != nil {
		return fmt.Errorf("the tray needs a desktop session (no D-Bus session bus: %w)", err)
	}
	if hostRunning(conn) {
		return nil
	}
	fmt.Fprintln(stderr, noTrayHost)
	log.Warn(noTrayHost)
	if err := waitForWatcher(ctx, conn); err != nil {
		return err
	}
	log.Info("a system tray host appeared; showing the icon")
	return nil
}

// hostRunning: someone owns the watcher's name (an error counts as yes: systray will try).
func hostRunning(conn *dbus.Conn) bool {
	var has bool
	err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, watcherName).Store(&has)
	return err != nil || has
}

// waitForWatcher returns once a tray host owns the watcher's name, or ctx's error.
func waitForWatcher(ctx context.Context, conn *dbus.Conn) error {
	signals := make(chan *dbus.Signal, 8)
	conn.Signal(signals)
	defer conn.RemoveSignal(signals)
	match := []dbus.MatchOption{dbus.WithMatchSender("org.freedesktop.DBus"), dbus.WithMatchMember("NameOwnerChanged"),
		dbus.WithMatchArg(0, watcherName)}
	if err := conn.AddMatchSignal(match...); err != nil {
		return fmt.Errorf("watch for a system tray host: %w", err)
	}
	defer conn.RemoveMatchSignal(match...)
	// Polled too, slowly: a bus that drops the signal must not leave pimtray waiting forever.
	poll := time.NewTicker(2 * time.Second)
	defer poll.Stop()
	for !hostRunning(conn) { // after AddMatchSignal: a host that came meanwhile is seen here
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-signals:
		case <-poll.C:
		}
	}
	return nil
}

// watcherName is the tray host's name on the session bus.
const watcherName = "org.kde.StatusNotifierWatcher"

// noTrayHost is the one sentence for a desktop without a tray host.
const noTrayHost = "pimtray: no system tray is running to show the icon (nothing owns " + watcherName + " on the session bus): " +
	"on GNOME install and enable the AppIndicator extension (gnome-shell-extension-appindicator), elsewhere start a panel with a system tray; " +
	"pimtray keeps running and its icon appears as soon as one starts."

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
