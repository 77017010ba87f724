package cli

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/pimtray/pimtray/internal/engine"
	"github.com/pimtray/pimtray/pim"
)

// listOptions are list's flags and arguments.
type listOptions struct {
	Active bool     // --active: only active and pending roles
	JSON   bool     // --json
	Args   []string // none are taken
}

// newCmdList is `pimtray list`: the roles you may activate, with their status and policy.
func newCmdList(r *runner, runF func(*listOptions) int) *cobra.Command {
	o := &listOptions{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "your eligible roles, their status and policy",
		Long: `List the roles you are eligible for in every plane (Entra ID, Azure, Groups), with their
status (eligible, active until when, pending approval) and what their policy asks for.`,
		Example: `  pimtray list
  pimtray list --active
  pimtray --demo list --json`,
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE:              runE(o, &o.Args, runF, r.list),
	}
	cmd.Flags().BoolVar(&o.Active, "active", false, "only active and pending roles")
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print JSON for scripts")
	return cmd
}

func (r *runner) list(o *listOptions) int {
	active, asJSON, pos := o.Active, o.JSON, o.Args
	if len(pos) > 0 {
		return r.usage(fmt.Sprintf("list takes no arguments, got %q", pos[0]))
	}
	if code, ok := r.open(); !ok {
		return code
	}
	if code, ok := r.refresh(); !ok {
		return code
	}
	s := r.eng.Snapshot()
	var items []engine.Item
	for _, it := range r.items(s) {
		if active && status(it, s.Now) != pim.StatusActive {
			continue
		}
		items = append(items, it)
	}
	items = r.withPolicies(items)
	if asJSON {
		out := make([]roleJSON, 0, len(items))
		for _, it := range items {
			out = append(out, toJSON(it, s.Now))
		}
		r.printProblems(s)
		return r.printJSON(out)
	}
	r.demoLine()
	if len(items) == 0 {
		if active {
			fmt.Fprintln(r.stdout, "Nothing active.")
		} else {
			fmt.Fprintln(r.stdout, "You are not eligible for any role here.")
		}
	} else {
		tw := tabwriter.NewWriter(r.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "PLANE\tROLE\tSCOPE\tSTATUS\tPOLICY")
		for _, it := range items {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", it.Role.Plane.Title(), it.Role.RoleName, scopeText(it.Role),
				r.statusText(it, s.Now), policyText(it.Policy))
		}
		tw.Flush()
	}
	r.printProblems(s)
	return ExitOK
}
