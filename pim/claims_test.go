package pim

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

func TestWithClaimsAsksForAFreshTokenEvenWhenOneIsCached(t *testing.T) {
	t.Parallel()
	s := newStub(t)
	c := s.client(t, nil, nil)
	ctx := context.Background()
	if _, err := c.Overview(ctx, PlaneAzure); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Overview(ctx, PlaneAzure); err != nil {
		t.Fatal(err)
	}
	if n := len(c.cred.Calls()); n != 1 {
		t.Fatalf("%d token requests for two overviews: the policy should cache the token", n)
	}
	claims := `{"access_token":{"acrs":{"essential":true,"value":"c1"}}}`
	if got := ClaimsFrom(WithClaims(ctx, claims)); got != claims {
		t.Fatalf("ClaimsFrom = %q", got)
	}
	s.set(func(s *stub) { s.hits = nil })
	if _, err := c.Overview(WithClaims(ctx, claims), PlaneAzure); err != nil {
		t.Fatal(err)
	}
	calls := c.cred.Calls()
	var withClaims int
	for _, tro := range calls[1:] {
		if tro.Claims == claims && len(tro.Scopes) == 1 && tro.Scopes[0] == s.cloud().ARMScope() {
			withClaims++
		}
	}
	if withClaims == 0 {
		t.Fatalf("no token was asked with the claims: %+v", calls)
	}
	for _, h := range s.Hits("", "") {
		if !strings.HasSuffix(h.Token, "+claims") {
			t.Errorf("%s %s sent a token without the claims", h.Method, h.Path)
		}
	}
	// Without claims again: the cached token, untouched by the claims request.
	s.set(func(s *stub) { s.hits = nil })
	before := len(c.cred.Calls())
	if _, err := c.Overview(ctx, PlaneAzure); err != nil {
		t.Fatal(err)
	}
	if len(c.cred.Calls()) != before {
		t.Errorf("a plain request asked for a new token")
	}
	for _, h := range s.Hits("", "") {
		if strings.HasSuffix(h.Token, "+claims") {
			t.Errorf("%s %s sent the claims token without being asked", h.Method, h.Path)
		}
	}
}

func challengeHeader(claims string) http.Header {
	return http.Header{"Www-Authenticate": {`Bearer authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="insufficient_claims", claims="` +
		base64.StdEncoding.EncodeToString([]byte(claims)) + `"`}}
}

// azcore resolves a 401 claims challenge by itself when the credential can get such a token silently.
func TestClaimsChallengeResolvedSilently(t *testing.T) {
	t.Parallel()
	s := newStub(t)
	c := s.client(t, nil, nil)
	claims := `{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}`
	s.fault(stubFault{method: "GET", path: armEligiblePath, status: 401, header: challengeHeader(claims)})
	ov, err := c.Overview(context.Background(), PlaneAzure)
	if err != nil || len(ov.Eligible) != 5 {
		t.Fatalf("%v %v", err, ov.Errors)
	}
	var asked bool
	for _, tro := range c.cred.Calls() {
		asked = asked || tro.Claims == claims
	}
	if !asked {
		t.Errorf("the challenge's claims were not asked for: %+v", c.cred.Calls())
	}
}

// When the fresh token still does not satisfy Azure, the challenge comes back as KindAuthContext.
func TestRepeatedClaimsChallengeIsAuthContext(t *testing.T) {
	t.Parallel()
	s := newStub(t)
	c := s.client(t, nil, nil)
	claims := `{"access_token":{"acrs":{"essential":true,"value":"c1"}}}`
	s.fault(stubFault{method: "GET", path: "/me", status: 401, header: challengeHeader(claims), times: 5})
	s.fault(stubFault{method: "GET", path: armEligiblePath, status: 401, header: challengeHeader(claims), times: 5})
	_, err := c.Overview(context.Background(), PlaneAzure)
	var pe *Error
	if !errors.As(err, &pe) || pe.Kind != KindAuthContext || pe.Claims != claims || pe.Plane != PlaneAzure {
		t.Fatalf("err = %#v", err)
	}
	if pe.Error() != "Azure asks for a fresh sign-in with authentication context c1 to list your Azure roles." {
		t.Errorf("text %q", pe.Error())
	}
}

func TestMeFromGraphIsCached(t *testing.T) {
	t.Parallel()
	s := newStub(t)
	c := s.client(t, nil, nil)
	for range 3 {
		me, err := c.Me(context.Background())
		if err != nil || me != (Principal{ID: stubUser, UserPrincipalName: stubUPN, DisplayName: "Alex Admin"}) {
			t.Fatalf("%+v %v", me, err)
		}
	}
	if n := len(s.Hits("GET", "/me")); n != 1 {
		t.Errorf("/me read %d times", n)
	}
	if q, _ := url.ParseQuery(s.Hits("GET", "/me")[0].RawQuery); q.Get("$select") != "id,userPrincipalName,displayName" {
		t.Errorf("query %q", q)
	}
}

func jwt(claims map[string]any) string {
	b, _ := json.Marshal(claims)
	return "eyJhbGciOiJub25lIn0." + base64.RawURLEncoding.EncodeToString(b) + ".c2ln"
}

// Without Graph consent /me is refused; the user's object id comes from the token, and an Azure
// activation still works.
func TestMeFallsBackToTheTokenAndAzureStillActivates(t *testing.T) {
	t.Parallel()
	s := newStub(t)
	s.set(func(s *stub) { s.meStatus = http.StatusForbidden })
	cred := &staticCred{token: func(tro policy.TokenRequestOptions) (string, error) {
		aud := strings.TrimSuffix(tro.Scopes[0], "/.default")
		return jwt(map[string]any{"aud": aud, "oid": stubUser, "tid": "99999999-0000-0000-0000-000000000000",
			"preferred_username": stubUPN, "name": "Alex Admin"}), nil
	}}
	o := &ClientOptions{Cloud: s.cloud(), Now: s.Now, Log: testLogger(t)} // no TenantID: learned from the token
	o.Transport = s.httpClient()
	c, err := NewClient(cred, o)
	if err != nil {
		t.Fatal(err)
	}
	me, err := c.Me(context.Background())
	if err != nil || me.ID != stubUser || me.UserPrincipalName != stubUPN || me.DisplayName != "Alex Admin" {
		t.Fatalf("%+v %v", me, err)
	}
	ov, err := c.Overview(context.Background(), PlaneAzure)
	if err != nil {
		t.Fatal(err)
	}
	if ov.TenantID != "99999999-0000-0000-0000-000000000000" || ov.Eligible[0].TenantID != ov.TenantID {
		t.Errorf("tenant %q / %q", ov.TenantID, ov.Eligible[0].TenantID)
	}
	var owner Role
	for _, r := range ov.Eligible {
		if r.Label() == "Owner · IT" {
			owner = r
		}
	}
	a, err := c.Activate(context.Background(), ActivateRequest{Role: owner, Justification: "x"})
	if err != nil || a.Status != StatusActive {
		t.Fatalf("%+v %v", a, err)
	}
}

func TestNewClientOptions(t *testing.T) {
	t.Parallel()
	c, err := NewClient(&staticCred{}, nil)
	if err != nil || c.Cloud() != AzurePublic {
		t.Fatalf("%v %+v", err, c)
	}
	if got := c.graphEndpoint("/me"); got != "https://graph.microsoft.com/v1.0/me" {
		t.Errorf("graph endpoint %q", got)
	}
	if got := c.armEndpoint("/subscriptions/x/providers/Microsoft.Authorization/roleEligibilityScheduleInstances", "$filter", "asTarget()"); got !=
		"https://management.azure.com/subscriptions/x/providers/Microsoft.Authorization/roleEligibilityScheduleInstances?api-version=2020-10-01&$filter=asTarget%28%29" {
		t.Errorf("arm endpoint %q", got)
	}
	if _, err := NewClient(nil, nil); err == nil {
		t.Error("nil credential accepted")
	}
	if _, err := NewClient(&staticCred{}, &ClientOptions{Cloud: Cloud{Graph: "http://graph.example", ARM: "https://arm.example"}}); err == nil {
		t.Error("http endpoint accepted")
	}
	gov, _ := NewClient(&staticCred{}, &ClientOptions{Cloud: AzureGovernment})
	if got := gov.graphEndpoint("/me"); got != "https://graph.microsoft.us/v1.0/me" {
		t.Errorf("gov graph endpoint %q", got)
	}
}
