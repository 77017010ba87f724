// Package cli is the `pimtray` command line: list, activate, deactivate, status, signin,
// signout. It shares every decision with the tray through the engine; it only parses
// arguments, matches role names and prints.
//
// # Output rules
//
//   - Results go to stdout: one sentence per outcome, a table for list and status, or JSON
//     with --json. Errors go to stderr as one line starting "pimtray: ", with a hint where one
//     helps. Never a stack trace.
//   - In demo mode, human output starts with a line saying DEMO.
//   - Exit codes: 0 active (newly or already) or done, 3 pending approval, 1 failed,
//     2 bad usage or input (nothing was sent).
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/pimtray/pimtray/internal/engine"
	"github.com/pimtray/pimtray/pim"
	"github.com/pimtray/pimtray/store"
)

// Exit codes.
const (
	ExitOK      = 0 // done; for activate: active (newly or already)
	ExitFailed  = 1 // Azure or the network refused
	ExitUsage   = 2 // bad usage or input: nothing was sent
	ExitPending = 3 // the activation waits for approval
)

// Globals are the flags every command and the tray take.
type Globals struct {
	Demo       bool    // --demo: the built-in fake tenant
	DemoSpeed  float64 // --demo-speed N: the demo's clock runs N times faster (tray)
	ConfigFile string  // --config FILE
	Tenant     string  // --tenant ID: work in this tenant only (or sign in to it)
	Debug      bool    // --debug: debug log on stderr
	Version    bool    // --version
	Help       bool    // --help, -h
}

// Env is what main.go wires for the command line. The cli package knows nothing of how
// backends are built (MSAL, the fake Azure): Open does it.
type Env struct {
	// Version is printed by --version, as the release build stamped it; "" (or "dev"): the
	// module's build information.
	Version string
	// Open builds the engine for the globals: its configuration, its tenants' backends, the
	// state file read-only (the tray may be running). close releases what it holds (the
	// demo's fake Azure). A configuration the user must fix should come back as a
	// *store.ConfigError or wrapped with BadInput, so the command exits 2. Log lines go to
	// stderr (debug level when g.Debug).
	Open func(ctx context.Context, g Globals, stderr io.Writer) (e *engine.Engine, close func(), err error)
	// Location shows times; nil: time.Local.
	Location *time.Location
}

// BadInput marks err as the user's input to fix (exit 2).
func BadInput(err error) error { return &badInput{err} }

type badInput struct{ err error }

func (b *badInput) Error() string { return b.err.Error() }
func (b *badInput) Unwrap() error { return b.err }

// IsBadInput reports whether err is the user's to fix (exit 2): a configuration pimtray
// can't read, input marked with BadInput, or input the engine refused.
func IsBadInput(err error) bool {
	var ce *store.ConfigError
	var bi *badInput
	return errors.As(err, &ce) || errors.As(err, &bi) || engine.IsInput(err)
}

// Commands are the subcommands, in help order.
var Commands = []string{"list", "activate", "deactivate", "status", "signin", "signout"}

const usage = `pimtray — Azure PIM in the tray, and on the command line.

Usage:
  pimtray [--demo] [--config FILE] [--tenant ID]           start the tray
  pimtray list [--active] [--json]                         your eligible roles
  pimtray activate ROLE [--scope NAME|ID] [--for DURATION] [--reason TEXT]
                   [--ticket NUMBER [--ticket-system NAME]] [--json]
  pimtray deactivate ROLE [--scope NAME|ID] [--json]
  pimtray status [--json]                                  account, active roles
  pimtray signin [--tenant ID] [--device-code]
  pimtray signout [--tenant ID]

Global flags: --demo (a built-in fake tenant), --config FILE, --tenant ID, --debug, --version.
Roles and scopes match exactly (any case), by display name or id.
Exit codes: 0 active or done, 3 pending approval, 1 failed, 2 bad usage or input.
`

// ParseGlobals reads the global flags at the front of args (for main.go, which starts the
// tray when no command follows) and returns the rest, starting at the command if any.
func ParseGlobals(args []string) (Globals, []string, error) {
	var g Globals
	fs := newFlagSet("pimtray")
	bindGlobals(fs, &g)
	if err := fs.Parse(args); err != nil {
		return g, nil, err
	}
	return g, fs.Args(), nil
}

// IsCommand reports whether args (after the program name) ask for a command-line command,
// --version or --help rather than the tray.
func IsCommand(args []string) bool {
	g, rest, err := ParseGlobals(args)
	if err != nil {
		return true // let Main report it
	}
	if g.Version || g.Help {
		return true
	}
	return len(rest) > 0
}

func bindGlobals(fs *flag.FlagSet, g *Globals) {
	fs.BoolVar(&g.Demo, "demo", g.Demo, "use the built-in demo tenant")
	fs.Float64Var(&g.DemoSpeed, "demo-speed", g.DemoSpeed, "run the demo's clock N times faster")
	fs.StringVar(&g.ConfigFile, "config", g.ConfigFile, "configuration file")
	fs.StringVar(&g.Tenant, "tenant", g.Tenant, "tenant id")
	fs.BoolVar(&g.Debug, "debug", g.Debug, "debug log on stderr")
	fs.BoolVar(&g.Version, "version", g.Version, "print the version")
	fs.BoolVar(&g.Help, "help", g.Help, "show help")
	fs.BoolVar(&g.Help, "h", g.Help, "show help")
}

func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// usageError is bad usage: one line, then a hint.
type usageError struct{ msg string }

func (u *usageError) Error() string { return u.msg }

// Main runs one command and returns the exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer, env Env) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "pimtray: internal error: %v (please report it)\n", r)
			code = ExitFailed
		}
	}()
	r := &runner{ctx: ctx, stdout: stdout, stderr: stderr, env: env}
	defer r.close()
	g, rest, err := ParseGlobals(args)
	if err != nil {
		return r.usage(flagMessage(err))
	}
	if g.Version {
		fmt.Fprintln(stdout, versionText(env.Version, buildInfo()))
		return ExitOK
	}
	if g.Help || len(rest) == 0 || rest[0] == "help" {
		fmt.Fprint(stdout, usage)
		return ExitOK
	}
	r.g = g
	cmd, cmdArgs := rest[0], rest[1:]
	switch cmd {
	case "list":
		return r.list(cmdArgs)
	case "activate":
		return r.activate(cmdArgs)
	case "deactivate":
		return r.deactivate(cmdArgs)
	case "status":
		return r.status(cmdArgs)
	case "signin":
		return r.signin(cmdArgs)
	case "signout":
		return r.signout(cmdArgs)
	}
	msg := fmt.Sprintf("unknown command %q", cmd)
	if s := closest(cmd, Commands); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	}
	return r.usage(msg)
}

type runner struct {
	ctx     context.Context
	stdout  io.Writer
	stderr  io.Writer
	env     Env
	g       Globals
	eng     *engine.Engine
	closeFn func()
}

func (r *runner) close() {
	if r.closeFn != nil {
		r.closeFn()
	}
}

// usage prints a usage error (one line, with the hint) and returns 2.
func (r *runner) usage(msg string) int {
	fmt.Fprintf(r.stderr, "pimtray: %s (see 'pimtray --help')\n", msg)
	return ExitUsage
}

// fail prints one line and returns the code.
func (r *runner) fail(code int, msg string) int {
	fmt.Fprintf(r.stderr, "pimtray: %s\n", strings.TrimSuffix(msg, "\n"))
	return code
}

// parse reads a command's flags and positional arguments (flags may come after them; the
// global flags work here too).
func (r *runner) parse(name string, args []string, bind func(fs *flag.FlagSet)) ([]string, error) {
	fs := newFlagSet(name)
	bindGlobals(fs, &r.g)
	bind(fs)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, &usageError{flagMessage(err)}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		// "--" ends the flags: all that follows is positional.
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), nil
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
}

func flagMessage(err error) string {
	msg := err.Error()
	if strings.HasPrefix(msg, "flag provided but not defined: ") {
		return "unknown flag " + strings.TrimPrefix(msg, "flag provided but not defined: ")
	}
	return strings.TrimPrefix(msg, "flag: ")
}

// open builds the engine and reads the tenants (all, or --tenant's).
func (r *runner) open() (int, bool) {
	if r.env.Open == nil {
		return r.fail(ExitFailed, "this build cannot run commands (no environment)"), false
	}
	e, closeFn, err := r.env.Open(r.ctx, r.g, r.stderr)
	if err != nil {
		if IsBadInput(err) {
			return r.fail(ExitUsage, err.Error()), false
		}
		return r.fail(ExitFailed, err.Error()), false
	}
	r.eng, r.closeFn = e, closeFn
	return 0, true
}

func (r *runner) loc() *time.Location {
	if r.env.Location != nil {
		return r.env.Location
	}
	return time.Local
}

// demoLine starts human output in demo mode.
func (r *runner) demoLine() {
	if r.g.Demo {
		fmt.Fprintln(r.stdout, "DEMO — a built-in fake tenant; nothing here touches Azure.")
	}
}

// refresh reads the tenants; on failure it says why in one line and returns the exit code.
func (r *runner) refresh() (int, bool) {
	if err := r.eng.RefreshNow(r.ctx, r.g.Tenant); err != nil {
		if engine.IsInput(err) {
			return r.fail(ExitUsage, engine.HumanError(err)), false
		}
		if errors.Is(err, pim.ErrSignInNeeded) {
			return r.fail(ExitFailed, "sign in needed: run 'pimtray signin'"+r.tenantFlag()), false
		}
		return r.fail(ExitFailed, engine.HumanError(err)), false
	}
	return 0, true
}

func (r *runner) tenantFlag() string {
	if r.g.Tenant != "" {
		return " --tenant " + r.g.Tenant
	}
	return ""
}

// items are the roles of the chosen tenant(s).
func (r *runner) items(s engine.Snapshot) []engine.Item {
	var out []engine.Item
	for _, it := range s.All {
		if r.inTenant(it.Role.TenantID) {
			out = append(out, it)
		}
	}
	return out
}

// inTenant: no --tenant, or id belongs to it.
func (r *runner) inTenant(id string) bool {
	return r.g.Tenant == "" || r.eng.InTenant(id, r.g.Tenant)
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
