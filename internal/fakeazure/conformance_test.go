package fakeazure

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pimtray/pimtray/internal/vectors"
)

// The conformance tests fetch, for every official example in ../shared/pim-vectors, the fake's
// corresponding answer and check that it carries every field of the example, recursively (extra
// fields are fine). vectors.Dir skips when the vectors are absent and fails under CI=true.

// fhirDataConverter is the role of the official ARM policy example.
const fhirDataConverter = "a1705bd2-3a8f-45a5-8683-466fcfd5cc24"

func readVector(t *testing.T, dir, rel string) any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatalf("read vector %s: %v", rel, err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode vector %s: %v", rel, err)
	}
	return v
}

// armExample is an ARM example file's response body for a status.
func armExample(t *testing.T, dir, name, status string) any {
	t.Helper()
	v := readVector(t, dir, "arm/examples/"+name).(map[string]any)
	resp, ok := v["responses"].(map[string]any)[status].(map[string]any)
	if !ok {
		t.Fatalf("%s has no %s response", name, status)
	}
	return resp["body"]
}

// missingFields lists the fields of official (recursively) that fake lacks. Arrays of objects
// are compared element by element: by "id" when the fake has elements with the official ids
// (policy rules), otherwise every fake element must carry every official element's fields.
// except names paths (like "@odata.type") that may be missing, each justified at the call site.
func missingFields(official, fake any, path string, except map[string]bool) []string {
	var out []string
	switch o := official.(type) {
	case map[string]any:
		f, ok := fake.(map[string]any)
		if !ok {
			if fake == nil {
				return nil // an optional object the fake answers with null
			}
			return []string{path + " (not an object in the fake: " + fmt.Sprintf("%T", fake) + ")"}
		}
		keys := make([]string, 0, len(o))
		for k := range o {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := path + "." + k
			if except[p] {
				continue
			}
			fv, ok := f[k]
			if !ok {
				out = append(out, p)
				continue
			}
			out = append(out, missingFields(o[k], fv, p, except)...)
		}
	case []any:
		f, ok := fake.([]any)
		if !ok {
			if fake == nil {
				return nil
			}
			return []string{path + " (not an array in the fake)"}
		}
		var objs []map[string]any
		for _, e := range o {
			if m, ok := e.(map[string]any); ok {
				objs = append(objs, m)
			}
		}
		if len(objs) == 0 {
			return nil
		}
		if len(f) == 0 {
			return []string{path + "[] (empty in the fake: nothing to compare)"}
		}
		byID := map[string]any{}
		for _, e := range f {
			if m, ok := e.(map[string]any); ok {
				if id, ok := m["id"].(string); ok {
					byID[id] = m
				}
			}
		}
		matchByID := false
		for _, m := range objs {
			if id, ok := m["id"].(string); ok && byID[id] != nil {
				matchByID = true
			}
		}
		for _, m := range objs {
			if matchByID {
				id, _ := m["id"].(string)
				fe, ok := byID[id]
				if !ok {
					out = append(out, path+"[id="+id+"] (no element with this id)")
					continue
				}
				out = append(out, missingFields(m, fe, path+"[id="+id+"]", except)...)
				continue
			}
			for i, fe := range f {
				out = append(out, missingFields(m, fe, fmt.Sprintf("%s[%d]", path, i), except)...)
			}
		}
	}
	return dedupe(out)
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func conform(t *testing.T, name string, official any, r reply, except map[string]bool) {
	t.Helper()
	var fake any
	if err := json.Unmarshal(r.body, &fake); err != nil {
		t.Fatalf("%s: the fake's answer (%d) is not JSON: %v\n%s", name, r.status, err, r.body)
	}
	if miss := missingFields(official, fake, "$", except); len(miss) > 0 {
		t.Errorf("%s: the fake's answer lacks fields of the official example:\n  %s\nfake answer: %s", name, strings.Join(miss, "\n  "), r.body)
	}
}

func TestMissingFieldsFindsGaps(t *testing.T) {
	t.Parallel()
	official := map[string]any{"a": 1.0, "b": map[string]any{"c": nil, "d": "x"},
		"rules": []any{map[string]any{"id": "R1", "x": 1.0}, map[string]any{"id": "R2", "y": 1.0}},
		"value": []any{map[string]any{"p": 1.0, "q": map[string]any{"r": 1.0}}}}
	fake := map[string]any{"a": 2.0, "b": map[string]any{"c": "set"},
		"rules": []any{map[string]any{"id": "R1", "x": 1.0}, map[string]any{"id": "R3", "y": 1.0}},
		"value": []any{map[string]any{"p": 1.0, "q": map[string]any{"r": 1.0}}, map[string]any{"p": 1.0, "q": map[string]any{}}}}
	got := missingFields(official, fake, "$", nil)
	want := []string{"$.b.d", "$.rules[id=R2] (no element with this id)", "$.value[1].q.r"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("missingFields = %q, want %q", got, want)
	}
	if got := missingFields(official, fake, "$", map[string]bool{"$.b.d": true, "$.value[1].q.r": true}); len(got) != 1 {
		t.Fatalf("exceptions not honoured: %q", got)
	}
}

func TestConformanceARM(t *testing.T) {
	t.Parallel()
	dir := vectors.Dir(t)
	// The demo tenant plus the role of the official policy example, with the example's policy
	// (approval with an approver, MFA, justification, ticket, at most 7 hours).
	tenant := Demo().AddAzureRole(AzureRole{RoleDefinitionID: fhirDataConverter, Name: "FHIR Data Converter",
		Scope: DemoScopeMySubscription, ScopeName: "MySubscription",
		Policy: Policy{MaxDuration: 7 * time.Hour, MFA: true, Justification: true, Ticket: true, Approval: true}})
	s, clock := start(t, Options{Tenants: []*Tenant{tenant}})
	arm := tokenFor(t, s, DemoTenantID, ARMResource, CredentialOptions{})

	t.Run("GetRoleEligibilityScheduleInstancesByScope", func(t *testing.T) {
		r := call(t, s, "GET", armURL("", "roleEligibilityScheduleInstances?$filter=asTarget()"), arm, nil)
		conform(t, "eligibility instances", armExample(t, dir, "GetRoleEligibilityScheduleInstancesByScope.json", "200"), r, nil)
	})

	t.Run("PutRoleAssignmentScheduleRequest", func(t *testing.T) {
		// The official request body, pointed at the demo user's Reader eligibility on Prod.
		ex := readVector(t, dir, "arm/examples/PutRoleAssignmentScheduleRequest.json").(map[string]any)
		body := ex["parameters"].(map[string]any)["parameters"].(map[string]any)
		props := body["properties"].(map[string]any)
		props["principalId"] = DemoUserID
		props["roleDefinitionId"] = "/subscriptions/" + DemoProdSubscriptionID + "/providers/Microsoft.Authorization/roleDefinitions/" + RoleReader
		props["linkedRoleEligibilityScheduleId"] = stableGUID(DemoTenantID, "schedule", "azure|"+RoleReader+"|"+DemoScopeProd)
		r := call(t, s, "PUT", armURL(DemoScopeProd, "roleAssignmentScheduleRequests/fea7a502-9a96-4806-a26f-eee560e52045"), arm, body)
		if r.status != http.StatusCreated {
			t.Fatalf("PUT the official request shape: %d %s", r.status, r.body)
		}
		conform(t, "PUT request", armExample(t, dir, "PutRoleAssignmentScheduleRequest.json", "201"), r, nil)
	})

	t.Run("GetRoleAssignmentScheduleInstancesByScope", func(t *testing.T) {
		r := call(t, s, "GET", armURL("", "roleAssignmentScheduleInstances?$filter=asTarget()"), arm, nil)
		conform(t, "assignment instances", armExample(t, dir, "GetRoleAssignmentScheduleInstancesByScope.json", "200"), r, nil)
	})

	t.Run("CancelRoleAssignmentScheduleRequestByName", func(t *testing.T) {
		// A scheduled activation (status Granted) can be canceled until it starts.
		body := armActivation(DemoScopeMySubscription, RoleAKSContributor, "later", "PT1H")
		body["properties"].(map[string]any)["scheduleInfo"].(map[string]any)["startDateTime"] = clock.Now().Add(3 * time.Hour).Format(time.RFC3339)
		name := "2c9a7f4e-1b3d-4e5f-8a6b-7c8d9e0f1a2b"
		if r := call(t, s, "PUT", armURL(DemoScopeMySubscription, "roleAssignmentScheduleRequests/"+name), arm, body); r.status != 201 {
			t.Fatalf("schedule: %d %s", r.status, r.body)
		}
		r := call(t, s, "POST", armURL(DemoScopeMySubscription, "roleAssignmentScheduleRequests/"+name+"/cancel"), arm, nil)
		ex := readVector(t, dir, "arm/examples/CancelRoleAssignmentScheduleRequestByName.json").(map[string]any)
		if _, ok := ex["responses"].(map[string]any)["200"]; !ok || r.status != http.StatusOK || len(strings.TrimSpace(string(r.body))) > 2 {
			t.Fatalf("cancel: %d %q, want 200 without a body as the example", r.status, r.body)
		}
	})

	t.Run("GetRoleManagementPolicyAssignmentByScope", func(t *testing.T) {
		roleDef := "/subscriptions/" + DemoSubscriptionID + "/providers/Microsoft.Authorization/roleDefinitions/" + fhirDataConverter
		r := call(t, s, "GET", armURL(DemoScopeMySubscription, "roleManagementPolicyAssignments?$filter="+url.QueryEscape("roleDefinitionId eq '"+roleDef+"'")), arm, nil)
		conform(t, "policy assignments", armExample(t, dir, "GetRoleManagementPolicyAssignmentByScope.json", "200"), r, nil)
		if n := len(r.json(t)["value"].([]any)); n != 1 {
			t.Errorf("the roleDefinitionId filter left %d policies, want 1", n)
		}
	})

	t.Run("swagger properties", func(t *testing.T) {
		lists := map[string]string{
			"RoleEligibilityScheduleInstance.json": armURL("", "roleEligibilityScheduleInstances?$filter=asTarget()"),
			"RoleAssignmentScheduleInstance.json":  armURL("", "roleAssignmentScheduleInstances?$filter=asTarget()"),
			"RoleAssignmentScheduleRequest.json":   armURL("", "roleAssignmentScheduleRequests?$filter=asRequestor()"),
			"RoleManagementPolicyAssignment.json":  armURL(DemoScopeMySubscription, "roleManagementPolicyAssignments"),
		}
		for file, u := range lists {
			sw := readVector(t, dir, "arm/swagger/"+file).(map[string]any)
			defName := strings.TrimSuffix(file, ".json") + "Properties"
			def := sw["definitions"].(map[string]any)[defName].(map[string]any)["properties"].(map[string]any)
			items, _ := listAll(t, s, s.URL+u, arm)
			if len(items) == 0 {
				t.Fatalf("%s: the fake listed nothing to compare", file)
			}
			for _, it := range items {
				for _, k := range []string{"id", "name", "type", "properties"} {
					if _, ok := it[k]; !ok {
						t.Errorf("%s: item lacks %s", file, k)
					}
				}
				props, _ := it["properties"].(map[string]any)
				for k := range def {
					if _, ok := props[k]; !ok {
						t.Errorf("%s: properties lack %q (defined by %s)", file, k, defName)
					}
				}
			}
		}
	})
}

func TestConformanceGraph(t *testing.T) {
	t.Parallel()
	dir := vectors.Dir(t)
	s, _ := start(t, Options{})
	graph := tokenFor(t, s, DemoTenantID, GraphResource, CredentialOptions{})
	g := func(rel string) any { return readVector(t, dir, "graph/"+rel) }

	t.Run("roleEligibilityScheduleInstances.filterByCurrentUser", func(t *testing.T) {
		r := call(t, s, "GET", graphBase+"/roleManagement/directory/roleEligibilityScheduleInstances"+fbcu+"?$expand=roleDefinition", graph, nil)
		conform(t, "entra eligibility", g("roleManagement-directory/roleEligibilityScheduleInstances.filterByCurrentUser.response.200.json"), r, nil)
	})

	t.Run("roleAssignmentScheduleRequests.selfActivate", func(t *testing.T) {
		// The official request body, for the demo user's Security Reader eligibility.
		body := g("roleManagement-directory/roleAssignmentScheduleRequests.selfActivate.request.json").(map[string]any)
		body["principalId"] = DemoUserID
		body["roleDefinitionId"] = RoleSecurityReader
		r := call(t, s, "POST", graphBase+"/roleManagement/directory/roleAssignmentScheduleRequests", graph, body)
		if r.status != http.StatusCreated {
			t.Fatalf("POST the official request shape: %d %s", r.status, r.body)
		}
		conform(t, "selfActivate 201", g("roleManagement-directory/roleAssignmentScheduleRequests.selfActivate.response.201.json"), r, nil)
		// The adminAssign answer has the same shape as every request: the fake's must cover it too
		// (the fake itself serves self-service requests only).
		conform(t, "adminAssign 201 shape", g("roleManagement-directory/roleAssignmentScheduleRequests.adminAssign.response.201.json"), r, nil)
	})

	t.Run("roleAssignmentScheduleInstances.filterByCurrentUser", func(t *testing.T) {
		r := call(t, s, "GET", graphBase+"/roleManagement/directory/roleAssignmentScheduleInstances"+fbcu, graph, nil)
		conform(t, "entra assignments", g("roleManagement-directory/roleAssignmentScheduleInstances.filterByCurrentUser.response.200.json"), r, nil)
	})

	t.Run("group eligibilityScheduleInstances.filterByCurrentUser", func(t *testing.T) {
		r := call(t, s, "GET", graphBase+"/identityGovernance/privilegedAccess/group/eligibilityScheduleInstances"+fbcu, graph, nil)
		conform(t, "group eligibility", g("identityGovernance-privilegedAccess-group/eligibilityScheduleInstances.filterByCurrentUser.response.200.json"), r, nil)
	})

	t.Run("group assignmentScheduleRequests.selfActivate", func(t *testing.T) {
		body := g("identityGovernance-privilegedAccess-group/assignmentScheduleRequests.selfActivate.request.json").(map[string]any)
		body["principalId"] = DemoUserID
		body["groupId"] = DemoPIMAdminsGroupID
		r := call(t, s, "POST", graphBase+"/identityGovernance/privilegedAccess/group/assignmentScheduleRequests", graph, body)
		if r.status != http.StatusCreated {
			t.Fatalf("POST the official request shape: %d %s", r.status, r.body)
		}
		// Exception: these two doc examples carry the context URL under "@odata.type" (a documented
		// doc typo, see SOURCES.md); the fake sends it as "@odata.context", as the service does.
		typo := map[string]bool{"$.@odata.type": true}
		if _, ok := r.json(t)["@odata.context"]; !ok {
			t.Error("group request answer lacks @odata.context")
		}
		conform(t, "group selfActivate 201", g("identityGovernance-privilegedAccess-group/assignmentScheduleRequests.selfActivate.response.201.json"), r, typo)
		conform(t, "group adminAssign 201 shape", g("identityGovernance-privilegedAccess-group/assignmentScheduleRequests.adminAssign.response.201.json"), r, typo)
	})

	policies := func(filter, expand string) reply {
		q := url.Values{"$filter": {filter}}
		if expand != "" {
			q.Set("$expand", expand)
		}
		return call(t, s, "GET", graphBase+"/policies/roleManagementPolicyAssignments?"+q.Encode(), graph, nil)
	}
	t.Run("roleManagementPolicyAssignments.directory.list", func(t *testing.T) {
		r := policies("scopeId eq '/' and scopeType eq 'Directory'", "")
		conform(t, "directory policies", g("policies/roleManagementPolicyAssignments.directory.list.response.200.json"), r, nil)
	})
	t.Run("roleManagementPolicyAssignments.directoryRole.expandPolicyRules", func(t *testing.T) {
		r := policies("scopeId eq '/' and scopeType eq 'DirectoryRole' and roleDefinitionId eq '"+RoleGlobalAdministrator+"'", "policy($expand=rules)")
		conform(t, "directory role policy with rules", g("policies/roleManagementPolicyAssignments.directoryRole.expandPolicyRules.response.200.json"), r, nil)
	})
	t.Run("roleManagementPolicyAssignments.group.list", func(t *testing.T) {
		r := policies("scopeId eq '"+DemoBreakGlassGroupID+"' and scopeType eq 'Group'", "")
		conform(t, "group policies", g("policies/roleManagementPolicyAssignments.group.list.response.200.json"), r, nil)
	})
}

// TestConformanceObservedErrors provokes every refusal in community/observed-errors.json and
// compares the fake's body with the observed one: the code always, the message exactly unless the
// observation recorded none.
func TestConformanceObservedErrors(t *testing.T) {
	t.Parallel()
	dir := vectors.Dir(t)
	var doc struct {
		Entries []struct {
			Surface string `json:"surface"`
			Status  int    `json:"status"`
			Body    struct {
				Error struct{ Code, Message string } `json:"error"`
			} `json:"body"`
		} `json:"entries"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "community", "observed-errors.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}

	acrsTenant := NewTenant("c0ffee00-1234-4cde-8f90-abcdefabcdef", "Northwind", User{ID: "d1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6", UPN: "ops@northwind.example"}).
		AddAzureRole(AzureRole{RoleDefinitionID: RoleOwner, Name: "Owner", Scope: DemoScopeProd, Policy: Policy{AuthContext: "c1"}})
	acrsUser := acrsTenant.User.ID
	newFake := func(t *testing.T) (*Server, *fakeClock) {
		return start(t, Options{Tenants: []*Tenant{Demo(), acrsTenant}})
	}

	// provoke returns the fake's answer for an observation.
	provoke := func(t *testing.T, surface, code, message string) reply {
		s, clock := newFake(t)
		graph := tokenFor(t, s, DemoTenantID, GraphResource, CredentialOptions{})
		arm := tokenFor(t, s, DemoTenantID, ARMResource, CredentialOptions{})
		entraReq := graphBase + "/roleManagement/directory/roleAssignmentScheduleRequests"
		put := func(scope, name string, body any) reply {
			return call(t, s, "PUT", armURL(scope, "roleAssignmentScheduleRequests/"+name), arm, body)
		}
		switch {
		case code == codePolicy && strings.Contains(message, "ExpirationRule"):
			return put(DemoScopeIT, "0a000000-0000-4000-8000-000000000001", armActivation(DemoScopeIT, RoleOwner, "why", "PT9H"))
		case code == codePolicy && strings.Contains(message, "JustificationRule"):
			return put(DemoScopeIT, "0a000000-0000-4000-8000-000000000002", armActivation(DemoScopeIT, RoleOwner, "", "PT1H"))
		case code == codePolicy && strings.Contains(message, "MfaRule"):
			noMFA := tokenFor(t, s, DemoTenantID, GraphResource, CredentialOptions{WithoutMFA: true})
			return call(t, s, "POST", entraReq, noMFA, entraActivation(RoleGlobalAdministrator, "why", "PT1H"))
		case code == codeTooShort:
			if r := call(t, s, "POST", entraReq, graph, entraActivation(RoleSecurityReader, "", "PT1H")); r.status != 201 {
				t.Fatalf("activate: %d %s", r.status, r.body)
			}
			clock.Advance(time.Minute)
			return call(t, s, "POST", entraReq, graph, map[string]any{"action": "selfDeactivate", "principalId": DemoUserID,
				"roleDefinitionId": RoleSecurityReader, "directoryScopeId": "/"})
		case code == codeExists:
			call(t, s, "POST", entraReq, graph, entraActivation(RoleSecurityReader, "", "PT1H"))
			return call(t, s, "POST", entraReq, graph, entraActivation(RoleSecurityReader, "", "PT1H"))
		case code == codeRequestExists:
			later := armActivation(DemoScopeMySubscription, RoleAKSContributor, "later", "PT1H")
			later["properties"].(map[string]any)["scheduleInfo"].(map[string]any)["startDateTime"] = clock.Now().Add(2 * time.Hour).Format(time.RFC3339)
			if r := put(DemoScopeMySubscription, "0a000000-0000-4000-8000-000000000003", later); r.status != 201 {
				t.Fatalf("schedule: %d %s", r.status, r.body)
			}
			return put(DemoScopeMySubscription, "0a000000-0000-4000-8000-000000000004", armActivation(DemoScopeMySubscription, RoleAKSContributor, "now", "PT1H"))
		case code == codeDoesNotExist:
			body := armActivation(DemoScopeProd, RoleReader, "", "PT1H")
			body["properties"].(map[string]any)["requestType"] = "SelfDeactivate"
			return put(DemoScopeProd, "0a000000-0000-4000-8000-000000000005", body)
		case code == codeAcrs:
			tok := tokenFor(t, s, acrsTenant.ID, ARMResource, CredentialOptions{})
			body := armActivation(DemoScopeProd, RoleOwner, "why", "PT1H")
			body["properties"].(map[string]any)["principalId"] = acrsUser
			return call(t, s, "PUT", armURL(DemoScopeProd, "roleAssignmentScheduleRequests/0a000000-0000-4000-8000-000000000006"), tok, body)
		case code == "UnknownError" && strings.Contains(message, "PermissionScopeNotGranted"):
			// A tenant whose consent lacks the PIM-for-Groups permissions.
			narrow := Demo()
			narrow.GraphConsent = []string{"User.Read", "RoleEligibilitySchedule.Read.Directory"}
			s2, _ := start(t, Options{Tenants: []*Tenant{narrow}})
			tok := tokenFor(t, s2, DemoTenantID, GraphResource, CredentialOptions{})
			return call(t, s2, "GET", graphBase+"/identityGovernance/privilegedAccess/group/eligibilityScheduleInstances"+fbcu, tok, nil)
		}
		t.Fatalf("no way to provoke %q (%s)", code, surface)
		return reply{}
	}

	for _, e := range doc.Entries {
		e := e
		t.Run(e.Body.Error.Code+"/"+e.Surface, func(t *testing.T) {
			want := e.Body.Error
			r := provoke(t, e.Surface, want.Code, want.Message)
			code, msg := r.errCode(t)
			if r.status != e.Status || code != want.Code {
				t.Fatalf("answer %d %s, want %d %s: %s", r.status, code, e.Status, want.Code, r.body)
			}
			switch {
			case want.Message == "<unknown>":
				if msg == "" {
					t.Error("empty message")
				}
			case code == "UnknownError":
				// The wrapped JSON names the missing permissions, which differ from the observed call's.
				var inner map[string]any
				if err := json.Unmarshal([]byte(msg), &inner); err != nil || inner["errorCode"] != "PermissionScopeNotGranted" ||
					!strings.HasPrefix(inner["message"].(string), "Authorization failed due to missing permission scope ") {
					t.Errorf("message %q is not shaped like the observed %q", msg, want.Message)
				}
				if _, ok := inner["instanceAnnotations"]; !ok {
					t.Errorf("message %q lacks instanceAnnotations", msg)
				}
			default:
				if msg != want.Message {
					t.Errorf("message %q, want exactly %q", msg, want.Message)
				}
			}
		})
	}
}
