package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/pimtray/pimtray/internal/engine/daily"
	"github.com/pimtray/pimtray/internal/engine/roles"
	"github.com/pimtray/pimtray/store"
)

// dailyWakeCheck: while a daily schedule is on, the engine looks at the wall clock at least
// this often. Timers run on monotonic time, which stops while the machine sleeps: a request
// due during a sleep is sent within this long of the wake, not an hour of sleep late.
const dailyWakeCheck = 5 * time.Minute

// scheduleOf is a favourite's daily schedule, if it has one that is on (the configuration
// was validated when read).
func scheduleOf(f store.Favourite, loc *time.Location) (daily.Schedule, bool) {
	sc := f.Schedule
	if sc == nil || sc.Off {
		return daily.Schedule{}, false
	}
	days, err := daily.ParseDays(sc.Days)
	if err != nil {
		return daily.Schedule{}, false
	}
	at, err := daily.ParseClock(sc.At)
	if err != nil {
		return daily.Schedule{}, false
	}
	s := daily.Schedule{Days: days, At: at}
	if sc.PausedUntil != "" {
		if p, err := time.ParseInLocation(daily.DayLayout, sc.PausedUntil, loc); err == nil {
			s.PausedUntil = p
		}
	}
	return s, true
}

// dailyLocked sends what the favourites' daily schedules ask for now ("start my day") and
// returns when to look again. A day's request is remembered (in the state, saved before it
// is sent) so no day ever gets two, across restarts too. A role already active through the
// day's start, scheduled or waiting for approval gets none: the day counts as done. It never
// asks anything (no dialog in the background): a favourite that needs a justification it has
// not saved fails with a notice saying so.
func (e *Engine) dailyLocked(now time.Time) time.Time {
	var next time.Time
	at := func(t time.Time) {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	loc := e.location()
	for _, f := range e.cfg.Favourites {
		sc, on := scheduleOf(f, loc)
		if !on {
			continue
		}
		key := f.Key
		_, ts, known := e.roleLocked(key)
		if !known || !ts.loaded || !ts.signedIn || ts.needsSignIn {
			continue
		}
		at(now.Add(dailyWakeCheck))
		p, ok := daily.Next(sc, now.In(loc), e.roles.Of(key).DailySent, e.durationLocked(key))
		if !ok {
			continue
		}
		if p.SendAt.After(now) {
			at(p.SendAt)
			continue
		}
		if _, busy := e.roles.InFlight(key); busy || e.offline {
			continue // looked at again within dailyWakeCheck (offline: nothing could go out)
		}
		e.roles.SetDailySent(key, p.Day)
		if cur, ok := e.currentLocked(ts, key, now); ok && (cur.ExpiresAt.IsZero() || cur.ExpiresAt.After(p.Start)) {
			e.log.Info("daily activation not needed: already active", "key", key, "day", p.Day)
			continue
		}
		if _, ok := e.scheduledLocked(ts, key, now); ok {
			e.log.Info("daily activation not needed: already scheduled", "key", key, "day", p.Day)
			continue
		}
		if _, ok := e.pendingLocked(ts, key, now); ok {
			e.log.Info("daily activation not needed: a request is open", "key", key, "day", p.Day)
			continue
		}
		start := p.Start
		if !start.After(now.Add(time.Minute)) {
			start = time.Time{} // its time has come: now
		}
		e.roles.SetInFlight(key, roles.Op(StateActivating))
		day := p.Day
		e.goBackground(func(ctx context.Context) {
			e.saveState() // the day is remembered before its request goes out
			_, err := e.activateNow(ctx, key, ActivateOptions{StartAt: start}, true)
			if err == nil {
				e.log.Info("daily activation sent", "key", key, "day", day, "start", start)
			}
			e.tellFailure(key, "Could not start your day with", err)
		})
	}
	return next
}

// FieldDailyTime is the question "Start my day" asks when it is turned on: the time.
const FieldDailyTime Field = "daily-time"

// dailyText is a schedule for people: "Mon-Fri 08:30", "Mon-Fri 08:30, paused until 2026-12-31".
func dailyText(sc *store.Schedule) string {
	out := sc.Days + " " + sc.At
	if sc.PausedUntil != "" {
		out += ", paused until " + sc.PausedUntil
	}
	return out
}

// ToggleDaily turns the favourite's "start my day" off when it is on; when it is off (or
// there is none) it asks for the time (pre-filled with the one it had, else 08:30) and turns
// it on, on the days it had (else Mon-Fri). The change is saved to the configuration as an
// edit of the file (hand edits kept).
func (e *Engine) ToggleDaily(key string) {
	e.mu.Lock()
	f, ok := e.favouriteLocked(key)
	if ok && f.Schedule != nil && !f.Schedule.Off {
		sc := *f.Schedule
		sc.Off = true
		e.editConfigLocked(setSchedule(key, &sc))
		e.mu.Unlock()
		e.signal()
		return
	}
	e.mu.Unlock()
	if !ok {
		return
	}
	e.goBackground(func(ctx context.Context) {
		sc := store.Schedule{Days: "Mon-Fri", At: "08:30"}
		if f.Schedule != nil {
			sc = *f.Schedule
			sc.Off = false
		}
		label := favouriteRole(f).Label()
		if e.prompter == nil {
			e.tellFailure(key, "Could not turn on Start my day for", &Failure{Msg: "pimtray could not ask for the time: no input dialog program is installed. Set \"schedule\": {\"days\": \"Mon-Fri\", \"at\": \"08:30\"} on the favourite in the configuration.", Err: ErrNoDialog})
			return
		}
		q := Question{Key: key, Role: label, Field: FieldDailyTime, Label: "Start",
			Title:   "Start my day: " + label,
			Text:    "At what time should " + label + " start each day (" + sc.Days + ")? HH:MM, local time. pimtray sends the request the evening before; Azure starts it on time.",
			Default: sc.At}
		e.promptMu.Lock()
		ans, ok, err := e.prompter.Ask(ctx, q)
		e.promptMu.Unlock()
		if err != nil {
			e.tellFailure(key, "Could not turn on Start my day for", e.promptFailed(favouriteRole(f), "the time", err))
			return
		}
		if !ok || strings.TrimSpace(ans) == "" {
			return
		}
		at, err := daily.ParseClock(ans)
		if err != nil {
			e.tellFailure(key, "Could not turn on Start my day for", &InputError{Msg: "Start my day: " + err.Error() + "."})
			return
		}
		sc.At = fmt.Sprintf("%02d:%02d", int(at/time.Hour), int(at%time.Hour/time.Minute))
		e.mu.Lock()
		e.editConfigLocked(setSchedule(key, &sc))
		e.mu.Unlock()
		e.signal()
	})
}

// setSchedule is the edit that gives the favourite key this schedule (a new value: a
// configuration copy shares nothing with it).
func setSchedule(key string, sc *store.Schedule) configEdit {
	return func(c *store.Config) {
		for i := range c.Favourites {
			if c.Favourites[i].Key == key {
				v := *sc
				c.Favourites[i].Schedule = &v
			}
		}
	}
}
