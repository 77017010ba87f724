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

// The fake knows when the code it drives is at rest: no work marked under way, no timer fired
// that its receiver has not stopped; it counts the timers fired.
func TestFakeIdle(t *testing.T) {
	f := NewFake(t0)
	if !f.Idle() || f.Fired() != 0 {
		t.Fatal("a new clock is at rest")
	}
	end := clock.Begin(f)
	if f.Idle() {
		t.Fatal("at rest with work under way")
	}
	end()
	end() // once only
	if !f.Idle() {
		t.Fatal("not at rest once the work ended")
	}
	tm := f.NewTimer(time.Minute)
	waiting := f.NewTimer(time.Hour)
	if !f.Idle() {
		t.Fatal("a timer waiting is rest")
	}
	f.Advance(time.Minute)
	if f.Idle() || f.Fired() != 1 {
		t.Fatalf("a timer fired and not taken over is work: idle %v, fired %d", f.Idle(), f.Fired())
	}
	<-tm.C()
	if tm.Stop() || !f.Idle() {
		t.Fatal("stopping a fired timer returns false and hands its work over")
	}
	if !waiting.Stop() || !f.Idle() || f.Fired() != 1 {
		t.Fatal("a timer stopped before it fired is no work and no wake-up")
	}
	if !fired(f.NewTimer(0)) || f.Idle() || f.Fired() != 2 {
		t.Fatal("a timer due at once fires at once, and counts")
	}
}

func TestFakeWaitIdle(t *testing.T) {
	f := NewFake(t0)
	end := f.Begin()
	done := make(chan bool)
	go func() { done <- f.WaitIdle(time.Minute) }()
	select {
	case <-done:
		t.Fatal("WaitIdle returned with work under way")
	case <-time.After(10 * time.Millisecond):
	}
	end()
	if !<-done {
		t.Fatal("WaitIdle did not see the rest")
	}
	end = f.Begin()
	defer end()
	if f.WaitIdle(time.Millisecond) {
		t.Fatal("WaitIdle reported rest with work under way")
	}
}
