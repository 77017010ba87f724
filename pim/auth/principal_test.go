package auth_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pimtray/pimtray/internal/fakeazure"
	"github.com/pimtray/pimtray/pim"
	"github.com/pimtray/pimtray/pim/auth"
)

// A warm process (signed in before, a new Session over the same cache) activates with the
// activation request alone: the user's object id comes from the signed-in account, not /me.
func TestActivationOfAWarmSessionAsksNoMe(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFake(t, fakeazure.Options{})
	ks := newKeyStore(t)
	first := newSession(t, f, fakeazure.DemoTenantID, ks.cache(t, fakeazure.DemoTenantID, nil), (&browser{open: f.Browser()}).OpenURL)
	if _, err := first.SignIn(ctx, auth.SignInOptions{}); err != nil {
		t.Fatal(err)
	}
	second := newSession(t, f, fakeazure.DemoTenantID, ks.cache(t, fakeazure.DemoTenantID, nil), noBrowser(t))
	p, tid, ok := second.Principal()
	if !ok || p.ID != fakeazure.DemoUserID || !strings.EqualFold(tid, fakeazure.DemoTenantID) || p.UserPrincipalName != fakeazure.DemoUserUPN {
		t.Fatalf("Principal() = %+v, %q, %v", p, tid, ok)
	}
	o := &pim.ClientOptions{Cloud: f.Cloud(), TenantID: fakeazure.DemoTenantID}
	o.Transport = f.HTTPClient()
	c, err := pim.NewClient(second, o)
	if err != nil {
		t.Fatal(err)
	}
	f.ResetLog()
	known := pim.Policy{Known: true, MaxDuration: 8 * time.Hour}
	entra := pim.Role{Plane: pim.PlaneEntra, TenantID: fakeazure.DemoTenantID, RoleID: fakeazure.RoleSecurityReader, RoleName: "Security Reader", Scope: "/"}
	if _, err := c.Activate(ctx, pim.ActivateRequest{Role: entra, Duration: time.Hour, Policy: &known}); err != nil {
		t.Fatal(err)
	}
	azure := pim.Role{Plane: pim.PlaneAzure, TenantID: fakeazure.DemoTenantID, RoleName: "Reader", Scope: fakeazure.DemoScopeProd,
		RoleID: fakeazure.DemoScopeProd + "/providers/Microsoft.Authorization/roleDefinitions/" + fakeazure.RoleReader}
	if _, err := c.Activate(ctx, pim.ActivateRequest{Role: azure, Duration: time.Hour, Policy: &known}); err != nil {
		t.Fatal(err)
	}
	var sent []string
	for _, r := range f.Requests() {
		if r.Plane != "identity" { // token refreshes are the sign-in's business
			sent = append(sent, r.Method+" "+r.Path)
		}
	}
	if len(sent) != 2 || !strings.HasPrefix(sent[0], "POST ") || !strings.HasPrefix(sent[1], "PUT ") {
		t.Errorf("two warm activations sent %d requests, want the two activations alone:\n%s", len(sent), strings.Join(sent, "\n"))
	}
}
