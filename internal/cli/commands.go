package cli

import (
	"errors"
	"flag"
	"fmt"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/pimtray/pimtray/internal/engine"
	"github.com/pimtray/pimtray/pim"
)

func (r *runner) list(args []string) int {
	var active, asJSON bool
	pos, err := r.parse("list", args, func(fs *flag.FlagSet) {
		fs.BoolVar(&active, "active", false, "only active roles")
		fs.BoolVar(&asJSON, "json", false, "JSON output")
	})
	if err != nil {
		return r.usage(err.Error())
	}
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

// withPolicies reads the items' policies (concurrently, cached by the client) for display.
func (r *runner) withPolicies(items []engine.Item) []engine.Item {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range items {
		if items[i].Policy != nil {
			continue
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if p, ok := r.eng.Policy(r.ctx, items[i].Key); ok {
				items[i].Policy = &p
			}
		})
	}
	wg.Wait()
	return items
}

func (r *runner) activate(args []string) int {
	var scope, reason, ticket, ticketSystem, forText string
	var asJSON bool
	pos, err := r.parse("activate", args, func(fs *flag.FlagSet) {
		fs.StringVar(&scope, "scope", "", "scope name or id")
		fs.StringVar(&forText, "for", "", "duration")
		fs.StringVar(&reason, "reason", "", "justification")
		fs.StringVar(&ticket, "ticket", "", "ticket number")
		fs.StringVar(&ticketSystem, "ticket-system", "", "ticket system")
		fs.BoolVar(&asJSON, "json", false, "JSON output")
	})
	if err != nil {
		return r.usage(err.Error())
	}
	if len(pos) != 1 {
		return r.usage(roleArgMessage("activate", pos))
	}
	var dur time.Duration
	if forText != "" {
		if dur, err = parseDuration(forText); err != nil {
			return r.usage(err.Error())
		}
	}
	if ticketSystem != "" && ticket == "" {
		return r.usage("--ticket-system needs --ticket NUMBER")
	}
	if code, ok := r.open(); !ok {
		return code
	}
	if code, ok := r.refresh(); !ok {
		return code
	}
	s := r.eng.Snapshot()
	it, merr := match(r.items(s), pos[0], scope, false)
	if merr != nil {
		return r.matchFailed(merr)
	}
	res, err := r.eng.ActivateNow(r.ctx, it.Key, engine.ActivateOptions{
		Duration: dur, Justification: reason, TicketNumber: ticket, TicketSystem: ticketSystem,
		Interactive: true, // the user's command: a step-up sign-in may open
	})
	if err != nil {
		var ie *engine.InputError
		if errors.As(err, &ie) {
			msg := ie.Msg
			switch {
			case ie.Field == engine.FieldJustification:
				msg += " Add --reason TEXT."
			case ie.Field == engine.FieldTicket:
				msg += " Add --ticket NUMBER."
			case ie.Max > 0:
				msg += fmt.Sprintf(" Ask for --for %s or less.", engine.FormatDuration(ie.Max))
			}
			return r.fail(ExitUsage, msg)
		}
		if errors.Is(err, pim.ErrSignInNeeded) {
			return r.fail(ExitFailed, "sign in needed: run 'pimtray signin'"+r.tenantFlag())
		}
		return r.fail(ExitFailed, "could not activate "+it.Role.Label()+": "+engine.HumanError(err))
	}
	now := r.eng.Snapshot().Now
	code := ExitOK
	if res.Activation.Status == pim.StatusPending {
		code = ExitPending
	}
	if asJSON {
		after := r.eng.Snapshot()
		out := findItem(after, it.Key)
		if out.Key == "" {
			out = it
		}
		if out.Policy == nil {
			if p, ok := r.eng.Policy(r.ctx, it.Key); ok {
				out.Policy = &p
			}
		}
		j := toJSON(out, now)
		if res.Activation.Status == pim.StatusPending {
			j.Status = string(pim.StatusPending)
		}
		if r.printJSON(j) != ExitOK {
			return ExitFailed
		}
		return code
	}
	r.demoLine()
	name := it.Role.Label()
	a := res.Activation
	switch {
	case a.Status == pim.StatusPending:
		fmt.Fprintf(r.stdout, "%s: request sent; it waits for approval.\n", name)
	case res.AlreadyActive && a.ExpiresAt.IsZero():
		fmt.Fprintf(r.stdout, "%s is already active.\n", name)
	case res.AlreadyActive:
		fmt.Fprintf(r.stdout, "%s is already active until %s (%s left).\n", name, r.when(a.ExpiresAt, now),
			engine.FormatRemaining(a.ExpiresAt.Sub(now)))
	case a.ExpiresAt.IsZero():
		fmt.Fprintf(r.stdout, "Activated %s.\n", name)
	default:
		fmt.Fprintf(r.stdout, "Activated %s until %s (%s).\n", name, r.when(a.ExpiresAt, now), engine.FormatDuration(res.Duration))
	}
	return code
}

func (r *runner) deactivate(args []string) int {
	var scope string
	var asJSON bool
	pos, err := r.parse("deactivate", args, func(fs *flag.FlagSet) {
		fs.StringVar(&scope, "scope", "", "scope name or id")
		fs.BoolVar(&asJSON, "json", false, "JSON output")
	})
	if err != nil {
		return r.usage(err.Error())
	}
	if len(pos) != 1 {
		return r.usage(roleArgMessage("deactivate", pos))
	}
	if code, ok := r.open(); !ok {
		return code
	}
	if code, ok := r.refresh(); !ok {
		return code
	}
	s := r.eng.Snapshot()
	it, merr := match(r.items(s), pos[0], scope, true)
	if merr != nil {
		return r.matchFailed(merr)
	}
	d, err := r.eng.DeactivateNow(r.ctx, it.Key)
	if err != nil {
		if errors.Is(err, pim.ErrSignInNeeded) {
			return r.fail(ExitFailed, "sign in needed: run 'pimtray signin'"+r.tenantFlag())
		}
		return r.fail(ExitFailed, "could not deactivate "+it.Role.Label()+": "+engine.HumanError(err))
	}
	after := r.eng.Snapshot()
	if asJSON {
		out := findItem(after, it.Key)
		if out.Key == "" {
			out = it
		}
		return r.printJSON(toJSON(out, after.Now))
	}
	r.demoLine()
	name := it.Role.Label()
	switch {
	case d.Withdrawn:
		fmt.Fprintf(r.stdout, "Withdrew the request for %s.\n", name)
	case d.NotActive:
		fmt.Fprintf(r.stdout, "%s is not active.\n", name)
	default:
		fmt.Fprintf(r.stdout, "Deactivated %s.\n", name)
	}
	return ExitOK
}

func (r *runner) status(args []string) int {
	var asJSON bool
	pos, err := r.parse("status", args, func(fs *flag.FlagSet) {
		fs.BoolVar(&asJSON, "json", false, "JSON output")
	})
	if err != nil {
		return r.usage(err.Error())
	}
	if len(pos) > 0 {
		return r.usage(fmt.Sprintf("status takes no arguments, got %q", pos[0]))
	}
	if code, ok := r.open(); !ok {
		return code
	}
	code := ExitOK
	refreshErr := r.eng.RefreshNow(r.ctx, r.g.Tenant)
	if engine.IsInput(refreshErr) {
		return r.fail(ExitUsage, engine.HumanError(refreshErr))
	}
	s := r.eng.Snapshot()
	var roles []engine.Item
	for _, it := range r.items(s) {
		if st := status(it, s.Now); st == pim.StatusActive || st == pim.StatusPending {
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
	if len(roles) == 0 {
		fmt.Fprintln(r.stdout, "Nothing active.")
	} else {
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

func (r *runner) signin(args []string) int {
	var deviceCode bool
	pos, err := r.parse("signin", args, func(fs *flag.FlagSet) {
		fs.BoolVar(&deviceCode, "device-code", false, "sign in with a code on another device")
	})
	if err != nil {
		return r.usage(err.Error())
	}
	if len(pos) > 0 {
		return r.usage(fmt.Sprintf("signin takes no arguments, got %q (use --tenant ID)", pos[0]))
	}
	if code, ok := r.open(); !ok {
		return code
	}
	acc, err := r.eng.SignInNow(r.ctx, r.g.Tenant, engine.SignInOptions{DeviceCode: deviceCode,
		Prompt: func(msg string) { fmt.Fprintln(r.stderr, msg) }})
	if err != nil {
		if engine.IsInput(err) {
			return r.fail(ExitUsage, engine.HumanError(err))
		}
		return r.fail(ExitFailed, engine.HumanError(err))
	}
	r.demoLine()
	tenant := firstNonEmpty(acc.TenantName, acc.TenantID)
	switch acc.Storage {
	case "memory":
		fmt.Fprintf(r.stdout, "Signed in to %s as %s — not remembered: keyring unavailable.\n", tenant, acc.User)
	case "":
		fmt.Fprintf(r.stdout, "Signed in to %s as %s.\n", tenant, firstNonEmpty(acc.User, "(unknown user)"))
	default:
		fmt.Fprintf(r.stdout, "Signed in to %s as %s, kept in the %s.\n", tenant, acc.User, acc.Storage)
	}
	return ExitOK
}

func (r *runner) signout(args []string) int {
	pos, err := r.parse("signout", args, func(*flag.FlagSet) {})
	if err != nil {
		return r.usage(err.Error())
	}
	if len(pos) > 0 {
		return r.usage(fmt.Sprintf("signout takes no arguments, got %q (use --tenant ID)", pos[0]))
	}
	if code, ok := r.open(); !ok {
		return code
	}
	accounts := r.eng.Tenants()
	if err := r.eng.SignOutNow(r.ctx, r.g.Tenant); err != nil {
		if engine.IsInput(err) {
			return r.fail(ExitUsage, engine.HumanError(err))
		}
		return r.fail(ExitFailed, engine.HumanError(err))
	}
	r.demoLine()
	tenant := r.g.Tenant
	for _, a := range accounts {
		if r.inTenant(a.TenantID) {
			tenant = firstNonEmpty(a.TenantName, a.TenantID)
			break
		}
	}
	fmt.Fprintf(r.stdout, "Signed out of %s.\n", tenant)
	return ExitOK
}

func roleArgMessage(cmd string, pos []string) string {
	if len(pos) == 0 {
		return cmd + " needs a ROLE, e.g. pimtray " + cmd + " \"Global Administrator\""
	}
	return fmt.Sprintf("%s takes one ROLE, got %d arguments (quote names with spaces: \"%s\")", cmd, len(pos), strings.Join(pos, " "))
}

// parseDuration reads --for: Go durations ("8h", "90m", "1h30m") or ISO 8601 ("PT8H").
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var d time.Duration
	var err error
	if strings.HasPrefix(strings.ToUpper(s), "P") {
		d, err = pim.ParseISODuration(s)
	} else {
		d, err = time.ParseDuration(s)
	}
	if err != nil {
		return 0, fmt.Errorf("--for %q is not a duration (try 8h, 90m or 1h30m)", s)
	}
	if d <= 0 {
		return 0, fmt.Errorf("--for %q must be positive", s)
	}
	return d, nil
}

func (r *runner) printProblems(s engine.Snapshot) {
	for _, p := range s.Problems {
		if !r.inTenant(p.TenantID) {
			continue
		}
		fmt.Fprintf(r.stderr, "pimtray: %s\n", p.Message)
	}
}

func findItem(s engine.Snapshot, key string) engine.Item {
	for _, it := range s.All {
		if it.Key == key {
			return it
		}
	}
	return engine.Item{}
}

// status is the role's status for scripts: eligible, active or pending.
func status(it engine.Item, now time.Time) pim.Status {
	switch engine.EffectiveState(it, now) {
	case engine.StateActive:
		return pim.StatusActive
	case engine.StatePending:
		return pim.StatusPending
	}
	return pim.StatusEligible
}

func (r *runner) statusText(it engine.Item, now time.Time) string {
	switch status(it, now) {
	case pim.StatusActive:
		if it.ExpiresAt.IsZero() {
			return "active (permanent)"
		}
		return fmt.Sprintf("active until %s (%s left)", r.when(it.ExpiresAt, now), engine.FormatRemaining(it.ExpiresAt.Sub(now)))
	case pim.StatusPending:
		return "pending approval"
	}
	if engine.EffectiveState(it, now) == engine.StateNeedsSignIn {
		return "needs sign-in"
	}
	return "eligible"
}

// when is "17:42" today, "Mon 17:42" within a week, else "2025-03-10 17:42".
func (r *runner) when(t, now time.Time) string {
	lt, ln := t.In(r.loc()), now.In(r.loc())
	switch {
	case lt.Year() == ln.Year() && lt.YearDay() == ln.YearDay():
		return lt.Format("15:04")
	case lt.Sub(ln) < 6*24*time.Hour && lt.After(ln):
		return lt.Format("Mon 15:04")
	}
	return lt.Format("2006-01-02 15:04")
}

func scopeText(r pim.Role) string {
	name := firstNonEmpty(r.ScopeName, r.Scope)
	if r.ScopeType == "" || r.ScopeType == pim.ScopeDirectory {
		return name
	}
	return name + " (" + scopeTypeText(r.ScopeType) + ")"
}

func scopeTypeText(t string) string {
	switch t {
	case pim.ScopeManagementGroup:
		return "management group"
	case pim.ScopeResourceGroup:
		return "resource group"
	case pim.ScopeAdministrativeUnit:
		return "administrative unit"
	}
	return t
}

func policyText(p *pim.Policy) string {
	if p == nil {
		return "(policy unknown)"
	}
	var parts []string
	if p.MaxDuration > 0 {
		parts = append(parts, "max "+engine.FormatDuration(p.MaxDuration))
	}
	if p.Justification {
		parts = append(parts, "justification")
	}
	if p.Ticket {
		parts = append(parts, "ticket")
	}
	if p.MFA {
		parts = append(parts, "MFA")
	}
	if p.AuthContext != "" {
		parts = append(parts, "auth context "+p.AuthContext)
	}
	if p.Approval {
		parts = append(parts, "approval")
	}
	return strings.Join(parts, ", ")
}
