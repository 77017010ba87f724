// Package clock lets the core run on real time in the app and on a fake, hand-advanced
// time in tests (internal/testkit/clocktest), with no sleeping.
//
// Deadlines that matter to the user (an activation's end, a reminder) are wall-clock
// instants: compare them against Now(), never against an elapsed monotonic duration,
// because monotonic timers stop while a laptop sleeps. Timers here are only wake-ups;
// whoever wakes re-reads Now() and decides.
package clock

import "time"

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
	// At is what the clock read at Start; zero: Start (a scale that began at the real time).
	// A demo that carries on after a restart begins where it was.
	At time.Time

	real func() time.Time // the system clock; a test sets its own
}

func (s Scaled) Now() time.Time {
	now := Real{}.Now
	if s.real != nil {
		now = s.real
	}
	base := s.At
	if base.IsZero() {
		base = s.Start
	}
	return base.Add(time.Duration(float64(now().Sub(s.Start)) * s.Factor))
}

func (s Scaled) NewTimer(d time.Duration) Timer {
	return realTimer{time.NewTimer(time.Duration(float64(d) / s.Factor))}
}

// TimerAt arms a timer for the wall-clock instant t on c: clocks that can arm one for an
// instant (clocktest.Fake) do so, others get NewTimer(t - Now()). Whoever wakes must re-read Now():
// a real timer runs on monotonic time and fires late after a sleep.
func TimerAt(c Clock, t time.Time) Timer {
	if a, ok := c.(interface{ NewTimerAt(time.Time) Timer }); ok {
		return a.NewTimerAt(t)
	}
	return c.NewTimer(t.Sub(c.Now()))
}

// Work is what a clock may offer besides time: it is told of the work under way that the
// clock's time waits for (a goroutine started, a wake-up handed to a loop), so that a clock a
// test moves by hand (clocktest.Fake) moves only when the code it drives is at rest, as
// synctest.Wait or clockwork's BlockUntil let a test know. The real clocks offer none.
type Work interface {
	// Begin marks work that starts; end marks it done (once).
	Begin() (end func())
}

// Begin marks work under way on c for a clock that offers Work; for others it does nothing.
// Call end when the work is done.
func Begin(c Clock) (end func()) {
	if w, ok := c.(Work); ok {
		return w.Begin()
	}
	return noWork
}

func noWork() {}
