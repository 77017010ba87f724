package pim

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/pimtray/pimtray/internal/vectors"
)

// Every error body observed in the field (community/observed-errors.json) maps to its Kind with
// the details the Kind promises.
func TestObservedErrorsMapToKinds(t *testing.T) {
	t.Parallel()
	dir := vectors.Dir(t)
	data, err := os.ReadFile(filepath.Join(dir, "community", "observed-errors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Entries []struct {
			Surface string          `json:"surface"`
			Status  int             `json:"status"`
			Body    json.RawMessage `json:"body"`
		} `json:"entries"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	want := map[string]func(t *testing.T, e *Error){
		"RoleAssignmentRequestPolicyValidationFailed": func(t *testing.T, e *Error) {
			if e.Kind != KindPolicy || len(e.Rules) != 1 || !strings.HasSuffix(e.Rules[0], "Rule") || !strings.Contains(e.Message, e.Rules[0]) {
				t.Errorf("%+v", e)
			}
		},
		"ActiveDurationTooShort":      kindIs(KindTooShort),
		"RoleAssignmentExists":        kindIs(KindAlreadyActive),
		"RoleAssignmentRequestExists": kindIs(KindRequestExists),
		"RoleAssignmentDoesNotExist":  kindIs(KindNotFound),
		"RoleAssignmentRequestAcrsValidationFailed": func(t *testing.T, e *Error) {
			if e.Kind != KindAuthContext || e.Claims != `{"access_token":{"acrs":{"essential":true, "value":"c1"}}}` {
				t.Errorf("%+v", e)
			}
		},
		"PermissionScopeNotGranted": func(t *testing.T, e *Error) {
			if e.Kind != KindPermission || e.Permission != "PrivilegedAccess.Read.AzureADGroup, PrivilegedAccess.ReadWrite.AzureADGroup" {
				t.Errorf("%+v", e)
			}
		},
	}
	seen := map[string]bool{}
	var rules []string
	for _, entry := range file.Entries {
		e := decodeError(entry.Status, nil, entry.Body)
		check, ok := want[e.Code]
		if !ok {
			t.Errorf("%s: code %q (status %d) has no expected mapping", entry.Surface, e.Code, entry.Status)
			continue
		}
		seen[e.Code] = true
		rules = append(rules, e.Rules...)
		t.Run(e.Code, func(t *testing.T) {
			check(t, e)
			if e.StatusCode != entry.Status || !errors.Is(e, sentinelOf(e.Kind)) {
				t.Errorf("status %d kind %v", e.StatusCode, e.Kind)
			}
			assertSentence(t, e.Error())
		})
	}
	if len(seen) != len(want) {
		t.Errorf("codes seen %v, want all of %d", seen, len(want))
	}
	if got := strings.Join(rules, ","); got != "ExpirationRule,JustificationRule,MfaRule" {
		t.Errorf("rules from both message forms: %s", got)
	}
}

func kindIs(k Kind) func(*testing.T, *Error) {
	return func(t *testing.T, e *Error) {
		t.Helper()
		if e.Kind != k {
			t.Errorf("kind %v, want %v (%+v)", e.Kind, k, e)
		}
	}
}

func sentinelOf(k Kind) error {
	if k == KindOther {
		return nil
	}
	return k
}

// The sentinels are constants: an *Error matches its own kind's sentinel through any wrapping,
// and no other; KindOther matches nothing.
func TestSentinelsMatchTheirKindOnly(t *testing.T) {
	t.Parallel()
	all := []Kind{ErrAlreadyActive, ErrRequestExists, ErrPolicy, ErrAuthContext, ErrTooShort, ErrNotFound,
		ErrThrottled, ErrPermission, ErrSignInNeeded, ErrBadResponse, ErrUnavailable}
	for _, k := range all {
		err := fmt.Errorf("activate Owner: %w", &Error{Kind: k, Text: "refused"})
		for _, other := range all {
			if got := errors.Is(err, other); got != (other == k) {
				t.Errorf("errors.Is(%v error, %v) = %v", k, other, got)
			}
		}
		if k.Error() == "" || k.Error() == KindOther.Error() {
			t.Errorf("kind %d has no sentence of its own: %q", k, k.Error())
		}
	}
	if errors.Is(&Error{Kind: KindOther}, KindOther) {
		t.Error("KindOther matched as a sentinel")
	}
}

// assertSentence: one human sentence, no raw payload.
func assertSentence(t *testing.T, s string) {
	t.Helper()
	if s == "" || strings.ContainsAny(s, "\n{}") || !strings.HasSuffix(s, ".") || strings.ToUpper(s[:1]) != s[:1] {
		t.Errorf("not one clean sentence: %q", s)
	}
}

func TestDecodeErrorDetails(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		header http.Header
		body   string
		check  func(*Error) bool
	}{
		{"old rule form, several", 400, nil, `{"error":{"code":"RoleAssignmentRequestPolicyValidationFailed","message":"The following policy rules failed: [\"JustificationRule\",\"TicketingRule\"]"}}`,
			func(e *Error) bool { return strings.Join(e.Rules, ",") == "JustificationRule,TicketingRule" }},
		{"new rule form", 400, nil, `{"error":{"code":"RoleAssignmentRequestPolicyValidationFailed","message":"The following policy rules failed: TicketingRule - Ticket is required"}}`,
			func(e *Error) bool { return strings.Join(e.Rules, ",") == "TicketingRule" }},
		{"graph inner error", 400, nil, `{"error":{"code":"RoleAssignmentExists","message":"The Role assignment already exists.","innerError":{"date":"2024-01-01T00:00:00","request-id":"x"}}}`,
			func(e *Error) bool { return e.Kind == KindAlreadyActive }},
		{"acrs with words before", 400, nil, `{"error":{"code":"RoleAssignmentRequestAcrsValidationFailed","message":"Authentication context required &claims=%7B%22access_token%22%3A%7B%22acrs%22%3A%7B%22essential%22%3Atrue%2C%22value%22%3A%22c2%22%7D%7D%7D&foo=bar"}}`,
			func(e *Error) bool {
				return e.Kind == KindAuthContext && e.Claims == `{"access_token":{"acrs":{"essential":true,"value":"c2"}}}`
			}},
		{"401 claims challenge", 401, http.Header{"Www-Authenticate": {`Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="insufficient_claims", claims="` +
			base64.StdEncoding.EncodeToString([]byte(`{"access_token":{"acrs":{"essential":true,"value":"c1"}}}`)) + `"`}}, ``,
			func(e *Error) bool { return e.Kind == KindAuthContext && authContextValue(e.Claims) == "c1" }},
		{"429 seconds", 429, http.Header{"Retry-After": {"7"}}, `{"error":{"code":"TooManyRequests","message":"slow"}}`,
			func(e *Error) bool { return e.Kind == KindThrottled && e.RetryAfter == 7*time.Second }},
		{"429 ms", 429, http.Header{"Retry-After-Ms": {"1500"}}, ``,
			func(e *Error) bool { return e.Kind == KindThrottled && e.RetryAfter == 1500*time.Millisecond }},
		{"403 graph denied", 403, nil, `{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation."}}`,
			func(e *Error) bool { return e.Kind == KindPermission && e.Permission == "" }},
		{"403 arm", 403, nil, `{"error":{"code":"AuthorizationFailed","message":"The client 'x' with object id 'y' does not have authorization to perform action 'Microsoft.Authorization/roleManagementPolicyAssignments/read' over scope '/subscriptions/z' or the scope is invalid."}}`,
			func(e *Error) bool {
				return e.Kind == KindPermission && e.Permission == "Microsoft.Authorization/roleManagementPolicyAssignments/read"
			}},
		{"PermissionScopeNotGranted at 400", 400, nil, `{"error":{"code":"PermissionScopeNotGranted","message":"Authorization failed due to missing permission scope RoleAssignmentSchedule.ReadWrite.Directory."}}`,
			func(e *Error) bool {
				return e.Kind == KindPermission && e.Permission == "RoleAssignmentSchedule.ReadWrite.Directory"
			}},
		{"html from a proxy", 502, nil, `<html>Bad gateway</html>`, func(e *Error) bool { return e.Kind == KindUnavailable }},
		{"401 plain", 401, nil, `{"error":{"code":"InvalidAuthenticationToken","message":"The access token is invalid."}}`,
			func(e *Error) bool { return e.Kind == KindSignInNeeded }},
		{"unknown 400", 400, nil, `{"error":{"code":"InvalidRoleDefinition","message":"Whatever."}}`,
			func(e *Error) bool { return e.Kind == KindOther && e.Code == "InvalidRoleDefinition" }},
		{"empty", 400, nil, ``, func(e *Error) bool { return e.Kind == KindOther }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := decodeError(tt.status, tt.header, []byte(tt.body))
			if !tt.check(e) {
				t.Errorf("%+v", e)
			}
			assertSentence(t, e.Error())
		})
	}
}

// Every error kind, as the client returns it for a click, with its sentence naming the role.
func TestErrorKindsForPeople(t *testing.T) {
	t.Parallel()
	jsonErr := func(code, msg string) string {
		b, _ := json.Marshal(map[string]any{"error": map[string]any{"code": code, "message": msg}})
		return string(b)
	}
	claims := `{"access_token":{"acrs":{"essential":true,"value":"c1"}}}`
	tests := []struct {
		name  string
		fault stubFault
		cred  *staticCred
		kind  Kind
		text  string
		check func(*Error) bool
	}{
		{name: "already active", fault: stubFault{status: 400, body: jsonErr("RoleAssignmentExists", "The Role assignment already exists.")},
			kind: KindAlreadyActive, text: "Contributor · MySubscription is already active."},
		{name: "request exists", fault: stubFault{status: 400, body: jsonErr("RoleAssignmentRequestExists", "<unknown>")},
			kind: KindRequestExists, text: "Contributor · MySubscription already has an open request; wait for it or cancel it first."},
		{name: "ticket", fault: stubFault{status: 400, body: jsonErr("RoleAssignmentRequestPolicyValidationFailed", `The following policy rules failed: ["TicketingRule"]`)},
			kind: KindPolicy, text: "Contributor · MySubscription needs a ticket number (TicketingRule)."},
		{name: "mfa", fault: stubFault{status: 400, body: jsonErr("RoleAssignmentRequestPolicyValidationFailed", `The following policy rules failed: ["MfaRule"]`)},
			kind: KindPolicy, text: "Contributor · MySubscription needs multi-factor authentication (MfaRule)."},
		{name: "expiration", fault: stubFault{status: 400, body: jsonErr("RoleAssignmentRequestPolicyValidationFailed", `The following policy rules failed: ["ExpirationRule"]`)},
			kind: KindPolicy, text: "Contributor · MySubscription does not allow an activation of 3h (ExpirationRule)."},
		{name: "auth context", fault: stubFault{status: 400, body: jsonErr("RoleAssignmentRequestAcrsValidationFailed", "&claims=%7B%22access_token%22%3A%7B%22acrs%22%3A%7B%22essential%22%3Atrue%2C%22value%22%3A%22c1%22%7D%7D%7D")},
			kind: KindAuthContext, text: "Contributor · MySubscription needs a fresh sign-in with authentication context c1.",
			check: func(e *Error) bool { return e.Claims == claims }},
		{name: "not found", fault: stubFault{status: 400, body: jsonErr("RoleAssignmentDoesNotExist", "The Role assignment does not exist.")},
			kind: KindNotFound, text: "Azure found no eligibility to activate Contributor · MySubscription."},
		{name: "throttled", fault: stubFault{status: 429, header: http.Header{"Retry-After": {"90"}}, body: jsonErr("TooManyRequests", "slow")},
			kind: KindThrottled, text: "Azure is throttling requests; try Contributor · MySubscription again in 1m 30s.",
			check: func(e *Error) bool { return e.RetryAfter == 90*time.Second }},
		{name: "permission", fault: stubFault{status: 403, body: jsonErr("AuthorizationFailed", "The client 'a' with object id 'b' does not have authorization to perform action 'Microsoft.Authorization/roleAssignmentScheduleRequests/write' over scope 'c'.")},
			kind: KindPermission, text: "Azure refused to let pimtray activate Contributor · MySubscription: the permission Microsoft.Authorization/roleAssignmentScheduleRequests/write is missing (an administrator must grant or consent to it)."},
		{name: "unreadable", fault: stubFault{status: 201, body: `{"properties": "not an object"`},
			kind: KindBadResponse, text: "Azure answered in a way pimtray could not read when trying to activate Contributor · MySubscription."},
		{name: "5xx after retries", fault: stubFault{status: 500, times: 3, body: jsonErr("InternalServerError", "oops")},
			kind: KindUnavailable, text: "Azure failed to activate Contributor · MySubscription (HTTP 500); try again later.",
			check: func(e *Error) bool { return e.StatusCode == 500 }},
		{name: "claims challenge the credential cannot meet", fault: stubFault{status: 401, header: http.Header{"Www-Authenticate": {
			`Bearer error="insufficient_claims", claims="` + base64.StdEncoding.EncodeToString([]byte(claims)) + `"`}}},
			cred: &staticCred{fail: func(tro policy.TokenRequestOptions) error {
				if tro.Claims != "" {
					return &Error{Kind: KindSignInNeeded, Text: "Sign in to continue."}
				}
				return nil
			}},
			kind: KindAuthContext, text: "Contributor · MySubscription needs a fresh sign-in with authentication context c1.",
			check: func(e *Error) bool {
				return e.Claims == claims && !errors.Is(e, ErrSignInNeeded) && e.StatusCode == 401
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStub(t)
			s.set(func(s *stub) { s.policyStatus = http.StatusForbidden })
			c := s.client(t, tt.cred, nil)
			role := eligible(t, c, PlaneAzure, "Contributor · MySubscription")
			tt.fault.method, tt.fault.path = "PUT", "/roleAssignmentScheduleRequests/"
			s.fault(tt.fault)
			_, err := c.Activate(context.Background(), ActivateRequest{Role: role, Justification: "x", TicketNumber: "1", Duration: 3 * time.Hour})
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("err = %#v", err)
			}
			if pe.Kind != tt.kind || !errors.Is(err, sentinelOf(tt.kind)) || pe.Error() != tt.text || (tt.check != nil && !tt.check(pe)) {
				t.Errorf("got kind %v %+v\n text %q\n want %v %q", pe.Kind, pe, pe.Error(), tt.kind, tt.text)
			}
			assertSentence(t, pe.Error())
		})
	}
}

func TestTokenFailuresPassThroughUnchanged(t *testing.T) {
	t.Parallel()
	s := newStub(t)
	signIn := &Error{Kind: KindSignInNeeded, Text: "Sign in to Contoso to continue."}
	c := s.client(t, &staticCred{err: signIn}, nil)
	ov, err := c.Overview(context.Background())
	if err != signIn {
		t.Fatalf("err = %#v, want the credential's own error", err)
	}
	for p, e := range ov.Errors {
		if e != signIn {
			t.Errorf("%s: %#v", p, e)
		}
	}
	if _, err := c.Activate(context.Background(), ActivateRequest{Role: Role{Plane: PlaneEntra, RoleID: "x", RoleName: "X"}}); err != signIn {
		t.Errorf("activate: %#v", err)
	}
	if n := len(s.Hits("", "")); n != 0 {
		t.Errorf("%d requests reached Azure without a token", n)
	}

	// Any other token failure is "sign-in needed", with the cause kept.
	cause := fmt.Errorf("AADSTS700082: the refresh token has expired")
	c2 := s.client(t, &staticCred{err: cause}, nil)
	_, err = c2.Overview(context.Background(), PlaneAzure)
	var pe *Error
	if !errors.As(err, &pe) || pe.Kind != KindSignInNeeded || !errors.Is(err, cause) {
		t.Fatalf("err = %#v", err)
	}
	assertSentence(t, pe.Error())
}

func TestCanceledContextIsNotAzuresFault(t *testing.T) {
	t.Parallel()
	s := newStub(t)
	c := s.client(t, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.Overview(ctx, PlaneAzure)
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v", err)
	}
}
