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

// bigTenant is a tenant of n eligible roles the way large ones look: a tenth Entra
// directory roles, a tenth group memberships, the rest Azure roles over scopes (about
// 200 for 440 roles: subscriptions and resource groups); three favourites, and roles in
// every state.
func bigTenant(n int) engine.Snapshot {
	s := engine.Snapshot{Accounts: []engine.Account{signedIn}, Header: "admin@contoso.example · Contoso",
		Settings: engine.Settings{DefaultDuration: 8 * time.Hour, Reminders: []time.Duration{15 * time.Minute, 5 * time.Minute}}}
	azureRoles := []string{"Owner", "Contributor", "Reader", "Key Vault Secrets User", "Storage Blob Data Reader"}
	scopes := max(1, n*200/440)
	states := []engine.ItemState{engine.StateEligible, engine.StateEligible, engine.StateEligible, engine.StateEligible,
		engine.StateActive, engine.StatePending, engine.StateFailed, engine.StateActivating}
	for i := range n {
		var r pim.Role
		switch {
		case i < n/10:
			r = role(pim.PlaneEntra, contoso, fmt.Sprintf("Directory Role %03d", i), pim.ScopeDirectory, "Directory")
		case i < n/5:
			r = role(pim.PlaneGroup, contoso, "Member", pim.ScopeGroup, fmt.Sprintf("PIM-Group-%03d", i))
		default:
			k := i - n/5
			scope := k % scopes
			kind := pim.ScopeResourceGroup
			name := fmt.Sprintf("rg-app-%03d", scope)
			if scope%10 == 0 {
				kind, name = pim.ScopeSubscription, fmt.Sprintf("sub-%03d", scope)
			}
			r = role(pim.PlaneAzure, contoso, azureRoles[(k/scopes)%len(azureRoles)], kind, name)
			r.RoleID += fmt.Sprintf("-%d", k)
		}
		it := itemOf(r, engine.StateEligible)
		if i%97 == 5 { // a few in use, so the top level has some
			it.State = states[4+(i/97)%4]
		}
		switch it.State {
		case engine.StateActive:
			it.StartsAt, it.ExpiresAt = t0.Add(-time.Hour), t0.Add(time.Hour)
		case engine.StateFailed:
			it.Problem = "Azure refused the request."
		}
		it.Policy = &pim.Policy{MaxDuration: 8 * time.Hour, Ticket: i%3 == 0, Approval: i%7 == 0}
		s.All = append(s.All, it)
	}
	slices.SortStableFunc(s.All, func(a, b engine.Item) int { // as the engine sorts them
		if d := planeIndex(a.Role.Plane) - planeIndex(b.Role.Plane); d != 0 {
			return d
		}
		if c := strings.Compare(strings.ToLower(a.Role.ScopeName), strings.ToLower(b.Role.ScopeName)); c != 0 {
			return c
		}
		return strings.Compare(strings.ToLower(a.Role.RoleName), strings.ToLower(b.Role.RoleName))
	})
	for i := 0; i < len(s.All) && len(s.Favourites) < 3; i += max(1, n/3) {
		s.All[i].Favourite = true
		s.Favourites = append(s.Favourites, s.All[i])
	}
	return s
}

// reachable are the roles a menu shows as roles (activating them, or in their state with
// what can be done): entries "fav/<key>", "use/<key>", "all/<key>".
func reachable(m []entry) map[string]bool {
	keys := map[string]bool{}
	var walk func([]entry)
	walk = func(es []entry) {
		for _, e := range es {
			for _, p := range []string{"fav/", "use/", "used/", "all/"} {
				if k, ok := strings.CutPrefix(e.id, p); ok && !e.inert && strings.Count(k, "|") == 3 && !strings.HasSuffix(k, "/problem") {
					keys[k] = true
				}
			}
			walk(e.children)
		}
	}
	walk(m)
	return keys
}

func maxLevel(m []entry) (most int, where string) {
	var walk func(es []entry, path string)
	walk = func(es []entry, path string) {
		if len(es) > most {
			most, where = len(es), path
		}
		for _, e := range es {
			walk(e.children, path+" ▸ "+e.title)
		}
	}
	walk(m, "top level")
	return most, where
}

func TestMenuWorksAtAnySize(t *testing.T) {
	on := true
	for _, n := range []int{0, 10, 440, 861} {
		t.Run(fmt.Sprint(n, " roles"), func(t *testing.T) {
			s := bigTenant(n)
			e := menuEnv{label: engine.Label, chooser: true, planner: true, loc: time.UTC, autostart: &on, openConfig: true, openLog: true, about: "pimtray 1.0"}
			m := buildMenu(s, t0, e)
			most, where := maxLevel(m)
			if most > maxEntries {
				t.Errorf("%s has %d entries, at most %d allowed", where, most, maxEntries)
			}
			t.Logf("%d roles: the longest level has %d entries (%s); %d on the top level", n, most, where, len(m))
			if testing.Verbose() {
				for _, x := range m {
					t.Logf("  %s (%d)", x.title, len(x.children))
				}
			}
			var walk func(es []entry, depth int)
			walk = func(es []entry, depth int) {
				for _, x := range es {
					if depth > maxMenuDepth {
						t.Fatalf("%q is %d levels deep", x.title, depth)
					}
					walk(x.children, depth+1)
				}
			}
			walk(m, 1)

			// Every role is reachable: through the menu up to 440 roles, through "Find a
			// role…" (whose rows are every role, in order) at any size.
			inMenu := reachable(m)
			missing := 0
			for _, it := range s.All {
				if !inMenu[it.Key] {
					missing++
					if n <= 440 {
						t.Logf("not in the menu: %s (%s)", it.Role.Label(), it.State)
					}
				}
			}
			// What the menu leaves out, when the top level can't take a submenu per range of
			// scopes, it says: "N more: use Find a role…" lines that add up.
			said := 0
			var walkMore func([]entry)
			walkMore = func(es []entry) {
				for _, x := range es {
					var k int
					if _, err := fmt.Sscanf(x.title, "%d more: use", &k); err == nil && strings.HasSuffix(x.id, "/more") {
						said += k
					}
					walkMore(x.children)
				}
			}
			walkMore(m)
			if missing > said {
				t.Errorf("%d of %d roles are not in the menu, and it says only %d more", missing, n, said)
			}
			if n <= 440 && missing > 0 && !strings.Contains(t.Name(), "busy") {
				t.Logf("%d of %d roles only through Find a role…", missing, n)
			}
			if n > 0 {
				if _, ok := findEntry(m, "find"); !ok {
					t.Fatal("no “Find a role…”")
				}
			}
			rows := findRows(s.All, t0)
			if len(rows.cells) != len(s.All) {
				t.Fatalf("Find a role lists %d rows for %d roles", len(rows.cells), len(s.All))
			}
			for i, r := range rows.cells {
				if len(r) != len(rows.columns) || r[0] != s.All[i].Role.RoleName {
					t.Fatalf("row %d = %q for %s", i, r, s.All[i].Role.Label())
				}
			}
			t.Logf("%d roles: %d reachable in the menu itself, all %d through Find a role…", n, n-missing, len(rows.cells))
		})
	}
}

// The small tenant keeps the one "All eligible roles" submenu with a line per scope.
func TestSmallTenantKeepsOneAllRolesSubmenu(t *testing.T) {
	m := buildMenu(bigTenant(10), t0, menuEnv{label: engine.Label, chooser: true, loc: time.UTC})
	all, ok := findEntry(m, "all")
	if !ok || all.title != titleAllRoles || !strings.HasPrefix(all.children[0].title, "Entra ID · ") {
		t.Fatalf("All eligible roles = %+v", all)
	}
}

// A big tenant is browsed per plane, in ranges of scopes named in their titles.
func TestBigTenantIsBrowsedByPlaneAndScopeRange(t *testing.T) {
	m := buildMenu(bigTenant(440), t0, menuEnv{label: engine.Label, chooser: true, loc: time.UTC})
	var titles []string
	for _, e := range m {
		if strings.HasPrefix(e.id, "all/") {
			titles = append(titles, e.title)
		}
	}
	azure := 0
	for _, title := range titles {
		if strings.HasPrefix(title, "Azure roles: ") && strings.Contains(title, " – ") {
			azure++
		}
	}
	if azure < 9 || !strings.HasPrefix(titles[0], "Entra ID roles: ") || !strings.HasPrefix(titles[len(titles)-1], "Group roles: ") {
		t.Errorf("browse submenus = %q; want Entra ID, Azure (named by scope range) and Group ranges", titles)
	}
	t.Logf("%q", titles)
}
