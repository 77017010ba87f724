package tray

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pimtray/pimtray/engine"
	"github.com/pimtray/pimtray/pim"
)

// The menu is a pure function of a Snapshot and the time (buildMenu); the systray code
// only renders the resulting tree. That keeps every decision about what the user sees
// table-testable without a desktop.

// entryKind is how an entry is drawn.
type entryKind int

const (
	kindItem      entryKind = iota // a plain item (a submenu when it has children)
	kindCheckbox                   // an item with a check mark
	kindSeparator                  // a line between groups
)

// actionKind is what a click on an entry asks of the core.
type actionKind int

const (
	actNone actionKind = iota // not clickable (an information line or a submenu)
	actActivate
	actDeactivate
	actActivateFavourites
	actToggleFavourite
	actRefresh
	actSignIn
	actSignOut
	actToggleAutostart
	actOpenConfig
	actOpenLog
	actQuit
)

// action is a click turned into a message for the tray's event loop.
type action struct {
	kind   actionKind
	key    string // the role's key, for role actions
	tenant string // the tenant, for sign-in and sign-out
}

// entry is one line of the menu.
type entry struct {
	// id is stable across rebuilds of the same snapshot ("fav/<key>", "refresh"), so a
	// countdown tick can find the rendered item whose title changed.
	id       string
	title    string
	tooltip  string
	kind     entryKind
	checked  bool
	disabled bool
	action   action
	children []entry
}

// menuEnv is what the menu needs besides the snapshot.
type menuEnv struct {
	label func(engine.Item, time.Time) string
	// autostart is nil when start-at-login is not offered, else whether it is on.
	autostart  *bool
	openConfig bool
	openLog    bool
}

// Titles of the fixed entries; tests and the desktop harness look for them.
const (
	titleSignIn             = "Sign in…"
	titleActivateFavourites = "Activate all favourites"
	titleAllRoles           = "All eligible roles"
	titleRefresh            = "Refresh"
	titleRefreshing         = "Refreshing…"
	titleSignOut            = "Sign out"
	titleStartAtLogin       = "Start at login"
	titleOpenConfig         = "Open configuration"
	titleOpenLog            = "Open log"
	titleQuit               = "Quit"
	titleActivate           = "Activate"
	titleDeactivate         = "Deactivate"
	titleFavourite          = "★ Favourite"
	titleNoFavourites       = "No favourites yet: star roles under “All eligible roles”"
	titleNoRoles            = "No eligible roles"
	titleOffline            = "Offline: showing the last known state"
	titleMemoryOnly         = "Sign-in not remembered: keyring unavailable"
	demoPrefix              = "DEMO · "
)

// buildMenu turns a snapshot into the whole menu:
//
//	header (account · tenant, or "Sign in…"), offline and plane-problem lines
//	favourites (click: activate; an active one is a submenu with "Deactivate")
//	Activate all favourites
//	All eligible roles ▸ plane ▸ scope lines and roles ▸ Activate / Deactivate, ★ Favourite
//	Refresh, Sign out
//	Start at login, Open configuration, Open log
//	Quit
func buildMenu(s engine.Snapshot, now time.Time, env menuEnv) []entry {
	var m []entry
	m = append(m, headerEntries(s)...)
	if s.Offline {
		m = append(m, info("offline", titleOffline))
	}
	for i, p := range s.Problems {
		m = append(m, info(fmt.Sprintf("problem/%d", i), p.Message))
	}

	m = append(m, separator("sep/favourites"))
	if len(s.Favourites) == 0 {
		m = append(m, info("fav/none", titleNoFavourites))
	}
	for _, it := range s.Favourites {
		m = append(m, favouriteEntry(it, now, env))
	}
	m = append(m, entry{
		id:       "activate-favourites",
		title:    titleActivateFavourites,
		disabled: !slices.ContainsFunc(s.Favourites, func(it engine.Item) bool { return activatable(it, now) }),
		action:   action{kind: actActivateFavourites},
	})
	m = append(m, allRolesEntry(s, now, env))

	m = append(m, separator("sep/session"))
	refresh := entry{id: "refresh", title: titleRefresh, action: action{kind: actRefresh}}
	if s.Refreshing {
		refresh.title, refresh.disabled = titleRefreshing, true
	}
	m = append(m, refresh)
	m = append(m, sessionEntries(s)...)

	m = append(m, separator("sep/app"))
	if env.autostart != nil {
		m = append(m, entry{
			id: "autostart", title: titleStartAtLogin, kind: kindCheckbox, checked: *env.autostart,
			action: action{kind: actToggleAutostart},
		})
	}
	if env.openConfig {
		m = append(m, entry{id: "open-config", title: titleOpenConfig, action: action{kind: actOpenConfig}})
	}
	if env.openLog {
		m = append(m, entry{id: "open-log", title: titleOpenLog, action: action{kind: actOpenLog}})
	}
	if env.autostart != nil || env.openConfig || env.openLog {
		m = append(m, separator("sep/quit"))
	}
	m = append(m, entry{id: "quit", title: titleQuit, action: action{kind: actQuit}})
	return m
}

// headerEntries is the first line: the core's Snapshot.Header ("admin@contoso.example ·
// Contoso", "Sign in…", with DEMO in demo mode), or one built here when the core leaves it
// empty. It is clickable, to sign in, only while no tenant is signed in. A sign-in kept in
// memory only (no keyring) gets a line of its own.
func headerEntries(s engine.Snapshot) []entry {
	signedIn := slices.ContainsFunc(s.Accounts, func(a engine.Account) bool { return a.SignedIn })
	h := entry{id: "header", title: s.Header}
	if h.title == "" {
		h.title = headerTitle(s)
	}
	if signedIn {
		h.disabled = true
	} else {
		h.action = action{kind: actSignIn}
		if len(s.Accounts) > 0 {
			h.action.tenant = s.Accounts[0].TenantID
		}
	}
	out := []entry{h}
	if slices.ContainsFunc(s.Accounts, func(a engine.Account) bool { return a.SignedIn && a.Storage == "memory" }) {
		out = append(out, info("header/storage", titleMemoryOnly))
	}
	return out
}

// headerTitle is the header when the core gives none: "DEMO · admin@contoso.example ·
// Contoso" for the first signed-in account, else "Sign in…".
func headerTitle(s engine.Snapshot) string {
	prefix := ""
	if s.Demo {
		prefix = demoPrefix
	}
	for _, a := range s.Accounts {
		if !a.SignedIn {
			continue
		}
		if a.User == "" {
			return prefix + tenantName(a)
		}
		return prefix + a.User + " · " + tenantName(a)
	}
	return prefix + titleSignIn
}

// sessionEntries are "Sign out" for each signed-in tenant and, when another tenant is
// signed in (so the header doesn't offer it), "Sign in to <tenant>…" for each signed-out one.
func sessionEntries(s engine.Snapshot) []entry {
	several := len(s.Accounts) > 1
	anySignedIn := slices.ContainsFunc(s.Accounts, func(a engine.Account) bool { return a.SignedIn })
	var out []entry
	for _, a := range s.Accounts {
		switch {
		case a.SignedIn && several:
			out = append(out, entry{id: "signout/" + a.TenantID, title: "Sign out of " + tenantName(a), action: action{kind: actSignOut, tenant: a.TenantID}})
		case a.SignedIn:
			out = append(out, entry{id: "signout/" + a.TenantID, title: titleSignOut, action: action{kind: actSignOut, tenant: a.TenantID}})
		case anySignedIn:
			out = append(out, entry{id: "signin/" + a.TenantID, title: "Sign in to " + tenantName(a) + "…", action: action{kind: actSignIn, tenant: a.TenantID}})
		}
	}
	return out
}

// favouriteEntry is one favourite: a click activates it when it can be activated; an
// active favourite opens a submenu whose "Deactivate" ends it; while a request is in
// flight or waits for approval the line is shown but not clickable.
func favouriteEntry(it engine.Item, now time.Time, env menuEnv) entry {
	e := entry{id: "fav/" + it.Key, title: env.label(it, now), tooltip: it.Problem}
	switch {
	case activatable(it, now):
		e.action = action{kind: actActivate, key: it.Key}
	case stateAt(it, now) == engine.StateActive:
		e.children = []entry{{id: e.id + "/deactivate", title: titleDeactivate, action: action{kind: actDeactivate, key: it.Key}}}
	default:
		e.disabled = true
	}
	return e
}

// activatable says whether a click should send an activation: eligible roles, and
// those whose last attempt failed or that need a sign-in (the core decides how to get one).
func activatable(it engine.Item, now time.Time) bool {
	switch stateAt(it, now) {
	case engine.StateEligible, engine.StateFailed, engine.StateNeedsSignIn:
		return true
	}
	return false
}

// stateAt is the item's state at now. An active role whose end has passed counts as
// eligible again, as engine.Label shows it, until the core's next snapshot says more.
func stateAt(it engine.Item, now time.Time) engine.ItemState {
	if it.State == engine.StateActive && !it.ExpiresAt.IsZero() && !it.ExpiresAt.After(now) {
		return engine.StateEligible
	}
	return it.State
}

// allRolesEntry is the "All eligible roles" submenu: one submenu per plane (per tenant
// when there are several), in it a line per scope followed by that scope's roles; each
// role opens Activate (or Deactivate) and a "★ Favourite" check box.
func allRolesEntry(s engine.Snapshot, now time.Time, env menuEnv) entry {
	root := entry{id: "all", title: titleAllRoles}
	if len(s.All) == 0 {
		root.children = []entry{info("all/none", titleNoRoles)}
		return root
	}

	type group struct {
		tenant string
		plane  pim.Plane
		scopes []string // in order of first appearance
		roles  map[string][]engine.Item
	}
	var groups []*group
	find := func(tenant string, plane pim.Plane) *group {
		for _, g := range groups {
			if g.tenant == tenant && g.plane == plane {
				return g
			}
		}
		g := &group{tenant: tenant, plane: plane, roles: map[string][]engine.Item{}}
		groups = append(groups, g)
		return g
	}
	tenants := map[string]bool{}
	for _, it := range s.All {
		g := find(it.Role.TenantID, it.Role.Plane)
		tenants[it.Role.TenantID] = true
		scope := strings.ToLower(it.Role.Scope)
		if _, ok := g.roles[scope]; !ok {
			g.scopes = append(g.scopes, scope)
		}
		g.roles[scope] = append(g.roles[scope], it)
	}
	// Tenants stay in order of first appearance; within a tenant, planes in display order.
	tenantOrder := map[string]int{}
	for _, g := range groups {
		if _, ok := tenantOrder[g.tenant]; !ok {
			tenantOrder[g.tenant] = len(tenantOrder)
		}
	}
	slices.SortStableFunc(groups, func(a, b *group) int {
		if d := tenantOrder[a.tenant] - tenantOrder[b.tenant]; d != 0 {
			return d
		}
		return planeIndex(a.plane) - planeIndex(b.plane)
	})

	names := map[string]string{}
	for _, a := range s.Accounts {
		names[a.TenantID] = tenantName(a)
	}
	for _, g := range groups {
		pid := "all/" + g.tenant + "/" + string(g.plane)
		pe := entry{id: pid, title: g.plane.Title()}
		if len(tenants) > 1 {
			name := names[g.tenant]
			if name == "" {
				name = g.tenant
			}
			pe.title += " · " + name
		}
		for i, scope := range g.scopes {
			if i > 0 {
				pe.children = append(pe.children, separator(pid+"/sep/"+scope))
			}
			roles := g.roles[scope]
			pe.children = append(pe.children, info(pid+"/scope/"+scope, scopeTitle(roles[0].Role)))
			for _, it := range roles {
				pe.children = append(pe.children, roleEntry(it, now, env))
			}
		}
		root.children = append(root.children, pe)
	}
	return root
}

// roleEntry is one role in "All eligible roles": its label, and a submenu to act on it.
func roleEntry(it engine.Item, now time.Time, env menuEnv) entry {
	id := "all/" + it.Key
	e := entry{id: id, title: env.label(it, now), tooltip: it.Problem}
	act := entry{id: id + "/action"}
	state := stateAt(it, now)
	switch {
	case activatable(it, now):
		act.title, act.action = titleActivate, action{kind: actActivate, key: it.Key}
	case state == engine.StateActive:
		act.title, act.action = titleDeactivate, action{kind: actDeactivate, key: it.Key}
	case state == engine.StateActivating:
		act.title, act.disabled = "Activating…", true
	case state == engine.StatePending:
		act.title, act.disabled = "Pending approval", true
	case state == engine.StateDeactivating:
		act.title, act.disabled = "Deactivating…", true
	default:
		act.title, act.disabled = titleActivate, true
	}
	fav := entry{
		id: id + "/favourite", title: titleFavourite, kind: kindCheckbox, checked: it.Favourite,
		action: action{kind: actToggleFavourite, key: it.Key},
	}
	e.children = []entry{act, fav}
	return e
}

// scopeTitle names a scope for a group line: "Management group IT", "Subscription Prod".
func scopeTitle(r pim.Role) string {
	name := r.ScopeName
	if name == "" {
		name = r.Scope
	}
	switch r.ScopeType {
	case pim.ScopeDirectory:
		return "Directory"
	case pim.ScopeAdministrativeUnit:
		return "Administrative unit " + name
	case pim.ScopeManagementGroup:
		return "Management group " + name
	case pim.ScopeSubscription:
		return "Subscription " + name
	case pim.ScopeResourceGroup:
		return "Resource group " + name
	case pim.ScopeResource:
		return "Resource " + name
	case pim.ScopeGroup:
		return "Group " + name
	}
	if r.Plane == pim.PlaneEntra && (r.Scope == "/" || r.Scope == "") {
		return "Directory"
	}
	return name
}

func planeIndex(p pim.Plane) int {
	if i := slices.Index(pim.Planes, p); i >= 0 {
		return i
	}
	return len(pim.Planes)
}

func tenantName(a engine.Account) string {
	if a.TenantName != "" {
		return a.TenantName
	}
	return a.TenantID
}

func info(id, title string) entry { return entry{id: id, title: title, disabled: true} }

func separator(id string) entry { return entry{id: id, kind: kindSeparator} }

// titleChanges compares two menus built from the same snapshot at different times. When
// both have the same shape it returns the entries whose title changed (id → new title) and
// true: a countdown tick then only retitles those. Otherwise it returns false and the menu
// must be rebuilt.
func titleChanges(old, cur []entry) (map[string]string, bool) {
	changes := map[string]string{}
	var walk func(a, b []entry) bool
	walk = func(a, b []entry) bool {
		if len(a) != len(b) {
			return false
		}
		for i := range a {
			x, y := a[i], b[i]
			if x.id != y.id || x.kind != y.kind || x.checked != y.checked || x.disabled != y.disabled ||
				x.action != y.action || x.tooltip != y.tooltip {
				return false
			}
			if x.title != y.title {
				changes[y.id] = y.title
			}
			if !walk(x.children, y.children) {
				return false
			}
		}
		return true
	}
	if !walk(old, cur) {
		return nil, false
	}
	return changes, true
}

// iconFor picks the icon for a state, falling back to the idle icon when the state's own
// is missing (the unknown state "" is idle).
func iconFor(icons Icons, state engine.IconState) []byte {
	var b []byte
	switch state {
	case engine.IconActive:
		b = icons.Active
	case engine.IconExpiring:
		b = icons.Expiring
	case engine.IconPending:
		b = icons.Pending
	case engine.IconAttention:
		b = icons.Attention
	}
	if len(b) == 0 {
		b = icons.Idle
	}
	return b
}
