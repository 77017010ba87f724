// Package clocktest is the fake clock of the tests: it moves only when told, so the core is
// tested with no sleeping. It lives apart from package clock so that the shipped binary does
// not carry it.
package clocktest

import (
	"sort"
	"sync"
	"time"

	"github.com/pimtray/pimtray/internal/clock"
)

// Fake is a clock that moves only when told. Safe for concurrent use.
//
// It also knows when the code it drives is at rest (Idle): no work under way that the code
// marked with clock.Begin, and no timer that fired and was not stopped since. A timer that
// fired counts as work until its receiver calls Stop (which then returns false, as a real
// timer's does): whoever wakes on a timer calls Stop once it has taken over. Tests wait for
// rest (WaitIdle) before they move the clock, and count the timers fired (Fired) to measure
// wake-ups.
type Fake struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
	work   int // work under way: clock.Begin not yet ended, timers fired not yet stopped
	begun  int // clock.Begin calls so far
	fired  int // timers fired so far
	// changed is closed, and replaced, whenever the work under way or the timers change.
	changed chan struct{}
}

// NewFake starts a fake clock at t.
func NewFake(t time.Time) *Fake { return &Fake{now: t, changed: make(chan struct{})} }

// changedLocked wakes whoever waits for the clock's state to change.
func (f *Fake) changedLocked() {
	if f.changed == nil {
		f.changed = make(chan struct{})
	}
	close(f.changed)
	f.changed = make(chan struct{})
}

// Begin marks work under way (clock.Work): the clock is not at rest until end is called.
func (f *Fake) Begin() (end func()) {
	f.mu.Lock()
	f.work++
	f.begun++
	f.changedLocked()
	f.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			f.mu.Lock()
			f.work--
			f.changedLocked()
			f.mu.Unlock()
		})
	}
}

// Idle reports whether the code driven by the clock is at rest: no work under way, no timer
// fired and not stopped.
func (f *Fake) Idle() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.work == 0
}

// Begun is how many times work began so far (clock.Begin): a test that starts a loop in a
// goroutine sees it has started when this grows.
func (f *Fake) Begun() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.begun
}

// Fired is how many timers have fired so far (the wake-ups of the code driven by the clock).
func (f *Fake) Fired() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fired
}

// Wait waits until cond holds, looking again whenever the clock's state changes (work begun
// or ended, a timer armed, fired or stopped), for at most timeout of real time; it reports
// whether cond held. cond runs without the clock's lock.
func (f *Fake) Wait(timeout time.Duration, cond func() bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		f.mu.Lock()
		if f.changed == nil {
			f.changed = make(chan struct{})
		}
		ch := f.changed
		f.mu.Unlock()
		if cond() {
			return true
		}
		select {
		case <-ch:
		case <-deadline.C:
			return cond()
		}
	}
}

// WaitIdle waits until the code driven by the clock is at rest (Idle), for at most timeout.
func (f *Fake) WaitIdle(timeout time.Duration) bool { return f.Wait(timeout, f.Idle) }

func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *Fake) NewTimer(d time.Duration) clock.Timer {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.newTimerLocked(f.now.Add(d))
}

// NewTimerAt fires once the clock reaches t (at once if it already has). Unlike NewTimer it
// cannot race with a concurrent Advance: the instant is fixed, not computed from a Now read earlier.
func (f *Fake) NewTimerAt(t time.Time) clock.Timer {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.newTimerLocked(t)
}

func (f *Fake) newTimerLocked(when time.Time) clock.Timer {
	t := &fakeTimer{f: f, when: when, c: make(chan time.Time, 1)}
	defer f.changedLocked()
	if !when.After(f.now) {
		t.fireLocked(f.now)
		return t
	}
	f.timers = append(f.timers, t)
	return t
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
			tm.fireLocked(t)
			continue
		}
		if !tm.fired {
			keep = append(keep, tm)
		}
	}
	f.timers = keep
	f.changedLocked()
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
	f       *Fake
	when    time.Time
	c       chan time.Time
	fired   bool
	stopped bool
}

// fireLocked delivers the timer's time; it counts as work under way until Stop.
func (t *fakeTimer) fireLocked(now time.Time) {
	t.fired = true
	t.c <- now
	t.f.fired++
	t.f.work++
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

func (t *fakeTimer) Stop() bool {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	if t.stopped {
		return false
	}
	t.stopped = true
	defer t.f.changedLocked()
	if t.fired {
		t.f.work-- // its receiver has taken over
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

var _ clock.Clock = (*Fake)(nil)
