package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

const rootLong = `pimtray — Azure PIM in the tray, and on the command line.

With no command, pimtray starts the tray: your favourite roles with live countdowns, one
click to activate, reminders with Re-activate before an activation runs out. The commands
below do the same from a terminal, beside a running tray.

Roles and scopes match exactly (any case), by display name or id.
Exit codes: 0 active or done, 3 pending approval, 1 failed, 2 bad usage or input.`

// cobra's package settings, once (not per command line: Main runs side by side in tests).
func init() {
	// pimtray.exe is a GUI program started from Explorer or at login: never cobra's "this
	// is a command line tool" notice and 5-second pause.
	cobra.MousetrapHelpText = ""
	cobra.EnableCommandSorting = false // help lists the commands in the order added below
}

// newRootCmd is `pimtray`: the tray when no command is given, and the commands.
func newRootCmd(r *runner) *cobra.Command {
	root := &cobra.Command{
		Use:   "pimtray",
		Short: "Azure PIM in the tray, and on the command line",
		Long:  rootLong,
		Example: `  pimtray --demo                      the tray, on the built-in demo tenant
  pimtray --demo --demo-speed 60      the demo with its clock 60 times faster
  pimtray --demo list
  pimtray activate "Global Administrator" --reason "patch night"`,
		Args:          unknownCommand,
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if r.g.Version {
				fmt.Fprintln(r.stdout, versionText(r.env.Version, buildInfo()))
				return exitCode(ExitOK)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			if r.env.RunTray == nil {
				return exit(r.fail(ExitFailed, "this build has no tray; run a command (see 'pimtray --help')"))
			}
			return exit(r.env.RunTray(r.ctx, r.g, r.stderr))
		},
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	bindGlobals(root.PersistentFlags(), &r.g)
	root.SetFlagErrorFunc(flagError)
	root.CompletionOptions.DisableDefaultCmd = true // ours: newCmdCompletion

	// The commands, in help order: a new command is its own file and one line here.
	root.AddCommand(
		newCmdList(r, nil),
		newCmdActivate(r, nil),
		newCmdDeactivate(r, nil),
		newCmdCancel(r, nil),
		newCmdHistory(r, nil),
		newCmdStatus(r, nil),
		newCmdApprovals(r, nil),
		newCmdApprove(r, nil),
		newCmdDeny(r, nil),
		newCmdSignin(r, nil),
		newCmdSignout(r, nil),
		newCmdCompletion(r),
	)
	return root
}

// bindGlobals binds the flags every command and the tray take, before or after the command.
func bindGlobals(fs *pflag.FlagSet, g *Globals) {
	fs.BoolVar(&g.Demo, "demo", false, "use the built-in demo tenant (nothing touches Azure)")
	fs.Float64Var(&g.DemoSpeed, "demo-speed", 0, "run the demo's clock `N` times faster (to watch countdowns and reminders)")
	fs.StringVar(&g.ConfigFile, "config", "", "read the configuration from `FILE` (default: the platform's, see README)")
	fs.StringVar(&g.Tenant, "tenant", "", "work in (or sign in to) this tenant only: its `ID`, domain or name")
	fs.BoolVar(&g.Debug, "debug", false, "debug log on stderr")
	fs.BoolVar(&g.Version, "version", false, "print the version")
	_ = cobra.MarkFlagFilename(fs, "config", "json")
}

// unknownCommand refuses arguments to the tray: a command pimtray does not have, with the
// nearest one when it looks like a typo.
func unknownCommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	var names []string
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() {
			names = append(names, c.Name())
		}
	}
	msg := fmt.Sprintf("unknown command %q", args[0])
	if s := closest(args[0], names); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	}
	return &usageError{msg}
}

// flagError is a flag cobra refused, as pflag says it (the flag as typed: "unknown flag:
// --lst"), with the nearest flag — or on pimtray itself, command — when it looks like a typo.
func flagError(cmd *cobra.Command, err error) error {
	msg := err.Error()
	typed, ok := strings.CutPrefix(msg, "unknown flag: --")
	if !ok {
		return &usageError{msg}
	}
	typed, _, _ = strings.Cut(typed, "=")
	var names []string
	flags := func(f *pflag.Flag) {
		if !f.Hidden {
			names = append(names, "--"+f.Name)
		}
	}
	cmd.LocalFlags().VisitAll(flags)
	cmd.InheritedFlags().VisitAll(flags)
	if s := closest("--"+typed, names); s != "" {
		return &usageError{msg + "; did you mean " + s + "?"}
	}
	if !cmd.HasParent() {
		var cmds []string
		for _, c := range cmd.Commands() {
			if c.IsAvailableCommand() {
				cmds = append(cmds, c.Name())
			}
		}
		if s := closest(typed, cmds); s != "" {
			return &usageError{msg + fmt.Sprintf("; did you mean the command %q?", s)}
		}
	}
	return &usageError{msg}
}

// runE is a command's RunE: the positional arguments into the options, then the run seam
// (a test's) or the command itself.
func runE[O any](o *O, args *[]string, runF, run func(*O) int) func(*cobra.Command, []string) error {
	return func(_ *cobra.Command, a []string) error {
		*args = a
		if runF != nil {
			return exit(runF(o))
		}
		return exit(run(o))
	}
}
