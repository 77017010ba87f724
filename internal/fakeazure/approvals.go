package fakeazure

// The approver's side: requests other users made that wait for the tenant user's decision, with
// Azure's stage/step model. Shapes follow Microsoft's documented examples:
//
//   - Graph v1.0 filterByCurrentUser list items (unifiedRoleAssignmentScheduleRequest):
//     microsoftgraph/microsoft-graph-docs-contrib api-reference/v1.0/api/unifiedroleassignmentschedulerequest-filterbycurrentuser.md
//     @ 09455a65abde17103c17fc70605c4c8553f01978;
//   - Graph beta approval with steps[] (id, displayName, reviewedDateTime, reviewResult, status,
//     assignedToMe, justification, reviewedBy): api-reference/beta/api/approval-get.md @ 00e146a92755a19260d07a735eee6e9df034f45f;
//   - Graph v1.0 approvalStage update: 204; 403 not allowed; 404 unknown approval; 409 "already
//     approved by another approver in the same approval stage": api-reference/v1.0/api/approvalstage-update.md
//     @ 0713c450496046d1f357f9afae7a914ac6ab4277;
//   - ARM 2021-01-01-preview stages (value[].{id,type,name,properties{displayName,assignedToMe,
//     status,reviewedBy,reviewedDateTime,reviewResult,justification}}) and the PUT's 200 echo:
//     Azure/azure-rest-api-specs specification/authorization/resource-manager/Microsoft.Authorization/
//     preview/2021-01-01-preview/examples/GetRoleAssignmentApprovalSteps.json @ c97e2892044873200a5e00b2dec70e9d286952d2
//     and PutRoleAssignmentApprovalStepById.json @ e4307c718100835816bfb053c0a971fa964b73ec.

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
)

// ARMApprovalAPIVersion is the api-version of ARM's roleAssignmentApprovals (preview only).
const ARMApprovalAPIVersion = "2021-01-01-preview"

// approvalLifetime: an undecided request expires after a day, as PIM's do.
const approvalLifetime = 24 * time.Hour

// WaitingRequest is a request another user makes that waits for the tenant user's approval.
type WaitingRequest struct {
	// ID fixes the request's id (seeded requests: stable across runs); empty: a new GUID.
	ID        string
	Plane     string // "entra", "azure", "group"
	Requester User
	// RoleID: entra, the role template id; azure, the role definition GUID; group, member|owner.
	RoleID   string
	RoleName string
	// Scope: entra "/" (default) or /administrativeUnits/{id}; azure the ARM scope; group the group id.
	Scope         string
	ScopeName     string
	Justification string
	TicketNumber  string
	TicketSystem  string
	Duration      time.Duration // 0: 1 hour
	// Age is how long ago it was asked (when seeded, or made by RequestApproval).
	Age time.Duration
	// OtherApprovers also may decide it (first decision wins; the others get 409).
	OtherApprovers []User
	// NotMine makes the tenant user not an approver of it (it is not listed for them).
	NotMine bool
}

// approvalRecord is a WaitingRequest as the fake keeps it (in the state file, shared by a demo's
// tray and command line).
type approvalRecord struct {
	ID             string    `json:"id"`
	ApprovalID     string    `json:"approvalId"`
	StageID        string    `json:"stageId"`
	Plane          string    `json:"plane"`
	Requester      User      `json:"requester"`
	RoleID         string    `json:"roleId"`
	RoleName       string    `json:"roleName"`
	Scope          string    `json:"scope"`
	ScopeName      string    `json:"scopeName"`
	Justification  string    `json:"justification,omitempty"`
	TicketNumber   string    `json:"ticketNumber,omitempty"`
	TicketSystem   string    `json:"ticketSystem,omitempty"`
	Duration       string    `json:"duration"`
	Created        time.Time `json:"created"`
	Approvers      []User    `json:"approvers"`
	Status         string    `json:"status"` // PendingApproval | Provisioned | Denied
	ReviewedBy     *User     `json:"reviewedBy,omitempty"`
	ReviewResult   string    `json:"reviewResult,omitempty"`
	ReviewReason   string    `json:"reviewReason,omitempty"`
	Reviewed       time.Time `json:"reviewed,omitzero"`
	ActiveFrom     time.Time `json:"activeFrom,omitzero"`
	ActiveUntil    time.Time `json:"activeUntil,omitzero"`
	DecisionsTried int       `json:"decisionsTried,omitempty"`
	// Race: another approver decides just before the next decision arrives (RaceNextDecision).
	Race *race `json:"race,omitempty"`
}

type race struct {
	By      User `json:"by"`
	Approve bool `json:"approve"`
}

// RaceNextDecision makes another approver decide the request just before the next decision the
// user sends arrives (after the user read its stages): that decision gets 409.
func (s *Server) RaceNextDecision(tenantID, requestID string, by User, approve bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, err := s.waitingLocked(tenantID, requestID)
	if err != nil {
		return err
	}
	rec.Race = &race{By: by, Approve: approve}
	s.saveLocked()
	return nil
}

// AddWaitingRequest seeds a request by another user waiting for the tenant user's approval
// (made when New runs, unless the state file has it already). It returns t for chaining.
func (t *Tenant) AddWaitingRequest(w WaitingRequest) *Tenant {
	t.init()
	t.waiting = append(t.waiting, w)
	return t
}

// ClearWaitingRequests drops the seeded waiting requests (a demo tenant for tests about the
// requester's side alone). It returns t for chaining.
func (t *Tenant) ClearWaitingRequests() *Tenant {
	t.waiting = nil
	return t
}

func newApprovalRecord(t *Tenant, w WaitingRequest, now time.Time) *approvalRecord {
	id := w.ID
	if id == "" {
		id = uuid.NewString()
	}
	seed := func(what string) string {
		return uuid.NewSHA1(uuid.NameSpaceURL, []byte(t.ID+"|"+id+"|"+what)).String()
	}
	scope := w.Scope
	if scope == "" && w.Plane == "entra" {
		scope = "/"
	}
	scopeName := w.ScopeName
	if scopeName == "" {
		scopeName = scope
		if w.Plane == "entra" && scope == "/" {
			scopeName = "Directory"
		} else if i := strings.LastIndex(scope, "/"); i >= 0 {
			scopeName = scope[i+1:]
		}
	}
	d := w.Duration
	if d <= 0 {
		d = time.Hour
	}
	rec := &approvalRecord{ID: id, ApprovalID: seed("approval"), StageID: seed("stage"), Plane: w.Plane,
		Requester: w.Requester, RoleID: strings.ToLower(w.RoleID), RoleName: w.RoleName, Scope: scope, ScopeName: scopeName,
		Justification: w.Justification, TicketNumber: w.TicketNumber, TicketSystem: w.TicketSystem,
		Duration: isoDuration(d), Created: now.Add(-w.Age).UTC().Truncate(time.Second), Status: "PendingApproval"}
	if !w.NotMine {
		rec.Approvers = append(rec.Approvers, t.User)
	}
	rec.Approvers = append(rec.Approvers, w.OtherApprovers...)
	return rec
}

// seedWaitingLocked adds the tenants' seeded waiting requests the state lacks. s.mu must be held.
func (s *Server) seedWaitingLocked() bool {
	changed := false
	now := s.now()
	for _, t := range s.tenantList {
		ts := s.st.tenant(t.ID)
		for _, w := range t.waiting {
			if w.ID != "" && ts.approval(w.ID) != nil {
				continue
			}
			ts.Approvals = append(ts.Approvals, newApprovalRecord(t, w, now))
			changed = true
		}
	}
	return changed
}

func (ts *tenantState) approval(id string) *approvalRecord {
	id = strings.ToLower(id)
	if i := strings.LastIndex(id, "/"); i >= 0 {
		id = id[i+1:]
	}
	for _, a := range ts.Approvals {
		if strings.ToLower(a.ID) == id || strings.ToLower(a.ApprovalID) == id {
			return a
		}
	}
	return nil
}

// statusAt is the request's status: an undecided one times out after a day.
func (a *approvalRecord) statusAt(now time.Time) string {
	if a.Status == "PendingApproval" && now.Sub(a.Created) >= approvalLifetime {
		return "TimedOut"
	}
	return a.Status
}

// stageStatus is the stage's status word (ARM's enum: InProgress, Completed, Expired, ...).
func (a *approvalRecord) stageStatus(now time.Time) string {
	switch a.statusAt(now) {
	case "PendingApproval":
		return "InProgress"
	case "TimedOut":
		return "Expired"
	}
	return "Completed"
}

func (a *approvalRecord) approver(u User) bool {
	for _, x := range a.Approvers {
		if strings.EqualFold(x.ID, u.ID) {
			return true
		}
	}
	return false
}

// RequestApproval makes a request by another user that waits for the tenant user's approval, now
// (as if the requester had just clicked). It returns the request's id.
func (s *Server) RequestApproval(tenantID string, w WaitingRequest) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, now := s.syncedLocked(tenantID)
	if t == nil {
		return "", fmt.Errorf("fakeazure: no tenant %s", tenantID)
	}
	rec := newApprovalRecord(t, w, now)
	ts := s.st.tenant(t.ID)
	ts.Approvals = append(ts.Approvals, rec)
	s.saveLocked()
	return rec.ID, nil
}

// waitingLocked is the tenant's request requestID by another user (waiting for approval, or
// decided), with the fake's state brought up to its Now. s.mu must be held.
func (s *Server) waitingLocked(tenantID, requestID string) (*approvalRecord, error) {
	t, _ := s.syncedLocked(tenantID)
	if t == nil {
		return nil, fmt.Errorf("fakeazure: no tenant %s", tenantID)
	}
	if rec := s.st.tenant(t.ID).approval(requestID); rec != nil {
		return rec, nil
	}
	return nil, fmt.Errorf("fakeazure: no waiting request %s", requestID)
}

// DecideAs decides a waiting request as another approver would (the portal, a colleague): the
// tenant user's own decision then gets 409. approverName names an approver of it, or anyone.
func (s *Server) DecideAs(tenantID, requestID string, approver User, approve bool, justification string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, err := s.waitingLocked(tenantID, requestID)
	if err != nil {
		return err
	}
	if st := rec.statusAt(s.now()); st != "PendingApproval" {
		return fmt.Errorf("fakeazure: request %s is %s", requestID, st)
	}
	s.recordDecisionLocked(rec, approver, approve, justification)
	s.saveLocked()
	return nil
}

func (s *Server) recordDecisionLocked(rec *approvalRecord, by User, approve bool, justification string) {
	now := s.now()
	rec.ReviewedBy, rec.Reviewed, rec.ReviewReason = &by, now, justification
	if approve {
		rec.ReviewResult, rec.Status = "Approve", "Provisioned"
		d, err := parseISODuration(rec.Duration)
		if err != nil || d <= 0 {
			d = time.Hour
		}
		rec.ActiveFrom, rec.ActiveUntil = now, now.Add(d)
	} else {
		rec.ReviewResult, rec.Status = "Deny", "Denied"
	}
}

// Waiting is a request by another user as its requester (and the tests) see it.
type Waiting struct {
	ID            string
	ApprovalID    string // the approval's GUID (Graph's approvalId; ARM's is /providers/Microsoft.Authorization/roleAssignmentApprovals/{it})
	Plane         string
	Requester     User
	RoleName      string
	ScopeName     string
	Status        string // PendingApproval, Provisioned, Denied, TimedOut
	DecidedBy     string // display name of who decided
	Decision      string // Approve | Deny
	Justification string // the approver's
	// ActiveFrom and ActiveUntil are the requester's activation, once approved.
	ActiveFrom, ActiveUntil time.Time
}

// WaitingRequests lists the requests by other users, with their status (the requester's side).
func (s *Server) WaitingRequests(tenantID string) []Waiting {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, now := s.syncedLocked(tenantID)
	if t == nil {
		return nil
	}
	var out []Waiting
	for _, a := range s.st.tenant(t.ID).Approvals {
		w := Waiting{ID: a.ID, ApprovalID: a.ApprovalID, Plane: a.Plane, Requester: a.Requester, RoleName: a.RoleName, ScopeName: a.ScopeName,
			Status: a.statusAt(now), Decision: a.ReviewResult, Justification: a.ReviewReason,
			ActiveFrom: a.ActiveFrom, ActiveUntil: a.ActiveUntil}
		if a.ReviewedBy != nil {
			w.DecidedBy = a.ReviewedBy.DisplayName
		}
		out = append(out, w)
	}
	return out
}

// ---- wire ----

func (a *approvalRecord) schedule() obj {
	return obj{"startDateTime": wireTime(a.Created), "recurrence": nil,
		"expiration": obj{"type": "afterDuration", "endDateTime": nil, "duration": a.Duration}}
}

func nullable(v string) any {
	if v == "" {
		return nil
	}
	return v
}

// graphApprovalObject is the request as Graph lists it (unifiedRoleAssignmentScheduleRequest or
// privilegedAccessGroupAssignmentScheduleRequest), with principal/roleDefinition/group expanded
// when asked.
func (g *graphCall) graphApprovalObject(a *approvalRecord) obj {
	o := obj{
		"id": a.ID, "status": a.statusAt(g.now), "createdDateTime": wireTime(a.Created),
		"completedDateTime": wireTime(a.Reviewed), "approvalId": a.ApprovalID, "customData": nil,
		"action": "selfActivate", "principalId": a.Requester.ID, "isValidationOnly": false,
		"targetScheduleId": a.ID, "justification": nullable(a.Justification),
		"createdBy":    obj{"application": nil, "device": nil, "user": obj{"displayName": nil, "id": a.Requester.ID}},
		"scheduleInfo": a.schedule(),
		"ticketInfo":   obj{"ticketNumber": nullable(a.TicketNumber), "ticketSystem": nullable(a.TicketSystem)},
	}
	if a.Plane == "entra" {
		o["roleDefinitionId"], o["directoryScopeId"], o["appScopeId"] = a.RoleID, a.Scope, nil
		if g.expands("roleDefinition") {
			o["roleDefinition"] = obj{"id": a.RoleID, "displayName": a.RoleName}
		}
	} else {
		o["accessId"], o["groupId"], o["memberType"] = a.RoleID, a.Scope, "direct"
		if g.expands("group") {
			o["group"] = groupObject(a.Scope, a.ScopeName)
		}
	}
	if g.expands("principal") {
		o["principal"] = obj{"@odata.type": "#microsoft.graph.user", "id": a.Requester.ID,
			"displayName": a.Requester.DisplayName, "userPrincipalName": a.Requester.UPN}
	}
	return o
}

func (g *graphCall) approverRequests(plane string) []obj {
	var out []obj
	for _, a := range g.s.st.tenant(g.c.t.ID).Approvals {
		if a.Plane == plane && a.approver(g.c.t.User) {
			out = append(out, g.graphApprovalObject(a))
		}
	}
	return out
}

// stageObject is one step/stage as Graph (beta steps, v1.0 stages) and ARM (properties) show it.
func (a *approvalRecord) stageObject(me User, now time.Time) obj {
	var reviewedBy any
	if a.ReviewedBy != nil {
		reviewedBy = obj{"id": a.ReviewedBy.ID, "displayName": a.ReviewedBy.DisplayName, "userPrincipalName": a.ReviewedBy.UPN}
	}
	result := a.ReviewResult
	if result == "" {
		result = "NotReviewed"
	}
	return obj{"id": a.StageID, "displayName": nil, "reviewedDateTime": wireTime(a.Reviewed), "reviewResult": result,
		"status": a.stageStatus(now), "assignedToMe": a.approver(me), "justification": a.ReviewReason, "reviewedBy": reviewedBy}
}

// approvalFor finds the approval a caller may see: one they approve.
func (s *Server) approvalFor(c *caller, plane, approvalID string) *approvalRecord {
	a := s.st.tenant(c.t.ID).approval(approvalID)
	if a == nil || a.Plane != plane || !strings.EqualFold(a.ApprovalID, lastPart(approvalID)) {
		return nil
	}
	return a
}

func lastPart(s string) string {
	if i := strings.LastIndex(s, "/"); i >= 0 {
		return s[i+1:]
	}
	return s
}

// getApproval serves GET …/roleAssignmentApprovals/{id} (beta: steps) or …/assignmentApprovals/{id} (v1.0: stages).
func (g *graphCall) getApproval(plane, id, list string) {
	a := g.s.approvalFor(g.c, plane, id)
	if a == nil {
		g.notFound(id)
		return
	}
	if !a.approver(g.c.t.User) {
		// approval-get: "if the caller does not have the right permissions, the method returns a 403".
		g.fail(http.StatusForbidden, "Forbidden", "The caller is not an approver of this approval.")
		return
	}
	writeJSON(g.w, http.StatusOK, obj{"@odata.context": g.base + "/$metadata#approval", "id": a.ApprovalID,
		list: []obj{a.stageObject(g.c.t.User, g.now)}})
}

type decisionBody struct {
	ReviewResult  string `json:"reviewResult"`
	Justification string `json:"justification"`
}

// decideStage applies the caller's decision to a stage: 204, or 403 (not an approver), 404
// (unknown), 409 (decided already), 400 (an undecidable body or an expired request).
func (s *Server) decideStage(c *caller, plane, approvalID, stageID string, in decisionBody) (int, string, string) {
	a := s.approvalFor(c, plane, approvalID)
	if a == nil || !strings.EqualFold(a.StageID, stageID) {
		return http.StatusNotFound, "NotFound", "The approval stage " + stageID + " was not found."
	}
	if !a.approver(c.t.User) {
		return http.StatusForbidden, "Forbidden", "The caller is not an approver of this approval stage."
	}
	a.DecisionsTried++
	if r := a.Race; r != nil {
		// Another approver decided between the caller's read of the stages and this decision.
		a.Race = nil
		s.recordDecisionLocked(a, r.By, r.Approve, "")
	}
	switch in.ReviewResult {
	case "Approve", "Deny":
	default:
		return http.StatusBadRequest, "InvalidRequest", "reviewResult must be Approve or Deny."
	}
	if len(in.Justification) > 500 {
		return http.StatusBadRequest, "InvalidRequest", "The justification is longer than 500 characters."
	}
	now := s.now()
	switch a.statusAt(now) {
	case "PendingApproval":
	case "TimedOut":
		return http.StatusBadRequest, "ApprovalExpired", "The approval has expired."
	default:
		return http.StatusConflict, "Conflict", "The request has already been reviewed."
	}
	s.recordDecisionLocked(a, c.t.User, in.ReviewResult == "Approve", in.Justification)
	s.saveLocked()
	return http.StatusNoContent, "", ""
}

func readDecision(r *http.Request, arm bool) (decisionBody, error) {
	data, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes))
	if err != nil {
		return decisionBody{}, err
	}
	var in decisionBody
	if arm {
		var wrap struct {
			Properties *decisionBody `json:"properties"`
		}
		if err := json.Unmarshal(data, &wrap); err != nil || wrap.Properties == nil {
			return decisionBody{}, fmt.Errorf("the body must be {\"properties\":{\"reviewResult\",\"justification\"}}")
		}
		return *wrap.Properties, nil
	}
	if err := json.Unmarshal(data, &in); err != nil {
		return decisionBody{}, err
	}
	return in, nil
}

func (g *graphCall) patchStage(plane, approvalID, stageID string) {
	in, err := readDecision(g.r, false)
	if err != nil {
		g.fail(http.StatusBadRequest, "BadRequest", "Unreadable body: "+err.Error())
		return
	}
	status, code, msg := g.s.decideStage(g.c, plane, approvalID, stageID, in)
	if status == http.StatusNoContent {
		g.w.WriteHeader(http.StatusNoContent)
		return
	}
	g.fail(status, code, msg)
}

// ---- ARM ----

func (a *armCall) approvalRequestObject(rec *approvalRecord) obj {
	roleDef := rec.Scope + "/providers/Microsoft.Authorization/roleDefinitions/" + rec.RoleID
	name := rec.ID
	id := rec.Scope + "/providers/Microsoft.Authorization/roleAssignmentScheduleRequests/" + name
	props := obj{
		"targetRoleAssignmentScheduleId": name, "targetRoleAssignmentScheduleInstanceId": nil,
		"scope": rec.Scope, "roleDefinitionId": roleDef, "principalId": rec.Requester.ID, "principalType": "User",
		"requestType": "SelfActivate", "status": rec.statusAt(a.now),
		"approvalId":   "/providers/Microsoft.Authorization/roleAssignmentApprovals/" + rec.ApprovalID,
		"scheduleInfo": rec.schedule(), "linkedRoleEligibilityScheduleId": nil,
		"justification": nullable(rec.Justification),
		"ticketInfo":    obj{"ticketNumber": nullable(rec.TicketNumber), "ticketSystem": nullable(rec.TicketSystem)},
		"requestorId":   rec.Requester.ID, "createdOn": wireTime(rec.Created), "condition": nil, "conditionVersion": nil,
		"expandedProperties": obj{
			"scope":          obj{"id": rec.Scope, "displayName": rec.ScopeName, "type": armScopeKind(rec.Scope)},
			"roleDefinition": obj{"id": roleDef, "displayName": rec.RoleName, "type": "BuiltInRole"},
			"principal":      obj{"id": rec.Requester.ID, "displayName": rec.Requester.DisplayName, "email": rec.Requester.UPN, "type": "User"},
		},
	}
	return obj{"properties": props, "name": name, "id": id, "type": "Microsoft.Authorization/RoleAssignmentScheduleRequests"}
}

func armScopeKind(scope string) string {
	parts := strings.Split(strings.Trim(strings.ToLower(scope), "/"), "/")
	switch {
	case len(parts) == 4 && parts[0] == "providers":
		return "managementgroup"
	case len(parts) == 2:
		return "subscription"
	case len(parts) == 4:
		return "resourcegroup"
	}
	return "resource"
}

func (a *armCall) approverRequests() []obj {
	var out []obj
	for _, rec := range a.s.st.tenant(a.c.t.ID).Approvals {
		if rec.Plane == "azure" && rec.approver(a.c.t.User) {
			out = append(out, a.approvalRequestObject(rec))
		}
	}
	return out
}

func (a *approvalRecord) armStage(me User, now time.Time) obj {
	props := a.stageObject(me, now)
	delete(props, "id")
	if a.ReviewedBy != nil {
		props["reviewedBy"] = obj{"principalType": "user", "principalId": a.ReviewedBy.ID,
			"principalName": a.ReviewedBy.DisplayName, "userPrincipalName": a.ReviewedBy.UPN}
	}
	if props["justification"] == "" {
		props["justification"] = ""
	}
	return obj{"id": "/providers/Microsoft.Authorization/roleAssignmentApprovals/" + a.ApprovalID + "/stages/" + a.StageID,
		"type": "Microsoft.Authorization/roleAssignmentApprovals/stages", "name": a.StageID, "properties": props}
}

// serveARMApproval serves /providers/Microsoft.Authorization/roleAssignmentApprovals/{id}/stages[/{stageId}]
// (api-version 2021-01-01-preview only). s.mu must be held.
func (a *armCall) serveApproval(tail []string) {
	if v := queryValue(a.r, "api-version"); v != ARMApprovalAPIVersion {
		armError(a.w, http.StatusBadRequest, "NoRegisteredProviderFound", "No registered resource provider found for location 'global' and API version '"+v+"' for type 'roleAssignmentApprovals'. The supported api-versions are '2021-01-01-preview'.")
		return
	}
	if len(tail) < 3 || !strings.EqualFold(tail[2], "stages") {
		armError(a.w, http.StatusNotFound, "NotFound", "No route for that approval resource.")
		return
	}
	rec := a.s.approvalFor(a.c, "azure", tail[1])
	if rec == nil {
		armError(a.w, http.StatusNotFound, "RoleAssignmentApprovalNotFound", "The role assignment approval "+tail[1]+" was not found.")
		return
	}
	if !rec.approver(a.c.t.User) {
		armError(a.w, http.StatusForbidden, "AuthorizationFailed", "The client does not have authorization to review this role assignment approval.")
		return
	}
	switch {
	case a.r.Method == http.MethodGet && len(tail) == 3:
		writeJSON(a.w, http.StatusOK, obj{"value": []obj{rec.armStage(a.c.t.User, a.now)}})
	case a.r.Method == http.MethodGet && len(tail) == 4:
		writeJSON(a.w, http.StatusOK, rec.armStage(a.c.t.User, a.now))
	case (a.r.Method == http.MethodPut || a.r.Method == http.MethodPatch) && len(tail) == 4:
		in, err := readDecision(a.r, true)
		if err != nil {
			armError(a.w, http.StatusBadRequest, "InvalidRequestContent", err.Error())
			return
		}
		status, code, msg := a.s.decideStage(a.c, "azure", tail[1], tail[3], in)
		if status != http.StatusNoContent {
			armError(a.w, status, code, msg)
			return
		}
		if a.r.Method == http.MethodPatch {
			a.w.WriteHeader(http.StatusNoContent)
			return
		}
		writeJSON(a.w, http.StatusOK, rec.armStage(a.c.t.User, a.now))
	default:
		armError(a.w, http.StatusMethodNotAllowed, "MethodNotAllowed", "The requested method is not allowed on this resource.")
	}
}
