package engine

import (
	"fmt"
	"strings"
	"time"
)

// SecondsWindow is how close to its end a countdown shows seconds ("1m 59s left");
// before that it shows minutes ("7h 42m left", "42m left").
const SecondsWindow = 2 * time.Minute

// Label is the menu text of one role at now:
//
//	"Owner · IT — 7h 42m left"
//	"Global Administrator — activate (8h)"
//	"User Administrator — pending approval"
//	"Security Reader — needs sign-in"
//
// An active item whose end has passed reads as eligible again, so a label computed from an
// older snapshot is still right.
func Label(it Item, now time.Time) string {
	return ItemName(it) + " — " + StatusText(it, now)
}

// ItemName is a role without its state, as Label names it: "Owner · IT", with the tenant
// when there are several ("Reader · Prod (Fabrikam)").
func ItemName(it Item) string {
	name := it.Role.Label()
	if name == "" {
		name = it.Key
	}
	if it.TenantName != "" {
		name += " (" + it.TenantName + ")"
	}
	return name
}

// StatusText is the part of Label after the dash: "7h 42m left", "activate (8h)", "pending approval".
// A role whose plane refuses the sign-in says what was last known, without a countdown:
// "needs sign-in (last known: active until 14:05)".
func StatusText(it Item, now time.Time) string {
	if it.LastKnown {
		switch st := EffectiveState(it, now); st {
		case StateActive, StatePending, StateScheduled:
			was := "active"
			switch {
			case st == StatePending:
				was = "pending approval"
			case st == StateScheduled:
				was = "starts " + clockTimeIn(it.StartsAt, now, now.Location())
			case !it.ExpiresAt.IsZero():
				was = "active until " + clockTimeIn(it.ExpiresAt, now, now.Location())
			}
			return "needs sign-in (last known: " + was + ")"
		}
	}
	switch EffectiveState(it, now) {
	case StateActive:
		if it.ExpiresAt.IsZero() {
			return "active"
		}
		return FormatRemaining(it.ExpiresAt.Sub(now)) + " left"
	case StatePending:
		return "pending approval"
	case StateScheduled:
		return "starts " + clockTimeIn(it.StartsAt, now, now.Location())
	case StateActivating:
		if it.Waiting {
			return "still waiting for Azure…"
		}
		return "activating…"
	case StateDeactivating:
		return "deactivating…"
	case StateNeedsSignIn:
		return "needs sign-in"
	case StateFailed:
		return "failed, click to retry"
	case StateUnknown:
		if it.Problem != "" {
			return "not eligible"
		}
		return "checking…"
	}
	if it.Duration > 0 {
		return "activate (" + FormatDuration(it.Duration) + ")"
	}
	return "activate"
}

// EffectiveState is the item's state at now: an active item whose end has passed is eligible.
// A scheduled item whose start has come is active (Azure starts it on its own) until its end.
func EffectiveState(it Item, now time.Time) ItemState {
	if it.State == StateScheduled && !it.StartsAt.After(now) {
		it.State = StateActive
	}
	if it.State == StateActive && !it.ExpiresAt.IsZero() && !it.ExpiresAt.After(now) {
		return StateEligible
	}
	return it.State
}

// FormatDuration writes a duration for people, to the minute: "8h", "1h 30m", "45m"
// (seconds only under a minute: "30s").
func FormatDuration(d time.Duration) string {
	if d <= 0 {
		return "0m"
	}
	if d < time.Minute {
		return fmt.Sprintf("%ds", int64((d+time.Second-1)/time.Second))
	}
	m := int64((d + time.Minute - 1) / time.Minute)
	h, m := m/60, m%60
	switch {
	case h == 0:
		return fmt.Sprintf("%dm", m)
	case m == 0:
		return fmt.Sprintf("%dh", h)
	}
	return fmt.Sprintf("%dh %dm", h, m)
}

// FormatRemaining is a countdown: "7h 42m", "8h 00m", "42m", and in the last two minutes
// "1m 59s", "5s". It rounds up, so it never shows "0m" while something is still active and
// reads the whole duration right after an activation.
func FormatRemaining(r time.Duration) string {
	if r <= 0 {
		return "0s"
	}
	if r > SecondsWindow {
		m := int64((r + time.Minute - 1) / time.Minute)
		if h := m / 60; h > 0 {
			return fmt.Sprintf("%dh %02dm", h, m%60)
		}
		return fmt.Sprintf("%dm", m)
	}
	s := int64((r + time.Second - 1) / time.Second)
	if s >= 60 {
		return fmt.Sprintf("%dm %02ds", s/60, s%60)
	}
	return fmt.Sprintf("%ds", s)
}

// untilLabelChange is how long FormatRemaining(r) keeps its text as r shrinks.
func untilLabelChange(r time.Duration) time.Duration {
	unit := time.Second
	if r > SecondsWindow {
		unit = time.Minute
	}
	k := (r + unit - 1) / unit // the shown value, rounded up
	// Minutes round up, so the last minute shown is "3m" and the next text is "2m 00s":
	// the switch to seconds falls on a whole-minute boundary.
	return r - (k-1)*unit
}

// NextTick is how long until some label of s changes, for the tray's redraw timer: 0 when
// nothing counts down (no timer at all), up to a minute while countdowns show minutes, and
// never less than a second.
func NextTick(s Snapshot, now time.Time) time.Duration {
	var next time.Duration
	consider := func(items []Item) {
		for _, it := range items {
			if EffectiveState(it, now) != StateActive || it.ExpiresAt.IsZero() {
				continue
			}
			w := untilLabelChange(it.ExpiresAt.Sub(now))
			if it.LastKnown {
				w = it.ExpiresAt.Sub(now) // no countdown: the label changes when the end comes
			}
			if next == 0 || w < next {
				next = w
			}
		}
	}
	consider(s.Favourites)
	consider(s.All)
	if next > 0 && next < time.Second {
		next = time.Second
	}
	return next
}

// Icon is the tray icon's state for these items and accounts at now: attention (sign-in
// needed or a failure) > expiring (ends within expiringWithin) > pending > active > idle.
func Icon(items []Item, accounts []Account, now time.Time, expiringWithin time.Duration) IconState {
	var expiring, pending, active bool
	for _, a := range accounts {
		if !a.SignedIn {
			return IconAttention
		}
	}
	for _, it := range items {
		switch EffectiveState(it, now) {
		case StateNeedsSignIn, StateFailed:
			return IconAttention
		case StatePending:
			pending = true
		case StateActive:
			active = true
			if !it.ExpiresAt.IsZero() && it.ExpiresAt.Sub(now) <= expiringWithin {
				expiring = true
			}
		}
	}
	switch {
	case expiring:
		return IconExpiring
	case pending:
		return IconPending
	case active:
		return IconActive
	}
	return IconIdle
}

// Tooltip summarises the snapshot in one or two lines:
// "pimtray — 2 active; Owner · IT ends in 42m" or "pimtray DEMO — nothing active".
func Tooltip(s Snapshot, now time.Time) string {
	head := "pimtray"
	if s.Demo {
		head = "pimtray DEMO"
	}
	var parts []string
	for _, a := range s.Accounts {
		if !a.SignedIn {
			parts = append(parts, "sign in needed")
			break
		}
	}
	var active, pending, failed, lastKnown int
	var soonest *Item
	for i, it := range s.All {
		switch st := EffectiveState(it, now); {
		case it.LastKnown && st == StateActive:
			lastKnown++ // its plane refuses the sign-in: not counted down as if known
		case st == StateActive:
			active++
			if !it.ExpiresAt.IsZero() && (soonest == nil || it.ExpiresAt.Before(soonest.ExpiresAt)) {
				soonest = &s.All[i]
			}
		case st == StatePending:
			pending++
		case st == StateFailed:
			failed++
		}
	}
	switch {
	case active == 0 && lastKnown > 0:
		parts = append(parts, fmt.Sprintf("%d active when last read", lastKnown))
	case active > 0 && soonest != nil:
		parts = append(parts, fmt.Sprintf("%d active; %s ends in %s", active, ItemName(*soonest),
			FormatRemaining(soonest.ExpiresAt.Sub(now))))
	case active > 0:
		parts = append(parts, fmt.Sprintf("%d active", active))
	default:
		parts = append(parts, "nothing active")
	}
	if pending > 0 {
		parts = append(parts, fmt.Sprintf("%d pending approval", pending))
	}
	if failed > 0 {
		parts = append(parts, fmt.Sprintf("%d failed", failed))
	}
	if n := len(s.Approvals); n > 0 {
		parts = append(parts, fmt.Sprintf("%d waiting for your approval", n))
	}
	if s.Offline {
		parts = append(parts, "offline")
	}
	return head + " — " + strings.Join(parts, "; ")
}

// Header is the menu's first line: the account and tenant ("admin@contoso.example · Contoso"),
// "Sign in…" when no tenant is signed in, with " — DEMO" in demo mode.
func Header(s Snapshot) string {
	var signed []string
	for _, a := range s.Accounts {
		if !a.SignedIn {
			continue
		}
		t := a.User
		if name := a.TenantName; name != "" {
			t += " · " + name
		} else if a.TenantID != "" {
			t += " · " + a.TenantID
		}
		signed = append(signed, t)
	}
	var h string
	switch {
	case len(signed) == 0:
		h = "Sign in…"
	case len(signed) == 1:
		h = signed[0]
	default:
		h = fmt.Sprintf("%d accounts: %s", len(signed), strings.Join(signed, ", "))
	}
	if s.Demo {
		h += " — DEMO"
	}
	return h
}
