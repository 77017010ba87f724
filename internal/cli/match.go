package cli

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pimtray/pimtray/internal/engine"
	"github.com/pimtray/pimtray/pim"
)

// matchError is a ROLE/--scope that picks no role or more than one.
type matchError struct {
	msg        string
	candidates []engine.Item // for an ambiguous name: one line each
}

func (m *matchError) Error() string { return m.msg }

func (r *runner) matchFailed(err error) int {
	m := err.(*matchError)
	fmt.Fprintf(r.stderr, "pimtray: %s\n", m.msg)
	for _, it := range m.candidates {
		fmt.Fprintf(r.stderr, "  %-6s  %-28s  %s  (--scope %q)\n", it.Role.Plane, it.Role.RoleName, scopeText(it.Role), scopeArg(it.Role))
	}
	return ExitUsage
}

// scopeArg is the shortest --scope value that names the role's scope.
func scopeArg(r pim.Role) string { return firstNonEmpty(r.ScopeName, r.Scope) }

// match picks exactly one role by name or id (any case, never a part of a name: "Contributor"
// does not pick "AKS Contributor"), narrowed by scope name or id. preferActive (deactivate)
// settles a tie for the one role that is active or pending.
func match(items []engine.Item, roleArg, scopeArg string, preferActive bool) (engine.Item, error) {
	roleArg, scopeArg = strings.TrimSpace(roleArg), strings.TrimSpace(scopeArg)
	var byRole []engine.Item
	for _, it := range items {
		if roleMatches(it.Role, roleArg) {
			byRole = append(byRole, it)
		}
	}
	if len(byRole) == 0 {
		msg := fmt.Sprintf("you are not eligible for a role named %q", roleArg)
		var names []string
		for _, it := range items {
			names = append(names, it.Role.RoleName)
		}
		if s := suggest(roleArg, names); s != "" {
			msg += "; did you mean " + s + "?"
		} else {
			msg += " (see 'pimtray list')"
		}
		return engine.Item{}, &matchError{msg: msg}
	}
	cands := byRole
	if scopeArg != "" {
		cands = nil
		for _, it := range byRole {
			if scopeMatches(it.Role, scopeArg) {
				cands = append(cands, it)
			}
		}
		if len(cands) == 0 {
			var scopes []string
			for _, it := range byRole {
				if s := scopeText(it.Role); !slices.Contains(scopes, s) {
					scopes = append(scopes, s)
				}
			}
			msg := fmt.Sprintf("%s has no scope %q", byRole[0].Role.RoleName, scopeArg)
			var names []string
			for _, it := range byRole {
				names = append(names, it.Role.ScopeName, lastSegment(it.Role.Scope))
			}
			if s := suggest(scopeArg, names); s != "" {
				msg += "; did you mean " + s + "?"
			} else {
				msg += "; its scopes: " + strings.Join(scopes, ", ")
			}
			return engine.Item{}, &matchError{msg: msg}
		}
	}
	if len(cands) > 1 && preferActive {
		var live []engine.Item
		for _, it := range cands {
			if it.State == engine.StateActive || it.State == engine.StatePending || it.State == engine.StateScheduled {
				live = append(live, it)
			}
		}
		if len(live) == 1 {
			return live[0], nil
		}
	}
	if len(cands) > 1 {
		how := "add --scope"
		if scopeArg != "" {
			how = "use the scope's id"
		}
		return engine.Item{}, &matchError{msg: fmt.Sprintf("%q matches %d roles; %s to pick one:", roleArg, len(cands), how),
			candidates: cands}
	}
	return cands[0], nil
}

func roleMatches(r pim.Role, arg string) bool {
	return strings.EqualFold(r.RoleName, arg) || strings.EqualFold(r.RoleID, arg) || strings.EqualFold(lastSegment(r.RoleID), arg)
}

func scopeMatches(r pim.Role, arg string) bool {
	if strings.EqualFold(r.ScopeName, arg) || strings.EqualFold(r.Scope, arg) {
		return true
	}
	// The last part of an ARM scope id: a subscription GUID, a resource group or management group name.
	return r.Scope != "/" && strings.EqualFold(lastSegment(r.Scope), arg)
}

func lastSegment(id string) string {
	id = strings.TrimRight(id, "/")
	if i := strings.LastIndex(id, "/"); i >= 0 {
		return id[i+1:]
	}
	return id
}

// suggest is what a typo'd name may have meant, quoted: the nearest name by edit distance,
// else the names that contain what was typed (at most three); "" when nothing is near.
func suggest(s string, names []string) string {
	if c := closest(s, names); c != "" {
		return strconv.Quote(c)
	}
	ls := strings.ToLower(strings.TrimSpace(s))
	if len([]rune(ls)) < 3 {
		return ""
	}
	var hits []string
	for _, n := range names {
		if strings.Contains(strings.ToLower(n), ls) && !slices.Contains(hits, strconv.Quote(n)) {
			hits = append(hits, strconv.Quote(n))
		}
	}
	switch {
	case len(hits) == 0 || len(hits) > 3:
		return ""
	case len(hits) == 1:
		return hits[0]
	}
	return strings.Join(hits[:len(hits)-1], ", ") + " or " + hits[len(hits)-1]
}

// closest is the candidate nearest to s by edit distance (any case), if near enough to be
// a typo.
func closest(s string, candidates []string) string {
	best, bestD := "", 0
	ls := strings.ToLower(s)
	for _, c := range candidates {
		d := editDistance(ls, strings.ToLower(c))
		limit := max(2, len(c)/4)
		if d <= limit && (best == "" || d < bestD) {
			best, bestD = c, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// ---- JSON ----

// roleJSON is one role for scripts.
type roleJSON struct {
	Plane     string     `json:"plane"`
	Role      string     `json:"role"`
	RoleID    string     `json:"roleId"`
	Scope     string     `json:"scope"`
	ScopeName string     `json:"scopeName"`
	ScopeType string     `json:"scopeType"`
	TenantID  string     `json:"tenantId"`
	Status    string     `json:"status"` // eligible, active, pending, scheduled
	StartsAt  *time.Time `json:"startsAt"`
	ExpiresAt *time.Time `json:"expiresAt"`
	Favourite bool       `json:"favourite"`
	// Key is the role's favourite key ("plane|tenant|roleId|scope"), as favourites[].key
	// in the configuration takes it.
	Key    string      `json:"key"`
	Policy *policyJSON `json:"policy"`
	// PolicyReadAt is when the policy was read from Azure (it is cached; null when unknown).
	PolicyReadAt *time.Time `json:"policyReadAt"`
}

type policyJSON struct {
	MaxDuration   string `json:"maxDuration"` // "8h"; "" when unknown
	Justification bool   `json:"justification"`
	Ticket        bool   `json:"ticket"`
	Approval      bool   `json:"approval"`
	MFA           bool   `json:"mfa"`
	AuthContext   string `json:"authContext"`
}

type statusJSON struct {
	Demo     bool          `json:"demo"`
	Accounts []accountJSON `json:"accounts"`
	Roles    []roleJSON    `json:"roles"`
	Problems []problemJSON `json:"problems"`
	Error    string        `json:"error,omitempty"`
}

type accountJSON struct {
	TenantID   string `json:"tenantId"`
	TenantName string `json:"tenantName,omitempty"`
	User       string `json:"user,omitempty"`
	SignedIn   bool   `json:"signedIn"`
	Storage    string `json:"storage,omitempty"`
}

type problemJSON struct {
	TenantID string `json:"tenantId"`
	Plane    string `json:"plane"`
	Message  string `json:"message"`
}

func toJSON(it engine.Item, now time.Time) roleJSON {
	r := it.Role
	j := roleJSON{Plane: string(r.Plane), Role: r.RoleName, RoleID: r.RoleID, Scope: r.Scope, ScopeName: r.ScopeName,
		ScopeType: r.ScopeType, TenantID: r.TenantID, Status: string(status(it, now)), Favourite: it.Favourite, Key: it.Key}
	if j.Status != string(pim.StatusEligible) {
		if !it.StartsAt.IsZero() {
			t := it.StartsAt.UTC()
			j.StartsAt = &t
		}
		if !it.ExpiresAt.IsZero() {
			t := it.ExpiresAt.UTC()
			j.ExpiresAt = &t
		}
	}
	if p := it.Policy; p != nil {
		j.Policy = &policyJSON{Justification: p.Justification, Ticket: p.Ticket, Approval: p.Approval, MFA: p.MFA, AuthContext: p.AuthContext}
		if p.MaxDuration > 0 {
			j.Policy.MaxDuration = durationText(p.MaxDuration)
		}
		if !it.PolicyReadAt.IsZero() {
			t := it.PolicyReadAt.UTC()
			j.PolicyReadAt = &t
		}
	}
	return j
}

// durationText is Go duration text without zero units: "8h", "1h30m", "45m".
func durationText(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func (r *runner) printJSON(v any) int {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return r.fail(ExitFailed, "cannot write JSON: "+err.Error())
	}
	fmt.Fprintln(r.stdout, string(data))
	return ExitOK
}
