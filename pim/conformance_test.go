package pim

import (
	"context"
	"encoding/json"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/pimtray/pimtray/internal/vectors"
)

// The conformance test decodes every file in ../shared/pim-vectors (the official examples and
// the observed errors) with the client's own decoders and checks that the domain values equal
// what the file says. (That the fake's answers carry the same fields is fakeazure's own test.)
// It skips where the vectors are absent, but fails under CI.

func TestConformanceWithEveryVectorFile(t *testing.T) {
	t.Parallel()
	dir := vectors.Dir(t)
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".json") {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 20 {
		t.Fatalf("only %d vector files found in %s", len(files), dir)
	}
	swagger := swaggerProperties(t, dir)
	for _, rel := range files {
		t.Run(rel, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, rel))
			if err != nil {
				t.Fatal(err)
			}
			var doc map[string]any
			if err := json.Unmarshal(data, &doc); err != nil {
				t.Fatalf("not JSON: %v", err)
			}
			check := conformanceCheck(rel)
			if check == nil {
				t.Fatalf("no conformance check knows %s: add one", rel)
			}
			check(t, data, doc, swagger)
		})
	}
}

type conformFunc func(t *testing.T, raw []byte, doc map[string]any, swagger map[string]bool)

func conformanceCheck(rel string) conformFunc {
	base := filepath.Base(rel)
	switch {
	case strings.HasPrefix(rel, "arm/swagger/"):
		return conformSwagger
	case rel == "community/observed-errors.json":
		return conformObservedErrors
	case rel == "arm/examples/GetRoleEligibilityScheduleInstancesByScope.json":
		return armExample(conformARMEligibilities)
	case rel == "arm/examples/GetRoleAssignmentScheduleInstancesByScope.json":
		return armExample(conformARMAssignments)
	case rel == "arm/examples/GetRoleManagementPolicyAssignmentByScope.json":
		return armExample(conformARMPolicy)
	case rel == "arm/examples/PutRoleAssignmentScheduleRequest.json":
		return conformARMPut
	case rel == "arm/examples/CancelRoleAssignmentScheduleRequestByName.json":
		return conformARMCancel
	case strings.HasPrefix(rel, "graph/roleManagement-directory/"):
		switch {
		case strings.HasPrefix(base, "roleEligibilityScheduleInstances."):
			return conformGraphEligibilities
		case strings.HasPrefix(base, "roleAssignmentScheduleInstances."):
			return conformGraphAssignments
		case strings.HasPrefix(base, "roleAssignmentScheduleRequests."):
			return conformGraphRequest(PlaneEntra, strings.Contains(base, ".request."))
		}
	case strings.HasPrefix(rel, "graph/identityGovernance-privilegedAccess-group/"):
		switch {
		case strings.HasPrefix(base, "eligibilityScheduleInstances."):
			return conformGroupEligibilities
		case strings.HasPrefix(base, "assignmentScheduleRequests."):
			return conformGraphRequest(PlaneGroup, strings.Contains(base, ".request."))
		}
	case strings.HasPrefix(rel, "graph/policies/roleManagementPolicyAssignments."):
		return conformGraphPolicies
	}
	return nil
}

// ---- generic JSON access: "what the file says" ----

func jget(v any, path string) any {
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func jstr(v any, path string) string {
	s, _ := jget(v, path).(string)
	return s
}

func jtime(t *testing.T, v any, path string) time.Time {
	t.Helper()
	s := jstr(v, path)
	if s == "" {
		return time.Time{}
	}
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return tm
}

func jitems(t *testing.T, v any) []any {
	t.Helper()
	items, ok := jget(v, "value").([]any)
	if !ok || len(items) == 0 {
		t.Fatalf("no value[] in %v", v)
	}
	return items
}

type field struct {
	name      string
	got, want any
}

func expect(t *testing.T, what string, fields ...field) {
	t.Helper()
	for _, f := range fields {
		if !reflect.DeepEqual(f.got, f.want) {
			t.Errorf("%s %s = %#v, file says %#v", what, f.name, f.got, f.want)
		}
	}
}

// scheduleEnd is what a schedule in the file says about the end.
func scheduleEnd(t *testing.T, sched any) (start, end time.Time) {
	t.Helper()
	start = jtime(t, sched, "startDateTime")
	switch strings.ToLower(jstr(sched, "expiration.type")) {
	case "afterduration":
		d, err := ParseISODuration(jstr(sched, "expiration.duration"))
		if err != nil {
			t.Fatal(err)
		}
		end = start.Add(d)
	case "afterdatetime":
		end = jtime(t, sched, "expiration.endDateTime")
	}
	return start, end
}

// ---- Graph ----

func conformGraphEligibilities(t *testing.T, raw []byte, doc map[string]any, _ map[string]bool) {
	page, err := decodeGraphEligibilities(raw)
	if err != nil {
		t.Fatal(err)
	}
	items := jitems(t, doc)
	if len(page.Items) != len(items) || page.NextLink != jstr(doc, "@odata.nextLink") {
		t.Fatalf("%d roles decoded from %d items", len(page.Items), len(items))
	}
	for i, it := range items {
		r := page.Items[i]
		expect(t, "eligibility", field{"Plane", r.Plane, PlaneEntra},
			field{"RoleID", r.RoleID, jstr(it, "roleDefinitionId")}, field{"Scope", r.Scope, jstr(it, "directoryScopeId")},
			field{"PrincipalID", r.PrincipalID, jstr(it, "principalId")}, field{"MemberType", r.MemberType, jstr(it, "memberType")},
			field{"EligibilityID", r.EligibilityID, jstr(it, "roleEligibilityScheduleId")},
			field{"EligibleUntil", r.EligibleUntil, jtime(t, it, "endDateTime")})
		if r.Scope == "/" {
			expect(t, "eligibility", field{"ScopeName", r.ScopeName, "Directory"}, field{"ScopeType", r.ScopeType, ScopeDirectory})
		}
	}
	// The official example, spelled out.
	want := Role{Plane: PlaneEntra, RoleID: "8424c6f0-a189-499e-bbd0-26c1753c96d4", Scope: "/", ScopeName: "Directory", ScopeType: ScopeDirectory,
		EligibilityID: "77f71919-62f3-4d0c-9f88-0a0391b665cd", PrincipalID: "071cc716-8147-4397-a5ba-b2105951cc0b", MemberType: "Direct",
		EligibleUntil: time.Date(2024, 4, 10, 0, 0, 0, 0, time.UTC)}
	if page.Items[0] != want {
		t.Errorf("decoded %+v\nwant %+v", page.Items[0], want)
	}
}

func conformGraphAssignments(t *testing.T, raw []byte, doc map[string]any, _ map[string]bool) {
	page, err := decodeGraphAssignments(raw)
	if err != nil {
		t.Fatal(err)
	}
	items := jitems(t, doc)
	if len(page.Items) != len(items) {
		t.Fatalf("%d of %d items decoded", len(page.Items), len(items))
	}
	for i, it := range items {
		a := page.Items[i]
		expect(t, "assignment", field{"Status", a.Status, StatusActive},
			field{"RoleID", a.Role.RoleID, jstr(it, "roleDefinitionId")}, field{"Scope", a.Role.Scope, jstr(it, "directoryScopeId")},
			field{"PrincipalID", a.Role.PrincipalID, jstr(it, "principalId")}, field{"MemberType", a.Role.MemberType, jstr(it, "memberType")},
			field{"AssignmentType", a.AssignmentType, jstr(it, "assignmentType")},
			field{"StartsAt", a.StartsAt, jtime(t, it, "startDateTime")}, field{"ExpiresAt", a.ExpiresAt, jtime(t, it, "endDateTime")})
	}
	if a := page.Items[0]; a.AssignmentType != "Assigned" || !a.ExpiresAt.IsZero() || a.Role.RoleID != "62e90394-69f5-4237-9190-012177145e10" {
		t.Errorf("official example: %+v", a)
	}
}

func conformGroupEligibilities(t *testing.T, raw []byte, doc map[string]any, _ map[string]bool) {
	page, err := decodeGroupEligibilities(raw)
	if err != nil {
		t.Fatal(err)
	}
	items := jitems(t, doc)
	if len(page.Items) != len(items) {
		t.Fatalf("%d of %d items decoded", len(page.Items), len(items))
	}
	for i, it := range items {
		r := page.Items[i]
		expect(t, "group eligibility", field{"Plane", r.Plane, PlaneGroup},
			field{"RoleID", r.RoleID, jstr(it, "accessId")}, field{"RoleName", r.RoleName, groupAccessName(jstr(it, "accessId"))},
			field{"Scope", r.Scope, jstr(it, "groupId")}, field{"ScopeType", r.ScopeType, ScopeGroup},
			field{"PrincipalID", r.PrincipalID, jstr(it, "principalId")}, field{"MemberType", r.MemberType, jstr(it, "memberType")},
			field{"EligibilityID", r.EligibilityID, jstr(it, "eligibilityScheduleId")},
			field{"EligibleUntil", r.EligibleUntil, jtime(t, it, "endDateTime")})
	}
	if r := page.Items[0]; r.RoleName != "Member" || r.Scope != "2b5ed229-4072-478d-9504-a047ebd4b07d" {
		t.Errorf("official example: %+v", r)
	}
}

// conformGraphRequest checks a request or its 201 answer, Entra or Groups. For a selfActivate
// request body it also checks that the client would send the same JSON.
func conformGraphRequest(p Plane, isRequest bool) conformFunc {
	return func(t *testing.T, raw []byte, doc map[string]any, _ map[string]bool) {
		decode := decodeGraphRequest
		if p == PlaneGroup {
			decode = decodeGroupRequest
		}
		a, err := decode(raw)
		if err != nil {
			t.Fatal(err)
		}
		start, end := scheduleEnd(t, jget(doc, "scheduleInfo"))
		expect(t, "request", field{"RequestID", a.RequestID, jstr(doc, "id")}, field{"RequestStatus", a.RequestStatus, jstr(doc, "status")},
			field{"PrincipalID", a.Role.PrincipalID, jstr(doc, "principalId")},
			field{"StartsAt", a.StartsAt, start}, field{"ExpiresAt", a.ExpiresAt, end})
		if p == PlaneGroup {
			expect(t, "request", field{"RoleID", a.Role.RoleID, jstr(doc, "accessId")}, field{"Scope", a.Role.Scope, jstr(doc, "groupId")})
		} else {
			expect(t, "request", field{"RoleID", a.Role.RoleID, jstr(doc, "roleDefinitionId")}, field{"Scope", a.Role.Scope, jstr(doc, "directoryScopeId")})
		}
		if !isRequest {
			want := StatusActive // every 201 example is Provisioned or Granted
			expect(t, "answer", field{"Status", a.Status, want})
			return
		}
		if jstr(doc, "action") != "selfActivate" {
			return
		}
		// The client's own body for the same activation must be the example.
		c := &Client{}
		body := c.graphBody("selfActivate", a.Role, jstr(doc, "principalId"))
		body.Justification = jstr(doc, "justification")
		body.ScheduleInfo = &wireScheduleOut{StartDateTime: start.UTC().Format(startTimeLayout),
			Expiration: wireExpiration{Type: "AfterDuration", Duration: formatISODuration(end.Sub(start))}}
		if n, s := jstr(doc, "ticketInfo.ticketNumber"), jstr(doc, "ticketInfo.ticketSystem"); n != "" || s != "" {
			body.TicketInfo = &wireTicket{TicketNumber: n, TicketSystem: s}
		}
		ours := toMap(t, body)
		theirs := doc
		// Azure's docs spell the expiration type either way; pimtray sends "AfterDuration".
		if m, ok := jget(theirs, "scheduleInfo.expiration").(map[string]any); ok {
			m["type"] = "AfterDuration"
		}
		if !reflect.DeepEqual(ours, theirs) {
			a, _ := json.Marshal(ours)
			b, _ := json.Marshal(theirs)
			t.Errorf("the client would send\n%s\nthe example sends\n%s", a, b)
		}
	}
}

func toMap(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// filePolicy is what a list of rules in a file says, read independently of the decoder.
func filePolicy(t *testing.T, rules []any) Policy {
	t.Helper()
	p := Policy{Known: true}
	for _, r := range rules {
		switch jstr(r, "id") {
		case "Expiration_EndUser_Assignment":
			d, err := ParseISODuration(jstr(r, "maximumDuration"))
			if err != nil {
				t.Fatal(err)
			}
			p.MaxDuration = d
		case "Enablement_EndUser_Assignment":
			for _, e := range jget(r, "enabledRules").([]any) {
				switch e {
				case "MultiFactorAuthentication":
					p.MFA = true
				case "Justification":
					p.Justification = true
				case "Ticketing":
					p.Ticket = true
				}
			}
		case "Approval_EndUser_Assignment":
			p.Approval, _ = jget(r, "setting.isApprovalRequired").(bool)
		case "AuthenticationContext_EndUser_Assignment":
			if on, _ := jget(r, "isEnabled").(bool); on {
				p.AuthContext = jstr(r, "claimValue")
			}
		}
	}
	return p
}

func conformGraphPolicies(t *testing.T, raw []byte, doc map[string]any, _ map[string]bool) {
	page, err := decodeGraphPolicyAssignments(raw)
	if err != nil {
		t.Fatal(err)
	}
	items := jitems(t, doc)
	if len(page.Items) != len(items) {
		t.Fatalf("%d of %d items decoded", len(page.Items), len(items))
	}
	for i, it := range items {
		pa := page.Items[i]
		want := Policy{}
		if rules, ok := jget(it, "policy.rules").([]any); ok {
			want = filePolicy(t, rules)
		}
		expect(t, "policy assignment", field{"ID", pa.ID, jstr(it, "id")}, field{"PolicyID", pa.PolicyID, jstr(it, "policyId")},
			field{"Scope", pa.Scope, jstr(it, "scopeId")}, field{"ScopeType", pa.ScopeType, jstr(it, "scopeType")},
			field{"RoleID", pa.RoleID, jstr(it, "roleDefinitionId")}, field{"Policy", pa.Policy, want})
	}
	if strings.Contains(jstr(doc, "@odata.context"), "policy(rules())") {
		want := Policy{MaxDuration: 8 * time.Hour, MFA: true, Justification: true, Known: true}
		if got := page.Items[0].Policy; got != want {
			t.Errorf("official example policy %+v, want %+v", got, want)
		}
	}
}

// ---- ARM ----

// armExample hands the body of the example's one success response to check.
func armExample(check func(t *testing.T, body []byte, doc map[string]any)) conformFunc {
	return func(t *testing.T, _ []byte, doc map[string]any, _ map[string]bool) {
		for _, code := range []string{"200", "201"} {
			if body, ok := jget(doc, "responses."+code+".body").(map[string]any); ok {
				raw, _ := json.Marshal(body)
				check(t, raw, body)
				return
			}
		}
		t.Fatal("no response body")
	}
}

func conformARMEligibilities(t *testing.T, raw []byte, body map[string]any) {
	page, err := decodeARMEligibilities(raw)
	if err != nil {
		t.Fatal(err)
	}
	items := jitems(t, body)
	if len(page.Items) != len(items) {
		t.Fatalf("%d of %d items decoded", len(page.Items), len(items))
	}
	for i, it := range items {
		r, p := page.Items[i], jget(it, "properties")
		expect(t, "eligibility", field{"Plane", r.Plane, PlaneAzure},
			// The top-level roleDefinitionId, not the expanded one (they differ in this example).
			field{"RoleID", r.RoleID, jstr(p, "roleDefinitionId")},
			field{"RoleName", r.RoleName, jstr(p, "expandedProperties.roleDefinition.displayName")},
			field{"Scope", r.Scope, jstr(p, "scope")}, field{"ScopeName", r.ScopeName, jstr(p, "expandedProperties.scope.displayName")},
			field{"ScopeType", r.ScopeType, jstr(p, "expandedProperties.scope.type")},
			field{"EligibilityID", r.EligibilityID, jstr(p, "roleEligibilityScheduleId")},
			field{"PrincipalID", r.PrincipalID, jstr(p, "principalId")}, field{"MemberType", r.MemberType, jstr(p, "memberType")},
			field{"EligibleUntil", r.EligibleUntil, jtime(t, p, "endDateTime")})
	}
	if r := page.Items[0]; r.Label() != "Contributor · Pay-As-You-Go" || r.ScopeType != ScopeSubscription ||
		!strings.HasSuffix(r.RoleID, "/b24988ac-6180-42a0-ab88-20f7382dd24c") {
		t.Errorf("official example: %+v", r)
	}
}

func conformARMAssignments(t *testing.T, raw []byte, body map[string]any) {
	page, err := decodeARMAssignments(raw)
	if err != nil {
		t.Fatal(err)
	}
	items := jitems(t, body)
	if len(page.Items) != len(items) {
		t.Fatalf("%d of %d items decoded", len(page.Items), len(items))
	}
	for i, it := range items {
		a, p := page.Items[i], jget(it, "properties")
		expect(t, "assignment", field{"Status", a.Status, StatusActive},
			field{"RoleID", a.Role.RoleID, jstr(p, "roleDefinitionId")},
			field{"RoleName", a.Role.RoleName, jstr(p, "expandedProperties.roleDefinition.displayName")},
			field{"Scope", a.Role.Scope, jstr(p, "scope")}, field{"ScopeName", a.Role.ScopeName, jstr(p, "expandedProperties.scope.displayName")},
			field{"ScopeType", a.Role.ScopeType, jstr(p, "expandedProperties.scope.type")},
			field{"EligibilityID", a.Role.EligibilityID, jstr(p, "linkedRoleEligibilityScheduleId")},
			field{"AssignmentType", a.AssignmentType, jstr(p, "assignmentType")},
			field{"StartsAt", a.StartsAt, jtime(t, p, "startDateTime")}, field{"ExpiresAt", a.ExpiresAt, jtime(t, p, "endDateTime")})
	}
	if a := page.Items[0]; !a.ExpiresAt.Equal(time.Date(2020, 9, 10, 5, 35, 17, 910000000, time.UTC)) {
		t.Errorf("official example ends %v", a.ExpiresAt)
	}
}

func conformARMPolicy(t *testing.T, raw []byte, body map[string]any) {
	page, err := decodeARMPolicyAssignments(raw)
	if err != nil {
		t.Fatal(err)
	}
	items := jitems(t, body)
	if len(page.Items) != len(items) {
		t.Fatalf("%d of %d items decoded", len(page.Items), len(items))
	}
	for i, it := range items {
		pa, p := page.Items[i], jget(it, "properties")
		rules, _ := jget(p, "effectiveRules").([]any)
		expect(t, "policy assignment", field{"ID", pa.ID, jstr(it, "id")}, field{"PolicyID", pa.PolicyID, jstr(p, "policyId")},
			field{"Scope", pa.Scope, jstr(p, "scope")}, field{"RoleID", pa.RoleID, jstr(p, "roleDefinitionId")},
			field{"ScopeType", pa.ScopeType, jstr(p, "policyAssignmentProperties.scope.type")},
			field{"Policy", pa.Policy, filePolicy(t, rules)})
	}
	want := Policy{MaxDuration: 7 * time.Hour, MFA: true, Justification: true, Ticket: true, Approval: true, Known: true}
	if got := page.Items[0].Policy; got != want {
		t.Errorf("official example policy %+v, want %+v", got, want)
	}
}

func conformARMPut(t *testing.T, _ []byte, doc map[string]any, swagger map[string]bool) {
	body, _ := jget(doc, "responses.201.body").(map[string]any)
	raw, _ := json.Marshal(body)
	a, err := decodeARMRequest(raw)
	if err != nil {
		t.Fatal(err)
	}
	p := jget(body, "properties")
	start, end := scheduleEnd(t, jget(p, "scheduleInfo"))
	expect(t, "request", field{"RequestID", a.RequestID, jstr(body, "id")}, field{"RequestStatus", a.RequestStatus, jstr(p, "status")},
		field{"Status", a.Status, StatusActive}, field{"RoleID", a.Role.RoleID, jstr(p, "roleDefinitionId")},
		field{"RoleName", a.Role.RoleName, jstr(p, "expandedProperties.roleDefinition.displayName")},
		field{"Scope", a.Role.Scope, jstr(p, "scope")}, field{"ScopeType", a.Role.ScopeType, jstr(p, "expandedProperties.scope.type")},
		field{"StartsAt", a.StartsAt, start}, field{"ExpiresAt", a.ExpiresAt, end})
	if !a.ExpiresAt.Equal(time.Date(2020, 9, 10, 5, 35, 27, 910000000, time.UTC)) {
		t.Errorf("official example ends %v", a.ExpiresAt)
	}

	// The body the client sends for the same activation has the example's fields (minus the
	// optional ABAC condition) and only fields the API defines.
	req := jget(doc, "parameters.parameters.properties")
	s, e := scheduleEnd(t, jget(req, "scheduleInfo"))
	ours := toMap(t, armRequestBody{Properties: armRequestProperties{
		PrincipalID: jstr(req, "principalId"), RoleDefinitionID: jstr(req, "roleDefinitionId"), RequestType: "SelfActivate",
		LinkedRoleEligibilityScheduleID: jstr(req, "linkedRoleEligibilityScheduleId"),
		ScheduleInfo: &wireScheduleOut{StartDateTime: s.Format(startTimeLayout),
			Expiration: wireExpiration{Type: "AfterDuration", Duration: formatISODuration(e.Sub(s))}},
	}})
	theirs := toMap(t, req)
	delete(theirs, "condition")
	delete(theirs, "conditionVersion")
	delete(jget(theirs, "scheduleInfo.expiration").(map[string]any), "endDateTime")
	theirs["scheduleInfo"].(map[string]any)["startDateTime"] = s.Format(startTimeLayout)
	if !reflect.DeepEqual(jget(ours, "properties"), theirs) {
		a, _ := json.Marshal(ours)
		b, _ := json.Marshal(theirs)
		t.Errorf("the client would send\n%s\nthe example sends\n%s", a, b)
	}
	full := toMap(t, armRequestBody{Properties: armRequestProperties{Justification: "j", TicketInfo: &wireTicket{"n", "s"}}})
	for _, k := range keysOf(full["properties"]) {
		if !swagger[k] {
			t.Errorf("the client sends %q, which the API does not define", k)
		}
	}
}

func conformARMCancel(t *testing.T, _ []byte, doc map[string]any, _ map[string]bool) {
	if _, ok := jget(doc, "responses.200").(map[string]any); !ok || jget(doc, "responses.200.body") != nil {
		t.Fatalf("expected a bodiless 200: %v", jget(doc, "responses"))
	}
	scope, name := "/"+jstr(doc, "parameters.scope"), jstr(doc, "parameters.roleAssignmentScheduleRequestName")
	var mu sync.Mutex
	var got []string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery)
		mu.Unlock()
		w.WriteHeader(http.StatusOK) // the example's answer: 200, no body
	}))
	defer srv.Close()
	o := &ClientOptions{Cloud: Cloud{Graph: srv.URL, ARM: srv.URL}}
	o.Transport = srv.Client()
	o.Retry = policy.RetryOptions{MaxRetries: -1}
	c, err := NewClient(&staticCred{}, o)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{name, scope + "/providers/Microsoft.Authorization/roleAssignmentScheduleRequests/" + name} {
		a := Activation{Role: Role{Plane: PlaneAzure, Scope: scope, RoleName: "Contributor"}, RequestID: id, Status: StatusPending}
		if err := c.Cancel(context.Background(), a); err != nil {
			t.Fatal(err)
		}
	}
	want := "POST " + scope + "/providers/Microsoft.Authorization/roleAssignmentScheduleRequests/" + name + "/cancel?api-version=" + jstr(doc, "parameters.api-version")
	if len(got) != 2 || got[0] != want || got[1] != want {
		t.Errorf("cancel sent %v, want %q twice", got, want)
	}
}

// ---- observed errors and swagger ----

func conformObservedErrors(t *testing.T, _ []byte, doc map[string]any, _ map[string]bool) {
	entries, _ := jget(doc, "entries").([]any)
	if len(entries) == 0 {
		t.Fatal("no entries")
	}
	for _, en := range entries {
		raw, _ := json.Marshal(jget(en, "body"))
		status, _ := jget(en, "status").(float64)
		e := decodeError(int(status), nil, raw)
		if e.Kind == KindOther || e.Kind == KindBadResponse || e.Message != jstr(en, "body.error.message") && e.Code != "PermissionScopeNotGranted" {
			t.Errorf("%s: %+v", jstr(en, "surface"), e)
		}
	}
}

// swaggerProperties collects every property name the ARM API defines.
func swaggerProperties(t *testing.T, dir string) map[string]bool {
	t.Helper()
	props := map[string]bool{"value": true, "nextLink": true}
	matches, _ := filepath.Glob(filepath.Join(dir, "arm", "swagger", "*.json"))
	for _, m := range matches {
		data, err := os.ReadFile(m)
		if err != nil {
			t.Fatal(err)
		}
		var doc any
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		var walk func(v any)
		walk = func(v any) {
			switch x := v.(type) {
			case map[string]any:
				if p, ok := x["properties"].(map[string]any); ok {
					for k := range p {
						props[k] = true
					}
				}
				for _, c := range x {
					walk(c)
				}
			case []any:
				for _, c := range x {
					walk(c)
				}
			}
		}
		walk(doc)
	}
	return props
}

func keysOf(v any) []string {
	m, _ := v.(map[string]any)
	var out []string
	for k, c := range m {
		out = append(out, k)
		for _, sub := range keysOf(c) {
			out = append(out, sub)
		}
	}
	sort.Strings(out)
	return out
}

// jsonFields lists the json names a wire type reads, recursively.
func jsonFields(t reflect.Type, out map[string]bool) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out[name] = true
		}
		jsonFields(f.Type, out)
	}
}

// conformSwagger: the swagger file parses, and every field the ARM decoders read is one the
// API defines (so no decoder waits for a field Azure never sends).
func conformSwagger(t *testing.T, _ []byte, doc map[string]any, swagger map[string]bool) {
	if _, ok := doc["definitions"].(map[string]any); !ok {
		t.Fatal("no definitions")
	}
	read := map[string]bool{}
	for _, v := range []any{armItem{}, armPolicyAssignment{}, armRequestBody{}, wireRule{}} {
		jsonFields(reflect.TypeOf(v), read)
	}
	for k := range read {
		if strings.HasPrefix(k, "@") { // Graph's rule type (wireRule is shared)
			continue
		}
		if !swagger[k] {
			t.Errorf("an ARM decoder reads %q, which no swagger definition has", k)
		}
	}
}
