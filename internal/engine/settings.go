package engine

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pimtray/pimtray/store"
)

// Settings are the configuration's global choices the menu shows and changes.
type Settings struct {
	DefaultDuration time.Duration   `json:"defaultDuration"`
	Reminders       []time.Duration `json:"reminders"` // empty: reminders off
}

// RecentlyUsedFor is how long a role activated from here counts as recently used.
const RecentlyUsedFor = 14 * 24 * time.Hour

// MinActiveBeforeDeactivate is how long Azure keeps a new activation before it may be
// deactivated (ActiveDurationTooShort): PIM refuses a deactivation in the first 5 minutes.
const MinActiveBeforeDeactivate = 5 * time.Minute

// DeactivateAvailableAt is when the item's activation may be deactivated: 5 minutes after
// it started; zero when that is not known (the start is unknown).
func DeactivateAvailableAt(it Item) time.Time {
	if it.StartsAt.IsZero() {
		return time.Time{}
	}
	return it.StartsAt.Add(MinActiveBeforeDeactivate)
}

// standardDurations are the activation lengths offered, cut at the policy's maximum.
var standardDurations = []time.Duration{30 * time.Minute, time.Hour, 2 * time.Hour, 4 * time.Hour, 8 * time.Hour,
	12 * time.Hour, 24 * time.Hour}

// DurationChoices are the activation lengths to offer for a policy maximum (0: unknown):
// 30m, 1h, 2h, 4h, 8h, 12h, 24h up to the maximum, and the maximum itself when it is not
// one of them. Unknown: up to 8h.
func DurationChoices(maxDuration time.Duration) []time.Duration {
	limit := maxDuration
	if limit <= 0 {
		limit = store.DefaultDuration
	}
	var out []time.Duration
	for _, d := range standardDurations {
		if d <= limit {
			out = append(out, d)
		}
	}
	if maxDuration > 0 && !slices.Contains(out, maxDuration) {
		out = append(out, maxDuration)
	}
	return out
}

// KeepActiveChoices are the keep-alive times offered: every full hour from 12:00 to 22:00
// ("" is off, offered beside them).
func KeepActiveChoices() []string {
	var out []string
	for h := 12; h <= 22; h++ {
		out = append(out, fmt.Sprintf("%02d:00", h))
	}
	return out
}

// ReminderChoices are the reminder sets offered; the empty set turns reminders off.
func ReminderChoices() [][]time.Duration {
	m := time.Minute
	return [][]time.Duration{{15 * m, 5 * m}, {30 * m, 10 * m}, {30 * m, 15 * m, 5 * m}, {10 * m}, {5 * m}, {}}
}

// FormatReminders writes a reminder set for people: "15m and 5m before the end", "off".
func FormatReminders(ds []time.Duration) string {
	if len(ds) == 0 {
		return "off"
	}
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = FormatDuration(d)
	}
	s := parts[len(parts)-1]
	if len(parts) > 1 {
		s = strings.Join(parts[:len(parts)-1], ", ") + " and " + s
	}
	return s + " before the end"
}

// ErrNotFavourite is a setting asked for a role that is not a favourite.
const ErrNotFavourite = sentinel("not a favourite")

// changeFavourite checks a change to the favourite key (check runs under e.mu, on the
// favourite as the engine has it) and has it made and saved: apply is an edit of the
// configuration as it is then (store.EditConfig), so hand edits to other fields are kept.
func (e *Engine) changeFavourite(key string, check func(f store.Favourite) error, apply func(f *store.Favourite)) error {
	e.mu.Lock()
	f, ok := e.favouriteLocked(key)
	if !ok {
		e.mu.Unlock()
		return fmt.Errorf("%s: %w", keyLabel(key), ErrNotFavourite)
	}
	if check != nil {
		if err := check(f); err != nil {
			e.mu.Unlock()
			return err
		}
	}
	e.editConfigLocked(func(c *store.Config) {
		for i := range c.Favourites {
			if c.Favourites[i].Key == key {
				apply(&c.Favourites[i])
			}
		}
	})
	e.mu.Unlock()
	e.signal()
	return nil
}

// SetFavouriteDuration sets how long a click on the favourite activates it (0: the
// default duration). More than the policy's maximum is refused.
func (e *Engine) SetFavouriteDuration(key string, d time.Duration) error {
	if d < 0 {
		return &InputError{Msg: "a duration can't be negative"}
	}
	return e.changeFavourite(key, func(f store.Favourite) error {
		if p, ok := e.roles.Policy(key); ok && p.Known && p.Policy.MaxDuration > 0 && d > p.Policy.MaxDuration {
			return &InputError{Msg: fmt.Sprintf("%s can be activated for at most %s", favouriteRole(f).Label(), FormatDuration(p.Policy.MaxDuration))}
		}
		return nil
	}, func(f *store.Favourite) { f.Duration = store.Duration(d) })
}

// SetFavouriteJustification saves the favourite's reason ("" clears it: the next click asks
// when the policy needs one).
func (e *Engine) SetFavouriteJustification(key, justification string) error {
	justification = strings.TrimSpace(justification)
	return e.changeFavourite(key, nil, func(f *store.Favourite) { f.Justification = justification })
}

// SetFavouriteTicket saves the favourite's ticket number and system ("" clears them).
func (e *Engine) SetFavouriteTicket(key, number, system string) error {
	number, system = strings.TrimSpace(number), strings.TrimSpace(system)
	return e.changeFavourite(key, nil, func(f *store.Favourite) {
		f.TicketNumber = number
		switch {
		case number == "":
			f.TicketSystem = ""
		case system != "":
			f.TicketSystem = system
		}
	})
}

// SetKeepActiveUntil sets the favourite's keep-alive time "HH:MM" ("" turns it off).
func (e *Engine) SetKeepActiveUntil(key, hhmm string) error {
	hhmm = strings.TrimSpace(hhmm)
	if hhmm != "" {
		if _, err := time.Parse("15:04", hhmm); err != nil {
			return &InputError{Msg: fmt.Sprintf("keep active until %q: use a time like 18:00", hhmm)}
		}
	}
	return e.changeFavourite(key, nil, func(f *store.Favourite) { f.KeepActiveUntil = hhmm })
}

// SetDefaultDuration sets the duration of an activation when a favourite names none.
func (e *Engine) SetDefaultDuration(d time.Duration) error {
	if d <= 0 {
		return &InputError{Msg: "the default duration must be longer than zero"}
	}
	e.mu.Lock()
	e.editConfigLocked(func(c *store.Config) { c.DefaultDuration = store.Duration(d) })
	e.mu.Unlock()
	e.signal()
	return nil
}

// SetReminders sets how long before an activation ends the reminders come (none: off).
func (e *Engine) SetReminders(ds []time.Duration) error {
	rs := make([]store.Duration, 0, len(ds)) // not nil: an empty list is "off", not "default"
	for _, d := range ds {
		if d <= 0 {
			return &InputError{Msg: "a reminder must come before the end"}
		}
		rs = append(rs, store.Duration(d))
	}
	slices.SortFunc(rs, func(a, b store.Duration) int { return int(b - a) })
	rs = slices.Compact(rs)
	e.mu.Lock()
	e.editConfigLocked(func(c *store.Config) { c.Reminders = slices.Clone(rs) })
	e.mu.Unlock()
	e.signal()
	return nil
}

// settingsLocked are the global settings as the menu shows them.
func (e *Engine) settingsLocked() Settings {
	s := Settings{DefaultDuration: e.cfg.DefaultDuration.D(), Reminders: e.thresholds()}
	if s.DefaultDuration <= 0 {
		s.DefaultDuration = DefaultDuration
	}
	if s.Reminders == nil {
		s.Reminders = []time.Duration{}
	}
	return s
}
