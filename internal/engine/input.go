package engine

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/pimtray/pimtray/pim"
)

// What an activation may carry, checked before anything is sent (README, "What pimtray
// sends"). Microsoft documents the minimum duration ("can't be assigned for a duration of
// less than five minutes", Assign Microsoft Entra roles in PIM); it documents no length for
// the justification or the ticket fields, so pimtray keeps them to what an approver reads in
// an email or the portal's request list.
const (
	MinActivation    = pim.MinActivation
	MaxJustification = 500 // characters
	MaxTicketField   = 100 // characters, for the ticket number and the ticket system each
)

// escapeRE matches terminal escape sequences: CSI (ESC [ … final byte), OSC (ESC ] … BEL or
// ESC \), and two-byte escapes (ESC and one character).
var escapeRE = regexp.MustCompile(`\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]|\x9b[0-?]*[ -/]*[@-~]`)

// cleanText makes text an approver can trust: terminal escape sequences and control
// characters (which could hide or rewrite what the approver sees) are taken out, line breaks
// and tabs become spaces, runs of spaces one space, and the ends are trimmed. Invalid UTF-8
// becomes U+FFFD.
func cleanText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = escapeRE.ReplaceAllString(s, "")
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\t' || r == '\v' || r == '\f' || r == '\u2028' || r == '\u2029' || unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r) && r != '\u200d':
			continue // C0/C1 controls, bidi overrides and other invisible format characters
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// checkDuration refuses a duration asked for (--for) that Azure would refuse.
func checkDuration(d time.Duration) error {
	if d > 0 && d < MinActivation {
		return &InputError{Msg: fmt.Sprintf("%s is shorter than Azure allows: an activation lasts at least %s.",
			FormatDuration(d), FormatDuration(MinActivation))}
	}
	return nil
}

// checkRequest cleans an activation's text fields in place and refuses what Azure would
// refuse or what would mislead an approver; nothing is sent when it fails (an *InputError:
// the command line exits 2).
func checkRequest(req *pim.ActivateRequest) error {
	req.Justification = cleanText(req.Justification)
	req.TicketNumber = cleanText(req.TicketNumber)
	req.TicketSystem = cleanText(req.TicketSystem)
	for _, f := range []struct {
		name, v string
		max     int
	}{
		{"The justification", req.Justification, MaxJustification},
		{"The ticket number", req.TicketNumber, MaxTicketField},
		{"The ticket system", req.TicketSystem, MaxTicketField},
	} {
		if n := utf8.RuneCountInString(f.v); n > f.max {
			return &InputError{Msg: fmt.Sprintf("%s is %d characters long; at most %d are sent to Azure.", f.name, n, f.max)}
		}
	}
	return nil
}
