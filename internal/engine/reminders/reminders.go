// Package reminders decides which expiry reminders are due. It is pure: no goroutines,
// no clock reads; the caller passes the wall-clock time and the set of reminders it has
// already sent (persisted across restarts).
//
// # Model
//
// Each activation gets one reminder per threshold: "ends in 15m", "ends in 5m", and
// always "has ended" (threshold 0). A threshold's moment is EndsAt - Before.
//
// # How the caller uses it
//
// On every wake-up the caller calls Due, shows every returned Reminder and marks every
// returned ID as sent (and persists the set). Then it sleeps until Next. Nothing else is
// needed: skipped thresholds never have to be marked.
//
// # Rules
//
//   - Exactly one reminder per threshold per activation. Reminder.ID is derived from
//     the key, EndsAt and the threshold, so it is stable across restarts and the
//     persisted sent set prevents repeats.
//   - At most one reminder per activation per call: the most urgent threshold whose
//     moment has passed. When a laptop sleeps through several thresholds, only the most
//     urgent fires at wake; the earlier ones are superseded for good, because a
//     threshold never fires once a more urgent threshold of the same activation is sent.
//   - Times are compared as wall-clock instants (the caller should pass times without
//     a monotonic reading, e.g. clock.Real.Now()).
//   - A clock set backwards re-fires nothing (sent IDs are never returned, and a
//     less urgent threshold stays quiet once a more urgent one was sent), and nothing
//     fires before its moment.
//   - A reminder before the end (Before > 0) fires only while the activation still runs
//     (now < EndsAt).
//   - "Has ended" fires once when now >= EndsAt, but only within EndedGrace (default
//     DefaultEndedGrace, one hour) of the end: after a long sleep the user does not
//     need to hear about an activation that ended hours ago, and the tray already shows
//     it as inactive. The caller must therefore keep passing an activation for a while
//     after it ended (its last known EndsAt) for "has ended" to fire.
//   - Only thresholds whose moment lies strictly after StartedAt count: an activation
//     of 10m with a 15m threshold does not get "ends in 15m" the moment it starts. A
//     zero StartedAt means unknown, and then every threshold counts.
//   - Re-activation: when several activations share a key, only the one with the latest
//     EndsAt counts; the older one's pending reminders (including its "has ended")
//     are dropped, and the new one gets its own fresh reminders (its IDs differ by
//     EndsAt). A re-activation scheduled to start at the current end (StartedAt in the
//     future) only gets thresholds after its start.
//   - Activations with a zero EndsAt (permanent) get no reminders.
package reminders

import (
	"sort"
	"strings"
	"time"
)

// DefaultThresholds are the reminder times before the end when the configuration names none.
var DefaultThresholds = []time.Duration{15 * time.Minute, 5 * time.Minute}

// DefaultEndedGrace is how long after the end "has ended" may still fire (see EndedGrace).
const DefaultEndedGrace = time.Hour

// Activation is one running (or recently ended) activation of a role.
type Activation struct {
	Key       string    // the role's key (engine.Item.Key)
	StartedAt time.Time // when it started (or starts, if scheduled); zero: unknown
	EndsAt    time.Time // when it ends; zero: permanent, no reminders
}

// Reminder is one notification to show.
type Reminder struct {
	ID     string // stable: key + EndsAt + threshold; mark it sent once returned by Due
	Key    string
	EndsAt time.Time
	Before time.Duration // how long before EndsAt; 0 = has ended
}

// Ended reports whether this is the "has ended" reminder.
func (r Reminder) Ended() bool { return r.Before == 0 }

// Scheduler holds the reminder thresholds. The zero value reminds only when an
// activation has ended; set Thresholds (e.g. DefaultThresholds) for earlier reminders.
type Scheduler struct {
	// Thresholds before the end, e.g. 15m and 5m. Non-positive and duplicate values are
	// ignored; "has ended" (0) is always a threshold.
	Thresholds []time.Duration
	// EndedGrace is how long after the end "has ended" still fires; 0 means DefaultEndedGrace.
	EndedGrace time.Duration
}

// ID is the stable identifier of an activation's reminder at a threshold.
func ID(key string, endsAt time.Time, before time.Duration) string {
	label := "ended"
	if before > 0 {
		label = before.String()
	}
	var b strings.Builder
	b.WriteString(key)
	b.WriteString("|")
	b.WriteString(endsAt.UTC().Format(time.RFC3339Nano))
	b.WriteString("|")
	b.WriteString(label)
	return b.String()
}

// Due returns the reminders to show now: at most one per activation, the most urgent
// threshold reached, never one whose ID is in sent. The caller shows each and marks
// each returned ID sent. The result is sorted by EndsAt, then key.
func (s Scheduler) Due(now time.Time, acts []Activation, sent map[string]bool) []Reminder {
	now = now.Round(0) // wall clock only
	var due []Reminder
	for _, a := range latestPerKey(acts) {
		if r, ok := s.dueFor(now, a, sent); ok {
			due = append(due, r)
		}
	}
	return due
}

// Next returns the earliest moment after now at which Due may return something new,
// assuming the caller marked everything Due returned so far. Zero: nothing to wait for.
// The caller should also wake when its activations change (a re-activation, a refresh).
func (s Scheduler) Next(now time.Time, acts []Activation, sent map[string]bool) time.Time {
	now = now.Round(0) // wall clock only
	var next time.Time
	for _, a := range latestPerKey(acts) {
		// Thresholds run from least to most urgent; once a more urgent one is sent, none
		// of the less urgent ones can fire, so scan from the most urgent and stop there.
		th := s.thresholds()
		for i := len(th) - 1; i >= 0; i-- {
			before := th[i]
			if sent[ID(a.Key, a.EndsAt, before)] {
				break
			}
			at := a.EndsAt.Add(-before)
			if !at.After(now) || !s.counts(a, at) {
				continue
			}
			if next.IsZero() || at.Before(next) {
				next = at
			}
		}
	}
	return next
}

func (s Scheduler) dueFor(now time.Time, a Activation, sent map[string]bool) (Reminder, bool) {
	th := s.thresholds()
	// From the most urgent (ended, 0) to the least: the first one reached is the one
	// to fire; any sent one on the way means everything less urgent is superseded.
	for i := len(th) - 1; i >= 0; i-- {
		before := th[i]
		id := ID(a.Key, a.EndsAt, before)
		if sent[id] {
			return Reminder{}, false
		}
		at := a.EndsAt.Add(-before)
		if now.Before(at) || !s.counts(a, at) {
			continue
		}
		if before == 0 && now.Sub(a.EndsAt) > s.grace() {
			return Reminder{}, false // ended long ago: stale, say nothing
		}
		return Reminder{ID: id, Key: a.Key, EndsAt: a.EndsAt, Before: before}, true
	}
	return Reminder{}, false
}

// counts reports whether a threshold moment belongs to the activation's lifetime.
func (s Scheduler) counts(a Activation, at time.Time) bool {
	return a.StartedAt.IsZero() || at.After(a.StartedAt)
}

func (s Scheduler) grace() time.Duration {
	if s.EndedGrace > 0 {
		return s.EndedGrace
	}
	return DefaultEndedGrace
}

// thresholds returns the distinct positive thresholds, longest first, then 0 (ended).
func (s Scheduler) thresholds() []time.Duration {
	out := make([]time.Duration, 0, len(s.Thresholds)+1)
	for _, d := range s.Thresholds {
		if d > 0 {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] > out[j] })
	uniq := out[:0]
	for i, d := range out {
		if i == 0 || d != out[i-1] {
			uniq = append(uniq, d)
		}
	}
	return append(uniq, 0)
}

// latestPerKey keeps, per key, the activation with the latest EndsAt (a re-activation
// replaces its predecessor), drops permanent ones, and sorts by EndsAt then key.
func latestPerKey(acts []Activation) []Activation {
	byKey := make(map[string]Activation, len(acts))
	for _, a := range acts {
		if a.EndsAt.IsZero() {
			continue
		}
		a.StartedAt, a.EndsAt = a.StartedAt.Round(0), a.EndsAt.Round(0)
		if cur, ok := byKey[a.Key]; !ok || a.EndsAt.After(cur.EndsAt) {
			byKey[a.Key] = a
		}
	}
	out := make([]Activation, 0, len(byKey))
	for _, a := range byKey {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].EndsAt.Equal(out[j].EndsAt) {
			return out[i].EndsAt.Before(out[j].EndsAt)
		}
		return out[i].Key < out[j].Key
	})
	return out
}
