package engine

import (
	"context"
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

// Issue 12 item 5: two deactivations side by side — the second finds Azure has no such
// activation any more. For an activation that ran long enough to be deactivated that is
// "deactivated elsewhere", not "Azure has not finished activating it yet".
func TestDeactivatedElsewhereIsNotStillActivating(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.api.activateDirect(roleOwnerIT, h.clk.Now(), 8*time.Hour)
	if err := h.e.RefreshNow(ctx, ""); err != nil {
		t.Fatal(err)
	}
	h.clk.Set(h.clk.Now().Add(10 * time.Minute))
	h.api.set(func(f *fakeAPI) { f.active = nil }) // another process deactivated it
	d, err := h.e.DeactivateNow(ctx, roleOwnerIT.Key())
	if err != nil || !d.NotActive || !d.Gone {
		t.Fatalf("got %+v, %v; want not active any more, no error", d, err)
	}
	if it := item(h.e.Snapshot(), roleOwnerIT); it.State != StateEligible {
		t.Fatalf("item %+v", it)
	}
}

// Issue 12 item 5: an activation Azure does not answer for a while says so in its label
// ("still waiting for Azure…") instead of "activating…" through 30–45 s of retries.
func TestSlowActivationLabelSaysItStillWaits(t *testing.T) {
	h := newHarness(t, withFavourites(fav(roleOwnerIT))).start()
	gate := make(chan struct{})
	entered := make(chan string, 1)
	h.api.set(func(f *fakeAPI) { f.gate, f.entered = gate, entered })
	h.e.Activate(roleOwnerIT.Key())
	<-entered
	s := h.stateIs(roleOwnerIT, StateActivating)
	if l := Label(item(s, roleOwnerIT), s.Now); l != "Owner · IT — activating…" {
		t.Fatalf("label at once: %q", l)
	}
	// The loop notes when it first saw the request in flight; only then does time pass.
	if !h.clk.Wait(liveness, func() bool {
		h.e.mu.Lock()
		defer h.e.mu.Unlock()
		return !h.e.roles.Of(roleOwnerIT.Key()).InFlightSince.IsZero()
	}) {
		t.Fatal("the loop never saw the request in flight")
	}
	h.clk.Set(h.clk.Now().Add(SlowAnswer))
	s = h.waitFor("still waiting", func(s Snapshot) bool { return item(s, roleOwnerIT).Waiting })
	if l := Label(item(s, roleOwnerIT), s.Now); l != "Owner · IT — still waiting for Azure…" {
		t.Fatalf("label after %s: %q", SlowAnswer, l)
	}
	close(gate)
	s = h.stateIs(roleOwnerIT, StateActive)
	if item(s, roleOwnerIT).Waiting {
		t.Fatal("still waiting once active")
	}
}
