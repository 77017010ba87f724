package cli

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/pimtray/pimtray/internal/engine"
	"github.com/pimtray/pimtray/pim"
)

// statusOptions are status's flags and arguments.
type statusOptions struct {
	JSON bool     // --json
	Args []string // none are taken
}

// newCmdStatus is `pimtray status`: who is signed in where, and what is active.
func newCmdStatus(r *runner, runF func(*statusOptions) int) *cobra.Command {
	o := &statusOptions{}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "who is signed in where, and the active roles",
		Long: `Show each tenant's sign-in (and whether it is kept in the keyring or in memory only) and
the roles that are active, pending approval or scheduled for a later start. When Azure can't be reached, the last known
state is shown and the exit code is 1.`,
		Example: `  pimtray status
  pimtray status --json`,
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE:              runE(o, &o.Args, runF, r.status),
	}
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print JSON for scripts")
	return cmd
}

func (r *runner) status(o *statusOptions) int {
	asJSON, pos := o.JSON, o.Args
	if len(pos) > 0 {
		return r.usage(fmt.Sprintf("status takes no arguments, got %q", pos[0]))
	}
	if code, ok := r.open(); !ok {
		return code
	}
	code := ExitOK
	// What is known lately is the starting point, as for every command: only planes older
	// than the refresh interval are read.
	refreshErr := r.eng.RefreshStale(r.ctx, r.g.Tenant)
	if engine.IsInput(refreshErr) {
		return r.fail(ExitUsage, engine.HumanError(refreshErr))
	}
	s := r.eng.Snapshot()
	var roles []engine.Item
	for _, it := range r.items(s) {
		if st := status(it, s.Now); st == pim.StatusActive || st == pim.StatusPending || st == pim.StatusScheduled {
			roles = append(roles, it)
		}
	}
	var accounts []engine.Account
	for _, a := range s.Accounts {
		if r.inTenant(a.TenantID) {
			accounts = append(accounts, a)
		}
	}
	if refreshErr != nil && !errors.Is(refreshErr, pim.ErrSignInNeeded) {
		code = ExitFailed
	}
	if asJSON {
		out := statusJSON{Demo: s.Demo, Accounts: make([]accountJSON, 0, len(accounts)), Roles: make([]roleJSON, 0, len(roles)),
			Problems: make([]problemJSON, 0, len(s.Problems))}
		for _, a := range accounts {
			out.Accounts = append(out.Accounts, accountJSON{TenantID: a.TenantID, TenantName: a.TenantName, User: a.User,
				SignedIn: a.SignedIn, Storage: a.Storage})
		}
		for _, it := range roles {
			out.Roles = append(out.Roles, toJSON(it, s.Now))
		}
		for _, p := range s.Problems {
			out.Problems = append(out.Problems, problemJSON{TenantID: p.TenantID, Plane: string(p.Plane), Message: p.Message})
		}
		if refreshErr != nil {
			out.Error = engine.HumanError(refreshErr)
		}
		if r.printJSON(out) != ExitOK {
			return ExitFailed
		}
		return code
	}
	r.demoLine()
	for _, a := range accounts {
		tenant := firstNonEmpty(a.TenantName, a.TenantID)
		if a.TenantName != "" {
			tenant += " (" + a.TenantID + ")"
		}
		switch {
		case a.SignedIn && a.Storage == "memory":
			fmt.Fprintf(r.stdout, "Signed in to %s as %s — not remembered: keyring unavailable.\n", tenant, a.User)
		case a.SignedIn && a.Storage != "":
			fmt.Fprintf(r.stdout, "Signed in to %s as %s, kept in the %s.\n", tenant, a.User, a.Storage)
		case a.SignedIn:
			fmt.Fprintf(r.stdout, "Signed in to %s as %s.\n", tenant, firstNonEmpty(a.User, "(unknown user)"))
		case a.Storage == "memory" && (strings.EqualFold(a.TenantID, "organizations") || strings.EqualFold(a.TenantID, "common")):
			fmt.Fprintln(r.stdout, "Not signed in: run 'pimtray signin'. The keyring is unavailable, so a sign-in is not remembered after this run.")
		case a.Storage == "memory":
			fmt.Fprintf(r.stdout, "Not signed in to %s: run 'pimtray signin --tenant %s'. The keyring is unavailable, so a sign-in is not remembered after this run.\n", tenant, a.TenantID)
		case strings.EqualFold(a.TenantID, "organizations") || strings.EqualFold(a.TenantID, "common"):
			fmt.Fprintln(r.stdout, "Not signed in: run 'pimtray signin' (or 'pimtray signin --tenant ID' for another tenant).")
		default:
			fmt.Fprintf(r.stdout, "Not signed in to %s: run 'pimtray signin --tenant %s'.\n", tenant, a.TenantID)
		}
	}
	signedOut := slices.ContainsFunc(accounts, func(a engine.Account) bool { return !a.SignedIn })
	switch {
	case len(roles) == 0 && signedOut:
		// Not signed in, pimtray cannot know: a role may well be active.
		fmt.Fprintln(r.stdout, "What is active is unknown until you sign in.")
	case len(roles) == 0:
		fmt.Fprintln(r.stdout, "Nothing active.")
	default:
		if signedOut {
			fmt.Fprintln(r.stdout, "Last known (not signed in, so it may have changed):")
		}
		tw := tabwriter.NewWriter(r.stdout, 0, 0, 2, ' ', 0)
		for _, it := range roles {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", it.Role.Plane.Title(), it.Role.Label(), r.statusText(it, s.Now))
		}
		tw.Flush()
	}
	r.printProblems(s)
	if refreshErr != nil && code != ExitOK {
		fmt.Fprintf(r.stderr, "pimtray: %s (showing the last known state)\n", engine.HumanError(refreshErr))
	}
	return code
}
