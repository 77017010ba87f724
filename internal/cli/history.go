package cli

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/pimtray/pimtray/internal/engine"
)

// DefaultHistoryDays is how far back `pimtray history` reads without --days.
const DefaultHistoryDays = 30

// maxHistoryDays bounds --days: Azure keeps requests for a limited time anyway.
const maxHistoryDays = 3650

// historyOptions are history's flags and arguments.
type historyOptions struct {
	Days string   // --days N
	JSON bool     // --json
	Args []string // none are taken
}

// newCmdHistory is `pimtray history`.
func newCmdHistory(r *runner, runF func(*historyOptions) int) *cobra.Command {
	o := &historyOptions{}
	cmd := &cobra.Command{
		Use:   "history",
		Short: "your own activations, deactivations, approvals and denials, newest first",
		Long: `List your own PIM requests of the last days on every plane, newest first: when, which role
where, how it ended (activated, activated after approval, denied, cancelled, timed out,
scheduled, deactivated…), how long was asked, and the justification and ticket. It reads the
requests Azure keeps for you (no audit-log permission needed), only when you ask.`,
		Example: `  pimtray history
  pimtray history --days 7 --json`,
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE:              runE(o, &o.Args, runF, r.history),
	}
	cmd.Flags().StringVar(&o.Days, "days", "", fmt.Sprintf("how many days back, `N` (default %d)", DefaultHistoryDays))
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print JSON for scripts")
	_ = cmd.RegisterFlagCompletionFunc("days", cobra.NoFileCompletions)
	return cmd
}

// historyJSON is one entry of `history --json`.
type historyJSON struct {
	Plane         string     `json:"plane"`
	Role          string     `json:"role"`
	RoleID        string     `json:"roleId"`
	Scope         string     `json:"scope"`
	ScopeName     string     `json:"scopeName"`
	TenantID      string     `json:"tenantId"`
	Action        string     `json:"action"`  // activate | deactivate
	Status        string     `json:"status"`  // Azure's word
	Outcome       string     `json:"outcome"` // for people
	CreatedAt     time.Time  `json:"createdAt"`
	StartsAt      *time.Time `json:"startsAt"`
	Duration      string     `json:"duration"` // "2h"; "" for a deactivation
	Justification string     `json:"justification"`
	TicketNumber  string     `json:"ticketNumber"`
	TicketSystem  string     `json:"ticketSystem"`
	Approval      bool       `json:"approval"`
	RequestID     string     `json:"requestId"`
}

func (r *runner) history(o *historyOptions) int {
	if len(o.Args) > 0 {
		return r.usage(fmt.Sprintf("history takes no arguments, got %q", o.Args[0]))
	}
	days := DefaultHistoryDays
	if o.Days != "" {
		n, err := strconv.Atoi(o.Days)
		if err != nil || n < 1 || n > maxHistoryDays {
			return r.usage(fmt.Sprintf("--days takes a whole number of days from 1 to %d, got %q", maxHistoryDays, o.Days))
		}
		days = n
	}
	if code, ok := r.open(); !ok {
		return code
	}
	now := r.eng.Snapshot().Now
	since := now.Add(-time.Duration(days) * 24 * time.Hour)
	hs, problems, err := r.eng.HistoryNow(r.ctx, r.g.Tenant, since)
	if err != nil {
		if engine.IsInput(err) {
			return r.fail(ExitUsage, engine.HumanError(err))
		}
		return r.failed("could not read your history: ", err)
	}
	code := ExitOK
	if len(problems) > 0 {
		code = ExitFailed
	}
	if o.JSON {
		out := make([]historyJSON, 0, len(hs))
		for _, h := range hs {
			j := historyJSON{Plane: string(h.Role.Plane), Role: h.Role.RoleName, RoleID: h.Role.RoleID, Scope: h.Role.Scope,
				ScopeName: h.Role.ScopeName, TenantID: h.Role.TenantID, Action: h.Action, Status: h.Status, Outcome: h.Outcome,
				CreatedAt: h.CreatedAt.UTC(), Justification: h.Justification, TicketNumber: h.TicketNumber,
				TicketSystem: h.TicketSystem, Approval: h.Approval, RequestID: h.RequestID}
			if !h.StartsAt.IsZero() {
				t := h.StartsAt.UTC()
				j.StartsAt = &t
			}
			if h.Duration > 0 {
				j.Duration = durationText(h.Duration)
			}
			out = append(out, j)
		}
		if r.printJSON(out) != ExitOK {
			return ExitFailed
		}
		r.printHistoryProblems(problems)
		return code
	}
	r.demoLine()
	if len(hs) == 0 {
		fmt.Fprintf(r.stdout, "No requests in the last %d days.\n", days)
	} else {
		var buf bytes.Buffer
		tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
		for _, h := range hs {
			name := h.Role.Label()
			if h.TenantName != "" {
				name += " (" + h.TenantName + ")"
			}
			length := ""
			if h.Duration > 0 {
				length = engine.FormatDuration(h.Duration)
			}
			why := h.Justification
			if h.TicketNumber != "" {
				why = firstNonEmpty(why+" ", "") + "[" + firstNonEmpty(h.TicketSystem+" ", "") + h.TicketNumber + "]"
			}
			outcome := h.Outcome
			if outcome == "scheduled" {
				outcome += " for " + h.StartsAt.In(r.loc()).Format("2006-01-02 15:04")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", h.CreatedAt.In(r.loc()).Format("2006-01-02 15:04"), h.Role.Plane.Title(),
				name, outcome, length, why)
		}
		tw.Flush()
		for _, line := range strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n") {
			fmt.Fprintln(r.stdout, strings.TrimRight(line, " ")) // an empty last column pads nothing
		}
	}
	r.printHistoryProblems(problems)
	return code
}

func (r *runner) printHistoryProblems(ps []engine.HistoryProblem) {
	for _, p := range ps {
		fmt.Fprintf(r.stderr, "pimtray: %s (its history is missing above)\n", p.Message)
	}
}
