package pim

import (
	"testing"
	"time"
)

func TestParseISODuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want time.Duration
		bad  bool
	}{
		{in: "PT8H", want: 8 * time.Hour},
		{in: "PT30M", want: 30 * time.Minute},
		{in: "P1D", want: 24 * time.Hour},
		{in: "P1DT2H", want: 26 * time.Hour},
		{in: "PT1H30M", want: 90 * time.Minute},
		{in: "PT90S", want: 90 * time.Second},
		{in: "PT0.5H", want: 30 * time.Minute},
		{in: "pt2h", want: 2 * time.Hour},
		{in: "P90D", want: 90 * 24 * time.Hour},
		{in: "P365D", want: 365 * 24 * time.Hour},
		{in: "P1W", want: 7 * 24 * time.Hour},
		{in: "PT0S", want: 0},
		{in: "", bad: true},
		{in: "P", bad: true},
		{in: "PT", bad: true},
		{in: "8h", bad: true},
		{in: "PT8", bad: true},
		{in: "P8H", bad: true},
		{in: "PTH", bad: true},
		{in: "P1DT", bad: true},
		{in: "PT1HT1M", bad: true},
		{in: "P99999999999999999999D", bad: true},
	}
	for _, tt := range tests {
		got, err := ParseISODuration(tt.in)
		if (err != nil) != tt.bad || got != tt.want {
			t.Errorf("ParseISODuration(%q) = %v, %v", tt.in, got, err)
		}
	}
}

func TestFormatISODurationRoundTrips(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		8 * time.Hour: "PT8H", 90 * time.Minute: "PT1H30M", 100 * time.Hour: "PT100H", 45 * time.Second: "PT45S",
		time.Hour + 2*time.Second: "PT1H2S", 0: "PT0S", -time.Hour: "PT0S",
	} {
		got := formatISODuration(d)
		if got != want {
			t.Errorf("FormatISODuration(%v) = %q, want %q", d, got, want)
		}
		if back, err := ParseISODuration(got); err != nil || (d > 0 && back != d) {
			t.Errorf("round trip %v: %v %v", d, back, err)
		}
	}
}

func TestHumanDuration(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		8 * time.Hour: "8h", 100 * time.Hour: "100h", 90 * time.Minute: "1h 30m", 30 * time.Minute: "30m",
		90 * time.Second: "1m 30s", 45 * time.Second: "45s", 2*time.Hour + 29*time.Second: "2h",
	} {
		if got := humanDuration(d); got != want {
			t.Errorf("HumanDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
