package cli_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/pimtray/pimtray/internal/app"
	"github.com/pimtray/pimtray/internal/cli"
	"github.com/pimtray/pimtray/internal/engine"
)

// TestMain lets the scripts run pimtray: this test binary, started as "pimtray", is the
// binary's main (main.go) — internal/app's wiring — with two things only the scripts use:
// $PIMTRAY_STAMP stands for the version release.sh stamps (-X main.version), and each time
// a command opens its engine it leaves a line in $PIMTRAY_OPENED, so a script can show that
// completing opened nothing.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"pimtray":           func() { os.Exit(scriptPimtray()) },
		"pimtray-tray-once": func() { os.Exit(scriptTrayOnce()) },
	})
}

func scriptPimtray() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env := app.Env(os.Getenv("PIMTRAY_STAMP"))
	open := env.Open
	env.Open = func(ctx context.Context, g cli.Globals, stderr io.Writer) (*engine.Engine, func(), error) {
		if f := os.Getenv("PIMTRAY_OPENED"); f != "" {
			w, err := os.OpenFile(f, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
			if err == nil {
				fmt.Fprintln(w, "opened")
				w.Close()
			}
		}
		return open(ctx, g, stderr)
	}
	return cli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr, env)
}

// scriptTrayOnce leaves the last known state as the tray would: its engine (the demo's with
// --demo) refreshes once and saves its state on the way out.
func scriptTrayOnce() int {
	g := cli.Globals{Demo: len(os.Args) > 1 && os.Args[1] == "--demo"}
	a, err := app.Open(context.Background(), app.Options{Globals: g, Tray: true, Stderr: os.Stderr})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer a.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.Engine.Run(ctx)
	}()
	err = a.Engine.RefreshNow(ctx, "")
	cancel()
	<-done
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// TestScripts runs testdata/script/*.txtar: pimtray's commands on the demo tenant, each
// script in a home of its own, with their exact output and exit codes.
func TestScripts(t *testing.T) {
	t.Parallel()
	testscript.Run(t, testscript.Params{
		Dir: filepath.Join("testdata", "script"),
		Setup: func(env *testscript.Env) error {
			home := filepath.Join(env.WorkDir, "home")
			env.Setenv("HOME", home)
			env.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
			env.Setenv("XDG_STATE_HOME", filepath.Join(home, ".local", "state"))
			env.Setenv("XDG_CACHE_HOME", filepath.Join(home, ".cache"))
			// No session bus: the keyring is unavailable (the demo keeps its sign-in in
			// memory) and nothing touches the machine's own.
			env.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(env.WorkDir, "no-bus"))
			env.Setenv("TZ", "UTC")
			env.Setenv("PIMTRAY_OPENED", filepath.Join(env.WorkDir, "opened"))
			// Under -race each pimtray the scripts run would wait a second on its way out
			// (the race detector's atexit_sleep_ms), a second a command; a race it finds
			// is still reported, and fails the command (exit 66).
			env.Setenv("GORACE", strings.TrimSpace("atexit_sleep_ms=0 "+os.Getenv("GORACE")))
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exits":    exits,
			"tomorrow": tomorrow,
		},
		Condition: func(cond string) (bool, error) {
			// The completion scripts are tested in the real shells (build/test.sh installs
			// them): where one is missing its script skips, saying so, but CI must have them.
			var err error
			switch cond {
			case "bash-completion":
				_, err = os.Stat("/usr/share/bash-completion/bash_completion")
			case "zsh", "fish":
				_, err = exec.LookPath(cond)
			default:
				return false, fmt.Errorf("unknown condition %q", cond)
			}
			if err != nil && os.Getenv("CI") != "" {
				return false, fmt.Errorf("%s is not installed; build/test.sh installs it", cond)
			}
			return err == nil, nil
		},
	})
}

// exits CODE COMMAND [ARGS...] runs the command as exec does and checks its exit code, so a
// script states the exact code (exec only knows zero and not zero).
// tomorrow VAR HH:MM sets $VAR to tomorrow's date at HH:MM (UTC, as the scripts' TZ), in
// --at's form (2026-12-02T08:30), and $VAR_DAY to its weekday ("Wed"), as output prints it.
func tomorrow(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: tomorrow VAR HH:MM")
	}
	d := time.Now().UTC().Add(24 * time.Hour)
	ts.Setenv(args[0], d.Format("2006-01-02")+"T"+args[1])
	ts.Setenv(args[0]+"_DAY", d.Format("Mon"))
}

func exits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE COMMAND [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: %q is not an exit code", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("exits: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("exit code %d, want %d", got, want)
	}
}
