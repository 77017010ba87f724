package fakeazure

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Azure Resource Manager, Microsoft.Authorization, api-version 2020-10-01: eligible and active
// role instances (tenant-wide with $filter=asTarget()), role assignment schedule requests (PUT
// with a client-chosen GUID, validate, cancel) and role management policy assignments.

const armAPIVersion = "2020-10-01"

// armCall is one ARM request being served.
type armCall struct {
	s     *Server
	w     http.ResponseWriter
	r     *http.Request
	c     *caller
	now   time.Time
	scope string // the scope before /providers/Microsoft.Authorization ("" for the tenant root)
}

func (s *Server) serveARM(w http.ResponseWriter, r *http.Request) {
	c, problem, aud := s.authenticate(r, "arm")
	if problem != 0 {
		tenant := "common"
		w.Header().Set("WWW-Authenticate", `Bearer authorization_uri="https://`+r.Host+`/`+tenant+`", error="invalid_token", error_description="The access token is invalid."`)
		switch problem {
		case tokenMissing:
			armError(w, http.StatusUnauthorized, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.")
		case tokenAudience:
			armError(w, http.StatusUnauthorized, "InvalidAuthenticationTokenAudience", "The access token has been obtained for wrong audience or resource '"+aud+"'. It should exactly match with one of the allowed audiences 'https://management.core.windows.net/','https://management.core.windows.net','https://management.azure.com/','https://management.azure.com'.")
		case tokenExpired:
			armError(w, http.StatusUnauthorized, "ExpiredAuthenticationToken", "The access token expiry UTC time '"+aud+"' is earlier than current UTC time '"+s.now().UTC().Format("01/02/2006 15:04:05")+"'.")
		default:
			armError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "The access token is invalid.")
		}
		return
	}
	rest := strings.TrimPrefix(r.URL.Path, "/arm")
	const provider = "/providers/microsoft.authorization/"
	i := strings.LastIndex(strings.ToLower(rest), provider)
	if i < 0 {
		armError(w, http.StatusNotFound, "NotFound", "The fake serves Microsoft.Authorization only; no route for '"+rest+"'.")
		return
	}
	scope := strings.TrimRight(rest[:i], "/")
	tail := strings.Split(strings.Trim(rest[i+len(provider):], "/"), "/")
	typ := strings.ToLower(tail[0])

	if typ == "roleassignmentapprovals" {
		a := &armCall{s: s, w: w, r: r, c: c, scope: scope}
		s.mu.Lock()
		defer s.mu.Unlock()
		s.syncLocked()
		a.now = s.now()
		a.serveApproval(tail)
		return
	}
	switch v := queryValue(r, "api-version"); {
	case v == "":
		armError(w, http.StatusBadRequest, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.")
		return
	case v != armAPIVersion:
		armError(w, http.StatusBadRequest, "NoRegisteredProviderFound", "No registered resource provider found for location 'global' and API version '"+v+"' for type '"+tail[0]+"'. The supported api-versions are '2020-10-01, 2020-10-01-preview, 2022-04-01-preview'. The supported locations are ''.")
		return
	}

	a := &armCall{s: s, w: w, r: r, c: c, scope: scope}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.syncLocked()
	a.now = s.now()

	get, post, put := r.Method == http.MethodGet, r.Method == http.MethodPost, r.Method == http.MethodPut
	switch {
	case get && len(tail) == 1 && typ == "roleeligibilityscheduleinstances":
		if a.asTarget("asTarget()") {
			a.list(a.eligibilities())
		}
	case get && len(tail) == 1 && typ == "roleassignmentscheduleinstances":
		if a.asTarget("asTarget()") {
			a.list(a.assignments())
		}
	case get && len(tail) == 1 && typ == "roleassignmentschedulerequests":
		if strings.Contains(strings.ToLower(queryValue(r, "$filter")), "asapprover()") {
			a.list(a.approverRequests())
		} else if a.asTarget("asRequestor()", "asTarget()") {
			a.listFiltered(a.requests())
		}
	case len(tail) >= 2 && typ == "roleassignmentschedulerequests":
		switch {
		case put && len(tail) == 2:
			a.putRequest(tail[1], false)
		case get && len(tail) == 2:
			a.getRequest(tail[1])
		case post && len(tail) == 3 && strings.EqualFold(tail[2], "validate"):
			a.putRequest(tail[1], true)
		case post && len(tail) == 3 && strings.EqualFold(tail[2], "cancel"):
			a.cancel(tail[1])
		default:
			armError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "The requested method is not allowed on this resource.")
		}
	case get && len(tail) == 1 && typ == "rolemanagementpolicyassignments":
		a.policies()
	default:
		armError(w, http.StatusNotFound, "InvalidResourceType", "The resource type '"+tail[0]+"' could not be found in the namespace 'Microsoft.Authorization' for api version '"+armAPIVersion+"'.")
	}
}

// asTarget checks that a list asks for the caller's own items; without the filter the service
// refuses an eligible-only user (field report: 400 InsufficientPermissions with this message).
func (a *armCall) asTarget(accepted ...string) bool {
	f := strings.ToLower(strings.ReplaceAll(queryValue(a.r, "$filter"), " ", ""))
	for _, want := range accepted {
		if strings.Contains(f, strings.ToLower(want)) {
			return true
		}
	}
	armError(a.w, http.StatusBadRequest, "InsufficientPermissions", "The requestor "+a.c.t.User.ID+" does not have permissions for this request. Please use $filter=asTarget() to filter on the requestor's assignments.")
	return false
}

// inScope reports whether an item's scope is the listed scope, below it or above it (inherited).
func (a *armCall) inScope(itemScope string) bool {
	if a.scope == "" {
		return true
	}
	is, ls := strings.ToLower(itemScope)+"/", strings.ToLower(a.scope)+"/"
	return strings.HasPrefix(is, ls) || strings.HasPrefix(ls, is)
}

func (a *armCall) list(items []obj) {
	page, next, err := a.s.pageOf(a.r, items, "$skipToken")
	if err != nil {
		armError(a.w, http.StatusBadRequest, "InvalidSkipToken", "The skip token is invalid.")
		return
	}
	body := obj{"value": page}
	if next != "" {
		body["nextLink"] = next
	}
	writeJSON(a.w, http.StatusOK, body)
}

// listFiltered lists the items that match the property terms of $filter beside its function
// (asRequestor() and status eq 'PendingApproval'): the request filter's properties are
// principalId, roleDefinitionId, requestorId and status (RoleAssignmentScheduleRequestFilter in
// the 2020-10-01 swagger), compared with the item's properties.
func (a *armCall) listFiltered(items []obj) {
	raw := queryValue(a.r, "$filter")
	var terms []string
	for _, part := range splitWord(raw, "and") {
		if p := strings.TrimSpace(part); p != "" && !strings.HasSuffix(p, "()") {
			terms = append(terms, p)
		}
	}
	f, err := parseFilter(strings.Join(terms, " and "))
	if err != nil {
		armError(a.w, http.StatusBadRequest, "InvalidFilter", "The filter '"+raw+"' is not valid.")
		return
	}
	for _, alt := range f.any {
		for _, t := range alt {
			switch strings.ToLower(t.field) {
			case "principalid", "roledefinitionid", "requestorid", "status":
			default:
				armError(a.w, http.StatusBadRequest, "InvalidFilter", "The filter '"+raw+"' is not valid: unsupported property '"+t.field+"'.")
				return
			}
		}
	}
	var kept []obj
	for _, it := range items {
		props, _ := it["properties"].(obj)
		if ok, err := f.match(props); err == nil && ok {
			kept = append(kept, it)
		}
	}
	a.list(kept)
}

// armRoleDefID is the scope-qualified role definition id ARM reports for an eligibility.
func armRoleDefID(e *eligibility) string {
	const suffix = "/providers/Microsoft.Authorization/roleDefinitions/"
	if e.scopeType == "managementgroup" {
		return e.scope + suffix + e.roleID
	}
	parts := strings.Split(strings.Trim(e.scope, "/"), "/")
	if len(parts) >= 2 && strings.EqualFold(parts[0], "subscriptions") {
		return "/subscriptions/" + parts[1] + suffix + e.roleID
	}
	return suffix[:len(suffix)-1] + "/" + e.roleID
}

func (a *armCall) expanded(e *eligibility) obj {
	u := a.c.t.User
	return obj{
		"scope":          obj{"id": e.scope, "displayName": e.scopeName, "type": e.scopeType},
		"roleDefinition": obj{"id": armRoleDefID(e), "displayName": e.roleName, "type": "BuiltInRole"},
		"principal":      obj{"id": u.ID, "displayName": u.DisplayName, "email": u.UPN, "type": "User"},
	}
}

func (a *armCall) eligibilities() []obj {
	var out []obj
	for _, e := range a.s.eligibleLocked(a.c.t, "azure", a.now) {
		if !a.inScope(e.scope) {
			continue
		}
		props := obj{
			"scope":                     e.scope,
			"roleDefinitionId":          armRoleDefID(e),
			"principalId":               a.c.t.User.ID,
			"principalType":             "User",
			"status":                    "Provisioned",
			"roleEligibilityScheduleId": e.scope + "/providers/Microsoft.Authorization/RoleEligibilitySchedules/" + e.scheduleID,
			"startDateTime":             wireTime(e.from),
			"endDateTime":               wireTime(e.until),
			"memberType":                e.memberType,
			"createdOn":                 wireTime(e.from),
			"condition":                 nil,
			"conditionVersion":          nil,
			"expandedProperties":        a.expanded(e),
		}
		out = append(out, obj{"properties": props, "name": e.instanceID,
			"id":   e.scope + "/providers/Microsoft.Authorization/RoleEligibilityScheduleInstances/" + e.instanceID,
			"type": "Microsoft.Authorization/RoleEligibilityScheduleInstances"})
	}
	return out
}

func (a *armCall) assignments() []obj {
	var out []obj
	for _, h := range a.s.activeLocked(a.c.t, "azure", a.now) {
		e := h.e
		if !a.inScope(e.scope) {
			continue
		}
		name, schedule, assignmentType := e.assignedInstID, e.assignedInstID, "Assigned"
		var linked, linkedInst any
		start, end := wireTime(e.from), any(nil)
		if h.act != nil {
			name, schedule, assignmentType = h.act.ID, h.act.RequestID, "Activated"
			linked, linkedInst = e.scheduleID, e.instanceID
			start, end = wireTime(h.act.Start), wireTime(h.act.End)
		}
		props := obj{
			"originRoleAssignmentId":                  e.scope + "/providers/Microsoft.Authorization/roleAssignments/" + name,
			"linkedRoleEligibilityScheduleId":         linked,
			"linkedRoleEligibilityScheduleInstanceId": linkedInst,
			"assignmentType":                          assignmentType,
			"scope":                                   e.scope,
			"roleDefinitionId":                        armRoleDefID(e),
			"principalId":                             a.c.t.User.ID,
			"principalType":                           "User",
			"status":                                  "Provisioned",
			"roleAssignmentScheduleId":                e.scope + "/providers/Microsoft.Authorization/RoleAssignmentSchedules/" + schedule,
			"startDateTime":                           start,
			"endDateTime":                             end,
			"memberType":                              e.memberType,
			"createdOn":                               start,
			"condition":                               nil,
			"conditionVersion":                        nil,
			"expandedProperties":                      a.expanded(e),
		}
		out = append(out, obj{"properties": props, "name": name,
			"id":   e.scope + "/providers/Microsoft.Authorization/RoleAssignmentScheduleInstances/" + name,
			"type": "Microsoft.Authorization/RoleAssignmentScheduleInstances"})
	}
	return out
}

func (a *armCall) requests() []obj {
	var out []obj
	wantStatus := statusWanted(queryValue(a.r, "$filter"))
	for _, req := range a.s.requestsLocked(a.c.t, "azure") {
		e := a.s.roleIndex[a.c.t][req.Key]
		if a.inScope(e.scope) && wantStatus(req.statusAt(a.now)) {
			out = append(out, a.requestObject(req))
		}
	}
	return out
}

// requestObject renders a request as the PUT's 201 answer does.
func (a *armCall) requestObject(req *pimRequest) obj {
	e := a.s.roleIndex[a.c.t][req.Key]
	scope := req.Scope
	if scope == "" {
		scope = e.scope
	}
	roleDef := req.RoleDefinitionID
	if roleDef == "" {
		roleDef = armRoleDefID(e)
	}
	exp := obj{"type": pascal(req.ExpirationType), "endDateTime": nil, "duration": nil}
	switch req.ExpirationType {
	case "afterDuration":
		exp["duration"] = req.Duration
	case "afterDateTime":
		exp["endDateTime"] = wireTime(req.End)
	}
	str := func(v string) any {
		if v == "" {
			return nil
		}
		return v
	}
	var approval any
	if req.ApprovalID != "" {
		approval = "/providers/Microsoft.Authorization/roleAssignmentApprovals/" + req.ApprovalID
	}
	requestType := "SelfActivate"
	if req.Action == "selfDeactivate" {
		requestType = "SelfDeactivate"
	}
	props := obj{
		"targetRoleAssignmentScheduleId":         req.ID,
		"targetRoleAssignmentScheduleInstanceId": nil,
		"scope":                                  scope,
		"roleDefinitionId":                       roleDef,
		"principalId":                            a.c.t.User.ID,
		"principalType":                          "User",
		"requestType":                            requestType,
		"status":                                 req.statusAt(a.now),
		"approvalId":                             approval,
		"scheduleInfo":                           obj{"startDateTime": wireTime(req.Start), "expiration": exp},
		"linkedRoleEligibilityScheduleId":        str(req.Linked),
		"ticketInfo":                             obj{"ticketNumber": str(req.TicketNumber), "ticketSystem": str(req.TicketSystem)},
		"justification":                          str(req.Justification),
		"requestorId":                            a.c.t.User.ID,
		"createdOn":                              wireTime(req.Created),
		"condition":                              str(req.Condition),
		"conditionVersion":                       str(req.ConditionVersion),
		"expandedProperties":                     a.expanded(e),
	}
	return obj{"properties": props, "name": req.ID,
		"id":   scope + "/providers/Microsoft.Authorization/RoleAssignmentScheduleRequests/" + req.ID,
		"type": "Microsoft.Authorization/RoleAssignmentScheduleRequests"}
}

func pascal(expirationType string) string {
	switch expirationType {
	case "afterDuration":
		return "AfterDuration"
	case "afterDateTime":
		return "AfterDateTime"
	}
	return "NoExpiration"
}

// armRequestBody is a role assignment schedule request's PUT (and validate) body.
type armRequestBody struct {
	Properties *struct {
		PrincipalID                     string        `json:"principalId"`
		RoleDefinitionID                string        `json:"roleDefinitionId"`
		RequestType                     string        `json:"requestType"`
		LinkedRoleEligibilityScheduleID string        `json:"linkedRoleEligibilityScheduleId"`
		Justification                   string        `json:"justification"`
		ScheduleInfo                    *wireSchedule `json:"scheduleInfo"`
		TicketInfo                      *wireTicket   `json:"ticketInfo"`
		Condition                       string        `json:"condition"`
		ConditionVersion                string        `json:"conditionVersion"`
	} `json:"properties"`
}

// putRequest creates a request (PUT) or checks one (POST .../validate). A PUT with the name of an
// existing request answers that request again: the client-chosen GUID makes retries idempotent.
func (a *armCall) putRequest(name string, validate bool) {
	if a.scope == "" {
		armError(a.w, http.StatusBadRequest, "InvalidScope", "A role assignment schedule request needs a scope (a management group, subscription, resource group or resource).")
		return
	}
	if _, err := uuid.Parse(name); err != nil {
		armError(a.w, http.StatusBadRequest, "InvalidRoleAssignmentScheduleRequestName", "The role assignment schedule request name '"+name+"' is not valid. The name must be a GUID.")
		return
	}
	if !validate {
		if req := a.s.findRequestLocked(a.c.t, "azure", name); req != nil {
			writeJSON(a.w, http.StatusCreated, a.requestObject(req))
			return
		}
	}
	raw, _ := io.ReadAll(a.r.Body)
	var body armRequestBody
	if err := json.Unmarshal(raw, &body); err != nil || body.Properties == nil {
		msg := "The request content was invalid and could not be deserialized: missing 'properties'."
		if err != nil {
			msg = "The request content was invalid and could not be deserialized: " + err.Error()
		}
		armError(a.w, http.StatusBadRequest, "InvalidRequestContent", msg)
		return
	}
	p := body.Properties
	if p.PrincipalID == "" || p.RoleDefinitionID == "" || p.RequestType == "" {
		armError(a.w, http.StatusBadRequest, "InvalidRequestContent", "The request content was invalid: principalId, roleDefinitionId and requestType are required.")
		return
	}
	rt := strings.ToLower(p.RequestType)
	if rt != "selfactivate" && rt != "selfdeactivate" {
		a.forbidden("Microsoft.Authorization/roleAssignmentScheduleRequests/write")
		return
	}
	if !strings.EqualFold(p.PrincipalID, a.c.t.User.ID) {
		a.forbidden("Microsoft.Authorization/roleAssignmentScheduleRequests/write")
		return
	}
	in := changeRequest{plane: "azure", reason: p.Justification, validateOnly: validate, id: strings.ToLower(name),
		scope: a.scope, roleDefinitionID: p.RoleDefinitionID, linked: p.LinkedRoleEligibilityScheduleID,
		condition: p.Condition, conditionVersion: p.ConditionVersion}
	if msg := in.fill(p.ScheduleInfo, p.TicketInfo); msg != "" {
		armError(a.w, http.StatusBadRequest, "InvalidRequestContent", "The request content was invalid: "+msg)
		return
	}
	if msg := in.limits(a.s.minActivation()); msg != "" {
		armError(a.w, http.StatusBadRequest, "InvalidRequestContent", "The request content was invalid: "+msg)
		return
	}
	in.e = a.findEligibility(p.RoleDefinitionID, p.LinkedRoleEligibilityScheduleID)
	var req *pimRequest
	var f *failure
	if rt == "selfactivate" {
		req, f = a.s.activateLocked(a.c, in)
	} else {
		req, f = a.s.deactivateLocked(a.c, in)
	}
	if f != nil {
		if f.code == codeAcrs && a.s.opts.ARMClaimsChallenge {
			claims := base64.StdEncoding.EncodeToString([]byte(acrsClaims(f.acrs)))
			a.w.Header().Set("WWW-Authenticate", `Bearer authorization_uri="https://`+a.r.Host+`/common/oauth2/authorize", error="insufficient_claims", claims="`+claims+`"`)
			armError(a.w, http.StatusUnauthorized, "AuthenticationFailed", "The access token does not satisfy the authentication context "+f.acrs+" that this role's policy requires.")
			return
		}
		armFailure(a.w, f)
		return
	}
	if validate {
		writeJSON(a.w, http.StatusOK, a.requestObject(req))
		return
	}
	writeJSON(a.w, http.StatusCreated, a.requestObject(req))
}

// findEligibility finds the azure eligibility at the call's scope for a role definition id
// (compared by its GUID, as ARM accepts several spellings of the qualified id). A linked
// eligibility schedule id, when given, must name that eligibility's schedule.
func (a *armCall) findEligibility(roleDefID, linked string) *eligibility {
	guid := strings.ToLower(roleDefID[strings.LastIndex(roleDefID, "/")+1:])
	e := a.s.roleIndex[a.c.t][strings.ToLower("azure|"+guid+"|"+a.scope)]
	if e == nil {
		return nil
	}
	if linked != "" && !strings.EqualFold(linked[strings.LastIndex(linked, "/")+1:], e.scheduleID) {
		return nil
	}
	return e
}

func (a *armCall) forbidden(action string) {
	u := a.c.t.User
	armError(a.w, http.StatusForbidden, "AuthorizationFailed", "The client '"+u.UPN+"' with object id '"+u.ID+"' does not have authorization to perform action '"+action+"' over scope '"+a.scope+"' or the scope is invalid. If access was recently granted, please refresh your credentials.")
}

func (a *armCall) getRequest(name string) {
	req := a.s.findRequestLocked(a.c.t, "azure", name)
	if req == nil {
		armError(a.w, http.StatusNotFound, "RoleAssignmentScheduleRequestNotFound", "The role assignment schedule request '"+name+"' does not exist.")
		return
	}
	writeJSON(a.w, http.StatusOK, a.requestObject(req))
}

func (a *armCall) cancel(name string) {
	req := a.s.findRequestLocked(a.c.t, "azure", name)
	if f := a.s.cancelLocked(a.c.t, req); f != nil {
		armFailure(a.w, f)
		return
	}
	a.w.WriteHeader(http.StatusOK)
}

// policies serves {scope}/providers/Microsoft.Authorization/roleManagementPolicyAssignments
// [?$filter=roleDefinitionId eq '...'] with each policy's effectiveRules.
func (a *armCall) policies() {
	if a.s.opts.ARMPolicyForbidden {
		a.forbidden("Microsoft.Authorization/roleManagementPolicyAssignments/read")
		return
	}
	if a.scope == "" {
		armError(a.w, http.StatusBadRequest, "InvalidScope", "Role management policy assignments are listed at a scope.")
		return
	}
	f, err := parseFilter(queryValue(a.r, "$filter"))
	if err != nil {
		armError(a.w, http.StatusBadRequest, "InvalidFilter", err.Error())
		return
	}
	want := f.value("roleDefinitionId")
	want = strings.ToLower(want[strings.LastIndex(want, "/")+1:])
	var items []obj
	for _, e := range a.c.t.roles {
		if e.plane != "azure" || !strings.EqualFold(e.scope, a.scope) || (want != "" && e.roleID != want) {
			continue
		}
		policyID := e.scope + "/providers/Microsoft.Authorization/roleManagementPolicies/" + e.policyID
		name := e.policyID + "_" + e.roleID
		ex := a.expanded(e)
		props := obj{
			"scope":            e.scope,
			"roleDefinitionId": armRoleDefID(e),
			"policyId":         policyID,
			"effectiveRules":   policyRules(e.policy, true),
			"policyAssignmentProperties": obj{
				"scope":          ex["scope"],
				"roleDefinition": ex["roleDefinition"],
				"policy": obj{"id": policyID, "lastModifiedDateTime": nil,
					"lastModifiedBy": obj{"id": nil, "displayName": "Admin", "type": nil, "email": nil}},
			},
		}
		items = append(items, obj{"properties": props, "name": name,
			"id":   e.scope + "/providers/Microsoft.Authorization/roleManagementPolicyAssignment/" + name,
			"type": "Microsoft.Authorization/RoleManagementPolicyAssignment"})
	}
	a.list(items)
}
