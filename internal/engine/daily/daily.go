// Package daily holds pimtray's pure decisions about time of day: the next working morning
// (the default start of "Activate at…") and when a favourite's daily schedule ("start my
// day") sends its request. It knows no Azure, no engine and no clock: it is handed the time.
package daily

import (
	"fmt"
	"strings"
	"time"
)

// DefaultMorning is the start of a working day when none is configured.
const DefaultMorning = 8*time.Hour + 30*time.Minute

// NextWorkingMorning is the next Monday-to-Friday at the given time of day (since
// midnight) in now's location, after now: today when it is still ahead and a weekday.
func NextWorkingMorning(now time.Time, at time.Duration) time.Time {
	y, m, d := now.Date()
	for i := 0; i < 8; i++ {
		day := time.Date(y, m, d+i, 0, 0, 0, 0, now.Location())
		t := time.Date(y, m, d+i, int(at/time.Hour), int(at%time.Hour/time.Minute), 0, 0, now.Location())
		if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday || !t.After(now) {
			continue
		}
		return t
	}
	return now.Add(24 * time.Hour) // not reached: a week always has a weekday
}

// Schedule is a favourite's "start my day": on the days it names, an activation starting at
// At, asked ahead of time so the role is active when the user sits down.
type Schedule struct {
	Days [7]bool       // by time.Weekday: Sunday is 0
	At   time.Duration // the start, since local midnight
	// PausedUntil is the last day of a pause (a holiday), at midnight in the schedule's
	// location: no request for it or any day before it. Zero: not paused.
	PausedUntil time.Time
}

// EveningBefore is when a day's request may be sent: from 18:00 the evening before. Azure
// then holds it (Granted) and starts it on time, with the computer asleep or off.
const EveningBefore = 18 * time.Hour

// DayLayout is how a day is written: in the state (the last day sent for) and in pauses.
const DayLayout = "2006-01-02"

// Plan is the next request a schedule asks for.
type Plan struct {
	Day    string    // the day it is for: "2026-12-02"
	Start  time.Time // when the activation starts: the scheduled time, or now if that has passed
	SendAt time.Time // when to send it: the evening before, or now if later
}

// Next is the next request s asks for at now (in now's location), given the last day a
// request was already sent for (lastSent, "" for none) and how long a day's activation
// lasts (length): the first day named by s, after lastSent and after any pause, whose
// activation would not be over already. A day whose start has passed (pimtray started late,
// or the computer slept through it) is still sent, to start at once, until its activation
// would have ended. ok is false when s names no day.
func Next(s Schedule, now time.Time, lastSent string, length time.Duration) (p Plan, ok bool) {
	loc := now.Location()
	y, m, d := now.Date()
	for i := -1; i <= 8; i++ {
		day := time.Date(y, m, d+i, 0, 0, 0, 0, loc)
		name := day.Format(DayLayout)
		if !s.Days[day.Weekday()] || (lastSent != "" && name <= lastSent) {
			continue
		}
		if !s.PausedUntil.IsZero() && !day.After(s.PausedUntil) {
			continue
		}
		start := time.Date(day.Year(), day.Month(), day.Day(), int(s.At/time.Hour), int(s.At%time.Hour/time.Minute), 0, 0, loc)
		if length > 0 && !start.Add(length).After(now) {
			continue // that day's activation would be over already
		}
		p = Plan{Day: name, Start: start,
			SendAt: time.Date(day.Year(), day.Month(), day.Day()-1, int(EveningBefore/time.Hour), 0, 0, 0, loc)}
		if p.SendAt.After(start) {
			p.SendAt = start
		}
		if p.Start.Before(now) {
			p.Start = now
		}
		return p, true
	}
	return Plan{}, false
}

// ParseDays reads the days of a schedule: "Mon-Fri", "Mon,Wed,Fri", "Sat-Sun", "Fri-Mon"
// (wrapping), "daily"; names in English, any case, three letters or whole.
func ParseDays(text string) ([7]bool, error) {
	var out [7]bool
	t := strings.ToLower(strings.TrimSpace(text))
	if t == "daily" || t == "every day" {
		for i := range out {
			out[i] = true
		}
		return out, nil
	}
	if t == "" {
		return out, fmt.Errorf("no days given")
	}
	for _, part := range strings.Split(t, ",") {
		from, to, isRange := strings.Cut(strings.TrimSpace(part), "-")
		a, ok := weekday(from)
		if !ok {
			return out, fmt.Errorf("%q is not a day of the week", strings.TrimSpace(from))
		}
		b := a
		if isRange {
			if b, ok = weekday(to); !ok {
				return out, fmt.Errorf("%q is not a day of the week", strings.TrimSpace(to))
			}
		}
		for w := a; ; w = (w + 1) % 7 {
			out[w] = true
			if w == b {
				break
			}
		}
	}
	return out, nil
}

func weekday(s string) (time.Weekday, bool) {
	s = strings.TrimSpace(s)
	for w := time.Sunday; w <= time.Saturday; w++ {
		name := strings.ToLower(w.String())
		if s == name || (len(s) == 3 && s == name[:3]) {
			return w, true
		}
	}
	return 0, false
}

// ParseClock reads a time of day "HH:MM" (24-hour) as the time since midnight.
func ParseClock(text string) (time.Duration, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(text))
	if err != nil {
		return 0, fmt.Errorf("%q is not a time of day (HH:MM, 24-hour)", text)
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}
