package fakeazure

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

func TestARMListsNeedAsTargetAndTheAPIVersion(t *testing.T) {
	t.Parallel()
	s, _ := start(t, Options{})
	tok := tokenFor(t, s, DemoTenantID, ARMResource, CredentialOptions{})
	for _, typ := range []string{"roleEligibilityScheduleInstances", "roleAssignmentScheduleInstances"} {
		r := call(t, s, "GET", armURL("", typ), tok, nil)
		code, msg := r.errCode(t)
		if r.status != 400 || code != "InsufficientPermissions" || !strings.Contains(msg, "Please use $filter=asTarget()") {
			t.Errorf("%s without asTarget(): %d %s", typ, r.status, r.body)
		}
	}
	r := call(t, s, "GET", "/arm/providers/Microsoft.Authorization/roleEligibilityScheduleInstances?$filter=asTarget()", tok, nil)
	if code, _ := r.errCode(t); r.status != 400 || code != "MissingApiVersionParameter" {
		t.Errorf("no api-version: %d %s", r.status, r.body)
	}
	r = call(t, s, "GET", "/arm/providers/Microsoft.Authorization/roleEligibilityScheduleInstances?$filter=asTarget()&api-version=2022-04-01-preview", tok, nil)
	if code, _ := r.errCode(t); r.status != 400 || code != "NoRegisteredProviderFound" {
		t.Errorf("another api-version: %d %s", r.status, r.body)
	}
	r = call(t, s, "GET", "/arm/subscriptions/x/resourceGroups?api-version=2020-10-01", tok, nil)
	if r.status != 404 {
		t.Errorf("not Microsoft.Authorization: %d", r.status)
	}
}

func TestARMEligibleRolesPagedWithExpandedNames(t *testing.T) {
	t.Parallel()
	s, _ := start(t, Options{})
	tok := tokenFor(t, s, DemoTenantID, ARMResource, CredentialOptions{})
	items, pages := listAll(t, s, s.URL+armURL("", "roleEligibilityScheduleInstances?$filter=asTarget()"), tok)
	if pages != 2 {
		t.Errorf("pages = %d, want 2", pages)
	}
	var got []string
	for _, it := range items {
		ex := it["properties"].(map[string]any)["expandedProperties"].(map[string]any)
		sc := ex["scope"].(map[string]any)
		got = append(got, ex["roleDefinition"].(map[string]any)["displayName"].(string)+" @ "+sc["displayName"].(string)+" ("+sc["type"].(string)+")")
	}
	sort.Strings(got)
	want := []string{"AKS Contributor @ MySubscription (subscription)", "Contributor @ MySubscription (subscription)",
		"Contributor @ rg-web (resourcegroup)", "Owner @ IT (managementgroup)", "Reader @ Prod (subscription)"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("eligible azure roles:\n%v\nwant\n%v", got, want)
	}
	// At a subscription scope: the roles there and below.
	items, _ = listAll(t, s, s.URL+armURL(DemoScopeMySubscription, "roleEligibilityScheduleInstances?$filter=asTarget()"), tok)
	if len(items) != 3 {
		t.Errorf("at MySubscription: %d roles, want 3", len(items))
	}
}

func TestARMRetriedPUTNeverActivatesTwice(t *testing.T) {
	t.Parallel()
	s, _ := start(t, Options{})
	tok := tokenFor(t, s, DemoTenantID, ARMResource, CredentialOptions{})
	name := "6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b"
	body := armActivation(DemoScopeIT, RoleOwner, "deploy", "PT8H")
	first := call(t, s, "PUT", armURL(DemoScopeIT, "roleAssignmentScheduleRequests/"+name), tok, body)
	if first.status != http.StatusCreated {
		t.Fatalf("PUT: %d %s", first.status, first.body)
	}
	p := first.json(t)["properties"].(map[string]any)
	if p["status"] != "Provisioned" || p["requestType"] != "SelfActivate" || first.json(t)["name"] != name {
		t.Errorf("answer %s", first.body)
	}
	again := call(t, s, "PUT", armURL(DemoScopeIT, "roleAssignmentScheduleRequests/"+name), tok, body)
	if again.status != http.StatusCreated || string(again.body) != string(first.body) {
		t.Fatalf("retried PUT: %d\n%s\nfirst:\n%s", again.status, again.body, first.body)
	}
	if n := len(s.Activations(DemoTenantID)); n != 1 {
		t.Fatalf("activations after a retried PUT = %d, want 1", n)
	}
	puts := 0
	for _, r := range s.Requests() {
		if r.Method == "PUT" && strings.Contains(r.Path, "roleAssignmentScheduleRequests/"+name) {
			puts++
			if r.Plane != "azure" || r.Status != 201 {
				t.Errorf("log entry %+v", r)
			}
		}
	}
	if puts != 2 {
		t.Errorf("logged PUTs = %d, want 2", puts)
	}
	// A new GUID for the same role while it is active is refused.
	r := call(t, s, "PUT", armURL(DemoScopeIT, "roleAssignmentScheduleRequests/7a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d"), tok, body)
	if code, msg := r.errCode(t); code != codeExists || msg != msgExists {
		t.Errorf("second activation: %d %s", r.status, r.body)
	}
	// The request can be read back; a name that is not a GUID is refused.
	if got := call(t, s, "GET", armURL(DemoScopeIT, "roleAssignmentScheduleRequests/"+name), tok, nil); got.status != 200 {
		t.Errorf("GET request: %d", got.status)
	}
	if r := call(t, s, "PUT", armURL(DemoScopeIT, "roleAssignmentScheduleRequests/not-a-guid"), tok, body); r.status != 400 {
		t.Errorf("non-GUID name: %d", r.status)
	}
	active, _ := listAll(t, s, s.URL+armURL("", "roleAssignmentScheduleInstances?$filter=asTarget()"), tok)
	if len(active) != 1 {
		t.Fatalf("active azure roles %d", len(active))
	}
	ap := active[0]["properties"].(map[string]any)
	if ap["assignmentType"] != "Activated" || ap["scope"] != DemoScopeIT || !strings.HasSuffix(ap["roleAssignmentScheduleId"].(string), "/"+name) {
		t.Errorf("active instance %v", ap)
	}
	reqs, _ := listAll(t, s, s.URL+armURL("", "roleAssignmentScheduleRequests?$filter=asRequestor()"), tok)
	if len(reqs) != 1 {
		t.Errorf("requests asRequestor = %d, want 1", len(reqs))
	}
}

func TestARMPolicyMessages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, scope, role, reason, dur string
		ticket                         bool
		message                        string
	}{
		{"ticket missing (newer form)", DemoScopeMySubscription, RoleContributor, "why", "PT1H", false,
			"The following policy rules failed: TicketingRule - Ticket number is required"},
		{"justification and ticket missing", DemoScopeMySubscription, RoleContributor, "", "PT1H", false,
			"The following policy rules failed: JustificationRule - Justification is required, TicketingRule - Ticket number is required"},
		{"too long (bracket form, as observed on ARM)", DemoScopeRGWeb, RoleContributor, "why", "PT5H", false,
			`The following policy rules failed: ["ExpirationRule"]`},
		{"too long and no justification", DemoScopeIT, RoleOwner, "", "PT9H", false,
			`The following policy rules failed: ["ExpirationRule","JustificationRule"]`},
		{"ticket given", DemoScopeMySubscription, RoleContributor, "why", "PT8H", true, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := start(t, Options{})
			tok := tokenFor(t, s, DemoTenantID, ARMResource, CredentialOptions{})
			body := armActivation(tc.scope, tc.role, tc.reason, tc.dur)
			if tc.ticket { // only the number is required; the system is optional
				body["properties"].(map[string]any)["ticketInfo"] = map[string]any{"ticketNumber": "CHG-1"}
			}
			r := call(t, s, "PUT", armURL(tc.scope, "roleAssignmentScheduleRequests/3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"), tok, body)
			if tc.message == "" {
				if r.status != 201 {
					t.Fatalf("%d %s", r.status, r.body)
				}
				if tn := r.json(t)["properties"].(map[string]any)["ticketInfo"].(map[string]any)["ticketNumber"]; tn != "CHG-1" {
					t.Errorf("ticket echoed as %v", tn)
				}
				return
			}
			code, msg := r.errCode(t)
			if r.status != 400 || code != codePolicy || msg != tc.message {
				t.Fatalf("%d %s %q, want %q", r.status, code, msg, tc.message)
			}
			// Both forms name the rules so a client can find them.
			if rules := regexp.MustCompile(`[A-Z][a-z]+Rule`).FindAllString(msg, -1); len(rules) == 0 {
				t.Errorf("no rule names in %q", msg)
			}
		})
	}
}

func TestARMValidateCancelDeactivate(t *testing.T) {
	t.Parallel()
	s, clock := start(t, Options{})
	tok := tokenFor(t, s, DemoTenantID, ARMResource, CredentialOptions{})
	name := "4d5e6f7a-8b9c-4d0e-9f1a-2b3c4d5e6f7a"
	r := call(t, s, "POST", armURL(DemoScopeProd, "roleAssignmentScheduleRequests/"+name+"/validate"), tok, armActivation(DemoScopeProd, RoleReader, "", "PT1H"))
	if r.status != 200 || len(s.Activations(DemoTenantID)) != 0 {
		t.Fatalf("validate: %d %s (activations %d)", r.status, r.body, len(s.Activations(DemoTenantID)))
	}
	r = call(t, s, "POST", armURL(DemoScopeProd, "roleAssignmentScheduleRequests/"+name+"/validate"), tok, armActivation(DemoScopeProd, RoleReader, "", "PT12H"))
	if code, _ := r.errCode(t); code != codePolicy {
		t.Fatalf("validate a failing request: %d %s", r.status, r.body)
	}
	// A linked eligibility schedule id must be the eligibility's.
	bad := armActivation(DemoScopeProd, RoleReader, "", "PT1H")
	bad["properties"].(map[string]any)["linkedRoleEligibilityScheduleId"] = "00000000-0000-4000-8000-000000000000"
	r = call(t, s, "PUT", armURL(DemoScopeProd, "roleAssignmentScheduleRequests/"+name), tok, bad)
	if code, _ := r.errCode(t); code != codeDoesNotExist {
		t.Fatalf("wrong linked eligibility: %d %s", r.status, r.body)
	}
	if r := call(t, s, "PUT", armURL(DemoScopeProd, "roleAssignmentScheduleRequests/"+name), tok, armActivation(DemoScopeProd, RoleReader, "", "PT1H")); r.status != 201 {
		t.Fatalf("activate: %d %s", r.status, r.body)
	}
	// Nothing to cancel once provisioned.
	if r := call(t, s, "POST", armURL(DemoScopeProd, "roleAssignmentScheduleRequests/"+name+"/cancel"), tok, nil); r.status != 400 {
		t.Errorf("cancel a provisioned request: %d", r.status)
	}
	deact := armActivation(DemoScopeProd, RoleReader, "", "PT1H")
	deact["properties"].(map[string]any)["requestType"] = "SelfDeactivate"
	r = call(t, s, "PUT", armURL(DemoScopeProd, "roleAssignmentScheduleRequests/5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b"), tok, deact)
	if code, _ := r.errCode(t); code != codeTooShort {
		t.Fatalf("deactivate at once: %d %s", r.status, r.body)
	}
	clock.Advance(6 * time.Minute)
	r = call(t, s, "PUT", armURL(DemoScopeProd, "roleAssignmentScheduleRequests/6f7a8b9c-0d1e-4f2a-9b3c-4d5e6f7a8b9c"), tok, deact)
	if r.status != 201 || r.json(t)["properties"].(map[string]any)["status"] != "Revoked" {
		t.Fatalf("deactivate: %d %s", r.status, r.body)
	}
	if n := len(s.Activations(DemoTenantID)); n != 0 {
		t.Errorf("activations after deactivation: %d", n)
	}
}

func TestARMPolicyAssignments(t *testing.T) {
	t.Parallel()
	s, _ := start(t, Options{})
	tok := tokenFor(t, s, DemoTenantID, ARMResource, CredentialOptions{})
	roleDef := DemoScopeIT + "/providers/Microsoft.Authorization/roleDefinitions/" + RoleOwner
	items, _ := listAll(t, s, s.URL+armURL(DemoScopeIT, "roleManagementPolicyAssignments?$filter="+url.QueryEscape("roleDefinitionId eq '"+roleDef+"'")), tok)
	if len(items) != 1 {
		t.Fatalf("policies %d", len(items))
	}
	rules := map[string]map[string]any{}
	for _, r := range items[0]["properties"].(map[string]any)["effectiveRules"].([]any) {
		rules[r.(map[string]any)["id"].(string)] = r.(map[string]any)
	}
	if rules["Expiration_EndUser_Assignment"]["maximumDuration"] != "PT8H" || rules["Expiration_EndUser_Assignment"]["ruleType"] != "RoleManagementPolicyExpirationRule" {
		t.Errorf("Owner expiration rule %v", rules["Expiration_EndUser_Assignment"])
	}
	s2, _ := start(t, Options{ARMPolicyForbidden: true})
	r := call(t, s2, "GET", armURL(DemoScopeIT, "roleManagementPolicyAssignments"), tokenFor(t, s2, DemoTenantID, ARMResource, CredentialOptions{}), nil)
	if code, _ := r.errCode(t); r.status != 403 || code != "AuthorizationFailed" {
		t.Errorf("ARMPolicyForbidden: %d %s", r.status, r.body)
	}
}

func TestARMAuthContextAnswers(t *testing.T) {
	t.Parallel()
	tenant := func() *Tenant {
		return NewTenant("c0ffee00-1234-4cde-8f90-abcdefabcdef", "Northwind", User{ID: "d1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6", UPN: "ops@northwind.example"}).
			AddAzureRole(AzureRole{RoleDefinitionID: RoleOwner, Name: "Owner", Scope: DemoScopeProd, Policy: Policy{AuthContext: "c1"}})
	}
	put := func(s *Server, o CredentialOptions) reply {
		tn := s.Tenants()[0]
		body := armActivation(DemoScopeProd, RoleOwner, "", "PT1H")
		body["properties"].(map[string]any)["principalId"] = tn.User.ID
		return call(t, s, "PUT", armURL(DemoScopeProd, "roleAssignmentScheduleRequests/7b8c9d0e-1f2a-4b3c-8d4e-5f6a7b8c9d0e"), tokenFor(t, s, tn.ID, ARMResource, o), body)
	}
	s, _ := start(t, Options{Tenants: []*Tenant{tenant()}})
	r := put(s, CredentialOptions{})
	if code, msg := r.errCode(t); r.status != 400 || code != codeAcrs || msg != acrsMessage("c1") {
		t.Fatalf("default: %d %s", r.status, r.body)
	}
	s2, _ := start(t, Options{Tenants: []*Tenant{tenant()}, ARMClaimsChallenge: true})
	r = put(s2, CredentialOptions{})
	h := r.header.Get("WWW-Authenticate")
	m := regexp.MustCompile(`error="insufficient_claims", claims="([^"]+)"`).FindStringSubmatch(h)
	if r.status != 401 || m == nil {
		t.Fatalf("challenge mode: %d %q %s", r.status, h, r.body)
	}
	claims, err := base64.StdEncoding.DecodeString(m[1])
	if err != nil || string(claims) != acrsClaims("c1") {
		t.Fatalf("challenge claims %q (%v)", claims, err)
	}
	if r := put(s2, CredentialOptions{ACRS: []string{"c1"}}); r.status != 201 {
		t.Fatalf("with acrs c1: %d %s", r.status, r.body)
	}
}

func TestARMChecksTokens(t *testing.T) {
	t.Parallel()
	s, _ := start(t, Options{})
	graph := tokenFor(t, s, DemoTenantID, GraphResource, CredentialOptions{})
	u := armURL("", "roleEligibilityScheduleInstances?$filter=asTarget()")
	r := call(t, s, "GET", u, graph, nil)
	if code, msg := r.errCode(t); r.status != 401 || code != "InvalidAuthenticationTokenAudience" || !strings.Contains(msg, GraphResource) {
		t.Errorf("Graph token on ARM: %d %s", r.status, r.body)
	}
	r = call(t, s, "GET", u, "", nil)
	if code, _ := r.errCode(t); r.status != 401 || code != "AuthenticationFailed" {
		t.Errorf("no token: %d %s", r.status, r.body)
	}
}
