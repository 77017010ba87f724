package fakeazure

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
)

// This file holds what the three planes share: who is calling, what they are eligible for and
// hold, and the PIM operations (activate, deactivate, cancel, approve, deny) with their policy
// checks. graph.go and arm.go translate the wire formats.

// caller is the user behind a valid access token.
type caller struct {
	t *Tenant
	c *accessClaims
}

func (c *caller) hasMFA() bool { return containsFold(c.c.Amr, "mfa") }

func (c *caller) scopes() []string { return strings.Fields(c.c.Scp) }

// tokenProblem says why a bearer token was refused.
type tokenProblem int

const (
	tokenMissing tokenProblem = iota + 1
	tokenInvalid
	tokenAudience
	tokenExpired
)

var graphAudiences = []string{GraphResource, GraphResource + "/", graphAppID}
var armAudiences = []string{ARMResource, ARMResource + "/", "https://management.core.windows.net", "https://management.core.windows.net/"}

// authenticate checks the request's bearer token for a plane's resource ("graph" or "arm").
func (s *Server) authenticate(r *http.Request, resource string) (*caller, tokenProblem, string) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, tokenMissing, ""
	}
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return nil, tokenMissing, ""
	}
	c, err := s.parseAccessToken(strings.TrimSpace(tok))
	if err != nil || s.tokenRejected(c.UTI) {
		return nil, tokenInvalid, ""
	}
	auds := graphAudiences
	own := s.URL + "/graph"
	if resource == "arm" {
		auds, own = armAudiences, s.URL+"/arm"
	}
	if !containsFold(auds, c.Aud) && !strings.EqualFold(strings.TrimRight(c.Aud, "/"), own) {
		return nil, tokenAudience, c.Aud
	}
	if s.opts.EnforceTokenExpiry && !s.now().Before(time.Unix(c.Exp, 0)) {
		return nil, tokenExpired, time.Unix(c.Exp, 0).UTC().Format("01/02/2006 15:04:05")
	}
	t := s.tenant(c.TID)
	if t == nil || !strings.EqualFold(t.User.ID, c.OID) {
		return nil, tokenInvalid, ""
	}
	return &caller{t: t, c: c}, 0, ""
}

// eligibleLocked lists the eligibilities of a plane that can be activated now.
func (s *Server) eligibleLocked(t *Tenant, plane string, now time.Time) []*eligibility {
	var out []*eligibility
	for _, e := range t.roles {
		if e.plane != plane || e.assigned || (!e.until.IsZero() && !now.Before(e.until)) {
			continue
		}
		out = append(out, e)
	}
	return out
}

// holding is a role in force: a PIM activation, or a permanent assignment (act nil).
type holding struct {
	e   *eligibility
	act *activation
}

// activeLocked lists what is in force now in a plane: permanent assignments first, then
// activations by start time.
func (s *Server) activeLocked(t *Tenant, plane string, now time.Time) []holding {
	var out []holding
	for _, e := range t.roles {
		if e.plane == plane && e.assigned {
			out = append(out, holding{e: e})
		}
	}
	ts := s.st.tenant(t.ID)
	var acts []holding
	for _, a := range ts.Activations {
		e := s.roleIndex[t][a.Key]
		if e == nil || e.plane != plane || !a.activeAt(now) {
			continue
		}
		acts = append(acts, holding{e: e, act: a})
	}
	sort.SliceStable(acts, func(i, j int) bool { return acts[i].act.Start.Before(acts[j].act.Start) })
	return append(out, acts...)
}

// requestsLocked lists the requests of a plane, oldest first: the tenant's history, then the
// requests made while the fake runs.
func (s *Server) requestsLocked(t *Tenant, plane string) []*pimRequest {
	var out []*pimRequest
	for _, r := range s.history[t] {
		if r.Plane == plane {
			out = append(out, r)
		}
	}
	for _, r := range s.st.tenant(t.ID).Requests {
		if r.Plane == plane && s.roleIndex[t][r.Key] != nil {
			out = append(out, r)
		}
	}
	return out
}

func (s *Server) findRequestLocked(t *Tenant, plane, id string) *pimRequest {
	for _, r := range s.st.tenant(t.ID).Requests {
		if r.Plane == plane && strings.EqualFold(r.ID, id) && s.roleIndex[t][r.Key] != nil {
			return r
		}
	}
	for _, r := range s.history[t] {
		if r.Plane == plane && strings.EqualFold(r.ID, id) {
			return r
		}
	}
	return nil
}

// changeRequest is a selfActivate or selfDeactivate, translated from either wire format.
type changeRequest struct {
	plane        string
	e            *eligibility // nil: the user holds no such eligibility
	action       string       // "selfActivate" | "selfDeactivate"
	start        time.Time    // zero: now
	expType      string       // afterDuration | afterDateTime | noExpiration | ""
	duration     string       // ISO 8601 as sent
	endDateTime  time.Time
	reason       string
	ticketNumber string
	ticketSystem string
	validateOnly bool
	id           string // the request id to use (ARM: the client's GUID); "" makes one
	// ARM echoes
	scope, roleDefinitionID, linked, condition, conditionVersion string
}

// normalizeExpiration lower-camel-cases an expiration type the way Graph answers it.
func normalizeExpiration(t string) string {
	switch strings.ToLower(t) {
	case "afterduration":
		return "afterDuration"
	case "afterdatetime":
		return "afterDateTime"
	case "noexpiration":
		return "noExpiration"
	}
	return t
}

// activateLocked runs a selfActivate through the checks Azure makes, in its order: the
// eligibility, an activation already in force, an open request, the authentication context, then
// the policy rules (all failing rules reported together); approval makes it wait.
func (s *Server) activateLocked(c *caller, in changeRequest) (*pimRequest, *failure) {
	now := s.now()
	ts := s.st.tenant(c.t.ID)
	e := in.e
	if e == nil || (!e.until.IsZero() && !now.Before(e.until)) { // none, or it has ended
		return nil, &failure{status: 400, code: codeDoesNotExist, message: msgDoesNotExist}
	}
	if e.assigned {
		return nil, &failure{status: 400, code: codeExists, message: msgExists}
	}
	start := in.start
	if start.IsZero() || start.Before(now) {
		start = now
	}
	scheduled := start.After(now.Add(time.Minute))

	for _, a := range ts.Activations {
		if a.Key != e.key || !a.activeAt(now) {
			continue
		}
		extension := !a.End.IsZero() && !start.Before(a.End.Add(-time.Minute))
		if !extension || !s.opts.AcceptScheduledExtension {
			return nil, &failure{status: 400, code: codeExists, message: msgExists}
		}
	}
	for _, r := range ts.Requests {
		if r.Key == e.key && r.Action == "selfActivate" && r.open(now) {
			return nil, &failure{status: 400, code: codeRequestExists, message: msgRequestExists}
		}
	}
	p := e.policy
	if p.AuthContext != "" && !containsFold(c.c.Acrs, p.AuthContext) {
		return nil, &failure{status: 400, code: codeAcrs, acrs: p.AuthContext}
	}

	var rules []string
	var dur time.Duration
	switch strings.ToLower(in.expType) {
	case "afterduration":
		d, err := parseISODuration(in.duration)
		if err != nil {
			return nil, &failure{status: 400, code: "InvalidScheduleInfo", message: fmt.Sprintf("The duration %q is not a valid ISO 8601 duration.", in.duration)}
		}
		dur = d
	case "afterdatetime":
		dur = in.endDateTime.Sub(start)
		if dur <= 0 {
			return nil, &failure{status: 400, code: "InvalidScheduleInfo", message: "The end date-time must be after the start date-time."}
		}
	default: // noExpiration or none: end users must always give an expiration
		rules = append(rules, "ExpirationRule")
	}
	if dur > p.maxDuration() {
		rules = append(rules, "ExpirationRule")
	}
	if p.Justification && strings.TrimSpace(in.reason) == "" {
		rules = append(rules, "JustificationRule")
	}
	if p.Ticket && strings.TrimSpace(in.ticketNumber) == "" {
		rules = append(rules, "TicketingRule")
	}
	if p.MFA && !c.hasMFA() {
		rules = append(rules, "MfaRule")
	}
	if len(rules) > 0 {
		return nil, &failure{status: 400, code: codePolicy, rules: rules}
	}

	id := in.id
	if id == "" {
		id = uuid.NewString()
	}
	req := &pimRequest{ID: id, Plane: in.plane, Key: e.key, Action: "selfActivate", Created: now,
		Start: start, End: start.Add(dur), ExpirationType: normalizeExpiration(in.expType), Duration: in.duration,
		Justification: in.reason, TicketNumber: in.ticketNumber, TicketSystem: in.ticketSystem,
		Scope: in.scope, RoleDefinitionID: in.roleDefinitionID, Linked: in.linked,
		Condition: in.condition, ConditionVersion: in.conditionVersion}
	if req.ExpirationType == "afterDuration" && req.Duration == "" {
		req.Duration = isoDuration(dur)
	}
	switch {
	case p.Approval:
		req.Status = "PendingApproval"
		req.ApprovalID = uuid.NewString()
	case scheduled:
		req.Status = "Granted"
		req.Completed = start
	default:
		req.Status = "Provisioned"
		req.Completed = now
	}
	if in.validateOnly {
		return req, nil
	}
	if req.Status != "PendingApproval" {
		s.grantLocked(c.t, req, start)
	}
	ts.Requests = append(ts.Requests, req)
	s.saveLocked()
	return req, nil
}

// syncedLocked brings the fake's state up to its Now and finds the tenant (nil: none), for the
// test controls. s.mu must be held.
func (s *Server) syncedLocked(tenantID string) (*Tenant, time.Time) {
	s.syncLocked()
	return s.tenant(tenantID), s.now()
}

// approveLocked approves a request waiting for approval at 'at' (seen at now): its activation
// starts then, or at the asked start if that is later (Granted while the start is over a
// minute away, else Provisioned).
func (s *Server) approveLocked(t *Tenant, req *pimRequest, at, now time.Time) {
	req.Completed = at
	start := req.Start
	if start.Before(at) {
		start = at
	}
	if start.After(now.Add(time.Minute)) {
		req.Status = "Granted"
	} else {
		req.Status = "Provisioned"
	}
	s.grantLocked(t, req, start)
}

// grantLocked creates the activation a request asked for, starting at start.
func (s *Server) grantLocked(t *Tenant, req *pimRequest, start time.Time) {
	dur := req.End.Sub(req.Start)
	a := &activation{ID: uuid.NewString(), Key: req.Key, Start: start, End: start.Add(dur), RequestID: req.ID}
	req.ActivationID = a.ID
	ts := s.st.tenant(t.ID)
	ts.Activations = append(ts.Activations, a)
}

// deactivateLocked ends the activation in force for the eligibility.
func (s *Server) deactivateLocked(c *caller, in changeRequest) (*pimRequest, *failure) {
	now := s.now()
	if in.e == nil {
		return nil, &failure{status: 400, code: codeDoesNotExist, message: msgDoesNotExist}
	}
	ts := s.st.tenant(c.t.ID)
	var act *activation
	for _, a := range ts.Activations {
		if a.Key == in.e.key && a.activeAt(now) {
			act = a
		}
	}
	if act == nil {
		return nil, &failure{status: 400, code: codeDoesNotExist, message: msgDoesNotExist}
	}
	if now.Sub(act.Start) < 5*time.Minute {
		return nil, &failure{status: 400, code: codeTooShort, message: msgTooShort}
	}
	id := in.id
	if id == "" {
		id = uuid.NewString()
	}
	req := &pimRequest{ID: id, Plane: in.plane, Key: in.e.key, Action: "selfDeactivate", Status: "Revoked",
		Created: now, Completed: now, Start: now, Justification: in.reason, ExpirationType: "noExpiration",
		Scope: in.scope, RoleDefinitionID: in.roleDefinitionID, ActivationID: act.ID}
	if in.validateOnly {
		return req, nil
	}
	act.End = now
	ts.Requests = append(ts.Requests, req)
	s.saveLocked()
	return req, nil
}

// cancelLocked withdraws a request that still waits (for approval or for its start).
func (s *Server) cancelLocked(t *Tenant, req *pimRequest) *failure {
	now := s.now()
	if req == nil {
		return &failure{status: 404, code: codeRequestMissing, message: msgRequestMissing}
	}
	if !req.open(now) {
		return &failure{status: 400, code: codeCannotCancel, message: msgCannotCancel}
	}
	req.Status = "Canceled"
	req.Completed = now
	if req.ActivationID != "" { // a scheduled activation that has not started
		ts := s.st.tenant(t.ID)
		for i, a := range ts.Activations {
			if a.ID == req.ActivationID {
				ts.Activations = append(ts.Activations[:i], ts.Activations[i+1:]...)
				break
			}
		}
	}
	s.saveLocked()
	return nil
}

// Approve approves a request waiting in PendingApproval, as an approver would: the activation
// starts now (or at the requested start, if later) and lasts the requested duration. requestID
// is a Graph request id, an ARM request name, or an ARM request's full id.
func (s *Server) Approve(requestID string) error {
	return s.decide(requestID, true)
}

// Deny denies a request waiting in PendingApproval.
func (s *Server) Deny(requestID string) error {
	return s.decide(requestID, false)
}

func (s *Server) decide(requestID string, approve bool) error {
	id := requestID
	if i := strings.LastIndex(id, "/"); i >= 0 {
		id = id[i+1:]
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.syncLocked()
	now := s.now()
	for _, t := range s.tenantList {
		for _, req := range s.st.tenant(t.ID).Requests {
			if !strings.EqualFold(req.ID, id) {
				continue
			}
			if st := req.statusAt(now); st != "PendingApproval" {
				return fmt.Errorf("fakeazure: request %s is %s, not PendingApproval", requestID, st)
			}
			if approve {
				s.approveLocked(t, req, now, now)
			} else {
				req.Completed, req.Status = now, "Denied"
			}
			s.saveLocked()
			return nil
		}
	}
	return fmt.Errorf("fakeazure: no request %s", requestID)
}

// Activation is an activation in force (or scheduled), as tests see it through Activations.
type Activation struct {
	TenantID  string
	Plane     string // "entra", "azure", "group"
	RoleID    string // entra: template id; azure: role definition GUID; group: member|owner
	RoleName  string
	Scope     string
	ScopeName string
	Start     time.Time
	End       time.Time
	RequestID string
}

// Activations lists the tenant's activations that are in force or scheduled at the fake's Now
// (permanent assignments are not included).
func (s *Server) Activations(tenantID string) []Activation {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, now := s.syncedLocked(tenantID)
	if t == nil {
		return nil
	}
	var out []Activation
	for _, a := range s.st.tenant(t.ID).Activations {
		e := s.roleIndex[t][a.Key]
		if e == nil || (!a.End.IsZero() && !now.Before(a.End)) {
			continue
		}
		out = append(out, Activation{TenantID: t.ID, Plane: e.plane, RoleID: e.roleID, RoleName: e.roleName,
			Scope: e.scope, ScopeName: e.scopeName, Start: a.Start, End: a.End, RequestID: a.RequestID})
	}
	return out
}

// PendingRequest is a request waiting for approval or for its start, as tests see it.
type PendingRequest struct {
	TenantID string
	Plane    string
	ID       string // Graph request id or ARM request name
	Status   string
	RoleName string
	Scope    string
}

// PendingRequests lists the tenant's open requests (PendingApproval, or Granted and not yet started).
func (s *Server) PendingRequests(tenantID string) []PendingRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, now := s.syncedLocked(tenantID)
	if t == nil {
		return nil
	}
	var out []PendingRequest
	for _, r := range s.st.tenant(t.ID).Requests {
		if !r.open(now) {
			continue
		}
		e := s.roleIndex[t][r.Key]
		pr := PendingRequest{TenantID: t.ID, Plane: r.Plane, ID: r.ID, Status: r.statusAt(now)}
		if e != nil {
			pr.RoleName, pr.Scope = e.roleName, e.scope
		}
		out = append(out, pr)
	}
	return out
}
