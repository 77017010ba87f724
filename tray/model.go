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
	actReactivate        // "Re-activate now" in an active role's submenu
	actFindRole          // "Find a role…": the searchable chooser
	actAddFavourite      // "Add a favourite…": the chooser over roles not yet favourites
	actFavouriteSettings // a favourite's line under Settings: choose what to change
	actDefaultDuration   // "Default duration: 8h…"
	actReminders         // "Reminders: …"
	actToggleDaily       // key: the favourite whose "start my day" to turn on (asks the time) or off
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
	// daily: the core keeps the favourites' "start my day" (its submenu).
	daily bool
	// chooser: a list dialog can be shown ("Find a role…", "Add a favourite…", Settings).
	chooser bool
	// problem is the tray's own last failure (a dialog that could not be shown, a setting
	// refused), shown as a line under the header until the next dialog works.
	problem string
	// loc is the time zone of clock times ("ends at 17:42"); default time.Local.
	loc *time.Location
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
	titleFindRole           = "Find a role…"
	titleAddFavourite       = "Add a favourite…"
	titleSettings           = "Settings"
	titleReactivateNow      = "Re-activate now"
	titleCancelRequest      = "Cancel request"
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
	titleStartMyDay         = "Start my day"
)

// maxMenuDepth is how deep the menu goes: the top level and one level of submenus. Some
// tray hosts draw a third level empty (libdbusmenu-gtk hosts such as Xfce's and
// Cinnamon's, fed by fyne.io/systray: "Children but no menu"), so the menu never has one.
const maxMenuDepth = 2

// maxEntries is the most entries one menu level holds: about a screenful. The top level
// and every submenu stay within it at 10 roles as at 500 (issue 10); what does not fit is
// reached through "Find a role…".
const maxEntries = 40

// Caps of the role lines on the top level: favourites beyond maxTopFavourites go to a
// "More favourites" submenu, and at most maxInUse other roles in use are shown there.
const (
	maxTopFavourites = 12
	maxInUse         = 8
	maxTopApprovals  = 6
	maxRecentlyUsed  = 5
)

// buildMenu turns a snapshot into the whole menu, never more than two levels deep and
// never more than maxEntries entries on a level:
//
//	header (account · tenant, or "Sign in…"), offline, plane-problem and configuration lines
//	favourites (click: activate; active: a submenu with its end, "Re-activate now" and
//	  "Deactivate"; pending: a submenu with "Cancel request"; failed: its reason below)
//	other roles in use (active, pending, failed), the same way
//	Activate all favourites
//	Find a role…   (a searchable list of every eligible role)
//	All eligible roles ▸ (small tenants: a line per plane and scope, then its roles), or
//	  one submenu per plane, split in ranges of scopes when a plane has more than fit
//	Favourites ▸ a check box per role (small tenants), or the favourites and "Add a favourite…"
//	Settings ▸ a line per favourite (duration, reason, ticket, keep-alive), default
//	  duration, reminders
//	Refresh, Sign out
//	Start at login, Open configuration, Open log
//	Quit
func buildMenu(s engine.Snapshot, now time.Time, env menuEnv) []entry {
	if env.loc == nil {
		env.loc = time.Local
	}
	var top []entry
	top = append(top, headerEntries(s)...)
	if env.problem != "" {
		top = append(top, info("tray-problem", env.problem))
	}
	if s.Offline {
		top = append(top, info("offline", titleOffline))
	}
	for i, p := range s.Problems {
		top = append(top, info(fmt.Sprintf("problem/%d", i), p.Message))
	}
	if s.ConfigProblem != "" {
		top = append(top, info("problem/config", s.ConfigProblem))
	}
	top = append(top, approvalEntries(s, now)...)

	top = append(top, separator("sep/favourites"))
	if len(s.Favourites) == 0 {
		top = append(top, info("fav/none", titleNoFavourites))
	}
	var moreFavs []entry
	for i, it := range s.Favourites {
		if i < maxTopFavourites {
			top = append(top, roleEntries("fav", it, now, env)...)
		} else {
			moreFavs = append(moreFavs, roleLeaves("fav", it, now, env)...)
		}
	}
	if len(moreFavs) > 0 {
		top = append(top, entry{id: "fav-more", title: "More favourites", children: capEntries("fav-more", moreFavs)})
	}
	top = append(top, inUseEntries(s, now, env)...)
	top = append(top, entry{
		id:       "activate-favourites",
		title:    titleActivateFavourites,
		disabled: !slices.ContainsFunc(s.Favourites, func(it engine.Item) bool { return activatable(it, now) }),
		action:   action{kind: actActivateFavourites},
	})
	if at, ok := activateAtEntry(s, now, env); ok {
		at.children = capEntries("activate-at", at.children)
		top = append(top, at)
	}
	if d, ok := startMyDayEntry(s, env); ok {
		d.children = capEntries("start-my-day", d.children)
		top = append(top, d)
	}
	if env.chooser && len(s.All) > 0 {
		top = append(top, entry{id: "find", title: titleFindRole, action: action{kind: actFindRole}})
	}

	var tail []entry
	tail = append(tail, favouritesEntry(s, env))
	tail = append(tail, settingsEntry(s, env))
	if env.planner {
		tail = append(tail, recentEntry(s, now))
	}
	tail = append(tail, separator("sep/session"))
	refresh := entry{id: "refresh", title: titleRefresh, action: action{kind: actRefresh}}
	if s.Refreshing {
		refresh.title, refresh.disabled = titleRefreshing, true
	}
	tail = append(tail, refresh)
	tail = append(tail, sessionEntries(s)...)
	tail = append(tail, separator("sep/app"))
	if env.autostart != nil {
		tail = append(tail, entry{
			id: "autostart", title: titleStartAtLogin, kind: kindCheckbox, checked: *env.autostart,
			action: action{kind: actToggleAutostart},
		})
	}
	if env.openConfig {
		tail = append(tail, entry{id: "open-config", title: titleOpenConfig, action: action{kind: actOpenConfig}})
	}
	if env.openLog {
		tail = append(tail, entry{id: "open-log", title: titleOpenLog, action: action{kind: actOpenLog}})
	}
	if env.about != "" {
		tail = append(tail, info("about", env.about))
	}
	if env.autostart != nil || env.openConfig || env.openLog || env.about != "" {
		tail = append(tail, separator("sep/quit"))
	}
	tail = append(tail, entry{id: "quit", title: titleQuit, action: action{kind: actQuit}})

	browse := browseEntries(s, now, env, maxEntries-len(top)-len(tail))
	return append(append(top, browse...), tail...)
}

// roleTitle is a role's line: its label, and what activating it needs while it can be
// activated ("Contributor · rg-shop — activate (4h) · ticket · approval").
func roleTitle(it engine.Item, now time.Time, env menuEnv) string {
	t := env.label(it, now)
	if activatable(it, now) {
		if n := engine.NeedsText(it); n != "" {
			t += " · " + n
		}
	}
	return t
}

// roleEntries are one role's lines where a click is one click: an entry that activates it
// (followed, when its last try failed, by a line with the reason), or a submenu for an
// active role (its end, "Re-activate now", "Deactivate") or a pending one ("Cancel request").
func roleEntries(prefix string, it engine.Item, now time.Time, env menuEnv) []entry {
	id := prefix + "/" + it.Key
	e := entry{id: id, title: roleTitle(it, now, env), tooltip: it.Problem}
	switch state := stateAt(it, now); {
	case activatable(it, now):
		e.action = action{kind: actActivate, key: it.Key}
	case state == engine.StateActive:
		e.children = activeChildren(id, it, now, env)
	case state == engine.StatePending:
		e.children = []entry{
			info(id+"/waiting", "Waiting for approval"),
			{id: id + "/cancel", title: titleCancelRequest, action: action{kind: actCancel, key: it.Key}},
		}
	case state == engine.StateScheduled && env.planner:
		e.children = []entry{{id: id + "/cancel", title: titleCancelScheduled, action: action{kind: actCancel, key: it.Key}}}
	default:
		e.disabled = true
	}
	out := []entry{e}
	if r := reasonLine(id, it, now); r != nil {
		out = append(out, *r)
	}
	return out
}

// roleLeaves are one role's lines inside a submenu, where a third level can't be drawn:
// a click activates a role that can be; an active role shows its countdown (ending it
// takes its line on the top level or "Find a role…", so no click in a long list ends a
// role by accident); the rest are greyed out; a failure's reason follows on a line.
func roleLeaves(prefix string, it engine.Item, now time.Time, env menuEnv) []entry {
	id := prefix + "/" + it.Key
	e := entry{id: id, title: roleTitle(it, now, env), tooltip: it.Problem}
	switch {
	case activatable(it, now):
		e.action = action{kind: actActivate, key: it.Key}
	case stateAt(it, now) == engine.StateActive:
	default:
		e.disabled = true
	}
	out := []entry{e}
	if r := reasonLine(id, it, now); r != nil {
		out = append(out, *r)
	}
	return out
}

// reasonLine is the greyed line under a role whose last try failed, saying why: most tray
// hosts never show a tooltip.
func reasonLine(id string, it engine.Item, now time.Time) *entry {
	if stateAt(it, now) != engine.StateFailed || it.Problem == "" {
		return nil
	}
	r := info(id+"/problem", "    ↳ "+it.Problem)
	return &r
}

// activeChildren is an active role's submenu: when it ends, "Re-activate now", and
// "Deactivate" (greyed, saying from when, during the first 5 minutes, when Azure refuses it).
func activeChildren(id string, it engine.Item, now time.Time, env menuEnv) []entry {
	end := "Active, with no end"
	if !it.ExpiresAt.IsZero() {
		end = "Ends at " + clockTime(it.ExpiresAt, now.In(env.loc))
	}
	out := []entry{
		info(id+"/ends", end),
		{id: id + "/reactivate", title: titleReactivateNow, action: action{kind: actReactivate, key: it.Key}},
	}
	d := entry{id: id + "/deactivate", title: titleDeactivate, action: action{kind: actDeactivate, key: it.Key}}
	if at := engine.DeactivateAvailableAt(it); now.Before(at) {
		d.title, d.disabled = titleDeactivate+" (available at "+clockTime(at, now.In(env.loc))+")", true
	}
	return append(out, d)
}

// inUseEntries are the roles that are not favourites but in use (active, pending, in
// flight, failed: on the top level so they can be ended, cancelled or retried; at most
// maxInUse), then the ones recently used from here (at most maxRecentlyUsed, the latest
// first), so the next click on them is one click too.
func inUseEntries(s engine.Snapshot, now time.Time, env menuEnv) []entry {
	var out []entry
	n := 0
	var used []engine.Item
	for _, it := range s.All {
		if it.Favourite {
			continue
		}
		switch stateAt(it, now) {
		case engine.StateActive, engine.StatePending, engine.StateActivating, engine.StateDeactivating, engine.StateFailed, engine.StateScheduled:
			if n == maxInUse {
				continue
			}
			if n == 0 {
				out = append(out, separator("sep/in-use"))
			}
			out = append(out, roleEntries("use", it, now, env)...)
			n++
		default:
			if !it.LastUsed.IsZero() {
				used = append(used, it)
			}
		}
	}
	slices.SortStableFunc(used, func(a, b engine.Item) int { return b.LastUsed.Compare(a.LastUsed) })
	for i, it := range used {
		if i == maxRecentlyUsed {
			break
		}
		if n == 0 && i == 0 {
			out = append(out, separator("sep/in-use"))
		}
		out = append(out, roleEntries("used", it, now, env)...)
	}
	return out
}

// capEntries keeps a submenu within maxEntries: what doesn't fit is said on its last line.
func capEntries(prefix string, es []entry) []entry {
	if len(es) <= maxEntries {
		return es
	}
	out := slices.Clone(es[:maxEntries-1])
	more := 0
	for _, e := range es[maxEntries-1:] {
		if !e.inert {
			more++
		}
	}
	return append(out, info(prefix+"/more", fmt.Sprintf("%d more: use “%s”", more, titleFindRole)))
}

// approvalEntries is the section "Waiting for your approval (N)" when N > 0: one entry per
// request (who · role · scope · how old), its submenu Approve, Deny and the requester's
// justification as a greyed line. A request whose decision is on its way is greyed.
func approvalEntries(s engine.Snapshot, now time.Time) []entry {
	if len(s.Approvals) == 0 {
		return nil
	}
	out := []entry{separator("sep/approvals"), info("approvals", fmt.Sprintf(titleApprovals, len(s.Approvals)))}
	for i, a := range s.Approvals {
		if i == maxTopApprovals { // the top level stays within maxEntries
			out = append(out, info("approvals/more", fmt.Sprintf("%d more: pimtray approvals", len(s.Approvals)-i)))
			break
		}
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

// startMyDayEntry is the "Start my day" submenu: a check box per favourite, ticked when its
// daily activation is on, with its days and time ("Owner · IT — Mon-Fri 08:30"). Ticking
// asks the time (the core's dialog); unticking turns it off and keeps the days and time.
func startMyDayEntry(s engine.Snapshot, env menuEnv) (entry, bool) {
	if !env.daily {
		return entry{}, false
	}
	e := entry{id: "start-my-day", title: titleStartMyDay}
	for _, it := range s.Favourites {
		title := engine.ItemName(it)
		if it.Daily != "" {
			title += " — " + it.Daily
		}
		e.children = append(e.children, entry{id: "start-my-day/" + it.Key, title: title, kind: kindCheckbox,
			checked: it.DailyOn, action: action{kind: actToggleDaily, key: it.Key}})
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

// browseEntries are the submenus that list every eligible role, within budget entries on
// the top level and maxEntries in each submenu:
//
//   - when all of them fit in one submenu with a line per plane and scope, "All eligible
//     roles" as small tenants always had it;
//   - else one submenu per plane ("Azure roles"), its roles named with their scope, and a
//     plane with more than fit split in ranges of scopes ("Azure roles: IT – rg-data");
//   - when even those don't fit the budget, one submenu per plane with its first roles and
//     a line pointing to "Find a role…", which reaches every one.
func browseEntries(s engine.Snapshot, now time.Time, env menuEnv, budget int) []entry {
	leaf := func(it engine.Item) []entry { return roleLeaves("all", it, now, env) }
	sections := roleSections(s, s.All)
	var small []entry
	for i, sec := range sections {
		if i > 0 {
			small = append(small, separator("all/sep/"+sec.id))
		}
		small = append(small, info("all/section/"+sec.id, sec.title))
		for _, it := range sec.items {
			small = append(small, leaf(it)...)
		}
	}
	if len(small) == 0 {
		return []entry{{id: "all", title: titleAllRoles, children: []entry{info("all/none", titleNoRoles)}}}
	}
	if len(small) <= maxEntries || budget < 2 {
		return []entry{{id: "all", title: titleAllRoles, children: capEntries("all", small)}}
	}

	// Per plane, sorted by scope and role, in chunks of even size of whole roles (a role
	// and its reason line stay together).
	type chunk struct {
		first, last engine.Item
		entries     []entry
	}
	var planes [][]chunk
	var planeOf []pim.Plane
	for _, p := range pim.Planes() {
		var items []engine.Item
		lines := 0
		for _, it := range s.All {
			if it.Role.Plane == p {
				items = append(items, it)
				lines += len(leaf(it))
			}
		}
		if len(items) == 0 {
			continue
		}
		slices.SortStableFunc(items, func(a, b engine.Item) int {
			if c := strings.Compare(strings.ToLower(scopeLabel(a)), strings.ToLower(scopeLabel(b))); c != 0 {
				return c
			}
			return strings.Compare(strings.ToLower(a.Role.RoleName), strings.ToLower(b.Role.RoleName))
		})
		size := (lines + (lines+maxEntries-1)/maxEntries - 1) / ((lines + maxEntries - 1) / maxEntries) // even chunks
		var chunks []chunk
		for _, it := range items {
			ls := leaf(it)
			if len(chunks) == 0 || len(chunks[len(chunks)-1].entries)+len(ls) > size {
				chunks = append(chunks, chunk{first: it})
			}
			c := &chunks[len(chunks)-1]
			c.last = it
			c.entries = append(c.entries, ls...)
		}
		planes = append(planes, chunks)
		planeOf = append(planeOf, p)
	}
	// Each plane gets at least one submenu and the budget goes, one at a time, to the plane
	// with the most left out; a plane that doesn't get all its ranges ends its last
	// submenu with a line saying how many more "Find a role…" has.
	alloc := make([]int, len(planes))
	left := budget
	for i := range planes {
		alloc[i] = 1
		left--
	}
	for ; left > 0; left-- {
		best := -1
		for i, cs := range planes {
			if alloc[i] < len(cs) && (best < 0 || len(cs)-alloc[i] > len(planes[best])-alloc[best]) {
				best = i
			}
		}
		if best < 0 {
			break
		}
		alloc[best]++
	}
	var out []entry
	for i, cs := range planes {
		p := planeOf[i]
		for j := 0; j < alloc[i] && j < len(cs); j++ {
			c := cs[j]
			e := entry{id: "all/" + string(p), title: planeTitle(p), children: c.entries}
			if j == alloc[i]-1 && alloc[i] < len(cs) { // the rest of the plane, cut
				var rest []entry
				for _, r := range cs[j:] {
					rest = append(rest, r.entries...)
				}
				e.children = capEntries(fmt.Sprintf("all/%s/%d", p, j), rest)
				c.last = cs[len(cs)-1].last
			}
			if len(cs) > 1 {
				e.id = fmt.Sprintf("all/%s/%d", p, j)
				e.title += ": " + rangeTitle(c.first, c.last)
			}
			out = append(out, e)
		}
	}
	return out
}

// planeTitle names a plane's roles submenu: "Entra ID roles", "Azure roles", "Group roles".
func planeTitle(p pim.Plane) string {
	switch p {
	case pim.PlaneGroup:
		return "Group roles"
	}
	return p.Title() + " roles"
}

// rangeTitle names a chunk of a plane's roles by its first and last scope ("IT – rg-data"),
// or by role names when the chunk is one scope.
func rangeTitle(first, last engine.Item) string {
	a, b := scopeLabel(first), scopeLabel(last)
	if strings.EqualFold(a, b) {
		a, b = first.Role.RoleName, last.Role.RoleName
	}
	return short(a) + " – " + short(b)
}

func scopeLabel(it engine.Item) string {
	if it.Role.ScopeName != "" {
		return it.Role.ScopeName
	}
	if it.Role.Scope == "/" || it.Role.Scope == "" {
		return "Directory"
	}
	return it.Role.Scope
}

// short cuts a name for a submenu title to 24 characters.
func short(s string) string {
	r := []rune(s)
	if len(r) <= 24 {
		return s
	}
	return string(r[:23]) + "…"
}

// favouritesEntry is the "Favourites" submenu. When every role fits, a check box per role
// (ticked: a favourite; a click stars or unstars it), grouped by plane and scope; on a big
// tenant, the favourites ticked (a click unstars) and "Add a favourite…", a list to pick from.
func favouritesEntry(s engine.Snapshot, env menuEnv) entry {
	box := func(it engine.Item) entry {
		return entry{
			id: "star/" + it.Key, title: engine.ItemName(it), tooltip: it.Problem, kind: kindCheckbox, checked: it.Favourite,
			action: action{kind: actToggleFavourite, key: it.Key},
		}
	}
	root := entry{id: "star", title: titleFavourites}
	root.children = sectionEntries("star", roleSections(s, starrable(s)), box)
	if len(root.children) == 0 {
		root.children = []entry{info("star/none", titleNoRoles)}
	}
	if len(root.children) <= maxEntries || !env.chooser {
		root.children = capEntries("star", root.children)
		return root
	}
	root.children = nil
	for _, f := range s.Favourites {
		root.children = append(root.children, box(f))
	}
	root.children = capEntries("star", root.children)
	if len(root.children) >= maxEntries-1 {
		root.children = root.children[:maxEntries-2]
	}
	if len(root.children) > 0 {
		root.children = append(root.children, separator("star/sep/add"))
	}
	root.children = append(root.children, entry{id: "star/add", title: titleAddFavourite, action: action{kind: actAddFavourite}})
	return root
}

// settingsEntry is the "Settings" submenu: a line per favourite saying what one click
// asks for (a click chooses what to change), then the default duration and the reminders.
func settingsEntry(s engine.Snapshot, env menuEnv) entry {
	root := entry{id: "settings", title: titleSettings}
	for _, it := range s.Favourites {
		if len(root.children) == maxEntries-4 {
			break
		}
		root.children = append(root.children, entry{
			id: "settings/fav/" + it.Key, title: favouriteSettingsTitle(it) + "…",
			action: action{kind: actFavouriteSettings, key: it.Key},
		})
	}
	if len(root.children) > 0 {
		root.children = append(root.children, separator("settings/sep"))
	}
	d := s.Settings.DefaultDuration
	if d <= 0 {
		d = engine.DefaultDuration
	}
	root.children = append(root.children,
		entry{id: "settings/default-duration", title: "Default duration: " + engine.FormatDuration(d) + "…", action: action{kind: actDefaultDuration}},
		entry{id: "settings/reminders", title: "Reminders: " + engine.FormatReminders(s.Settings.Reminders) + "…", action: action{kind: actReminders}},
	)
	if !env.chooser {
		for i := range root.children {
			root.children[i].disabled = root.children[i].kind != kindSeparator
		}
	}
	return root
}

// favouriteSettingsTitle is a favourite's saved settings in a line: "Global Administrator:
// 4h · reason “Daily operations” · until 18:00".
func favouriteSettingsTitle(it engine.Item) string {
	parts := []string{"default duration"}
	if it.SavedDuration > 0 {
		parts[0] = engine.FormatDuration(it.SavedDuration)
	}
	if it.SavedJustification != "" {
		parts = append(parts, "reason “"+short(it.SavedJustification)+"”")
	}
	if it.SavedTicket != "" {
		parts = append(parts, "ticket "+short(it.SavedTicket))
	}
	if it.KeepActiveUntil != "" {
		parts = append(parts, "until "+it.KeepActiveUntil)
	}
	return engine.ItemName(it) + ": " + strings.Join(parts, " · ")
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
