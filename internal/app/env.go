package app

import (
	"context"
	"io"

	"github.com/pimtray/pimtray/internal/cli"
	"github.com/pimtray/pimtray/internal/engine"
	"github.com/pimtray/pimtray/store"
)

// Env is the command line's environment for the binary: version is what --version prints
// (stamped by the release build; "" or "dev": the module's build information).
func Env(version string) cli.Env {
	runTray := func(ctx context.Context, g cli.Globals, stderr io.Writer) int {
		return RunTray(ctx, g, stderr, cli.VersionText(version)) // the menu shows the version too
	}
	return cli.Env{Version: version, Open: CommandOpener(Options{}), RunTray: runTray, StateFiles: StateFiles(nil)}
}

// StateFiles finds the files of the last known state for the globals (in the given folders,
// or the platform's): the tray's state and the command line's cache, for the shell's
// completion.
func StateFiles(given *store.Paths) func(g cli.Globals) ([]string, error) {
	return func(g cli.Globals) ([]string, error) {
		p, err := Paths(g, given)
		if err != nil {
			return nil, err
		}
		return []string{p.StateFile(), commandCache(false, p)}, nil
	}
}

// CommandOpener opens a command's engine: o (the binary's zero Options, or a test's seams)
// with the command's global flags and stderr.
func CommandOpener(o Options) func(ctx context.Context, g cli.Globals, stderr io.Writer) (*engine.Engine, func(), error) {
	return func(ctx context.Context, g cli.Globals, stderr io.Writer) (*engine.Engine, func(), error) {
		o := o
		o.Globals, o.Stderr, o.Tray = g, stderr, false
		a, err := Open(ctx, o)
		if err != nil {
			return nil, nil, err
		}
		return a.Engine, a.Close, nil
	}
}
