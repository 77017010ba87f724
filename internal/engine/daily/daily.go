// Package daily holds pimtray's pure decisions about time of day: the next working morning
// (the default start of "Activate at…") and when a favourite's daily schedule ("start my
// day") sends its request. It knows no Azure, no engine and no clock: it is handed the time.
package daily

import "time"

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
