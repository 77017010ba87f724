package clocktest

import (
	"testing"
	"time"

	"github.com/pimtray/pimtray/internal/clock"
)

var t0 = time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)

func fired(t clock.Timer) bool {
	select {
	case <-t.C():
		return true
	default:
		return false
	}
}

func TestFakeTimers(t *testing.T) {
	f := NewFake(t0)
	a := f.NewTimer(time.Minute)
	b := clock.TimerAt(f, t0.Add(2*time.Minute))
	c := f.NewTimer(time.Hour)
	if n := f.Pending(); n != 3 {
		t.Fatalf("pending = %d", n)
	}
	if when, ok := f.NextTimer(); !ok || !when.Equal(t0.Add(time.Minute)) {
		t.Fatalf("NextTimer = %v %v", when, ok)
	}
	f.Advance(90 * time.Second)
	if !fired(a) || fired(b) || fired(c) {
		t.Fatal("after 90s only the 1-minute timer fires")
	}
	if !c.Stop() || c.Stop() {
		t.Fatal("Stop reports whether it stopped a waiting timer")
	}
	f.Advance(time.Hour)
	if !fired(b) || fired(c) {
		t.Fatal("the 2-minute timer fires; a stopped one never")
	}
	if _, ok := f.NextTimer(); ok || f.Pending() != 0 {
		t.Fatal("timers left")
	}
}

func TestFakeTimerInThePastFiresAtOnce(t *testing.T) {
	f := NewFake(t0)
	if !fired(clock.TimerAt(f, t0.Add(-time.Second))) || !fired(f.NewTimer(0)) || !fired(f.NewTimerAt(t0)) {
		t.Fatal("a timer for now or earlier fires at once")
	}
}

func TestFakeSetBackwardsFiresNothing(t *testing.T) {
	f := NewFake(t0)
	tm := f.NewTimer(time.Minute)
	f.Set(t0.Add(-time.Hour))
	if fired(tm) || !f.Now().Equal(t0.Add(-time.Hour)) {
		t.Fatal("a clock set back fires nothing")
	}
	f.Set(t0.Add(time.Minute))
	if !fired(tm) {
		t.Fatal("the timer fires once its instant is reached")
	}
}
