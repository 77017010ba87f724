package fakeazure

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
)

func TestCredentialHonoursClaimsAndAudience(t *testing.T) {
	t.Parallel()
	s, _ := start(t, Options{})
	ctx := context.Background()
	claims := acrsClaims("c1")
	tok, err := s.Credential(DemoTenantID).GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{ARMResource + "/.default"}, Claims: claims, EnableCAE: true})
	if err != nil {
		t.Fatal(err)
	}
	c := jwtClaims(t, tok.Token)
	if c["aud"] != ARMResource || c["scp"] != "user_impersonation" || c["acrs"].([]any)[0] != "c1" || c["xms_cc"].([]any)[0] != "CP1" {
		t.Errorf("claims %v", c)
	}
	if time.Until(tok.ExpiresOn) < 30*time.Minute {
		t.Errorf("ExpiresOn %v is not on the real clock", tok.ExpiresOn)
	}
	tok, _ = s.CredentialWithOptions(DemoTenantID, CredentialOptions{IgnoreClaims: true, WithoutMFA: true}).
		GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{GraphResource + "/.default"}, Claims: claims})
	c = jwtClaims(t, tok.Token)
	if _, ok := c["acrs"]; ok || len(c["amr"].([]any)) != 1 {
		t.Errorf("IgnoreClaims/WithoutMFA token %v", c)
	}
	if _, err := s.Credential("no-such-tenant").GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{GraphResource + "/.default"}}); err == nil {
		t.Error("a credential of an unknown tenant minted a token")
	}
	if _, err := s.Credential(DemoTenantID).GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{GraphResource + "/.default", ARMResource + "/.default"}}); err == nil {
		t.Error("a token for two resources at once")
	}
}

func TestClientCapabilityCP1IsNotAChallenge(t *testing.T) {
	t.Parallel()
	s, _ := start(t, Options{})
	c := msalClient(t, s, DemoTenantID, public.WithClientCapabilities([]string{"CP1"}))
	res := signIn(t, s, c, graphScopes)
	arm, err := c.AcquireTokenSilent(ctxT(t), armScopes, public.WithSilentAccount(res.Account))
	if err != nil {
		t.Fatalf("silent with CP1 capability: %v", err)
	}
	if cc, _ := jwtClaims(t, arm.AccessToken)["xms_cc"].([]any); len(cc) != 1 || cc[0] != "CP1" {
		t.Errorf("xms_cc = %v", cc)
	}
}

func TestPasswordOnlySignInThenMFAStepUp(t *testing.T) {
	t.Parallel()
	tenant := Demo()
	tenant.PasswordOnlySignIn = true
	s, _ := start(t, Options{Tenants: []*Tenant{tenant}})
	c := msalClient(t, s, DemoTenantID)
	res := signIn(t, s, c, graphScopes)
	if amr := jwtClaims(t, res.AccessToken)["amr"].([]any); len(amr) != 1 || amr[0] != "pwd" {
		t.Fatalf("password-only amr %v", amr)
	}
	r := call(t, s, "POST", entraRequests, res.AccessToken, entraActivation(RoleGlobalAdministrator, "why", "PT1H"))
	if _, msg := r.errCode(t); !strings.Contains(msg, "MfaRule") {
		t.Fatalf("GA without MFA: %d %s", r.status, r.body)
	}
	mfa := `{"access_token":{"amr":{"essential":true,"values":["mfa"]}}}`
	if _, err := c.AcquireTokenSilent(ctxT(t), graphScopes, public.WithSilentAccount(res.Account), public.WithClaims(mfa)); err == nil ||
		!strings.Contains(err.Error(), "interaction_required") {
		t.Fatalf("silent MFA step-up: %v", err)
	}
	stepped := signIn(t, s, c, graphScopes, public.WithClaims(mfa))
	if r := call(t, s, "POST", entraRequests, stepped.AccessToken, entraActivation(RoleGlobalAdministrator, "why", "PT1H")); r.status != 201 {
		t.Fatalf("GA after MFA step-up: %d %s", r.status, r.body)
	}
}

func TestAdministrativeUnitScopedRole(t *testing.T) {
	t.Parallel()
	au := "8a7b6c5d-4e3f-4a2b-9c1d-0e9f8a7b6c5d"
	tenant := NewTenant("e1d2c3b4-a5f6-4789-8a0b-1c2d3e4f5a6b", "Tailspin", User{ID: "f0e1d2c3-b4a5-4697-8a8b-9c0d1e2f3a4b", UPN: "it@tailspin.example", DisplayName: "IT Desk"}).
		AddEntraRole(EntraRole{RoleDefinitionID: RoleUserAdministrator, Name: "User Administrator",
			DirectoryScopeID: "/administrativeUnits/" + au, ScopeName: "Europe"})
	s, _ := start(t, Options{Tenants: []*Tenant{tenant}})
	tok := tokenFor(t, s, tenant.ID, GraphResource, CredentialOptions{})
	items, _ := listAll(t, s, s.URL+entraEligible, tok)
	if len(items) != 1 || items[0]["directoryScopeId"] != "/administrativeUnits/"+au {
		t.Fatalf("AU eligibility %v", items)
	}
	unit := call(t, s, "GET", graphBase+"/directory/administrativeUnits/"+au+"?$select=displayName", tok, nil).json(t)
	if unit["displayName"] != "Europe" {
		t.Errorf("administrative unit %v", unit)
	}
	body := map[string]any{"action": "selfActivate", "principalId": tenant.User.ID, "roleDefinitionId": RoleUserAdministrator,
		"directoryScopeId": "/administrativeUnits/" + au, "scheduleInfo": map[string]any{"expiration": map[string]any{"type": "afterDuration", "duration": "PT1H"}}}
	if r := call(t, s, "POST", entraRequests, tok, body); r.status != 201 {
		t.Fatalf("activate at the AU: %d %s", r.status, r.body)
	}
	body["directoryScopeId"] = "/"
	body["scheduleInfo"] = map[string]any{"expiration": map[string]any{"type": "afterDuration", "duration": "PT1H"}}
	if r := call(t, s, "POST", entraRequests, tok, body); r.status != 400 {
		t.Fatalf("the same role tenant-wide (not eligible): %d", r.status)
	}
}

// A response lost after the fake made the activation: the client times out, and the activation
// exists all the same (what a client must check before sending again).
func TestHangAfterHandlingLosesTheAnswerNotTheActivation(t *testing.T) {
	t.Parallel()
	s, _ := start(t, Options{})
	tok := tokenFor(t, s, DemoTenantID, GraphResource, CredentialOptions{})
	s.InjectFault(Fault{Kind: FaultHangAfterHandling, Method: "POST", Count: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", s.URL+entraRequests, strings.NewReader(`{"action":"selfActivate","principalId":"`+DemoUserID+
		`","roleDefinitionId":"`+RoleSecurityReader+`","directoryScopeId":"/","scheduleInfo":{"expiration":{"type":"afterDuration","duration":"PT1H"}}}`))
	req.Header.Set("Authorization", "Bearer "+tok)
	if resp, err := s.HTTPClient().Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("an answer came back: %d %v", resp.StatusCode, s.Requests())
	}
	if n := len(s.Activations(DemoTenantID)); n != 1 {
		t.Fatalf("activations = %d, want 1", n)
	}
	pending, _ := listAll(t, s, s.URL+entraRequests+fbcu, tok)
	if len(pending) != 1 || pending[0]["status"] != "Provisioned" {
		t.Fatalf("requests after the lost answer: %v", pending)
	}
}

// The fake's own debug log never carries a secret, through a whole sign-in and PIM flow.
func TestDebugLogCarriesNoSecret(t *testing.T) {
	t.Parallel()
	var buf syncBuffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, _ := start(t, Options{Log: log})
	c := msalClient(t, s, DemoTenantID)
	res := signIn(t, s, c, graphScopes)
	if _, err := c.AcquireTokenSilent(ctxT(t), armScopes, public.WithSilentAccount(res.Account)); err != nil {
		t.Fatal(err)
	}
	call(t, s, "POST", entraRequests, res.AccessToken, entraActivation(RoleSecurityReader, "", "PT1H"))
	out := buf.String()
	if !strings.Contains(out, "fakeazure request") {
		t.Fatalf("no debug lines: %q", out)
	}
	if strings.Contains(out, SecretMarker) {
		t.Fatal("the debug log carries a secret")
	}
	for _, e := range s.Requests() {
		if strings.Contains(e.Body+e.Query+e.Path, SecretMarker) {
			t.Errorf("request log entry %s %s carries a secret", e.Method, e.Path)
		}
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestDurationsAndFilters(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]time.Duration{"PT8H": 8 * time.Hour, "PT1H30M": 90 * time.Minute, "P1D": 24 * time.Hour,
		"P1DT2H": 26 * time.Hour, "PT90S": 90 * time.Second, "pt5m": 5 * time.Minute, "PT0.5H": 30 * time.Minute} {
		if got, err := parseISODuration(in); err != nil || got != want {
			t.Errorf("parseISODuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "8h", "P", "PT", "P1H", "PT1D", "PTH", "P1M"} {
		if _, err := parseISODuration(bad); err == nil {
			t.Errorf("parseISODuration(%q) accepted", bad)
		}
	}
	for d, want := range map[time.Duration]string{8 * time.Hour: "PT8H", 90 * time.Minute: "PT1H30M", 26 * time.Hour: "P1DT2H", 0: "PT0S"} {
		if got := isoDuration(d); got != want {
			t.Errorf("isoDuration(%v) = %q, want %q", d, got, want)
		}
	}
	f, err := parseFilter("status eq 'PendingApproval' or status eq 'Granted' and action eq 'selfActivate'")
	if err != nil {
		t.Fatal(err)
	}
	for item, want := range map[*obj]bool{
		{"status": "PendingApproval", "action": "selfDeactivate"}: true,
		{"status": "Granted", "action": "selfActivate"}:           true,
		{"status": "Granted", "action": "selfDeactivate"}:         false,
	} {
		if got, err := f.match(*item); err != nil || got != want {
			t.Errorf("match %v = %v, %v", *item, got, err)
		}
	}
	if _, err := parseFilter("status gt 3"); err == nil {
		t.Error("unsupported operator accepted")
	}
	f, _ = parseFilter("name eq 'O''Brien and sons'")
	if f.value("name") != "O'Brien and sons" {
		t.Errorf("quoted value %q", f.value("name"))
	}
}

// Answers are dated by the fake's clock, not the machine's, as Azure dates them by its own:
// the pim client learns the offset between the two from the Date header.
func TestAnswersAreDatedByTheFakesClock(t *testing.T) {
	t.Parallel()
	s, clock := start(t, Options{})
	tok := tokenFor(t, s, DemoTenantID, ARMResource, CredentialOptions{})
	for _, step := range []time.Duration{0, 90 * time.Minute} {
		clock.Advance(step)
		r := call(t, s, "GET", armURL("", "roleEligibilityScheduleInstances?$filter=asTarget()"), tok, nil)
		got, err := http.ParseTime(r.header.Get("Date"))
		if err != nil || !got.Equal(clock.Now().Truncate(time.Second)) {
			t.Fatalf("Date %q (%v), want the fake's now %v", r.header.Get("Date"), err, clock.Now())
		}
	}
}
