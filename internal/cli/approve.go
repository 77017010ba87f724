package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pimtray/pimtray/internal/engine"
	"github.com/pimtray/pimtray/pim"
)

// decideOptions are approve's and deny's flags and arguments.
type decideOptions struct {
	Approve bool     // approve (true) or deny
	All     bool     // --all (approve only)
	Reason  string   // --reason TEXT: the approver's justification
	JSON    bool     // --json
	Args    []string // the IDs
}

// newCmdApprove is `pimtray approve ID… | --all [--reason TEXT]`.
func newCmdApprove(r *runner, runF func(*decideOptions) int) *cobra.Command {
	o := &decideOptions{Approve: true}
	cmd := &cobra.Command{
		Use:   "approve ID... | --all",
		Short: "approve requests waiting for your approval",
		Long: `Approve the requests with these IDs (as 'pimtray approvals' lists them: the first characters of
the request's id are enough when they name one), or every request waiting for you with --all.
--reason is your justification, which the requester sees; Azure's default approval policy asks
for one. Exit 0 when every decision was taken, 1 when one failed (another approver was first,
the request expired, Azure refused), 2 for bad input (nothing sent).`,
		Example: `  pimtray approve c0ffee01 --reason "OK for the interns' onboarding"
  pimtray approve --all --reason "standard change"`,
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: cobra.NoFileCompletions, // ids change with every request: nothing to complete from what is kept
		RunE:              runE(o, &o.Args, runF, r.decide),
	}
	cmd.Flags().BoolVar(&o.All, "all", false, "approve every request waiting for you")
	cmd.Flags().StringVar(&o.Reason, "reason", "", "your justification, which the requester sees: `TEXT`")
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print JSON for scripts")
	return cmd
}

// newCmdDeny is `pimtray deny ID --reason TEXT`.
func newCmdDeny(r *runner, runF func(*decideOptions) int) *cobra.Command {
	o := &decideOptions{}
	cmd := &cobra.Command{
		Use:   "deny ID --reason TEXT",
		Short: "deny a request waiting for your approval",
		Long: `Deny the request with this ID (as 'pimtray approvals' lists it). A denial always says why:
--reason is required, and the requester sees it. Exit 0 when denied, 1 when Azure would not
take it, 2 for bad input (nothing sent).`,
		Example:           `  pimtray deny c0ffee02 --reason "not during the change freeze"`,
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: cobra.NoFileCompletions, // ids change with every request: nothing to complete from what is kept
		RunE:              runE(o, &o.Args, runF, r.decide),
	}
	cmd.Flags().StringVar(&o.Reason, "reason", "", "why you deny it (required; the requester sees it): `TEXT`")
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print JSON for scripts")
	return cmd
}

// decisionJSON is one line of approve/deny --json.
type decisionJSON struct {
	ID        string `json:"id"`
	RequestID string `json:"requestId,omitempty"`
	Request   string `json:"request,omitempty"`
	Result    string `json:"result"` // approved | denied | failed
	Outcome   string `json:"outcome,omitempty"`
	Error     string `json:"error,omitempty"`
	API       string `json:"api,omitempty"`
}

func (r *runner) decide(o *decideOptions) int {
	verb := map[bool]string{true: "approve", false: "deny"}[o.Approve]
	reason := strings.TrimSpace(o.Reason)
	switch {
	case o.All && len(o.Args) > 0:
		return r.usage("approve takes IDs or --all, not both")
	case !o.All && len(o.Args) == 0:
		if o.Approve {
			return r.usage("approve needs the ID of a waiting request (pimtray approvals lists them), or --all")
		}
		return r.usage("deny needs the ID of a waiting request (pimtray approvals lists them)")
	case !o.Approve && len(o.Args) > 1:
		return r.usage("deny takes one ID at a time (got " + fmt.Sprint(len(o.Args)) + ")")
	case !o.Approve && reason == "":
		return r.usage("deny needs --reason TEXT: the requester sees why")
	case len([]rune(reason)) > engine.MaxJustification:
		return r.usage(fmt.Sprintf("--reason is %d characters long; Azure takes at most %d", len([]rune(reason)), engine.MaxJustification))
	}
	s, code, ok := r.loadApprovals()
	if !ok {
		return code
	}
	ids := o.Args
	if o.All {
		ids = nil
		for _, a := range s.Approvals {
			ids = append(ids, a.ID)
		}
		if len(ids) == 0 {
			if o.JSON {
				return r.printJSON([]decisionJSON{})
			}
			r.demoLine()
			fmt.Fprintln(r.stdout, "Nothing waits for your approval.")
			return ExitOK
		}
	}
	for _, id := range ids {
		if _, err := r.eng.FindApproval(id); err != nil {
			return r.usage(err.Error()) // nothing sent
		}
	}
	if !o.JSON {
		r.demoLine()
	}
	var out []decisionJSON
	code = ExitOK
	for _, id := range ids {
		a, err := r.eng.DecideNow(r.ctx, id, o.Approve, reason)
		line := decisionJSON{ID: id, RequestID: a.RequestID, Request: a.Requester + " · " + a.RoleLabel(), API: a.API}
		if a.RequestID == "" {
			line.Request = ""
		}
		if err == nil {
			line.Result = map[bool]string{true: "approved", false: "denied"}[o.Approve]
			if !o.JSON {
				fmt.Fprintf(r.stdout, "%s %s.\n", map[bool]string{true: "Approved", false: "Denied"}[o.Approve], line.Request)
			}
			out = append(out, line)
			continue
		}
		line.Result, line.Error = "failed", engine.HumanError(err)
		var de *pim.DecisionError
		var in *engine.InputError
		switch {
		case errors.As(err, &de):
			line.Outcome, line.Error = string(de.Outcome), de.Error()
			code = max(code, ExitFailed)
		case errors.As(err, &in):
			if len(ids) == 1 {
				if o.JSON {
					return r.fail(ExitUsage, in.Error())
				}
				return r.usage(in.Error())
			}
			code = ExitUsage
		default:
			code = max(code, ExitFailed)
		}
		if !o.JSON {
			fmt.Fprintf(r.stderr, "pimtray: could not %s %s: %s\n", verb, id, line.Error)
		}
		out = append(out, line)
	}
	if o.JSON {
		if r.printJSON(out) != ExitOK {
			return ExitFailed
		}
	}
	return code
}
