package daily

import (
	"testing"
	"time"
)

func TestNextWorkingMorning(t *testing.T) {
	at := DefaultMorning
	cases := []struct{ now, want string }{
		{"2026-12-01 07:00", "2026-12-01 08:30"}, // Tuesday morning: today
		{"2026-12-01 08:30", "2026-12-02 08:30"}, // on the dot: tomorrow
		{"2026-12-01 17:00", "2026-12-02 08:30"}, // Tuesday evening
		{"2026-12-04 17:00", "2026-12-07 08:30"}, // Friday evening: Monday
		{"2026-12-05 07:00", "2026-12-07 08:30"}, // Saturday morning: Monday
		{"2026-12-06 23:59", "2026-12-07 08:30"}, // Sunday night
	}
	for _, c := range cases {
		now, _ := time.ParseInLocation("2006-01-02 15:04", c.now, time.UTC)
		if got := NextWorkingMorning(now, at).Format("2006-01-02 15:04"); got != c.want {
			t.Errorf("%s (%s): %s, want %s", c.now, now.Weekday(), got, c.want)
		}
	}
}
