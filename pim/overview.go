package pim

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// planeResult is what one plane's listing found.
type planeResult struct {
	eligible []Role
	active   []Activation
	pending  []Activation
	err      error
}

// Overview lists, for each plane asked (all when none), the eligible roles, the active
// activations and the open requests. The planes are read concurrently, and within a plane the
// three lists too, so the whole takes about as long as the slowest plane. A plane that fails is
// reported in Overview.Errors (with whatever of it could be read still filled in) and never hides
// the others. The error result is non-nil only when every plane asked failed; it is then the
// first plane's error (also in Errors). Times are on the local clock (Azure's converted).
func (c *Client) Overview(ctx context.Context, planes ...Plane) (*Overview, error) {
	if len(planes) == 0 {
		planes = Planes()
	}
	var asked []Plane
	for _, p := range Planes() { // display order, each once
		for _, q := range planes {
			if p == q {
				asked = append(asked, p)
				break
			}
		}
	}
	ov := &Overview{Errors: map[Plane]error{}}
	for _, q := range planes {
		if q != PlaneEntra && q != PlaneAzure && q != PlaneGroup {
			ov.Errors[q] = &Error{Kind: KindOther, Plane: q, Text: fmt.Sprintf("pimtray knows no plane %q.", string(q))}
		}
	}
	results := make([]planeResult, len(asked))
	var wg sync.WaitGroup
	for i, p := range asked {
		wg.Go(func() { results[i] = c.fetchPlane(ctx, p) })
	}
	wg.Wait()

	tenant := c.Tenant()
	ov.TenantID = tenant
	var firstErr error
	failed := 0
	for i, p := range asked {
		r := results[i]
		if r.err != nil {
			ov.Errors[p] = r.err
			failed++
			if firstErr == nil {
				firstErr = r.err
			}
		}
		// Azure's times, on the local clock from here on (see azureClock).
		for _, e := range r.eligible {
			e.TenantID = tenant
			ov.Eligible = append(ov.Eligible, c.clock.localRole(e))
		}
		for _, a := range r.active {
			a.Role.TenantID = tenant
			ov.Active = append(ov.Active, c.clock.localActivation(a))
		}
		for _, a := range r.pending {
			a.Role.TenantID = tenant
			if a, ok := openRequest(c.clock.localActivation(a), c.now()); ok {
				ov.Pending = append(ov.Pending, a)
			}
		}
	}
	ov.FetchedAt = c.now()
	if len(asked) > 0 && failed == len(asked) {
		return ov, firstErr
	}
	if len(asked) == 0 && len(ov.Errors) > 0 {
		return ov, errors.New("pim: overview: no known plane asked")
	}
	return ov, nil
}

func (c *Client) fetchPlane(ctx context.Context, p Plane) planeResult {
	switch p {
	case PlaneEntra:
		return c.fetchEntra(ctx)
	case PlaneAzure:
		return c.fetchAzure(ctx)
	case PlaneGroup:
		return c.fetchGroups(ctx)
	}
	return planeResult{err: &Error{Kind: KindOther, Plane: p, Text: fmt.Sprintf("pimtray knows no plane %q.", string(p))}}
}

// three runs the eligible, active and pending listings of one plane concurrently, then fills
// what the active and pending roles lack from their eligibilities.
func three(ctx context.Context, elig func() ([]Role, error), act, pend func() ([]Activation, error)) planeResult {
	var r planeResult
	var e1, e2, e3 error
	var wg sync.WaitGroup
	wg.Go(func() { r.eligible, e1 = elig() })
	wg.Go(func() { r.active, e2 = act() })
	wg.Go(func() { r.pending, e3 = pend() })
	wg.Wait()
	r.err = firstErr(e1, e2, e3)
	completeFromEligible(r.eligible, r.active)
	completeFromEligible(r.eligible, r.pending)
	return r
}

// roles points at every role of the result: eligible, active and pending.
func (r *planeResult) roles() []*Role {
	out := make([]*Role, 0, len(r.eligible)+len(r.active)+len(r.pending))
	for i := range r.eligible {
		out = append(out, &r.eligible[i])
	}
	for i := range r.active {
		out = append(out, &r.active[i].Role)
	}
	for i := range r.pending {
		out = append(out, &r.pending[i].Role)
	}
	return out
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// onlyPending keeps the requests still waiting (approval, evaluation, provisioning) and the
// granted ones (scheduled, if their start is ahead: see openRequest).
func onlyPending(as []Activation) []Activation {
	out := as[:0:0]
	for _, a := range as {
		switch {
		case isPendingStatus(a.RequestStatus):
			a.Status = StatusPending
			out = append(out, a)
		case strings.EqualFold(a.RequestStatus, "Granted"):
			out = append(out, a)
		}
	}
	return out
}

// uniqueRequests drops a request listed twice (by its id).
func uniqueRequests(as []Activation) []Activation {
	seen := map[string]bool{}
	return slices.DeleteFunc(as, func(a Activation) bool {
		k := strings.ToLower(a.RequestID)
		if k == "" {
			return false
		}
		dup := seen[k]
		seen[k] = true
		return dup
	})
}

// openRequest sorts an open request, its times on the local clock: waiting for a decision
// (pending), or granted for a start still ahead (scheduled). A granted request whose start has
// come is no longer open: the assignment listing shows it.
func openRequest(a Activation, now time.Time) (Activation, bool) {
	if isPendingStatus(a.RequestStatus) {
		a.Status = StatusPending
		return a, true
	}
	if strings.EqualFold(a.RequestStatus, "Granted") && a.StartsAt.After(now) {
		a.Status = StatusScheduled
		return a, true
	}
	return a, false
}

// matchKey identifies a role at a scope across eligible, active and requested listings.
// ARM role definition ids are compared by their GUID: the same role can be written scope-qualified
// in different ways.
func matchKey(r Role) string {
	id := r.RoleID
	if r.Plane == PlaneAzure {
		id = lastSegment(id)
	}
	return strings.ToLower(string(r.Plane) + "|" + id + "|" + strings.TrimRight(r.Scope, "/"))
}

func sameRole(a, b Role) bool { return matchKey(a) == matchKey(b) }

// completeFromEligible fills what an active or pending role lacks (names, eligibility id) from
// the matching eligibility.
func completeFromEligible(eligible []Role, as []Activation) {
	byKey := make(map[string]Role, len(eligible))
	for _, e := range eligible {
		byKey[matchKey(e)] = e
	}
	for i := range as {
		e, ok := byKey[matchKey(as[i].Role)]
		if !ok {
			continue
		}
		r := &as[i].Role
		if r.RoleName == "" {
			r.RoleName = e.RoleName
		}
		if r.ScopeName == "" || (r.Plane == PlaneAzure && r.ScopeName == lastSegment(r.Scope)) {
			r.ScopeName = e.ScopeName
		}
		if r.ScopeType == "" {
			r.ScopeType = e.ScopeType
		}
		if r.EligibilityID == "" {
			r.EligibilityID = e.EligibilityID
		}
		if r.MemberType == "" {
			r.MemberType = e.MemberType
		}
		r.EligibleUntil = e.EligibleUntil
	}
}

// ---- Entra ----

const (
	entraEligiblePath = "/roleManagement/directory/roleEligibilityScheduleInstances/filterByCurrentUser(on='principal')"
	entraActivePath   = "/roleManagement/directory/roleAssignmentScheduleInstances/filterByCurrentUser(on='principal')"
	entraRequestsPath = "/roleManagement/directory/roleAssignmentScheduleRequests"
	groupEligiblePath = "/identityGovernance/privilegedAccess/group/eligibilityScheduleInstances/filterByCurrentUser(on='principal')"
	groupActivePath   = "/identityGovernance/privilegedAccess/group/assignmentScheduleInstances/filterByCurrentUser(on='principal')"
	groupRequestsPath = "/identityGovernance/privilegedAccess/group/assignmentScheduleRequests"
	armEligiblePath   = "/providers/Microsoft.Authorization/roleEligibilityScheduleInstances"
	armActivePath     = "/providers/Microsoft.Authorization/roleAssignmentScheduleInstances"
	armRequestsPath   = "/providers/Microsoft.Authorization/roleAssignmentScheduleRequests"
)

func (c *Client) entraEligible(ctx context.Context) ([]Role, error) {
	return entraList(ctx, c, entraEligiblePath, decodeGraphEligibilities)
}

func (c *Client) entraActive(ctx context.Context) ([]Activation, error) {
	return entraList(ctx, c, entraActivePath, decodeGraphAssignments)
}

// entraList reads an Entra schedule instance list with its role definitions and directory
// scopes expanded (an administrative unit's name comes with it, not one GET per unit). Should
// Graph refuse to expand directoryScope (400), the client asks without it for its life and
// looks the units up by id (cached), as before.
func entraList[T any](ctx context.Context, c *Client, path string, decode func([]byte) (listPage[T], error)) ([]T, error) {
	if !c.graphNoScopeExpand.Load() {
		out, err := listAll(ctx, c, graphAPI, c.graphEndpoint(path, "$expand", "roleDefinition,directoryScope"), listCall(PlaneEntra), decode)
		var pe *Error
		if !errors.As(err, &pe) || pe.StatusCode != http.StatusBadRequest {
			return out, err
		}
		c.log.Info("Graph refused to expand directoryScope; looking administrative units up by id", "code", pe.Code)
		c.graphNoScopeExpand.Store(true)
	}
	return listAll(ctx, c, graphAPI, c.graphEndpoint(path, "$expand", "roleDefinition"), listCall(PlaneEntra), decode)
}

// openRequestsFilter asks Graph for the requests still open: waiting for approval, or granted
// for a later start (a scheduled activation is Granted until it starts, then Provisioned), so a
// refresh reads none of the user's past requests.
const openRequestsFilter = "status eq 'PendingApproval' or status eq 'Granted'"

func (c *Client) entraPending(ctx context.Context) ([]Activation, error) {
	return c.graphOpenRequests(ctx, PlaneEntra, func(filter string) string {
		return c.graphEndpoint(entraRequestsPath+"/filterByCurrentUser(on='principal')", "$filter", filter)
	}, decodeGraphRequests)
}

// graphOpenRequests lists a Graph plane's open requests with openRequestsFilter. Should Graph
// refuse the "or" (400), the client asks for PendingApproval alone for its life (scheduled
// activations then show once they start).
func (c *Client) graphOpenRequests(ctx context.Context, p Plane, endpoint func(filter string) string,
	decode func([]byte) (listPage[Activation], error)) ([]Activation, error) {
	if !c.graphNoOrFilter.Load() {
		as, err := listAll(ctx, c, graphAPI, endpoint(openRequestsFilter), listCall(p), decode)
		var pe *Error
		if !errors.As(err, &pe) || pe.StatusCode != http.StatusBadRequest {
			return onlyPending(as), err
		}
		c.log.Info("Graph refused an 'or' of statuses on requests; listing those pending approval only", "code", pe.Code)
		c.graphNoOrFilter.Store(true)
	}
	as, err := listAll(ctx, c, graphAPI, endpoint("status eq 'PendingApproval'"), listCall(p), decode)
	return onlyPending(as), err
}

func (c *Client) fetchEntra(ctx context.Context) planeResult {
	r := three(ctx,
		func() ([]Role, error) { return c.entraEligible(ctx) },
		func() ([]Activation, error) { return c.entraActive(ctx) },
		func() ([]Activation, error) { return c.entraPending(ctx) })
	c.entraNames(ctx, &r)
	return r
}

// entraNames fills role names missing because $expand=roleDefinition was not honoured, and
// administrative unit names; both looked up once and cached. A failed lookup leaves the id.
func (c *Client) entraNames(ctx context.Context, r *planeResult) {
	roles := r.roles()
	var defIDs, auIDs []string
	for _, ro := range roles {
		if ro.RoleName == "" {
			defIDs = append(defIDs, ro.RoleID)
		}
		if ro.ScopeName == "" {
			if au := administrativeUnitID(ro.Scope); au != "" {
				auIDs = append(auIDs, au)
			}
		}
	}
	var defs, aus map[string]string
	var wg sync.WaitGroup
	wg.Go(func() {
		defs = c.lookupNames(ctx, PlaneEntra, "roleDefinition", defIDs, func(id string) string {
			return c.graphEndpoint("/roleManagement/directory/roleDefinitions/"+pathEscape(id), "$select", "id,displayName")
		})
	})
	wg.Go(func() {
		aus = c.lookupNames(ctx, PlaneEntra, "administrativeUnit", auIDs, func(id string) string {
			return c.graphEndpoint("/directory/administrativeUnits/"+pathEscape(id), "$select", "id,displayName")
		})
	})
	wg.Wait()
	for _, ro := range roles {
		if ro.RoleName == "" {
			ro.RoleName = firstNonEmpty(defs[strings.ToLower(ro.RoleID)], ro.RoleID)
		}
		if ro.ScopeName == "" {
			au := administrativeUnitID(ro.Scope)
			ro.ScopeName = firstNonEmpty(aus[strings.ToLower(au)], au, ro.Scope)
		}
	}
}

// lookupNames reads display names by id (concurrently, each id once), through the cache.
// The result is keyed by lower-cased id; ids whose lookup failed are missing (and logged).
func (c *Client) lookupNames(ctx context.Context, p Plane, kind string, ids []string, endpoint func(id string) string) map[string]string {
	out := map[string]string{}
	var todo []string
	c.mu.Lock()
	for _, id := range ids {
		k := strings.ToLower(id)
		if _, done := out[k]; done || id == "" {
			continue
		}
		if name, ok := c.names[kind+":"+k]; ok {
			out[k] = name
			continue
		}
		out[k] = "" // placeholder: once per id
		todo = append(todo, id)
	}
	c.mu.Unlock()
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, id := range todo {
		wg.Go(func() {
			data, err := c.send(ctx, graphAPI, http.MethodGet, endpoint(id), nil, call{op: opLookup, plane: p, subject: kind + " " + id})
			var name string
			if err == nil {
				_, name, err = decodeDisplayName(data)
			}
			if err != nil || name == "" {
				c.log.Info("could not look up a display name; showing the id", "kind", kind, "id", id, "err", err)
				return
			}
			mu.Lock()
			out[strings.ToLower(id)] = name
			mu.Unlock()
			c.mu.Lock()
			c.names[kind+":"+strings.ToLower(id)] = name
			c.mu.Unlock()
		})
	}
	wg.Wait()
	return out
}

// ---- Azure ----

func (c *Client) azureEligible(ctx context.Context) ([]Role, error) {
	return listAll(ctx, c, armAPI, c.armEndpoint(armEligiblePath, "$filter", "asTarget()"), listCall(PlaneAzure), decodeARMEligibilities)
}

func (c *Client) azureActive(ctx context.Context) ([]Activation, error) {
	return listAll(ctx, c, armAPI, c.armEndpoint(armActivePath, "$filter", "asTarget()"), listCall(PlaneAzure), decodeARMAssignments)
}

// azurePending lists the user's open Azure requests. ARM filters requests by status too
// (RoleAssignmentScheduleRequestFilter: principalId, roleDefinitionId, requestorId, status), so
// the pending ones come alone, as Graph's do, and a refresh does not page through every request
// the user ever made. Should ARM refuse the combined filter (400), the client falls back to
// asRequestor() alone for its life and keeps the pending ones itself, as before.
func (c *Client) azurePending(ctx context.Context) ([]Activation, error) {
	if !c.armNoStatusFilter.Load() {
		// ARM's status filter takes one status (eq, no "or"): the pending and the granted
		// (scheduled) requests are two lists, read side by side.
		var pend, granted []Activation
		var e1, e2 error
		var wg sync.WaitGroup
		wg.Go(func() {
			pend, e1 = listAll(ctx, c, armAPI, c.armEndpoint(armRequestsPath, "$filter", "asRequestor() and status eq 'PendingApproval'"), listCall(PlaneAzure), decodeARMRequests)
		})
		wg.Go(func() {
			granted, e2 = listAll(ctx, c, armAPI, c.armEndpoint(armRequestsPath, "$filter", "asRequestor() and status eq 'Granted'"), listCall(PlaneAzure), decodeARMRequests)
		})
		wg.Wait()
		err := firstErr(e1, e2)
		var pe *Error
		if !errors.As(err, &pe) || pe.StatusCode != http.StatusBadRequest {
			return onlyPending(uniqueRequests(append(pend, granted...))), err
		}
		c.log.Info("ARM refused a status filter on requests; listing them all", "code", pe.Code)
		c.armNoStatusFilter.Store(true)
	}
	as, err := listAll(ctx, c, armAPI, c.armEndpoint(armRequestsPath, "$filter", "asRequestor()"), listCall(PlaneAzure), decodeARMRequests)
	return onlyPending(as), err
}

func (c *Client) fetchAzure(ctx context.Context) planeResult {
	r := three(ctx,
		func() ([]Role, error) { return c.azureEligible(ctx) },
		func() ([]Activation, error) { return c.azureActive(ctx) },
		func() ([]Activation, error) { return c.azurePending(ctx) })
	return r
}

// ---- Groups ----

func (c *Client) groupEligible(ctx context.Context) ([]Role, error) {
	return listAll(ctx, c, graphAPI, c.graphEndpoint(groupEligiblePath, "$expand", "group"), listCall(PlaneGroup), decodeGroupEligibilities)
}

func (c *Client) groupActive(ctx context.Context) ([]Activation, error) {
	return listAll(ctx, c, graphAPI, c.graphEndpoint(groupActivePath, "$expand", "group"), listCall(PlaneGroup), decodeGroupAssignments)
}

func (c *Client) groupPending(ctx context.Context) ([]Activation, error) {
	return c.graphOpenRequests(ctx, PlaneGroup, func(filter string) string {
		return c.graphEndpoint(groupRequestsPath+"/filterByCurrentUser(on='principal')", "$filter", filter, "$expand", "group")
	}, decodeGroupRequests)
}

func (c *Client) fetchGroups(ctx context.Context) planeResult {
	r := three(ctx,
		func() ([]Role, error) { return c.groupEligible(ctx) },
		func() ([]Activation, error) { return c.groupActive(ctx) },
		func() ([]Activation, error) { return c.groupPending(ctx) })
	roles := r.roles()
	var ids []string
	for _, ro := range roles {
		if ro.ScopeName == "" {
			ids = append(ids, ro.Scope)
		}
	}
	names := c.lookupNames(ctx, PlaneGroup, "group", ids, func(id string) string {
		return c.graphEndpoint("/groups/"+pathEscape(id), "$select", "id,displayName")
	})
	for _, ro := range roles {
		if ro.ScopeName == "" {
			ro.ScopeName = firstNonEmpty(names[strings.ToLower(ro.Scope)], ro.Scope)
		}
	}
	return r
}

func pathEscape(s string) string { return url.PathEscape(s) }
