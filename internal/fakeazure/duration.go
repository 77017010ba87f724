package fakeazure

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// parseISODuration reads the ISO 8601 durations PIM uses: PT8H, PT30M, PT1H30M, P1D, P1DT2H, PT90S.
// Years and months are refused: an activation is never that long and their length is ambiguous.
func parseISODuration(s string) (time.Duration, error) {
	orig := s
	s = strings.ToUpper(strings.TrimSpace(s))
	if !strings.HasPrefix(s, "P") || len(s) < 3 {
		return 0, fmt.Errorf("invalid duration %q", orig)
	}
	s = s[1:]
	var d time.Duration
	inTime := false
	num := ""
	for _, c := range s {
		switch {
		case c == 'T':
			if inTime || num != "" {
				return 0, fmt.Errorf("invalid duration %q", orig)
			}
			inTime = true
		case (c >= '0' && c <= '9') || c == '.':
			num += string(c)
		default:
			if num == "" {
				return 0, fmt.Errorf("invalid duration %q", orig)
			}
			v, err := strconv.ParseFloat(num, 64)
			if err != nil {
				return 0, fmt.Errorf("invalid duration %q", orig)
			}
			var unit time.Duration
			switch {
			case c == 'W' && !inTime:
				unit = 7 * 24 * time.Hour
			case c == 'D' && !inTime:
				unit = 24 * time.Hour
			case c == 'H' && inTime:
				unit = time.Hour
			case c == 'M' && inTime:
				unit = time.Minute
			case c == 'S' && inTime:
				unit = time.Second
			default:
				return 0, fmt.Errorf("invalid duration %q", orig)
			}
			d += time.Duration(v * float64(unit))
			num = ""
		}
	}
	if num != "" {
		return 0, fmt.Errorf("invalid duration %q", orig)
	}
	return d, nil
}

// isoDuration writes d the way PIM does: PT8H, PT1H30M, P1D.
func isoDuration(d time.Duration) string {
	if d <= 0 {
		return "PT0S"
	}
	days := d / (24 * time.Hour)
	d -= days * 24 * time.Hour
	h := d / time.Hour
	d -= h * time.Hour
	m := d / time.Minute
	d -= m * time.Minute
	sec := d / time.Second
	var b strings.Builder
	b.WriteString("P")
	if days > 0 {
		fmt.Fprintf(&b, "%dD", days)
	}
	if h > 0 || m > 0 || sec > 0 {
		b.WriteString("T")
		if h > 0 {
			fmt.Fprintf(&b, "%dH", h)
		}
		if m > 0 {
			fmt.Fprintf(&b, "%dM", m)
		}
		if sec > 0 {
			fmt.Fprintf(&b, "%dS", sec)
		}
	}
	return b.String()
}

// wireTime writes a time as Graph and ARM do: UTC, RFC 3339, fractional seconds only when present.
func wireTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// parseWireTime reads the date-times clients send (RFC 3339, with or without fraction or zone offset).
func parseWireTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.9999999", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("invalid date-time %q", s)
}
