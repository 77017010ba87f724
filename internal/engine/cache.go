package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"time"

	"github.com/pimtray/pimtray/pim"
	"github.com/pimtray/pimtray/store"
)

// The command line's own cache (Options.CommandCache): what a command learned, for the next
// one. It holds what the state file holds of the listings and policies, never the tray's
// reminders, schedules or keep-alives, and nothing secret.

// loadCommandCache merges the command cache into what loadState read: per tenant and plane,
// the fresher listing wins; per role, the fresher policy and the later recent action.
func (e *Engine) loadCommandCache() {
	path := e.opts.CommandCache
	if path == "" {
		return
	}
	data, err := store.ReadFile(path, store.MaxStateSize)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			e.log.Warn("the command line's cache is unreadable; reading Azure instead", "path", path, "err", err)
		}
		return
	}
	var st savedState
	if err := json.Unmarshal(data, &st); err != nil || st.Version != stateVersion {
		e.log.Warn("the command line's cache is unusable; reading Azure instead", "path", path, "err", err)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, t := range st.Tenants {
		ts := e.tenant(t.ID)
		if ts == nil || !equalFold(ts.b.ID, t.ID) {
			continue
		}
		if ts.learnedID == "" {
			ts.learnedID = t.LearnedID
		}
		if ts.orgName == "" {
			ts.orgName = t.OrgName
		}
		if ts.user == "" {
			ts.user = t.User
		}
		for p, at := range t.Fetched {
			if !at.After(ts.fetched[p]) {
				continue // the tray's (or nobody's) is as fresh
			}
			other := func(r pim.Role) bool { return r.Plane == p }
			ts.eligible = slices.DeleteFunc(ts.eligible, other)
			ts.active = slices.DeleteFunc(ts.active, func(a pim.Activation) bool { return other(a.Role) })
			ts.pending = slices.DeleteFunc(ts.pending, func(a pim.Activation) bool { return other(a.Role) })
			for _, r := range t.Eligible {
				if r.Plane == p {
					ts.eligible = append(ts.eligible, r)
				}
			}
			for _, a := range t.Active {
				if a.Role.Plane == p {
					ts.active = append(ts.active, a)
				}
			}
			for _, a := range t.Pending {
				if a.Role.Plane == p {
					ts.pending = append(ts.pending, a)
				}
			}
			ts.fetched[p] = at
			delete(ts.planeErrs, p)
			if m, ok := t.PlaneErrors[p]; ok {
				ts.planeErrs[p] = m
			}
			ts.loaded = true
		}
	}
	e.roles.Merge(st.Policies, st.Recent)
}

// saveCommandCache writes what this command learned to the command cache.
func (e *Engine) saveCommandCache() {
	if e.opts.CommandCache == "" {
		return
	}
	e.saveMu.Lock()
	defer e.saveMu.Unlock()
	e.mu.Lock()
	st := savedState{Version: stateVersion, SavedAt: e.now(), Policies: map[string]policyEntry{}, Recent: map[string]recentEntry{}}
	for _, ts := range e.tenants {
		if !ts.loaded {
			continue
		}
		t := savedTenant{ID: ts.b.ID, LearnedID: ts.learnedID, OrgName: ts.orgName, User: ts.user, Fetched: map[pim.Plane]time.Time{},
			Eligible: append([]pim.Role{}, ts.eligible...), Active: append([]pim.Activation(nil), ts.active...),
			Pending: append([]pim.Activation(nil), ts.pending...), PlaneErrors: map[pim.Plane]string{}}
		copyMap(t.PlaneErrors, ts.planeErrs)
		copyMap(t.Fetched, ts.fetched)
		st.Tenants = append(st.Tenants, t)
	}
	saved := e.roles.Save()
	st.Policies, st.Recent = saved.Policies, saved.Recent
	e.mu.Unlock()
	data, err := json.MarshalIndent(st, "", " ")
	if err == nil {
		err = store.WriteFileAtomic(e.opts.CommandCache, data)
	}
	if err != nil {
		e.log.Warn("saving the command line's cache failed", "err", err)
	}
}

// RefreshStale reads, in every tenant (or only tenant, when given), the planes (of only, when
// given) whose last known state is older than the refresh interval, never read, or failed last
// time — and only those: a command after a recent one, or beside a running tray, starts from
// what is known. Being wrong is safe: Azure's answer to an activation or deactivation decides,
// and a role found already active is read again then. The error is like RefreshNow's; nil when
// nothing was stale.
func (e *Engine) RefreshStale(ctx context.Context, tenant string, only ...pim.Plane) error {
	e.mu.Lock() // the configuration may be changing (a save in the background adopts it)
	iv := e.refreshInterval()
	e.mu.Unlock()
	return e.refreshWhere(ctx, tenant, only, func(at time.Time, known, failed bool, now time.Time) bool {
		return !known || failed || now.Sub(at) >= iv || at.After(now.Add(time.Minute))
	})
}

// RefreshUnread reads, in every tenant (or only tenant), the planes never read yet, so that
// looking a role up by name in the last known state sees every plane (an ambiguous name is
// ambiguous across all of them).
func (e *Engine) RefreshUnread(ctx context.Context, tenant string) error {
	return e.refreshWhere(ctx, tenant, nil, func(_ time.Time, known, _ bool, _ time.Time) bool { return !known })
}

// refreshWhere reads the planes for which due says so, per tenant, and saves what it learned.
func (e *Engine) refreshWhere(ctx context.Context, tenant string, only []pim.Plane, due func(at time.Time, known, failed bool, now time.Time) bool) error {
	type job struct {
		ts     *tenantState
		planes []pim.Plane
	}
	var jobs []job
	matched := 0
	e.mu.Lock()
	now := e.now()
	for _, ts := range e.tenants {
		if tenant != "" && !ts.is(tenant) {
			continue
		}
		matched++
		var stale []pim.Plane
		for _, p := range planesOrAll(ts.b.Planes) {
			if len(only) > 0 && !slices.Contains(only, p) {
				continue
			}
			at, known := ts.fetched[p]
			_, failed := ts.planeErrs[p]
			if due(at, known, failed, now) {
				stale = append(stale, p)
			}
		}
		if len(stale) > 0 || !ts.signedIn {
			jobs = append(jobs, job{ts, stale})
		}
	}
	e.mu.Unlock()
	if matched == 0 {
		return &InputError{Msg: fmt.Sprintf("tenant %q is not configured", tenant)}
	}
	var errs []error
	for _, j := range jobs {
		all := planesOrAll(j.ts.b.Planes)
		if len(j.planes) == 0 { // not signed in: say so, as RefreshNow does
			j.planes = all
		}
		// A tenant failed when none of its planes could be read; one plane failing again
		// (a missing consent) beside planes known lately is that plane's problem line.
		if errs1 := e.refreshTenants(ctx, []*tenantState{j.ts}, j.planes); len(errs1) > 0 && len(j.planes) == len(all) {
			errs = append(errs, errs1...)
		}
	}
	e.saveState()
	e.signal()
	if len(errs) > 0 && len(errs) == matched {
		return errs[0]
	}
	return nil
}
