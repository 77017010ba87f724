package fakeazure

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// Microsoft Graph v1.0: Entra directory roles (/roleManagement/directory), PIM for Groups
// (/identityGovernance/privilegedAccess/group), their policies (/policies/roleManagementPolicyAssignments)
// and the few directory objects pimtray reads (/me, /groups/{id}, /directory/administrativeUnits/{id}).

// Delegated permissions that each kind of Graph call accepts (any one suffices).
var (
	permEntraEligibility = []string{"RoleEligibilitySchedule.Read.Directory", "RoleEligibilitySchedule.ReadWrite.Directory",
		"RoleManagement.Read.Directory", "RoleManagement.ReadWrite.Directory", "RoleManagement.Read.All"}
	permEntraAssignmentRead = []string{"RoleAssignmentSchedule.Read.Directory", "RoleAssignmentSchedule.ReadWrite.Directory",
		"RoleManagement.Read.Directory", "RoleManagement.ReadWrite.Directory", "RoleManagement.Read.All"}
	permEntraAssignmentWrite = []string{"RoleAssignmentSchedule.ReadWrite.Directory", "RoleManagement.ReadWrite.Directory"}
	permEntraPolicy          = []string{"RoleManagementPolicy.Read.Directory", "RoleManagementPolicy.ReadWrite.Directory",
		"RoleManagement.Read.Directory", "RoleManagement.ReadWrite.Directory", "RoleManagement.Read.All"}
	permGroupEligibility = []string{"PrivilegedEligibilitySchedule.Read.AzureADGroup", "PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup",
		"PrivilegedAccess.Read.AzureADGroup", "PrivilegedAccess.ReadWrite.AzureADGroup"}
	permGroupAssignmentRead = []string{"PrivilegedAssignmentSchedule.Read.AzureADGroup", "PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup",
		"PrivilegedAccess.Read.AzureADGroup", "PrivilegedAccess.ReadWrite.AzureADGroup"}
	permGroupAssignmentWrite = []string{"PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup", "PrivilegedAccess.ReadWrite.AzureADGroup"}
	permGroupPolicy          = []string{"RoleManagementPolicy.Read.AzureADGroup", "RoleManagementPolicy.ReadWrite.AzureADGroup"}
	permMe                   = []string{"User.Read", "User.ReadWrite", "User.ReadBasic.All", "User.Read.All", "Directory.Read.All", "Directory.AccessAsUser.All"}
)

const fbcuPrefix = "filterbycurrentuser("

// graphPlane tells which plane a Graph request belongs to, for the request log.
func graphPlane(r *http.Request) string {
	p := strings.ToLower(r.URL.Path)
	switch {
	case strings.Contains(p, "/identitygovernance/privilegedaccess/group/"), strings.Contains(p, "/v1.0/groups/"):
		return "group"
	case strings.Contains(p, "/policies/rolemanagementpolicyassignments"):
		if strings.Contains(strings.ToLower(queryValue(r, "$filter")), "'group'") {
			return "group"
		}
	}
	return "entra"
}

// graphCall is one Graph request being served.
type graphCall struct {
	s    *Server
	w    http.ResponseWriter
	r    *http.Request
	c    *caller
	now  time.Time
	base string // https://host/graph/v1.0
}

func (g *graphCall) fail(status int, code, msg string) { graphError(g.w, g.r, status, code, msg) }

// notFound answers a read of a directory object that does not exist.
func (g *graphCall) notFound(id string) {
	g.fail(http.StatusNotFound, "Request_ResourceNotFound", "Resource '"+id+"' does not exist or one of its queried reference-property objects are not present.")
}

// granted tells whether the token carries one of the permissions.
func (g *graphCall) granted(perms []string) bool {
	have := g.c.scopes()
	for _, p := range perms {
		if containsFold(have, p) {
			return true
		}
	}
	return false
}

// needs checks that the token carries one of the permissions; it answers 403 otherwise, with the
// body the PIM service gives (an UnknownError wrapping PermissionScopeNotGranted, as observed).
func (g *graphCall) needs(perms []string) bool {
	if g.granted(perms) {
		return true
	}
	inner, _ := json.Marshal(obj{"errorCode": "PermissionScopeNotGranted",
		"message":             "Authorization failed due to missing permission scope " + strings.Join(perms, ",") + ".",
		"instanceAnnotations": []string{}})
	g.fail(http.StatusForbidden, "UnknownError", string(inner))
	return false
}

func (s *Server) serveGraph(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/graph")
	// Beta is served for the one API that exists only there: Entra's roleAssignmentApprovals.
	beta := strings.HasPrefix(strings.ToLower(rest), "/beta/rolemanagement/directory/roleassignmentapprovals/")
	if !strings.HasPrefix(rest, "/v1.0/") && !beta {
		graphError(w, r, http.StatusBadRequest, "BadRequest", "Invalid version: the fake serves Microsoft Graph v1.0 only.")
		return
	}
	c, problem, _ := s.authenticate(r, "graph")
	if problem != 0 {
		w.Header().Set("WWW-Authenticate", `Bearer realm="", authorization_uri="https://`+r.Host+`/common/oauth2/authorize", client_id="`+graphAppID+`"`)
		msg := "Access token validation failure."
		switch problem {
		case tokenMissing:
			msg = "Access token is empty."
		case tokenAudience:
			msg = "Access token validation failure. Invalid audience."
		case tokenExpired:
			msg = "Lifetime validation failed, the token is expired."
		}
		graphError(w, r, http.StatusUnauthorized, "InvalidAuthenticationToken", msg)
		return
	}
	g := &graphCall{s: s, w: w, r: r, c: c, base: "https://" + r.Host + "/graph/v1.0"}
	path := strings.Trim(strings.TrimPrefix(strings.TrimPrefix(rest, "/v1.0/"), "/beta/"), "/")
	if beta {
		g.base = "https://" + r.Host + "/graph/beta"
	}
	segs := strings.Split(path, "/")
	lower := strings.Split(strings.ToLower(path), "/")
	is := func(parts ...string) bool {
		if len(parts) != len(lower) {
			return false
		}
		for i, p := range parts {
			if p != "*" && p != lower[i] && !(p == fbcuPrefix && strings.HasPrefix(lower[i], fbcuPrefix)) {
				return false
			}
		}
		return true
	}
	get, post := r.Method == http.MethodGet, r.Method == http.MethodPost
	patch := r.Method == http.MethodPatch

	s.mu.Lock()
	defer s.mu.Unlock()
	s.syncLocked()
	g.now = s.now()

	const rm, dir = "rolemanagement", "directory"
	const ig, pa, grp = "identitygovernance", "privilegedaccess", "group"
	switch {
	case beta && get && is(rm, dir, "roleassignmentapprovals", "*"):
		if g.needs(permEntraAssignmentRead) {
			g.getApproval("entra", segs[3], "steps")
		}
	case beta && patch && is(rm, dir, "roleassignmentapprovals", "*", "steps", "*"):
		if g.needs(permEntraAssignmentWrite) {
			g.patchStage("entra", segs[3], segs[5])
		}
	case beta:
		g.fail(http.StatusBadRequest, "BadRequest", "Resource not found for the segment '"+segs[len(segs)-1]+"'.")
	case get && is(ig, pa, grp, "assignmentapprovals", "*"):
		if g.needs(permGroupAssignmentRead) {
			g.getApproval("group", segs[4], "stages")
		}
	case patch && (is(ig, pa, grp, "assignmentapprovals", "*", "stages", "*") || is(ig, pa, grp, "assignmentapprovals", "*", "steps", "*")):
		// The docs' request line says /steps/ where the resource says stages: both are taken.
		if g.needs(permGroupAssignmentWrite) {
			g.patchStage("group", segs[4], segs[6])
		}
	case get && is("me"):
		g.me()
	case get && is("organization"):
		g.organization()
	case get && is(rm, dir, "roleeligibilityscheduleinstances", fbcuPrefix):
		g.listByCurrentUser(segs[3], permEntraEligibility, "unifiedRoleEligibilityScheduleInstance", g.entraEligibilities)
	case get && is(rm, dir, "roleassignmentscheduleinstances", fbcuPrefix):
		g.listByCurrentUser(segs[3], permEntraAssignmentRead, "unifiedRoleAssignmentScheduleInstance", g.entraAssignments)
	case get && is(rm, dir, "roleassignmentschedulerequests", fbcuPrefix):
		g.listByCurrentUser(segs[3], permEntraAssignmentRead, "unifiedRoleAssignmentScheduleRequest", func() []obj { return g.requests("entra") }, func() []obj { return g.approverRequests("entra") })
	case post && is(rm, dir, "roleassignmentschedulerequests"):
		if g.needs(permEntraAssignmentWrite) {
			g.postRequest("entra")
		}
	case get && is(rm, dir, "roleassignmentschedulerequests", "*"):
		if g.needs(permEntraAssignmentRead) {
			g.getRequest("entra", segs[3])
		}
	case post && is(rm, dir, "roleassignmentschedulerequests", "*", "cancel"):
		if g.needs(permEntraAssignmentWrite) {
			g.cancel("entra", segs[3])
		}
	case get && is(rm, dir, "roledefinitions", "*"):
		g.roleDefinition(segs[3])
	case get && is(ig, pa, grp, "eligibilityscheduleinstances", fbcuPrefix):
		g.listByCurrentUser(segs[4], permGroupEligibility, "privilegedAccessGroupEligibilityScheduleInstance", g.groupEligibilities)
	case get && is(ig, pa, grp, "assignmentscheduleinstances", fbcuPrefix):
		g.listByCurrentUser(segs[4], permGroupAssignmentRead, "privilegedAccessGroupAssignmentScheduleInstance", g.groupAssignments)
	case get && is(ig, pa, grp, "assignmentschedulerequests", fbcuPrefix):
		g.listByCurrentUser(segs[4], permGroupAssignmentRead, "privilegedAccessGroupAssignmentScheduleRequest", func() []obj { return g.requests("group") }, func() []obj { return g.approverRequests("group") })
	case post && is(ig, pa, grp, "assignmentschedulerequests"):
		if g.needs(permGroupAssignmentWrite) {
			g.postRequest("group")
		}
	case get && is(ig, pa, grp, "assignmentschedulerequests", "*"):
		if g.needs(permGroupAssignmentRead) {
			g.getRequest("group", segs[4])
		}
	case post && is(ig, pa, grp, "assignmentschedulerequests", "*", "cancel"):
		if g.needs(permGroupAssignmentWrite) {
			g.cancel("group", segs[4])
		}
	case get && is("groups", "*"):
		g.group(segs[1])
	case get && is("directory", "administrativeunits", "*"):
		g.adminUnit(segs[2])
	case get && is("policies", "rolemanagementpolicyassignments"):
		g.policies()
	default:
		g.fail(http.StatusBadRequest, "BadRequest", "Resource not found for the segment '"+segs[len(segs)-1]+"'.")
	}
}

// listByCurrentUser serves a filterByCurrentUser(on='...') list: on='principal' lists the user's
// items; on='approver' (requests only) lists the requests of others that the user approves.
func (g *graphCall) listByCurrentUser(fn string, perms []string, entity string, items func() []obj, approver ...func() []obj) {
	arg := strings.ToLower(fn[len(fbcuPrefix):])
	arg = strings.TrimSuffix(arg, ")")
	arg = strings.ReplaceAll(strings.ReplaceAll(arg, " ", ""), `"`, "'")
	if arg != "on='principal'" && arg != "on='approver'" {
		g.fail(http.StatusBadRequest, "BadRequest", "The parameter 'on' must be 'principal' or 'approver'.")
		return
	}
	if !g.needs(perms) {
		return
	}
	var list []obj
	if arg == "on='principal'" {
		list = items()
	} else if len(approver) > 0 {
		list = approver[0]()
	}
	g.list(list, "Collection("+entity+")")
}

// list filters ($filter), pages and writes a collection.
func (g *graphCall) list(items []obj, context string) {
	f, err := parseFilter(queryValue(g.r, "$filter"))
	if err != nil {
		g.fail(http.StatusBadRequest, "BadRequest", err.Error())
		return
	}
	var kept []obj
	for _, it := range items {
		ok, err := f.match(it)
		if err != nil {
			g.fail(http.StatusBadRequest, "BadRequest", err.Error())
			return
		}
		if ok {
			kept = append(kept, it)
		}
	}
	page, next, err := g.s.pageOf(g.r, kept, "$skiptoken")
	if err != nil {
		g.fail(http.StatusBadRequest, "BadRequest", err.Error())
		return
	}
	body := obj{"@odata.context": g.base + "/$metadata#" + context, "value": page}
	if next != "" {
		body["@odata.nextLink"] = next
	}
	writeJSON(g.w, http.StatusOK, body)
}

func (g *graphCall) expands(name string) bool {
	for _, part := range strings.Split(queryValue(g.r, "$expand"), ",") {
		part = strings.TrimSpace(part)
		if i := strings.Index(part, "("); i >= 0 {
			part = part[:i]
		}
		if strings.EqualFold(part, name) {
			return true
		}
	}
	return false
}

// ---- directory objects ----

func (g *graphCall) me() {
	if !g.needsOr403(permMe) {
		return
	}
	u := g.c.t.User
	given, family := splitName(u.DisplayName)
	full := obj{"businessPhones": []string{}, "displayName": u.DisplayName, "givenName": given, "jobTitle": "IT administrator",
		"mail": u.UPN, "mobilePhone": nil, "officeLocation": nil, "preferredLanguage": "en-US", "surname": family,
		"userPrincipalName": u.UPN, "id": u.ID}
	g.selected(full, "users", u.ID)
}

// organization answers GET /organization: the signed-in tenant (User.Read is enough).
func (g *graphCall) organization() {
	if !g.needsOr403(permMe) {
		return
	}
	t := g.c.t
	org := obj{"id": t.ID, "displayName": t.Name, "tenantType": "AAD", "countryLetterCode": "US",
		"verifiedDomains": []obj{{"name": t.Domain, "isDefault": true, "isInitial": false, "type": "Managed"}}}
	g.list([]obj{org}, "organization")
}

// needsOr403 is needs for ordinary directory reads, which answer Authorization_RequestDenied.
func (g *graphCall) needsOr403(perms []string) bool {
	if g.granted(perms) {
		return true
	}
	g.fail(http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
	return false
}

// selected honours $select on a single entity.
func (g *graphCall) selected(full obj, set, id string) {
	sel := queryValue(g.r, "$select")
	out := obj{}
	ctx := g.base + "/$metadata#" + set + "/$entity"
	if sel == "" {
		out = full
	} else {
		var names []string
		for _, f := range strings.Split(sel, ",") {
			f = strings.TrimSpace(f)
			if v, ok := lookupFold(full, f); ok {
				out[f] = v
				names = append(names, f)
			}
		}
		ctx = g.base + "/$metadata#" + set + "(" + strings.Join(names, ",") + ")/$entity"
	}
	out["@odata.context"] = ctx
	writeJSON(g.w, http.StatusOK, out)
}

func (g *graphCall) group(id string) {
	name, ok := g.c.t.groupNames[strings.ToLower(id)]
	if !ok {
		g.notFound(id)
		return
	}
	g.selected(groupObject(strings.ToLower(id), name), "groups", id)
}

func groupObject(id, name string) obj {
	return obj{"id": id, "displayName": name, "description": name + " (PIM-managed group)", "mailNickname": strings.ToLower(name),
		"mailEnabled": false, "securityEnabled": true, "groupTypes": []string{}, "isAssignableToRole": true,
		"createdDateTime": wireTime(eligibilityStart.Add(-30 * 24 * time.Hour)), "visibility": "Private"}
}

func (g *graphCall) adminUnit(id string) {
	name, ok := g.c.t.adminUnits[strings.ToLower(id)]
	if !ok {
		g.notFound(id)
		return
	}
	g.selected(obj{"id": strings.ToLower(id), "displayName": name, "description": name, "visibility": nil,
		"isMemberManagementRestricted": false, "membershipType": "Assigned"}, "directory/administrativeUnits", id)
}

func (g *graphCall) roleDefinition(id string) {
	for _, e := range g.c.t.roles {
		if e.plane == "entra" && strings.EqualFold(e.roleID, id) {
			out := roleDefinitionObject(e)
			out["@odata.context"] = g.base + "/$metadata#roleManagement/directory/roleDefinitions/$entity"
			writeJSON(g.w, http.StatusOK, out)
			return
		}
	}
	g.notFound(id)
}

func roleDefinitionObject(e *eligibility) obj {
	return obj{"id": e.roleID, "description": "Built-in role: " + e.roleName + ".", "displayName": e.roleName,
		"isBuiltIn": true, "isEnabled": true, "resourceScopes": []string{"/"}, "templateId": e.roleID, "version": "1",
		"rolePermissions": []obj{{"allowedResourceActions": []string{"microsoft.directory/allEntities/allProperties/read"}, "condition": nil}}}
}

// ---- Entra directory roles ----

func (g *graphCall) entraEligibilities() []obj {
	t := g.c.t
	var out []obj
	for _, e := range g.s.eligibleLocked(t, "entra", g.now) {
		o := obj{
			"@odata.type":               "#microsoft.graph.unifiedRoleEligibilityScheduleInstance",
			"id":                        graphInstanceID("-1-e", t.ID, e.key),
			"principalId":               t.User.ID,
			"roleDefinitionId":          e.roleID,
			"directoryScopeId":          e.scope,
			"appScopeId":                nil,
			"startDateTime":             wireTime(e.from),
			"endDateTime":               wireTime(e.until),
			"memberType":                e.memberType,
			"roleEligibilityScheduleId": e.scheduleID,
		}
		if g.expands("roleDefinition") {
			o["roleDefinition"] = roleDefinitionObject(e)
		}
		if g.expands("directoryScope") {
			o["directoryScope"] = directoryScopeObject(e)
		}
		out = append(out, o)
	}
	return out
}

// directoryScopeObject is an Entra role's expanded directoryScope: the administrative unit, or
// null for the whole directory ("/" names no directory object).
func directoryScopeObject(e *eligibility) any {
	if e.scopeType != "administrativeunit" {
		return nil
	}
	return obj{"@odata.type": "#microsoft.graph.administrativeUnit", "id": strings.TrimPrefix(e.scope, "/administrativeUnits/"),
		"displayName": e.scopeName, "description": e.scopeName, "visibility": nil}
}

func (g *graphCall) entraAssignments() []obj {
	t := g.c.t
	var out []obj
	for _, h := range g.s.activeLocked(t, "entra", g.now) {
		o := obj{
			"@odata.type":      "#microsoft.graph.unifiedRoleAssignmentScheduleInstance",
			"principalId":      t.User.ID,
			"roleDefinitionId": h.e.roleID,
			"directoryScopeId": h.e.scope,
			"appScopeId":       nil,
			"memberType":       h.e.memberType,
		}
		if h.act == nil {
			id := graphInstanceID("-1", t.ID, "assigned", h.e.key)
			o["id"], o["startDateTime"], o["endDateTime"], o["assignmentType"] = id, nil, nil, "Assigned"
			o["roleAssignmentOriginId"], o["roleAssignmentScheduleId"] = id, id
		} else {
			id := graphInstanceID("-1", t.ID, h.act.ID)
			o["id"], o["startDateTime"], o["endDateTime"], o["assignmentType"] = id, wireTime(h.act.Start), wireTime(h.act.End), "Activated"
			o["roleAssignmentOriginId"], o["roleAssignmentScheduleId"] = id, h.act.RequestID
		}
		if g.expands("roleDefinition") {
			o["roleDefinition"] = roleDefinitionObject(h.e)
		}
		if g.expands("directoryScope") {
			o["directoryScope"] = directoryScopeObject(h.e)
		}
		out = append(out, o)
	}
	return out
}

// ---- PIM for Groups ----

func (g *graphCall) groupEligibilities() []obj {
	t := g.c.t
	var out []obj
	for _, e := range g.s.eligibleLocked(t, "group", g.now) {
		o := obj{
			"@odata.type":           "#microsoft.graph.privilegedAccessGroupEligibilityScheduleInstance",
			"id":                    graphInstanceID("-1-e", t.ID, e.key),
			"startDateTime":         wireTime(e.from),
			"endDateTime":           wireTime(e.until),
			"memberType":            e.memberType,
			"principalId":           t.User.ID,
			"accessId":              e.roleID,
			"groupId":               e.scope,
			"eligibilityScheduleId": e.scheduleID,
		}
		if g.expands("group") {
			o["group"] = groupObject(e.scope, e.scopeName)
		}
		out = append(out, o)
	}
	return out
}

func (g *graphCall) groupAssignments() []obj {
	t := g.c.t
	var out []obj
	for _, h := range g.s.activeLocked(t, "group", g.now) {
		o := obj{
			"@odata.type": "#microsoft.graph.privilegedAccessGroupAssignmentScheduleInstance",
			"accessId":    h.e.roleID,
			"principalId": t.User.ID,
			"groupId":     h.e.scope,
			"memberType":  h.e.memberType,
		}
		if h.act == nil {
			id := graphInstanceID("-1", t.ID, "assigned", h.e.key)
			o["id"], o["startDateTime"], o["endDateTime"], o["assignmentType"], o["assignmentScheduleId"] = id, nil, nil, "Assigned", id
		} else {
			o["id"] = graphInstanceID("-1", t.ID, h.act.ID)
			o["startDateTime"], o["endDateTime"], o["assignmentType"] = wireTime(h.act.Start), wireTime(h.act.End), "Activated"
			o["assignmentScheduleId"] = h.e.scope + "_" + h.e.roleID + "_" + h.act.RequestID
		}
		if g.expands("group") {
			o["group"] = groupObject(h.e.scope, h.e.scopeName)
		}
		out = append(out, o)
	}
	return out
}

// ---- requests (both Graph planes) ----

func (g *graphCall) requests(plane string) []obj {
	var out []obj
	wantStatus := statusWanted(queryValue(g.r, "$filter"))
	for _, req := range g.s.requestsLocked(g.c.t, plane) {
		if wantStatus(req.statusAt(g.now)) {
			out = append(out, g.requestObject(req, false))
		}
	}
	return out
}

// statusWanted reads a list's $filter for the status terms alone (status eq 'X', in a
// conjunction) and tells whether a request's status can match: the requests that cannot are
// not rendered at all (a long history costs the fake nothing). The full filter still applies
// to what is rendered; a filter it cannot read keeps everything for that check.
func statusWanted(filter string) func(string) bool {
	all := func(string) bool { return true }
	var terms []string
	for _, part := range splitWord(filter, "and") {
		if p := strings.TrimSpace(part); p != "" && !strings.HasSuffix(p, "()") {
			terms = append(terms, p)
		}
	}
	f, err := parseFilter(strings.Join(terms, " and "))
	if err != nil || len(f.any) == 0 {
		return all
	}
	// Each alternative (status eq 'A' or status eq 'B') must name a status, else anything may match.
	var alts [][]string
	for _, alt := range f.any {
		var want []string
		for _, t := range alt {
			if strings.EqualFold(t.field, "status") && t.op == "eq" {
				want = append(want, t.value)
			}
		}
		if len(want) == 0 {
			return all
		}
		alts = append(alts, want)
	}
	return func(status string) bool {
		for _, want := range alts {
			ok := true
			for _, w := range want {
				if !strings.EqualFold(w, status) {
					ok = false
				}
			}
			if ok {
				return true
			}
		}
		return false
	}
}

// requestObject renders a request as Graph does in the 201 answer and in lists.
func (g *graphCall) requestObject(req *pimRequest, validateOnly bool) obj {
	t := g.c.t
	e := g.s.roleIndex[t][req.Key]
	exp := obj{"type": req.ExpirationType, "endDateTime": nil, "duration": nil}
	switch req.ExpirationType {
	case "afterDuration":
		exp["duration"] = req.Duration
	case "afterDateTime":
		exp["endDateTime"] = wireTime(req.End)
	case "":
		exp["type"] = "noExpiration"
	}
	var approval, reason, ticketNumber, ticketSystem any
	if req.ApprovalID != "" {
		approval = req.ApprovalID
	}
	if req.Justification != "" {
		reason = req.Justification
	}
	if req.TicketNumber != "" {
		ticketNumber = req.TicketNumber
	}
	if req.TicketSystem != "" {
		ticketSystem = req.TicketSystem
	}
	o := obj{
		"id":                req.ID,
		"status":            req.statusAt(g.now),
		"createdDateTime":   wireTime(req.Created),
		"completedDateTime": wireTime(req.Completed),
		"approvalId":        approval,
		"customData":        nil,
		"action":            req.Action,
		"principalId":       t.User.ID,
		"isValidationOnly":  validateOnly,
		"justification":     reason,
		"createdBy":         obj{"application": nil, "device": nil, "user": obj{"displayName": nil, "id": t.User.ID}},
		"scheduleInfo":      obj{"startDateTime": wireTime(req.Start), "recurrence": nil, "expiration": exp},
		"ticketInfo":        obj{"ticketNumber": ticketNumber, "ticketSystem": ticketSystem},
	}
	if req.Plane == "group" {
		o["accessId"], o["groupId"] = e.roleID, e.scope
		o["targetScheduleId"] = e.scope + "_" + e.roleID + "_" + req.ID
		if g.expands("group") {
			o["group"] = groupObject(e.scope, e.scopeName)
		}
	} else {
		o["roleDefinitionId"], o["directoryScopeId"], o["appScopeId"] = e.roleID, e.scope, nil
		o["targetScheduleId"] = req.ID
		if req.Action == "selfDeactivate" {
			for _, a := range g.s.st.tenant(t.ID).Activations {
				if a.ID == req.ActivationID {
					o["targetScheduleId"] = a.RequestID
				}
			}
		}
		if g.expands("roleDefinition") {
			o["roleDefinition"] = roleDefinitionObject(e)
		}
	}
	return o
}

// graphRequestBody is a roleAssignmentScheduleRequest or PIM-for-Groups assignmentScheduleRequest.
type graphRequestBody struct {
	Action           string        `json:"action"`
	PrincipalID      string        `json:"principalId"`
	RoleDefinitionID string        `json:"roleDefinitionId"`
	DirectoryScopeID *string       `json:"directoryScopeId"`
	AppScopeID       *string       `json:"appScopeId"`
	AccessID         string        `json:"accessId"`
	GroupID          string        `json:"groupId"`
	Justification    string        `json:"justification"`
	IsValidationOnly bool          `json:"isValidationOnly"`
	ScheduleInfo     *wireSchedule `json:"scheduleInfo"`
	TicketInfo       *wireTicket   `json:"ticketInfo"`
}

type wireSchedule struct {
	StartDateTime *string `json:"startDateTime"`
	Expiration    *struct {
		Type        string  `json:"type"`
		Duration    *string `json:"duration"`
		EndDateTime *string `json:"endDateTime"`
	} `json:"expiration"`
}

type wireTicket struct {
	TicketNumber *string `json:"ticketNumber"`
	TicketSystem *string `json:"ticketSystem"`
}

// fill copies a schedule and a ticket into a change request; it returns a message when a
// date-time cannot be read.
func (in *changeRequest) fill(sched *wireSchedule, ticket *wireTicket) string {
	if sched != nil {
		if sched.StartDateTime != nil && *sched.StartDateTime != "" {
			t, err := parseWireTime(*sched.StartDateTime)
			if err != nil {
				return "Invalid startDateTime: " + *sched.StartDateTime
			}
			in.start = t
		}
		if x := sched.Expiration; x != nil {
			in.expType = x.Type
			if x.Duration != nil {
				in.duration = *x.Duration
			}
			if x.EndDateTime != nil && *x.EndDateTime != "" {
				t, err := parseWireTime(*x.EndDateTime)
				if err != nil {
					return "Invalid endDateTime: " + *x.EndDateTime
				}
				in.endDateTime = t
			}
		}
	}
	if ticket != nil {
		if ticket.TicketNumber != nil {
			in.ticketNumber = *ticket.TicketNumber
		}
		if ticket.TicketSystem != nil {
			in.ticketSystem = *ticket.TicketSystem
		}
	}
	return ""
}

// The limits the fake enforces on a change request, the same pimtray checks before sending
// (engine.MinActivation, MaxJustification, MaxTicketField): Microsoft documents that an
// assignment can't be for less than five minutes; for the text fields, which Microsoft gives
// no length for, the fake refuses what pimtray would never send, so a test that sends it fails.
const (
	maxJustification = 500
	maxTicketField   = 100
)

func (in *changeRequest) limits(minActivation time.Duration) string {
	if in.duration != "" {
		if d, err := parseISODuration(in.duration); err == nil && d < minActivation {
			return "The requested duration " + in.duration + " is shorter than the minimum of " + isoDuration(minActivation) + "."
		}
	}
	switch {
	case utf8.RuneCountInString(in.reason) > maxJustification:
		return "The justification is longer than 500 characters."
	case utf8.RuneCountInString(in.ticketNumber) > maxTicketField, utf8.RuneCountInString(in.ticketSystem) > maxTicketField:
		return "The ticket information is longer than 100 characters."
	case strings.ContainsFunc(in.reason+in.ticketNumber+in.ticketSystem, func(r rune) bool { return r < ' ' || r == 0x7f }):
		return "The justification or the ticket information holds control characters."
	}
	return ""
}

func (g *graphCall) postRequest(plane string) {
	var body graphRequestBody
	raw, _ := io.ReadAll(g.r.Body)
	if err := json.Unmarshal(raw, &body); err != nil {
		g.fail(http.StatusBadRequest, "BadRequest", "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.")
		return
	}
	action := strings.ToLower(body.Action)
	if action != "selfactivate" && action != "selfdeactivate" {
		g.fail(http.StatusForbidden, "Forbidden", "The fake serves self-service requests only (selfActivate, selfDeactivate); action '"+body.Action+"' is not supported.")
		return
	}
	if !strings.EqualFold(body.PrincipalID, g.c.t.User.ID) {
		g.fail(http.StatusForbidden, "Forbidden", "The principalId of a self-service request must be the signed-in user's id.")
		return
	}
	in := changeRequest{plane: plane, reason: body.Justification, validateOnly: body.IsValidationOnly}
	if msg := in.fill(body.ScheduleInfo, body.TicketInfo); msg != "" {
		g.fail(http.StatusBadRequest, "BadRequest", msg)
		return
	}
	if msg := in.limits(g.s.minActivation()); msg != "" {
		g.fail(http.StatusBadRequest, "BadRequest", msg)
		return
	}
	var key string
	if plane == "group" {
		if body.AccessID == "" || body.GroupID == "" {
			g.fail(http.StatusBadRequest, "BadRequest", "The properties accessId and groupId are required.")
			return
		}
		key = strings.ToLower("group|" + body.AccessID + "|" + body.GroupID)
	} else {
		if body.RoleDefinitionID == "" {
			g.fail(http.StatusBadRequest, "BadRequest", "The property roleDefinitionId is required.")
			return
		}
		if body.DirectoryScopeID == nil && body.AppScopeID == nil {
			g.fail(http.StatusBadRequest, "BadRequest", "Either directoryScopeId or appScopeId must be specified.")
			return
		}
		scope := "/"
		if body.DirectoryScopeID != nil {
			scope = *body.DirectoryScopeID
		}
		key = strings.ToLower("entra|" + body.RoleDefinitionID + "|" + scope)
	}
	in.e = g.s.roleIndex[g.c.t][key]
	var req *pimRequest
	var f *failure
	if action == "selfactivate" {
		in.action = "selfActivate"
		req, f = g.s.activateLocked(g.c, in)
	} else {
		in.action = "selfDeactivate"
		req, f = g.s.deactivateLocked(g.c, in)
	}
	if f != nil {
		graphFailure(g.w, g.r, f)
		return
	}
	g.writeRequest(http.StatusCreated, plane, req, body.IsValidationOnly)
}

func (g *graphCall) getRequest(plane, id string) {
	req := g.s.findRequestLocked(g.c.t, plane, id)
	if req == nil {
		g.fail(http.StatusNotFound, "ResourceNotFound", msgRequestMissing)
		return
	}
	g.writeRequest(http.StatusOK, plane, req, false)
}

// writeRequest answers with one request entity of the plane.
func (g *graphCall) writeRequest(status int, plane string, req *pimRequest, validateOnly bool) {
	set := "roleManagement/directory/roleAssignmentScheduleRequests"
	if plane == "group" {
		set = "identityGovernance/privilegedAccess/group/assignmentScheduleRequests"
	}
	out := g.requestObject(req, validateOnly)
	out["@odata.context"] = g.base + "/$metadata#" + set + "/$entity"
	writeJSON(g.w, status, out)
}

func (g *graphCall) cancel(plane, id string) {
	req := g.s.findRequestLocked(g.c.t, plane, id)
	if f := g.s.cancelLocked(g.c.t, req); f != nil {
		graphFailure(g.w, g.r, f)
		return
	}
	g.w.WriteHeader(http.StatusNoContent)
}

// ---- policies ----

// policies serves /policies/roleManagementPolicyAssignments?$filter=scopeId eq '...' and scopeType eq '...'
// [and roleDefinitionId eq '...'][&$expand=policy($expand=rules)].
func (g *graphCall) policies() {
	f, err := parseFilter(queryValue(g.r, "$filter"))
	if err != nil {
		g.fail(http.StatusBadRequest, "BadRequest", err.Error())
		return
	}
	scopeID, scopeType := f.value("scopeId"), f.value("scopeType")
	if scopeID == "" || scopeType == "" {
		g.fail(http.StatusBadRequest, "BadRequest", "The filter must specify scopeId and scopeType.")
		return
	}
	t := g.c.t
	var plane string
	switch strings.ToLower(scopeType) {
	case "directory", "directoryrole":
		plane = "entra"
		if !g.needs(permEntraPolicy) {
			return
		}
	case "group":
		plane = "group"
		if !g.needs(permGroupPolicy) {
			return
		}
	default:
		g.fail(http.StatusBadRequest, "BadRequest", "Unsupported scopeType '"+scopeType+"'.")
		return
	}
	kind := map[string]string{"directory": "Directory", "directoryrole": "DirectoryRole", "group": "Group"}[strings.ToLower(scopeType)]
	withPolicy := g.expands("policy")
	withRules := strings.Contains(strings.ToLower(queryValue(g.r, "$expand")), "rules")
	seen := map[string]bool{}
	var items []obj
	for _, e := range t.roles {
		if e.plane != plane {
			continue
		}
		if plane == "entra" && scopeID != "/" {
			continue // directory role policies live at the tenant scope, also for administrative units
		}
		if plane == "group" && !strings.EqualFold(e.scope, scopeID) {
			continue
		}
		if seen[e.roleID] {
			continue
		}
		seen[e.roleID] = true
		owner := t.ID
		if plane == "group" {
			owner = e.scope
		}
		policyID := kind + "_" + owner + "_" + e.policyID
		o := obj{"id": policyID + "_" + e.roleID, "policyId": policyID, "scopeId": strings.ToLower(scopeID),
			"scopeType": kind, "roleDefinitionId": e.roleID}
		if withPolicy {
			p := obj{"id": policyID, "displayName": kind, "description": kind, "isOrganizationDefault": false,
				"scopeId": strings.ToLower(scopeID), "scopeType": kind, "lastModifiedDateTime": nil,
				"lastModifiedBy": obj{"displayName": nil, "id": nil}}
			if withRules {
				p["rules"] = policyRules(e.policy, false)
			}
			o["policy"] = p
		}
		items = append(items, o)
	}
	ctx := "policies/roleManagementPolicyAssignments"
	if withRules {
		ctx += "(policy(rules()))"
	} else if withPolicy {
		ctx += "(policy())"
	}
	// scopeId and scopeType are matched above; the other terms (roleDefinitionId) filter here.
	g.list(items, ctx)
}
