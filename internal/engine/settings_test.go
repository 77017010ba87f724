package engine

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pimtray/pimtray/pim"
	"github.com/pimtray/pimtray/store"
)

func TestSettingsFromTheMenuAreWrittenToTheConfigFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.json")
	// A hand-written file, with a comment and a setting the menu doesn't show: both stay.
	hand := `{
  // my favourites
  "favourites": [
    {"key": "` + roleGA.Key() + `", "tenant": "` + roleGA.TenantID + `", "plane": "entra", "role": "Global Administrator", "roleId": "` + roleGA.RoleID + `", "scope": "/"},
    {"key": "` + roleContrib.Key() + `", "tenant": "` + roleContrib.TenantID + `", "plane": "azure", "role": "Contributor", "roleId": "` + roleContrib.RoleID + `", "scope": "` + roleContrib.Scope + `"},
  ],
  "refreshInterval": "7m",
}
`
	if err := os.WriteFile(path, []byte(hand), 0o600); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, withConfigFile(t, path)).start()
	wait := func() { t.Helper(); h.settle() }
	for _, change := range []func() error{
		func() error { return h.e.SetFavouriteDuration(roleGA.Key(), 2*time.Hour) },
		func() error { return h.e.SetFavouriteJustification(roleGA.Key(), "  Daily operations ") },
		func() error { return h.e.SetFavouriteTicket(roleContrib.Key(), "CHG-1", "ServiceNow") },
		func() error { return h.e.SetKeepActiveUntil(roleGA.Key(), "18:00") },
		func() error { return h.e.SetDefaultDuration(4 * time.Hour) },
		func() error { return h.e.SetReminders([]time.Duration{10 * time.Minute}) },
	} {
		if err := change(); err != nil {
			t.Fatal(err)
		}
		wait()
	}
	c, err := store.LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(path); !strings.Contains(string(data), "// my favourites") || c.RefreshInterval.D() != 7*time.Minute {
		t.Errorf("the hand edits are gone:\n%s", data)
	}
	ga, contrib := c.Favourites[0], c.Favourites[1]
	if ga.Duration.D() != 2*time.Hour || ga.Justification != "Daily operations" || ga.KeepActiveUntil != "18:00" {
		t.Errorf("Global Administrator in the file = %+v", ga)
	}
	if contrib.TicketNumber != "CHG-1" || contrib.TicketSystem != "ServiceNow" || contrib.Duration != 0 {
		t.Errorf("Contributor in the file = %+v", contrib)
	}
	if c.DefaultDuration.D() != 4*time.Hour || !slices.Equal(c.Reminders, []store.Duration{store.Duration(10 * time.Minute)}) {
		t.Errorf("file defaultDuration %v reminders %v", c.DefaultDuration, c.Reminders)
	}
	// The snapshot shows them too: the menu's settings lines read from here.
	s := h.e.Snapshot()
	if it := s.Favourites[0]; it.SavedDuration != 2*time.Hour || it.Duration != 2*time.Hour || it.SavedJustification != "Daily operations" || it.KeepActiveUntil != "18:00" {
		t.Errorf("snapshot favourite = %+v", it)
	}
	if it := s.Favourites[1]; it.SavedTicket != "CHG-1" || it.Duration != 4*time.Hour { // the new default, within the 4h max
		t.Errorf("snapshot favourite = %+v", it)
	}
	if s.Settings.DefaultDuration != 4*time.Hour || !slices.Equal(s.Settings.Reminders, []time.Duration{10 * time.Minute}) {
		t.Errorf("snapshot settings = %+v", s.Settings)
	}

	// Clearing: the reason and the ticket go, the keep-alive turns off, reminders off stay off.
	for _, change := range []func() error{
		func() error { return h.e.SetFavouriteJustification(roleGA.Key(), "") },
		func() error { return h.e.SetFavouriteTicket(roleContrib.Key(), "", "ServiceNow") },
		func() error { return h.e.SetKeepActiveUntil(roleGA.Key(), "") },
		func() error { return h.e.SetReminders(nil) },
	} {
		if err := change(); err != nil {
			t.Fatal(err)
		}
		wait()
	}
	if c, err = store.LoadConfig(path); err != nil {
		t.Fatal(err)
	}
	if f := c.Favourites[0]; f.Justification != "" || f.KeepActiveUntil != "" || f.Duration.D() != 2*time.Hour {
		t.Errorf("cleared Global Administrator = %+v", f)
	}
	if f := c.Favourites[1]; f.TicketNumber != "" || f.TicketSystem != "" {
		t.Errorf("cleared Contributor = %+v", f)
	}
	if c.Reminders == nil || len(c.Reminders) != 0 {
		t.Errorf("reminders off came back as %v", c.Reminders)
	}
}

func TestSettingsRefuseWhatCannotWork(t *testing.T) {
	h := newHarness(t, withFavourites(fav(roleContrib))).start()
	h.e.Policy(context.Background(), roleContrib.Key()) // max 4h
	var in *InputError
	if err := h.e.SetFavouriteDuration(roleContrib.Key(), 8*time.Hour); !errors.As(err, &in) {
		t.Errorf("8h over a 4h maximum: %v", err)
	}
	if err := h.e.SetKeepActiveUntil(roleContrib.Key(), "6pm"); !errors.As(err, &in) {
		t.Errorf("keep active until 6pm: %v", err)
	}
	if err := h.e.SetFavouriteJustification(roleSR.Key(), "x"); !errors.Is(err, ErrNotFavourite) {
		t.Errorf("a setting for a role not a favourite: %v", err)
	}
	if err := h.e.SetDefaultDuration(0); !errors.As(err, &in) {
		t.Errorf("default duration 0: %v", err)
	}
	select {
	case c := <-h.saved:
		t.Fatalf("a refused setting was saved: %+v", c)
	default:
	}
}

func TestDurationChoices(t *testing.T) {
	h := time.Hour
	for _, tc := range []struct {
		max  time.Duration
		want []time.Duration
	}{
		{8 * h, []time.Duration{30 * time.Minute, h, 2 * h, 4 * h, 8 * h}},
		{3 * h, []time.Duration{30 * time.Minute, h, 2 * h, 3 * h}},
		{0, []time.Duration{30 * time.Minute, h, 2 * h, 4 * h, 8 * h}},
		{24 * h, []time.Duration{30 * time.Minute, h, 2 * h, 4 * h, 8 * h, 12 * h, 24 * h}},
	} {
		if got := DurationChoices(tc.max); !slices.Equal(got, tc.want) {
			t.Errorf("DurationChoices(%v) = %v, want %v", tc.max, got, tc.want)
		}
	}
	if got := FormatReminders([]time.Duration{15 * time.Minute, 5 * time.Minute}); got != "15m and 5m before the end" {
		t.Errorf("FormatReminders = %q", got)
	}
	if got := FormatReminders(nil); got != "off" {
		t.Errorf("FormatReminders(nil) = %q", got)
	}
}

func TestCancelWithdrawsTheRequestOnly(t *testing.T) {
	h := newHarness(t).start()
	h.e.Activate(roleUA.Key()) // needs approval: pending
	h.stateIs(roleUA, StatePending)
	h.e.Cancel(roleUA.Key())
	s := h.stateIs(roleUA, StateEligible)
	if n, d := h.api.count("cancel"), h.api.count("deactivate"); n != 1 || d != 0 {
		t.Fatalf("%d cancels and %d deactivations, want 1 and 0", n, d)
	}
	if it := item(s, roleUA); it.RequestID != "" {
		t.Errorf("after cancel: %+v", it)
	}
	// Nothing open: Cancel sends nothing, and says so.
	if _, err := h.e.CancelNow(context.Background(), roleUA.Key()); !IsInput(err) {
		t.Errorf("cancel with nothing open: %v", err)
	}
	if n := h.api.count("cancel"); n != 1 {
		t.Errorf("%d cancels, want still 1", n)
	}
	_ = pim.StatusPending
}

func TestNeedsText(t *testing.T) {
	h := time.Hour
	for _, tc := range []struct {
		p    *pim.Policy
		d    time.Duration
		want string
	}{
		{nil, 8 * h, ""},
		{&pim.Policy{MaxDuration: 8 * h, Justification: true}, 8 * h, ""},
		{&pim.Policy{MaxDuration: 4 * h, Ticket: true, Approval: true}, 4 * h, "ticket · approval"},
		{&pim.Policy{MaxDuration: 8 * h, MFA: true}, 2 * h, "MFA"},
		{&pim.Policy{MaxDuration: 8 * h, MFA: true, AuthContext: "c1"}, 8 * h, "auth context"},
	} {
		if got := NeedsText(Item{Policy: tc.p, Duration: tc.d}); got != tc.want {
			t.Errorf("NeedsText(%+v, %v) = %q, want %q", tc.p, tc.d, got, tc.want)
		}
	}
}

// A role activated from here is "recently used" (the menu puts it on top), for
// RecentlyUsedFor; one never activated is not.
func TestActivatedRolesAreRecentlyUsed(t *testing.T) {
	h := newHarness(t).start()
	if it := item(h.e.Snapshot(), roleSR); !it.LastUsed.IsZero() {
		t.Fatalf("never used, LastUsed = %v", it.LastUsed)
	}
	h.e.Activate(roleSR.Key())
	s := h.stateIs(roleSR, StateActive)
	if it := item(s, roleSR); !it.LastUsed.Equal(h.clk.Now()) {
		t.Errorf("LastUsed = %v, want %v", it.LastUsed, h.clk.Now())
	}
	if it := item(s, roleGA); !it.LastUsed.IsZero() {
		t.Errorf("Global Administrator LastUsed = %v", it.LastUsed)
	}
	h.clk.Set(h.clk.Now().Add(RecentlyUsedFor + time.Hour))
	if it := item(h.e.Snapshot(), roleSR); !it.LastUsed.IsZero() {
		t.Errorf("after %v LastUsed = %v, want none", RecentlyUsedFor, it.LastUsed)
	}
}
