package pim

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/google/uuid"
)

// Wire bodies of the requests pimtray sends.

type wireExpiration struct {
	Type     string `json:"type"`
	Duration string `json:"duration,omitempty"`
}

type wireScheduleOut struct {
	StartDateTime string         `json:"startDateTime"`
	Expiration    wireExpiration `json:"expiration"`
}

type wireTicket struct {
	TicketNumber string `json:"ticketNumber,omitempty"`
	TicketSystem string `json:"ticketSystem,omitempty"`
}

type graphRequestBody struct {
	Action           string           `json:"action"`
	PrincipalID      string           `json:"principalId"`
	RoleDefinitionID string           `json:"roleDefinitionId,omitempty"`
	DirectoryScopeID string           `json:"directoryScopeId,omitempty"`
	AccessID         string           `json:"accessId,omitempty"`
	GroupID          string           `json:"groupId,omitempty"`
	Justification    string           `json:"justification,omitempty"`
	ScheduleInfo     *wireScheduleOut `json:"scheduleInfo,omitempty"`
	TicketInfo       *wireTicket      `json:"ticketInfo,omitempty"`
}

type armRequestBody struct {
	Properties armRequestProperties `json:"properties"`
}

type armRequestProperties struct {
	PrincipalID                     string           `json:"principalId"`
	RoleDefinitionID                string           `json:"roleDefinitionId"`
	RequestType                     string           `json:"requestType"`
	LinkedRoleEligibilityScheduleID string           `json:"linkedRoleEligibilityScheduleId,omitempty"`
	Justification                   string           `json:"justification,omitempty"`
	ScheduleInfo                    *wireScheduleOut `json:"scheduleInfo,omitempty"`
	TicketInfo                      *wireTicket      `json:"ticketInfo,omitempty"`
}

// startTimeLayout is how start times are sent: UTC, milliseconds, like Graph's own examples.
const startTimeLayout = "2006-01-02T15:04:05.000Z"

// checkRole refuses, before any request, a role that lacks what its plane needs.
func checkRole(op string, r Role) error {
	var missing string
	switch r.Plane {
	case PlaneEntra:
		if r.RoleID == "" {
			missing = "role definition id"
		}
	case PlaneAzure, PlaneGroup:
		switch {
		case r.RoleID == "":
			missing = "role id"
		case r.Scope == "":
			missing = "scope"
		}
	default:
		return &Error{Kind: KindOther, Plane: r.Plane, Role: r.Label(), Text: fmt.Sprintf("pimtray knows no plane %q to %s %s in.", string(r.Plane), op, r.Label())}
	}
	if missing != "" {
		return &Error{Kind: KindOther, Plane: r.Plane, Role: r.Label(), Text: fmt.Sprintf("pimtray cannot %s %s: its %s is unknown.", op, r.Label(), missing)}
	}
	return nil
}

// Activate sends one activation for req.Role. Before sending it takes the role's policy
// (req.Policy, else read and cached) and refuses, without sending anything, a duration over the
// policy's maximum or a request missing a justification or ticket the policy requires. A zero
// Duration means the policy's maximum, or 8h when unknown. Approval needed is not an error: the
// Activation comes back with Status pending. Errors are *Error.
//
// The start is sent on Azure's clock (see azureClock), and the times returned are on the local
// one: "now" is Azure's now, whatever the user's clock says.
//
// Never two activations for one request: an ARM request is a PUT of a client-chosen GUID, which
// azcore's retries repeat as is, and when no try got an answer the request is looked up by that
// GUID before giving up; a Graph POST is never retried blindly (only after a 429): when it gets
// no answer, the open requests and active roles are checked first, and it is sent again once
// only if Azure shows no trace of it.
func (c *Client) Activate(ctx context.Context, req ActivateRequest) (Activation, error) {
	role := req.Role
	if role.Plane == PlaneEntra && role.Scope == "" {
		role.Scope = "/"
	}
	if err := checkRole(opActivate, role); err != nil {
		return Activation{}, err
	}
	if req.Duration < 0 {
		return Activation{}, &Error{Kind: KindOther, Plane: role.Plane, Role: role.Label(),
			Text: "A duration cannot be negative (" + role.Label() + ")."}
	}
	var pol Policy
	var err error
	if req.Policy != nil {
		pol = *req.Policy // the caller's copy: nothing to read before sending
	} else if pol, err = c.Policy(ctx, role); err != nil {
		var pe *Error
		if ctx.Err() != nil || (errors.As(err, &pe) && pe.Kind == KindSignInNeeded) {
			return Activation{}, err // the activation would fail the same way
		}
		c.log.Warn("could not read the policy; activating without knowing it", "role", role.Label(), "err", err)
		pol = Policy{}
	}
	d := req.Duration
	if d == 0 {
		d = defaultDuration
		if pol.Known && pol.MaxDuration > 0 {
			d = pol.MaxDuration
		}
	}
	if err := preflight(role, pol, req, d); err != nil {
		c.log.Info("activation refused before sending", "role", role.Label(), "rules", err.Rules)
		return Activation{}, err
	}
	start := req.StartAt // local clock
	immediate := start.IsZero()
	if immediate {
		start = c.now()
	}
	wireStart := c.clock.toAzure(start).UTC().Truncate(time.Millisecond)
	sched := &wireScheduleOut{StartDateTime: wireStart.Format(startTimeLayout),
		Expiration: wireExpiration{Type: "AfterDuration", Duration: formatISODuration(d)}}
	var ticket *wireTicket
	if req.TicketNumber != "" || req.TicketSystem != "" {
		ticket = &wireTicket{TicketNumber: req.TicketNumber, TicketSystem: req.TicketSystem}
	}

	var a Activation
	switch role.Plane {
	case PlaneAzure:
		a, err = c.activateARM(ctx, role, req, sched, ticket)
	default:
		a, err = c.activateGraph(ctx, role, req, sched, ticket)
	}
	if err != nil {
		var pe *Error
		if errors.As(err, &pe) && pe.Kind == KindPolicy && containsRule(pe.Rules, RuleExpiration) {
			pe.Asked = d
			if pol.Known {
				pe.Max = pol.MaxDuration
			}
			pe.Text = describe(pe, opActivate, role.Label())
		}
		return Activation{}, err
	}
	a = c.clock.localActivation(a)
	a.Role = mergeRole(role, a.Role)
	if a.StartsAt.IsZero() {
		a.StartsAt = start
	}
	if now := c.now(); immediate && a.StartsAt.After(now) && a.StartsAt.Sub(now) <= clockTolerance {
		// Azure started it at its own "now", which the learned offset can put a moment
		// ahead of the local one: it runs now.
		a.StartsAt = now
	}
	if a.ExpiresAt.IsZero() {
		a.ExpiresAt = a.StartsAt.Add(d)
	}
	if a.Status == StatusActive && !immediate && a.StartsAt.After(c.now().Add(clockTolerance)) {
		// Granted for a later start: Azure begins it on its own then.
		a.Status = StatusScheduled
	}
	switch a.Status {
	case StatusActive, StatusPending, StatusScheduled:
	default:
		return Activation{}, &Error{Kind: KindOther, Plane: role.Plane, Role: role.Label(), Code: a.RequestStatus,
			Text: fmt.Sprintf("Azure did not activate %s: the request ended as %s.", role.Label(), firstNonEmpty(a.RequestStatus, "unknown"))}
	}
	if a.AssignmentType == "" && a.Status == StatusActive {
		a.AssignmentType = "Activated"
	}
	c.log.Info("activation sent", "role", role.Label(), "status", a.RequestStatus, "expires", a.ExpiresAt)
	return a, nil
}

// preflight applies a known policy before anything is sent.
func preflight(role Role, pol Policy, req ActivateRequest, d time.Duration) *Error {
	if !pol.Known {
		return nil
	}
	e := &Error{Kind: KindPolicy, Plane: role.Plane, Role: role.Label(), Asked: d, Max: pol.MaxDuration}
	if pol.MaxDuration > 0 && d > pol.MaxDuration {
		e.Rules = append(e.Rules, RuleExpiration)
	}
	if pol.Justification && strings.TrimSpace(req.Justification) == "" {
		e.Rules = append(e.Rules, RuleJustification)
	}
	if pol.Ticket && strings.TrimSpace(req.TicketNumber) == "" {
		e.Rules = append(e.Rules, RuleTicketing)
	}
	if len(e.Rules) == 0 {
		return nil
	}
	e.Text = describe(e, opActivate, role.Label())
	return e
}

func containsRule(rules []string, r string) bool {
	for _, x := range rules {
		if x == r {
			return true
		}
	}
	return false
}

// mergeRole keeps what the caller knew of the role (names, eligibility) and adds what Azure said.
func mergeRole(known, got Role) Role {
	r := known
	if r.EligibilityID == "" {
		r.EligibilityID = got.EligibilityID
	}
	if r.PrincipalID == "" {
		r.PrincipalID = got.PrincipalID
	}
	if r.RoleName == "" {
		r.RoleName = got.RoleName
	}
	if r.ScopeName == "" {
		r.ScopeName = got.ScopeName
	}
	if r.ScopeType == "" {
		r.ScopeType = got.ScopeType
	}
	return r
}

// ---- Graph: Entra roles and groups ----

func (c *Client) graphRequestPath(r Role) string {
	if r.Plane == PlaneGroup {
		return groupRequestsPath
	}
	return entraRequestsPath
}

func (c *Client) graphBody(action string, r Role, me string) graphRequestBody {
	b := graphRequestBody{Action: action, PrincipalID: me}
	if r.Plane == PlaneGroup {
		// accessId comes from the eligibility: hard-coding "member" fails for owners.
		b.AccessID, b.GroupID = r.RoleID, r.Scope
	} else {
		b.RoleDefinitionID, b.DirectoryScopeID = r.RoleID, r.Scope
	}
	return b
}

func (c *Client) activateGraph(ctx context.Context, role Role, req ActivateRequest, sched *wireScheduleOut, ticket *wireTicket) (Activation, error) {
	me, err := c.Me(ctx)
	if err != nil {
		return Activation{}, err
	}
	body := c.graphBody("selfActivate", role, me.ID)
	body.Justification, body.ScheduleInfo, body.TicketInfo = req.Justification, sched, ticket
	cl := roleCall(opActivate, role)
	data, found, err := c.graphCreate(ctx, c.graphEndpoint(c.graphRequestPath(role)), body, cl,
		func(ctx context.Context) (Activation, bool, error) { return c.findActivation(ctx, role) })
	if err != nil {
		return Activation{}, err
	}
	if found != nil {
		return *found, nil
	}
	decode := decodeGraphRequest
	if role.Plane == PlaneGroup {
		decode = decodeGroupRequest
	}
	a, err := decode(data)
	if err != nil {
		// Azure took the request (2xx) but its answer is unreadable: the listing may still tell.
		if got, ok, ferr := c.findActivation(ctx, role); ferr == nil && ok {
			c.log.Info("unreadable answer to an activation; found it in the listing", "role", role.Label())
			return got, nil
		}
		return Activation{}, cl.err(&Error{Kind: KindBadResponse, Err: err})
	}
	return a, nil
}

// graphCreate POSTs a Graph request that creates something. It is not retried automatically
// (Graph assigns the id, so a retry could create a second request), except after a 429. When the
// POST gets no answer (network failure, timeout, gateway error), check looks whether Azure got it
// anyway; only when it shows no trace is the POST sent again, once. found is set when check
// found the result of the first POST.
func (c *Client) graphCreate(ctx context.Context, u string, body any, cl call,
	check func(context.Context) (Activation, bool, error)) (data []byte, found *Activation, err error) {
	pctx := policy.WithRetryOptions(ctx, c.noRetryButThrottling())
	data, err = c.send(pctx, graphAPI, http.MethodPost, u, body, cl)
	if err == nil || !ambiguous(err) || ctx.Err() != nil {
		return data, nil, err
	}
	c.log.Warn("no answer to a request that creates something; checking whether Azure got it before sending it again",
		"op", cl.op, "subject", cl.subject, "cause", cause(err))
	if check != nil {
		a, ok, cerr := check(ctx)
		if cerr != nil {
			// Without knowing, sending again could duplicate: report the first failure.
			c.log.Warn("could not check; not sending again", "subject", cl.subject, "err", cerr)
			return nil, nil, err
		}
		if ok {
			c.log.Info("Azure had received it; not sending again", "subject", cl.subject, "status", a.RequestStatus)
			return nil, &a, nil
		}
	}
	c.log.Info("Azure shows no trace of it; sending it again once", "subject", cl.subject)
	data, err = c.send(pctx, graphAPI, http.MethodPost, u, body, cl)
	return data, nil, err
}

// cause is the underlying reason of an error, for logs.
func cause(err error) string {
	var pe *Error
	if errors.As(err, &pe) && pe.Err != nil {
		return pe.Err.Error()
	}
	return err.Error()
}

// findActivation looks for an open request or an active assignment of the role (used after an
// activation got no answer).
func (c *Client) findActivation(ctx context.Context, role Role) (Activation, bool, error) {
	var pending, active []Activation
	var e1, e2 error
	var wg sync.WaitGroup
	switch role.Plane {
	case PlaneEntra:
		wg.Go(func() { pending, e1 = c.entraPending(ctx) })
		wg.Go(func() { active, e2 = c.entraActive(ctx) })
	case PlaneGroup:
		wg.Go(func() { pending, e1 = c.groupPending(ctx) })
		wg.Go(func() { active, e2 = c.groupActive(ctx) })
	case PlaneAzure:
		wg.Go(func() { pending, e1 = c.azurePending(ctx) })
		wg.Go(func() { active, e2 = c.azureActive(ctx) })
	}
	wg.Wait()
	if err := firstErr(e1, e2); err != nil {
		return Activation{}, false, err
	}
	for _, a := range pending {
		if sameRole(a.Role, role) {
			return a, true, nil
		}
	}
	for _, a := range active {
		if sameRole(a.Role, role) {
			return a, true, nil
		}
	}
	return Activation{}, false, nil
}

// ---- ARM: Azure roles ----

// armPrincipal is the user's object id for ARM bodies: from Me (Graph or the token), else the
// eligibility's principal when it is the user's own (Direct).
func (c *Client) armPrincipal(ctx context.Context, role Role) (string, error) {
	me, err := c.Me(ctx)
	if err == nil {
		return me.ID, nil
	}
	if role.PrincipalID != "" && (role.MemberType == "" || strings.EqualFold(role.MemberType, "Direct")) {
		return role.PrincipalID, nil
	}
	return "", err
}

func (c *Client) armRequestURL(scope, name string) string {
	return c.armEndpoint(scope + "/providers/Microsoft.Authorization/roleAssignmentScheduleRequests/" + name)
}

func (c *Client) activateARM(ctx context.Context, role Role, req ActivateRequest, sched *wireScheduleOut, ticket *wireTicket) (Activation, error) {
	me, err := c.armPrincipal(ctx, role)
	if err != nil {
		return Activation{}, err
	}
	name := req.RequestID
	if name == "" {
		name = uuid.NewString()
	}
	body := armRequestBody{Properties: armRequestProperties{
		PrincipalID: me, RoleDefinitionID: role.RoleID, RequestType: "SelfActivate",
		LinkedRoleEligibilityScheduleID: role.EligibilityID, Justification: req.Justification,
		ScheduleInfo: sched, TicketInfo: ticket,
	}}
	cl := roleCall(opActivate, role)
	u := c.armRequestURL(role.Scope, name)
	// The request's name is chosen here, so azcore's retries (network failures, 429, 5xx) PUT the
	// very same resource again and can never create a second request.
	tctx, tries := withTryCounter(ctx)
	data, err := c.send(tctx, armAPI, http.MethodPut, u, body, cl)
	switch {
	case err != nil && tries.Load() > 1 && (errors.Is(err, ErrAlreadyActive) || errors.Is(err, ErrRequestExists)):
		// An earlier try may have been the one that worked: if the request by our name exists, it is ours.
		if got, gerr := c.send(ctx, armAPI, http.MethodGet, u, nil, cl); gerr == nil {
			c.log.Info("a retried activation found its own earlier request", "role", role.Label())
			data, err = got, nil
		}
	case err != nil && ambiguous(err) && ctx.Err() == nil:
		// No try got an answer (or only gateway errors): Azure may still have made it. The
		// request by our name says; when it is not there, Azure never took it.
		c.log.Warn("no answer to an activation; looking up its request by name", "role", role.Label(), "cause", cause(err))
		got, gerr := c.send(ctx, armAPI, http.MethodGet, u, nil, cl)
		var ge *Error
		switch {
		case gerr == nil:
			c.log.Info("Azure had made the request; its answer was lost", "role", role.Label())
			data, err = got, nil
		case errors.As(gerr, &ge) && ge.StatusCode == http.StatusNotFound:
			c.log.Info("Azure has no such request: it never took it", "role", role.Label())
		default:
			c.log.Warn("could not look the request up", "role", role.Label(), "err", gerr)
		}
	}
	if err != nil {
		return Activation{}, err
	}
	a, err := decodeARMRequest(data)
	if err != nil {
		return Activation{}, cl.err(&Error{Kind: KindBadResponse, Err: err})
	}
	return a, nil
}

// ---- deactivate, cancel ----

// Deactivate ends the role's active activation (Graph selfDeactivate, ARM SelfDeactivate with a
// new request GUID). Azure refuses within 5 minutes of activating (KindTooShort) and may not know
// a very fresh activation yet (KindNotFound).
func (c *Client) Deactivate(ctx context.Context, role Role) error {
	if role.Plane == PlaneEntra && role.Scope == "" {
		role.Scope = "/"
	}
	if err := checkRole(opDeactivate, role); err != nil {
		return err
	}
	cl := roleCall(opDeactivate, role)
	if role.Plane == PlaneAzure {
		me, err := c.armPrincipal(ctx, role)
		if err != nil {
			return err
		}
		body := armRequestBody{Properties: armRequestProperties{PrincipalID: me, RoleDefinitionID: role.RoleID, RequestType: "SelfDeactivate"}}
		tctx, tries := withTryCounter(ctx)
		_, err = c.send(tctx, armAPI, http.MethodPut, c.armRequestURL(role.Scope, uuid.NewString()), body, cl)
		if err != nil && tries.Load() > 1 && errors.Is(err, ErrNotFound) {
			c.log.Info("a retried deactivation found the role already inactive", "role", role.Label())
			err = nil
		}
		if err == nil {
			c.log.Info("deactivated", "role", role.Label())
		}
		return err
	}
	me, err := c.Me(ctx)
	if err != nil {
		return err
	}
	body := c.graphBody("selfDeactivate", role, me.ID)
	u := c.graphEndpoint(c.graphRequestPath(role))
	pctx := policy.WithRetryOptions(ctx, c.noRetryButThrottling())
	_, err = c.send(pctx, graphAPI, http.MethodPost, u, body, cl)
	if err != nil && ambiguous(err) && ctx.Err() == nil {
		// Deactivating twice cannot do harm: the second is refused when the first worked.
		c.log.Warn("no answer to a deactivation; sending it again once", "role", role.Label(), "cause", cause(err))
		if _, err = c.send(pctx, graphAPI, http.MethodPost, u, body, cl); errors.Is(err, ErrNotFound) {
			err = nil
		}
	}
	if err == nil {
		c.log.Info("deactivated", "role", role.Label())
	}
	return err
}

// Cancel withdraws an open request (a.RequestID): Graph POST .../{id}/cancel, ARM POST
// {scope}/providers/Microsoft.Authorization/roleAssignmentScheduleRequests/{name}/cancel.
func (c *Client) Cancel(ctx context.Context, a Activation) error {
	role := a.Role
	cl := roleCall(opCancel, role)
	if a.RequestID == "" {
		return cl.err(&Error{Kind: KindOther, Text: "pimtray does not know which request of " + role.Label() + " to cancel."})
	}
	var u string
	api := graphAPI
	switch role.Plane {
	case PlaneEntra, PlaneGroup:
		u = c.graphEndpoint(c.graphRequestPath(role) + "/" + pathEscape(a.RequestID) + "/cancel")
	case PlaneAzure:
		api = armAPI
		scope, name := role.Scope, a.RequestID
		// A full request id holds its own scope: {scope}/providers/Microsoft.Authorization/roleAssignmentScheduleRequests/{name}.
		const marker = "/providers/microsoft.authorization/roleassignmentschedulerequests/"
		if i := strings.Index(strings.ToLower(a.RequestID), marker); i >= 0 {
			scope, name = a.RequestID[:i], strings.Trim(a.RequestID[i+len(marker):], "/")
			if scope == "" {
				scope = "/" // the tenant root
			}
		}
		if scope == "" || name == "" || strings.Contains(name, "/") {
			return cl.err(&Error{Kind: KindOther, Text: "pimtray does not know which request of " + role.Label() + " to cancel."})
		}
		u = c.armEndpoint(scope + "/providers/Microsoft.Authorization/roleAssignmentScheduleRequests/" + name + "/cancel")
	default:
		return checkRole("cancel the request for", role)
	}
	if _, err := c.send(ctx, api, http.MethodPost, u, nil, cl); err != nil {
		return err
	}
	c.log.Info("request canceled", "role", role.Label())
	return nil
}
