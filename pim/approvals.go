package pim

// The approver's side of PIM: the requests other users made that wait for the signed-in user's
// decision, and the decision itself. Endpoints, as Microsoft documents them (checked against
// the reference; see README "Approving"):
//
//   - Entra roles: list GET /v1.0/roleManagement/directory/roleAssignmentScheduleRequests/
//     filterByCurrentUser(on='approver') (docs: unifiedroleassignmentschedulerequest-filterbycurrentuser,
//     "Only principal and approver are currently supported"); decide through the BETA API only:
//     GET /beta/roleManagement/directory/roleAssignmentApprovals/{id} → steps[], then
//     PATCH …/steps/{stepId} {"reviewResult","justification"} → 204.
//   - PIM for Groups (v1.0): list …/group/assignmentScheduleRequests/filterByCurrentUser(on='approver');
//     GET …/group/assignmentApprovals/{id} → stages[]; PATCH …/assignmentApprovals/{id}/stages/{stageId}
//     → 204, 409 "if the request has already been approved by another approver in the same
//     approval stage" (docs: approvalstage-update).
//   - Azure resources: GET /providers/Microsoft.Authorization/roleAssignmentScheduleRequests?
//     api-version=2020-10-01&$filter=asApprover(); GET {approvalId}/stages?api-version=2021-01-01-preview;
//     PUT {approvalId}/stages/{stageId}?api-version=2021-01-01-preview {"properties":{…}} → 200
//     (azure-rest-api-specs …/preview/2021-01-01-preview/examples/PutRoleAssignmentApprovalStepById.json).

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// API versions and labels of the approval endpoints, as --json reports them ("api").
const (
	ApprovalAPIEntra = "beta"               // Graph beta: roleAssignmentApprovals/{id}/steps
	ApprovalAPIGroup = "v1.0"               // Graph v1.0: assignmentApprovals/{id}/stages
	ApprovalAPIAzure = "2021-01-01-preview" // ARM preview: roleAssignmentApprovals/{id}/stages
)

// ApprovalLifetime is how long a request waits for a decision before Azure lets it expire
// (PIM: "If the request isn't approved within 24 hours, it expires").
const ApprovalLifetime = 24 * time.Hour

// ApprovalRequest is a request made by another user that waits for the signed-in user's decision.
type ApprovalRequest struct {
	Plane    Plane  `json:"plane"`
	TenantID string `json:"tenantId,omitempty"`
	// ID is the request's id: Graph, the request id; Azure, the request's full resource id.
	ID string `json:"id"`
	// ApprovalID is what the decision is sent to: Graph, the approval's id; Azure,
	// /providers/Microsoft.Authorization/roleAssignmentApprovals/{guid}.
	ApprovalID string `json:"approvalId"`
	// Requester is who asks (display name and UPN; ARM gives an e-mail address for the UPN).
	Requester Principal `json:"requester"`
	// Role is the role asked for, at its scope (Role.PrincipalID is the requester's).
	Role          Role   `json:"role"`
	Justification string `json:"justification,omitempty"`
	TicketNumber  string `json:"ticketNumber,omitempty"`
	TicketSystem  string `json:"ticketSystem,omitempty"`
	// StartsAt and Duration are what the requester asked for (Duration 0: not said).
	StartsAt  time.Time     `json:"startsAt,omitzero"`
	Duration  time.Duration `json:"duration,omitempty"`
	CreatedAt time.Time     `json:"createdAt,omitzero"`
	// ExpiresAt is when the request expires undecided (CreatedAt + ApprovalLifetime).
	ExpiresAt time.Time `json:"expiresAt,omitzero"`
	// API is the API a decision goes through (ApprovalAPI*): "beta" for Entra roles.
	API string `json:"api"`
}

// Decision is the approver's answer.
type Decision struct {
	Approve       bool
	Justification string
}

// Result is "Approve" or "Deny", as Azure spells reviewResult.
func (d Decision) Result() string {
	if d.Approve {
		return "Approve"
	}
	return "Deny"
}

// Approvals is what waits for the signed-in user in each plane asked.
type Approvals struct {
	Items []ApprovalRequest
	// Errors holds the planes that could not be read. A 403 or 404 there means the user may
	// not approve in that plane (or the API is not offered): see Unavailable.
	Errors    map[Plane]error
	FetchedAt time.Time
}

// Approver is the approver's side of a tenant. *Client implements it; an API that does not
// offers no approvals.
type Approver interface {
	// Approvals lists the requests waiting for the signed-in user's decision in the given
	// planes (all when none): one listing request per plane (more only to follow paging).
	Approvals(ctx context.Context, planes ...Plane) (*Approvals, error)
	// Decide approves or denies one request: one read of its stages, one decision. Errors are
	// *DecisionError for the outcomes a person must know (decided by someone else, not
	// theirs, expired), else *Error.
	Decide(ctx context.Context, req ApprovalRequest, d Decision) error
}

var _ Approver = (*Client)(nil)

// Unavailable reports whether a plane's approvals error means the user cannot approve there at
// all (no permission, no such API): then it is not asked again until the next sign-in.
func Unavailable(err error) bool {
	var pe *Error
	if !errors.As(err, &pe) {
		return false
	}
	return pe.Kind == KindPermission || pe.StatusCode == http.StatusForbidden || pe.StatusCode == http.StatusNotFound
}

// Outcome sorts a decision that could not be made.
type Outcome string

const (
	OutcomeDecided  Outcome = "decided"   // another approver decided first (409 or the stage says so)
	OutcomeNotYours Outcome = "not-yours" // no step of the approval is assigned to the user
	OutcomeExpired  Outcome = "expired"   // the request expired (or was withdrawn) undecided
)

// DecisionError is a decision Azure would not take, for a reason a person must be told.
type DecisionError struct {
	Outcome Outcome
	// By is who decided first (display name), when Azure said; Result is their reviewResult.
	By     string
	Result string
	// Request is the request's label ("Ada Lovelace · Global Administrator").
	Request string
	Err     error
}

func (e *DecisionError) Unwrap() error { return e.Err }

func (e *DecisionError) Error() string {
	switch e.Outcome {
	case OutcomeDecided:
		word := "decided"
		switch strings.ToLower(e.Result) {
		case "approve":
			word = "approved"
		case "deny":
			word = "denied"
		}
		if e.By != "" {
			return fmt.Sprintf("%s: already %s by %s.", e.Request, word, e.By)
		}
		return fmt.Sprintf("%s: already %s by someone else.", e.Request, word)
	case OutcomeNotYours:
		return e.Request + ": not yours to decide (no approval stage is assigned to you)."
	case OutcomeExpired:
		return e.Request + ": expired before a decision (or was withdrawn)."
	}
	return e.Request + ": cannot be decided."
}

// Label is "Requester · Role · Scope" for people.
func (a ApprovalRequest) Label() string {
	who := firstNonEmpty(a.Requester.DisplayName, a.Requester.UserPrincipalName, a.Requester.ID)
	return who + " · " + a.Role.Label()
}

const (
	entraApproverPath = entraRequestsPath + "/filterByCurrentUser(on='approver')"
	groupApproverPath = groupRequestsPath + "/filterByCurrentUser(on='approver')"
	entraApprovalPath = "/roleManagement/directory/roleAssignmentApprovals/"
	groupApprovalPath = "/identityGovernance/privilegedAccess/group/assignmentApprovals/"
)

func approvalsCall(p Plane) call {
	return call{op: opList, plane: p, subject: "the " + p.Title() + " requests waiting for you"}
}

// Approvals lists, concurrently, what waits for the user in each plane asked (all when none).
// The error is non-nil only when every plane failed.
func (c *Client) Approvals(ctx context.Context, planes ...Plane) (*Approvals, error) {
	if len(planes) == 0 {
		planes = Planes()
	}
	out := &Approvals{Errors: map[Plane]error{}}
	type res struct {
		items []ApprovalRequest
		err   error
	}
	results := make([]res, len(planes))
	var wg sync.WaitGroup
	for i, p := range planes {
		wg.Go(func() {
			switch p {
			case PlaneEntra:
				results[i].items, results[i].err = listAll(ctx, c, graphAPI,
					c.graphEndpoint(entraApproverPath, "$filter", "status eq 'PendingApproval'", "$expand", "principal,roleDefinition"),
					approvalsCall(p), decodeGraphApprovals(PlaneEntra))
			case PlaneGroup:
				results[i].items, results[i].err = listAll(ctx, c, graphAPI,
					c.graphEndpoint(groupApproverPath, "$filter", "status eq 'PendingApproval'", "$expand", "principal,group"),
					approvalsCall(p), decodeGraphApprovals(PlaneGroup))
			case PlaneAzure:
				results[i].items, results[i].err = listAll(ctx, c, armAPI,
					c.armEndpoint(armRequestsPath, "$filter", "asApprover()"), approvalsCall(p), decodeARMApprovals)
			default:
				results[i].err = &Error{Kind: KindOther, Plane: p, Text: fmt.Sprintf("pimtray knows no plane %q.", string(p))}
			}
		})
	}
	wg.Wait()
	tenant := c.Tenant()
	failed := 0
	var first error
	for i, p := range planes {
		if err := results[i].err; err != nil {
			out.Errors[p] = err
			failed++
			if first == nil {
				first = err
			}
			continue
		}
		for _, a := range results[i].items {
			a.TenantID, a.Role.TenantID = tenant, tenant
			a.StartsAt, a.CreatedAt = c.clock.toLocal(a.StartsAt), c.clock.toLocal(a.CreatedAt)
			if !a.CreatedAt.IsZero() {
				a.ExpiresAt = a.CreatedAt.Add(ApprovalLifetime)
			}
			out.Items = append(out.Items, a)
		}
	}
	sort.SliceStable(out.Items, func(i, j int) bool { return out.Items[i].CreatedAt.Before(out.Items[j].CreatedAt) })
	out.FetchedAt = c.now()
	if failed == len(planes) {
		return out, first
	}
	return out, nil
}

// ---- wire shapes ----

// wirePrincipal is an expanded principal: Graph's directoryObject (user: displayName,
// userPrincipalName), ARM's expandedProperties.principal (displayName, email).
type wirePrincipal struct {
	ID                string `json:"id"`
	DisplayName       string `json:"displayName"`
	UserPrincipalName string `json:"userPrincipalName"`
	Email             string `json:"email"`
}

type graphApprovalRequest struct {
	graphRequest
	ApprovalID string         `json:"approvalId"`
	Principal  *wirePrincipal `json:"principal"`
	CreatedBy  *struct {
		User *wirePrincipal `json:"user"`
	} `json:"createdBy"`
	TicketInfo *wireTicket `json:"ticketInfo"`
}

func decodeGraphApprovals(p Plane) func([]byte) (listPage[ApprovalRequest], error) {
	return func(body []byte) (listPage[ApprovalRequest], error) {
		return decodeGraphList(body, string(p)+" approvals", func(in *graphApprovalRequest) (ApprovalRequest, bool, error) {
			// Activations only: Graph offers no decision for extend and renew requests.
			if !strings.EqualFold(in.Status, "PendingApproval") || in.ApprovalID == "" || !strings.EqualFold(in.Action, "selfActivate") {
				return ApprovalRequest{}, false, nil
			}
			a := ApprovalRequest{Plane: p, ID: in.ID, ApprovalID: in.ApprovalID, Justification: in.Justification, API: ApprovalAPIGroup}
			if p == PlaneEntra {
				a.Role, a.API = in.directoryRole(), ApprovalAPIEntra
			} else {
				a.Role = in.groupRole()
			}
			who := in.Principal
			if who == nil && in.CreatedBy != nil {
				who = in.CreatedBy.User
			}
			a.Requester = Principal{ID: in.PrincipalID}
			if who != nil {
				a.Requester = Principal{ID: firstNonEmpty(who.ID, in.PrincipalID), DisplayName: who.DisplayName,
					UserPrincipalName: firstNonEmpty(who.UserPrincipalName, who.Email)}
			}
			if in.TicketInfo != nil {
				a.TicketNumber, a.TicketSystem = in.TicketInfo.TicketNumber, in.TicketInfo.TicketSystem
			}
			return a, true, a.fill(in.ScheduleInfo, in.CreatedDateTime)
		})
	}
}

// fill reads the asked start and duration and when it was asked.
func (a *ApprovalRequest) fill(s wireSchedule, created string) error {
	var err error
	if a.CreatedAt, err = parseTime(created); err != nil {
		return err
	}
	start, end, err := s.window()
	if err != nil {
		return err
	}
	a.StartsAt = start
	if !start.IsZero() && !end.IsZero() {
		a.Duration = end.Sub(start)
	} else if s.Expiration.Duration != "" {
		a.Duration, _ = ParseISODuration(s.Expiration.Duration)
	}
	return nil
}

type armApprovalItem struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Properties *struct {
		Scope              string       `json:"scope"`
		RoleDefinitionID   string       `json:"roleDefinitionId"`
		PrincipalID        string       `json:"principalId"`
		Status             string       `json:"status"`
		RequestType        string       `json:"requestType"`
		ApprovalID         string       `json:"approvalId"`
		Justification      string       `json:"justification"`
		CreatedOn          string       `json:"createdOn"`
		ScheduleInfo       wireSchedule `json:"scheduleInfo"`
		TicketInfo         *wireTicket  `json:"ticketInfo"`
		ExpandedProperties *struct {
			Scope          wireRef       `json:"scope"`
			RoleDefinition wireRef       `json:"roleDefinition"`
			Principal      wirePrincipal `json:"principal"`
		} `json:"expandedProperties"`
	} `json:"properties"`
}

func decodeARMApprovals(body []byte) (listPage[ApprovalRequest], error) {
	return decodeARMList(body, "azure approvals", func(it *armApprovalItem) (ApprovalRequest, bool, error) {
		p := it.Properties
		if p == nil || !strings.EqualFold(p.Status, "PendingApproval") || p.ApprovalID == "" || !strings.EqualFold(p.RequestType, "SelfActivate") {
			return ApprovalRequest{}, false, nil
		}
		a := ApprovalRequest{Plane: PlaneAzure, ID: firstNonEmpty(it.ID, it.Name), ApprovalID: p.ApprovalID,
			Justification: p.Justification, API: ApprovalAPIAzure}
		r := Role{Plane: PlaneAzure, RoleID: p.RoleDefinitionID, Scope: p.Scope, PrincipalID: p.PrincipalID}
		a.Requester = Principal{ID: p.PrincipalID}
		var typ string
		if e := p.ExpandedProperties; e != nil {
			r.RoleName, r.ScopeName, typ = e.RoleDefinition.DisplayName, e.Scope.DisplayName, e.Scope.Type
			if r.Scope == "" {
				r.Scope = e.Scope.ID
			}
			a.Requester = Principal{ID: firstNonEmpty(e.Principal.ID, p.PrincipalID), DisplayName: e.Principal.DisplayName,
				UserPrincipalName: firstNonEmpty(e.Principal.UserPrincipalName, e.Principal.Email)}
		}
		r.ScopeType = armScopeType(typ, r.Scope)
		if r.ScopeName == "" {
			r.ScopeName = lastSegment(r.Scope)
		}
		a.Role = r
		if p.TicketInfo != nil {
			a.TicketNumber, a.TicketSystem = p.TicketInfo.TicketNumber, p.TicketInfo.TicketSystem
		}
		return a, true, a.fill(p.ScheduleInfo, p.CreatedOn)
	})
}

// approvalStage is one step (Entra beta) or stage (Groups, ARM) of an approval.
type approvalStage struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	AssignedToMe bool   `json:"assignedToMe"`
	Status       string `json:"status"`
	ReviewResult string `json:"reviewResult"`
	ReviewedBy   *struct {
		DisplayName       string `json:"displayName"`
		PrincipalName     string `json:"principalName"`
		UserPrincipalName string `json:"userPrincipalName"`
	} `json:"reviewedBy"`
}

func (s approvalStage) reviewer() string {
	if s.ReviewedBy == nil {
		return ""
	}
	return firstNonEmpty(s.ReviewedBy.DisplayName, s.ReviewedBy.PrincipalName, s.ReviewedBy.UserPrincipalName)
}

func decodeStages(plane Plane, body []byte) ([]approvalStage, error) {
	switch plane {
	case PlaneAzure:
		var l struct {
			Value []struct {
				ID         string        `json:"id"`
				Name       string        `json:"name"`
				Properties approvalStage `json:"properties"`
			} `json:"value"`
		}
		if err := decodeJSON(body, "approval stages", &l); err != nil {
			return nil, err
		}
		out := make([]approvalStage, 0, len(l.Value))
		for _, v := range l.Value {
			st := v.Properties
			st.ID = firstNonEmpty(v.Name, lastSegment(v.ID))
			out = append(out, st)
		}
		return out, nil
	default:
		var a struct {
			Steps  []approvalStage `json:"steps"`
			Stages []approvalStage `json:"stages"`
		}
		if err := decodeJSON(body, "approval", &a); err != nil {
			return nil, err
		}
		return append(a.Steps, a.Stages...), nil
	}
}

// ---- deciding ----

func (c *Client) betaEndpoint(path string) string {
	return strings.TrimSuffix(c.graphURL.String(), "/v1.0") + "/beta" + path
}

func (c *Client) armPreviewEndpoint(path, sub string) string {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for i, s := range segs {
		segs[i] = pathEscape(s)
	}
	return c.armURL.String() + "/" + strings.Join(segs, "/") + sub + "?api-version=" + ApprovalAPIAzure
}

// stagesURL and decideURL are where an approval's stages are read and one is decided.
func (c *Client) stagesURL(a ApprovalRequest) (read, decide func(stage string) string, api plane, method string) {
	switch a.Plane {
	case PlaneEntra:
		base := entraApprovalPath + pathEscape(a.ApprovalID)
		return func(string) string { return c.betaEndpoint(base) },
			func(id string) string { return c.betaEndpoint(base + "/steps/" + pathEscape(id)) }, graphAPI, http.MethodPatch
	case PlaneGroup:
		base := groupApprovalPath + pathEscape(a.ApprovalID)
		return func(string) string { return c.graphEndpoint(base) },
			func(id string) string { return c.graphEndpoint(base + "/stages/" + pathEscape(id)) }, graphAPI, http.MethodPatch
	default:
		return func(string) string { return c.armPreviewEndpoint(a.ApprovalID, "/stages") },
			func(id string) string { return c.armPreviewEndpoint(a.ApprovalID+"/stages/"+id, "") }, armAPI, http.MethodPut
	}
}

// Decide approves or denies req: it reads the approval's stages (one request), picks the one
// assigned to the user that is in progress and sends the decision (one request). A 409 (another
// approver was first) is read once more to say who.
func (c *Client) Decide(ctx context.Context, req ApprovalRequest, d Decision) error {
	if req.ApprovalID == "" {
		return &Error{Kind: KindOther, Plane: req.Plane, Text: req.Label() + ": Azure gave no approval id to decide."}
	}
	read, decide, api, method := c.stagesURL(req)
	cl := call{op: "decide", plane: req.Plane, subject: "the request " + req.Label()}
	stages, err := c.readStages(ctx, req, read(""), api, cl)
	if err != nil {
		return err
	}
	label := req.Label()
	var mine *approvalStage
	for i := range stages {
		st := &stages[i]
		if !st.AssignedToMe {
			continue
		}
		switch strings.ToLower(st.Status) {
		case "inprogress", "notstarted", "initializing", "escalated", "escalating", "":
			if mine == nil && strings.EqualFold(firstNonEmpty(st.ReviewResult, "NotReviewed"), "NotReviewed") {
				mine = st
			}
		}
	}
	if mine == nil {
		for _, st := range stages {
			if !strings.EqualFold(firstNonEmpty(st.ReviewResult, "NotReviewed"), "NotReviewed") {
				return &DecisionError{Outcome: OutcomeDecided, By: st.reviewer(), Result: st.ReviewResult, Request: label}
			}
		}
		for _, st := range stages {
			if strings.EqualFold(st.Status, "Expired") {
				return &DecisionError{Outcome: OutcomeExpired, Request: label}
			}
		}
		return &DecisionError{Outcome: OutcomeNotYours, Request: label}
	}
	var body any = map[string]string{"reviewResult": d.Result(), "justification": d.Justification}
	if api == armAPI {
		body = map[string]any{"properties": body}
	}
	_, err = c.send(ctx, api, method, decide(mine.ID), body, cl)
	if err == nil {
		c.log.Info("decision sent", "plane", req.Plane, "approval", req.ApprovalID, "result", d.Result())
		return nil
	}
	var pe *Error
	if errors.As(err, &pe) {
		switch pe.StatusCode {
		case http.StatusConflict:
			// Another approver was first: ask once who.
			de := &DecisionError{Outcome: OutcomeDecided, Request: label, Err: err}
			if again, rerr := c.readStages(ctx, req, read(""), api, cl); rerr == nil {
				for _, st := range again {
					if !strings.EqualFold(firstNonEmpty(st.ReviewResult, "NotReviewed"), "NotReviewed") {
						de.By, de.Result = st.reviewer(), st.ReviewResult
						break
					}
				}
			}
			return de
		case http.StatusForbidden:
			return &DecisionError{Outcome: OutcomeNotYours, Request: label, Err: err}
		case http.StatusNotFound:
			return &DecisionError{Outcome: OutcomeExpired, Request: label, Err: err}
		}
	}
	return err
}

func (c *Client) readStages(ctx context.Context, req ApprovalRequest, u string, api plane, cl call) ([]approvalStage, error) {
	data, err := c.send(ctx, api, http.MethodGet, u, nil, cl)
	if err != nil {
		var pe *Error
		if errors.As(err, &pe) && pe.StatusCode == http.StatusNotFound {
			return nil, &DecisionError{Outcome: OutcomeExpired, Request: req.Label(), Err: err}
		}
		if errors.As(err, &pe) && pe.StatusCode == http.StatusForbidden {
			return nil, &DecisionError{Outcome: OutcomeNotYours, Request: req.Label(), Err: err}
		}
		return nil, err
	}
	stages, err := decodeStages(req.Plane, data)
	if err != nil {
		return nil, cl.err(&Error{Kind: KindBadResponse, Err: err})
	}
	return stages, nil
}

// FormatISODuration writes d as ISO 8601 ("PT2H30M"), as Azure does.
func FormatISODuration(d time.Duration) string { return formatISODuration(d) }
