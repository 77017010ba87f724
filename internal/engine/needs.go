package engine

import "strings"

// NeedsText says what activating the role needs beyond a click, from its policy, for its
// menu label: "ticket · approval · MFA · max 4h" ("" when nothing, or the policy is not
// known). The maximum is said only when it is more than one click asks for (Duration), so
// the user knows a longer one can be chosen.
func NeedsText(it Item) string {
	p := it.Policy
	if p == nil {
		return ""
	}
	var parts []string
	if p.Ticket {
		parts = append(parts, "ticket")
	}
	if p.Approval {
		parts = append(parts, "approval")
	}
	switch {
	case p.AuthContext != "":
		parts = append(parts, "auth context")
	case p.MFA:
		parts = append(parts, "MFA")
	}
	if p.MaxDuration > 0 && it.Duration > 0 && p.MaxDuration > it.Duration {
		parts = append(parts, "max "+FormatDuration(p.MaxDuration))
	}
	return strings.Join(parts, " · ")
}
