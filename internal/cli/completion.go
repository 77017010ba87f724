package cli

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pimtray/pimtray/internal/engine"
	"github.com/pimtray/pimtray/pim"
)

var shells = []string{"bash", "zsh", "fish", "powershell"}

// newCmdCompletion is `pimtray completion SHELL`: cobra's completion scripts, which ask
// pimtray itself (its hidden __complete command) for commands, flags, role names and scopes.
func newCmdCompletion(r *runner) *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish|powershell",
		Short: "print the shell's completion script",
		Long: `Print the completion script for a shell. It completes commands, flags, role names and
--scope values; the names come from the last known state (what the tray or the last command
saw), read from the state file only: completing never touches the network or signs in.

  bash:        source <(pimtray completion bash)        (in ~/.bashrc; needs bash-completion)
  zsh:         pimtray completion zsh > "${fpath[1]}/_pimtray"   (then start a new shell)
  fish:        pimtray completion fish > ~/.config/fish/completions/pimtray.fish
  PowerShell:  pimtray completion powershell | Out-String | Invoke-Expression   (in $PROFILE)`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 || !slices.Contains(shells, args[0]) {
				return &usageError{"completion needs one shell: bash, zsh, fish or powershell"}
			}
			return nil
		},
		ValidArgs: shells,
		RunE: func(cmd *cobra.Command, args []string) error {
			root := cmd.Root()
			var err error
			switch args[0] {
			case "bash":
				err = root.GenBashCompletionV2(r.stdout, true)
			case "zsh":
				err = root.GenZshCompletion(r.stdout)
			case "fish":
				err = root.GenFishCompletion(r.stdout, true)
			case "powershell":
				err = root.GenPowerShellCompletionWithDesc(r.stdout)
			}
			if err != nil {
				return exit(r.fail(ExitFailed, "write the completion script: "+err.Error()))
			}
			return nil
		},
	}
}

// lastKnownRoles are the roles of the last known state (eligible, and active or pending):
// what the tray and the commands last saw, read from their files only; none when there are
// none yet.
func (r *runner) lastKnownRoles() (eligible, live []pim.Role) {
	if r.env.StateFiles == nil {
		return nil, nil
	}
	files, err := r.env.StateFiles(r.g)
	if err != nil {
		return nil, nil
	}
	for _, f := range files {
		e, l, err := engine.LastKnownRoles(f)
		if err != nil {
			continue // none yet, or unusable: the other may have them
		}
		eligible, live = append(eligible, e...), append(live, l...)
	}
	return eligible, live
}

// completeRole completes ROLE with the role names of the last known state; for deactivate
// (live), the active and pending ones first, all when none is.
func (r *runner) completeRole(live bool) cobra.CompletionFunc {
	return func(_ *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		eligible, active := r.lastKnownRoles()
		roles := eligible
		if live && len(active) > 0 {
			roles = active
		}
		var out []cobra.Completion
		var seen []string
		for _, ro := range roles {
			if ro.RoleName == "" || !hasPrefixFold(ro.RoleName, toComplete) || slices.Contains(seen, strings.ToLower(ro.RoleName)) {
				continue
			}
			seen = append(seen, strings.ToLower(ro.RoleName))
			out = append(out, cobra.CompletionWithDesc(ro.RoleName, ro.Plane.Title()))
		}
		sortFold(out)
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeScope completes --scope with the scopes of the role already named (all the last
// known scopes when none is).
func (r *runner) completeScope(_ *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	eligible, _ := r.lastKnownRoles()
	var out []cobra.Completion
	var seen []string
	for _, ro := range eligible {
		if len(args) > 0 && !roleMatches(ro, args[0]) {
			continue
		}
		s := scopeArg(ro)
		if s == "" || !hasPrefixFold(s, toComplete) || slices.Contains(seen, strings.ToLower(s)) {
			continue
		}
		seen = append(seen, strings.ToLower(s))
		desc := scopeTypeText(ro.ScopeType)
		if desc == "" {
			desc = ro.Plane.Title()
		}
		out = append(out, cobra.CompletionWithDesc(s, desc))
	}
	sortFold(out)
	return out, cobra.ShellCompDirectiveNoFileComp
}

// sortFold sorts completions by name, in any case.
func sortFold(cs []cobra.Completion) {
	slices.SortFunc(cs, func(a, b cobra.Completion) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
