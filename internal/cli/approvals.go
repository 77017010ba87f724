package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pimtray/pimtray/internal/engine"
	"github.com/pimtray/pimtray/pim"
)

// approvalsOptions are approvals' flags.
type approvalsOptions struct {
	JSON bool     // --json
	Args []string // none
}

// newCmdApprovals is `pimtray approvals`.
func newCmdApprovals(r *runner, runF func(*approvalsOptions) int) *cobra.Command {
	o := &approvalsOptions{}
	cmd := &cobra.Command{
		Use:   "approvals",
		Short: "list the requests waiting for your approval",
		Long: `List the requests other users made that wait for your approval, on every plane: who asks,
for which role and scope, why, for how long, when they asked and when the request expires.
Decide them with 'pimtray approve ID' or 'pimtray deny ID --reason TEXT'. Entra role decisions go
through Microsoft Graph's beta API (the only one Microsoft offers for them).`,
		Example: `  pimtray approvals
  pimtray approvals --json`,
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE:              runE(o, &o.Args, runF, r.approvals),
	}
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print JSON for scripts")
	return cmd
}

// approvalsJSON is approvals --json.
type approvalsJSON struct {
	Approvals   []approvalJSON         `json:"approvals"`
	Unavailable []engine.ApprovalPlane `json:"unavailable,omitempty"`
}

type approvalJSON struct {
	engine.Approval
	Duration string `json:"duration,omitempty"` // ISO 8601 ("PT2H"), as Azure writes it
}

func toApprovalJSON(a engine.Approval) approvalJSON {
	j := approvalJSON{Approval: a}
	if a.Duration > 0 {
		j.Duration = pim.FormatISODuration(a.Duration)
	}
	return j
}

// loadApprovals opens the engine and lists what waits (one request per plane).
func (r *runner) loadApprovals() (engine.Snapshot, int, bool) {
	if code, ok := r.open(); !ok {
		return engine.Snapshot{}, code, false
	}
	if err := r.eng.RefreshApprovals(r.ctx); err != nil {
		return engine.Snapshot{}, r.failed("could not list the requests waiting for you: ", err), false
	}
	return r.eng.Snapshot(), ExitOK, true
}

func (r *runner) approvals(o *approvalsOptions) int {
	if len(o.Args) > 0 {
		return r.usage("approvals takes no arguments (got " + strings.Join(o.Args, " ") + ")")
	}
	s, code, ok := r.loadApprovals()
	if !ok {
		return code
	}
	if o.JSON {
		out := approvalsJSON{Approvals: []approvalJSON{}, Unavailable: s.ApprovalPlanes}
		for _, a := range s.Approvals {
			out.Approvals = append(out.Approvals, toApprovalJSON(a))
		}
		return r.printJSON(out)
	}
	r.demoLine()
	if len(s.Approvals) == 0 {
		fmt.Fprintln(r.stdout, "Nothing waits for your approval.")
	} else {
		fmt.Fprintf(r.stdout, "Waiting for your approval (%d):\n", len(s.Approvals))
	}
	for _, a := range s.Approvals {
		who := a.Requester
		if a.RequesterUPN != "" && a.RequesterUPN != a.Requester {
			who += " <" + a.RequesterUPN + ">"
		}
		fmt.Fprintf(r.stdout, "  %s  %s · %s · %s\n", a.ID, who, a.RoleLabel(), a.Plane.Title())
		fmt.Fprintf(r.stdout, "            %s\n", r.approvalWhen(a, s.Now))
		if a.Justification != "" || a.TicketNumber != "" {
			var why []string
			if a.Justification != "" {
				why = append(why, "“"+a.Justification+"”")
			}
			if a.TicketNumber != "" {
				why = append(why, "ticket "+strings.TrimSpace(a.TicketSystem+" "+a.TicketNumber))
			}
			fmt.Fprintf(r.stdout, "            %s\n", strings.Join(why, " · "))
		}
		if a.API == pim.ApprovalAPIEntra {
			fmt.Fprintln(r.stdout, "            decided through Microsoft Graph beta (no v1.0 API for it)")
		}
	}
	for _, p := range s.ApprovalPlanes {
		fmt.Fprintln(r.stdout, p.Message)
	}
	return ExitOK
}

// approvalWhen is "for 2h from 09:00, asked 12 min ago, expires 08:48 tomorrow".
func (r *runner) approvalWhen(a engine.Approval, now time.Time) string {
	var parts []string
	if a.Duration > 0 {
		p := "for " + engine.FormatDuration(a.Duration)
		if !a.StartsAt.IsZero() && a.StartsAt.After(now.Add(time.Minute)) {
			p += " from " + r.when(a.StartsAt, now)
		}
		parts = append(parts, p)
	}
	parts = append(parts, "asked "+engine.Ago(now, a.CreatedAt))
	if !a.ExpiresAt.IsZero() {
		parts = append(parts, "expires in "+engine.FormatRemaining(a.ExpiresAt.Sub(now)))
	}
	return strings.Join(parts, ", ")
}
