package fakeazure

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"html"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"

	"github.com/pimtray/pimtray/internal/testkit/porttest"
)

const testClientID = "1f2d3c4b-5a69-4788-9a0b-c1d2e3f4a5b6"

var (
	graphScopes = []string{GraphResource + "/.default"}
	armScopes   = []string{ARMResource + "/.default"}
)

// msalClient is MSAL Go's public client pointed at the fake, as pim/auth will build it.
func msalClient(t *testing.T, s *Server, tenantID string, opts ...public.Option) public.Client {
	t.Helper()
	opts = append([]public.Option{public.WithAuthority(s.Authority(tenantID)), public.WithHTTPClient(s.HTTPClient()),
		public.WithInstanceDiscovery(false)}, opts...)
	c, err := public.New(testClientID, opts...)
	if err != nil {
		t.Fatalf("public.New: %v", err)
	}
	return c
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// signIn runs MSAL's interactive sign-in with the fake's browser.
func signIn(t *testing.T, s *Server, c public.Client, scopes []string, opts ...public.AcquireInteractiveOption) public.AuthResult {
	t.Helper()
	opts = append([]public.AcquireInteractiveOption{public.WithOpenURL(s.Browser())}, opts...)
	res, err := c.AcquireTokenInteractive(ctxT(t), scopes, opts...)
	if err != nil {
		t.Fatalf("AcquireTokenInteractive: %v", err)
	}
	return res
}

func TestFirstSignInWithBrowserThenSilentGraphAndARM(t *testing.T) {
	t.Parallel()
	s, _ := start(t, Options{})
	c := msalClient(t, s, DemoTenantID)

	res := signIn(t, s, c, graphScopes)
	if res.Account.PreferredUsername != DemoUserUPN {
		t.Errorf("account = %q, want %q", res.Account.PreferredUsername, DemoUserUPN)
	}
	if want := DemoUserID + "." + DemoTenantID; res.Account.HomeAccountID != want {
		t.Errorf("home account id = %q, want %q (client_info)", res.Account.HomeAccountID, want)
	}
	claims := jwtClaims(t, res.AccessToken)
	if claims["aud"] != GraphResource || claims["tid"] != DemoTenantID || claims["oid"] != DemoUserID || claims["upn"] != DemoUserUPN {
		t.Errorf("graph token claims aud=%v tid=%v oid=%v upn=%v", claims["aud"], claims["tid"], claims["oid"], claims["upn"])
	}
	if scp, _ := claims["scp"].(string); !strings.Contains(scp, "RoleEligibilitySchedule.Read.Directory") {
		t.Errorf("scp = %q, want the consented PIM permissions", scp)
	}
	if amr := claims["amr"].([]any); len(amr) != 2 || amr[1] != "mfa" {
		t.Errorf("amr = %v, want [pwd mfa]", amr)
	}

	// The Graph token works on Graph and is refused on ARM.
	if r := call(t, s, "GET", graphBase+"/me", res.AccessToken, nil); r.status != 200 {
		t.Fatalf("GET /me with the signed-in token: %d %s", r.status, r.body)
	}
	if r := call(t, s, "GET", armURL("", "roleEligibilityScheduleInstances?$filter=asTarget()"), res.AccessToken, nil); r.status != 401 {
		t.Fatalf("a Graph token on ARM: %d, want 401", r.status)
	}

	// ARM from the same sign-in: silent, through the refresh token, no second browser trip.
	s.ResetLog()
	arm, err := c.AcquireTokenSilent(ctxT(t), armScopes, public.WithSilentAccount(res.Account))
	if err != nil {
		t.Fatalf("silent ARM token: %v", err)
	}
	if aud := jwtClaims(t, arm.AccessToken)["aud"]; aud != ARMResource {
		t.Errorf("ARM token aud = %v", aud)
	}
	for _, r := range s.Requests() {
		if strings.HasSuffix(r.Path, "/authorize") {
			t.Errorf("silent token went through /authorize")
		}
	}
	if r := call(t, s, "GET", armURL("", "roleEligibilityScheduleInstances?$filter=asTarget()"), arm.AccessToken, nil); r.status != 200 {
		t.Fatalf("ARM token on ARM: %d %s", r.status, r.body)
	}
}

func TestAuthorizeChecksPKCE(t *testing.T) {
	t.Parallel()
	s, _ := start(t, Options{})
	// A hand-made code flow: the verifier sent to /token must hash to the challenge.
	verifier := "a-verifier-that-is-long-enough-for-pkce-0123456789"
	challenge := pkceChallenge(verifier)
	code := authorizeCode(t, s, DemoTenantID, challenge)

	tokenURL := s.URL + "/" + DemoTenantID + "/oauth2/v2.0/token"
	form := url.Values{"grant_type": {"authorization_code"}, "client_id": {testClientID}, "code": {code},
		"redirect_uri": {"http://localhost:1234"}, "scope": {GraphResource + "/.default openid offline_access profile"},
		"code_verifier": {"the-wrong-verifier"}}
	r := postForm(t, s, tokenURL, form)
	if r.status != 400 || !strings.Contains(string(r.body), "AADSTS501481") {
		t.Fatalf("wrong verifier: %d %s", r.status, r.body)
	}
	// A failed verifier does not spend the code: the right one still redeems it.
	form.Set("code_verifier", verifier)
	r = postForm(t, s, tokenURL, form)
	if r.status != 200 {
		t.Fatalf("right verifier: %d %s", r.status, r.body)
	}
	m := r.json(t)
	for _, k := range []string{"access_token", "refresh_token", "id_token", "client_info", "expires_in", "scope", "token_type"} {
		if m[k] == nil {
			t.Errorf("token response lacks %s", k)
		}
	}
	// A code works once.
	r = postForm(t, s, tokenURL, form)
	if r.status != 400 || !strings.Contains(string(r.body), "AADSTS54005") {
		t.Fatalf("code redeemed twice: %d %s", r.status, r.body)
	}
}

func TestRefreshTokenRotation(t *testing.T) {
	t.Parallel()
	s, clock := start(t, Options{RefreshTokenGrace: time.Minute})
	code := authorizeCode(t, s, DemoTenantID, pkceChallenge("v-0123456789012345678901234567890123456789"))
	tokenURL := s.URL + "/" + DemoTenantID + "/oauth2/v2.0/token"
	r := postForm(t, s, tokenURL, url.Values{"grant_type": {"authorization_code"}, "client_id": {testClientID}, "code": {code},
		"redirect_uri": {"http://localhost:1234"}, "scope": {GraphResource + "/.default offline_access"},
		"code_verifier": {"v-0123456789012345678901234567890123456789"}})
	if r.status != 200 {
		t.Fatalf("code: %d %s", r.status, r.body)
	}
	rt1 := r.json(t)["refresh_token"].(string)
	refresh := func(rt, scope string) reply {
		return postForm(t, s, tokenURL, url.Values{"grant_type": {"refresh_token"}, "client_id": {testClientID},
			"refresh_token": {rt}, "scope": {scope + " offline_access"}})
	}
	r = refresh(rt1, ARMResource+"/.default")
	if r.status != 200 {
		t.Fatalf("first refresh: %d %s", r.status, r.body)
	}
	rt2 := r.json(t)["refresh_token"].(string)
	if rt2 == rt1 {
		t.Fatal("refresh token not rotated")
	}
	// A racing second use within the grace period still works (MSAL may refresh Graph and ARM at once).
	if r := refresh(rt1, GraphResource+"/.default"); r.status != 200 {
		t.Fatalf("reuse within grace: %d %s", r.status, r.body)
	}
	clock.Advance(2 * time.Minute)
	if r := refresh(rt1, GraphResource+"/.default"); r.status != 400 || !strings.Contains(string(r.body), `"invalid_grant"`) {
		t.Fatalf("reuse after grace: %d %s, want invalid_grant", r.status, r.body)
	}
	if r := refresh(rt2, GraphResource+"/.default"); r.status != 200 {
		t.Fatalf("the rotated token: %d %s", r.status, r.body)
	}
	// A refresh token of another client is refused.
	r = postForm(t, s, tokenURL, url.Values{"grant_type": {"refresh_token"}, "client_id": {AzureCLIClientID},
		"refresh_token": {rt2}, "scope": {ARMResource + "/.default"}})
	if r.status != 400 {
		t.Fatalf("another client's refresh token: %d", r.status)
	}
}

func TestSilentWithClaimsNeedsInteractionThenStepUpCarriesACRS(t *testing.T) {
	t.Parallel()
	s, _ := start(t, Options{})
	c := msalClient(t, s, DemoTenantID)
	res := signIn(t, s, c, graphScopes)
	if _, ok := jwtClaims(t, res.AccessToken)["acrs"]; ok {
		t.Fatal("a plain sign-in's token carries acrs")
	}
	claims := acrsClaims("c1")

	_, err := c.AcquireTokenSilent(ctxT(t), graphScopes, public.WithSilentAccount(res.Account), public.WithClaims(claims))
	if err == nil || !strings.Contains(err.Error(), "interaction_required") || !strings.Contains(err.Error(), "AADSTS50076") {
		t.Fatalf("silent with an unmet claims challenge: %v, want interaction_required", err)
	}

	stepped := signIn(t, s, c, graphScopes, public.WithClaims(claims))
	acrs, _ := jwtClaims(t, stepped.AccessToken)["acrs"].([]any)
	if len(acrs) != 1 || acrs[0] != "c1" {
		t.Fatalf("step-up token acrs = %v, want [c1]", acrs)
	}
	// The stepped-up session now satisfies the same claims silently.
	if _, err := c.AcquireTokenSilent(ctxT(t), armScopes, public.WithSilentAccount(stepped.Account), public.WithClaims(claims)); err != nil {
		t.Fatalf("silent with claims after step-up: %v", err)
	}
}

func TestRevokedRefreshTokenIsInvalidGrant(t *testing.T) {
	t.Parallel()
	s, _ := start(t, Options{})
	c := msalClient(t, s, DemoTenantID)
	res := signIn(t, s, c, graphScopes)
	s.RevokeRefreshTokens(DemoTenantID)
	_, err := c.AcquireTokenSilent(ctxT(t), armScopes, public.WithSilentAccount(res.Account))
	if err == nil || !strings.Contains(err.Error(), "invalid_grant") || !strings.Contains(err.Error(), "AADSTS50173") {
		t.Fatalf("silent after revocation: %v, want invalid_grant AADSTS50173", err)
	}
	// A fresh sign-in works again.
	signIn(t, s, c, armScopes)
}

func TestDeviceCode(t *testing.T) {
	t.Parallel()
	s, _ := start(t, Options{})
	c := msalClient(t, s, DemoTenantID)
	dc, err := c.AcquireTokenByDeviceCode(ctxT(t), graphScopes)
	if err != nil {
		t.Fatalf("device code: %v", err)
	}
	if !strings.Contains(dc.Result.Message, dc.Result.UserCode) || strings.Contains(dc.Result.Message, SecretMarker) {
		t.Errorf("device code message %q", dc.Result.Message)
	}
	if got := s.PendingUserCodes(); len(got) != 1 || got[0] != dc.Result.UserCode {
		t.Fatalf("pending user codes = %v", got)
	}
	done := make(chan error, 1)
	var res public.AuthResult
	go func() {
		var err error
		res, err = dc.AuthenticationResult(ctxT(t))
		done <- err
	}()
	// Polling sees authorization_pending until the user confirms.
	deadline := time.Now().Add(5 * time.Second)
	for countPath(s, "/oauth2/v2.0/token") < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	select {
	case err := <-done:
		t.Fatalf("device code finished before confirmation: %v", err)
	default:
	}
	if err := s.ConfirmDeviceCode("nope"); err == nil {
		t.Error("an unknown user code was confirmed")
	}
	if err := s.ConfirmDeviceCode(dc.Result.UserCode); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("device code token: %v", err)
	}
	if res.Account.PreferredUsername != DemoUserUPN {
		t.Errorf("device code account %q", res.Account.PreferredUsername)
	}
	pending := 0
	for _, r := range s.Requests() {
		if strings.HasSuffix(r.Path, "/token") && r.Status == 400 {
			pending++
		}
	}
	if pending == 0 {
		t.Error("no authorization_pending answer before the confirmation")
	}
}

func TestDeviceCodeAutoConfirm(t *testing.T) {
	t.Parallel()
	s, _ := start(t, Options{AutoConfirmDeviceCode: true})
	c := msalClient(t, s, DemoTenantID)
	dc, err := c.AcquireTokenByDeviceCode(ctxT(t), armScopes)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dc.AuthenticationResult(ctxT(t)); err != nil {
		t.Fatalf("auto-confirmed device code: %v", err)
	}
}

func TestWrongTenantAndCancelledSignIn(t *testing.T) {
	t.Parallel()
	s, _ := start(t, Options{})

	// An unknown tenant id: discovery fails with AADSTS90002.
	c := msalClient(t, s, "00000000-1111-2222-3333-444444444444")
	_, err := c.AcquireTokenInteractive(ctxT(t), graphScopes, public.WithOpenURL(s.Browser()))
	if err == nil || !strings.Contains(err.Error(), "AADSTS90002") {
		t.Fatalf("unknown tenant: %v, want AADSTS90002", err)
	}
	r := call(t, s, "GET", "/not_a_tenant/v2.0/.well-known/openid-configuration", "", nil)
	if r.status != 400 || !strings.Contains(string(r.body), "AADSTS900023") {
		t.Errorf("malformed tenant: %d %s", r.status, r.body)
	}

	// The user cancels in the browser: MSAL reports the error promptly.
	c = msalClient(t, s, DemoTenantID)
	_, err = c.AcquireTokenInteractive(ctxT(t), graphScopes, public.WithOpenURL(s.BrowserWith(BrowserOptions{Cancel: true})))
	if err == nil || !strings.Contains(err.Error(), "AADSTS65004") {
		t.Fatalf("cancelled sign-in: %v", err)
	}
}

func TestBrowserReportsClosedLoopbackPort(t *testing.T) {
	t.Parallel()
	s, _ := start(t, Options{})
	addr := porttest.ClosedPort(t)
	u := s.URL + "/" + DemoTenantID + "/oauth2/v2.0/authorize?" + url.Values{"client_id": {testClientID},
		"response_type": {"code"}, "redirect_uri": {"http://" + addr}, "scope": {"openid"}, "state": {"x"},
		"code_challenge": {pkceChallenge("v")}, "code_challenge_method": {"S256"}, "response_mode": {"form_post"}}.Encode()
	err := s.Browser()(u)
	if err == nil || !strings.Contains(err.Error(), addr) {
		t.Fatalf("posting to a closed port: %v", err)
	}
	// A non-loopback redirect is an error page, not a post.
	u = strings.Replace(u, url.QueryEscape("http://"+addr), url.QueryEscape("https://evil.example/cb"), 1)
	if err := s.Browser()(u); err == nil || !strings.Contains(err.Error(), "AADSTS50011") {
		t.Fatalf("non-loopback redirect: %v", err)
	}
}

func TestAzureCLIClientCannotGetGraphPIMScopes(t *testing.T) {
	t.Parallel()
	s, _ := start(t, Options{AutoConfirmDeviceCode: true})
	c, err := public.New(AzureCLIClientID, public.WithAuthority(s.Authority(DemoTenantID)),
		public.WithHTTPClient(s.HTTPClient()), public.WithInstanceDiscovery(false))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.AcquireTokenByDeviceCode(ctxT(t), []string{GraphResource + "/RoleEligibilitySchedule.Read.Directory"})
	if err == nil || !strings.Contains(err.Error(), "AADSTS65002") {
		t.Fatalf("explicit PIM scope for the Azure CLI client: %v", err)
	}
	dc, err := c.AcquireTokenByDeviceCode(ctxT(t), graphScopes)
	if err != nil {
		t.Fatal(err)
	}
	res, err := dc.AuthenticationResult(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	r := call(t, s, "GET", graphBase+"/roleManagement/directory/roleEligibilityScheduleInstances"+fbcu, res.AccessToken, nil)
	code, msg := r.errCode(t)
	if r.status != http.StatusForbidden || code != "UnknownError" || !strings.Contains(msg, "PermissionScopeNotGranted") ||
		!strings.Contains(msg, "RoleEligibilitySchedule.Read.Directory") {
		t.Fatalf("Graph PIM with the Azure CLI's token: %d %s", r.status, r.body)
	}
}

func TestTwoTenantsSideBySide(t *testing.T) {
	t.Parallel()
	other := NewTenant("a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d", "Fabrikam", User{ID: "0f9e8d7c-6b5a-4c3d-9e2f-1a0b9c8d7e6f",
		UPN: "guest-admin@fabrikam.example", DisplayName: "Guest Admin"}).
		AddEntraRole(EntraRole{RoleDefinitionID: RoleSecurityReader, Name: "Security Reader"})
	s, _ := start(t, Options{Tenants: []*Tenant{Demo(), other}})

	demo := signIn(t, s, msalClient(t, s, DemoTenantID), graphScopes)
	fab := signIn(t, s, msalClient(t, s, "fabrikam.example"), graphScopes)
	if fab.Account.PreferredUsername != "guest-admin@fabrikam.example" || jwtClaims(t, fab.AccessToken)["tid"] != other.ID {
		t.Fatalf("fabrikam sign-in: %s tid %v", fab.Account.PreferredUsername, jwtClaims(t, fab.AccessToken)["tid"])
	}
	count := func(tok string) int {
		items, _ := listAll(t, s, s.URL+graphBase+"/roleManagement/directory/roleEligibilityScheduleInstances"+fbcu, tok)
		return len(items)
	}
	if n := count(demo.AccessToken); n != 4 {
		t.Errorf("demo tenant eligible entra roles = %d, want 4", n)
	}
	if n := count(fab.AccessToken); n != 1 {
		t.Errorf("fabrikam eligible entra roles = %d, want 1", n)
	}
	// Activations stay in their tenant.
	if r := call(t, s, "POST", graphBase+"/roleManagement/directory/roleAssignmentScheduleRequests",
		tokenFor(t, s, other.ID, GraphResource, CredentialOptions{}),
		map[string]any{"action": "selfActivate", "principalId": other.User.ID, "roleDefinitionId": RoleSecurityReader,
			"directoryScopeId": "/", "scheduleInfo": map[string]any{"expiration": map[string]any{"type": "afterDuration", "duration": "PT1H"}}}); r.status != 201 {
		t.Fatalf("activate in fabrikam: %d %s", r.status, r.body)
	}
	if len(s.Activations(other.ID)) != 1 || len(s.Activations(DemoTenantID)) != 0 {
		t.Errorf("activations: fabrikam %d, demo %d", len(s.Activations(other.ID)), len(s.Activations(DemoTenantID)))
	}
}

func TestTokensAreRealisticAndMarked(t *testing.T) {
	t.Parallel()
	s, _ := start(t, Options{})
	code := authorizeCode(t, s, DemoTenantID, pkceChallenge("v-0123456789012345678901234567890123456789"))
	if !strings.Contains(code, SecretMarker) {
		t.Error("authorization code lacks the marker")
	}
	r := postForm(t, s, s.URL+"/"+DemoTenantID+"/oauth2/v2.0/token", url.Values{"grant_type": {"authorization_code"},
		"client_id": {testClientID}, "code": {code}, "redirect_uri": {"http://localhost:1234"},
		"scope":         {GraphResource + "/.default openid offline_access profile"},
		"code_verifier": {"v-0123456789012345678901234567890123456789"}})
	m := r.json(t)
	at, rt, id := m["access_token"].(string), m["refresh_token"].(string), m["id_token"].(string)
	for name, v := range map[string]string{"access token": at, "refresh token": rt, "id token": id} {
		if !strings.Contains(v, SecretMarker) {
			t.Errorf("%s lacks the marker", name)
		}
	}
	if len(at) < 1500 || len(at) > 3000 {
		t.Errorf("access token is %d bytes, want about 2 KB", len(at))
	}
	if len(rt) < 1200 || len(rt) > 2000 {
		t.Errorf("refresh token is %d bytes, want about 1.5 KB", len(rt))
	}
	dr := postForm(t, s, s.URL+"/"+DemoTenantID+"/oauth2/v2.0/devicecode", url.Values{"client_id": {testClientID}, "scope": {"openid"}})
	if dc := dr.json(t)["device_code"].(string); !strings.Contains(dc, SecretMarker) {
		t.Error("device code lacks the marker")
	}
	if uc := dr.json(t)["user_code"].(string); strings.Contains(uc, SecretMarker) {
		t.Error("the user code (shown to people) carries the marker")
	}
	cred := tokenFor(t, s, DemoTenantID, ARMResource, CredentialOptions{})
	if !strings.Contains(cred, SecretMarker) {
		t.Error("Credential token lacks the marker")
	}

	// Nothing of it reaches the request log.
	for _, e := range s.Requests() {
		if strings.Contains(e.Body, SecretMarker) || strings.Contains(e.Query, SecretMarker) || strings.Contains(e.Path, SecretMarker) {
			t.Errorf("request log entry %s %s carries a secret: %q", e.Method, e.Path, e.Body)
		}
	}
	var sawRedacted bool
	for _, e := range s.Requests() {
		sawRedacted = sawRedacted || strings.Contains(e.Body, "code=%5BREDACTED%5D") || strings.Contains(e.Body, "[REDACTED]")
	}
	if !sawRedacted {
		t.Error("the token request's code was not visibly redacted in the log")
	}
}

// ---- helpers ----

func pkceChallenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// authorizeCode runs /authorize by hand (form_post) and returns the code from the page.
func authorizeCode(t *testing.T, s *Server, tenant, challenge string) string {
	t.Helper()
	u := s.URL + "/" + tenant + "/oauth2/v2.0/authorize?" + url.Values{"client_id": {testClientID},
		"response_type": {"code"}, "redirect_uri": {"http://localhost:1234"}, "scope": {"openid offline_access"},
		"state": {"st"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"},
		"response_mode": {"form_post"}}.Encode()
	r := call(t, s, "GET", u, "", nil)
	if r.status != 200 {
		t.Fatalf("authorize: %d %s", r.status, r.body)
	}
	if !strings.Contains(string(r.body), `action="http://localhost:1234"`) || !strings.Contains(string(r.body), "document.forms[0].submit()") {
		t.Fatalf("authorize page is not an auto-submitting form_post: %s", r.body)
	}
	for _, in := range inputRe.FindAllStringSubmatch(string(r.body), -1) {
		if in[1] == "code" {
			return html.UnescapeString(in[2])
		}
	}
	t.Fatalf("no code in %s", r.body)
	return ""
}

func postForm(t *testing.T, s *Server, u string, form url.Values) reply {
	t.Helper()
	resp, err := s.HTTPClient().PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r reply
	r.status, r.header = resp.StatusCode, resp.Header
	var err2 error
	if r.body, err2 = io.ReadAll(resp.Body); err2 != nil {
		t.Fatal(err2)
	}
	return r
}

func countPath(s *Server, suffix string) int {
	n := 0
	for _, r := range s.Requests() {
		if strings.HasSuffix(r.Path, suffix) {
			n++
		}
	}
	return n
}
