package app

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/pimtray/pimtray/internal/cli"
	"github.com/pimtray/pimtray/internal/engine"
	"github.com/pimtray/pimtray/notify"
	"github.com/pimtray/pimtray/store"
	"github.com/pimtray/pimtray/tray"
	"github.com/pimtray/pimtray/tray/autostart"
	"github.com/pimtray/pimtray/tray/opener"
)

// teller shows the tray's own notices (an opener that found nothing, a Start at login that
// points at a temporary build); with no notifier they are only logged.
type teller struct {
	a   *App
	n   notify.Notifier
	seq atomic.Int64
}

func (t *teller) tell(title, body string) {
	t.a.Log.Warn(title, "detail", body)
	if t.n == nil {
		return
	}
	id := "tray-" + strconv.FormatInt(t.seq.Add(1), 10)
	if t.a.opts.Globals.Demo {
		title += " — DEMO"
	}
	_ = t.n.Show(engine.Notice{ID: id, Kind: engine.NoticeFailed, Title: title, Body: body})
}

// openFile opens a file for the user (the configuration, the log), writing the default
// configuration first when there is none yet. When nothing on the desktop opens it, a
// notice says what was tried and where the file is.
func (t *teller) openFile(o opener.Opener, path, what string) {
	a := t.a
	if path == a.Paths.ConfigFile {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			if err := store.SaveConfig(path, store.DefaultConfig()); err != nil {
				a.Log.Warn("write the default configuration", "err", err)
			}
		}
	}
	if err := o.Open(path); err != nil {
		msg := err.Error()
		var oe *opener.Error
		if errors.As(err, &oe) {
			msg = "Nothing on this desktop opened it (" + strings.Join(oe.Tried, "; ") + "). It is " + path + "."
			if len(oe.Tried) == 0 {
				msg = "No program to open it was found (xdg-open, gio, $VISUAL/$EDITOR, a text editor). It is " + path + "."
			}
		}
		t.tell("Could not open the "+what, msg)
	}
}

// autostartFor is the "Start at login" entry: the demo's own (pimtray-demo, started with
// --demo), the real one otherwise. A binary inside Go's build cache or a temporary folder
// (go run .) is gone after the next build: the entry then points at the installed pimtray
// on PATH if there is one; otherwise warn is what to tell when the box is ticked.
func autostartFor(g cli.Globals) (as *autostart.Autostart, warn string, err error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	if p, err := filepath.EvalSymlinks(exe); err == nil {
		exe = p
	}
	if temporaryBuild(exe) {
		if p, err := exec.LookPath("pimtray"); err == nil && !temporaryBuild(p) {
			if abs, err := filepath.Abs(p); err == nil {
				p = abs
			}
			exe = p
		} else {
			warn = "pimtray runs from a temporary build (" + exe + ", from go run), which goes away; Start at login would start nothing. Install it (go build -o ~/.local/bin/pimtray .) and tick Start at login again."
		}
	}
	name, args := "pimtray", []string(nil)
	if g.Demo {
		name, args = "pimtray-demo", []string{"--demo"}
		if g.DemoSpeed > 0 {
			args = append(args, "--demo-speed", strconv.FormatFloat(g.DemoSpeed, 'f', -1, 64))
		}
	}
	return autostart.New(name, exe, args), warn, nil
}

// temporaryBuild reports whether path is inside Go's build cache or a temporary folder.
func temporaryBuild(path string) bool {
	var roots []string
	if c, err := os.UserCacheDir(); err == nil {
		roots = append(roots, filepath.Join(c, "go-build"))
	}
	roots = append(roots, os.TempDir())
	if d := os.Getenv("GOTMPDIR"); d != "" {
		roots = append(roots, d)
	}
	for _, r := range roots {
		if rel, err := filepath.Rel(r, path); err == nil && rel != "." && !strings.HasPrefix(rel, "..") {
			return true
		}
	}
	return false
}

// warnedAutostart tells warn when Start at login is switched on.
type warnedAutostart struct {
	tray.Autostarter
	warn string
	tell func(title, body string)
}

func (w warnedAutostart) SetEnabled(on bool) error {
	if err := w.Autostarter.SetEnabled(on); err != nil {
		return err
	}
	if on && w.warn != "" {
		w.tell("Start at login points at a temporary build", w.warn)
	}
	return nil
}
