package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"
	msalerrors "github.com/AzureAD/microsoft-authentication-library-for-go/apps/errors"

	"github.com/pimtray/pimtray/pim"
)

type (
	cacheUnmarshaler = cache.Unmarshaler
	cacheMarshaler   = cache.Marshaler
	replaceHints     = cache.ReplaceHints
	exportHints      = cache.ExportHints
)

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestRouteScopes(t *testing.T) {
	t.Parallel()
	fakeCloud := pim.Cloud{AuthorityHost: "https://127.0.0.1:8443/", Graph: "https://127.0.0.1:8443/graph",
		ARM: "https://127.0.0.1:8443/arm", GraphAudience: "https://graph.microsoft.com", ARMAudience: "https://management.azure.com"}
	s, err := New(Options{Cloud: fakeCloud, TenantID: "contoso.example", GraphClientID: "g", ARMClientID: "a"})
	if err != nil {
		t.Fatal(err)
	}
	graphAll := GraphScopes(fakeCloud)
	tests := []struct {
		name   string
		in     []string
		plane  tokenPlane
		client string
		out    []string
	}{
		{"graph default becomes the PIM permissions", []string{"https://graph.microsoft.com/.default"}, planeGraph, "g", graphAll},
		{"graph explicit stays", []string{"https://graph.microsoft.com/User.Read"}, planeGraph, "g", []string{"https://graph.microsoft.com/User.Read"}},
		{"arm default stays", []string{"https://management.azure.com/.default"}, planeARM, "a", []string{"https://management.azure.com/.default"}},
		{"arm with double slash", []string{"https://management.azure.com//.default"}, planeARM, "a", []string{"https://management.azure.com//.default"}},
		{"arm user_impersonation", []string{"https://management.azure.com/user_impersonation"}, planeARM, "a", []string{"https://management.azure.com/user_impersonation"}},
		{"legacy arm resource", []string{"https://management.core.windows.net//.default"}, planeARM, "a", []string{"https://management.core.windows.net//.default"}},
		{"other resource goes to the graph client as asked", []string{"https://vault.azure.net/.default"}, planeOther, "g", []string{"https://vault.azure.net/.default"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plane, c, out := s.route(tt.in)
			if plane != tt.plane || c.id != tt.client || !reflect.DeepEqual(out, tt.out) {
				t.Errorf("route(%v) = %v, %s, %v; want %v, %s, %v", tt.in, plane, c.id, out, tt.plane, tt.client, tt.out)
			}
		})
	}
	if len(graphAll) != 7 || graphAll[0] != "https://graph.microsoft.com/RoleEligibilitySchedule.Read.Directory" {
		t.Errorf("GraphScopes = %v", graphAll)
	}
}

func TestNewRefusesBadInput(t *testing.T) {
	t.Parallel()
	for _, o := range []Options{
		{},
		{Cloud: pim.AzurePublic, TenantID: "my tenant"},
		{Cloud: pim.AzurePublic, TenantID: "../etc"},
		{Cloud: pim.Cloud{AuthorityHost: "http://login.example/"}},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v): want an error", o)
		}
	}
	s, err := New(Options{Cloud: pim.AzurePublic})
	if err != nil {
		t.Fatal(err)
	}
	if s.TenantID() != "organizations" || s.graph.id != DefaultGraphClientID || s.arm.id != DefaultARMClientID {
		t.Errorf("defaults: tenant %q graph %q arm %q", s.TenantID(), s.graph.id, s.arm.id)
	}
	one, err := New(Options{Cloud: pim.AzurePublic, ClientID: "11111111-2222-3333-4444-555555555555"})
	if err != nil {
		t.Fatal(err)
	}
	if one.graph != one.arm {
		t.Error("one client id for both planes should be one MSAL client")
	}
}

func TestInteractiveContext(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	if IsInteractive(ctx) {
		t.Fatal("background is not interactive")
	}
	if !IsInteractive(Interactive(ctx)) {
		t.Fatal("Interactive(ctx) is")
	}
}

// callErr builds an MSAL CallErr as MSAL's HTTP layer does.
func callErr(status int, body string) error {
	req, _ := http.NewRequest(http.MethodPost, "https://login.example/t/oauth2/v2.0/token", nil)
	return msalerrors.CallErr{Req: req, Resp: &http.Response{StatusCode: status, Body: io.NopCloser(strings.NewReader(body))},
		Err: fmt.Errorf("http call error: reply status code was %d:\n%s", status, body)}
}

func TestNeedsInteraction(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		err  error
		want bool
	}{
		{"no account", errNoAccount, true},
		{"revoked", callErr(400, `{"error":"invalid_grant","error_description":"AADSTS50173: revoked"}`), true},
		{"claims", callErr(400, `{"error":"interaction_required","error_description":"AADSTS50076: mfa"}`), true},
		{"consent", callErr(400, `{"error":"consent_required"}`), true},
		{"throttled", callErr(429, `{"error":"temporarily_unavailable"}`), false},
		{"server", callErr(503, `{"error":"server_error"}`), false},
		{"bad client", callErr(401, `{"error":"invalid_client"}`), false},
		{"network", fmt.Errorf("server response error:\n %w", &url.Error{Op: "Post", URL: "https://x", Err: &net.OpError{Op: "dial", Err: errors.New("connection refused")}}), false},
		{"cancelled", context.Canceled, false},
		{"msal cache miss", errors.New("refresh token not found"), true},
	} {
		if got := needsInteraction(tt.err); got != tt.want {
			t.Errorf("%s: needsInteraction = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestFailureMessages(t *testing.T) {
	t.Parallel()
	s, err := New(Options{Cloud: pim.AzurePublic, TenantID: "72f988bf-86f1-41af-91ab-2d7cd011db47", TenantName: "Contoso"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tt := range []struct {
		err  error
		kind pim.Kind
		want string
	}{
		{callErr(400, `{"error":"invalid_tenant","error_description":"AADSTS90002: Tenant 'x' not found. Trace ID: 1"}`), pim.KindOther,
			`Tenant "72f988bf-86f1-41af-91ab-2d7cd011db47" was not found at login.microsoftonline.com: check the tenant id (its GUID or a domain like contoso.onmicrosoft.com).`},
		{callErr(503, `{"error":"server_error"}`), pim.KindUnavailable,
			"The sign-in service at login.microsoftonline.com is not answering properly (HTTP 503): try again in a moment."},
		{callErr(400, `{"error":"invalid_grant","error_description":"AADSTS65001: The user or administrator has not consented to use the application. Trace ID: abc\r\nCorrelation ID: x"}`), pim.KindPermission,
			"Sign-in to Contoso was refused: the app has no consent for the permissions pimtray needs (AADSTS65001: The user or administrator has not consented to use the application); an admin must grant consent, see the README."},
		{&url.Error{Op: "Post", URL: "https://x", Err: &net.OpError{Op: "dial", Err: errors.New("connection refused")}}, pim.KindUnavailable,
			"Cannot reach the sign-in service at login.microsoftonline.com: connection refused."},
	} {
		err := s.failure(ctx, tt.err)
		var pe *pim.Error
		if !errors.As(err, &pe) || pe.Kind != tt.kind || err.Error() != tt.want {
			t.Errorf("failure(%v)\n got %v (%T)\nwant %s", tt.err, err, err, tt.want)
		}
	}
}

func TestSignInNeededMessage(t *testing.T) {
	t.Parallel()
	s, _ := New(Options{Cloud: pim.AzurePublic, TenantID: "contoso.onmicrosoft.com"})
	err := s.signInNeeded("")
	if !errors.Is(err, pim.ErrSignInNeeded) {
		t.Fatalf("got %v", err)
	}
	if err.Error() != "Sign in needed for contoso.onmicrosoft.com: run `pimtray signin` or use Sign in… in the tray." {
		t.Errorf("message: %s", err)
	}
}

// blobCache is a TokenCache in memory that records exports.
type blobCache struct {
	mu      sync.Mutex
	data    []byte
	exports int
}

func (b *blobCache) Replace(_ context.Context, u cacheUnmarshaler, _ replaceHints) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.data == nil {
		return nil
	}
	return u.Unmarshal(b.data)
}

func (b *blobCache) Export(_ context.Context, m cacheMarshaler, _ exportHints) error {
	d, err := m.Marshal()
	if err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.data, b.exports = d, b.exports+1
	return nil
}
func (b *blobCache) Storage() string              { return "keyring" }
func (b *blobCache) Warning() string              { return "" }
func (b *blobCache) Delete(context.Context) error { b.data = nil; return nil }

type section struct{ data []byte }

func (s *section) Marshal() ([]byte, error) { return s.data, nil }
func (s *section) Unmarshal(d []byte) error {
	s.data = append([]byte(nil), d...)
	return nil
}

func TestSharedCacheKeepsEachClientsSection(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	under := &blobCache{}
	sc := &sharedCache{under: under, log: discard()}
	graph, arm := sc.forClient("graph-client"), sc.forClient("arm-client")

	// Both clients load (nothing yet), then export in turn: neither loses the other's data.
	if err := graph.Replace(ctx, &section{}, replaceHints{}); err != nil {
		t.Fatal(err)
	}
	if err := arm.Replace(ctx, &section{}, replaceHints{}); err != nil {
		t.Fatal(err)
	}
	if err := graph.Export(ctx, &section{data: []byte(`{"g":1}`)}, exportHints{}); err != nil {
		t.Fatal(err)
	}
	if err := arm.Export(ctx, &section{data: []byte(`{"a":2}`)}, exportHints{}); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{"graph-client": `{"g":1}`, "arm-client": `{"a":2}`} {
		got := &section{}
		if err := sc.forClient(id).Replace(ctx, got, replaceHints{}); err != nil {
			t.Fatal(err)
		}
		if string(got.data) != want {
			t.Errorf("%s section = %s, want %s", id, got.data, want)
		}
	}
	// A client without a section leaves MSAL's cache alone.
	got := &section{data: []byte("untouched")}
	if err := sc.forClient("third").Replace(ctx, got, replaceHints{}); err != nil || string(got.data) != "untouched" {
		t.Errorf("third = %s, %v", got.data, err)
	}
	// Something else stored (an older shape) reads as empty, not as an error.
	under.data = []byte("not json")
	got = &section{}
	if err := graph.Replace(ctx, got, replaceHints{}); err != nil || got.data != nil {
		t.Errorf("garbage: %s, %v", got.data, err)
	}
	if under.exports != 2 {
		t.Errorf("exports = %d", under.exports)
	}
}
