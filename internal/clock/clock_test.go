package clock

import (
	"testing"
	"time"
)

func TestScaled(t *testing.T) {
	t.Parallel()
	start := time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)
	real := start
	s := Scaled{Start: start, Factor: 60, real: func() time.Time { return real }}
	if got := s.Now(); !got.Equal(start) {
		t.Fatalf("at the start the scaled clock reads %v, want %v", got, start)
	}
	real = start.Add(time.Second)
	if got := s.Now().Sub(start); got != time.Minute {
		t.Fatalf("a real second at 60x is %v, want 1m", got)
	}
}
