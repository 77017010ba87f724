package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pimtray/pimtray/internal/engine/roles"
	"github.com/pimtray/pimtray/pim"
	"github.com/pimtray/pimtray/store"
)

// Refresh reads every tenant again in the background (coalesced with one running).
func (e *Engine) Refresh() {
	e.mu.Lock()
	e.askedRefresh = true // a refresh someone asked for looks for approvals on every plane
	if e.refreshing {
		e.refreshAgain = true
		e.mu.Unlock()
		return
	}
	e.refreshing = true
	e.mu.Unlock()
	e.signal()
	e.goBackground(func(ctx context.Context) { e.runRefresh(ctx) })
}

// RefreshNow reads every tenant (or only tenant, when given) and returns when done. The
// error is nil when at least one tenant answered; per-plane failures show in the
// snapshot's Problems. For the command line.
func (e *Engine) RefreshNow(ctx context.Context, tenant string) error {
	var tenants []*tenantState
	e.mu.Lock()
	for _, ts := range e.tenants {
		if tenant == "" || ts.is(tenant) {
			tenants = append(tenants, ts)
		}
	}
	e.mu.Unlock()
	if len(tenants) == 0 {
		return &InputError{Msg: fmt.Sprintf("tenant %q is not configured", tenant)}
	}
	e.reloadConfig()
	errs := e.refreshTenants(ctx, tenants, nil)
	e.saveState() // the command line's cache (the tray saves its own after its refreshes)
	e.signal()
	if len(errs) == len(tenants) {
		return errs[0]
	}
	return nil
}

// runRefresh is the background refresh: every tenant, then the next one planned (jittered),
// or a back-off while offline. A Refresh asked meanwhile runs one more round.
func (e *Engine) runRefresh(ctx context.Context) {
	for {
		e.reloadConfig() // a hand edit shows with the refresh
		e.mu.Lock()
		tenants := slices.Clone(e.tenants)
		e.mu.Unlock()
		e.signal()

		errs := e.refreshTenants(ctx, tenants, nil)
		// What waits for the user's approval, at most one listing per plane (pollRule); a
		// refresh asked for (the menu's Refresh, a wake from sleep) lists every plane that can be.
		e.mu.Lock()
		asked := e.askedRefresh
		e.askedRefresh = false
		e.mu.Unlock()
		e.pollApprovals(ctx, asked)
		offline := false
		for _, err := range errs {
			if errors.Is(err, pim.ErrUnavailable) {
				offline = true
			}
		}

		e.mu.Lock()
		now := e.now()
		e.offline = offline
		if offline {
			e.refreshFailures++
			wait := backoffBase << min(e.refreshFailures-1, 10)
			e.nextRefresh = now.Add(min(wait, backoffMax))
		} else {
			e.refreshFailures = 0
			iv := e.refreshInterval()
			// ±10% so many trays do not refresh in step.
			e.nextRefresh = now.Add(iv + time.Duration((e.jitter()-0.5)*0.2*float64(iv)))
		}
		again := e.refreshAgain && ctx.Err() == nil
		e.refreshAgain = false
		e.refreshing = again
		e.mu.Unlock()
		e.saveState()
		e.signal()
		if !again {
			// Then, at leisure, the policies of the other roles, so their labels say what
			// a click asks for ("activate (4h)") and a click on any of them is one request.
			if e.fetchOtherPolicies(ctx) > 0 {
				e.saveState()
				e.signal()
			}
			return
		}
	}
}

// pollPending reads the planes that have open requests, to see approvals and denials soon.
func (e *Engine) pollPending(ctx context.Context) {
	defer func() {
		e.mu.Lock()
		e.polling = false
		e.mu.Unlock()
		e.signal()
	}()
	e.mu.Lock()
	planes := map[*tenantState][]pim.Plane{}
	for _, ts := range e.tenants {
		for _, a := range ts.pending {
			if !slices.Contains(planes[ts], a.Role.Plane) {
				planes[ts] = append(planes[ts], a.Role.Plane)
			}
		}
	}
	for key, act := range e.roles.AwaitingActs() {
		_, ts, ok := e.roleLocked(key)
		if !ok {
			continue
		}
		if !slices.Contains(planes[ts], act.Role.Plane) {
			planes[ts] = append(planes[ts], act.Role.Plane)
		}
	}
	e.mu.Unlock()
	for ts, ps := range planes {
		e.refreshTenants(ctx, []*tenantState{ts}, ps)
	}
	e.saveState()
}

// refreshTenants reads the tenants concurrently (only the given planes when some are
// given) and returns one error per tenant that could not be read at all. Each tenant's
// read, and then the favourites' policies, ends within refreshTimeout.
func (e *Engine) refreshTenants(ctx context.Context, tenants []*tenantState, planes []pim.Plane) []error {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for _, ts := range tenants {
		wg.Go(func() {
			tctx, cancel := context.WithTimeout(ctx, e.refreshTimeout())
			defer cancel()
			if err := e.refreshTenant(tctx, ts, planes); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	pctx, cancel := context.WithTimeout(ctx, e.refreshTimeout())
	defer cancel()
	n := e.fetchFavouritePolicies(pctx)
	e.mu.Lock()
	e.favouritePolicyReads = n // what fetchOtherPolicies leaves out of its budget
	e.mu.Unlock()
	return errs
}

func (e *Engine) refreshTenant(ctx context.Context, ts *tenantState, only []pim.Plane) error {
	e.mu.Lock()
	if ts.b.Auth != nil {
		ts.user, ts.signedIn = ts.b.Auth.Account()
		ts.storage = ts.b.Auth.Storage()
	}
	signedIn := ts.signedIn
	planes := only
	if planes == nil {
		planes = ts.b.Planes
	}
	e.mu.Unlock()
	if !signedIn {
		// Background work never opens a browser: the UI says "Sign in…" and waits.
		return &pim.Error{Kind: pim.KindSignInNeeded, Text: "Sign in needed for " + tenantLabel(ts) + "."}
	}
	if ts.b.Auth == nil && e.userOf(ts) == "" {
		// A built-in credential: ask Azure who this is, for the menu's header.
		if me, err := ts.b.API.Me(ctx); err == nil {
			e.mu.Lock()
			ts.user = firstNonEmpty(me.UserPrincipalName, me.DisplayName)
			e.mu.Unlock()
		}
	}
	started := e.now()
	ov, err := ts.b.API.Overview(ctx, planes...)
	if err == nil && ov == nil {
		err = &pim.Error{Kind: pim.KindBadResponse, Text: "Azure returned nothing."}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	if err != nil {
		e.log.Warn("refresh failed", "tenant", ts.b.ID, "err", err)
		if errors.Is(err, pim.ErrSignInNeeded) {
			e.markSignInNeededLocked(ts, "", "")
		}
		return fmt.Errorf("refresh %s: %w", tenantLabel(ts), err)
	}
	if ov.TenantID != "" {
		ts.learnedID = ov.TenantID
	}
	fetched := map[pim.Plane]bool{}
	for _, p := range planesOrAll(planes) {
		fetched[p] = true
	}
	// A failed plane keeps its last known roles: a passing hiccup must not empty the menu.
	for p, perr := range ov.Errors {
		if perr == nil {
			continue
		}
		e.log.Warn("plane failed", "tenant", ts.b.ID, "plane", p, "err", perr)
		ts.planeErrs[p] = planeProblem(p, perr)
		fetched[p] = false
	}
	var worked []pim.Plane
	for p, ok := range fetched {
		if ok {
			delete(ts.planeErrs, p)
			worked = append(worked, p)
		}
	}
	// The planes that refuse first, then those that worked: the episode ends only when none
	// refuses any more.
	for p, perr := range ov.Errors {
		if perr != nil && errors.Is(perr, pim.ErrSignInNeeded) {
			e.markSignInNeededLocked(ts, "", p)
		}
	}
	e.signInWorkedLocked(ts, worked...)
	keep := func(r pim.Role) bool { return !fetched[r.Plane] }
	ts.eligible = slices.DeleteFunc(ts.eligible, func(r pim.Role) bool { return !keep(r) })
	ts.active = slices.DeleteFunc(ts.active, func(a pim.Activation) bool { return !keep(a.Role) })
	ts.pending = slices.DeleteFunc(ts.pending, func(a pim.Activation) bool { return !keep(a.Role) })
	for _, r := range ov.Eligible {
		if fetched[r.Plane] {
			ts.eligible = append(ts.eligible, e.ownRole(ts, r))
		}
	}
	for _, a := range ov.Active {
		if fetched[a.Role.Plane] {
			a.Role = e.ownRole(ts, a.Role)
			if a.StartsAt.After(now) {
				// Azure lists it as in force: it has started, whatever a start a moment
				// ahead (clocks that differ) says.
				a.StartsAt = now
			}
			ts.active = append(ts.active, a)
			// The failed activation happened after all (its answer was lost), or the role
			// was activated elsewhere: the failure is no news any more.
			e.roles.ListedActive(a.Role.Key())
		}
	}
	for _, a := range ov.Pending {
		if fetched[a.Role.Plane] {
			a.Role = e.ownRole(ts, a.Role)
			ts.pending = append(ts.pending, a)
		}
	}
	ts.loaded = true
	for p, ok := range fetched {
		if ok {
			ts.fetched[p] = started
		}
	}
	e.lastRefresh = now
	e.resolveAwaitingLocked(ts, fetched, now)
	e.seedDemoFavouritesLocked()
	return nil
}

func (e *Engine) userOf(ts *tenantState) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return ts.user
}

// ownRole gives a role this tenant's id when the client left it empty, so keys always
// carry the tenant.
func (e *Engine) ownRole(ts *tenantState, r pim.Role) pim.Role {
	if r.TenantID == "" {
		r.TenantID = ts.id()
	}
	return r
}

func planesOrAll(p []pim.Plane) []pim.Plane {
	if len(p) == 0 {
		return pim.Planes()
	}
	return p
}

// resolveAwaitingLocked turns open requests into approved (now active) or denied (gone),
// and tells each.
func (e *Engine) resolveAwaitingLocked(ts *tenantState, fetched map[pim.Plane]bool, now time.Time) {
	covers := func(r pim.Role) bool { return ts.is(r.TenantID) && fetched[r.Plane] }
	for _, ev := range e.roles.Resolve(ts.listing(), covers, now) {
		a := ev.Act
		switch ev.Kind {
		case roles.ApprovedLater:
			e.notify(e.newNoticeLocked(NoticeApproved, ev.Key, "", ev.Role.Label()+" approved",
				"It starts at "+e.clockTime(a.StartsAt, now)+".", nil, time.Time{}))
		case roles.Approved:
			body := "Active now."
			if !a.ExpiresAt.IsZero() {
				body = "Active until " + e.clockTime(a.ExpiresAt, now) + "."
			}
			e.notify(e.newNoticeLocked(NoticeApproved, ev.Key, "", ev.Role.Label()+" approved", body, nil, time.Time{}))
		case roles.Denied:
			e.notify(e.newNoticeLocked(NoticeDenied, ev.Key, "", ev.Role.Label()+" was not approved",
				"The request was denied, withdrawn or has expired.", nil, time.Time{}))
		}
	}
}

// signInWorkedLocked records that calls to these planes worked: the sign-in episode ends
// when no plane (and not the tenant as a whole) still needs a sign-in.
func (e *Engine) signInWorkedLocked(ts *tenantState, planes ...pim.Plane) {
	if len(planes) == 0 {
		return
	}
	delete(ts.signInPlanes, "")
	for _, p := range planes {
		delete(ts.signInPlanes, p)
	}
	if len(ts.signInPlanes) == 0 && (ts.needsSignIn || ts.told) {
		ts.needsSignIn, ts.told = false, false
	}
}

// markSignInNeededLocked records that ts needs an interactive sign-in (for plane; "" for the
// tenant as a whole) and tells the user once per episode.
func (e *Engine) markSignInNeededLocked(ts *tenantState, key string, plane pim.Plane) {
	ts.needsSignIn = true
	ts.signInPlanes[plane] = true
	if ts.told {
		return
	}
	ts.told = true
	body := "Open pimtray and choose Sign in to keep your roles working."
	if ts.b.Auth == nil {
		body = "The tenant's credential was refused."
	}
	e.notify(e.newNoticeLocked(NoticeSignInNeeded, key, "", "Sign in needed for "+tenantLabel(ts), body, nil, time.Time{}))
}

// planeProblem is the menu line for a plane that could not be read:
// "Groups: admin consent needed — see README".
func planeProblem(p pim.Plane, err error) string {
	var pe *pim.Error
	errors.As(err, &pe)
	switch {
	case errors.Is(err, pim.ErrPermission):
		// One short menu line; the log names the missing permissions.
		return p.Title() + ": admin consent needed — see README"
	case errors.Is(err, pim.ErrSignInNeeded):
		return p.Title() + ": sign in needed"
	case errors.Is(err, pim.ErrThrottled):
		return p.Title() + ": Azure asks to slow down; retrying later"
	case errors.Is(err, pim.ErrUnavailable):
		return p.Title() + ": cannot reach Azure; retrying"
	}
	msg := err.Error()
	if pe != nil && pe.Text != "" {
		msg = pe.Text
	}
	return p.Title() + ": " + strings.TrimSuffix(msg, ".")
}

// fetchFavouritePolicies reads the policies of the favourites that have none cached (or an
// old one), so a click needs a single request and the menu shows the capped duration. Roles
// one read answers together (an Entra tenant's, a group's two) are read together.
func (e *Engine) fetchFavouritePolicies(ctx context.Context) int {
	e.mu.Lock()
	now := e.now()
	byTenant := map[*tenantState][]pim.Role{}
	for _, f := range e.cfg.Favourites {
		role, ts, ok := e.roleLocked(f.Key)
		if !ok || !ts.signedIn || ts.needsSignIn {
			continue
		}
		if p, ok := e.roles.Policy(f.Key); ok && now.Sub(p.FetchedAt) < policyMaxAge {
			continue
		}
		byTenant[ts] = append(byTenant[ts], role)
	}
	e.mu.Unlock()
	var jobs []policyJob
	for ts, roles := range byTenant {
		for _, b := range pim.PolicyBatches(roles) {
			jobs = append(jobs, policyJob{ts, b})
		}
	}
	e.readPolicies(ctx, jobs, policyFetchers)
	return len(jobs)
}

// policyJob is one policy read: the roles of one tenant it answers.
type policyJob struct {
	ts    *tenantState
	roles []pim.Role
}

// policyFetchers is how many policy reads run at once in the background; a command, which
// someone waits for, runs commandPolicyFetchers.
const (
	policyFetchers        = 4
	commandPolicyFetchers = 8
)

// policyReadBudget is how many policy reads (each an Entra tenant's roles, a group's, or one
// Azure role) a background refresh spends, the favourites' first (they are read whenever
// theirs are old), the other roles' in what is left. Everything else of a refresh is the
// listings (13 requests at 440 roles): the two stay within 15 requests, and the roles'
// policies fill in over the refreshes, then last otherPolicyMaxAge.
const policyReadBudget = 2

// otherPolicyMaxAge is how long a policy of a role that is not a favourite is trusted: policies
// rarely change, and a stale one is safe (Azure checks every activation against the real one,
// and its refusal names what is missing). Favourites' are read again after policyMaxAge.
const otherPolicyMaxAge = 7 * 24 * time.Hour

// policyFreshLocked tells whether the cached policy of key is recent enough to use.
func (e *Engine) policyFreshLocked(key string, p policyEntry, now time.Time) bool {
	age := otherPolicyMaxAge
	if _, fav := e.favouriteLocked(key); fav {
		age = policyMaxAge
	}
	return now.Sub(p.FetchedAt) < age && !now.Before(p.FetchedAt.Add(-time.Minute))
}

// fetchOtherPolicies reads, within what policyReadBudget leaves, the policies of eligible roles that are
// not favourites and have none cached, and returns how many roles it read. Each role is tried
// at most once per otherPolicyMaxAge, read or not (an eligible-only user may not be allowed to
// read policies). Roles used lately (their policy cached but old) come before the others.
// Only the background refresh does this, not the command line.
func (e *Engine) fetchOtherPolicies(ctx context.Context) int {
	e.mu.Lock()
	now := e.now()
	byTenant := map[*tenantState][]pim.Role{}
	var order []*tenantState
	for _, ts := range e.tenants {
		if !ts.signedIn || ts.needsSignIn {
			continue
		}
		for _, r := range ts.eligible {
			key := r.Key()
			if _, fav := e.favouriteLocked(key); fav {
				continue // fetchFavouritePolicies reads those
			}
			if p, ok := e.roles.Policy(key); ok && e.policyFreshLocked(key, p, now) {
				continue
			}
			if at := e.roles.Of(key).PolicyTried; !at.IsZero() && now.Sub(at) < otherPolicyMaxAge {
				continue
			}
			if _, ok := byTenant[ts]; !ok {
				order = append(order, ts)
			}
			byTenant[ts] = append(byTenant[ts], r)
		}
	}
	var jobs []policyJob
	for _, ts := range order {
		for _, b := range pim.PolicyBatches(byTenant[ts]) {
			jobs = append(jobs, policyJob{ts, b})
		}
	}
	sort.SliceStable(jobs, func(i, j int) bool { return len(jobs[i].roles) > len(jobs[j].roles) })
	budget := max(0, policyReadBudget-e.favouritePolicyReads)
	if len(jobs) > budget {
		jobs = jobs[:budget]
	}
	for _, j := range jobs {
		for _, r := range j.roles {
			e.roles.TriedPolicy(r.Key(), now)
		}
	}
	e.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, e.refreshTimeout())
	defer cancel()
	return e.readPolicies(ctx, jobs, policyFetchers)
}

// batchPolicies is what pim.Client offers beside Policy: one read for several roles.
type batchPolicies interface {
	Policies(ctx context.Context, batch []pim.Role) (map[string]pim.Policy, error)
}

// readPolicies runs the policy reads, policyFetchers at a time, caches what they found and
// returns how many roles' policies were read.
func (e *Engine) readPolicies(ctx context.Context, jobs []policyJob, width int) int {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		read int
	)
	slots := make(chan struct{}, width)
	for _, j := range jobs {
		if ctx.Err() != nil {
			break
		}
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			n := 0
			if bp, ok := j.ts.b.API.(batchPolicies); ok && len(j.roles) > 1 {
				got, err := bp.Policies(ctx, j.roles)
				if err != nil {
					e.log.Info("policies unknown; the activations' answers will tell", "roles", len(j.roles), "err", err)
				}
				e.mu.Lock()
				at := e.now()
				for key, pol := range got {
					if !pol.Known {
						continue // not readable: tried, not cached
					}
					e.roles.SetPolicy(key, policyEntry{Policy: pol, Known: true, FetchedAt: at})
					n++
				}
				e.mu.Unlock()
			} else {
				for _, r := range j.roles {
					if _, ok := e.policyFor(ctx, j.ts, r); ok {
						n++
					}
				}
			}
			mu.Lock()
			read += n
			mu.Unlock()
		})
	}
	wg.Wait()
	return read
}

// policyFor is the role's policy: cached, else read (and cached). Known is false when it
// could not be read; then the activation's own answer tells what is needed.
func (e *Engine) policyFor(ctx context.Context, ts *tenantState, role pim.Role) (pim.Policy, bool) {
	key := role.Key()
	e.mu.Lock()
	p, ok := e.roles.Policy(key)
	fresh := ok && e.policyFreshLocked(key, p, e.now())
	e.mu.Unlock()
	if fresh {
		return p.Policy, p.Known
	}
	pol, err := ts.b.API.Policy(ctx, role)
	if err != nil {
		e.log.Info("policy unknown; the activation's answer will tell", "role", role.Label(), "err", err)
		if ok {
			return p.Policy, p.Known // an older copy beats none
		}
		return pim.Policy{}, false
	}
	pol.Known = true
	e.mu.Lock()
	e.roles.SetPolicy(key, policyEntry{Policy: pol, Known: true, FetchedAt: e.now()})
	e.mu.Unlock()
	return pol, true
}

// EnsurePolicies reads the policies of the roles (by key) that have no recent one cached, in
// batches (an Entra tenant's roles in one read, a group's two in one), a few reads at a time,
// and caches them (a week for roles that are not favourites). For the command line's list.
func (e *Engine) EnsurePolicies(ctx context.Context, keys []string) {
	e.mu.Lock()
	now := e.now()
	byTenant := map[*tenantState][]pim.Role{}
	var order []*tenantState
	for _, key := range keys {
		role, ts, ok := e.roleLocked(key)
		if !ok {
			continue
		}
		if p, ok := e.roles.Policy(key); ok && e.policyFreshLocked(key, p, now) {
			continue
		}
		if _, ok := byTenant[ts]; !ok {
			order = append(order, ts)
		}
		byTenant[ts] = append(byTenant[ts], role)
	}
	e.mu.Unlock()
	var jobs []policyJob
	for _, ts := range order {
		for _, b := range pim.PolicyBatches(byTenant[ts]) {
			jobs = append(jobs, policyJob{ts, b})
		}
	}
	if e.readPolicies(ctx, jobs, commandPolicyFetchers) > 0 {
		e.saveState()
		e.signal()
	}
}

// Policy is the role's activation policy (read and cached when needed), for the command line.
func (e *Engine) Policy(ctx context.Context, key string) (pim.Policy, bool) {
	e.mu.Lock()
	role, ts, ok := e.roleLocked(key)
	e.mu.Unlock()
	if !ok {
		return pim.Policy{}, false
	}
	return e.policyFor(ctx, ts, role)
}

// seedDemoFavouritesLocked gives a first demo start the seed tool's examples as favourites:
// Global Administrator; Owner on IT; Contributor on MySubscription.
func (e *Engine) seedDemoFavouritesLocked() {
	if !e.opts.Demo || !e.firstRun || len(e.cfg.Favourites) > 0 {
		return
	}
	want := []struct{ plane, role, scope string }{
		{"entra", "Global Administrator", ""},
		{"azure", "Owner", "IT"},
		{"azure", "Contributor", "MySubscription"},
	}
	var favs []store.Favourite
	for _, w := range want {
		for _, ts := range e.tenants {
			for _, r := range ts.eligible {
				if string(r.Plane) == w.plane && equalFold(r.RoleName, w.role) && (w.scope == "" || equalFold(r.ScopeName, w.scope)) {
					favs = append(favs, favouriteFor(r))
					goto next
				}
			}
		}
	next:
	}
	if len(favs) < len(want) {
		return // not all planes read yet
	}
	e.firstRun = false
	e.editConfigLocked(func(c *store.Config) {
		if len(c.Favourites) == 0 {
			c.Favourites = slices.Clone(favs)
		}
	})
}

func favouriteFor(r pim.Role) store.Favourite {
	return store.Favourite{Key: r.Key(), Tenant: r.TenantID, Plane: string(r.Plane), Role: r.RoleName,
		RoleID: r.RoleID, Scope: r.Scope, ScopeName: r.ScopeName}
}
