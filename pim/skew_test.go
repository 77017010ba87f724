package pim

import (
	"log/slog"
	"testing"
	"time"
)

func TestAzureClockLearnsTheOffsetFromDates(t *testing.T) {
	t.Parallel()
	local := time.Date(2025, 6, 2, 8, 0, 0, 0, time.UTC)
	cases := []struct {
		name    string
		samples []time.Duration // Date − local time of each answer, in order
		want    time.Duration
	}{
		{"nothing heard yet", nil, 0},
		{"in sync", []time.Duration{0}, 0},
		{"in sync, the header's truncation and travel", []time.Duration{-900 * time.Millisecond, -1800 * time.Millisecond, 300 * time.Millisecond}, 0},
		{"a few seconds off changes nothing", []time.Duration{4 * time.Second, -5 * time.Second}, 0},
		{"Azure 10 minutes ahead", []time.Duration{10 * time.Minute}, 10 * time.Minute},
		{"Azure 10 minutes behind", []time.Duration{-10 * time.Minute}, -10 * time.Minute},
		{"floored to the second: errs early", []time.Duration{10*time.Minute - 300*time.Millisecond}, 10*time.Minute - time.Second},
		{"floored below zero too", []time.Duration{-10*time.Minute - 300*time.Millisecond}, -10*time.Minute - time.Second},
		{"samples within the tolerance keep it", []time.Duration{10 * time.Minute, 10*time.Minute + 3*time.Second, 10*time.Minute - 4*time.Second}, 10 * time.Minute},
		{"the last that moved wins", []time.Duration{10 * time.Minute, 2 * time.Minute}, 2 * time.Minute},
		{"back in sync", []time.Duration{10 * time.Minute, 0}, 0},
		{"absurd: ignored", []time.Duration{400 * 24 * time.Hour}, 0},
		{"absurd after a good one: kept the good one", []time.Duration{-3 * time.Minute, -30 * 24 * time.Hour}, -3 * time.Minute},
		{"a day is still a clock set wrong", []time.Duration{23 * time.Hour}, 23 * time.Hour},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k := &azureClock{now: func() time.Time { return local }, log: slog.New(slog.DiscardHandler)}
			for _, s := range c.samples {
				k.observe(local.Add(s), local)
			}
			if got := k.Offset(); got != c.want {
				t.Fatalf("offset = %v, want %v", got, c.want)
			}
			if c.want != 0 {
				at := local.Add(time.Hour)
				if got := k.toAzure(at); !got.Equal(at.Add(c.want)) {
					t.Errorf("toAzure(%v) = %v", at, got)
				}
				if got := k.toLocal(k.toAzure(at)); !got.Equal(at) {
					t.Errorf("toLocal(toAzure(%v)) = %v", at, got)
				}
			}
			if !k.toAzure(time.Time{}).IsZero() || !k.toLocal(time.Time{}).IsZero() {
				t.Error("the zero time (no end) must stay zero")
			}
		})
	}
}

func TestFloorSecond(t *testing.T) {
	t.Parallel()
	for in, want := range map[time.Duration]time.Duration{
		0: 0, time.Second: time.Second, 1500 * time.Millisecond: time.Second,
		-1500 * time.Millisecond: -2 * time.Second, -time.Second: -time.Second, -time.Nanosecond: -time.Second,
	} {
		if got := floorSecond(in); got != want {
			t.Errorf("floorSecond(%v) = %v, want %v", in, got, want)
		}
	}
}

func TestLocalActivationConvertsEveryTime(t *testing.T) {
	t.Parallel()
	k := &azureClock{offset: 10 * time.Minute}
	at := time.Date(2025, 6, 2, 8, 0, 0, 0, time.UTC)
	a := Activation{StartsAt: at, ExpiresAt: at.Add(8 * time.Hour), Role: Role{EligibleUntil: at.Add(48 * time.Hour)}}
	got := k.localActivation(a)
	if !got.StartsAt.Equal(at.Add(-10*time.Minute)) || !got.ExpiresAt.Equal(at.Add(8*time.Hour-10*time.Minute)) ||
		!got.Role.EligibleUntil.Equal(at.Add(48*time.Hour-10*time.Minute)) {
		t.Fatalf("localActivation = %+v", got)
	}
	if p := k.localActivation(Activation{StartsAt: at}); !p.ExpiresAt.IsZero() {
		t.Fatalf("a permanent assignment got an end: %v", p.ExpiresAt)
	}
}
