package engine

import "strings"

// NeedsText says what activating the role needs beyond a click, from its policy, for its
// menu label: "ticket · approval · MFA" ("" when nothing, or the policy is not known).
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
	return strings.Join(parts, " · ")
}

// MaxText is the role's longest activation, for lists that show it ("max 8h"); "" when
// the policy is not known.
func MaxText(it Item) string {
	if it.Policy == nil || it.Policy.MaxDuration <= 0 {
		return ""
	}
	return "max " + FormatDuration(it.Policy.MaxDuration)
}
