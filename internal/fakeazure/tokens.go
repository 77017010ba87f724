package fakeazure

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/pimtray/pimtray/pim"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/google/uuid"
)

// SecretMarker is part of every secret the fake issues: access tokens, refresh tokens, ID
// tokens, authorization codes and device codes. Tests grep logs and files for it to prove no
// secret leaks into them.
const SecretMarker = "PIMTRAY-FAKE-SECRET"

// The real resource URIs the fake's tokens are issued for (Cloud().GraphAudience / ARMAudience).
const (
	GraphResource = "https://graph.microsoft.com"
	ARMResource   = "https://management.azure.com"
	graphAppID    = "00000003-0000-0000-c000-000000000000"
)

// AzureCLIClientID is the Azure CLI's public client id: like the real one, the fake gives it ARM
// tokens but never the Graph PIM permissions (AADSTS65002 for explicit PIM scopes; "/.default"
// yields a token without them, so Graph PIM calls answer 403).
const AzureCLIClientID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"

// pimGraphScopes are the delegated Graph permissions pimtray's planes need (azure-pim-api.md).
var pimGraphScopes = []string{
	"RoleEligibilitySchedule.Read.Directory",
	"RoleAssignmentSchedule.ReadWrite.Directory",
	"RoleManagementPolicy.Read.Directory",
	"PrivilegedEligibilitySchedule.Read.AzureADGroup",
	"PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup",
	"RoleManagementPolicy.Read.AzureADGroup",
}

// azureCLIGraphScopes are what the Azure CLI's client is pre-authorized for on Graph.
var azureCLIGraphScopes = []string{"AuditLog.Read.All", "Directory.AccessAsUser.All", "Group.ReadWrite.All", "User.ReadWrite.All"}

// accessClaims are the claims of the fake's access tokens, shaped like Entra's v1 access tokens
// for Graph and ARM.
type accessClaims struct {
	Aud               string   `json:"aud"`
	Iss               string   `json:"iss"`
	Iat               int64    `json:"iat"`
	Nbf               int64    `json:"nbf"`
	Exp               int64    `json:"exp"`
	Acr               string   `json:"acr"`
	Acrs              []string `json:"acrs,omitempty"`
	Aio               string   `json:"aio"`
	Amr               []string `json:"amr"`
	AppDisplayName    string   `json:"app_displayname"`
	AppID             string   `json:"appid"`
	AppIDAcr          string   `json:"appidacr"`
	FamilyName        string   `json:"family_name"`
	GivenName         string   `json:"given_name"`
	IDTyp             string   `json:"idtyp"`
	IPAddr            string   `json:"ipaddr"`
	Name              string   `json:"name"`
	OID               string   `json:"oid"`
	Platf             string   `json:"platf"`
	PUID              string   `json:"puid"`
	RH                string   `json:"rh"`
	Scp               string   `json:"scp"`
	Sid               string   `json:"sid"`
	SigninState       []string `json:"signin_state"`
	Sub               string   `json:"sub"`
	TenantRegionScope string   `json:"tenant_region_scope"`
	TID               string   `json:"tid"`
	UniqueName        string   `json:"unique_name"`
	UPN               string   `json:"upn"`
	UTI               string   `json:"uti"`
	Ver               string   `json:"ver"`
	Wids              []string `json:"wids"`
	XmsCC             []string `json:"xms_cc,omitempty"`
	XmsFtd            string   `json:"xms_ftd"`
	XmsIdrel          string   `json:"xms_idrel"`
	XmsTcdt           int64    `json:"xms_tcdt"`
}

// tokenGrant describes one access token to mint.
type tokenGrant struct {
	tenant   *Tenant
	clientID string
	resource string   // the audience, as requested ("https://graph.microsoft.com")
	scopes   []string // scp values (unqualified: "User.Read")
	amr      []string
	acrs     []string
	cp1      bool // the client declared capability CP1 (xms_cc)
	sid      string
}

// mintAccessToken makes a JWT-shaped access token (~2 KB, like Entra's) signed with the fake's key.
func (s *Server) mintAccessToken(g tokenGrant) (token string, exp time.Time) {
	now := s.now()
	exp = now.Add(accessTokenLifetime)
	given, family := splitName(g.tenant.User.DisplayName)
	c := accessClaims{
		Aud: g.resource, Iss: "https://sts.windows.net/" + g.tenant.ID + "/",
		Iat: now.Add(-5 * time.Minute).Unix(), Nbf: now.Add(-5 * time.Minute).Unix(), Exp: exp.Unix(),
		Acr: "1", Acrs: g.acrs, Aio: randText(140), Amr: g.amr,
		AppDisplayName: "pimtray", AppID: g.clientID, AppIDAcr: "0",
		FamilyName: family, GivenName: given, IDTyp: "user", IPAddr: "127.0.0.1",
		Name: g.tenant.User.DisplayName, OID: g.tenant.User.ID, Platf: "14",
		PUID: strings.ToUpper(hex.EncodeToString(randBytes(8))), RH: "1.A" + randText(80) + ".",
		Scp: strings.Join(g.scopes, " "), Sid: g.sid, SigninState: []string{"kmsi"},
		Sub: randText(43), TenantRegionScope: "EU", TID: g.tenant.ID,
		UniqueName: g.tenant.User.UPN, UPN: g.tenant.User.UPN, UTI: randText(22), Ver: "1.0",
		Wids: []string{"b79fbf4d-3ef9-4689-8143-76b194e85509"}, XmsFtd: randText(60),
		XmsIdrel: "1 14", XmsTcdt: eligibilityStart.Add(-365 * 24 * time.Hour).Unix(),
	}
	if g.cp1 {
		c.XmsCC = []string{"CP1"}
	}
	if c.Sid == "" {
		c.Sid = uuid.NewString()
	}
	s.ctl.Lock()
	if s.minted == nil {
		s.minted = map[string]string{}
	}
	s.minted[c.UTI] = s.planeOfAudience(g.resource)
	s.ctl.Unlock()
	return s.signJWT(c), exp
}

// idClaims are the claims of the fake's ID tokens (v2.0).
type idClaims struct {
	Aud               string `json:"aud"`
	Iss               string `json:"iss"`
	Iat               int64  `json:"iat"`
	Nbf               int64  `json:"nbf"`
	Exp               int64  `json:"exp"`
	Name              string `json:"name"`
	OID               string `json:"oid"`
	PreferredUsername string `json:"preferred_username"`
	RH                string `json:"rh"`
	Sid               string `json:"sid"`
	Sub               string `json:"sub"`
	TID               string `json:"tid"`
	UTI               string `json:"uti"`
	Ver               string `json:"ver"`
}

func (s *Server) mintIDToken(t *Tenant, clientID, issuerBase, sid string) string {
	now := s.now()
	return s.signJWT(idClaims{
		Aud: clientID, Iss: issuerBase + "/" + t.ID + "/v2.0",
		Iat: now.Add(-5 * time.Minute).Unix(), Nbf: now.Add(-5 * time.Minute).Unix(), Exp: now.Add(time.Hour).Unix(),
		Name: t.User.DisplayName, OID: t.User.ID, PreferredUsername: t.User.UPN, RH: "1.A" + randText(80) + ".",
		Sid: sid, Sub: randText(43), TID: t.ID, UTI: randText(22), Ver: "2.0",
	})
}

// signJWT encodes claims as header.payload.signature. The signature is an HMAC with the fake's
// key, prefixed with SecretMarker (its characters are all valid base64url, so the token stays
// JWT-shaped) so that every issued token is greppable.
func (s *Server) signJWT(claims any) string {
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"typ":"JWT","alg":"HS256","kid":"pimtray-fake"}`))
	body, _ := json.Marshal(claims)
	signed := header + "." + base64.RawURLEncoding.EncodeToString(body)
	return signed + "." + SecretMarker + "_" + s.mac(signed)
}

func (s *Server) mac(data string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(data))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// parseAccessToken checks a bearer token's signature and decodes its claims.
func (s *Server) parseAccessToken(token string) (*accessClaims, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, errors.New("not a JWT")
	}
	want := SecretMarker + "_" + s.mac(parts[0]+"."+parts[1])
	if !hmac.Equal([]byte(want), []byte(parts[2])) {
		return nil, errors.New("bad signature")
	}
	body, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, fmt.Errorf("decode payload: %w", err)
	}
	var c accessClaims
	if err := json.Unmarshal(body, &c); err != nil {
		return nil, fmt.Errorf("decode claims: %w", err)
	}
	return &c, nil
}

// newRefreshToken makes an opaque refresh token (~1.5 KB) and its hash (only the hash is kept).
func newRefreshToken() (token, hash string) {
	token = "1.AXkA" + randText(600) + "." + SecretMarker + "." + randText(820)
	return token, hashSecret(token)
}

// newAuthCode makes an authorization code (~700 bytes).
func newAuthCode() string {
	return "1.AXkA" + randText(300) + "." + SecretMarker + "." + randText(360)
}

// newDeviceCode makes a device code (the secret half of the device-code flow).
func newDeviceCode() string {
	return "DAQABIQEAAAD" + randText(120) + "." + SecretMarker + "." + randText(60)
}

// newUserCode makes the code a person types at the device login page (not a secret).
func newUserCode() string {
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := randBytes(9)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("fakeazure: crypto/rand: %v", err))
	}
	return b
}

// randText is n characters of base64url text.
func randText(n int) string {
	s := base64.RawURLEncoding.EncodeToString(randBytes(n*3/4 + 3))
	return s[:n]
}

func splitName(display string) (given, family string) {
	f := strings.Fields(display)
	if len(f) == 0 {
		return "", ""
	}
	return f[0], strings.Join(f[1:], " ")
}

// CredentialOptions vary the tokens a test Credential mints.
type CredentialOptions struct {
	// WithoutMFA leaves "mfa" out of the amr claim (roles with the MFA rule then fail with MfaRule).
	WithoutMFA bool
	// ACRS are authentication context values the tokens carry from the start.
	ACRS []string
	// IgnoreClaims makes the credential ignore claims challenges (TokenRequestOptions.Claims),
	// as if the user could not satisfy them; by default a challenge for an authentication
	// context is met, as an interactive step-up would.
	IgnoreClaims bool
	// ClientID is the appid claim; defaults to a fixed GUID.
	ClientID string
}

// Credential returns an azcore.TokenCredential that mints access tokens for the tenant's user
// directly, without any sign-in: for tests of pim and the engine that don't test sign-in.
// Tokens carry amr ["pwd","mfa"]; a claims challenge asking for an authentication context
// (acrs) is honoured. Scopes decide the audience, as with the real identity platform.
func (s *Server) Credential(tenantID string) azcore.TokenCredential {
	return s.CredentialWithOptions(tenantID, CredentialOptions{})
}

// CredentialWithOptions is Credential with variations (no MFA, initial authentication contexts,
// ignored claims challenges).
func (s *Server) CredentialWithOptions(tenantID string, o CredentialOptions) azcore.TokenCredential {
	if o.ClientID == "" {
		o.ClientID = "9c3b4e1f-6a2d-4f8b-8e7c-1d5a3b9f2e60"
	}
	return &credential{s: s, tenantID: strings.ToLower(tenantID), o: o, sid: uuid.NewString()}
}

type credential struct {
	s        *Server
	tenantID string
	o        CredentialOptions
	sid      string
}

var _ azcore.TokenCredential = (*credential)(nil)
var _ pim.PrincipalSource = (*credential)(nil)

// Principal is the tenant's user, as a signed-in MSAL account knows them (pim/auth.Session's
// Principal): pim's Me then asks Graph nothing, as it asks nothing of a real warm sign-in.
func (c *credential) Principal() (pim.Principal, string, bool) {
	t := c.s.tenant(c.tenantID)
	if t == nil {
		return pim.Principal{}, "", false
	}
	return pim.Principal{ID: t.User.ID, UserPrincipalName: t.User.UPN}, t.ID, true
}

// GetToken mints a token for the resource of opts.Scopes.
func (c *credential) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	if err := ctx.Err(); err != nil {
		return azcore.AccessToken{}, err
	}
	t := c.s.tenant(c.tenantID)
	if t == nil {
		return azcore.AccessToken{}, fmt.Errorf("fakeazure credential: unknown tenant %q", c.tenantID)
	}
	res, err := c.s.resolveScopes(t, c.o.ClientID, opts.Scopes)
	if err != nil {
		return azcore.AccessToken{}, fmt.Errorf("fakeazure credential: %s", err.desc)
	}
	amr := []string{"pwd", "mfa"}
	if c.o.WithoutMFA {
		amr = []string{"pwd"}
	}
	acrs := append([]string(nil), c.o.ACRS...)
	if opts.Claims != "" && !c.o.IgnoreClaims {
		req := parseClaims(opts.Claims)
		acrs = union(acrs, req.acrs)
		if req.mfa {
			amr = union(amr, []string{"mfa"})
		}
	}
	tok, _ := c.s.mintAccessToken(tokenGrant{tenant: t, clientID: c.o.ClientID, resource: res.resource,
		scopes: res.perms, amr: amr, acrs: acrs, cp1: opts.EnableCAE, sid: c.sid})
	// ExpiresOn is on the real clock: azcore caches tokens by it.
	return azcore.AccessToken{Token: tok, ExpiresOn: time.Now().Add(accessTokenLifetime), RefreshOn: time.Now().Add(accessTokenLifetime / 2)}, nil
}

// claimsRequest is what a claims parameter asks of a token.
type claimsRequest struct {
	acrs []string // authentication context values required
	mfa  bool     // amr must include mfa
	cp1  bool     // client capability CP1 declared
}

// parseClaims reads a claims request such as
// {"access_token":{"acrs":{"essential":true,"value":"c1"},"xms_cc":{"values":["CP1"]}}}.
func parseClaims(claims string) claimsRequest {
	var doc struct {
		AccessToken map[string]struct {
			Value  any   `json:"value"`
			Values []any `json:"values"`
		} `json:"access_token"`
	}
	var r claimsRequest
	if json.Unmarshal([]byte(claims), &doc) != nil {
		return r
	}
	values := func(name string) []string {
		c, ok := doc.AccessToken[name]
		if !ok {
			return nil
		}
		var out []string
		if v, ok := c.Value.(string); ok && v != "" {
			out = append(out, v)
		}
		for _, v := range c.Values {
			if v, ok := v.(string); ok && v != "" {
				out = append(out, v)
			}
		}
		return out
	}
	r.acrs = values("acrs")
	for _, v := range values("amr") {
		r.mfa = r.mfa || strings.EqualFold(v, "mfa")
	}
	for _, v := range values("xms_cc") {
		r.cp1 = r.cp1 || strings.EqualFold(v, "CP1")
	}
	return r
}

func union(a, b []string) []string {
	out := append([]string(nil), a...)
	for _, v := range b {
		if !containsFold(out, v) {
			out = append(out, v)
		}
	}
	return out
}

func containsFold(list []string, v string) bool {
	for _, have := range list {
		if strings.EqualFold(have, v) {
			return true
		}
	}
	return false
}

// planeOfAudience is "arm" for an ARM audience, else "graph".
func (s *Server) planeOfAudience(aud string) string {
	if containsFold(armAudiences, aud) || strings.EqualFold(strings.TrimRight(aud, "/"), s.URL+"/arm") {
		return "arm"
	}
	return "graph"
}

// RejectAccessTokens makes the fake refuse every access token issued so far for plane ("graph"
// or "arm") with a plain 401 (InvalidAuthenticationToken, no claims challenge) before its
// expiry, as Azure does after a revocation, a service reset or a clock jump. Tokens issued
// later are accepted. The refresh tokens are left alone.
func (s *Server) RejectAccessTokens(plane string) {
	s.ctl.Lock()
	defer s.ctl.Unlock()
	if s.rejected == nil {
		s.rejected = map[string]bool{}
	}
	for uti, p := range s.minted {
		if p == plane {
			s.rejected[uti] = true
		}
	}
}

func (s *Server) tokenRejected(uti string) bool {
	s.ctl.Lock()
	defer s.ctl.Unlock()
	return s.rejected[uti]
}
