package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pimtray/pimtray/internal/engine"
	"github.com/pimtray/pimtray/pim"
)

// cancelOptions are cancel's flags and arguments.
type cancelOptions struct {
	Scope string   // --scope NAME|ID
	JSON  bool     // --json
	Args  []string // the ROLE
}

// newCmdCancel is `pimtray cancel ROLE`.
func newCmdCancel(r *runner, runF func(*cancelOptions) int) *cobra.Command {
	o := &cancelOptions{}
	cmd := &cobra.Command{
		Use:   "cancel ROLE",
		Short: "cancel a scheduled activation, or withdraw a pending request",
		Long: `Cancel the activation of ROLE scheduled for a later start (activate --at), or withdraw its
request while it waits for approval: one request to Azure. An activation already running is
ended with 'pimtray deactivate'.`,
		Example: `  pimtray cancel "Global Administrator"
  pimtray cancel Owner --scope IT`,
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: r.completeRole(true),
		RunE:              runE(o, &o.Args, runF, r.cancel),
	}
	cmd.Flags().StringVar(&o.Scope, "scope", "", "the scope: its `NAME|ID`")
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print JSON for scripts")
	_ = cmd.RegisterFlagCompletionFunc("scope", r.completeScope)
	return cmd
}

func (r *runner) cancel(o *cancelOptions) int {
	it, code, ok := r.roleArg("cancel", o.Args, o.Scope)
	if !ok {
		return code
	}
	a, err := r.eng.CancelNow(r.ctx, it.Key)
	if err != nil {
		if engine.IsInput(err) {
			return r.fail(ExitUsage, engine.HumanError(err))
		}
		return r.failed("could not cancel "+it.Role.Label()+": ", err)
	}
	after := r.eng.Snapshot()
	if o.JSON {
		return r.printJSON(toJSON(itemIn(after, it), after.Now))
	}
	r.demoLine()
	name := it.Role.Label()
	if a.Status == pim.StatusScheduled {
		fmt.Fprintf(r.stdout, "Cancelled %s, scheduled from %s.\n", name, r.when(a.StartsAt, after.Now))
	} else {
		fmt.Fprintf(r.stdout, "Withdrew the request for %s.\n", name)
	}
	return ExitOK
}
