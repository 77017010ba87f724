// Package cli is the `pimtray` command line: list, activate, deactivate, status, signin,
// signout, completion; with no command, the tray (through Env.RunTray). It shares every
// decision with the tray through the engine; it only parses arguments, matches role names
// and prints.
//
// # Commands
//
// The command line is built on spf13/cobra: one file per command, each with an options
// struct and a NewCmd function that takes the shared runner and a run seam (tests map
// argv to options without running anything). Adding a command is one file and one line in
// root.go. `COMMAND --help` prints that command's usage and runs nothing.
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
	// RunTray runs the tray (pimtray with no command) until Quit and returns the exit code;
	// nil: this build has no tray.
	RunTray func(ctx context.Context, g Globals, stderr io.Writer) int
	// StateFiles are the files of the last known state for the globals (the tray's state,
	// the command line's cache), read by the shell's completion (never Azure); nil: nothing
	// to complete from.
	StateFiles func(g Globals) ([]string, error)
	// Location shows times; nil: time.Local.
	Location *time.Location
	// WaitNotice is how long an activation waits for Azure before the command says it is still
	// waiting (on stderr), rather than staying silent through Azure's retries and time-outs;
	// 0: DefaultWaitNotice.
	WaitNotice time.Duration
}

// DefaultWaitNotice is how long a command is silent while Azure has not answered.
const DefaultWaitNotice = 5 * time.Second

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

// Main runs the command line (the tray when no command is given) and returns the exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer, env Env) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "pimtray: internal error: %v (please report it)\n", r)
			code = ExitFailed
		}
	}()
	r := &runner{ctx: ctx, stdout: stdout, stderr: stderr, env: env}
	defer r.close()
	root := newRootCmd(r)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	var ec exitCode
	var ue *usageError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ec):
		return int(ec)
	case errors.As(err, &ue):
		return r.usage(ue.msg)
	}
	// What cobra itself refuses (a flag without its value, say) is bad usage.
	return r.usage(err.Error())
}

// exitCode ends a command with its code; what it had to say is said.
type exitCode int

func (c exitCode) Error() string { return fmt.Sprintf("exit %d", int(c)) }

// exit turns a command's exit code into its RunE result.
func exit(code int) error {
	if code == ExitOK {
		return nil
	}
	return exitCode(code)
}

// usageError is bad usage: one line, then a hint.
type usageError struct{ msg string }

func (u *usageError) Error() string { return u.msg }

// runner is what every command shares: the streams, the environment, the global flags and,
// once opened, the engine.
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

// refresh makes the last known state current: it reads the planes known from longer ago than
// the refresh interval (or never), and only those (engine.RefreshStale); on failure it says
// why in one line and returns the exit code.
func (r *runner) refresh() (int, bool) {
	return r.refreshed(r.eng.RefreshStale(r.ctx, r.g.Tenant))
}

// refreshAll reads every plane of the tenants again, whatever is known.
func (r *runner) refreshAll() (int, bool) {
	return r.refreshed(r.eng.RefreshNow(r.ctx, r.g.Tenant))
}

// matchRole finds ROLE (and --scope) in the last known state (planes never read are read
// first) and makes that role's plane
// current (read only when its knowledge is older than the refresh interval); a role not known
// yet may be new: then the planes known from long ago are read, then every plane, and it is
// looked for again after each.
func (r *runner) matchRole(roleArg, scopeArg string, preferActive bool) (engine.Item, int, bool) {
	find := func() (engine.Item, error) { return match(r.items(r.eng.Snapshot()), roleArg, scopeArg, preferActive) }
	if code, ok := r.refreshed(r.eng.RefreshUnread(r.ctx, r.g.Tenant)); !ok { // every plane known, for ambiguity
		return engine.Item{}, code, false
	}
	it, err := find()
	if err == nil {
		if code, ok := r.refreshed(r.eng.RefreshStale(r.ctx, it.Role.TenantID, it.Role.Plane)); !ok {
			return engine.Item{}, code, false
		}
		it, err = find() // what the plane says now
	}
	for _, again := range []func() (int, bool){r.refresh, r.refreshAll} {
		if err == nil || err.(*matchError).candidates != nil {
			break
		}
		if code, ok := again(); !ok {
			return engine.Item{}, code, false
		}
		it, err = find()
	}
	if err != nil {
		return engine.Item{}, r.matchFailed(err), false
	}
	return it, 0, true
}

func (r *runner) refreshed(err error) (int, bool) {
	if err != nil {
		if engine.IsInput(err) {
			return r.fail(ExitUsage, engine.HumanError(err)), false
		}
		return r.failed("", err), false
	}
	return 0, true
}

// failed says that what was asked failed (exit 1): that a sign-in is needed, or doing (its
// words and a colon, or "") and the engine's words for err.
func (r *runner) failed(doing string, err error) int {
	if errors.Is(err, pim.ErrSignInNeeded) {
		return r.fail(ExitFailed, "sign in needed: run 'pimtray signin'"+r.tenantFlag())
	}
	return r.fail(ExitFailed, doing+engine.HumanError(err))
}

// roleArg opens the engine for command's one ROLE (and --scope) and finds that role, the
// active or pending one first.
func (r *runner) roleArg(command string, args []string, scope string) (engine.Item, int, bool) {
	if len(args) != 1 {
		return engine.Item{}, r.usage(roleArgMessage(command, args)), false
	}
	if code, ok := r.open(); !ok {
		return engine.Item{}, code, false
	}
	return r.matchRole(args[0], scope, true)
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
