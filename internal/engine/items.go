package engine

import (
	"slices"
	"strings"
	"time"

	"github.com/pimtray/pimtray/internal/engine/reminders"
	"github.com/pimtray/pimtray/internal/engine/roles"
	"github.com/pimtray/pimtray/pim"
	"github.com/pimtray/pimtray/store"
)

// chainSlack joins two activations of one role into one stretch of access when the second
// starts at most this long after the first ends (a re-activation scheduled at the end).
const chainSlack = roles.ChainSlack

// candidatesLocked are the activations known for key: the listing's, plus what the engine
// just did (trusted over the listing while recent).
func (e *Engine) candidatesLocked(ts *tenantState, key string, now time.Time) ([]pim.Activation, time.Time) {
	return e.roles.Candidates(key, ts.listing(), now)
}

// scheduledLocked is the role's activation granted for a start still ahead, if any (the
// earliest): what the engine just scheduled, or what the listing of open requests shows.
func (e *Engine) scheduledLocked(ts *tenantState, key string, now time.Time) (pim.Activation, bool) {
	return e.roles.Upcoming(key, ts.listing(), now)
}

// pruneRecentLocked forgets what the listings have caught up with.
func (e *Engine) pruneRecentLocked(now time.Time) {
	e.roles.PruneRecent(now, func(key string) (roles.Listing, bool) {
		if _, ts, ok := e.roleLocked(key); ok {
			return ts.listing(), true
		}
		return roles.Listing{}, false
	})
}

// currentLocked is the role's running activation at now, its end extended over activations
// that follow on (a re-activation scheduled at the end).
func (e *Engine) currentLocked(ts *tenantState, key string, now time.Time) (pim.Activation, bool) {
	return e.roles.Current(key, ts.listing(), now)
}

// pendingLocked is the role's open request, if any.
func (e *Engine) pendingLocked(ts *tenantState, key string, now time.Time) (pim.Activation, bool) {
	return e.roles.Pending(key, ts.listing(), now)
}

func (e *Engine) hasPendingLocked(now time.Time) bool {
	if e.roles.Awaiting() {
		return true
	}
	for _, ts := range e.tenants {
		for _, a := range ts.pending {
			if a.Status != pim.StatusScheduled { // a scheduled one waits for no decision
				return true
			}
		}
	}
	return false
}

// durationLocked is what one click on key asks for: the favourite's duration, else the
// configured default, capped at the policy maximum when known.
func (e *Engine) durationLocked(key string) time.Duration {
	d := e.cfg.DefaultDuration.D()
	if d <= 0 {
		d = DefaultDuration
	}
	if f, ok := e.favouriteLocked(key); ok && f.Duration > 0 {
		d = f.Duration.D()
	}
	if p, ok := e.roles.Policy(key); ok && p.Known && p.Policy.MaxDuration > 0 && d > p.Policy.MaxDuration {
		d = p.Policy.MaxDuration
	}
	return d
}

// itemLocked is one role as the UI shows it at now.
func (e *Engine) itemLocked(ts *tenantState, role pim.Role, now time.Time) Item {
	key := role.Key()
	it := Item{Key: key, Role: role, State: StateEligible, Duration: e.durationLocked(key)}
	rec := e.roles.Of(key)
	if p := rec.Policy; p != nil && p.Known {
		pol := p.Policy
		it.Policy = &pol
		it.PolicyReadAt = p.FetchedAt
	}
	if f, ok := e.favouriteLocked(key); ok {
		it.Favourite = true
		savedSettings(&it, f)
		if sc := f.Schedule; sc != nil {
			it.Daily, it.DailyOn = dailyText(sc), !sc.Off
		}
	} else if it.Policy == nil {
		// The cap is not known until its policy is read (the background refresh reads every
		// role's, favourites first): until then the label says just "activate" rather than
		// promise a duration the policy may cut.
		it.Duration = 0
	}
	if len(e.tenants) > 1 {
		it.TenantName = ts.b.Name
		if it.TenantName == "" {
			it.TenantName = ts.b.ID
		}
	}
	if at := rec.LastUsed; !at.IsZero() && now.Sub(at) < RecentlyUsedFor {
		it.LastUsed = at
	}
	var prob itemProblem
	hasProblem := rec.Problem != nil
	if hasProblem {
		prob = *rec.Problem
	}
	it.Problem = prob.Text
	cur, active := e.currentLocked(ts, key, now)
	pend, pending := e.pendingLocked(ts, key, now)
	sched, scheduled := e.scheduledLocked(ts, key, now)
	switch op := ItemState(rec.InFlight); {
	case op != "":
		it.State = op
		if since := rec.InFlightSince; !since.IsZero() && op == StateActivating && now.Sub(since) >= SlowAnswer {
			it.Waiting = true
		}
	case active:
		it.State = StateActive
	case pending:
		it.State = StatePending
	case scheduled:
		it.State = StateScheduled
	case ts.needsSignIn || !ts.signedIn || prob.SignIn:
		it.State = StateNeedsSignIn
		if it.Problem == "" {
			it.Problem = "Sign in to " + tenantLabel(ts) + " to use this role."
		}
	case hasProblem:
		it.State = StateFailed
	}
	if rec.InFlight == "" && (active || pending || scheduled) && ts.needsSignIn &&
		(ts.signInPlanes[""] || ts.signInPlanes[role.Plane]) {
		it.LastKnown = true // read before the plane refused the sign-in
	}
	if active {
		it.StartsAt, it.ExpiresAt = cur.StartsAt, cur.ExpiresAt
	} else if pending {
		it.StartsAt, it.RequestID = pend.StartsAt, pend.RequestID
	} else if scheduled {
		it.StartsAt, it.ExpiresAt, it.RequestID = sched.StartsAt, sched.ExpiresAt, sched.RequestID
	}
	return it
}

// Snapshot is everything the UI renders, computed at the clock's now. It is a copy: the
// caller may keep it.
func (e *Engine) Snapshot() Snapshot {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.snapshotLocked(e.now())
}

func (e *Engine) snapshotLocked(now time.Time) Snapshot {
	s := Snapshot{Demo: e.opts.Demo, Now: now, Refreshing: e.refreshing, LastRefresh: e.lastRefresh, Offline: e.offline,
		ConfigProblem: e.configProblemLocked()}
	byKey := map[string]Item{}
	for _, ts := range e.tenants {
		s.Accounts = append(s.Accounts, Account{TenantID: ts.id(), TenantName: firstNonEmpty(ts.b.Name, ts.orgName), User: ts.user,
			SignedIn: ts.signedIn && !ts.needsSignIn, Storage: ts.storage})
		for _, role := range ts.eligible {
			it := e.itemLocked(ts, role, now)
			s.All = append(s.All, it)
			byKey[it.Key] = it
		}
		for _, p := range pim.Planes() {
			if msg, ok := ts.planeErrs[p]; ok {
				s.Problems = append(s.Problems, PlaneProblem{TenantID: ts.id(), Plane: p, Message: msg})
			}
		}
	}
	sortItems(s.All)
	for _, f := range e.cfg.Favourites {
		if it, ok := byKey[f.Key]; ok {
			s.Favourites = append(s.Favourites, it)
			continue
		}
		s.Favourites = append(s.Favourites, e.unknownFavouriteLocked(f, now))
	}
	s.Approvals, s.ApprovalPlanes = e.approvalsLocked()
	s.Recent = e.recentActivity
	s.Recent.Entries = slices.Clone(s.Recent.Entries)
	s.Icon = Icon(append(append([]Item(nil), s.All...), s.Favourites...), s.Accounts, now, e.expiringWindow())
	if len(s.Approvals) > 0 && s.Icon == IconIdle {
		s.Icon = IconPending // something waits for the user's decision (the tooltip says it always)
	}
	s.Tooltip = Tooltip(s, now)
	s.Header = Header(s)
	s.Settings = e.settingsLocked()
	return s
}

// savedSettings copies a favourite's own settings to its item.
func savedSettings(it *Item, f store.Favourite) {
	it.KeepActiveUntil = f.KeepActiveUntil
	it.SavedDuration = f.Duration.D()
	it.SavedJustification = f.Justification
	it.SavedTicket = f.TicketNumber
}

// unknownFavouriteLocked is a favourite not among the eligible roles (yet): before the first
// refresh, signed out, or no longer eligible.
func (e *Engine) unknownFavouriteLocked(f store.Favourite, now time.Time) Item {
	role := favouriteRole(f)
	ts := e.tenant(f.Tenant)
	it := Item{Key: f.Key, Role: role, State: StateUnknown, Favourite: true, Duration: e.durationLocked(f.Key)}
	savedSettings(&it, f)
	if ts == nil {
		it.Problem = "This favourite's tenant " + f.Tenant + " is not configured."
		return it
	}
	if len(e.tenants) > 1 {
		it.TenantName = ts.b.Name
		if it.TenantName == "" {
			it.TenantName = ts.b.ID
		}
	}
	switch {
	case ts.needsSignIn || !ts.signedIn:
		it.State = StateNeedsSignIn
		it.Problem = "Sign in to " + tenantLabel(ts) + " to use this role."
	case ts.loaded && !slices.Contains(ts.b.Planes, role.Plane) && len(ts.b.Planes) > 0:
		it.Problem = "The " + role.Plane.Title() + " plane is not used for this tenant."
	case ts.loaded && ts.planeErrs[role.Plane] == "":
		it.Problem = "You are no longer eligible for this role."
	}
	return it
}

func favouriteRole(f store.Favourite) pim.Role {
	return pim.Role{Plane: pim.Plane(f.Plane), TenantID: f.Tenant, RoleID: f.RoleID, RoleName: f.Role,
		Scope: f.Scope, ScopeName: f.ScopeName}
}

func tenantLabel(ts *tenantState) string {
	if ts.b.Name != "" {
		return ts.b.Name
	}
	return ts.b.ID
}

// sortItems orders roles by plane (Entra, Azure, Groups), then scope, then role name.
func sortItems(items []Item) {
	planeRank := func(p pim.Plane) int {
		if i := slices.Index(pim.Planes(), p); i >= 0 {
			return i
		}
		return len(pim.Planes())
	}
	slices.SortStableFunc(items, func(a, b Item) int {
		if d := planeRank(a.Role.Plane) - planeRank(b.Role.Plane); d != 0 {
			return d
		}
		if c := strings.Compare(strings.ToLower(a.Role.ScopeName), strings.ToLower(b.Role.ScopeName)); c != 0 {
			return c
		}
		if c := strings.Compare(strings.ToLower(a.Role.RoleName), strings.ToLower(b.Role.RoleName)); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
}

// roleLocked finds an eligible role by key.
func (e *Engine) roleLocked(key string) (pim.Role, *tenantState, bool) {
	for _, ts := range e.tenants {
		for _, r := range ts.eligible {
			if r.Key() == key {
				return r, ts, true
			}
		}
	}
	return pim.Role{}, nil, false
}

// nextDisplayChangeLocked is the next instant the snapshot changes by itself: an activation
// ends, enters the expiring window, or something recent lapses.
func (e *Engine) nextDisplayChangeLocked(now time.Time) time.Time {
	var next time.Time
	at := func(t time.Time) {
		if t.After(now) && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	win := e.expiringWindow()
	for _, ts := range e.tenants {
		for _, r := range ts.eligible {
			cur, ok := e.currentLocked(ts, r.Key(), now)
			if !ok {
				// A scheduled activation that starts later.
				acts, _ := e.candidatesLocked(ts, r.Key(), now)
				for _, a := range acts {
					at(a.StartsAt)
				}
				continue
			}
			if !cur.ExpiresAt.IsZero() {
				at(cur.ExpiresAt)
				at(cur.ExpiresAt.Add(-win))
			}
		}
	}
	at(e.roles.NextLapse(now))
	return next
}

// activationsForRemindersLocked are the activations the reminder scheduler looks at:
// every running one (its end extended over a re-activation that follows on), and for a
// while the ones that ended, for "has ended". It also updates what is tracked.
func (e *Engine) activationsForRemindersLocked(now time.Time) []reminders.Activation {
	var running []reminders.Activation
	for _, ts := range e.tenants {
		for _, r := range ts.eligible {
			key := r.Key()
			cur, ok := e.currentLocked(ts, key, now)
			if !ok || cur.ExpiresAt.IsZero() {
				continue
			}
			running = append(running, reminders.Activation{Key: key, StartedAt: cur.StartsAt, EndsAt: cur.ExpiresAt})
		}
	}
	return e.roles.ForReminders(now, running)
}
