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
	if !when.After(f.now) {
		t.c <- f.now
		t.fired = true
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

var _ clock.Clock = (*Fake)(nil)
