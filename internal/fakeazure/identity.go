package fakeazure

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
)

// The Microsoft identity platform, as far as MSAL Go's public client uses it: OIDC discovery per
// tenant, /authorize answering with an auto-submitting form_post page, /token (authorization_code
// with PKCE S256, refresh_token with rotation, device_code), /devicecode, instance discovery and
// the device login page. Errors are AADSTS-shaped JSON like the real service's.

type authCode struct {
	tenant      *Tenant
	clientID    string
	redirectURI string
	challenge   string
	amr, acrs   []string
	sid         string
	expires     time.Time
	used        bool
}

type deviceCode struct {
	userCode  string
	tenant    *Tenant
	clientID  string
	amr, acrs []string
	expires   time.Time
	confirmed bool
	redeemed  bool
}

// aadErr is an identity-platform error.
type aadErr struct {
	status int
	code   string // error ("invalid_grant")
	aadsts int
	desc   string
	sub    string // suberror
	claims string
}

func (e *aadErr) write(w http.ResponseWriter, now time.Time) {
	trace, corr := uuid.NewString(), uuid.NewString()
	ts := now.UTC().Format("2006-01-02 15:04:05Z")
	body := obj{
		"error":             e.code,
		"error_description": fmt.Sprintf("AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s", e.aadsts, e.desc, trace, corr, ts),
		"error_codes":       []int{e.aadsts},
		"timestamp":         ts,
		"trace_id":          trace,
		"correlation_id":    corr,
		"error_uri":         fmt.Sprintf("https://login.microsoftonline.com/error?code=%d", e.aadsts),
	}
	if e.sub != "" {
		body["suberror"] = e.sub
	}
	if e.claims != "" {
		body["claims"] = e.claims
	}
	writeJSON(w, e.status, body)
}

func grantErr(aadsts int, desc string) *aadErr {
	return &aadErr{status: http.StatusBadRequest, code: "invalid_grant", aadsts: aadsts, desc: desc}
}

func (s *Server) serveIdentity(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	lower := strings.Split(strings.ToLower(strings.Trim(r.URL.Path, "/")), "/")
	match := func(p ...string) bool {
		if len(p) != len(lower) {
			return false
		}
		for i := range p {
			if p[i] != "*" && p[i] != lower[i] {
				return false
			}
		}
		return true
	}
	switch {
	case match("devicelogin"):
		s.deviceLoginPage(w, r)
	case match("common", "discovery", "instance"):
		s.instanceDiscovery(w, r)
	case match("*", "v2.0", ".well-known", "openid-configuration"):
		s.openIDConfiguration(w, r, parts[0])
	case match("*", "discovery", "v2.0", "keys"), match("*", "discovery", "keys"):
		writeJSON(w, http.StatusOK, obj{"keys": []obj{}})
	case match("*", "oauth2", "v2.0", "authorize"):
		s.authorize(w, r, parts[0])
	case match("*", "oauth2", "v2.0", "token") && r.Method == http.MethodPost:
		s.token(w, r, parts[0])
	case match("*", "oauth2", "v2.0", "devicecode") && r.Method == http.MethodPost:
		s.deviceCodeEndpoint(w, r, parts[0])
	default:
		http.NotFound(w, r)
	}
}

// resolveTenant finds the tenant an authority path segment names: its id or domain, or for
// "common" / "organizations" the login hint's domain (else the first tenant).
func (s *Server) resolveTenant(seg, loginHint string) (*Tenant, *aadErr) {
	l := strings.ToLower(seg)
	if t := s.tenantByID[l]; t != nil {
		return t, nil
	}
	for _, t := range s.tenantList {
		if t.Domain != "" && t.Domain == l {
			return t, nil
		}
	}
	if l == "common" || l == "organizations" {
		if i := strings.LastIndex(loginHint, "@"); i >= 0 {
			for _, t := range s.tenantList {
				if strings.EqualFold(t.Domain, loginHint[i+1:]) {
					return t, nil
				}
			}
		}
		return s.tenantList[0], nil
	}
	if _, err := uuid.Parse(l); err == nil || strings.Contains(l, ".") {
		return nil, &aadErr{status: http.StatusBadRequest, code: "invalid_tenant", aadsts: 90002,
			desc: "Tenant '" + seg + "' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."}
	}
	return nil, &aadErr{status: http.StatusBadRequest, code: "invalid_request", aadsts: 900023,
		desc: "Specified tenant identifier '" + seg + "' is neither a valid DNS name, nor a valid external domain."}
}

// tenantAndClient resolves the tenant an authority path segment names (resolveTenant) and
// reads the client_id every sign-in request carries.
func (s *Server) tenantAndClient(seg, loginHint string, form url.Values) (*Tenant, string, *aadErr) {
	t, aerr := s.resolveTenant(seg, loginHint)
	if aerr != nil {
		return nil, "", aerr
	}
	clientID := form.Get("client_id")
	if clientID == "" {
		return nil, "", &aadErr{status: 400, code: "invalid_request", aadsts: 900144, desc: "The request body must contain the following parameter: 'client_id'."}
	}
	return t, clientID, nil
}

func (s *Server) openIDConfiguration(w http.ResponseWriter, r *http.Request, seg string) {
	t, aerr := s.resolveTenant(seg, "")
	if aerr != nil {
		aerr.write(w, s.now())
		return
	}
	base := "https://" + r.Host
	l := strings.ToLower(seg)
	path, issuerTenant := t.ID, t.ID
	if l == "common" || l == "organizations" {
		path, issuerTenant = l, "{tenantid}"
	}
	writeJSON(w, http.StatusOK, obj{
		"token_endpoint":                        base + "/" + path + "/oauth2/v2.0/token",
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"jwks_uri":                              base + "/" + path + "/discovery/v2.0/keys",
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"issuer":                                base + "/" + issuerTenant + "/v2.0",
		"request_uri_parameter_supported":       false,
		"userinfo_endpoint":                     base + "/graph/oidc/userinfo",
		"authorization_endpoint":                base + "/" + path + "/oauth2/v2.0/authorize",
		"device_authorization_endpoint":         base + "/" + path + "/oauth2/v2.0/devicecode",
		"http_logout_supported":                 true,
		"frontchannel_logout_supported":         true,
		"end_session_endpoint":                  base + "/" + path + "/oauth2/v2.0/logout",
		"claims_supported": []string{"sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name",
			"msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid", "ver",
			"at_hash", "c_hash", "email"},
		"kerberos_endpoint":     base + "/" + path + "/kerberos",
		"tenant_region_scope":   "EU",
		"cloud_instance_name":   "microsoftonline.com",
		"cloud_graph_host_name": "graph.windows.net",
		"msgraph_host":          "graph.microsoft.com",
		"rbac_url":              "https://pas.windows.net",
	})
}

// instanceDiscovery answers MSAL's instance discovery for the fake's own host (used only when a
// client keeps instance discovery on and points it here).
func (s *Server) instanceDiscovery(w http.ResponseWriter, r *http.Request) {
	tenant := "common"
	if u, err := url.Parse(queryValue(r, "authorization_endpoint")); err == nil {
		if p := strings.Split(strings.Trim(u.Path, "/"), "/"); len(p) > 0 && p[0] != "" {
			tenant = p[0]
		}
	}
	host := r.Host
	writeJSON(w, http.StatusOK, obj{
		"tenant_discovery_endpoint": "https://" + host + "/" + tenant + "/v2.0/.well-known/openid-configuration",
		"api-version":               "1.1",
		"metadata":                  []obj{{"preferred_network": host, "preferred_cache": host, "aliases": []string{host}}},
	})
}

// isLoopbackRedirect accepts the redirect URIs a public client registers for loopback sign-in.
func isLoopbackRedirect(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" {
		return false
	}
	switch u.Hostname() {
	case "localhost", "127.0.0.1", "::1":
		return true
	}
	return false
}

// authorize is the sign-in page. The fake's user signs in at once (with MFA, unless the tenant is
// PasswordOnlySignIn and nothing asks for more), and the page posts the code back (form_post) or
// redirects with it (query).
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, seg string) {
	_ = r.ParseForm()
	q := r.Form
	t, clientID, aerr := s.tenantAndClient(seg, q.Get("login_hint"), q)
	if aerr != nil {
		errorPage(w, aerr)
		return
	}
	redirect := q.Get("redirect_uri")
	if !isLoopbackRedirect(redirect) {
		errorPage(w, &aadErr{status: 400, code: "invalid_request", aadsts: 50011,
			desc: "The redirect URI '" + redirect + "' specified in the request does not match the redirect URIs configured for the application '" + clientID + "'."})
		return
	}
	state := q.Get("state")
	mode := q.Get("response_mode")
	if mode == "" {
		mode = "query"
	}
	reply := func(fields url.Values) {
		if state != "" {
			fields.Set("state", state)
		}
		if mode == "form_post" {
			formPostPage(w, redirect, fields)
			return
		}
		u, _ := url.Parse(redirect)
		u.RawQuery = fields.Encode()
		http.Redirect(w, r, u.String(), http.StatusFound)
	}
	if q.Get("response_type") != "code" {
		reply(url.Values{"error": {"unsupported_response_type"}, "error_description": {"AADSTS70005: The response_type '" + q.Get("response_type") + "' is not enabled for the client."}})
		return
	}
	if q.Get("code_challenge") == "" || q.Get("code_challenge_method") != "S256" {
		reply(url.Values{"error": {"invalid_request"}, "error_description": {"AADSTS9002325: Proof Key for Code Exchange (S256) is required."}})
		return
	}
	claims := parseClaims(q.Get("claims"))
	code := newAuthCode()
	s.mu.Lock()
	s.codes[hashSecret(code)] = &authCode{tenant: t, clientID: clientID, redirectURI: redirect,
		challenge: q.Get("code_challenge"), amr: s.signInAMR(t, claims),
		acrs: claims.acrs, sid: uuid.NewString(), expires: s.now().Add(authCodeLifetime)}
	s.mu.Unlock()
	reply(url.Values{"code": {code}, "session_state": {uuid.NewString()}})
}

// signInAMR is how the simulated user authenticates: with MFA, unless the tenant signs in with a
// password only and the request does not ask for MFA or an authentication context.
func (s *Server) signInAMR(t *Tenant, c claimsRequest) []string {
	if t.PasswordOnlySignIn && !c.mfa && len(c.acrs) == 0 {
		return []string{"pwd"}
	}
	return []string{"pwd", "mfa"}
}

// formPostPage is the identity platform's auto-submitting form_post page.
func formPostPage(w http.ResponseWriter, action string, fields url.Values) {
	var b strings.Builder
	b.WriteString(`<html><head><title>Working...</title></head><body><form method="POST" name="hiddenform" action="` + html.EscapeString(action) + `">`)
	for k, vs := range fields {
		for _, v := range vs {
			b.WriteString(`<input type="hidden" name="` + html.EscapeString(k) + `" value="` + html.EscapeString(v) + `" />`)
		}
	}
	b.WriteString(`<noscript><p>Script is disabled. Click Submit to continue.</p><input type="submit" value="Submit" /></noscript></form>`)
	b.WriteString(`<script language="javascript">document.forms[0].submit();</script></body></html>`)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store, no-cache")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, b.String())
}

// errorPage is the sign-in page's error display (errors that cannot go back to the redirect URI).
func errorPage(w http.ResponseWriter, e *aadErr) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(e.status)
	_, _ = fmt.Fprintf(w, `<html><head><title>Sign in to your account</title></head><body><div id="error">Sign in failed. AADSTS%d: %s</div></body></html>`,
		e.aadsts, html.EscapeString(e.desc))
}

// session is who a token request acts for and how they authenticated.
type session struct {
	t        *Tenant
	clientID string
	amr      []string
	acrs     []string
	sid      string
}

func (s *Server) token(w http.ResponseWriter, r *http.Request, seg string) {
	if err := r.ParseForm(); err != nil {
		(&aadErr{status: 400, code: "invalid_request", aadsts: 900144, desc: "The request body must be a form."}).write(w, s.now())
		return
	}
	f := r.PostForm
	s.mu.Lock()
	defer s.mu.Unlock()
	s.syncLocked()
	now := s.now()
	t, clientID, aerr := s.tenantAndClient(seg, "", f)
	if aerr != nil {
		aerr.write(w, now)
		return
	}
	claims := parseClaims(f.Get("claims"))
	var sess *session
	switch f.Get("grant_type") {
	case "authorization_code":
		sess, aerr = s.redeemCode(t, f, now)
	case "refresh_token":
		sess, aerr = s.redeemRefresh(t, f, claims, now)
	case "device_code", "urn:ietf:params:oauth:grant-type:device_code":
		sess, aerr = s.redeemDeviceCode(t, f, now)
	default:
		aerr = &aadErr{status: 400, code: "unsupported_grant_type", aadsts: 70003, desc: "The app requested an unsupported grant type '" + f.Get("grant_type") + "'."}
	}
	if aerr != nil {
		aerr.write(w, now)
		return
	}
	if !strings.EqualFold(sess.clientID, clientID) {
		grantErr(70000, "The provided grant was issued to a different client.").write(w, now)
		return
	}
	s.issueTokens(w, r, sess, f.Get("scope"), claims.cp1, now)
}

func (s *Server) redeemCode(t *Tenant, f url.Values, now time.Time) (*session, *aadErr) {
	rec := s.codes[hashSecret(f.Get("code"))]
	switch {
	case rec == nil || rec.tenant != t:
		return nil, grantErr(70000, "The provided value for the 'code' parameter is not valid.")
	case rec.used:
		return nil, grantErr(54005, "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.")
	case now.After(rec.expires):
		return nil, grantErr(70008, "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.")
	case f.Get("redirect_uri") != rec.redirectURI:
		return nil, grantErr(500117, "The reply uri specified in the request isn't expected.")
	}
	sum := sha256.Sum256([]byte(f.Get("code_verifier")))
	if base64.RawURLEncoding.EncodeToString(sum[:]) != rec.challenge {
		return nil, grantErr(501481, "The Code_Verifier does not match the code_challenge supplied in the authorization request.")
	}
	rec.used = true
	return &session{t: t, clientID: rec.clientID, amr: rec.amr, acrs: rec.acrs, sid: rec.sid}, nil
}

func (s *Server) redeemRefresh(t *Tenant, f url.Values, claims claimsRequest, now time.Time) (*session, *aadErr) {
	hash := hashSecret(f.Get("refresh_token"))
	var rec *refreshRecord
	for _, rt := range s.st.RefreshTokens {
		if rt.Hash == hash {
			rec = rt
		}
	}
	switch {
	case rec == nil || !strings.EqualFold(rec.Tenant, t.ID):
		return nil, grantErr(70000, "The provided value for the input parameter 'refresh_token' or 'assertion' is not valid.")
	case rec.Revoked:
		return nil, grantErr(50173, fmt.Sprintf("The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued on '%s' and the TokensValidFrom date (before which tokens are not valid) for this user is '%s'.",
			rec.Issued.UTC().Format(time.RFC3339Nano), rec.RevokedAt.UTC().Format(time.RFC3339Nano)))
	case now.Sub(rec.Issued) > refreshTokenLifetime:
		return nil, grantErr(700082, "The refresh token has expired due to inactivity. The token was issued on '"+rec.Issued.UTC().Format(time.RFC3339Nano)+"' and was inactive for 90.00:00:00.")
	case !rec.Used.IsZero() && now.Sub(rec.Used) > s.grace():
		return nil, grantErr(70000, "The provided refresh token was already redeemed; this fake rotates refresh tokens on every use.")
	}
	var missing []string
	for _, v := range claims.acrs {
		if !containsFold(rec.Acrs, v) {
			missing = append(missing, v)
		}
	}
	if len(missing) > 0 || (claims.mfa && !containsFold(rec.Amr, "mfa")) {
		return nil, &aadErr{status: 400, code: "interaction_required", aadsts: 50076, sub: "basic_action",
			claims: f.Get("claims"),
			desc:   "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '" + f.Get("scope") + "'."}
	}
	if rec.Used.IsZero() {
		rec.Used = now
		s.saveLocked()
	}
	return &session{t: t, clientID: rec.ClientID, amr: rec.Amr, acrs: rec.Acrs, sid: rec.Sid}, nil
}

func (s *Server) redeemDeviceCode(t *Tenant, f url.Values, now time.Time) (*session, *aadErr) {
	dc := s.deviceCodes[hashSecret(f.Get("device_code"))]
	switch {
	case dc == nil || dc.tenant != t:
		return nil, grantErr(70000, "The provided value for the input parameter 'device_code' is not valid.")
	case dc.redeemed:
		return nil, grantErr(54005, "The device code was already redeemed.")
	case now.After(dc.expires):
		return nil, &aadErr{status: 400, code: "expired_token", aadsts: 70020, desc: "The provided value for the input parameter 'device_code' is not valid. This device code has expired."}
	case !dc.confirmed && !s.opts.AutoConfirmDeviceCode:
		return nil, &aadErr{status: 400, code: "authorization_pending", aadsts: 70016, desc: "OAuth 2.0 device flow error. Authorization is pending. Continue polling."}
	}
	dc.redeemed = true
	return &session{t: t, clientID: dc.clientID, amr: dc.amr, acrs: dc.acrs, sid: uuid.NewString()}, nil
}

// scopeResult is a token request's scopes resolved to one resource.
type scopeResult struct {
	resource string   // the audience
	perms    []string // scp values
	granted  []string // the scope string answered
	offline  bool
	openid   bool
}

var graphResources = []string{GraphResource, graphAppID}
var armResources = []string{ARMResource, "https://management.core.windows.net"}

// resolveScopes maps requested scopes to the one resource they are for and the permissions
// granted. Scopes of two resources in one request are refused (AADSTS28000), as Entra does.
func (s *Server) resolveScopes(t *Tenant, clientID string, scopes []string) (*scopeResult, *aadErr) {
	res := &scopeResult{}
	var resources []string
	type asked struct{ resource, perm, raw string }
	var want []asked
	for _, sc := range scopes {
		for _, sc := range strings.Fields(sc) {
			switch strings.ToLower(sc) {
			case "openid", "profile", "email":
				res.openid = res.openid || strings.EqualFold(sc, "openid")
				continue
			case "offline_access":
				res.offline = true
				continue
			}
			resource, perm := GraphResource, sc
			if i := strings.LastIndex(sc, "/"); i >= 0 {
				resource, perm = sc[:i], sc[i+1:]
			}
			norm := strings.ToLower(strings.TrimRight(resource, "/"))
			if !containsFold(resources, norm) {
				resources = append(resources, norm)
			}
			want = append(want, asked{resource, perm, sc})
		}
	}
	if len(resources) > 1 {
		return nil, &aadErr{status: 400, code: "invalid_scope", aadsts: 28000,
			desc: "Provided value for the input parameter scope is not valid because it contains more than one resource. Scope " + strings.Join(scopes, " ") + " is not valid."}
	}
	if len(want) == 0 { // only OpenID scopes: a Graph token for the user's profile
		want = []asked{{GraphResource, "User.Read", GraphResource + "/User.Read"}}
		resources = []string{GraphResource}
	}
	norm := resources[0]
	isGraph := containsFold(graphResources, norm) || strings.EqualFold(norm, s.URL+"/graph")
	isARM := containsFold(armResources, norm) || strings.EqualFold(norm, s.URL+"/arm")
	if !isGraph && !isARM {
		return nil, &aadErr{status: 400, code: "invalid_resource", aadsts: 500011,
			desc: "The resource principal named " + want[0].resource + " was not found in the tenant named " + t.Name + ". This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant."}
	}
	res.resource = strings.TrimRight(want[0].resource, "/")
	if strings.HasSuffix(want[0].resource, "//") || (isARM && strings.HasSuffix(want[0].resource, "/")) {
		res.resource = want[0].resource // "https://management.azure.com//.default" gives aud "https://management.azure.com/"
	}
	consent := []string{"user_impersonation"}
	if isGraph {
		consent = t.GraphConsent
		if consent == nil {
			consent = append(append([]string(nil), pimGraphScopes...), "User.Read")
		}
		if strings.EqualFold(clientID, AzureCLIClientID) {
			consent = azureCLIGraphScopes
		}
	}
	for _, a := range want {
		res.granted = append(res.granted, a.raw)
		if a.perm == ".default" {
			res.perms = union(res.perms, consent)
			for _, p := range consent {
				res.granted = append(res.granted, strings.TrimRight(a.resource, "/")+"/"+p)
			}
			continue
		}
		if !containsFold(consent, a.perm) {
			if isGraph && strings.EqualFold(clientID, AzureCLIClientID) {
				return nil, &aadErr{status: 400, code: "invalid_client", aadsts: 65002,
					desc: "Consent between first party application '" + AzureCLIClientID + "' and first party resource '" + graphAppID + "' must be configured via preauthorization - applications owned and operated by Microsoft must get approval from the API owner before requesting tokens for that API."}
			}
			return nil, &aadErr{status: 400, code: "invalid_grant", aadsts: 65001, sub: "consent_required",
				desc: "The user or administrator has not consented to use the application with ID '" + clientID + "'. Send an interactive authorization request for this user and resource."}
		}
		res.perms = union(res.perms, []string{a.perm})
	}
	return res, nil
}

// issueTokens answers a token request: an access token for the scopes' resource, a rotated
// refresh token (offline_access), an ID token (openid) and client_info.
func (s *Server) issueTokens(w http.ResponseWriter, r *http.Request, sess *session, scope string, cp1 bool, now time.Time) {
	res, aerr := s.resolveScopes(sess.t, sess.clientID, []string{scope})
	if aerr != nil {
		aerr.write(w, now)
		return
	}
	at, _ := s.mintAccessToken(tokenGrant{tenant: sess.t, clientID: sess.clientID, resource: res.resource,
		scopes: res.perms, amr: sess.amr, acrs: sess.acrs, cp1: cp1, sid: sess.sid})
	ci, _ := json.Marshal(obj{"uid": sess.t.User.ID, "utid": sess.t.ID})
	secs := int(accessTokenLifetime / time.Second)
	body := obj{"token_type": "Bearer", "scope": strings.Join(res.granted, " "), "expires_in": secs,
		"ext_expires_in": secs, "access_token": at, "client_info": base64.RawURLEncoding.EncodeToString(ci)}
	if res.offline {
		rt, hash := newRefreshToken()
		s.st.RefreshTokens = append(s.st.RefreshTokens, &refreshRecord{Hash: hash, Tenant: sess.t.ID,
			ClientID: sess.clientID, Amr: sess.amr, Acrs: sess.acrs, Sid: sess.sid, Issued: now})
		body["refresh_token"] = rt
		s.saveLocked()
	}
	if res.openid {
		body["id_token"] = s.mintIDToken(sess.t, sess.clientID, "https://"+r.Host, sess.sid)
	}
	w.Header().Set("Cache-Control", "no-store, no-cache")
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) deviceCodeEndpoint(w http.ResponseWriter, r *http.Request, seg string) {
	_ = r.ParseForm()
	f := r.PostForm
	now := s.now()
	t, clientID, aerr := s.tenantAndClient(seg, "", f)
	if aerr != nil {
		aerr.write(w, now)
		return
	}
	if _, aerr := s.resolveScopes(t, clientID, []string{f.Get("scope")}); aerr != nil {
		aerr.write(w, now)
		return
	}
	claims := parseClaims(f.Get("claims"))
	code, user := newDeviceCode(), newUserCode()
	s.mu.Lock()
	s.deviceCodes[hashSecret(code)] = &deviceCode{userCode: user, tenant: t, clientID: clientID,
		amr: s.signInAMR(t, claims), acrs: claims.acrs, expires: now.Add(deviceCodeLifetime)}
	s.mu.Unlock()
	verify := "https://" + r.Host + "/devicelogin"
	writeJSON(w, http.StatusOK, obj{
		"user_code":        user,
		"device_code":      code,
		"verification_uri": verify,
		"expires_in":       int(deviceCodeLifetime / time.Second),
		"interval":         5,
		"message":          "To sign in, use a web browser to open the page " + verify + " and enter the code " + user + " to authenticate.",
	})
}

// deviceLoginPage is the page a person enters the user code on: GET shows the form, POST (otc)
// confirms the code.
func (s *Server) deviceLoginPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if r.Method == http.MethodPost {
		_ = r.ParseForm()
		if err := s.ConfirmDeviceCode(r.PostForm.Get("otc")); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, "<html><body><p>"+html.EscapeString(err.Error())+"</p></body></html>")
			return
		}
		_, _ = io.WriteString(w, "<html><body><p>You have signed in to pimtray (fake Azure). You can close this window.</p></body></html>")
		return
	}
	_, _ = io.WriteString(w, `<html><body><form method="POST"><label>Enter code <input name="otc" /></label><input type="submit" value="Next" /></form></body></html>`)
}

// ConfirmDeviceCode signs in the device-code request showing userCode, as the user would by
// entering the code at the verification page.
func (s *Server) ConfirmDeviceCode(userCode string) error {
	want := strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(userCode))
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for _, dc := range s.deviceCodes {
		if dc.userCode != want {
			continue
		}
		if now.After(dc.expires) {
			return fmt.Errorf("fakeazure: the code %s has expired", userCode)
		}
		dc.confirmed = true
		return nil
	}
	return fmt.Errorf("fakeazure: no device-code sign-in waits for the code %q", userCode)
}

// PendingUserCodes lists the user codes of device-code sign-ins still waiting for confirmation.
func (s *Server) PendingUserCodes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var out []string
	for _, dc := range s.deviceCodes {
		if !dc.confirmed && !dc.redeemed && !now.After(dc.expires) {
			out = append(out, dc.userCode)
		}
	}
	return out
}

// RevokeRefreshTokens revokes every refresh token issued so far in the tenant (as a password
// reset or an admin's "revoke sessions" does): redeeming one answers invalid_grant (AADSTS50173).
func (s *Server) RevokeRefreshTokens(tenantID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.syncLocked()
	now := s.now()
	for _, rt := range s.st.RefreshTokens {
		if strings.EqualFold(rt.Tenant, tenantID) && !rt.Revoked {
			rt.Revoked, rt.RevokedAt = true, now
		}
	}
	s.saveLocked()
}
