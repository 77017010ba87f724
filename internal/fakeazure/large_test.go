package fakeazure

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func startLarge(t *testing.T) (*Server, string, string) {
	t.Helper()
	s, _ := start(t, Options{Tenants: []*Tenant{Large()}, PageSize: LargePageSize})
	return s, tokenFor(t, s, LargeTenantID, GraphResource, CredentialOptions{}), tokenFor(t, s, LargeTenantID, ARMResource, CredentialOptions{})
}

// The large tenant has the size it says, in pages of 100, as the three planes list it.
func TestLargeTenantSize(t *testing.T) {
	t.Parallel()
	s, graph, arm := startLarge(t)
	entra, entraPages := listAll(t, s, s.URL+graphBase+"/roleManagement/directory/roleEligibilityScheduleInstances"+fbcu, graph)
	groups, groupPages := listAll(t, s, s.URL+graphBase+"/identityGovernance/privilegedAccess/group/eligibilityScheduleInstances"+fbcu+"?$expand=group", graph)
	azure, azurePages := listAll(t, s, s.URL+armURL("", "roleEligibilityScheduleInstances?$filter=asTarget()"), arm)
	if n := len(entra) + len(groups) + len(azure); n != LargeRoles {
		t.Errorf("%d eligible roles (entra %d, group %d, azure %d), want %d", n, len(entra), len(groups), len(azure), LargeRoles)
	}
	if entraPages != 1 || groupPages != 1 || azurePages != 4 {
		t.Errorf("pages: entra %d, group %d, azure %d; want 1, 1, 4 at %d a page", entraPages, groupPages, azurePages, LargePageSize)
	}
	scopes := map[string]bool{}
	keys := map[string]bool{}
	for _, e := range entra {
		scopes["entra"+e["directoryScopeId"].(string)] = true
		keys[e["roleDefinitionId"].(string)+e["directoryScopeId"].(string)] = true
	}
	for _, g := range groups {
		scopes["group"+g["groupId"].(string)] = true
		keys[g["accessId"].(string)+g["groupId"].(string)] = true
		if g["group"].(map[string]any)["displayName"] == "" {
			t.Errorf("group without a name: %v", g)
		}
	}
	for _, a := range azure {
		p := a["properties"].(map[string]any)
		scopes["azure"+p["scope"].(string)] = true
		keys[p["roleDefinitionId"].(string)+p["scope"].(string)] = true
	}
	if len(scopes) != LargeScopes {
		t.Errorf("%d scopes, want %d", len(scopes), LargeScopes)
	}
	if len(keys) != LargeRoles {
		t.Errorf("%d distinct roles, want %d (a role given twice at one scope)", len(keys), LargeRoles)
	}
	found := false
	for _, a := range azure {
		x := a["properties"].(map[string]any)["expandedProperties"].(map[string]any)
		if x["roleDefinition"].(map[string]any)["displayName"] == "Website Contributor" && x["scope"].(map[string]any)["displayName"] == "rg-shop" {
			found = true
		}
	}
	if !found {
		t.Error("no Website Contributor on rg-shop")
	}
}

// The history is there (1,000 past requests per plane, paged), and a filter on the status lists
// the pending requests alone, as Azure filters: Graph's status eq, ARM's asRequestor() and status eq.
func TestLargeTenantHistoryFilteredAsAzureFilters(t *testing.T) {
	t.Parallel()
	s, graph, arm := startLarge(t)
	entraReqs := s.URL + graphBase + "/roleManagement/directory/roleAssignmentScheduleRequests" + fbcu
	groupReqs := s.URL + graphBase + "/identityGovernance/privilegedAccess/group/assignmentScheduleRequests" + fbcu
	armReqs := s.URL + armURL("", "roleAssignmentScheduleRequests")
	pending := url.Values{"$filter": {"status eq 'PendingApproval'"}}.Encode()
	armAll := url.Values{"$filter": {"asRequestor()"}}.Encode()
	armPending := url.Values{"$filter": {"asRequestor() and status eq 'PendingApproval'"}}.Encode()

	for _, c := range []struct {
		name, url, token string
	}{{"entra", entraReqs, graph}, {"group", groupReqs, graph}, {"azure", armReqs + "&" + armAll, arm}} {
		items, pages := listAll(t, s, c.url, c.token)
		if len(items) != LargePastRequests || pages != LargePastRequests/LargePageSize {
			t.Errorf("%s history: %d requests in %d pages, want %d in %d", c.name, len(items), pages, LargePastRequests, LargePastRequests/LargePageSize)
		}
		statuses := map[string]int{}
		for _, it := range items {
			st, _ := it["status"].(string)
			if p, ok := it["properties"].(map[string]any); ok {
				st, _ = p["status"].(string)
			}
			statuses[st]++
		}
		if statuses["PendingApproval"] != 0 || statuses["TimedOut"] == 0 || statuses["Provisioned"] == 0 || statuses["Revoked"] == 0 {
			t.Errorf("%s history statuses: %v", c.name, statuses)
		}
	}

	// One pending request per plane, made now: the filtered lists hold it alone, in one page.
	rgShop := LargeScopeRGShop
	approvalEntra := ""
	for _, e := range s.tenant(LargeTenantID).roles {
		if e.plane == "entra" && e.policy.Approval && e.scope == "/" {
			approvalEntra = e.roleID
			break
		}
	}
	if approvalEntra == "" {
		t.Fatal("no Entra role with approval in the large tenant")
	}
	body := entraActivation(approvalEntra, "why", "PT1H")
	body["principalId"] = LargeUserID
	if r := call(t, s, http.MethodPost, graphBase+"/roleManagement/directory/roleAssignmentScheduleRequests", graph, body); r.status != http.StatusCreated || r.json(t)["status"] != "PendingApproval" {
		t.Fatalf("entra activation: %d %s", r.status, r.body)
	}
	items, pages := listAll(t, s, entraReqs+"?"+pending, graph)
	if len(items) != 1 || pages != 1 {
		t.Errorf("entra pending: %d requests in %d pages, want 1 in 1", len(items), pages)
	}
	items, pages = listAll(t, s, groupReqs+"?"+pending, graph)
	if len(items) != 0 || pages != 1 {
		t.Errorf("group pending: %d requests in %d pages, want 0 in 1", len(items), pages)
	}
	ab := armActivation(rgShop, LargeWebsiteContributor, "deploy", "PT1H")
	ab["properties"].(map[string]any)["principalId"] = LargeUserID
	if r := call(t, s, http.MethodPut, armURL(rgShop, "roleAssignmentScheduleRequests/6f1d3a52-9b8c-4e7d-a1f0-2c3b4d5e6f70"), arm, ab); r.status != http.StatusCreated {
		t.Fatalf("azure activation: %d %s", r.status, r.body)
	}
	items, pages = listAll(t, s, armReqs+"&"+armPending, arm)
	if len(items) != 0 || pages != 1 {
		t.Errorf("azure pending: %d requests in %d pages, want 0 in 1 (the activation was provisioned)", len(items), pages)
	}
	items, _ = listAll(t, s, armReqs+"&"+url.Values{"$filter": {"asRequestor() and status eq 'Provisioned'"}}.Encode(), arm)
	if len(items) < LargePastRequests/2 {
		t.Errorf("azure provisioned: %d requests", len(items))
	}
	// An unknown property is refused as ARM refuses a bad filter.
	r := call(t, s, http.MethodGet, armReqs+"&"+url.Values{"$filter": {"asRequestor() and colour eq 'red'"}}.Encode(), arm, nil)
	if code, _ := r.errCode(t); r.status != http.StatusBadRequest || !strings.EqualFold(code, "InvalidFilter") {
		t.Errorf("bad filter: %d %s", r.status, r.body)
	}
	// A past request is still read by its id.
	id := stableGUID(LargeTenantID, "history", "azure", "0")
	if r := call(t, s, http.MethodGet, armURL(rgShop, "roleAssignmentScheduleRequests/"+id), arm, nil); r.status != http.StatusOK {
		t.Errorf("GET past request: %d %s", r.status, r.body)
	}
}
