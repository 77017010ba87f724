package tray

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pimtray/pimtray/internal/engine"
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
	actApprove // key: the waiting request's id
	actDeny
	actActivateAt // key: the role; the core asks when
	actCancel     // key: the role whose scheduled activation (or open request) to withdraw
	actLoadRecent
)

// action is a click turned into a message for the tray's event loop.
type action struct {
	kind   actionKind
	key    string // the role's key, for role actions
	tenant string // the tenant, for sign-in and sign-out
}

// entry is one line of the menu.
type entry struct {
	// id is stable across rebuilds of the same snapshot ("fav/<key>", "refresh"): an update
	// whose menu has the same shape finds the rendered items by id and only changes their
	// title, check mark or greying, and a click is looked up by id in the current menu.
	id       string
	title    string
	tooltip  string
	kind     entryKind
	checked  bool
	disabled bool
	// inert marks a line that never does anything (a section title, an information line),
	// whatever the snapshot: no click is listened for.
	inert    bool
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
	// about is the line above Quit naming the program and its version; "": none.
	about string
	// planner: the core schedules activations and reads the recent activity ("Activate at …",
	// "Cancel", "Recent activity").
	planner bool
}

// Titles of the fixed entries; tests and the desktop harness look for them.
const (
	titleSignIn             = "Sign in…"
	titleActivateFavourites = "Activate all favourites"
	titleAllRoles           = "All eligible roles"
	titleDeactivateMenu     = "Deactivate"
	titleFavourites         = "Favourites"
	titleRefresh            = "Refresh"
	titleRefreshing         = "Refreshing…"
	titleSignOut            = "Sign out"
	titleStartAtLogin       = "Start at login"
	titleOpenConfig         = "Open configuration"
	titleOpenLog            = "Open log"
	titleQuit               = "Quit"
	titleDeactivate         = "Deactivate"
	titleNoFavourites       = "No favourites yet: tick roles under “Favourites”"
	titleNoRoles            = "No eligible roles"
	titleOffline            = "Offline: showing the last known state"
	titleMemoryOnly         = "Sign-in not remembered: keyring unavailable"
	demoPrefix              = "DEMO · "
	titleApprovals          = "Waiting for your approval (%d)"
	titleApprove            = "Approve…"
	titleDeny               = "Deny…"
	titleActivateAt         = "Activate at…"
	titleCancelScheduled    = "Cancel"
	titleRecent             = "Recent activity"
	titleShowRecent         = "Show recent activity"
	titleRefreshRecent      = "Refresh recent activity (read %s)"
	titleReadingRecent      = "Reading recent activity…"
	titleNoRecent           = "No requests in the last 30 days"
)

// maxMenuDepth is how deep the menu goes: the top level and one level of submenus. Some
// tray hosts draw a third level empty (libdbusmenu-gtk hosts such as Xfce's and
// Cinnamon's, fed by fyne.io/systray: "Children but no menu"), so the menu never has one.
const maxMenuDepth = 2

// buildMenu turns a snapshot into the whole menu, never more than two levels deep:
//
//	header (account · tenant, or "Sign in…"), offline, plane-problem and configuration lines
//	favourites (click: activate; an active one is a submenu with "Deactivate")
//	Activate all favourites
//	All eligible roles ▸ section lines (plane · scope), each followed by its roles
//	                     (click: activate; an active role only shows its countdown)
//	Deactivate ▸ every active role (only while something is active)
//	Favourites ▸ a check box per role: ticked = a favourite
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
	if s.ConfigProblem != "" {
		m = append(m, info("problem/config", s.ConfigProblem))
	}
	m = append(m, approvalEntries(s, now)...)

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
	if at, ok := activateAtEntry(s, now, env); ok {
		m = append(m, at)
	}
	m = append(m, allRolesEntry(roleSections(s, s.All), now, env))
	if d, ok := deactivateEntry(s, now); ok {
		m = append(m, d)
	}
	m = append(m, favouritesEntry(roleSections(s, starrable(s))))
	if env.planner {
		m = append(m, recentEntry(s, now))
	}

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
	if env.about != "" {
		m = append(m, info("about", env.about))
	}
	if env.autostart != nil || env.openConfig || env.openLog || env.about != "" {
		m = append(m, separator("sep/quit"))
	}
	m = append(m, entry{id: "quit", title: titleQuit, action: action{kind: actQuit}})
	return m
}

// approvalEntries is the section "Waiting for your approval (N)" when N > 0: one entry per
// request (who · role · scope · how old), its submenu Approve, Deny and the requester's
// justification as a greyed line. A request whose decision is on its way is greyed.
func approvalEntries(s engine.Snapshot, now time.Time) []entry {
	if len(s.Approvals) == 0 {
		return nil
	}
	out := []entry{separator("sep/approvals"), info("approvals", fmt.Sprintf(titleApprovals, len(s.Approvals)))}
	for _, a := range s.Approvals {
		id := "approval/" + strings.ToLower(a.TenantID+"/"+a.RequestID)
		e := entry{id: id, title: approvalTitle(a, now), tooltip: a.RequesterUPN}
		if a.Deciding {
			e.title += " — deciding…"
			e.disabled = true
			out = append(out, e)
			continue
		}
		e.children = []entry{
			{id: id + "/approve", title: titleApprove, action: action{kind: actApprove, key: a.RequestID}},
			{id: id + "/deny", title: titleDeny, action: action{kind: actDeny, key: a.RequestID}},
		}
		if a.Justification != "" {
			e.children = append(e.children, info(id+"/why", "“"+a.Justification+"”"))
		}
		if a.TicketNumber != "" {
			e.children = append(e.children, info(id+"/ticket", "Ticket "+strings.TrimSpace(a.TicketSystem+" "+a.TicketNumber)))
		}
		out = append(out, e)
	}
	return out
}

// approvalTitle is "Grace Hopper · User Administrator · Directory · 12 min ago".
func approvalTitle(a engine.Approval, now time.Time) string {
	parts := []string{a.Requester, a.Role}
	if a.Scope != "" {
		parts = append(parts, a.Scope)
	}
	return strings.Join(append(parts, engine.Ago(now, a.CreatedAt)), " · ")
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
	case stateAt(it, now) == engine.StateScheduled && env.planner:
		e.children = []entry{{id: e.id + "/cancel", title: titleCancelScheduled, action: action{kind: actCancel, key: it.Key}}}
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
// A scheduled one whose start has come is active (Azure starts it on its own).
func stateAt(it engine.Item, now time.Time) engine.ItemState {
	return engine.EffectiveState(it, now)
}

// activateAtEntry is the "Activate at…" submenu: a line per favourite that can be activated;
// a click asks when (the core's dialog, pre-filled with the next working morning) and sends
// one activation for that start. None without favourites to offer.
func activateAtEntry(s engine.Snapshot, now time.Time, env menuEnv) (entry, bool) {
	if !env.planner {
		return entry{}, false
	}
	e := entry{id: "activate-at", title: titleActivateAt}
	for _, it := range s.Favourites {
		if activatable(it, now) && it.State != engine.StateUnknown {
			e.children = append(e.children, entry{id: "activate-at/" + it.Key, title: engine.ItemName(it) + "…",
				action: action{kind: actActivateAt, key: it.Key}})
		}
	}
	return e, len(e.children) > 0
}

// recentEntry is the "Recent activity" submenu: the user's last requests as last read, and
// a line to read them (again). They are read only on that click: the tray is not told when
// a submenu opens, and the refresh never reads the history.
func recentEntry(s engine.Snapshot, now time.Time) entry {
	r := s.Recent
	e := entry{id: "recent", title: titleRecent}
	for i, h := range r.Entries {
		e.children = append(e.children, info(fmt.Sprintf("recent/%d", i), recentLine(h, now)))
	}
	if r.Problem != "" {
		e.children = append(e.children, info("recent/problem", r.Problem))
	}
	switch {
	case r.Reading:
		e.children = append(e.children, info("recent/reading", titleReadingRecent))
	case r.ReadAt.IsZero():
		e.children = append(e.children, entry{id: "recent/load", title: titleShowRecent, action: action{kind: actLoadRecent}})
	default:
		if len(r.Entries) == 0 && r.Problem == "" {
			e.children = append(e.children, info("recent/none", titleNoRecent))
		}
		e.children = append(e.children, separator("recent/sep"),
			entry{id: "recent/load", title: fmt.Sprintf(titleRefreshRecent, clockTime(r.ReadAt, now)), action: action{kind: actLoadRecent}})
	}
	return e
}

// recentLine is "Tue 09:00 · Owner · IT — activated (2h)".
func recentLine(h engine.HistoryEntry, now time.Time) string {
	out := clockTime(h.CreatedAt, now) + " · " + h.Role.Label() + " — " + h.Outcome
	if h.Duration > 0 && h.Action == "activate" {
		out += " (" + engine.FormatDuration(h.Duration) + ")"
	}
	return out
}

// clockTime is "09:00" today, "Tue 09:00" within the week, else "2 Dec 09:00".
func clockTime(t, now time.Time) string {
	lt, ln := t.In(now.Location()), now
	switch {
	case lt.YearDay() == ln.YearDay() && lt.Year() == ln.Year():
		return lt.Format("15:04")
	case ln.Sub(lt) < 6*24*time.Hour && lt.Before(ln):
		return lt.Format("Mon 15:04")
	}
	return lt.Format("2 Jan 15:04")
}

// roleSection is the roles of one tenant, plane and scope, under a line naming them.
type roleSection struct {
	id    string // "<tenant>/<plane>/<scope>"
	title string // "Azure · MySubscription (subscription)"
	items []engine.Item
}

// roleSections groups roles by tenant, plane and scope: tenants in order of first
// appearance, planes in display order (Entra, Azure, Groups), scopes in the core's order.
func roleSections(s engine.Snapshot, items []engine.Item) []*roleSection {
	tenants := map[string]int{} // tenant → order of first appearance
	for _, it := range items {
		if _, ok := tenants[it.Role.TenantID]; !ok {
			tenants[it.Role.TenantID] = len(tenants)
		}
	}
	several := len(tenants) > 1 || len(s.Accounts) > 1
	names := map[string]string{}
	for _, a := range s.Accounts {
		if a.TenantName != "" {
			names[a.TenantID] = a.TenantName
		}
	}
	var sections []*roleSection
	byID := map[string]*roleSection{}
	for _, it := range items {
		id := it.Role.TenantID + "/" + string(it.Role.Plane) + "/" + strings.ToLower(it.Role.Scope)
		sec := byID[id]
		if sec == nil {
			name := names[it.Role.TenantID]
			if name == "" && several {
				name = it.Role.TenantID
			}
			sec = &roleSection{id: id, title: sectionTitle(it.Role, name, several)}
			byID[id] = sec
			sections = append(sections, sec)
		}
		sec.items = append(sec.items, it)
	}
	slices.SortStableFunc(sections, func(a, b *roleSection) int {
		ra, rb := a.items[0].Role, b.items[0].Role
		if d := tenants[ra.TenantID] - tenants[rb.TenantID]; d != 0 {
			return d
		}
		return planeIndex(ra.Plane) - planeIndex(rb.Plane)
	})
	return sections
}

// starrable are the roles the Favourites submenu lists: the eligible ones, and the
// favourites not among them (not known yet, or no longer eligible), so those can still be
// unstarred.
func starrable(s engine.Snapshot) []engine.Item {
	items := slices.Clone(s.All)
	for _, f := range s.Favourites {
		if !slices.ContainsFunc(s.All, func(it engine.Item) bool { return it.Key == f.Key }) {
			items = append(items, f)
		}
	}
	return items
}

// sectionTitle names a group of roles: "Entra ID · Contoso" (the directory is the tenant),
// "Azure · MySubscription (subscription)", "Groups · PIM-Admins"; with several tenants the
// tenant follows ("Azure · Prod (subscription) · Fabrikam").
func sectionTitle(r pim.Role, tenant string, severalTenants bool) string {
	plane := r.Plane.Title()
	if r.Plane == pim.PlaneEntra && (r.ScopeType == pim.ScopeDirectory || r.Scope == "/" || r.Scope == "") {
		if tenant == "" {
			return plane + " · Directory"
		}
		return plane + " · " + tenant
	}
	name := r.ScopeName
	if name == "" {
		name = r.Scope
	}
	switch r.ScopeType {
	case pim.ScopeAdministrativeUnit:
		name += " (administrative unit)"
	case pim.ScopeManagementGroup:
		name += " (management group)"
	case pim.ScopeSubscription:
		name += " (subscription)"
	case pim.ScopeResourceGroup:
		name += " (resource group)"
	case pim.ScopeResource:
		name += " (resource)"
	}
	t := plane + " · " + name
	if severalTenants && tenant != "" {
		t += " · " + tenant
	}
	return t
}

// sectionEntries lays out sections in a submenu: a separator between sections, each
// section's line, then one entry per role made by role.
func sectionEntries(prefix string, sections []*roleSection, role func(engine.Item) entry) []entry {
	var out []entry
	for i, sec := range sections {
		if i > 0 {
			out = append(out, separator(prefix+"/sep/"+sec.id))
		}
		out = append(out, info(prefix+"/section/"+sec.id, sec.title))
		for _, it := range sec.items {
			out = append(out, role(it))
		}
	}
	return out
}

// allRolesEntry is the "All eligible roles" submenu: a line per plane and scope followed
// by its roles, each labelled with its state. A click activates a role that can be; an
// active role only shows its countdown (ending it takes the "Deactivate" submenu, so no
// click in this long list ends a role by accident); the rest are greyed out.
func allRolesEntry(sections []*roleSection, now time.Time, env menuEnv) entry {
	root := entry{id: "all", title: titleAllRoles}
	root.children = sectionEntries("all", sections, func(it engine.Item) entry {
		e := entry{id: "all/" + it.Key, title: env.label(it, now), tooltip: it.Problem}
		switch {
		case activatable(it, now):
			e.action = action{kind: actActivate, key: it.Key}
		case stateAt(it, now) == engine.StateActive:
		default:
			e.disabled = true
		}
		return e
	})
	if len(root.children) == 0 {
		root.children = []entry{info("all/none", titleNoRoles)}
	}
	return root
}

// deactivateEntry is the "Deactivate" submenu listing every active role; there is none
// while nothing is active.
func deactivateEntry(s engine.Snapshot, now time.Time) (entry, bool) {
	d := entry{id: "deactivate", title: titleDeactivateMenu}
	for _, it := range starrable(s) {
		if stateAt(it, now) == engine.StateActive {
			d.children = append(d.children, entry{
				id: "deactivate/" + it.Key, title: engine.ItemName(it), action: action{kind: actDeactivate, key: it.Key},
			})
		}
	}
	return d, len(d.children) > 0
}

// favouritesEntry is the "Favourites" submenu: a check box per role, ticked for the
// favourites; a click stars or unstars it.
func favouritesEntry(sections []*roleSection) entry {
	root := entry{id: "star", title: titleFavourites}
	root.children = sectionEntries("star", sections, func(it engine.Item) entry {
		return entry{
			id: "star/" + it.Key, title: engine.ItemName(it), tooltip: it.Problem, kind: kindCheckbox, checked: it.Favourite,
			action: action{kind: actToggleFavourite, key: it.Key},
		}
	})
	if len(root.children) == 0 {
		root.children = []entry{info("star/none", titleNoRoles)}
	}
	return root
}

func planeIndex(p pim.Plane) int {
	if i := slices.Index(pim.Planes(), p); i >= 0 {
		return i
	}
	return len(pim.Planes())
}

func tenantName(a engine.Account) string {
	if a.TenantName != "" {
		return a.TenantName
	}
	return a.TenantID
}

func info(id, title string) entry { return entry{id: id, title: title, disabled: true, inert: true} }

func separator(id string) entry { return entry{id: id, kind: kindSeparator, inert: true} }

// entryUpdate is one entry whose title, tooltip, check mark or greying differs between two
// menus of the same shape: old as rendered, cur as it should be now.
type entryUpdate struct {
	old, cur entry
}

// menuUpdates compares the rendered menu with a new one. When both have the same shape
// (the same entries by id and kind, in the same places, the same ones opening submenus)
// it returns the entries that look different, in menu order, and true: the rendered items
// are then changed in place, keeping their ids and any submenu the user has open.
// Otherwise it returns false and the menu must be rebuilt. A changed action needs no
// update: clicks are looked up in the current menu.
func menuUpdates(old, cur []entry) ([]entryUpdate, bool) {
	var ups []entryUpdate
	var walk func(a, b []entry) bool
	walk = func(a, b []entry) bool {
		if len(a) != len(b) {
			return false
		}
		for i := range a {
			x, y := a[i], b[i]
			if x.id != y.id || x.kind != y.kind || (len(x.children) > 0) != (len(y.children) > 0) {
				return false
			}
			if x.title != y.title || x.tooltip != y.tooltip || x.checked != y.checked || x.disabled != y.disabled {
				ups = append(ups, entryUpdate{old: x, cur: y})
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
	return ups, true
}

// findEntry finds the entry with id anywhere in the menu.
func findEntry(entries []entry, id string) (entry, bool) {
	for _, e := range entries {
		if e.id == id {
			return e, true
		}
		if f, ok := findEntry(e.children, id); ok {
			return f, true
		}
	}
	return entry{}, false
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
