package pim

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// MinActivation is the shortest activation Azure accepts ("can't be assigned for a duration of
// less than five minutes", Assign Microsoft Entra roles in PIM). Durations are checked
// against it before anything is sent: --for on the command line, a favourite's "duration"
// and "defaultDuration" in the configuration.
const MinActivation = 5 * time.Minute

// ParseISODuration reads an ISO 8601 duration as Azure writes them in policies and schedules:
// PT8H, PT30M, P1D, P1DT2H, PT1H30M, PT90S, PT0.5H. Years count 365 days, months 30 days and
// weeks 7 days (Azure uses only days and smaller for activations). Case does not matter.
func ParseISODuration(s string) (time.Duration, error) {
	orig := s
	s = strings.ToUpper(strings.TrimSpace(s))
	neg := false
	if strings.HasPrefix(s, "-") {
		neg, s = true, s[1:]
	}
	if !strings.HasPrefix(s, "P") || len(s) < 3 {
		return 0, fmt.Errorf("invalid ISO 8601 duration %q", orig)
	}
	s = s[1:]
	var total float64
	inTime := false
	seen := false
	for len(s) > 0 {
		if s[0] == 'T' {
			if inTime {
				return 0, fmt.Errorf("invalid ISO 8601 duration %q", orig)
			}
			inTime = true
			s = s[1:]
			if s == "" {
				return 0, fmt.Errorf("invalid ISO 8601 duration %q: nothing after T", orig)
			}
			continue
		}
		i := 0
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.' || s[i] == ',') {
			i++
		}
		if i == 0 || i == len(s) {
			return 0, fmt.Errorf("invalid ISO 8601 duration %q", orig)
		}
		n, err := strconv.ParseFloat(strings.ReplaceAll(s[:i], ",", "."), 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("invalid ISO 8601 duration %q", orig)
		}
		var unit float64
		switch u := s[i]; {
		case !inTime && u == 'Y':
			unit = 365 * 24 * float64(time.Hour)
		case !inTime && u == 'M':
			unit = 30 * 24 * float64(time.Hour)
		case !inTime && u == 'W':
			unit = 7 * 24 * float64(time.Hour)
		case !inTime && u == 'D':
			unit = 24 * float64(time.Hour)
		case inTime && u == 'H':
			unit = float64(time.Hour)
		case inTime && u == 'M':
			unit = float64(time.Minute)
		case inTime && u == 'S':
			unit = float64(time.Second)
		default:
			return 0, fmt.Errorf("invalid ISO 8601 duration %q: unexpected %q", orig, string(u))
		}
		total += n * unit
		if total > math.MaxInt64/2 {
			return 0, fmt.Errorf("ISO 8601 duration %q is too long", orig)
		}
		seen = true
		s = s[i+1:]
	}
	if !seen {
		return 0, fmt.Errorf("invalid ISO 8601 duration %q", orig)
	}
	d := time.Duration(math.Round(total))
	if neg {
		d = -d
	}
	return d, nil
}

// FormatISODuration writes d as an ISO 8601 duration in hours, minutes and seconds, the way
// activation requests carry it: 8h → "PT8H", 90m → "PT1H30M", 0 → "PT0S". Sub-second parts are
// dropped; negative durations are written as zero.
func formatISODuration(d time.Duration) string {
	if d < time.Second {
		return "PT0S"
	}
	d = d.Truncate(time.Second)
	h := int64(d / time.Hour)
	m := int64(d % time.Hour / time.Minute)
	s := int64(d % time.Minute / time.Second)
	var b strings.Builder
	b.WriteString("PT")
	if h > 0 {
		b.WriteString(strconv.FormatInt(h, 10) + "H")
	}
	if m > 0 {
		b.WriteString(strconv.FormatInt(m, 10) + "M")
	}
	if s > 0 {
		b.WriteString(strconv.FormatInt(s, 10) + "S")
	}
	return b.String()
}

// HumanDuration writes d for people, as pimtray does everywhere: "8h", "1h 30m", "30m",
// "1m 30s", "45s". From an hour on it is rounded to minutes.
func humanDuration(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	if d < time.Minute {
		return strconv.Itoa(int(d/time.Second)) + "s"
	}
	if d < time.Hour {
		d = d.Round(time.Second)
		m, sec := int64(d/time.Minute), int64(d%time.Minute/time.Second)
		if sec == 0 {
			return strconv.FormatInt(m, 10) + "m"
		}
		return strconv.FormatInt(m, 10) + "m " + strconv.FormatInt(sec, 10) + "s"
	}
	d = d.Round(time.Minute)
	h := int64(d / time.Hour)
	m := int64(d % time.Hour / time.Minute)
	if m == 0 {
		return strconv.FormatInt(h, 10) + "h"
	}
	return strconv.FormatInt(h, 10) + "h " + strconv.FormatInt(m, 10) + "m"
}
