package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

// deactivateOptions are deactivate's flags and arguments.
type deactivateOptions struct {
	Scope string   // --scope NAME|ID
	JSON  bool     // --json
	Args  []string // the ROLE
}

// newCmdDeactivate is `pimtray deactivate ROLE`.
func newCmdDeactivate(r *runner, runF func(*deactivateOptions) int) *cobra.Command {
	o := &deactivateOptions{}
	cmd := &cobra.Command{
		Use:   "deactivate ROLE",
		Short: "end an activation early, or withdraw a pending request",
		Long: `Deactivate the role named ROLE (by display name or id, any case), or withdraw its request
while it waits for approval. Of several roles of that name, the one that is active is meant;
--scope picks one otherwise. Azure allows a deactivation 5 minutes after the activation.`,
		Example: `  pimtray deactivate "Global Administrator"
  pimtray deactivate Owner --scope IT`,
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: r.completeRole(true),
		RunE:              runE(o, &o.Args, runF, r.deactivate),
	}
	cmd.Flags().StringVar(&o.Scope, "scope", "", "the scope: its `NAME|ID`")
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print JSON for scripts")
	_ = cmd.RegisterFlagCompletionFunc("scope", r.completeScope)
	return cmd
}

func (r *runner) deactivate(o *deactivateOptions) int {
	it, code, ok := r.roleArg("deactivate", o.Args, o.Scope)
	if !ok {
		return code
	}
	d, err := r.eng.DeactivateNow(r.ctx, it.Key)
	if err != nil {
		return r.failed("could not deactivate "+it.Role.Label()+": ", err)
	}
	after := r.eng.Snapshot()
	if o.JSON {
		return r.printJSON(toJSON(itemIn(after, it), after.Now))
	}
	r.demoLine()
	name := it.Role.Label()
	switch {
	case d.Withdrawn:
		fmt.Fprintf(r.stdout, "Withdrew the request for %s.\n", name)
	case d.Gone:
		fmt.Fprintf(r.stdout, "%s is not active any more: it was deactivated elsewhere a moment ago, or has ended.\n", name)
	case d.NotActive:
		fmt.Fprintf(r.stdout, "%s is not active.\n", name)
	default:
		fmt.Fprintf(r.stdout, "Deactivated %s.\n", name)
	}
	return ExitOK
}
