package tray

import (
	"slices"
	"time"

	"github.com/pimtray/pimtray/internal/engine"
)

// What the menu's list dialogs offer, as pure functions of the snapshot and the time.

// rowSet is a list dialog's columns and rows.
type rowSet struct {
	columns []string
	cells   [][]string
}

// findRows are the "Find a role…" rows, one per role in items, in the same order: role,
// scope, plane, and its state with what it needs ("activate (4h) · ticket").
func findRows(items []engine.Item, now time.Time) rowSet {
	rs := rowSet{columns: []string{"Role", "Scope", "Plane", "State"}}
	for _, it := range items {
		state := engine.StatusText(it, now)
		if activatable(it, now) {
			if n := engine.NeedsText(it); n != "" {
				state += " · " + n
			}
			if it.Policy != nil && it.Policy.MaxDuration > it.Duration && it.Duration > 0 {
				state += " · " + engine.MaxText(it) // a longer one can be chosen in Settings
			}
		}
		name := it.Role.RoleName
		if it.TenantName != "" {
			name += " (" + it.TenantName + ")"
		}
		rs.cells = append(rs.cells, []string{name, scopeLabel(it), it.Role.Plane.Title(), state})
	}
	return rs
}

type settingKind int

const (
	setDuration settingKind = iota + 1
	setReason
	clearReason
	setTicket
	clearTicket
	setKeepActive
)

// option is one row of a small list dialog and what picking it means.
type option struct {
	cells   []string
	kind    actionKind      // activeOptions
	setting settingKind     // settingsOptions
	d       time.Duration   // durations
	hhmm    string          // keep-alive times ("" off)
	ds      []time.Duration // reminder sets
}

func cells(opts []option) [][]string {
	out := make([][]string, len(opts))
	for i, o := range opts {
		out[i] = o.cells
	}
	return out
}

// activeOptions are what "Find a role…" offers for an active role: re-activate, and
// deactivate once Azure allows it.
func activeOptions(it engine.Item, now time.Time, loc *time.Location) []option {
	out := []option{{cells: []string{titleReactivateNow}, kind: actReactivate}}
	if at := engine.DeactivateAvailableAt(it); now.Before(at) {
		return out
	}
	return append(out, option{cells: []string{titleDeactivate}, kind: actDeactivate})
}

// settingsOptions are a favourite's settings, each with its value now.
func settingsOptions(it engine.Item) []option {
	dur := "default (" + engine.FormatDuration(it.Duration) + ")"
	if it.SavedDuration > 0 {
		dur = engine.FormatDuration(it.SavedDuration)
	}
	if it.Policy != nil && it.Policy.MaxDuration > 0 {
		dur += ", at most " + engine.FormatDuration(it.Policy.MaxDuration)
	}
	out := []option{{cells: []string{"Duration", dur}, setting: setDuration}}
	reason := "none: asked when needed"
	if it.SavedJustification != "" {
		reason = it.SavedJustification
	}
	out = append(out, option{cells: []string{"Justification", reason}, setting: setReason})
	if it.SavedJustification != "" {
		out = append(out, option{cells: []string{"Clear the justification", ""}, setting: clearReason})
	}
	ticket := "none"
	switch {
	case it.SavedTicket != "":
		ticket = it.SavedTicket
	case it.Policy != nil && it.Policy.Ticket:
		ticket = "none: asked each time (this role needs one)"
	}
	out = append(out, option{cells: []string{"Ticket number", ticket}, setting: setTicket})
	if it.SavedTicket != "" {
		out = append(out, option{cells: []string{"Clear the ticket number", ""}, setting: clearTicket})
	}
	keep := "off"
	if it.KeepActiveUntil != "" {
		keep = it.KeepActiveUntil
	}
	return append(out, option{cells: []string{"Keep active until", keep}, setting: setKeepActive})
}

// durationOptions are the policy's choices for a favourite, "the default" first.
func durationOptions(it engine.Item) []option {
	var max time.Duration
	if it.Policy != nil {
		max = it.Policy.MaxDuration
	}
	out := []option{{cells: []string{"The default duration"}, d: 0}}
	for _, d := range engine.DurationChoices(max) {
		label := engine.FormatDuration(d)
		if d == it.SavedDuration {
			label += " (now)"
		}
		out = append(out, option{cells: []string{label}, d: d})
	}
	return out
}

// keepActiveOptions are off and the full hours, the current one marked.
func keepActiveOptions(it engine.Item) []option {
	out := []option{{cells: []string{"Off"}}}
	if it.KeepActiveUntil == "" {
		out[0].cells[0] += " (now)"
	}
	choices := engine.KeepActiveChoices()
	if it.KeepActiveUntil != "" && !slices.Contains(choices, it.KeepActiveUntil) {
		choices = append(choices, it.KeepActiveUntil)
		slices.Sort(choices)
	}
	for _, h := range choices {
		label := h
		if h == it.KeepActiveUntil {
			label += " (now)"
		}
		out = append(out, option{cells: []string{label}, hhmm: h})
	}
	return out
}

// defaultDurationOptions are the default durations offered, the current one marked.
func defaultDurationOptions(cur time.Duration) []option {
	var out []option
	for _, d := range engine.DurationChoices(24 * time.Hour) {
		label := engine.FormatDuration(d)
		if d == cur {
			label += " (now)"
		}
		out = append(out, option{cells: []string{label}, d: d})
	}
	return out
}

// reminderOptions are the reminder sets offered, the current one marked.
func reminderOptions(cur []time.Duration) []option {
	var out []option
	for _, ds := range engine.ReminderChoices() {
		label := engine.FormatReminders(ds)
		if slices.Equal(ds, cur) {
			label += " (now)"
		}
		out = append(out, option{cells: []string{label}, ds: ds})
	}
	return out
}

func favouriteByKey(s engine.Snapshot, key string) (engine.Item, bool) {
	i := slices.IndexFunc(s.Favourites, func(it engine.Item) bool { return it.Key == key })
	if i < 0 {
		return engine.Item{}, false
	}
	return s.Favourites[i], true
}

// untilDeactivateAvailable is how long until some active role's "Deactivate" stops being
// greyed (its first 5 minutes pass), so the menu is redrawn then; 0 when none waits.
func untilDeactivateAvailable(s engine.Snapshot, now time.Time) time.Duration {
	var next time.Duration
	for _, items := range [][]engine.Item{s.Favourites, s.All} {
		for _, it := range items {
			if stateAt(it, now) != engine.StateActive {
				continue
			}
			if at := engine.DeactivateAvailableAt(it); at.After(now) {
				if d := at.Sub(now); next == 0 || d < next {
					next = d
				}
			}
		}
	}
	return next
}
