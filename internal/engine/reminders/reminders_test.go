package reminders

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pimtray/pimtray/internal/testkit/clocktest"
)

var t0 = time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)

// at is t0 + d, for readable tables.
func at(d time.Duration) time.Time { return t0.Add(d) }

// label renders a reminder as "key:15m0s" or "key:ended" for compact expectations.
func label(r Reminder) string {
	if r.Ended() {
		return r.Key + ":ended"
	}
	return r.Key + ":" + r.Before.String()
}

// step is one wake-up of the caller: move the clock, maybe change the activations, then
// call Due (marking every returned ID sent, as the engine does) and Next.
type step struct {
	name    string
	set     time.Duration // clock jumps to t0+set (forwards or backwards)
	acts    []Activation  // nil: keep the previous ones
	restart bool          // a restart: a new Scheduler value, the same persisted sent set
	want    []string      // labels Due returns
	next    time.Duration // Next, as offset from t0; -1: zero (nothing to wait for)
}

func TestScheduler(t *testing.T) {
	owner := Activation{Key: "owner", StartedAt: at(0), EndsAt: at(time.Hour)}
	reader := Activation{Key: "reader", StartedAt: at(10 * time.Minute), EndsAt: at(40 * time.Minute)}
	short := Activation{Key: "short", StartedAt: at(0), EndsAt: at(10 * time.Minute)}
	// a re-activation of owner, scheduled to start at the current end
	ownerNext := Activation{Key: "owner", StartedAt: at(time.Hour), EndsAt: at(3 * time.Hour)}
	// a re-activation of owner that replaced it at once (deactivate + activate)
	ownerNow := Activation{Key: "owner", StartedAt: at(50 * time.Minute), EndsAt: at(2 * time.Hour)}

	tests := []struct {
		name  string
		sched Scheduler
		steps []step
	}{
		{
			name:  "each threshold fires once, in order",
			sched: Scheduler{Thresholds: DefaultThresholds},
			steps: []step{
				{name: "start", set: 0, acts: []Activation{owner}, next: 45 * time.Minute},
				{name: "just before 15m", set: 45*time.Minute - time.Second, next: 45 * time.Minute},
				{name: "15m", set: 45 * time.Minute, want: []string{"owner:15m0s"}, next: 55 * time.Minute},
				{name: "again at 15m: no repeat", set: 45 * time.Minute, next: 55 * time.Minute},
				{name: "between", set: 50 * time.Minute, next: 55 * time.Minute},
				{name: "5m", set: 55 * time.Minute, want: []string{"owner:5m0s"}, next: time.Hour},
				{name: "ended", set: time.Hour, want: []string{"owner:ended"}, next: -1},
				{name: "later: nothing", set: 2 * time.Hour, next: -1},
			},
		},
		{
			name:  "restart keeps the sent set: no repeats",
			sched: Scheduler{Thresholds: DefaultThresholds},
			steps: []step{
				{name: "15m", set: 46 * time.Minute, acts: []Activation{owner}, want: []string{"owner:15m0s"}, next: 55 * time.Minute},
				{name: "restart before 5m", set: 47 * time.Minute, restart: true, next: 55 * time.Minute},
				{name: "5m", set: 55 * time.Minute, want: []string{"owner:5m0s"}, next: time.Hour},
				{name: "restart after 5m", set: 56 * time.Minute, restart: true, next: time.Hour},
			},
		},
		{
			name:  "sleep through two thresholds: only the most urgent fires at wake",
			sched: Scheduler{Thresholds: DefaultThresholds},
			steps: []step{
				{name: "start", set: 0, acts: []Activation{owner}, next: 45 * time.Minute},
				{name: "wake 2m before end", set: 58 * time.Minute, want: []string{"owner:5m0s"}, next: time.Hour},
				{name: "skipped 15m never fires later", set: 59 * time.Minute, next: time.Hour},
				{name: "ended", set: time.Hour, want: []string{"owner:ended"}, next: -1},
			},
		},
		{
			name:  "sleep past the end: ended fires once at wake, nothing else",
			sched: Scheduler{Thresholds: DefaultThresholds},
			steps: []step{
				{name: "start", set: 0, acts: []Activation{owner}, next: 45 * time.Minute},
				{name: "wake 20m after end", set: 80 * time.Minute, want: []string{"owner:ended"}, next: -1},
				{name: "still nothing", set: 81 * time.Minute, next: -1},
			},
		},
		{
			name:  "sleep far past the end: stale, say nothing",
			sched: Scheduler{Thresholds: DefaultThresholds},
			steps: []step{
				{name: "start", set: 0, acts: []Activation{owner}, next: 45 * time.Minute},
				{name: "wake 3h after end", set: 4 * time.Hour, next: -1},
				{name: "exactly at the grace limit still fires", set: 2 * time.Hour, want: []string{"owner:ended"}, next: -1},
			},
		},
		{
			name:  "custom ended grace",
			sched: Scheduler{Thresholds: DefaultThresholds, EndedGrace: 5 * time.Minute},
			steps: []step{
				{name: "6m after end: stale", set: 66 * time.Minute, acts: []Activation{owner}, next: -1},
				{name: "4m after end (clock back): fires", set: 64 * time.Minute, want: []string{"owner:ended"}, next: -1},
			},
		},
		{
			name:  "clock set backwards: nothing re-fires, nothing fires early",
			sched: Scheduler{Thresholds: DefaultThresholds},
			steps: []step{
				{name: "5m", set: 56 * time.Minute, acts: []Activation{owner}, want: []string{"owner:5m0s"}, next: time.Hour},
				{name: "back into the 15m window: 15m stays quiet", set: 47 * time.Minute, next: time.Hour},
				{name: "back before any threshold", set: 10 * time.Minute, next: time.Hour},
				{name: "forward again to 5m window: no repeat", set: 57 * time.Minute, next: time.Hour},
				{name: "ended at its moment, not before", set: time.Hour, want: []string{"owner:ended"}, next: -1},
				{name: "back after ended: silence", set: 50 * time.Minute, next: -1},
			},
		},
		{
			name:  "clock set backwards before a threshold does not fire it early",
			sched: Scheduler{Thresholds: DefaultThresholds},
			steps: []step{
				{name: "start", set: 30 * time.Minute, acts: []Activation{owner}, next: 45 * time.Minute},
				{name: "back", set: 5 * time.Minute, next: 45 * time.Minute},
				{name: "15m at its moment", set: 45 * time.Minute, want: []string{"owner:15m0s"}, next: 55 * time.Minute},
			},
		},
		{
			name:  "re-activation scheduled at the end replaces the old one's reminders",
			sched: Scheduler{Thresholds: DefaultThresholds},
			steps: []step{
				{name: "15m", set: 45 * time.Minute, acts: []Activation{owner}, want: []string{"owner:15m0s"}, next: 55 * time.Minute},
				{name: "re-activated: old 5m and ended dropped", set: 46 * time.Minute, acts: []Activation{owner, ownerNext}, next: 165 * time.Minute},
				{name: "old end passes silently", set: 61 * time.Minute, acts: []Activation{ownerNext}, next: 165 * time.Minute},
				{name: "new 15m", set: 165 * time.Minute, want: []string{"owner:15m0s"}, next: 175 * time.Minute},
				{name: "new ended", set: 3 * time.Hour, want: []string{"owner:ended"}, next: -1},
			},
		},
		{
			name:  "re-activation at once gets fresh reminders",
			sched: Scheduler{Thresholds: DefaultThresholds},
			steps: []step{
				{name: "5m of old", set: 55 * time.Minute, acts: []Activation{owner}, want: []string{"owner:5m0s"}, next: time.Hour},
				{name: "replaced", set: 56 * time.Minute, acts: []Activation{ownerNow}, next: 105 * time.Minute},
				{name: "old end silent", set: 61 * time.Minute, next: 105 * time.Minute},
				{name: "new 15m", set: 105 * time.Minute, want: []string{"owner:15m0s"}, next: 115 * time.Minute},
			},
		},
		{
			name:  "threshold longer than the activation does not fire at activation",
			sched: Scheduler{Thresholds: DefaultThresholds},
			steps: []step{
				{name: "start", set: 0, acts: []Activation{short}, next: 5 * time.Minute},
				{name: "1m in", set: time.Minute, next: 5 * time.Minute},
				{name: "5m", set: 5 * time.Minute, want: []string{"short:5m0s"}, next: 10 * time.Minute},
				{name: "ended", set: 10 * time.Minute, want: []string{"short:ended"}, next: -1},
			},
		},
		{
			name:  "threshold exactly the activation's length does not fire at start",
			sched: Scheduler{Thresholds: []time.Duration{10 * time.Minute}},
			steps: []step{
				{name: "start", set: 0, acts: []Activation{short}, next: 10 * time.Minute},
				{name: "ended", set: 10 * time.Minute, want: []string{"short:ended"}, next: -1},
			},
		},
		{
			name:  "multiple activations, independently",
			sched: Scheduler{Thresholds: DefaultThresholds},
			steps: []step{
				{name: "start", set: 10 * time.Minute, acts: []Activation{owner, reader}, next: 25 * time.Minute},
				{name: "reader 15m", set: 25 * time.Minute, want: []string{"reader:15m0s"}, next: 35 * time.Minute},
				{name: "wake late: reader ended and owner 15m together", set: 46 * time.Minute, want: []string{"reader:ended", "owner:15m0s"}, next: 55 * time.Minute},
				{name: "owner 5m", set: 55 * time.Minute, want: []string{"owner:5m0s"}, next: time.Hour},
			},
		},
		{
			name:  "zero value: only ended; permanent activations: nothing",
			sched: Scheduler{},
			steps: []step{
				{name: "start", set: 0, acts: []Activation{owner, {Key: "perm", StartedAt: at(0)}}, next: time.Hour},
				{name: "ended", set: time.Hour, want: []string{"owner:ended"}, next: -1},
			},
		},
		{
			name:  "odd thresholds are normalised",
			sched: Scheduler{Thresholds: []time.Duration{5 * time.Minute, -time.Minute, 0, 15 * time.Minute, 5 * time.Minute}},
			steps: []step{
				{name: "start", set: 0, acts: []Activation{owner}, next: 45 * time.Minute},
				{name: "15m", set: 45 * time.Minute, want: []string{"owner:15m0s"}, next: 55 * time.Minute},
				{name: "5m once", set: 55 * time.Minute, want: []string{"owner:5m0s"}, next: time.Hour},
			},
		},
		{
			name:  "unknown start: every threshold counts",
			sched: Scheduler{Thresholds: DefaultThresholds},
			steps: []step{
				{name: "wake 12m before end", set: 48 * time.Minute, acts: []Activation{{Key: "x", EndsAt: at(time.Hour)}}, want: []string{"x:15m0s"}, next: 55 * time.Minute},
			},
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := clocktest.NewFake(t0)
			sent := map[string]bool{} // what the engine persists
			sched := tt.sched
			var acts []Activation
			for _, st := range tt.steps {
				clk.Set(t0.Add(st.set))
				if st.acts != nil {
					acts = st.acts
				}
				if st.restart {
					sched = Scheduler{Thresholds: append([]time.Duration(nil), tt.sched.Thresholds...), EndedGrace: tt.sched.EndedGrace}
				}
				now := clk.Now()
				due := sched.Due(now, acts, sent)
				var got []string
				for _, r := range due {
					got = append(got, label(r))
					if sent[r.ID] {
						t.Errorf("%s: Due returned already sent %q", st.name, r.ID)
					}
					sent[r.ID] = true
				}
				if !reflect.DeepEqual(got, st.want) {
					t.Errorf("%s (t0+%v): Due = %v, want %v", st.name, st.set, got, st.want)
				}
				next := sched.Next(now, acts, sent)
				var wantNext time.Time
				if st.next >= 0 {
					wantNext = at(st.next)
				}
				if !next.Equal(wantNext) {
					t.Errorf("%s (t0+%v): Next = %v, want %v", st.name, st.set, fmtOffset(next), fmtOffset(wantNext))
				}
				if !next.IsZero() && !next.After(now) {
					t.Errorf("%s: Next %v not after now %v", st.name, next, now)
				}
			}
		})
	}
}

func fmtOffset(t time.Time) string {
	if t.IsZero() {
		return "zero"
	}
	return "t0+" + t.Sub(t0).String()
}

func TestIDStable(t *testing.T) {
	end := at(time.Hour)
	other := end.In(time.FixedZone("CET", 3600))
	if ID("k", end, 5*time.Minute) != ID("k", other, 5*time.Minute) {
		t.Error("ID depends on the time zone of EndsAt")
	}
	// a monotonic reading must not change the ID or the comparison
	mono := time.Now()
	if ID("k", mono, 0) != ID("k", mono.Round(0), 0) {
		t.Error("ID depends on the monotonic reading")
	}
	ids := map[string]bool{
		ID("k", end, 0):                                  true,
		ID("k", end, 5*time.Minute):                      true,
		ID("k", end, 15*time.Minute):                     true,
		ID("k", end.Add(time.Second), 5*time.Minute):     true,
		ID("k2", end, 5*time.Minute):                     true,
		ID("k", end.Add(time.Nanosecond), 5*time.Minute): true,
		ID("k", end, 5*time.Minute+time.Nanosecond):      true,
	}
	if len(ids) != 7 {
		t.Errorf("IDs collide: %v", ids)
	}
	r := Scheduler{}.Due(end, []Activation{{Key: "k", EndsAt: end}}, nil)
	if len(r) != 1 || r[0].ID != ID("k", end, 0) || !strings.HasPrefix(r[0].ID, "k|") {
		t.Errorf("Due with nil sent = %+v", r)
	}
}

// FuzzDue checks that Due never panics, never returns a sent ID, returns at most one
// reminder per key, never a reminder before its moment, and that Next is in the future.
func FuzzDue(f *testing.F) {
	f.Add(int64(0), int64(3600), int64(2700), uint16(15), uint16(5), uint8(0), "owner", "reader", int64(600), int64(2400))
	f.Add(int64(0), int64(600), int64(-100000), uint16(0), uint16(0), uint8(3), "a", "a", int64(-5), int64(1<<40))
	f.Add(int64(-1<<40), int64(1<<40), int64(1<<40), uint16(65535), uint16(1), uint8(255), "", "b", int64(0), int64(0))
	f.Fuzz(func(t *testing.T, start, end, now int64, th1, th2 uint16, sentMask uint8, key1, key2 string, start2, end2 int64) {
		sec := func(s int64) time.Time { return t0.Add(time.Duration(s%(1<<33)) * time.Second) }
		acts := []Activation{
			{Key: key1, StartedAt: sec(start), EndsAt: sec(end)},
			{Key: key2, StartedAt: sec(start2), EndsAt: sec(end2)},
		}
		if end2 == 0 {
			acts[1].EndsAt = time.Time{}
		}
		s := Scheduler{Thresholds: []time.Duration{time.Duration(th1) * time.Minute, time.Duration(th2) * time.Minute}}
		sent := map[string]bool{}
		i := 0
		for _, a := range acts {
			for _, b := range []time.Duration{0, time.Duration(th1) * time.Minute, time.Duration(th2) * time.Minute} {
				if sentMask&(1<<i) != 0 {
					sent[ID(a.Key, a.EndsAt, b)] = true
				}
				i++
			}
		}
		n := sec(now)
		seen := map[string]bool{}
		for _, r := range s.Due(n, acts, sent) {
			if sent[r.ID] {
				t.Fatalf("Due returned sent ID %q", r.ID)
			}
			if seen[r.Key] {
				t.Fatalf("two reminders for key %q", r.Key)
			}
			seen[r.Key] = true
			if n.Before(r.EndsAt.Add(-r.Before)) {
				t.Fatalf("reminder %q before its moment", r.ID)
			}
			if r.Before > 0 && !n.Before(r.EndsAt) {
				t.Fatalf("before-end reminder %q after the end", r.ID)
			}
			if r.ID != ID(r.Key, r.EndsAt, r.Before) {
				t.Fatalf("ID %q not derived from its fields", r.ID)
			}
		}
		if next := s.Next(n, acts, sent); !next.IsZero() && !next.After(n) {
			t.Fatalf("Next %v not after now %v", next, n)
		}
	})
}

func ExampleScheduler() {
	s := Scheduler{Thresholds: DefaultThresholds}
	start := time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)
	acts := []Activation{{Key: "owner", StartedAt: start, EndsAt: start.Add(time.Hour)}}
	sent := map[string]bool{} // persisted by the caller
	// The laptop slept from 9:10 to 9:58: only "ends in 5m" fires at wake.
	for _, r := range s.Due(start.Add(58*time.Minute), acts, sent) {
		fmt.Println(r.Key, r.Before)
		sent[r.ID] = true
	}
	fmt.Println("wake at", s.Next(start.Add(58*time.Minute), acts, sent).Format("15:04"))
	// Output:
	// owner 5m0s
	// wake at 10:00
}
