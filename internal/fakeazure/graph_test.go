package fakeazure

import (
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"
)

const (
	entraRequests = graphBase + "/roleManagement/directory/roleAssignmentScheduleRequests"
	groupRequests = graphBase + "/identityGovernance/privilegedAccess/group/assignmentScheduleRequests"
)

func TestEntraEligibleRolesArePagedWithRoleNames(t *testing.T) {
	t.Parallel()
	s, _ := start(t, Options{})
	tok := tokenFor(t, s, DemoTenantID, GraphResource, CredentialOptions{})
	items, pages := listAll(t, s, s.URL+graphBase+"/roleManagement/directory/roleEligibilityScheduleInstances"+fbcu+"?$expand=roleDefinition", tok)
	if pages != 2 {
		t.Errorf("pages = %d, want 2 (4 roles, 3 per page)", pages)
	}
	var names []string
	for _, it := range items {
		names = append(names, it["roleDefinition"].(map[string]any)["displayName"].(string))
		if it["principalId"] != DemoUserID || it["directoryScopeId"] != "/" {
			t.Errorf("item %v", it)
		}
	}
	sort.Strings(names)
	want := "Exchange Administrator|Global Administrator|Security Reader|User Administrator"
	if strings.Join(names, "|") != want {
		t.Errorf("roles = %v, want %s", names, want)
	}
	// The nextLink keeps $expand: the second page's items are expanded too (checked above), and
	// a bad skip token is refused.
	r := call(t, s, "GET", graphBase+"/roleManagement/directory/roleEligibilityScheduleInstances"+fbcu+"?$skiptoken=garbage", tok, nil)
	if r.status != 400 {
		t.Errorf("bad skip token: %d", r.status)
	}
	// Page size is an option.
	s2, _ := start(t, Options{PageSize: 10})
	if _, pages := listAll(t, s2, s2.URL+graphBase+"/roleManagement/directory/roleEligibilityScheduleInstances"+fbcu, tokenFor(t, s2, DemoTenantID, GraphResource, CredentialOptions{})); pages != 1 {
		t.Errorf("PageSize 10: %d pages", pages)
	}
}

func TestEntraActivationEndsByTheClock(t *testing.T) {
	t.Parallel()
	s, clock := start(t, Options{})
	tok := tokenFor(t, s, DemoTenantID, GraphResource, CredentialOptions{})
	r := call(t, s, "POST", entraRequests, tok, entraActivation(RoleGlobalAdministrator, "incident 42", "PT2H"))
	if r.status != http.StatusCreated {
		t.Fatalf("activate: %d %s", r.status, r.body)
	}
	m := r.json(t)
	if m["status"] != "Provisioned" || m["action"] != "selfActivate" || m["justification"] != "incident 42" {
		t.Errorf("answer: %s", r.body)
	}
	exp := m["scheduleInfo"].(map[string]any)["expiration"].(map[string]any)
	if exp["type"] != "afterDuration" || exp["duration"] != "PT2H" {
		t.Errorf("expiration echoed as %v, want afterDuration PT2H (camel-cased like Graph)", exp)
	}
	active, _ := listAll(t, s, s.URL+graphBase+"/roleManagement/directory/roleAssignmentScheduleInstances"+fbcu, tok)
	if len(active) != 1 {
		t.Fatalf("active = %d, want 1", len(active))
	}
	a := active[0]
	wantEnd := clock.Now().Add(2 * time.Hour).UTC().Format(time.RFC3339Nano)
	if a["roleDefinitionId"] != RoleGlobalAdministrator || a["assignmentType"] != "Activated" || a["endDateTime"] != wantEnd {
		t.Errorf("active instance %v, want end %s", a, wantEnd)
	}
	if a["roleAssignmentScheduleId"] != m["targetScheduleId"] {
		t.Errorf("instance schedule %v != request target %v", a["roleAssignmentScheduleId"], m["targetScheduleId"])
	}

	clock.Advance(2*time.Hour - time.Second)
	if active, _ := listAll(t, s, s.URL+graphBase+"/roleManagement/directory/roleAssignmentScheduleInstances"+fbcu, tok); len(active) != 1 {
		t.Fatalf("one second before the end: %d active", len(active))
	}
	clock.Advance(time.Second)
	if active, _ := listAll(t, s, s.URL+graphBase+"/roleManagement/directory/roleAssignmentScheduleInstances"+fbcu, tok); len(active) != 0 {
		t.Fatalf("at the end: %d active, want 0", len(active))
	}
	if n := len(s.Activations(DemoTenantID)); n != 0 {
		t.Errorf("Activations after expiry = %d", n)
	}
	// Once expired, the role can be activated again.
	if r := call(t, s, "POST", entraRequests, tok, entraActivation(RoleGlobalAdministrator, "again", "PT1H")); r.status != 201 {
		t.Fatalf("re-activate after expiry: %d %s", r.status, r.body)
	}
}

func TestEntraPolicyEnforcement(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cred    CredentialOptions
		body    map[string]any
		status  int
		code    string
		message string // exact, when set
	}{
		{"too long", CredentialOptions{}, entraActivation(RoleGlobalAdministrator, "why", "PT9H"), 400, codePolicy,
			`The following policy rules failed: ["ExpirationRule"]`},
		{"no justification", CredentialOptions{}, entraActivation(RoleGlobalAdministrator, "", "PT1H"), 400, codePolicy,
			`The following policy rules failed: ["JustificationRule"]`},
		{"no MFA", CredentialOptions{WithoutMFA: true}, entraActivation(RoleGlobalAdministrator, "why", "PT1H"), 400, codePolicy,
			`The following policy rules failed: ["MfaRule"]`},
		{"all at once", CredentialOptions{WithoutMFA: true}, entraActivation(RoleGlobalAdministrator, "", "P1D"), 400, codePolicy,
			`The following policy rules failed: ["ExpirationRule","JustificationRule","MfaRule"]`},
		{"no expiration", CredentialOptions{}, map[string]any{"action": "selfActivate", "principalId": DemoUserID,
			"roleDefinitionId": RoleSecurityReader, "directoryScopeId": "/",
			"scheduleInfo": map[string]any{"expiration": map[string]any{"type": "noExpiration"}}}, 400, codePolicy,
			`The following policy rules failed: ["ExpirationRule"]`},
		{"auth context missing", CredentialOptions{}, entraActivation(RoleExchangeAdministrator, "why", "PT1H"), 400, codeAcrs,
			"&claims=%7B%22access_token%22%3A%7B%22acrs%22%3A%7B%22essential%22%3Atrue%2C%20%22value%22%3A%22c1%22%7D%7D%7D"},
		{"auth context present", CredentialOptions{ACRS: []string{"c1"}}, entraActivation(RoleExchangeAdministrator, "why", "PT1H"), 201, "", ""},
		{"no justification needed", CredentialOptions{}, entraActivation(RoleSecurityReader, "", "PT8H"), 201, "", ""},
		{"not eligible", CredentialOptions{}, entraActivation(RoleOwner, "why", "PT1H"), 400, codeDoesNotExist, msgDoesNotExist},
		{"someone else", CredentialOptions{}, map[string]any{"action": "selfActivate", "principalId": "11111111-2222-4333-8444-555555555555",
			"roleDefinitionId": RoleSecurityReader, "directoryScopeId": "/"}, 403, "Forbidden", ""},
		{"admin action", CredentialOptions{}, map[string]any{"action": "adminAssign", "principalId": DemoUserID,
			"roleDefinitionId": RoleSecurityReader, "directoryScopeId": "/"}, 403, "Forbidden", ""},
		{"not JSON", CredentialOptions{}, nil, 400, "BadRequest", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := start(t, Options{})
			tok := tokenFor(t, s, DemoTenantID, GraphResource, tc.cred)
			var body any = tc.body
			if tc.body == nil {
				body = "{not json"
			}
			r := call(t, s, "POST", entraRequests, tok, body)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if tc.code == "" {
				return
			}
			code, msg := r.errCode(t)
			if code != tc.code || (tc.message != "" && msg != tc.message) {
				t.Errorf("error %s %q, want %s %q", code, msg, tc.code, tc.message)
			}
			inner, _ := r.json(t)["error"].(map[string]any)["innerError"].(map[string]any)
			if inner["request-id"] == nil || inner["date"] == nil {
				t.Errorf("Graph error lacks innerError: %s", r.body)
			}
			if len(s.Activations(DemoTenantID)) != 0 {
				t.Error("a refused request activated the role")
			}
		})
	}
}

func TestEntraValidationOnlyChangesNothing(t *testing.T) {
	t.Parallel()
	s, _ := start(t, Options{})
	tok := tokenFor(t, s, DemoTenantID, GraphResource, CredentialOptions{})
	body := entraActivation(RoleGlobalAdministrator, "dry run", "PT1H")
	body["isValidationOnly"] = true
	r := call(t, s, "POST", entraRequests, tok, body)
	if r.status != 201 || r.json(t)["isValidationOnly"] != true {
		t.Fatalf("validation: %d %s", r.status, r.body)
	}
	if len(s.Activations(DemoTenantID)) != 0 {
		t.Fatal("a validation-only request activated the role")
	}
	body["justification"] = ""
	if r := call(t, s, "POST", entraRequests, tok, body); r.status != 400 {
		t.Fatalf("validation of a failing request: %d", r.status)
	}
}

func TestApprovalApproveDenyAndCancel(t *testing.T) {
	t.Parallel()
	s, clock := start(t, Options{})
	tok := tokenFor(t, s, DemoTenantID, GraphResource, CredentialOptions{})

	r := call(t, s, "POST", entraRequests, tok, entraActivation(RoleUserAdministrator, "onboarding", "PT4H"))
	if r.status != 201 || r.json(t)["status"] != "PendingApproval" {
		t.Fatalf("approval role: %d %s", r.status, r.body)
	}
	id := r.json(t)["id"].(string)
	if r.json(t)["approvalId"] == nil {
		t.Error("pending request without approvalId")
	}
	// The same request again is refused while it waits.
	r2 := call(t, s, "POST", entraRequests, tok, entraActivation(RoleUserAdministrator, "again", "PT4H"))
	if code, _ := r2.errCode(t); r2.status != 400 || code != codeRequestExists {
		t.Fatalf("second request while pending: %d %s", r2.status, r2.body)
	}
	pending, _ := listAll(t, s, s.URL+entraRequests+fbcu+"?$filter="+url.QueryEscape("status eq 'PendingApproval'"), tok)
	if len(pending) != 1 || pending[0]["id"] != id {
		t.Fatalf("pending requests = %v", pending)
	}
	if len(s.PendingRequests(DemoTenantID)) != 1 {
		t.Error("PendingRequests misses the request")
	}
	if len(s.Activations(DemoTenantID)) != 0 {
		t.Fatal("a pending request activated the role")
	}

	clock.Advance(10 * time.Minute)
	if err := s.Approve(id); err != nil {
		t.Fatal(err)
	}
	if err := s.Approve(id); err == nil {
		t.Error("approving twice succeeded")
	}
	acts := s.Activations(DemoTenantID)
	if len(acts) != 1 || !acts[0].Start.Equal(clock.Now()) || !acts[0].End.Equal(clock.Now().Add(4*time.Hour)) {
		t.Fatalf("after approval: %+v (now %v)", acts, clock.Now())
	}
	got := call(t, s, "GET", entraRequests+"/"+id, tok, nil)
	if got.json(t)["status"] != "Provisioned" {
		t.Errorf("approved request status %v", got.json(t)["status"])
	}

	// Group owner of Break-Glass needs approval too: deny it.
	gr := call(t, s, "POST", groupRequests, tok, map[string]any{"accessId": "owner", "principalId": DemoUserID,
		"groupId": DemoBreakGlassGroupID, "action": "selfActivate", "justification": "break glass",
		"scheduleInfo": map[string]any{"expiration": map[string]any{"type": "afterDuration", "duration": "PT1H"}}})
	if gr.status != 201 || gr.json(t)["status"] != "PendingApproval" {
		t.Fatalf("break-glass: %d %s", gr.status, gr.body)
	}
	gid := gr.json(t)["id"].(string)
	if err := s.Deny(gid); err != nil {
		t.Fatal(err)
	}
	if st := call(t, s, "GET", groupRequests+"/"+gid, tok, nil).json(t)["status"]; st != "Denied" {
		t.Errorf("denied request status %v", st)
	}

	// A new pending request can be canceled by its requester, once.
	gr = call(t, s, "POST", groupRequests, tok, map[string]any{"accessId": "owner", "principalId": DemoUserID,
		"groupId": DemoBreakGlassGroupID, "action": "selfActivate", "justification": "break glass",
		"scheduleInfo": map[string]any{"expiration": map[string]any{"type": "afterDuration", "duration": "PT1H"}}})
	gid = gr.json(t)["id"].(string)
	if r := call(t, s, "POST", groupRequests+"/"+gid+"/cancel", tok, nil); r.status != http.StatusNoContent {
		t.Fatalf("cancel: %d %s", r.status, r.body)
	}
	if r := call(t, s, "POST", groupRequests+"/"+gid+"/cancel", tok, nil); r.status != 400 {
		t.Fatalf("cancel twice: %d", r.status)
	}
	if r := call(t, s, "POST", groupRequests+"/00000000-0000-4000-8000-000000000000/cancel", tok, nil); r.status != 404 {
		t.Fatalf("cancel unknown: %d", r.status)
	}
	if st := call(t, s, "GET", groupRequests+"/"+gid, tok, nil).json(t)["status"]; st != "Canceled" {
		t.Errorf("canceled request status %v", st)
	}
	// An approval left alone for a day times out.
	r = call(t, s, "POST", groupRequests, tok, map[string]any{"accessId": "owner", "principalId": DemoUserID,
		"groupId": DemoBreakGlassGroupID, "action": "selfActivate", "justification": "slow approver",
		"scheduleInfo": map[string]any{"expiration": map[string]any{"type": "afterDuration", "duration": "PT1H"}}})
	gid = r.json(t)["id"].(string)
	clock.Advance(25 * time.Hour)
	if st := call(t, s, "GET", groupRequests+"/"+gid, tok, nil).json(t)["status"]; st != "TimedOut" {
		t.Errorf("day-old approval status %v, want TimedOut", st)
	}
}

func TestDeactivateNeedsFiveMinutes(t *testing.T) {
	t.Parallel()
	s, clock := start(t, Options{})
	tok := tokenFor(t, s, DemoTenantID, GraphResource, CredentialOptions{})
	deactivate := map[string]any{"action": "selfDeactivate", "principalId": DemoUserID, "roleDefinitionId": RoleSecurityReader, "directoryScopeId": "/"}
	if r := call(t, s, "POST", entraRequests, tok, deactivate); r.status != 400 {
		t.Fatalf("deactivate an inactive role: %d", r.status)
	} else if code, _ := r.errCode(t); code != codeDoesNotExist {
		t.Fatalf("deactivate an inactive role: %s", code)
	}
	if r := call(t, s, "POST", entraRequests, tok, entraActivation(RoleSecurityReader, "", "PT8H")); r.status != 201 {
		t.Fatal(r.status)
	}
	clock.Advance(4*time.Minute + 59*time.Second)
	r := call(t, s, "POST", entraRequests, tok, deactivate)
	if code, msg := r.errCode(t); code != codeTooShort || msg != "The Active duration is too short. Miniumum Required is 5 minutes." {
		t.Fatalf("deactivate too early: %s %q", code, msg)
	}
	clock.Advance(time.Second)
	r = call(t, s, "POST", entraRequests, tok, deactivate)
	if r.status != 201 || r.json(t)["status"] != "Revoked" || r.json(t)["action"] != "selfDeactivate" {
		t.Fatalf("deactivate: %d %s", r.status, r.body)
	}
	if active, _ := listAll(t, s, s.URL+graphBase+"/roleManagement/directory/roleAssignmentScheduleInstances"+fbcu, tok); len(active) != 0 {
		t.Fatalf("still active after deactivation: %v", active)
	}
}

func TestScheduledExtensionRefusedByDefaultAcceptedByOption(t *testing.T) {
	t.Parallel()
	for _, accept := range []bool{false, true} {
		s, clock := start(t, Options{AcceptScheduledExtension: accept})
		tok := tokenFor(t, s, DemoTenantID, GraphResource, CredentialOptions{})
		if r := call(t, s, "POST", entraRequests, tok, entraActivation(RoleSecurityReader, "", "PT1H")); r.status != 201 {
			t.Fatal(r.status)
		}
		next := entraActivation(RoleSecurityReader, "", "PT2H")
		next["scheduleInfo"].(map[string]any)["startDateTime"] = clock.Now().Add(time.Hour).Format(time.RFC3339)
		r := call(t, s, "POST", entraRequests, tok, next)
		if !accept {
			if code, msg := r.errCode(t); code != codeExists || msg != msgExists {
				t.Fatalf("extension by default: %d %s", r.status, r.body)
			}
			continue
		}
		if r.status != 201 || r.json(t)["status"] != "Granted" {
			t.Fatalf("accepted extension: %d %s", r.status, r.body)
		}
		// An overlapping activation is refused even so.
		overlap := entraActivation(RoleSecurityReader, "", "PT1H")
		overlap["scheduleInfo"].(map[string]any)["startDateTime"] = clock.Now().Add(30 * time.Minute).Format(time.RFC3339)
		if r := call(t, s, "POST", entraRequests, tok, overlap); r.status != 400 {
			t.Fatalf("overlap: %d", r.status)
		}
		clock.Advance(90 * time.Minute)
		active, _ := listAll(t, s, s.URL+graphBase+"/roleManagement/directory/roleAssignmentScheduleInstances"+fbcu, tok)
		if len(active) != 1 || active[0]["endDateTime"] != clock.Now().Add(90*time.Minute).UTC().Format(time.RFC3339Nano) {
			t.Fatalf("after the first ended: %v", active)
		}
		if st := call(t, s, "GET", entraRequests+"/"+r.json(t)["id"].(string), tok, nil).json(t)["status"]; st != "Provisioned" {
			t.Errorf("started scheduled request status %v", st)
		}
	}
}

func TestGroupsPlane(t *testing.T) {
	t.Parallel()
	s, clock := start(t, Options{})
	tok := tokenFor(t, s, DemoTenantID, GraphResource, CredentialOptions{})
	items, _ := listAll(t, s, s.URL+graphBase+"/identityGovernance/privilegedAccess/group/eligibilityScheduleInstances"+fbcu+"?$expand=group", tok)
	got := map[string]string{}
	for _, it := range items {
		got[it["accessId"].(string)] = it["group"].(map[string]any)["displayName"].(string)
	}
	if len(got) != 2 || got["member"] != "PIM-Admins" || got["owner"] != "Break-Glass" {
		t.Fatalf("group eligibilities %v", got)
	}
	g := call(t, s, "GET", graphBase+"/groups/"+DemoPIMAdminsGroupID+"?$select=displayName", tok, nil).json(t)
	if g["displayName"] != "PIM-Admins" || g["mailNickname"] != nil {
		t.Errorf("group with $select=displayName: %v", g)
	}
	if r := call(t, s, "GET", graphBase+"/groups/00000000-0000-4000-8000-000000000000", tok, nil); r.status != 404 {
		t.Errorf("unknown group: %d", r.status)
	}

	// Hard-coding "member" for an owner eligibility fails, as in the field.
	r := call(t, s, "POST", groupRequests, tok, map[string]any{"accessId": "member", "principalId": DemoUserID,
		"groupId": DemoBreakGlassGroupID, "action": "selfActivate", "justification": "x",
		"scheduleInfo": map[string]any{"expiration": map[string]any{"type": "afterDuration", "duration": "PT1H"}}})
	if code, _ := r.errCode(t); code != codeDoesNotExist {
		t.Fatalf("member of Break-Glass: %d %s", r.status, r.body)
	}
	r = call(t, s, "POST", groupRequests, tok, map[string]any{"accessId": "member", "principalId": DemoUserID,
		"groupId": DemoPIMAdminsGroupID, "action": "selfActivate", "justification": "ops",
		"scheduleInfo": map[string]any{"expiration": map[string]any{"type": "afterDuration", "duration": "PT3H"}}})
	if r.status != 201 || r.json(t)["targetScheduleId"] != DemoPIMAdminsGroupID+"_member_"+r.json(t)["id"].(string) {
		t.Fatalf("member of PIM-Admins: %d %s", r.status, r.body)
	}
	active, _ := listAll(t, s, s.URL+graphBase+"/identityGovernance/privilegedAccess/group/assignmentScheduleInstances"+fbcu, tok)
	if len(active) != 1 || active[0]["groupId"] != DemoPIMAdminsGroupID || active[0]["accessId"] != "member" || active[0]["assignmentType"] != "Activated" {
		t.Fatalf("group assignments %v", active)
	}
	clock.Advance(10 * time.Minute)
	r = call(t, s, "POST", groupRequests, tok, map[string]any{"accessId": "member", "principalId": DemoUserID,
		"groupId": DemoPIMAdminsGroupID, "action": "selfDeactivate"})
	if r.status != 201 {
		t.Fatalf("deactivate group membership: %d %s", r.status, r.body)
	}
	reqs, _ := listAll(t, s, s.URL+groupRequests+fbcu, tok)
	if len(reqs) != 2 {
		t.Errorf("group requests = %d, want 2", len(reqs))
	}
}

func TestGraphPolicies(t *testing.T) {
	t.Parallel()
	s, _ := start(t, Options{})
	tok := tokenFor(t, s, DemoTenantID, GraphResource, CredentialOptions{})
	rulesOf := func(filter string) map[string]map[string]any {
		q := url.Values{"$filter": {filter}, "$expand": {"policy($expand=rules)"}}
		items, _ := listAll(t, s, s.URL+graphBase+"/policies/roleManagementPolicyAssignments?"+q.Encode(), tok)
		if len(items) != 1 {
			t.Fatalf("%s: %d policy assignments, want 1", filter, len(items))
		}
		out := map[string]map[string]any{}
		for _, r := range items[0]["policy"].(map[string]any)["rules"].([]any) {
			out[r.(map[string]any)["id"].(string)] = r.(map[string]any)
		}
		return out
	}
	dirRole := func(id string) string {
		return "scopeId eq '/' and scopeType eq 'DirectoryRole' and roleDefinitionId eq '" + id + "'"
	}
	ga := rulesOf(dirRole(RoleGlobalAdministrator))
	if ga["Expiration_EndUser_Assignment"]["maximumDuration"] != "PT8H" {
		t.Errorf("GA max %v", ga["Expiration_EndUser_Assignment"]["maximumDuration"])
	}
	if got, _ := json.Marshal(ga["Enablement_EndUser_Assignment"]["enabledRules"]); string(got) != `["MultiFactorAuthentication","Justification"]` {
		t.Errorf("GA enabled rules %s", got)
	}
	ua := rulesOf(dirRole(RoleUserAdministrator))
	if ua["Approval_EndUser_Assignment"]["setting"].(map[string]any)["isApprovalRequired"] != true {
		t.Error("User Administrator: approval not required in its policy")
	}
	ex := rulesOf(dirRole(RoleExchangeAdministrator))
	if ac := ex["AuthenticationContext_EndUser_Assignment"]; ac["isEnabled"] != true || ac["claimValue"] != "c1" {
		t.Errorf("Exchange Administrator auth context rule %v", ac)
	}
	bg := rulesOf("scopeId eq '" + DemoBreakGlassGroupID + "' and scopeType eq 'Group' and roleDefinitionId eq 'owner'")
	if bg["Expiration_EndUser_Assignment"]["maximumDuration"] != "PT2H" || bg["Approval_EndUser_Assignment"]["setting"].(map[string]any)["isApprovalRequired"] != true {
		t.Errorf("Break-Glass owner policy %v", bg)
	}
	if r := call(t, s, "GET", graphBase+"/policies/roleManagementPolicyAssignments?$filter="+url.QueryEscape("roleDefinitionId eq 'x'"), tok, nil); r.status != 400 {
		t.Errorf("policy filter without scope: %d", r.status)
	}
}

func TestGraphChecksTokens(t *testing.T) {
	t.Parallel()
	s, clock := start(t, Options{EnforceTokenExpiry: true})
	graph := tokenFor(t, s, DemoTenantID, GraphResource, CredentialOptions{})
	arm := tokenFor(t, s, DemoTenantID, ARMResource, CredentialOptions{})
	tampered := graph[:len(graph)-2] + "xx"
	for name, tok := range map[string]string{"none": "", "ARM audience": arm, "tampered": tampered, "garbage": "abc"} {
		r := call(t, s, "GET", graphBase+"/me", tok, nil)
		code, _ := r.errCode(t)
		if r.status != 401 || code != "InvalidAuthenticationToken" || r.header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: %d %s", name, r.status, r.body)
		}
	}
	me := call(t, s, "GET", graphBase+"/me?$select=id,userPrincipalName,displayName", graph, nil).json(t)
	if me["id"] != DemoUserID || me["userPrincipalName"] != DemoUserUPN || me["displayName"] != DemoUserName || me["mail"] != nil {
		t.Errorf("/me = %v", me)
	}
	clock.Advance(accessTokenLifetime)
	r := call(t, s, "GET", graphBase+"/me", graph, nil)
	if _, msg := r.errCode(t); r.status != 401 || !strings.Contains(msg, "expired") {
		t.Errorf("expired token: %d %s", r.status, r.body)
	}
	if r := call(t, s, "GET", "/graph/beta/me", tokenFor(t, s, DemoTenantID, GraphResource, CredentialOptions{}), nil); r.status != 400 {
		t.Errorf("beta: %d", r.status)
	}
}
