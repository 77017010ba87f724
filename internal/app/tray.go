package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/pkg/browser"

	"github.com/pimtray/pimtray/assets"
	"github.com/pimtray/pimtray/internal/cli"
	"github.com/pimtray/pimtray/notify"
	"github.com/pimtray/pimtray/store"
	"github.com/pimtray/pimtray/tray"
	"github.com/pimtray/pimtray/tray/autostart"
)

// RunTray runs the tray until Quit: one per user, with notifications wired to the engine.
// It returns the exit code.
func RunTray(ctx context.Context, g cli.Globals, stderr io.Writer) int {
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

	n, err := notify.New(notify.Options{AppName: "pimtray", DesktopEntry: "pimtray", Icon: assets.AppIcon(), Log: a.Log,
		ShownFile: filepath.Join(a.Paths.StateDir, "notices.json")})
	if err != nil {
		a.Log.Warn("notifications unavailable; reminders show in the tray only", "err", err)
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

	opts := tray.Options{
		Icons: tray.Icons{
			Idle:      assets.TrayIcon(assets.StateIdle),
			Active:    assets.TrayIcon(assets.StateActive),
			Expiring:  assets.TrayIcon(assets.StateExpiring),
			Pending:   assets.TrayIcon(assets.StatePending),
			Attention: assets.TrayIcon(assets.StateAttention),
		},
		OpenConfig: func() { a.openFile(a.Paths.ConfigFile) },
		OpenLog:    func() { a.openFile(a.Paths.LogFile) },
		Now:        a.Clock.Now,
		Log:        a.Log,
	}
	if exe, err := os.Executable(); err == nil && !g.Demo {
		opts.Autostart = autostart.New("pimtray", exe, nil)
	}
	if err := tray.Run(ctx, a.Engine, opts); err != nil {
		fmt.Fprintf(stderr, "pimtray: %v\n", err)
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

// openFile opens a file with the desktop's handler, writing the defaults first when the
// configuration doesn't exist yet.
func (a *App) openFile(path string) {
	if path == a.Paths.ConfigFile {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			if err := store.SaveConfig(path, store.DefaultConfig()); err != nil {
				a.Log.Warn("write the default configuration", "err", err)
			}
		}
	}
	if err := browser.OpenFile(path); err != nil {
		a.Log.Warn("open file", "path", path, "err", err)
	}
}
