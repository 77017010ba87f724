package fakeazure

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// fakeClock is a settable clock for the fake's Options.Now.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// start runs a fake with a fake clock (unless opts.Now is set) and closes it at the end of the test.
func start(t *testing.T, opts Options) (*Server, *fakeClock) {
	t.Helper()
	clock := newClock()
	if opts.Now == nil {
		opts.Now = clock.Now
	}
	s, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(s.Close)
	return s, clock
}

// tokenFor mints an access token for a tenant's user through the test credential.
func tokenFor(t *testing.T, s *Server, tenantID, resource string, o CredentialOptions) string {
	t.Helper()
	tok, err := s.CredentialWithOptions(tenantID, o).GetToken(context.Background(),
		policy.TokenRequestOptions{Scopes: []string{resource + "/.default"}})
	if err != nil {
		t.Fatalf("GetToken: %v", err)
	}
	return tok.Token
}

// reply is an HTTP answer as tests look at it.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("decode %d answer: %v\n%s", r.status, err, r.body)
	}
	return m
}

// errCode is the error.code of an ARM or Graph error body.
func (r reply) errCode(t *testing.T) (code, message string) {
	t.Helper()
	m := r.json(t)
	e, _ := m["error"].(map[string]any)
	if e == nil {
		t.Fatalf("no error object in %d answer: %s", r.status, r.body)
	}
	code, _ = e["code"].(string)
	message, _ = e["message"].(string)
	return code, message
}

// call sends a request to the fake with a bearer token (none when token is "").
func call(t *testing.T, s *Server, method, url, token string, body any) reply {
	t.Helper()
	if strings.HasPrefix(url, "/") {
		url = s.URL + url
	}
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.HTTPClient().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s %s: %v", method, url, err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: raw}
}

// listAll follows every nextLink of a Graph (@odata.nextLink) or ARM (nextLink) list and
// returns the items and the number of pages.
func listAll(t *testing.T, s *Server, url, token string) ([]map[string]any, int) {
	t.Helper()
	var items []map[string]any
	pages := 0
	for url != "" {
		r := call(t, s, http.MethodGet, url, token, nil)
		if r.status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", url, r.status, r.body)
		}
		pages++
		m := r.json(t)
		for _, v := range m["value"].([]any) {
			items = append(items, v.(map[string]any))
		}
		url, _ = m["@odata.nextLink"].(string)
		if url == "" {
			url, _ = m["nextLink"].(string)
		}
	}
	return items, pages
}

// jwtClaims decodes a JWT's payload without checking it.
func jwtClaims(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %d parts", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("decode JWT payload: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("decode JWT claims: %v", err)
	}
	return m
}

const (
	graphBase = "/graph/v1.0"
	fbcu      = "/filterByCurrentUser(on='principal')"
)

// entraActivation is a Graph selfActivate body for the demo user.
func entraActivation(roleID, reason string, dur string) map[string]any {
	body := map[string]any{
		"action": "selfActivate", "principalId": DemoUserID, "roleDefinitionId": roleID, "directoryScopeId": "/",
		"scheduleInfo": map[string]any{"expiration": map[string]any{"type": "AfterDuration", "duration": dur}},
	}
	if reason != "" {
		body["justification"] = reason
	}
	return body
}

// armActivation is an ARM SelfActivate body for the demo user.
func armActivation(scope, roleGUID, reason, dur string) map[string]any {
	roleDef := "/subscriptions/" + DemoSubscriptionID + "/providers/Microsoft.Authorization/roleDefinitions/" + roleGUID
	if strings.HasPrefix(scope, "/providers/Microsoft.Management") {
		roleDef = scope + "/providers/Microsoft.Authorization/roleDefinitions/" + roleGUID
	} else if strings.HasPrefix(scope, "/subscriptions/") {
		roleDef = "/subscriptions/" + strings.Split(scope, "/")[2] + "/providers/Microsoft.Authorization/roleDefinitions/" + roleGUID
	}
	props := map[string]any{
		"principalId": DemoUserID, "roleDefinitionId": roleDef, "requestType": "SelfActivate",
		"scheduleInfo": map[string]any{"expiration": map[string]any{"type": "AfterDuration", "duration": dur}},
	}
	if reason != "" {
		props["justification"] = reason
	}
	return map[string]any{"properties": props}
}

func armURL(scope, rest string) string {
	sep := "?"
	if strings.Contains(rest, "?") {
		sep = "&"
	}
	return "/arm" + scope + "/providers/Microsoft.Authorization/" + rest + sep + "api-version=2020-10-01"
}
