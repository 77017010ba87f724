// Package clock lets the core run on real time in the app and on a fake, hand-advanced
// time in tests, with no sleeping.
//
// Deadlines that matter to the user (an activation's end, a reminder) are wall-clock
// instants: compare them against Now(), never against an elapsed monotonic duration,
// because monotonic timers stop while a laptop sleeps. Timers here are only wake-ups;
// whoever wakes re-reads Now() and decides.
package clock

import (
	"sort"
	"sync"
	"time"
)

// Clock is the time source of the core.
type Clock interface {
	Now() time.Time
	// NewTimer fires once after d. Stop it when no longer needed.
	NewTimer(d time.Duration) Timer
}

// Timer is a one-shot wake-up.
type Timer interface {
	C() <-chan time.Time
	Stop() bool
}

// Real is the system clock. Now strips the monotonic reading so instants compare as wall time.
type Real struct{}

func (Real) Now() time.Time { return time.Now().Round(0) }

func (Real) NewTimer(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }

type realTimer struct{ t *time.Timer }

func (r realTimer) C() <-chan time.Time { return r.t.C }
func (r realTimer) Stop() bool          { return r.t.Stop() }

// Scaled runs Factor times faster than the system clock from Start on (the demo's time scale).
type Scaled struct {
	Start  time.Time // the real instant the scale began
	Factor float64
}

func (s Scaled) Now() time.Time {
	real := time.Now().Round(0)
	return s.Start.Add(time.Duration(float64(real.Sub(s.Start)) * s.Factor))
}

func (s Scaled) NewTimer(d time.Duration) Timer {
	return realTimer{time.NewTimer(time.Duration(float64(d) / s.Factor))}
}

// Fake is a clock that moves only when told. Safe for concurrent use.
type Fake struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

// NewFake starts a fake clock at t.
func NewFake(t time.Time) *Fake { return &Fake{now: t} }

func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *Fake) NewTimer(d time.Duration) Timer {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.newTimerLocked(f.now.Add(d))
}

// NewTimerAt fires once the clock reaches t (at once if it already has). Unlike NewTimer it
// cannot race with a concurrent Advance: the instant is fixed, not computed from a Now read earlier.
func (f *Fake) NewTimerAt(t time.Time) Timer {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.newTimerLocked(t)
}

func (f *Fake) newTimerLocked(when time.Time) Timer {
	t := &fakeTimer{f: f, when: when, c: make(chan time.Time, 1)}
	if !when.After(f.now) {
		t.c <- f.now
		t.fired = true
		return t
	}
	f.timers = append(f.timers, t)
	return t
}

// TimerAt arms a timer for the wall-clock instant t on c: clocks that can arm one for an
// instant (Fake) do so, others get NewTimer(t - Now()). Whoever wakes must re-read Now():
// a real timer runs on monotonic time and fires late after a sleep.
func TimerAt(c Clock, t time.Time) Timer {
	if a, ok := c.(interface{ NewTimerAt(time.Time) Timer }); ok {
		return a.NewTimerAt(t)
	}
	return c.NewTimer(t.Sub(c.Now()))
}

// Advance moves the clock forward by d, firing every timer that comes due, in order.
func (f *Fake) Advance(d time.Duration) { f.Set(f.Now().Add(d)) }

// Set jumps the clock to t (also backwards, as a user changing the system clock would),
// firing every timer due by then.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	f.now = t
	sort.Slice(f.timers, func(i, j int) bool { return f.timers[i].when.Before(f.timers[j].when) })
	var keep []*fakeTimer
	for _, tm := range f.timers {
		if !tm.fired && !tm.when.After(t) {
			tm.fired = true
			tm.c <- t
			continue
		}
		if !tm.fired {
			keep = append(keep, tm)
		}
	}
	f.timers = keep
	f.mu.Unlock()
}

// NextTimer is when the earliest waiting timer fires; ok is false when none waits. Tests
// step the clock from one wake-up to the next with it.
func (f *Fake) NextTimer() (when time.Time, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, t := range f.timers {
		if !t.fired && (!ok || t.when.Before(when)) {
			when, ok = t.when, true
		}
	}
	return when, ok
}

// Pending is how many timers wait to fire: tests use it to see that nothing wakes up idly.
func (f *Fake) Pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.timers)
}

type fakeTimer struct {
	f     *Fake
	when  time.Time
	c     chan time.Time
	fired bool
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

func (t *fakeTimer) Stop() bool {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	if t.fired {
		return false
	}
	t.fired = true
	for i, x := range t.f.timers {
		if x == t {
			t.f.timers = append(t.f.timers[:i], t.f.timers[i+1:]...)
			break
		}
	}
	return true
}
