package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/pimtray/pimtray/pim"
)

func TestCleanText(t *testing.T) {
	for in, want := range map[string]string{
		"patch night":                         "patch night",
		"  two\nlines\r\n and a\ttab ":        "two lines and a tab",
		"\x1b[1;31mred\x1b[0m text":           "red text",
		"title\x1b]0;pwned\x07 set":           "title set",
		"bell\x07 and nul\x00 and del\x7f":    "bell and nul and del",
		"right-to-left \u202eevil\u202c":      "right-to-left evil",
		"C1 \u009b31mcsi":                     "C1 csi",
		"bad utf-8 \xff":                      "bad utf-8 \uFFFD",
		"emoji 👩‍💻 stays":                     "emoji 👩‍💻 stays",
		"\u2028line separator\u2029paragraph": "line separator paragraph",
	} {
		if got := cleanText(in); got != want {
			t.Errorf("cleanText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCheckRequest(t *testing.T) {
	ok := pim.ActivateRequest{Justification: strings.Repeat("é", MaxJustification), TicketNumber: strings.Repeat("1", MaxTicketField)}
	if err := checkRequest(&ok); err != nil {
		t.Errorf("at the limits: %v", err)
	}
	for _, r := range []pim.ActivateRequest{
		{Justification: strings.Repeat("a", MaxJustification+1)},
		{TicketNumber: strings.Repeat("1", MaxTicketField+1)},
		{TicketSystem: strings.Repeat("s", MaxTicketField+1)},
	} {
		if err := checkRequest(&r); !IsInput(err) {
			t.Errorf("over a limit: %v", err)
		}
	}
	if err := checkDuration(4*time.Minute + 59*time.Second); !IsInput(err) {
		t.Errorf("under five minutes: %v", err)
	}
	if err := checkDuration(MinActivation); err != nil {
		t.Errorf("five minutes: %v", err)
	}
}
