package fakeazure

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"
	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"

	"github.com/pimtray/pimtray/internal/testkit/porttest"
)

// Two fakes sharing a state file stand for the CLI and the tray of one --demo run: each has its
// own server, both see the same activations, and a sign-in made at one is accepted by the other.
func TestStateFileSharedBetweenTwoFakes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "demo", "fake-azure.json")
	clock := newClock()
	cli, _ := start(t, Options{StateFile: file, Now: clock.Now})
	tray, _ := start(t, Options{StateFile: file, Now: clock.Now})

	// A sign-in through the CLI's fake (issues a refresh token, kept only as a hash).
	signIn(t, cli, msalClient(t, cli, DemoTenantID), graphScopes)

	tok := tokenFor(t, cli, DemoTenantID, GraphResource, CredentialOptions{})
	if r := call(t, cli, "POST", entraRequests, tok, entraActivation(RoleGlobalAdministrator, "demo", "PT8H")); r.status != 201 {
		t.Fatalf("activate at the CLI: %d %s", r.status, r.body)
	}
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatalf("state file not written: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %v, want 0600", fi.Mode().Perm())
	}

	// The tray's fake re-reads the file: the activation is there, and tokens of the CLI's fake
	// (same state file, same signing key) are accepted.
	trayTok := tokenFor(t, tray, DemoTenantID, GraphResource, CredentialOptions{})
	active, _ := listAll(t, tray, tray.URL+graphBase+"/roleManagement/directory/roleAssignmentScheduleInstances"+fbcu, trayTok)
	if len(active) != 1 || active[0]["roleDefinitionId"] != RoleGlobalAdministrator {
		t.Fatalf("tray sees %v", active)
	}
	if r := call(t, tray, "GET", graphBase+"/me", tok, nil); r.status != 200 {
		t.Errorf("the CLI fake's token at the tray fake: %d", r.status)
	}
	// A change at the tray is seen by the CLI.
	clock.Advance(10 * time.Minute)
	deact := map[string]any{"action": "selfDeactivate", "principalId": DemoUserID, "roleDefinitionId": RoleGlobalAdministrator, "directoryScopeId": "/"}
	if r := call(t, tray, "POST", entraRequests, trayTok, deact); r.status != 201 {
		t.Fatalf("deactivate at the tray: %d %s", r.status, r.body)
	}
	if n := len(cli.Activations(DemoTenantID)); n != 0 {
		t.Errorf("CLI still sees %d activations", n)
	}

	// A new process (a third fake) starts from the file.
	third, _ := start(t, Options{StateFile: file, Now: clock.Now})
	reqs, _ := listAll(t, third, third.URL+entraRequests+fbcu, tokenFor(t, third, DemoTenantID, GraphResource, CredentialOptions{}))
	if len(reqs) != 2 {
		t.Errorf("restarted fake sees %d requests, want 2", len(reqs))
	}

	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), SecretMarker) {
		t.Fatal("the state file contains a secret")
	}
	if !strings.Contains(string(b), `"refreshTokens"`) {
		t.Error("the sign-in session was not persisted (as a hash)")
	}
	// No temp files are left behind.
	entries, _ := os.ReadDir(filepath.Dir(file))
	if len(entries) != 1 {
		t.Errorf("state folder holds %d files, want 1", len(entries))
	}
}

func TestRefreshTokenWorksAcrossFakesSharingState(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "state.json")
	clock := newClock()
	a, _ := start(t, Options{StateFile: file, Now: clock.Now})
	b, _ := start(t, Options{StateFile: file, Now: clock.Now})
	code := authorizeCode(t, a, DemoTenantID, pkceChallenge("v-0123456789012345678901234567890123456789"))
	r := postForm(t, a, a.URL+"/"+DemoTenantID+"/oauth2/v2.0/token", mapValues(map[string]string{"grant_type": "authorization_code",
		"client_id": testClientID, "code": code, "redirect_uri": "http://localhost:1234",
		"scope": GraphResource + "/.default offline_access", "code_verifier": "v-0123456789012345678901234567890123456789"}))
	rt := r.json(t)["refresh_token"].(string)
	r = postForm(t, b, b.URL+"/"+DemoTenantID+"/oauth2/v2.0/token", mapValues(map[string]string{"grant_type": "refresh_token",
		"client_id": testClientID, "refresh_token": rt, "scope": ARMResource + "/.default offline_access"}))
	if r.status != 200 {
		t.Fatalf("refresh at the other fake: %d %s", r.status, r.body)
	}
	b.RevokeRefreshTokens(DemoTenantID)
	r = postForm(t, a, a.URL+"/"+DemoTenantID+"/oauth2/v2.0/token", mapValues(map[string]string{"grant_type": "refresh_token",
		"client_id": testClientID, "refresh_token": r.json(t)["refresh_token"].(string), "scope": ARMResource + "/.default"}))
	if r.status != 400 || !strings.Contains(string(r.body), "AADSTS50173") {
		t.Fatalf("revoked at the other fake: %d %s", r.status, r.body)
	}
}

func TestCorruptStateFileIsSetAside(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "state.json")
	if err := os.WriteFile(file, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, _ := start(t, Options{StateFile: file})
	if _, err := os.Stat(file + ".corrupt"); err != nil {
		t.Errorf("corrupt file not set aside: %v", err)
	}
	tok := tokenFor(t, s, DemoTenantID, ARMResource, CredentialOptions{})
	if r := call(t, s, "PUT", armURL(DemoScopeProd, "roleAssignmentScheduleRequests/8c9d0e1f-2a3b-4c4d-9e5f-6a7b8c9d0e1f"), tok, armActivation(DemoScopeProd, RoleReader, "", "PT1H")); r.status != 201 {
		t.Fatalf("activate after a corrupt state: %d %s", r.status, r.body)
	}
	if _, err := readState(file); err != nil {
		t.Errorf("the new state file does not read back: %v", err)
	}
}

func TestSilentSignInSurvivesARestartWithTheSameState(t *testing.T) {
	t.Parallel()
	// One process signs in, exits; the next starts a fake on the same address with the same state
	// file and, with the MSAL cache it kept (pim/auth keeps it sealed), gets tokens silently.
	file := filepath.Join(t.TempDir(), "state.json")
	clock := newClock()
	shared := &memoryCache{}
	// One socket, kept bound by the test, served by each fake in turn: the port is never free
	// for another process to take between the two.
	socket := porttest.Listen(t)
	first, err := New(Options{StateFile: file, Now: clock.Now, Listener: porttest.Dup(t, socket)})
	if err != nil {
		t.Fatal(err)
	}
	signIn(t, first, msalClient(t, first, DemoTenantID, public.WithCache(shared)), graphScopes)
	first.Close()

	second, _ := start(t, Options{StateFile: file, Now: clock.Now, Listener: porttest.Dup(t, socket)})
	if second.URL != first.URL {
		t.Fatalf("the second fake serves %s, the first served %s", second.URL, first.URL)
	}
	c := msalClient(t, second, DemoTenantID, public.WithCache(shared))
	accounts, err := c.Accounts(ctxT(t))
	if err != nil || len(accounts) != 1 {
		t.Fatalf("accounts in the kept cache: %v %v", accounts, err)
	}
	res, err := c.AcquireTokenSilent(ctxT(t), armScopes, public.WithSilentAccount(accounts[0]))
	if err != nil {
		t.Fatalf("silent ARM token after a restart: %v", err)
	}
	if r := call(t, second, "GET", armURL("", "roleEligibilityScheduleInstances?$filter=asTarget()"), res.AccessToken, nil); r.status != 200 {
		t.Fatalf("ARM with the new token: %d", r.status)
	}
	for _, e := range second.Requests() {
		if strings.HasSuffix(e.Path, "/authorize") {
			t.Error("the restarted process went through /authorize")
		}
	}
}

// memoryCache is an MSAL cache kept in memory, shared by the clients of one test.
type memoryCache struct {
	mu   sync.Mutex
	data []byte
}

func (m *memoryCache) Replace(_ context.Context, u cache.Unmarshaler, _ cache.ReplaceHints) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.data == nil {
		return nil
	}
	return u.Unmarshal(m.data)
}

func (m *memoryCache) Export(_ context.Context, mm cache.Marshaler, _ cache.ExportHints) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, err := mm.Marshal()
	if err == nil {
		m.data = b
	}
	return err
}

func mapValues(m map[string]string) url.Values {
	v := url.Values{}
	for k, s := range m {
		v.Set(k, s)
	}
	return v
}
