package engine

import (
	"context"
	"time"

	"github.com/pimtray/pimtray/internal/engine/daily"
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
		p, ok := daily.Next(sc, now.In(loc), e.dailySent[key], e.durationLocked(key))
		if !ok {
			continue
		}
		if p.SendAt.After(now) {
			at(p.SendAt)
			continue
		}
		if _, busy := e.inflight[key]; busy || e.offline {
			continue // looked at again within dailyWakeCheck (offline: nothing could go out)
		}
		e.dailySent[key] = p.Day
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
		e.inflight[key] = StateActivating
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
