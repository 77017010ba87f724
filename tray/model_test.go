package tray

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pimtray/pimtray/internal/engine"
	"github.com/pimtray/pimtray/pim"
)

var t0 = time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)

const (
	contoso  = "contoso-tenant"
	fabrikam = "fabrikam-tenant"
)

func role(plane pim.Plane, tenant, name, scopeType, scopeName string) pim.Role {
	scope := "/" + scopeType + "/" + scopeName
	if scopeType == pim.ScopeDirectory {
		scope = "/"
	}
	return pim.Role{Plane: plane, TenantID: tenant, RoleID: strings.ToLower(name), RoleName: name,
		Scope: scope, ScopeName: scopeName, ScopeType: scopeType}
}

var (
	rGlobalAdmin = role(pim.PlaneEntra, contoso, "Global Administrator", pim.ScopeDirectory, "Directory")
	rUserAdmin   = role(pim.PlaneEntra, contoso, "User Administrator", pim.ScopeDirectory, "Directory")
	rOwnerIT     = role(pim.PlaneAzure, contoso, "Owner", pim.ScopeManagementGroup, "IT")
	rContribSub  = role(pim.PlaneAzure, contoso, "Contributor", pim.ScopeSubscription, "MySubscription")
	rAKSSub      = role(pim.PlaneAzure, contoso, "AKS Contributor", pim.ScopeSubscription, "MySubscription")
	rContribRG   = role(pim.PlaneAzure, contoso, "Contributor", pim.ScopeResourceGroup, "rg-web")
	rOwnerRG     = role(pim.PlaneAzure, contoso, "Owner", pim.ScopeResourceGroup, "rg-web")
	rMember      = role(pim.PlaneGroup, contoso, "Member", pim.ScopeGroup, "PIM-Admins")
	rReaderFab   = role(pim.PlaneAzure, fabrikam, "Reader", pim.ScopeSubscription, "Prod")
)

func itemOf(r pim.Role, state engine.ItemState) engine.Item {
	return engine.Item{Key: r.Key(), Role: r, State: state, Duration: 8 * time.Hour}
}

func activeUntil(r pim.Role, end time.Time) engine.Item {
	it := itemOf(r, engine.StateActive)
	it.ExpiresAt = end
	return it
}

func failed(it engine.Item, problem string) engine.Item {
	it.Problem = problem
	return it
}

func startedAt(it engine.Item, t time.Time) engine.Item {
	it.StartsAt = t
	return it
}

func fav(it engine.Item) engine.Item {
	it.Favourite = true
	return it
}

var signedIn = engine.Account{TenantID: contoso, TenantName: "Contoso", User: "admin@contoso.example", SignedIn: true, Storage: "keyring"}

// testLabel stands in for engine.Label: the model's structure is tested here, the label
// wording in engine. It shows the seconds left so ticks change it.
func testLabel(it engine.Item, now time.Time) string {
	s := it.Role.Label() + " — " + string(it.State)
	if it.State == engine.StateActive && !it.ExpiresAt.IsZero() {
		s += fmt.Sprintf(" %v", it.ExpiresAt.Sub(now))
	}
	return s
}

func env() menuEnv { return menuEnv{label: testLabel, loc: time.UTC} }

// dump draws a menu one entry a line, indented by depth, with what a click does:
//
//	Title [disabled] [x] -> activate <role>
func dump(entries []entry) string {
	var b strings.Builder
	var walk func(es []entry, depth int)
	walk = func(es []entry, depth int) {
		for _, e := range es {
			b.WriteString(strings.Repeat("  ", depth))
			if e.kind == kindSeparator {
				b.WriteString("---\n")
				continue
			}
			b.WriteString(e.title)
			if e.kind == kindCheckbox {
				if e.checked {
					b.WriteString(" [x]")
				} else {
					b.WriteString(" [ ]")
				}
			}
			if e.disabled {
				b.WriteString(" [disabled]")
			}
			if a := describe(e.action); a != "" {
				b.WriteString(" -> " + a)
			}
			b.WriteString("\n")
			walk(e.children, depth+1)
		}
	}
	walk(entries, 0)
	return b.String()
}

func describe(a action) string {
	name := map[actionKind]string{
		actActivate: "activate", actDeactivate: "deactivate", actActivateFavourites: "activate-favourites",
		actToggleFavourite: "toggle-favourite", actRefresh: "refresh", actSignIn: "sign-in", actSignOut: "sign-out",
		actToggleAutostart: "toggle-autostart", actOpenConfig: "open-config", actOpenLog: "open-log", actQuit: "quit",
		actApprove: "approve", actDeny: "deny", actActivateAt: "activate-at", actCancel: "cancel", actLoadRecent: "load-recent",
		actReactivate: "reactivate", actFindRole: "find-role", actAddFavourite: "add-favourite",
		actFavouriteSettings: "favourite-settings", actDefaultDuration: "default-duration", actReminders: "reminders", actToggleDaily: "toggle-daily",
	}[a.kind]
	var args []string
	if a.key != "" {
		// Keys are long; the role's label says the same.
		for _, r := range []pim.Role{rGlobalAdmin, rUserAdmin, rOwnerIT, rContribSub, rAKSSub, rContribRG, rOwnerRG, rMember, rReaderFab} {
			if r.Key() == a.key {
				args = append(args, r.Label())
			}
		}
	}
	if a.tenant != "" {
		args = append(args, a.tenant)
	}
	if a.kind == actApprove || a.kind == actDeny {
		args = append(args, a.key)
	}
	if a.kind == actSignIn && a.tenant == "" {
		args = append(args, `""`)
	}
	return strings.TrimSpace(name + " " + strings.Join(args, " "))
}

type buildMenuCase struct {
	name string
	snap engine.Snapshot
	env  menuEnv
	want string
}

func buildMenuCases() []buildMenuCase {
	autostartOn := true
	return []buildMenuCase{
		{
			name: "first start: not configured, nothing known",
			snap: engine.Snapshot{},
			want: `
Sign in… -> sign-in ""
---
No favourites yet: tick roles under “Favourites” [disabled]
Activate all favourites [disabled] -> activate-favourites
All eligible roles
  No eligible roles [disabled]
Favourites
  No eligible roles [disabled]
Settings
  Default duration: 8h… [disabled] -> default-duration
  Reminders: off… [disabled] -> reminders
---
Refresh -> refresh
---
Quit -> quit
`,
		},
		{
			name: "signed out: the core's header signs in to that tenant",
			snap: engine.Snapshot{
				Header:     "Sign in…",
				Accounts:   []engine.Account{{TenantID: contoso, TenantName: "Contoso"}},
				Favourites: []engine.Item{fav(itemOf(rGlobalAdmin, engine.StateNeedsSignIn))},
				All:        []engine.Item{fav(itemOf(rGlobalAdmin, engine.StateNeedsSignIn))},
			},
			want: `
Sign in… -> sign-in contoso-tenant
---
Global Administrator — needs-sign-in -> activate Global Administrator
Activate all favourites -> activate-favourites
All eligible roles
  Entra ID · Contoso [disabled]
  Global Administrator — needs-sign-in -> activate Global Administrator
Favourites
  Entra ID · Contoso [disabled]
  Global Administrator [x] -> toggle-favourite Global Administrator
Settings
  Global Administrator: default duration… [disabled] -> favourite-settings Global Administrator
  ---
  Default duration: 8h… [disabled] -> default-duration
  Reminders: off… [disabled] -> reminders
---
Refresh -> refresh
---
Quit -> quit
`,
		},
		{
			name: "favourites in every state",
			snap: engine.Snapshot{
				Header:   "admin@contoso.example · Contoso",
				Accounts: []engine.Account{signedIn},
				Favourites: []engine.Item{
					fav(itemOf(rGlobalAdmin, engine.StateEligible)),
					fav(activeUntil(rOwnerIT, t0.Add(7*time.Hour+42*time.Minute))),
					fav(itemOf(rUserAdmin, engine.StatePending)),
					fav(itemOf(rContribSub, engine.StateActivating)),
					fav(itemOf(rAKSSub, engine.StateDeactivating)),
					fav(failed(itemOf(rContribRG, engine.StateFailed), "Azure refused: the ticket number is missing.")),
					fav(startedAt(activeUntil(rOwnerRG, t0.Add(time.Hour)), t0.Add(-2*time.Minute))),
					fav(itemOf(rMember, engine.StateUnknown)),
				},
			},
			want: `
admin@contoso.example · Contoso [disabled]
---
Global Administrator — eligible -> activate Global Administrator
Owner · IT — active 7h42m0s
  Ends at 16:42 [disabled]
  Re-activate now -> reactivate Owner · IT
  Deactivate -> deactivate Owner · IT
User Administrator — pending
  Waiting for approval [disabled]
  Cancel request -> cancel User Administrator
Contributor · MySubscription — activating [disabled]
AKS Contributor · MySubscription — deactivating [disabled]
Contributor · rg-web — failed -> activate Contributor · rg-web
    ↳ Azure refused: the ticket number is missing. [disabled]
Owner · rg-web — active 1h0m0s
  Ends at 10:00 [disabled]
  Re-activate now -> reactivate Owner · rg-web
  Deactivate (available at 09:03) [disabled] -> deactivate Owner · rg-web
Member · PIM-Admins — unknown [disabled]
Activate all favourites -> activate-favourites
All eligible roles
  No eligible roles [disabled]
Favourites
  Entra ID · Contoso [disabled]
  Global Administrator [x] -> toggle-favourite Global Administrator
  User Administrator [x] -> toggle-favourite User Administrator
  ---
  Azure · IT (management group) [disabled]
  Owner · IT [x] -> toggle-favourite Owner · IT
  ---
  Azure · MySubscription (subscription) [disabled]
  Contributor · MySubscription [x] -> toggle-favourite Contributor · MySubscription
  AKS Contributor · MySubscription [x] -> toggle-favourite AKS Contributor · MySubscription
  ---
  Azure · rg-web (resource group) [disabled]
  Contributor · rg-web [x] -> toggle-favourite Contributor · rg-web
  Owner · rg-web [x] -> toggle-favourite Owner · rg-web
  ---
  Groups · PIM-Admins [disabled]
  Member · PIM-Admins [x] -> toggle-favourite Member · PIM-Admins
Settings
  Global Administrator: default duration… [disabled] -> favourite-settings Global Administrator
  Owner · IT: default duration… [disabled] -> favourite-settings Owner · IT
  User Administrator: default duration… [disabled] -> favourite-settings User Administrator
  Contributor · MySubscription: default duration… [disabled] -> favourite-settings Contributor · MySubscription
  AKS Contributor · MySubscription: default duration… [disabled] -> favourite-settings AKS Contributor · MySubscription
  Contributor · rg-web: default duration… [disabled] -> favourite-settings Contributor · rg-web
  Owner · rg-web: default duration… [disabled] -> favourite-settings Owner · rg-web
  Member · PIM-Admins: default duration… [disabled] -> favourite-settings Member · PIM-Admins
  ---
  Default duration: 8h… [disabled] -> default-duration
  Reminders: off… [disabled] -> reminders
---
Refresh -> refresh
Sign out -> sign-out contoso-tenant
---
Quit -> quit
`,
		},
		{
			name: "an active role past its end can be activated again before the next snapshot",
			snap: engine.Snapshot{
				Accounts:   []engine.Account{signedIn},
				Favourites: []engine.Item{fav(activeUntil(rOwnerIT, t0.Add(-time.Second)))},
				All:        []engine.Item{fav(activeUntil(rOwnerIT, t0.Add(-time.Second)))},
			},
			want: `
admin@contoso.example · Contoso [disabled]
---
Owner · IT — active -1s -> activate Owner · IT
Activate all favourites -> activate-favourites
All eligible roles
  Azure · IT (management group) [disabled]
  Owner · IT — active -1s -> activate Owner · IT
Favourites
  Azure · IT (management group) [disabled]
  Owner · IT [x] -> toggle-favourite Owner · IT
Settings
  Owner · IT: default duration… [disabled] -> favourite-settings Owner · IT
  ---
  Default duration: 8h… [disabled] -> default-duration
  Reminders: off… [disabled] -> reminders
---
Refresh -> refresh
Sign out -> sign-out contoso-tenant
---
Quit -> quit
`,
		},
		{
			name: "all eligible roles grouped by plane, then scope",
			snap: engine.Snapshot{
				Demo:     true,
				Accounts: []engine.Account{signedIn},
				All: []engine.Item{ // planes out of display order: the menu still shows Entra, Azure, Groups
					itemOf(rMember, engine.StateEligible),
					itemOf(rContribSub, engine.StatePending),
					itemOf(rAKSSub, engine.StateActivating),
					itemOf(rOwnerIT, engine.StateDeactivating),
					activeUntil(rContribRG, time.Time{}),
					itemOf(rGlobalAdmin, engine.StateEligible),
				},
			},
			want: `
DEMO · admin@contoso.example · Contoso [disabled]
---
No favourites yet: tick roles under “Favourites” [disabled]
---
Contributor · MySubscription — pending
  Waiting for approval [disabled]
  Cancel request -> cancel Contributor · MySubscription
AKS Contributor · MySubscription — activating [disabled]
Owner · IT — deactivating [disabled]
Contributor · rg-web — active
  Active, with no end [disabled]
  Re-activate now -> reactivate Contributor · rg-web
  Deactivate -> deactivate Contributor · rg-web
Activate all favourites [disabled] -> activate-favourites
All eligible roles
  Entra ID · Contoso [disabled]
  Global Administrator — eligible -> activate Global Administrator
  ---
  Azure · MySubscription (subscription) [disabled]
  Contributor · MySubscription — pending [disabled]
  AKS Contributor · MySubscription — activating [disabled]
  ---
  Azure · IT (management group) [disabled]
  Owner · IT — deactivating [disabled]
  ---
  Azure · rg-web (resource group) [disabled]
  Contributor · rg-web — active
  ---
  Groups · PIM-Admins [disabled]
  Member · PIM-Admins — eligible -> activate Member · PIM-Admins
Favourites
  Entra ID · Contoso [disabled]
  Global Administrator [ ] -> toggle-favourite Global Administrator
  ---
  Azure · MySubscription (subscription) [disabled]
  Contributor · MySubscription [ ] -> toggle-favourite Contributor · MySubscription
  AKS Contributor · MySubscription [ ] -> toggle-favourite AKS Contributor · MySubscription
  ---
  Azure · IT (management group) [disabled]
  Owner · IT [ ] -> toggle-favourite Owner · IT
  ---
  Azure · rg-web (resource group) [disabled]
  Contributor · rg-web [ ] -> toggle-favourite Contributor · rg-web
  ---
  Groups · PIM-Admins [disabled]
  Member · PIM-Admins [ ] -> toggle-favourite Member · PIM-Admins
Settings
  Default duration: 8h… [disabled] -> default-duration
  Reminders: off… [disabled] -> reminders
---
Refresh -> refresh
Sign out -> sign-out contoso-tenant
---
Quit -> quit
`,
		},
		{
			name: "offline, plane problems, refreshing, sign-in kept in memory",
			snap: engine.Snapshot{
				Header:     "admin@contoso.example · Contoso",
				Accounts:   []engine.Account{{TenantID: contoso, TenantName: "Contoso", User: "admin@contoso.example", SignedIn: true, Storage: "memory"}},
				Offline:    true,
				Refreshing: true,
				Problems: []engine.PlaneProblem{
					{TenantID: contoso, Plane: pim.PlaneGroup, Message: "Groups: admin consent needed — see README"},
					{TenantID: contoso, Plane: pim.PlaneAzure, Message: "Azure: could not be reached"},
				},
			},
			want: `
admin@contoso.example · Contoso [disabled]
Sign-in not remembered: keyring unavailable [disabled]
Offline: showing the last known state [disabled]
Groups: admin consent needed — see README [disabled]
Azure: could not be reached [disabled]
---
No favourites yet: tick roles under “Favourites” [disabled]
Activate all favourites [disabled] -> activate-favourites
All eligible roles
  No eligible roles [disabled]
Favourites
  No eligible roles [disabled]
Settings
  Default duration: 8h… [disabled] -> default-duration
  Reminders: off… [disabled] -> reminders
---
Refreshing… [disabled] -> refresh
Sign out -> sign-out contoso-tenant
---
Quit -> quit
`,
		},
		{
			name: "several tenants",
			snap: engine.Snapshot{
				Header: "admin@contoso.example · Contoso",
				Accounts: []engine.Account{
					signedIn,
					{TenantID: fabrikam, TenantName: "Fabrikam"},
					{TenantID: "third-tenant"},
				},
				All: []engine.Item{itemOf(rOwnerIT, engine.StateEligible), itemOf(rReaderFab, engine.StateNeedsSignIn)},
			},
			want: `
admin@contoso.example · Contoso [disabled]
---
No favourites yet: tick roles under “Favourites” [disabled]
Activate all favourites [disabled] -> activate-favourites
All eligible roles
  Azure · IT (management group) · Contoso [disabled]
  Owner · IT — eligible -> activate Owner · IT
  ---
  Azure · Prod (subscription) · Fabrikam [disabled]
  Reader · Prod — needs-sign-in -> activate Reader · Prod
Favourites
  Azure · IT (management group) · Contoso [disabled]
  Owner · IT [ ] -> toggle-favourite Owner · IT
  ---
  Azure · Prod (subscription) · Fabrikam [disabled]
  Reader · Prod [ ] -> toggle-favourite Reader · Prod
Settings
  Default duration: 8h… [disabled] -> default-duration
  Reminders: off… [disabled] -> reminders
---
Refresh -> refresh
Sign out of Contoso -> sign-out contoso-tenant
Sign in to Fabrikam… -> sign-in fabrikam-tenant
Sign in to third-tenant… -> sign-in third-tenant
---
Quit -> quit
`,
		},
		{
			name: "start at login, configuration and log",
			snap: engine.Snapshot{Header: "Sign in…"},
			env:  menuEnv{label: testLabel, autostart: &autostartOn, openConfig: true, openLog: true},
			want: `
Sign in… -> sign-in ""
---
No favourites yet: tick roles under “Favourites” [disabled]
Activate all favourites [disabled] -> activate-favourites
All eligible roles
  No eligible roles [disabled]
Favourites
  No eligible roles [disabled]
Settings
  Default duration: 8h… [disabled] -> default-duration
  Reminders: off… [disabled] -> reminders
---
Refresh -> refresh
---
Start at login [x] -> toggle-autostart
Open configuration -> open-config
Open log -> open-log
---
Quit -> quit
`,
		},
		{
			name: "the version above Quit",
			snap: engine.Snapshot{Header: "Sign in…"},
			env:  menuEnv{label: testLabel, openLog: true, about: "pimtray v1.2.3"},
			want: `
Sign in… -> sign-in ""
---
No favourites yet: tick roles under “Favourites” [disabled]
Activate all favourites [disabled] -> activate-favourites
All eligible roles
  No eligible roles [disabled]
Favourites
  No eligible roles [disabled]
Settings
  Default duration: 8h… [disabled] -> default-duration
  Reminders: off… [disabled] -> reminders
---
Refresh -> refresh
---
Open log -> open-log
pimtray v1.2.3 [disabled]
---
Quit -> quit
`,
		},
	}
}

func TestBuildMenu(t *testing.T) {
	for _, tc := range buildMenuCases() {
		t.Run(tc.name, func(t *testing.T) {
			e := tc.env
			if e.label == nil {
				e = env()
			}
			got := dump(buildMenu(tc.snap, t0, e))
			if want := strings.TrimPrefix(tc.want, "\n"); got != want {
				t.Errorf("menu:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestBuildMenuHeaderWithoutCoreHeader(t *testing.T) {
	tests := []struct {
		name string
		snap engine.Snapshot
		want string
	}{
		{"signed in", engine.Snapshot{Accounts: []engine.Account{signedIn}}, "admin@contoso.example · Contoso [disabled]"},
		{"demo", engine.Snapshot{Demo: true, Accounts: []engine.Account{signedIn}}, "DEMO · admin@contoso.example · Contoso [disabled]"},
		{"demo signed out", engine.Snapshot{Demo: true, Accounts: []engine.Account{{TenantID: contoso}}}, "DEMO · Sign in… -> sign-in contoso-tenant"},
		{"no tenant name", engine.Snapshot{Accounts: []engine.Account{{TenantID: contoso, SignedIn: true}}}, "contoso-tenant [disabled]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := strings.SplitN(dump(buildMenu(tc.snap, t0, env())), "\n", 2)[0]
			if got != tc.want {
				t.Errorf("header = %q, want %q", got, tc.want)
			}
		})
	}
}

// Ids must be unique, or a countdown tick would retitle the wrong item.
func TestBuildMenuIDsAreUnique(t *testing.T) {
	s := engine.Snapshot{
		Accounts:   []engine.Account{signedIn, {TenantID: fabrikam}},
		Favourites: []engine.Item{fav(activeUntil(rOwnerIT, t0.Add(time.Hour))), fav(itemOf(rGlobalAdmin, engine.StateEligible))},
		All: []engine.Item{itemOf(rGlobalAdmin, engine.StateEligible), activeUntil(rOwnerIT, t0.Add(time.Hour)),
			itemOf(rContribSub, engine.StateEligible), itemOf(rAKSSub, engine.StateEligible), itemOf(rReaderFab, engine.StateEligible)},
		Problems: []engine.PlaneProblem{{Message: "a"}, {Message: "b"}},
	}
	on := false
	seen := map[string]bool{}
	var walk func([]entry)
	walk = func(es []entry) {
		for _, e := range es {
			if seen[e.id] {
				t.Errorf("duplicate id %q", e.id)
			}
			seen[e.id] = true
			walk(e.children)
		}
	}
	walk(buildMenu(s, t0, menuEnv{label: testLabel, autostart: &on, openConfig: true, openLog: true}))
	for _, tc := range buildMenuCases() {
		clear(seen)
		walk(buildMenu(tc.snap, t0, env()))
	}
}

// No menu path is deeper than two levels (top level, one submenu): some tray hosts draw a
// third level empty.
func TestMenuIsAtMostTwoLevelsDeep(t *testing.T) {
	on := true
	busy := engine.Snapshot{ // every state, several tenants, problems, everything offered
		Accounts: []engine.Account{signedIn, {TenantID: fabrikam, TenantName: "Fabrikam", SignedIn: true}},
		Favourites: []engine.Item{fav(activeUntil(rOwnerIT, t0.Add(time.Hour))), fav(itemOf(rGlobalAdmin, engine.StateEligible)),
			fav(itemOf(rUserAdmin, engine.StatePending)), fav(itemOf(rMember, engine.StateUnknown))},
		All: []engine.Item{fav(itemOf(rGlobalAdmin, engine.StateEligible)), fav(itemOf(rUserAdmin, engine.StatePending)),
			fav(activeUntil(rOwnerIT, t0.Add(time.Hour))), itemOf(rContribSub, engine.StateActivating),
			activeUntil(rAKSSub, t0.Add(time.Minute)), itemOf(rContribRG, engine.StateFailed), itemOf(rReaderFab, engine.StateNeedsSignIn)},
		Problems: []engine.PlaneProblem{{Message: "Groups: admin consent needed — see README"}},
		Offline:  true,
	}
	cases := buildMenuCases()
	cases = append(cases, buildMenuCase{name: "busy", snap: busy, env: menuEnv{label: testLabel, autostart: &on, openConfig: true, openLog: true}})
	for _, tc := range cases {
		e := tc.env
		if e.label == nil {
			e = env()
		}
		var walk func(es []entry, path []string)
		walk = func(es []entry, path []string) {
			for _, x := range es {
				p := append(path, x.title)
				if len(p) > maxMenuDepth {
					t.Errorf("%s: %q is %d levels deep, at most %d allowed", tc.name, strings.Join(p, " ▸ "), len(p), maxMenuDepth)
				}
				walk(x.children, p)
			}
		}
		walk(buildMenu(tc.snap, t0, e), nil)
	}
}

func TestMenuUpdates(t *testing.T) {
	snap := engine.Snapshot{
		Accounts: []engine.Account{signedIn},
		Favourites: []engine.Item{fav(activeUntil(rOwnerIT, t0.Add(90*time.Second))), fav(itemOf(rGlobalAdmin, engine.StateEligible)),
			fav(itemOf(rContribSub, engine.StateActivating)), fav(itemOf(rContribRG, engine.StateFailed))},
		All: []engine.Item{fav(itemOf(rGlobalAdmin, engine.StateEligible)), fav(activeUntil(rOwnerIT, t0.Add(90*time.Second))),
			fav(itemOf(rContribSub, engine.StateActivating)), fav(itemOf(rContribRG, engine.StateFailed))},
	}
	before := buildMenu(snap, t0, env())
	with := func(f func(s *engine.Snapshot)) engine.Snapshot {
		s := snap
		s.Favourites, s.All, s.Accounts = slices.Clone(snap.Favourites), slices.Clone(snap.All), slices.Clone(snap.Accounts)
		f(&s)
		return s
	}
	// describeUpdates draws the updates one a line: "id: title, [disabled], [x]".
	describeUpdates := func(ups []entryUpdate) []string {
		var out []string
		for _, u := range ups {
			l := u.cur.id + ": " + u.cur.title
			if u.cur.disabled {
				l += " [disabled]"
			}
			if u.cur.kind == kindCheckbox && u.cur.checked {
				l += " [x]"
			}
			out = append(out, l)
		}
		return out
	}
	on, off := true, false
	tests := []struct {
		name   string
		snap   engine.Snapshot
		now    time.Time
		env    menuEnv
		before []entry // default: before
		want   []string
		same   bool
	}{
		{name: "nothing changes, nothing to update", snap: snap, now: t0, same: true},
		{
			name: "a tick retitles only the countdowns", snap: snap, now: t0.Add(time.Second), same: true,
			want: []string{"fav/" + rOwnerIT.Key() + ": Owner · IT — active 1m29s", "all/" + rOwnerIT.Key() + ": Owner · IT — active 1m29s"},
		},
		{
			name: "a request ending retitles and enables the role in place", same: true, now: t0,
			snap: with(func(s *engine.Snapshot) {
				s.Favourites[2].State, s.All[2].State = engine.StateEligible, engine.StateEligible
			}),
			want: []string{"fav/" + rContribSub.Key() + ": Contributor · MySubscription — eligible",
				"all/" + rContribSub.Key() + ": Contributor · MySubscription — eligible"},
		},
		{
			name: "a failed role retried and in flight is greyed out in place", same: true, now: t0,
			snap: with(func(s *engine.Snapshot) {
				s.Favourites[3].State, s.All[3].State = engine.StateActivating, engine.StateActivating
			}),
			want: []string{"fav/" + rContribRG.Key() + ": Contributor · rg-web — activating [disabled]",
				"all/" + rContribRG.Key() + ": Contributor · rg-web — activating [disabled]"},
		},
		{
			name: "refreshing greys Refresh out in place", same: true, now: t0,
			snap: with(func(s *engine.Snapshot) { s.Refreshing = true }),
			want: []string{"refresh: Refreshing… [disabled]"},
		},
		{
			name: "start at login ticked in place", same: true, now: t0, snap: snap,
			before: buildMenu(snap, t0, menuEnv{label: testLabel, autostart: &off}),
			env:    menuEnv{label: testLabel, autostart: &on},
			want:   []string{"autostart: Start at login [x]"},
		},
		{
			name: "the end of a countdown needs a rebuild", snap: snap, now: t0.Add(91 * time.Second),
			// Past its end the favourite is clickable again and loses its Deactivate submenu.
		},
		{
			name: "a favourite less needs a rebuild", now: t0,
			snap: with(func(s *engine.Snapshot) { s.Favourites = s.Favourites[:1] }),
		},
		{
			name: "an activation needs a rebuild (the role gets a submenu)", now: t0,
			snap: with(func(s *engine.Snapshot) {
				s.Favourites[3], s.All[3] = fav(activeUntil(rContribRG, t0.Add(time.Hour))), fav(activeUntil(rContribRG, t0.Add(time.Hour)))
			}),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := tc.env
			if e.label == nil {
				e = env()
			}
			old := tc.before
			if old == nil {
				old = before
			}
			ups, same := menuUpdates(old, buildMenu(tc.snap, tc.now, e))
			if same != tc.same {
				t.Fatalf("same shape = %v, want %v", same, tc.same)
			}
			if got := describeUpdates(ups); !slices.Equal(got, tc.want) {
				t.Errorf("updates:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestTickDelay(t *testing.T) {
	tests := []struct {
		next   time.Duration
		want   time.Duration
		wantOK bool
	}{
		{0, 0, false}, // nothing counts down: no timer at all
		{-time.Second, 0, false},
		{time.Nanosecond, time.Second, true}, // never more than once a second
		{300 * time.Millisecond, time.Second, true},
		{time.Second, time.Second, true},
		{42 * time.Second, 42 * time.Second, true},
		{time.Minute, time.Minute, true},
	}
	for _, tc := range tests {
		got, ok := tickDelay(tc.next)
		if got != tc.want || ok != tc.wantOK {
			t.Errorf("tickDelay(%v) = %v, %v; want %v, %v", tc.next, got, ok, tc.want, tc.wantOK)
		}
	}
}

// The default wake-up schedule is engine.NextTick: none when nothing counts down.
func TestDefaultTickSchedule(t *testing.T) {
	o := Options{}.withDefaults()
	idle := engine.Snapshot{Favourites: []engine.Item{itemOf(rGlobalAdmin, engine.StateEligible), itemOf(rUserAdmin, engine.StatePending)}}
	if d, ok := tickDelay(o.NextTick(idle, t0)); ok {
		t.Errorf("nothing counts down, yet a timer of %v would be set", d)
	}
	counting := engine.Snapshot{Favourites: []engine.Item{activeUntil(rOwnerIT, t0.Add(90*time.Second))}}
	d, ok := tickDelay(o.NextTick(counting, t0))
	if !ok || d < time.Second || d > time.Minute {
		t.Errorf("a countdown in seconds gives timer %v, %v; want between 1s and 1m", d, ok)
	}
	if got := o.Label(itemOf(rGlobalAdmin, engine.StateEligible), t0); !strings.HasPrefix(got, "Global Administrator") {
		t.Errorf("default label = %q, want it to name the role", got)
	}
	if now := o.Now(); time.Since(now).Abs() > time.Minute {
		t.Errorf("default clock says %v", now)
	}
}

func TestIconFor(t *testing.T) {
	icons := Icons{Idle: []byte("idle"), Active: []byte("active"), Expiring: []byte("expiring"), Pending: []byte("pending"), Attention: []byte("attention")}
	tests := []struct {
		icons Icons
		state engine.IconState
		want  string
	}{
		{icons, engine.IconIdle, "idle"},
		{icons, engine.IconActive, "active"},
		{icons, engine.IconExpiring, "expiring"},
		{icons, engine.IconPending, "pending"},
		{icons, engine.IconAttention, "attention"},
		{icons, "", "idle"},
		{icons, "something-new", "idle"},
		{Icons{Idle: []byte("idle")}, engine.IconAttention, "idle"}, // missing icon: idle
	}
	for _, tc := range tests {
		if got := string(iconFor(tc.icons, tc.state)); got != tc.want {
			t.Errorf("iconFor(%q) = %q, want %q", tc.state, got, tc.want)
		}
	}
}

func TestSectionTitle(t *testing.T) {
	tests := []struct {
		r       pim.Role
		tenant  string
		several bool
		want    string
	}{
		{rGlobalAdmin, "Contoso", false, "Entra ID · Contoso"},
		{rGlobalAdmin, "", false, "Entra ID · Directory"},
		{rOwnerIT, "Contoso", false, "Azure · IT (management group)"},
		{rContribSub, "Contoso", false, "Azure · MySubscription (subscription)"},
		{rContribRG, "Contoso", false, "Azure · rg-web (resource group)"},
		{rMember, "Contoso", false, "Groups · PIM-Admins"},
		{rReaderFab, "Fabrikam", true, "Azure · Prod (subscription) · Fabrikam"},
		{rGlobalAdmin, "Fabrikam", true, "Entra ID · Fabrikam"},
		{pim.Role{Plane: pim.PlaneEntra, Scope: "/administrativeUnits/x", ScopeName: "Paris", ScopeType: pim.ScopeAdministrativeUnit}, "", false, "Entra ID · Paris (administrative unit)"},
		{pim.Role{Plane: pim.PlaneAzure, Scope: "/subscriptions/s/resourceGroups/g/providers/x/vm1", ScopeName: "vm1", ScopeType: pim.ScopeResource}, "", false, "Azure · vm1 (resource)"},
		{pim.Role{Plane: pim.PlaneAzure, Scope: "/odd/scope"}, "", false, "Azure · /odd/scope"},
		{pim.Role{Plane: pim.PlaneEntra, Scope: "/"}, "Contoso", false, "Entra ID · Contoso"},
	}
	for _, tc := range tests {
		if got := sectionTitle(tc.r, tc.tenant, tc.several); got != tc.want {
			t.Errorf("sectionTitle(%s %s, %q, %v) = %q, want %q", tc.r.ScopeType, tc.r.Scope, tc.tenant, tc.several, got, tc.want)
		}
	}
}

// A change the engine could not save is a menu line (issue 12: a failure the user can't see in
// the menu is a bug), under the header with the other problems.
func TestBuildMenuShowsAConfigProblem(t *testing.T) {
	s := engine.Snapshot{Accounts: []engine.Account{signedIn},
		ConfigProblem: "Settings not saved (write ~/.config/pimtray/config.json: permission denied); kept, trying again"}
	lines := strings.Split(dump(buildMenu(s, t0, env())), "\n")
	if len(lines) < 2 || lines[1] != "Settings not saved (write ~/.config/pimtray/config.json: permission denied); kept, trying again [disabled]" {
		t.Fatalf("menu:\n%s", strings.Join(lines, "\n"))
	}
}

func TestBuildMenuApprovalsSectionAtTheTop(t *testing.T) {
	grace := engine.Approval{ID: "c0ffee01", RequestID: "c0ffee01-req", TenantID: contoso, Plane: pim.PlaneEntra,
		Requester: "Grace Hopper", RequesterUPN: "grace@contoso.example", Role: "User Administrator", Scope: "Directory", ScopeID: "/",
		Justification: "Onboard the interns", TicketNumber: "HR-311", TicketSystem: "ServiceNow", CreatedAt: t0.Add(-12 * time.Minute)}
	alan := engine.Approval{ID: "c0ffee02", RequestID: "/subscriptions/s/providers/x/c0ffee02-req", TenantID: contoso, Plane: pim.PlaneAzure,
		Requester: "Alan Turing", Role: "Contributor", Scope: "rg-web", CreatedAt: t0.Add(-3 * time.Hour), Deciding: true}
	s := engine.Snapshot{Accounts: []engine.Account{signedIn}, Header: "admin@contoso.example · Contoso",
		Approvals: []engine.Approval{grace, alan}}
	got := dump(buildMenu(s, t0, env()))
	want := `admin@contoso.example · Contoso [disabled]
---
Waiting for your approval (2) [disabled]
Grace Hopper · User Administrator · Directory · 12 min ago
  Approve… -> approve c0ffee01-req
  Deny… -> deny c0ffee01-req
  “Onboard the interns” [disabled]
  Ticket ServiceNow HR-311 [disabled]
Alan Turing · Contributor · rg-web · 3 h ago — deciding… [disabled]
---
`
	if !strings.HasPrefix(got, want) {
		t.Errorf("menu:\n%s\nwant it to start:\n%s", got, want)
	}
	// Nothing waiting: no section at all.
	s.Approvals = nil
	if got := dump(buildMenu(s, t0, env())); strings.Contains(got, "Waiting for your approval") {
		t.Errorf("an empty section shows:\n%s", got)
	}
}

// With a core that plans: "Activate at…" offers the favourites that can be activated; a
// scheduled favourite reads "— starts 12:00" (engine.Label) and opens a submenu to cancel it;
// "Recent activity" offers to read, then shows the last requests and a line to read again.
func TestBuildMenuSchedulingAndRecentActivity(t *testing.T) {
	sched := fav(itemOf(rGlobalAdmin, engine.StateScheduled))
	sched.StartsAt, sched.ExpiresAt = t0.Add(3*time.Hour), t0.Add(11*time.Hour)
	sched.Daily, sched.DailyOn = "Mon-Fri 08:30", true
	member := fav(activeUntil(rMember, t0.Add(time.Hour)))
	member.Daily = "Mon,Wed 07:00" // off
	s := engine.Snapshot{Accounts: []engine.Account{signedIn}, Header: "admin@contoso.example · Contoso",
		Favourites: []engine.Item{sched, fav(itemOf(rOwnerIT, engine.StateEligible)), member}}
	e := menuEnv{label: engine.Label, planner: true, daily: true, loc: time.UTC}
	got := dump(buildMenu(s, t0, e))
	want := `admin@contoso.example · Contoso [disabled]
---
Global Administrator — starts 12:00
  Cancel -> cancel Global Administrator
Owner · IT — activate (8h) -> activate Owner · IT
Member · PIM-Admins — 1h 00m left
  Ends at 10:00 [disabled]
  Re-activate now -> reactivate Member · PIM-Admins
  Deactivate -> deactivate Member · PIM-Admins
Activate all favourites -> activate-favourites
Activate at…
  Owner · IT… -> activate-at Owner · IT
Start my day
  Global Administrator — Mon-Fri 08:30 [x] -> toggle-daily Global Administrator
  Owner · IT [ ] -> toggle-daily Owner · IT
  Member · PIM-Admins — Mon,Wed 07:00 [ ] -> toggle-daily Member · PIM-Admins
`
	if !strings.HasPrefix(got, want) {
		t.Errorf("menu:\n%s\nwant it to start:\n%s", got, want)
	}
	if !strings.Contains(got, "Recent activity\n  Show recent activity -> load-recent\n") {
		t.Errorf("no way to read the recent activity:\n%s", got)
	}

	s.Recent = engine.RecentActivity{ReadAt: t0.Add(-time.Minute), Entries: []engine.HistoryEntry{
		{HistoryEntry: pim.HistoryEntry{Role: rOwnerIT, Action: "activate", CreatedAt: t0.Add(-2 * time.Hour), Duration: 2 * time.Hour}, Outcome: "activated"},
		{HistoryEntry: pim.HistoryEntry{Role: rUserAdmin, Action: "activate", CreatedAt: t0.Add(-50 * time.Hour), Duration: time.Hour}, Outcome: "denied"},
		{HistoryEntry: pim.HistoryEntry{Role: rMember, Action: "deactivate", CreatedAt: t0.Add(-30 * 24 * time.Hour)}, Outcome: "deactivated"},
	}}
	got = dump(buildMenu(s, t0, e))
	wantRecent := `Recent activity
  07:00 · Owner · IT — activated (2h) [disabled]
  Wed 07:00 · User Administrator — denied (1h) [disabled]
  12 Feb 09:00 · Member · PIM-Admins — deactivated [disabled]
  ---
  Refresh recent activity (read 08:59) -> load-recent
`
	if !strings.Contains(got, wantRecent) {
		t.Errorf("menu:\n%s\nwant:\n%s", got, wantRecent)
	}
	s.Recent = engine.RecentActivity{Reading: true}
	if got := dump(buildMenu(s, t0, e)); !strings.Contains(got, "Recent activity\n  Reading recent activity… [disabled]\n") {
		t.Errorf("while reading:\n%s", got)
	}

	// A core that does not plan: none of it.
	got = dump(buildMenu(s, t0, menuEnv{label: engine.Label}))
	if strings.Contains(got, "Activate at") || strings.Contains(got, "Recent activity") || strings.Contains(got, "Cancel") || strings.Contains(got, "Start my day") {
		t.Errorf("without a planner:\n%s", got)
	}
}

// Recently used roles that are not favourites sit on top, the latest first, at most
// maxRecentlyUsed; a click activates them.
func TestRecentlyUsedRolesOnTop(t *testing.T) {
	used := func(r pim.Role, ago time.Duration) engine.Item {
		it := itemOf(r, engine.StateEligible)
		it.LastUsed = t0.Add(-ago)
		return it
	}
	s := engine.Snapshot{Accounts: []engine.Account{signedIn},
		Favourites: []engine.Item{fav(itemOf(rGlobalAdmin, engine.StateEligible))},
		All: []engine.Item{fav(itemOf(rGlobalAdmin, engine.StateEligible)), used(rOwnerIT, 3*time.Hour), used(rContribSub, time.Hour),
			itemOf(rUserAdmin, engine.StateEligible), used(rContribRG, 2*time.Hour), used(rAKSSub, 4*time.Hour),
			used(rOwnerRG, 5*time.Hour), used(rMember, 6*time.Hour)}}
	var top []string
	for _, e := range buildMenu(s, t0, env()) {
		if strings.HasPrefix(e.id, "used/") {
			top = append(top, describe(e.action))
		}
	}
	want := []string{"activate Contributor · MySubscription", "activate Contributor · rg-web", "activate Owner · IT",
		"activate AKS Contributor · MySubscription", "activate Owner · rg-web"}
	if !slices.Equal(top, want) {
		t.Errorf("recently used on top = %q, want %q", top, want)
	}
}
