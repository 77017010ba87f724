package engine

import (
	"strings"
	"testing"
	"time"
)

func TestLabel(t *testing.T) {
	now := t0
	owner := Item{Key: roleOwnerIT.Key(), Role: roleOwnerIT}
	ga := Item{Key: roleGA.Key(), Role: roleGA}
	ua := Item{Key: roleUA.Key(), Role: roleUA}
	with := func(it Item, f func(*Item)) Item { f(&it); return it }
	tests := []struct {
		name string
		it   Item
		want string
	}{
		{"active hours", with(owner, func(i *Item) { i.State, i.ExpiresAt = StateActive, now.Add(7*time.Hour+42*time.Minute) }), "Owner · IT — 7h 42m left"},
		{"active rounds up", with(owner, func(i *Item) { i.State, i.ExpiresAt = StateActive, now.Add(7*time.Hour+41*time.Minute+1*time.Second) }), "Owner · IT — 7h 42m left"},
		{"active whole hours", with(owner, func(i *Item) { i.State, i.ExpiresAt = StateActive, now.Add(8*time.Hour) }), "Owner · IT — 8h 00m left"},
		{"active minutes", with(owner, func(i *Item) { i.State, i.ExpiresAt = StateActive, now.Add(42*time.Minute) }), "Owner · IT — 42m left"},
		{"active just over two minutes", with(owner, func(i *Item) { i.State, i.ExpiresAt = StateActive, now.Add(2*time.Minute+time.Second) }), "Owner · IT — 3m left"},
		{"active two minutes shows seconds", with(owner, func(i *Item) { i.State, i.ExpiresAt = StateActive, now.Add(2*time.Minute) }), "Owner · IT — 2m 00s left"},
		{"active seconds", with(owner, func(i *Item) { i.State, i.ExpiresAt = StateActive, now.Add(65*time.Second) }), "Owner · IT — 1m 05s left"},
		{"active last seconds", with(owner, func(i *Item) { i.State, i.ExpiresAt = StateActive, now.Add(9*time.Second+time.Millisecond) }), "Owner · IT — 10s left"},
		{"expired reads as eligible", with(owner, func(i *Item) { i.State, i.ExpiresAt, i.Duration = StateActive, now, 8*time.Hour }), "Owner · IT — activate (8h)"},
		{"permanent", with(owner, func(i *Item) { i.State = StateActive }), "Owner · IT — active"},
		{"eligible", with(ga, func(i *Item) { i.State, i.Duration = StateEligible, 8*time.Hour }), "Global Administrator — activate (8h)"},
		{"eligible odd duration", with(ga, func(i *Item) { i.State, i.Duration = StateEligible, 90*time.Minute }), "Global Administrator — activate (1h 30m)"},
		{"pending", with(ua, func(i *Item) { i.State = StatePending }), "User Administrator — pending approval"},
		{"needs sign-in", with(ua, func(i *Item) { i.State = StateNeedsSignIn }), "User Administrator — needs sign-in"},
		{"activating", with(owner, func(i *Item) { i.State = StateActivating }), "Owner · IT — activating…"},
		{"deactivating", with(owner, func(i *Item) { i.State = StateDeactivating }), "Owner · IT — deactivating…"},
		{"failed", with(owner, func(i *Item) { i.State, i.Problem = StateFailed, "boom" }), "Owner · IT — failed, click to retry"},
		{"unknown before refresh", with(owner, func(i *Item) { i.State = StateUnknown }), "Owner · IT — checking…"},
		{"unknown not eligible", with(owner, func(i *Item) { i.State, i.Problem = StateUnknown, "gone" }), "Owner · IT — not eligible"},
		{"other tenant", with(owner, func(i *Item) { i.State, i.Duration, i.TenantName = StateEligible, time.Hour, "Fabrikam" }), "Owner · IT (Fabrikam) — activate (1h)"},
		{"group role", Item{Key: roleMember.Key(), Role: roleMember, State: StateEligible, Duration: 2 * time.Hour}, "Member · PIM-Admins — activate (2h)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Label(tt.it, now); got != tt.want {
				t.Errorf("Label = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		8 * time.Hour: "8h", 90 * time.Minute: "1h 30m", 45 * time.Minute: "45m", 30 * time.Second: "30s",
		0: "0m", 8*time.Hour + 30*time.Second: "8h 1m", 24 * time.Hour: "24h",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestNextTick(t *testing.T) {
	now := t0
	active := func(left time.Duration) Item {
		return Item{Key: "k" + left.String(), Role: roleOwnerIT, State: StateActive, ExpiresAt: now.Add(left)}
	}
	tests := []struct {
		name  string
		items []Item
		want  time.Duration
	}{
		{"nothing counts down: no timer", []Item{{Role: roleGA, State: StateEligible}, {Role: roleUA, State: StatePending}}, 0},
		{"permanent active: no timer", []Item{{Role: roleGA, State: StateActive}}, 0},
		{"expired: no timer", []Item{active(-time.Minute)}, 0},
		{"minutes: until the minute changes", []Item{active(7*time.Hour + 42*time.Minute + 30*time.Second)}, 30 * time.Second},
		{"on a minute boundary: a whole minute", []Item{active(42 * time.Minute)}, time.Minute},
		{"into the seconds window", []Item{active(2*time.Minute + 500*time.Millisecond)}, time.Second}, // 0.5s, clamped
		{"just over three minutes", []Item{active(3*time.Minute + 20*time.Second)}, 20 * time.Second},
		{"seconds: every second", []Item{active(90 * time.Second)}, time.Second},
		{"never under a second", []Item{active(1*time.Minute + 100*time.Millisecond)}, time.Second},
		{"the soonest wins", []Item{active(5 * time.Hour), active(10*time.Minute + 10*time.Second)}, 10 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Snapshot{All: tt.items}
			if got := NextTick(s, now); got != tt.want {
				t.Errorf("NextTick = %v, want %v", got, tt.want)
			}
		})
	}
}

// Following NextTick from a fresh activation, the label changes at every tick and the
// countdown ends exactly at the end: never more often than once a second.
func TestNextTickFollowsLabels(t *testing.T) {
	end := t0.Add(5*time.Minute + 30*time.Second)
	it := Item{Role: roleOwnerIT, State: StateActive, ExpiresAt: end}
	now := t0
	prev := Label(it, now)
	ticks := 0
	for {
		d := NextTick(Snapshot{All: []Item{it}}, now)
		if d == 0 {
			break
		}
		if d < time.Second {
			t.Fatalf("tick of %v at %v", d, now)
		}
		now = now.Add(d)
		l := Label(it, now)
		if l == prev {
			t.Fatalf("label did not change at %v: %q", now.Sub(t0), l)
		}
		prev = l
		ticks++
	}
	if !now.Equal(end) || prev != "Owner · IT — activate" {
		t.Fatalf("ended at %v with %q", now.Sub(t0), prev)
	}
	// 4 minute ticks (5m30s → "6m", "5m", "4m", "3m"), then 120 second ticks.
	if ticks != 4+120 {
		t.Fatalf("ticks = %d", ticks)
	}
}

func TestIcon(t *testing.T) {
	now := t0
	signedIn := []Account{{TenantID: tenantA, SignedIn: true}}
	act := func(left time.Duration) Item { return Item{State: StateActive, ExpiresAt: now.Add(left)} }
	tests := []struct {
		name     string
		items    []Item
		accounts []Account
		want     IconState
	}{
		{"idle", []Item{{State: StateEligible}}, signedIn, IconIdle},
		{"active", []Item{act(time.Hour)}, signedIn, IconActive},
		{"permanent active", []Item{{State: StateActive}}, signedIn, IconActive},
		{"expired is idle", []Item{act(-time.Second)}, signedIn, IconIdle},
		{"pending beats active", []Item{act(time.Hour), {State: StatePending}}, signedIn, IconPending},
		{"expiring beats pending", []Item{act(10 * time.Minute), {State: StatePending}}, signedIn, IconExpiring},
		{"failure beats expiring", []Item{act(10 * time.Minute), {State: StateFailed}}, signedIn, IconAttention},
		{"needs sign-in", []Item{{State: StateNeedsSignIn}}, signedIn, IconAttention},
		{"signed out account", []Item{act(time.Hour)}, []Account{{TenantID: tenantA}}, IconAttention},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Icon(tt.items, tt.accounts, now, 15*time.Minute); got != tt.want {
				t.Errorf("Icon = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestTooltipAndHeader(t *testing.T) {
	now := t0
	s := Snapshot{
		Accounts: []Account{{TenantID: tenantA, TenantName: "Contoso", User: "admin@contoso.example", SignedIn: true}},
		All: []Item{
			{Role: roleOwnerIT, State: StateActive, ExpiresAt: now.Add(42 * time.Minute)},
			{Role: roleGA, State: StateActive, ExpiresAt: now.Add(3 * time.Hour)},
			{Role: roleUA, State: StatePending},
		},
	}
	if got, want := Tooltip(s, now), "pimtray — 2 active; Owner · IT ends in 42m; 1 pending approval"; got != want {
		t.Errorf("Tooltip = %q, want %q", got, want)
	}
	if got, want := Header(s), "admin@contoso.example · Contoso"; got != want {
		t.Errorf("Header = %q, want %q", got, want)
	}
	s.Demo = true
	if got := Tooltip(s, now); !strings.HasPrefix(got, "pimtray DEMO — ") {
		t.Errorf("demo tooltip = %q", got)
	}
	if got := Header(s); !strings.HasSuffix(got, "— DEMO") {
		t.Errorf("demo header = %q", got)
	}
	empty := Snapshot{Accounts: []Account{{TenantID: tenantA}}}
	if got, want := Tooltip(empty, now), "pimtray — sign in needed; nothing active"; got != want {
		t.Errorf("Tooltip = %q, want %q", got, want)
	}
	if got, want := Header(empty), "Sign in…"; got != want {
		t.Errorf("Header = %q, want %q", got, want)
	}
}
