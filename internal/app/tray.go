package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/pimtray/pimtray/assets"
	"github.com/pimtray/pimtray/internal/cli"
	"github.com/pimtray/pimtray/notify"
	"github.com/pimtray/pimtray/tray"
	"github.com/pimtray/pimtray/tray/opener"
)

// RunTray runs the tray until Quit: one per user, with notifications wired to the engine;
// about is the menu's version line. It returns the exit code.
func RunTray(ctx context.Context, g cli.Globals, stderr io.Writer, about string) int {
	softMemoryLimit()
	paths, err := Paths(g, nil)
	if err == nil {
		err = paths.Ensure()
	}
	if err != nil {
		return trayFailed(stderr, err)
	}
	release, err := tray.AcquireSingleInstance(paths.StateDir)
	if errors.Is(err, tray.ErrAlreadyRunning) {
		fmt.Fprintln(stderr, "pimtray is already running in the tray; use its menu, or pimtray list / activate here.")
		return cli.ExitOK
	}
	if err != nil {
		return trayFailed(stderr, err)
	}
	defer release()

	a, err := Open(ctx, Options{Globals: g, Tray: true, Stderr: stderr, Paths: &paths})
	if err != nil {
		return trayFailed(stderr, err)
	}
	defer a.Close()
	ctx, cancel := context.WithCancel(ctx)
	engineDone := make(chan struct{})
	go func() {
		defer close(engineDone)
		a.Engine.Run(ctx)
	}()
	// On the way out, stop the engine and let it finish saving its state before the
	// files and the log are closed.
	defer func() {
		cancel()
		<-engineDone
	}()

	a.Log.Info("pimtray started", "demo", g.Demo, "config", a.Paths.ConfigFile, "log", a.Paths.LogFile)
	n, err := notify.New(notify.Options{AppName: "pimtray", DesktopEntry: "pimtray", Icon: assets.AppIcon(), Log: a.Log,
		CacheDir: a.Paths.CacheDir, ShownFile: filepath.Join(a.Paths.StateDir, "notices.json")})
	if err != nil {
		a.Log.Warn("notifications unavailable; reminders show in the tray only", "err", err)
		n = nil
	} else {
		defer n.Close()
		go func() {
			for {
				select {
				case <-ctx.Done():
					return
				case notice := <-a.Engine.Notices():
					_ = n.Show(notice) // Show logs its own failures, once
				}
			}
		}()
		go func() {
			for ev := range n.Actions() {
				a.Engine.NoticeActionFor(ev.NoticeID, ev.Action, ev.Key)
			}
		}()
	}

	tell := &teller{a: a, n: n}
	open := opener.New()
	opts := tray.Options{
		Icons: tray.Icons{
			Idle:      assets.TrayIcon(assets.StateIdle),
			Active:    assets.TrayIcon(assets.StateActive),
			Expiring:  assets.TrayIcon(assets.StateExpiring),
			Pending:   assets.TrayIcon(assets.StatePending),
			Attention: assets.TrayIcon(assets.StateAttention),
		},
		OpenConfig: func() { tell.openFile(open, a.Paths.ConfigFile, "configuration") },
		OpenLog:    func() { tell.openFile(open, a.Paths.LogFile, "log") },
		Now:        a.Clock.Now,
		Log:        a.Log,
		About:      about,
	}
	if as, warn, err := autostartFor(g); err == nil {
		if warn != "" {
			a.Log.Warn("Start at login would point at a temporary build", "detail", warn)
		}
		opts.Autostart = warnedAutostart{Autostarter: as, warn: warn, tell: tell.tell}
	}
	if err := tray.Run(ctx, a.Engine, opts); err != nil {
		fmt.Fprintf(stderr, "pimtray: %v\n", err)
		// No desktop to show a tray on: the demo's command line works anywhere.
		if g.Demo {
			fmt.Fprintln(stderr, "For the demo: pimtray --demo list (from a clone: go run . --demo list)")
		}
		return cli.ExitFailed
	}
	return cli.ExitOK
}

// trayFailed says why the tray could not start: exit 2 for what the user must fix.
func trayFailed(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "pimtray: %v\n", err)
	if cli.IsBadInput(err) {
		return cli.ExitUsage
	}
	return cli.ExitFailed
}
