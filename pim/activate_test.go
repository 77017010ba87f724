package pim

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// eligible lists the client's eligible roles and returns the one with this label.
func eligible(t *testing.T, c testClient, plane Plane, label string) Role {
	t.Helper()
	ov, err := c.Overview(context.Background(), plane)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range ov.Eligible {
		if r.Label() == label {
			return r
		}
	}
	t.Fatalf("no eligible %s role %q in %v", plane, label, labels(ov.Eligible))
	return Role{}
}

func decodeBody(t *testing.T, h stubHit) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(h.Body), &m); err != nil {
		t.Fatalf("request body %q: %v", h.Body, err)
	}
	return m
}

// get reads a dotted path in a decoded JSON body.
func get(m map[string]any, path string) any {
	var v any = m
	for _, k := range strings.Split(path, ".") {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[k]
	}
	return v
}

var guidPath = regexp.MustCompile(`/providers/Microsoft\.Authorization/roleAssignmentScheduleRequests/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func TestActivateEachPlaneSendsTheRightRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		plane  Plane
		label  string
		method string
		path   string
		want   map[string]any // dotted path → value in the request body
	}{
		{PlaneEntra, "Security Reader", "POST", "/v1.0" + entraRequestsPath, map[string]any{
			"action": "selfActivate", "principalId": stubUser, "roleDefinitionId": "5d6b6bb7-de71-4623-b4af-96380a352509",
			"directoryScopeId": "/", "justification": "incident 42",
			"scheduleInfo.startDateTime": "2025-06-02T08:00:00.000Z", "scheduleInfo.expiration.type": "AfterDuration",
			"scheduleInfo.expiration.duration": "PT1H30M", "ticketInfo.ticketNumber": "INC-42", "ticketInfo.ticketSystem": "ServiceNow",
		}},
		{PlaneAzure, "Contributor · MySubscription", "PUT", "/subscriptions/" + stubSub, map[string]any{
			"properties.principalId": stubUser, "properties.requestType": "SelfActivate",
			"properties.roleDefinitionId":                "/subscriptions/" + stubSub + "/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c",
			"properties.linkedRoleEligibilityScheduleId": "/subscriptions/" + stubSub + "/providers/Microsoft.Authorization/RoleEligibilitySchedules/00000000-0000-0000-0000-000000000006",
			"properties.justification":                   "incident 42", "properties.ticketInfo.ticketNumber": "INC-42",
			"properties.scheduleInfo.startDateTime":   "2025-06-02T08:00:00.000Z",
			"properties.scheduleInfo.expiration.type": "AfterDuration", "properties.scheduleInfo.expiration.duration": "PT1H30M",
		}},
		{PlaneGroup, "Member · PIM-Admins", "POST", "/v1.0" + groupRequestsPath, map[string]any{
			"action": "selfActivate", "principalId": stubUser, "accessId": "member", "groupId": stubGroupA,
			"justification": "incident 42", "scheduleInfo.expiration.duration": "PT1H30M",
		}},
	}
	for _, tt := range tests {
		t.Run(string(tt.plane), func(t *testing.T) {
			s := newStub(t)
			c := s.client(t, nil, nil)
			role := eligible(t, c, tt.plane, tt.label)
			a, err := c.Activate(context.Background(), ActivateRequest{Role: role, Justification: "incident 42",
				TicketNumber: "INC-42", TicketSystem: "ServiceNow", Duration: 90 * time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			if a.Status != StatusActive || a.RequestStatus != "Provisioned" || a.AssignmentType != "Activated" ||
				!a.StartsAt.Equal(stubEpoch) || !a.ExpiresAt.Equal(stubEpoch.Add(90*time.Minute)) || a.RequestID == "" {
				t.Errorf("activation: %+v", a)
			}
			if a.Role != role {
				t.Errorf("activation role\n got %+v\nwant %+v", a.Role, role)
			}
			hits := s.Hits(tt.method, tt.path)
			if len(hits) != 1 {
				t.Fatalf("%s %s: %d requests, want 1", tt.method, tt.path, len(hits))
			}
			if tt.plane == PlaneAzure && !guidPath.MatchString(hits[0].Path) {
				t.Errorf("ARM request path %q does not end in a request GUID", hits[0].Path)
			}
			body := decodeBody(t, hits[0])
			for k, v := range tt.want {
				if got := get(body, k); got != v {
					t.Errorf("body %s = %#v, want %#v", k, got, v)
				}
			}
			ov, err := c.Overview(context.Background(), tt.plane)
			if err != nil {
				t.Fatal(err)
			}
			if len(ov.Active) != 1 || ov.Active[0].Role.Key() != role.Key() || !ov.Active[0].ExpiresAt.Equal(a.ExpiresAt) {
				t.Errorf("listing after activation: %+v", ov.Active)
			}
		})
	}
}

func TestActivateGroupOwnerCopiesAccessIDAndWaitsForApproval(t *testing.T) {
	t.Parallel()
	s := newStub(t)
	c := s.client(t, nil, nil)
	role := eligible(t, c, PlaneGroup, "Owner · Break-Glass")
	a, err := c.Activate(context.Background(), ActivateRequest{Role: role, Justification: "break glass"})
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != StatusPending || a.RequestStatus != "PendingApproval" {
		t.Errorf("activation: %+v", a)
	}
	body := decodeBody(t, s.Hits("POST", groupRequestsPath)[0])
	if body["accessId"] != "owner" || body["groupId"] != stubGroupB {
		t.Errorf("body: %v", body)
	}
	// Duration 0: the policy's maximum (2h).
	if d := get(body, "scheduleInfo.expiration.duration"); d != "PT2H" {
		t.Errorf("duration %v, want the policy maximum PT2H", d)
	}
}

func TestPendingRequestIsListedAndCanBeCanceledInEveryPlane(t *testing.T) {
	t.Parallel()
	tests := []struct {
		plane      Plane
		label      string
		cancelPath string
	}{
		{PlaneEntra, "User Administrator", "/v1.0" + entraRequestsPath + "/"},
		{PlaneGroup, "Owner · Break-Glass", "/v1.0" + groupRequestsPath + "/"},
		{PlaneAzure, "Reader · Prod", "/subscriptions/" + stubProd + "/providers/Microsoft.Authorization/roleAssignmentScheduleRequests/"},
	}
	for _, tt := range tests {
		t.Run(string(tt.plane), func(t *testing.T) {
			s := newStub(t)
			s.set(func(s *stub) {
				for _, r := range s.roles {
					if r.plane == PlaneAzure && r.scopeName == "Prod" {
						r.policy.app = true
					}
				}
			})
			c := s.client(t, nil, nil)
			role := eligible(t, c, tt.plane, tt.label)
			a, err := c.Activate(context.Background(), ActivateRequest{Role: role, Justification: "please", Duration: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			if a.Status != StatusPending || !a.ExpiresAt.Equal(stubEpoch.Add(time.Hour)) {
				t.Fatalf("activation: %+v", a)
			}
			ov, err := c.Overview(context.Background(), tt.plane)
			if err != nil {
				t.Fatal(err)
			}
			if len(ov.Pending) != 1 || ov.Pending[0].Role.Label() != tt.label || ov.Pending[0].RequestID != a.RequestID || len(ov.Active) != 0 {
				t.Fatalf("pending %+v active %+v", ov.Pending, ov.Active)
			}
			// A second click while the request is open: Azure says so, pimtray names it.
			_, err = c.Activate(context.Background(), ActivateRequest{Role: role, Justification: "please", Duration: time.Hour})
			if !errors.Is(err, ErrRequestExists) || !strings.HasPrefix(err.Error(), tt.label+" already has an open request") {
				t.Errorf("second activation: %v", err)
			}
			if err := c.Cancel(context.Background(), ov.Pending[0]); err != nil {
				t.Fatal(err)
			}
			hits := s.Hits("POST", tt.cancelPath)
			var canceled []stubHit
			for _, h := range hits {
				if strings.HasSuffix(h.Path, "/cancel") {
					canceled = append(canceled, h)
				}
			}
			if len(canceled) != 1 || !strings.Contains(canceled[0].Path, lastSegment(a.RequestID)) {
				t.Errorf("cancel requests: %+v", hits)
			}
			ov, err = c.Overview(context.Background(), tt.plane)
			if err != nil || len(ov.Pending) != 0 {
				t.Errorf("after cancel: %+v %v", ov.Pending, err)
			}
			// Cancelling again: the request no longer exists.
			if err := c.Cancel(context.Background(), a); err == nil || !strings.Contains(err.Error(), tt.label) {
				t.Errorf("second cancel: %v", err)
			}
		})
	}
}

func TestActivateRefusesBeforeSendingWhatThePolicyForbids(t *testing.T) {
	t.Parallel()
	tests := []struct {
		plane Plane
		label string
		req   ActivateRequest
		rules []string
		text  string
	}{
		{PlaneEntra, "Global Administrator", ActivateRequest{Duration: 100 * time.Hour, Justification: "x"},
			[]string{RuleExpiration}, "Global Administrator allows at most 8h; 100h was asked."},
		{PlaneAzure, "Contributor · MySubscription", ActivateRequest{Justification: "deploy"},
			[]string{RuleTicketing}, "Contributor · MySubscription needs a ticket number (TicketingRule)."},
		{PlaneAzure, "Contributor · MySubscription", ActivateRequest{Duration: 9 * time.Hour},
			[]string{RuleExpiration, RuleJustification, RuleTicketing},
			"Contributor · MySubscription allows at most 8h; 9h was asked, and needs a justification and a ticket number (JustificationRule, TicketingRule)."},
		{PlaneGroup, "Owner · Break-Glass", ActivateRequest{Duration: 150 * time.Minute, Justification: "x"},
			[]string{RuleExpiration}, "Owner · Break-Glass allows at most 2h; 2h 30m was asked."},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			s := newStub(t)
			c := s.client(t, nil, nil)
			tt.req.Role = eligible(t, c, tt.plane, tt.label)
			before := c.count.total()
			_, err := c.Activate(context.Background(), tt.req)
			var pe *Error
			if !errors.As(err, &pe) || !errors.Is(err, ErrPolicy) {
				t.Fatalf("err = %v", err)
			}
			if strings.Join(pe.Rules, ",") != strings.Join(tt.rules, ",") || pe.Error() != tt.text || pe.Role != tt.req.Role.Label() || pe.Plane != tt.plane {
				t.Errorf("error: %+v\n text %q\n want %q", pe, pe.Error(), tt.text)
			}
			// Only the policy was read; no activation was sent.
			if n := len(s.Hits("POST", "ScheduleRequests")) + len(s.Hits("PUT", "")); n != 0 {
				t.Errorf("%d activation requests sent", n)
			}
			if n := c.count.total() - before; n != 1 {
				t.Errorf("%d requests, want exactly the policy read", n)
			}
		})
	}
}

func TestActivateDurationDefaultsToThePolicyMaximumOr8h(t *testing.T) {
	t.Parallel()
	s := newStub(t)
	c := s.client(t, nil, nil)
	rg := eligible(t, c, PlaneAzure, "Contributor · rg-web")
	a, err := c.Activate(context.Background(), ActivateRequest{Role: rg})
	if err != nil {
		t.Fatal(err)
	}
	body := decodeBody(t, s.Hits("PUT", "/resourceGroups/rg-web/")[0])
	if d := get(body, "properties.scheduleInfo.expiration.duration"); d != "PT4H" || !a.ExpiresAt.Equal(stubEpoch.Add(4*time.Hour)) {
		t.Errorf("duration %v, expires %v: want the policy's 4h", d, a.ExpiresAt)
	}

	// The policy cannot be read: 8h, and Azure's own refusal says what went wrong.
	s2 := newStub(t)
	s2.set(func(s *stub) { s.policyStatus = http.StatusForbidden })
	c2 := s2.client(t, nil, nil)
	hd := eligible(t, c2, PlaneEntra, "Helpdesk Administrator · Paris")
	_, err = c2.Activate(context.Background(), ActivateRequest{Role: hd})
	var pe *Error
	if !errors.As(err, &pe) || pe.Kind != KindPolicy || pe.Asked != 8*time.Hour || pe.Max != 0 {
		t.Fatalf("err = %#v", err)
	}
	if want := "Helpdesk Administrator · Paris does not allow an activation of 8h (ExpirationRule)."; pe.Error() != want {
		t.Errorf("text %q, want %q", pe.Error(), want)
	}
	body = decodeBody(t, s2.Hits("POST", entraRequestsPath)[0])
	if d := get(body, "scheduleInfo.expiration.duration"); d != "PT8H" {
		t.Errorf("duration %v, want PT8H", d)
	}
}

func TestActivateAzureRefusalsWhenThePolicyIsUnreadable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		plane Plane
		label string
		req   ActivateRequest
		rules []string
		text  string
	}{
		{PlaneEntra, "Global Administrator", ActivateRequest{Duration: time.Hour}, []string{RuleJustification},
			"Global Administrator needs a justification (JustificationRule)."},
		{PlaneAzure, "Contributor · MySubscription", ActivateRequest{Duration: time.Hour, Justification: "deploy"}, []string{RuleTicketing},
			"Contributor · MySubscription needs a ticket number (TicketingRule)."},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			s := newStub(t)
			s.set(func(s *stub) { s.policyStatus = http.StatusForbidden })
			c := s.client(t, nil, nil)
			tt.req.Role = eligible(t, c, tt.plane, tt.label)
			_, err := c.Activate(context.Background(), tt.req)
			var pe *Error
			if !errors.As(err, &pe) || !errors.Is(err, ErrPolicy) || strings.Join(pe.Rules, ",") != strings.Join(tt.rules, ",") ||
				pe.Error() != tt.text || pe.StatusCode != 400 || pe.Code != "RoleAssignmentRequestPolicyValidationFailed" {
				t.Errorf("err = %#v (%v)", err, err)
			}
		})
	}
}

func TestActivateWithAuthenticationContextNeedsTheClaims(t *testing.T) {
	t.Parallel()
	s := newStub(t)
	c := s.client(t, nil, nil)
	role := eligible(t, c, PlaneEntra, "Exchange Administrator")
	_, err := c.Activate(context.Background(), ActivateRequest{Role: role, Justification: "mail flow", Duration: time.Hour})
	var pe *Error
	if !errors.As(err, &pe) || !errors.Is(err, ErrAuthContext) {
		t.Fatalf("err = %v", err)
	}
	if pe.Claims != `{"access_token":{"acrs":{"essential":true, "value":"c1"}}}` {
		t.Errorf("claims %q", pe.Claims)
	}
	if pe.Error() != "Exchange Administrator needs a fresh sign-in with authentication context c1." {
		t.Errorf("text %q", pe.Error())
	}
	// Signed in again with the claims (the auth package does that): the same click now works.
	a, err := c.Activate(WithClaims(context.Background(), pe.Claims), ActivateRequest{Role: role, Justification: "mail flow", Duration: time.Hour})
	if err != nil || a.Status != StatusActive {
		t.Fatalf("with claims: %+v %v", a, err)
	}
	var asked bool
	for _, tro := range c.cred.Calls() {
		asked = asked || tro.Claims == pe.Claims
	}
	if !asked {
		t.Errorf("the credential was never asked for the claims: %+v", c.cred.Calls())
	}
}

func TestActivateTwiceSaysAlreadyActive(t *testing.T) {
	t.Parallel()
	s := newStub(t)
	c := s.client(t, nil, nil)
	role := eligible(t, c, PlaneEntra, "Security Reader")
	if _, err := c.Activate(context.Background(), ActivateRequest{Role: role}); err != nil {
		t.Fatal(err)
	}
	_, err := c.Activate(context.Background(), ActivateRequest{Role: role})
	if !errors.Is(err, ErrAlreadyActive) || err.Error() != "Security Reader is already active." {
		t.Errorf("err = %v", err)
	}
}

func TestActivateEndedRequestIsAnError(t *testing.T) {
	t.Parallel()
	s := newStub(t)
	c := s.client(t, nil, nil)
	role := eligible(t, c, PlaneEntra, "Security Reader")
	s.fault(stubFault{method: "POST", path: entraRequestsPath, status: 201,
		body: `{"id":"r1","status":"Denied","action":"selfActivate","roleDefinitionId":"x","directoryScopeId":"/","scheduleInfo":null}`})
	_, err := c.Activate(context.Background(), ActivateRequest{Role: role})
	if err == nil || err.Error() != "Azure did not activate Security Reader: the request ended as Denied." {
		t.Errorf("err = %v", err)
	}
}

func TestActivateRefusesIncompleteRolesWithoutSending(t *testing.T) {
	t.Parallel()
	s := newStub(t)
	c := s.client(t, nil, nil)
	for _, r := range []Role{
		{Plane: PlaneAzure, RoleID: "x", RoleName: "Owner"},
		{Plane: PlaneGroup, Scope: "g", RoleName: "Member", ScopeName: "Team"},
		{Plane: "moon", RoleID: "x", Scope: "/"},
	} {
		if _, err := c.Activate(context.Background(), ActivateRequest{Role: r}); err == nil {
			t.Errorf("%+v: no error", r)
		}
	}
	if _, err := c.Activate(context.Background(), ActivateRequest{Role: Role{Plane: PlaneEntra, RoleID: "x"}, Duration: -time.Hour}); err == nil {
		t.Error("negative duration: no error")
	}
	if n := c.count.total(); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

func TestDeactivateEachPlane(t *testing.T) {
	t.Parallel()
	tests := []struct {
		plane  Plane
		label  string
		method string
		path   string
		want   map[string]any
	}{
		{PlaneEntra, "Security Reader", "POST", entraRequestsPath, map[string]any{"action": "selfDeactivate", "principalId": stubUser,
			"roleDefinitionId": "5d6b6bb7-de71-4623-b4af-96380a352509", "directoryScopeId": "/"}},
		{PlaneAzure, "Owner · IT", "PUT", "/managementGroups/IT/", map[string]any{"properties.requestType": "SelfDeactivate",
			"properties.principalId": stubUser, "properties.roleDefinitionId": "/providers/Microsoft.Management/managementGroups/IT/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635"}},
		{PlaneGroup, "Member · PIM-Admins", "POST", groupRequestsPath, map[string]any{"action": "selfDeactivate", "accessId": "member",
			"groupId": stubGroupA, "principalId": stubUser}},
	}
	for _, tt := range tests {
		t.Run(string(tt.plane), func(t *testing.T) {
			s := newStub(t)
			c := s.client(t, nil, nil)
			role := eligible(t, c, tt.plane, tt.label)

			// Not active: Azure does not know it.
			err := c.Deactivate(context.Background(), role)
			if !errors.Is(err, ErrNotFound) || !strings.HasPrefix(err.Error(), tt.label+" is not active") {
				t.Errorf("inactive: %v", err)
			}
			if _, err := c.Activate(context.Background(), ActivateRequest{Role: role, Justification: "x", TicketNumber: "1"}); err != nil {
				t.Fatal(err)
			}
			// Within 5 minutes: too short.
			s.advance(time.Minute)
			err = c.Deactivate(context.Background(), role)
			if !errors.Is(err, ErrTooShort) || err.Error() != tt.label+" cannot be deactivated within 5 minutes of its activation; try again in a few minutes." {
				t.Errorf("too short: %v", err)
			}
			s.advance(10 * time.Minute)
			if err := c.Deactivate(context.Background(), role); err != nil {
				t.Fatal(err)
			}
			hits := s.Hits(tt.method, tt.path)
			body := decodeBody(t, hits[len(hits)-1])
			for k, v := range tt.want {
				if got := get(body, k); got != v {
					t.Errorf("body %s = %#v, want %#v", k, got, v)
				}
			}
			if tt.plane == PlaneAzure {
				var names []string
				for _, h := range s.Hits("PUT", "") {
					names = append(names, lastSegment(h.Path))
				}
				if len(names) != 4 || names[1] == names[2] || names[2] == names[3] || !guidPath.MatchString(hits[len(hits)-1].Path) {
					t.Errorf("each ARM request needs its own GUID: %v", names)
				}
			}
			ov, err := c.Overview(context.Background(), tt.plane)
			if err != nil || len(ov.Active) != 0 {
				t.Errorf("after deactivation: %+v %v", ov.Active, err)
			}
		})
	}
}

func TestUnreadableGraphAnswerIsCheckedAgainstTheListing(t *testing.T) {
	t.Parallel()
	s := newStub(t)
	c := s.client(t, nil, nil)
	role := eligible(t, c, PlaneEntra, "Security Reader")
	// Azure answers 201 with garbage and did not activate: bad response, and nothing sent again.
	s.fault(stubFault{method: "POST", path: entraRequestsPath, status: 201, body: `{"id": 42`})
	_, err := c.Activate(context.Background(), ActivateRequest{Role: role})
	if !errors.Is(err, ErrBadResponse) || err.Error() != "Azure answered in a way pimtray could not read when trying to activate Security Reader." {
		t.Fatalf("err = %v", err)
	}
	if n := c.count.count("POST", entraRequestsPath); n != 1 {
		t.Errorf("%d POSTs", n)
	}
	// Azure did activate it (another client, say): the listing tells, and that is the answer.
	s.activate(s.role(PlaneEntra, "Security Reader", ""), stubEpoch, time.Hour)
	s.fault(stubFault{method: "POST", path: entraRequestsPath, status: 201, body: `{"id": 42`})
	a, err := c.Activate(context.Background(), ActivateRequest{Role: role})
	if err != nil || a.Status != StatusActive || !a.ExpiresAt.Equal(stubEpoch.Add(time.Hour)) {
		t.Errorf("%+v %v", a, err)
	}
}
