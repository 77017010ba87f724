package app

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pimtray/pimtray/internal/clock"
)

// The tray's sped-up clock is kept in the demo's state: a command reads the same one (it
// said "has ended" for a role with 7h left when it didn't), and a restart carries on.
func TestDemoClockIsSharedAndKept(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cmd, err := demoClock(dir, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, real := cmd.(clock.Real); !real {
		t.Fatalf("no tray has run: a command's clock is %T, want the real one", cmd)
	}
	trayClock, err := demoClock(dir, 60, true)
	if err != nil {
		t.Fatal(err)
	}
	ts, ok := trayClock.(clock.Scaled)
	if !ok || ts.Factor != 60 {
		t.Fatalf("tray clock %#v", trayClock)
	}
	// A command beside it (even one given --demo-speed: the tray's clock rules).
	for _, speed := range []float64{0, 5} {
		cmd, err := demoClock(dir, speed, false)
		if err != nil {
			t.Fatal(err)
		}
		if !sameClock(cmd, trayClock) {
			t.Fatalf("the command's clock %#v differs from the tray's %#v", cmd, trayClock)
		}
	}
	// The tray again at the same speed: the same clock.
	again, _ := demoClock(dir, 60, true)
	if !sameClock(again, trayClock) {
		t.Fatalf("a restart at the same speed re-based the clock: %#v, was %#v", again, trayClock)
	}
	// Without --demo-speed: normal speed, from where the demo time is (never back).
	before := trayClock.Now()
	slow, _ := demoClock(dir, 0, true)
	ss := slow.(clock.Scaled)
	if ss.Factor != 1 || ss.At.Before(before) {
		t.Fatalf("without a speed: %#v, want factor 1 from at least %v", ss, before)
	}
	if cmd, _ := demoClock(dir, 0, false); !sameClock(cmd, slow) {
		t.Fatalf("the command's clock %#v differs from the tray's %#v", cmd, slow)
	}
}

func TestDemoClockUnreadableSaysWhatToDo(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, demoClockFile), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := demoClock(dir, 60, true); err == nil {
		t.Fatal("an unreadable demo clock was taken")
	}
}

func sameClock(a, b clock.Clock) bool {
	x, ok1 := a.(clock.Scaled)
	y, ok2 := b.(clock.Scaled)
	return ok1 && ok2 && x.Start.Equal(y.Start) && x.At.Equal(y.At) && x.Factor == y.Factor
}
