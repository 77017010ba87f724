package fakeazure

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// The approval endpoints have no example in ../shared/pim-vectors: the documented shapes are
// encoded here as field skeletons (names and nesting only; the values mean nothing), each naming
// its source document and the commit it was read at. The fake must carry every field.
var approvalShapes = map[string]string{
	// microsoftgraph/microsoft-graph-docs-contrib api-reference/v1.0/api/unifiedroleassignmentschedulerequest-filterbycurrentuser.md
	// @ 09455a65abde17103c17fc70605c4c8553f01978 (response example; the item, with principal expanded).
	"graph-request": `{"id":"","status":"","createdDateTime":"","completedDateTime":"","approvalId":"","customData":null,
		"action":"","principalId":"","roleDefinitionId":"","directoryScopeId":"","appScopeId":null,"isValidationOnly":false,
		"targetScheduleId":"","justification":"","createdBy":{"application":null,"device":null,"user":{"displayName":null,"id":""}},
		"scheduleInfo":{"startDateTime":"","recurrence":null,"expiration":{"type":"","endDateTime":null,"duration":null}},
		"ticketInfo":{"ticketNumber":null,"ticketSystem":null}}`,
	// api-reference/beta/api/approval-get.md @ 00e146a92755a19260d07a735eee6e9df034f45f (steps[]).
	"graph-approval-beta": `{"id":"","steps":[{"id":"","displayName":null,"reviewedDateTime":null,"reviewResult":"","status":"",
		"assignedToMe":true,"justification":"","reviewedBy":null}]}`,
	// Azure/azure-rest-api-specs specification/authorization/resource-manager/Microsoft.Authorization/preview/
	// 2021-01-01-preview/examples/GetRoleAssignmentApprovalSteps.json @ c97e2892044873200a5e00b2dec70e9d286952d2.
	"arm-stages": `{"value":[{"id":"","type":"","name":"","properties":{"displayName":"","assignedToMe":true,"status":"",
		"reviewedBy":null,"reviewedDateTime":null,"reviewResult":"","justification":""}}]}`,
	// …/examples/PutRoleAssignmentApprovalStepById.json @ e4307c718100835816bfb053c0a971fa964b73ec (the 200 echo).
	"arm-put": `{"id":"","type":"","name":"","properties":{"displayName":"","status":"","assignedToMe":true,
		"reviewedBy":{"principalType":"","principalId":"","principalName":"","userPrincipalName":""},
		"reviewedDateTime":"","reviewResult":"","justification":""}}`,
}

func shape(t *testing.T, name string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(approvalShapes[name]), &v); err != nil {
		t.Fatalf("shape %s: %v", name, err)
	}
	return v
}

func TestConformanceApprovals(t *testing.T) {
	s, _ := start(t, Options{})
	graph := tokenFor(t, s, DemoTenantID, GraphResource, CredentialOptions{})
	arm := tokenFor(t, s, DemoTenantID, ARMResource, CredentialOptions{})

	r := call(t, s, "GET", "/graph/v1.0/roleManagement/directory/roleAssignmentScheduleRequests/filterByCurrentUser(on='approver')?$expand=principal", graph, nil)
	items, _ := r.json(t)["value"].([]any)
	if r.status != http.StatusOK || len(items) != 1 {
		t.Fatalf("entra approver list: %d %s", r.status, r.body)
	}
	item := items[0].(map[string]any)
	if miss := missingFields(shape(t, "graph-request"), item, "$", nil); len(miss) > 0 {
		t.Errorf("entra approver item lacks %v", miss)
	}
	if p, _ := item["principal"].(map[string]any); p["userPrincipalName"] != "grace.hopper@contoso.example" || p["displayName"] != "Grace Hopper" {
		t.Errorf("$expand=principal gave %v", item["principal"])
	}
	approval := item["approvalId"].(string)
	r = call(t, s, "GET", "/graph/beta/roleManagement/directory/roleAssignmentApprovals/"+approval, graph, nil)
	conform(t, "beta approval", shape(t, "graph-approval-beta"), r, nil)
	if r.status != http.StatusOK {
		t.Fatalf("beta approval: %d %s", r.status, r.body)
	}
	// v1.0 has no roleAssignmentApprovals: the Entra decision is beta only.
	if r := call(t, s, "GET", "/graph/v1.0/roleManagement/directory/roleAssignmentApprovals/"+approval, graph, nil); r.status != http.StatusBadRequest {
		t.Errorf("v1.0 roleAssignmentApprovals answered %d, want 400 (beta only)", r.status)
	}

	r = call(t, s, "GET", armURL("", "roleAssignmentScheduleRequests?$filter=asApprover()"), arm, nil)
	items, _ = r.json(t)["value"].([]any)
	if len(items) != 1 {
		t.Fatalf("azure approver list: %s", r.body)
	}
	props := items[0].(map[string]any)["properties"].(map[string]any)
	aid := props["approvalId"].(string)
	if !strings.HasPrefix(aid, "/providers/Microsoft.Authorization/roleAssignmentApprovals/") {
		t.Errorf("approvalId %q", aid)
	}
	stagesURL := "/arm" + aid + "/stages?api-version=" + ARMApprovalAPIVersion
	r = call(t, s, "GET", stagesURL, arm, nil)
	conform(t, "arm stages", shape(t, "arm-stages"), r, nil)
	if r := call(t, s, "GET", "/arm"+aid+"/stages?api-version=2020-10-01", arm, nil); r.status != http.StatusBadRequest {
		t.Errorf("stages at api-version 2020-10-01 answered %d, want 400 (preview only)", r.status)
	}
	stage := r.json(t)["value"].([]any)[0].(map[string]any)["name"].(string)
	put := "/arm" + aid + "/stages/" + stage + "?api-version=" + ARMApprovalAPIVersion
	r = call(t, s, "PUT", put, arm, map[string]any{"properties": map[string]string{"reviewResult": "Approve", "justification": "fine"}})
	if r.status != http.StatusOK {
		t.Fatalf("PUT stage: %d %s", r.status, r.body)
	}
	conform(t, "arm put", shape(t, "arm-put"), r, nil)
	// A second decision: 409, as the docs say for another approver in the same stage.
	r = call(t, s, "PUT", put, arm, map[string]any{"properties": map[string]string{"reviewResult": "Deny"}})
	if r.status != http.StatusConflict {
		t.Errorf("second decision: %d, want 409", r.status)
	}
}
