package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/pimtray/pimtray/internal/engine"
	"github.com/pimtray/pimtray/pim"
)

// withPolicies gives the items their policies: the cached ones, and those not known (or old)
// read in batches (engine.EnsurePolicies), which the next command then finds cached.
func (r *runner) withPolicies(items []engine.Item) []engine.Item {
	var keys []string
	for _, it := range items {
		if it.Policy == nil {
			keys = append(keys, it.Key)
		}
	}
	if len(keys) == 0 {
		return items
	}
	r.eng.EnsurePolicies(r.ctx, keys)
	byKey := map[string]engine.Item{}
	for _, it := range r.eng.Snapshot().All {
		byKey[it.Key] = it
	}
	for i := range items {
		if got, ok := byKey[items[i].Key]; ok && items[i].Policy == nil && got.Policy != nil {
			items[i].Policy, items[i].PolicyReadAt = got.Policy, got.PolicyReadAt
		}
	}
	return items
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

// itemIn is the role it as the snapshot s has it now (it itself when s lists it no more).
func itemIn(s engine.Snapshot, it engine.Item) engine.Item {
	for _, now := range s.All {
		if now.Key == it.Key {
			return now
		}
	}
	return it
}

// status is the role's status for scripts: eligible, active or pending.
func status(it engine.Item, now time.Time) pim.Status {
	switch engine.EffectiveState(it, now) {
	case engine.StateActive:
		return pim.StatusActive
	case engine.StatePending:
		return pim.StatusPending
	case engine.StateScheduled:
		return pim.StatusScheduled
	}
	return pim.StatusEligible
}

func (r *runner) statusText(it engine.Item, now time.Time) string {
	if it.LastKnown && status(it, now) != pim.StatusEligible {
		// Its plane refuses the sign-in: what Azure said when last read, not counted down.
		last := "active"
		switch status(it, now) {
		case pim.StatusActive:
			if !it.ExpiresAt.IsZero() {
				last = "active until " + r.when(it.ExpiresAt, now)
			}
		case pim.StatusPending:
			last = "pending approval"
		case pim.StatusScheduled:
			last = "scheduled from " + r.when(it.StartsAt, now)
		}
		return "needs sign-in (last known: " + last + ")"
	}
	switch status(it, now) {
	case pim.StatusActive:
		if it.ExpiresAt.IsZero() {
			return "active (permanent)"
		}
		return fmt.Sprintf("active until %s (%s left)", r.when(it.ExpiresAt, now), engine.FormatRemaining(it.ExpiresAt.Sub(now)))
	case pim.StatusPending:
		return "pending approval"
	case pim.StatusScheduled:
		return fmt.Sprintf("scheduled from %s until %s", r.when(it.StartsAt, now), r.when(it.ExpiresAt, it.StartsAt))
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
