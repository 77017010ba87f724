// Command pimtray puts Azure PIM roles in the system tray: favourite roles with live
// countdowns, one-click activation, a sign-in kept across restarts, and reminders with a
// "Re-activate" button before an activation runs out. With a command it works from the
// terminal instead (pimtray list, activate, deactivate, status, signin, signout).
//
// This file only wires: internal/app assembles the parts, internal/cli reads the command line.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/pimtray/pimtray/internal/app"
	"github.com/pimtray/pimtray/internal/cli"
	"github.com/pimtray/pimtray/tray/console"
)

// version is stamped by build/release.sh (-X main.version=...); empty: the module's build information.
var version string

func main() {
	console.AttachParentConsole()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return cli.Main(ctx, args, stdout, stderr, app.Env(version))
}
