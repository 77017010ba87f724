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

// sent is one request the simulated tray sent.
type sent struct{ at, day, start string }

// run drives s as the engine does, on a fake clock: while awake (each span: pimtray running
// and the machine not asleep) it asks Next, sends what is due and sleeps until the next
// SendAt; between spans nothing happens. last is the state's last day sent for, kept
// across spans as the state file keeps it across restarts.
func run(t *testing.T, s Schedule, length time.Duration, last string, spans ...[2]string) ([]sent, string) {
	t.Helper()
	var out []sent
	for _, sp := range spans {
		now, end := at(t, sp[0]), at(t, sp[1])
		for i := 0; i < 100; i++ {
			p, ok := Next(s, now, last, length)
			if !ok {
				break
			}
			if !p.SendAt.After(now) {
				out = append(out, sent{now.Format("Mon 15:04"), p.Day, p.Start.Format("Mon 15:04")})
				last = p.Day
				continue
			}
			if !p.SendAt.Before(end) {
				break
			}
			now = p.SendAt
		}
	}
	return out, last
}

func at(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func workdays(t *testing.T) Schedule {
	days, err := ParseDays("Mon-Fri")
	if err != nil {
		t.Fatal(err)
	}
	return Schedule{Days: days, At: DefaultMorning}
}

func same(t *testing.T, got, want []sent) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("sent %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("sent %v, want %v", got, want)
		}
	}
}

// 2026-12-04 is a Friday. Friday's request was sent already.
const friday = "2026-12-04"

// Across a weekend: nothing for Saturday or Sunday; Monday's request goes on Sunday evening,
// to start Monday 08:30; Tuesday's on Monday evening.
func TestScheduleAcrossAWeekend(t *testing.T) {
	got, last := run(t, workdays(t), 8*time.Hour, friday, [2]string{"2026-12-04 12:00", "2026-12-08 12:00"})
	same(t, got, []sent{{"Sun 18:00", "2026-12-07", "Mon 08:30"}, {"Mon 18:00", "2026-12-08", "Tue 08:30"}})
	if last != "2026-12-08" {
		t.Errorf("last day sent %s", last)
	}
}

// pimtray starts only at 10:00 on Monday: Monday's request goes at once, starting at once.
func TestScheduleLateStart(t *testing.T) {
	got, _ := run(t, workdays(t), 8*time.Hour, friday, [2]string{"2026-12-07 10:00", "2026-12-07 12:00"})
	same(t, got, []sent{{"Mon 10:00", "2026-12-07", "Mon 10:00"}})
}

// The machine sleeps from Sunday 17:00 through the evening and Monday's start: at the wake
// (09:15) Monday's request goes at once. Had it slept past the day's activation (16:30),
// Monday is skipped and Tuesday's goes that evening.
func TestScheduleSleepOverTheScheduledTime(t *testing.T) {
	got, _ := run(t, workdays(t), 8*time.Hour, friday,
		[2]string{"2026-12-06 12:00", "2026-12-06 17:00"}, [2]string{"2026-12-07 09:15", "2026-12-07 12:00"})
	same(t, got, []sent{{"Mon 09:15", "2026-12-07", "Mon 09:15"}})

	got, _ = run(t, workdays(t), 8*time.Hour, friday,
		[2]string{"2026-12-06 12:00", "2026-12-06 17:00"}, [2]string{"2026-12-07 17:00", "2026-12-07 20:00"})
	same(t, got, []sent{{"Mon 18:00", "2026-12-08", "Tue 08:30"}})
}

// A restart after Monday's request went (Sunday 18:00) sends no second one for Monday: the
// last day sent is kept in the state.
func TestScheduleRestartSendsNoDuplicate(t *testing.T) {
	got, last := run(t, workdays(t), 8*time.Hour, friday, [2]string{"2026-12-06 12:00", "2026-12-06 19:00"})
	same(t, got, []sent{{"Sun 18:00", "2026-12-07", "Mon 08:30"}})
	got, _ = run(t, workdays(t), 8*time.Hour, last, [2]string{"2026-12-06 19:30", "2026-12-07 17:00"})
	same(t, got, nil)
}

// Paused until Tuesday (a holiday): Wednesday's request is the next, on Tuesday evening.
func TestSchedulePausedUntil(t *testing.T) {
	s := workdays(t)
	s.PausedUntil = at(t, "2026-12-08 00:00")
	got, _ := run(t, s, 8*time.Hour, friday, [2]string{"2026-12-04 12:00", "2026-12-09 12:00"})
	same(t, got, []sent{{"Tue 18:00", "2026-12-09", "Wed 08:30"}})
}

func TestParseDays(t *testing.T) {
	cases := map[string]string{
		"Mon-Fri": "-MTWTF-", "mon,wed,fri": "-M-W-F-", "Sat-Sun": "S-----S", "Fri-Mon": "SM---FS",
		"daily": "SMTWTFS", "Tuesday": "--T----",
	}
	for in, want := range cases {
		d, err := ParseDays(in)
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		got := []byte("-------")
		for w, on := range d {
			if on {
				got[w] = "SMTWTFS"[w]
			}
		}
		if string(got) != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
	for _, bad := range []string{"", "Mon-Fry", "weekdays", "Mon-"} {
		if _, err := ParseDays(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
