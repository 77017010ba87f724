package cli

import (
	"bytes"
	"fmt"
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
			script, err := completionScript(cmd.Root(), args[0])
			if err == nil {
				_, err = r.stdout.Write(script)
			}
			if err != nil {
				return exit(r.fail(ExitFailed, "write the completion script: "+err.Error()))
			}
			return nil
		},
	}
}

// completionScript is cobra's script for the shell, with bash's, zsh's and fish's fixed so
// that a role name in quotes or with escaped spaces ("Security Reader") reaches pimtray as
// the one word the shell will pass: cobra's scripts split such a word in two, or pass its
// opening quote along, and then complete nothing (tested in the real shells:
// testdata/script/completion_{bash,zsh,fish}.txtar).
func completionScript(root *cobra.Command, shell string) ([]byte, error) {
	var b bytes.Buffer
	var err error
	switch shell {
	case "bash":
		err = root.GenBashCompletionV2(&b, true)
	case "zsh":
		err = root.GenZshCompletion(&b)
	case "fish":
		err = root.GenFishCompletion(&b, true)
	case "powershell":
		err = root.GenPowerShellCompletionWithDesc(&b)
	}
	if err != nil {
		return nil, err
	}
	script := b.Bytes()
	for _, f := range scriptFixes[shell] {
		if bytes.Count(script, []byte(f.old)) != 1 {
			// cobra's script changed under the fix (TestCompletionScriptFixes fails first).
			return nil, fmt.Errorf("the %s script no longer has %q", shell, f.old)
		}
		script = bytes.Replace(script, []byte(f.old), []byte(f.new), 1)
	}
	return script, nil
}

// scriptFixes replace lines of cobra's (v1.10) scripts; each old text stands once in its script.
var scriptFixes = map[string][]struct{ old, new string }{
	// bash: in an open quote ('Security R) cobra passes the quote along and compares the
	// names with it. The text after the quote is completed as if typed escaped, and the one
	// name readline then inserts goes in unescaped: readline closes the quote itself.
	"bash": {{
		old: "    local cur prev words cword split\n",
		new: "    local cur prev words cword split quoted\n",
	}, {
		old: `    words=("${words[@]:0:$cword+1}")` + "\n",
		new: `    words=("${words[@]:0:$cword+1}")
    if [[ ${cur} == [\'\"]* ]]; then
        quoted=${cur:0:1}
        cur=${cur:1}
        [[ -n ${cur} ]] && printf -v cur %q "${cur}"
        words[cword]=${cur}
    fi` + "\n",
	}, {
		old: "    __pimtray_process_completion_results\n}\n",
		new: `    __pimtray_process_completion_results
    if [[ -n ${quoted} ]] && { ((${#COMPREPLY[@]} == 1)) || [[ ${COMP_TYPE} == 37 || ${COMP_TYPE} == 42 ]]; }; then
        local i
        for i in "${!COMPREPLY[@]}"; do
            eval "COMPREPLY[i]=${COMPREPLY[i]}"
        done
    fi
}` + "\n",
	}},
	// zsh: $words holds each word as typed (quotes, backslashes), and cobra splits them all on
	// spaces. The command word is split still (it can be an alias); the others are unquoted
	// and quoted again for the eval that runs "pimtray __complete"; the word being completed
	// is what stands before the cursor inside its open quote ($PREFIX).
	"zsh": {{
		old: `    words=("${=words[1,CURRENT]}")` + "\n",
		new: `    local cur=$PREFIX
    [[ -z $compstate[quote] ]] && cur=${(Q)PREFIX}
    words=(${=words[1]} "${(@)${(@q)${(@Q)words[2,CURRENT-1]}}}" "${cur:+${(q)cur}}")` + "\n",
	}},
	// fish: "commandline -opc" gives the words unquoted, which cobra then puts into its eval
	// unquoted; "commandline -ct" gives the word being completed as typed, with its quote
	// (kept as typed where it does not unquote, as in Security\ before the space).
	"fish": {{
		old: `    set -l lastArg (string escape -- (commandline -ct))` + "\n",
		new: `    set -l lastArg (string escape -- (commandline -ct | string unescape; or commandline -ct))
    set -l escapedArgs (string escape -- $args[2..-1])` + "\n",
	}, {
		old: ` __complete $args[2..-1] $lastArg"`,
		new: ` __complete $escapedArgs $lastArg"`,
	}},
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
