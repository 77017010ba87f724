package cli_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/pimtray/pimtray/internal/fakeazure"
	"github.com/pimtray/pimtray/pim"
)

// azureRequests are the Graph and ARM requests the fake received (sign-in is the identity
// plane's; the tests' credential needs none).
func (w *world) azureRequests() []fakeazure.Request {
	var out []fakeazure.Request
	for _, r := range w.fake.Requests() {
		if r.Plane != "identity" {
			out = append(out, r)
		}
	}
	return out
}

func describe(rs []fakeazure.Request) string {
	var b strings.Builder
	for _, r := range rs {
		b.WriteString("\n  " + r.Method + " " + r.Path + "?" + r.Query)
	}
	return b.String()
}

// largeWorld is the large tenant (440 roles, 1,000 past requests per plane, pages of 100).
func largeWorld(t testing.TB, opts ...func(*fakeazure.Options)) *world {
	w := newWorld(t, append([]func(*fakeazure.Options){func(o *fakeazure.Options) {
		o.Tenants = []*fakeazure.Tenant{fakeazure.Large()}
		o.PageSize = fakeazure.LargePageSize
	}}, opts...)...)
	w.writeConfig(`{"tenants": [{"id": "` + fakeazure.LargeTenantID + `", "name": "` + fakeazure.LargeTenantName + `"}]}`)
	return w
}

// A command starts from what is known: after a listing, an activation of a listed role sends
// the activation and nothing else, in every plane; the list says how fresh each policy is.
func TestActivationOfAListedRoleIsOneRequest(t *testing.T) {
	t.Parallel()
	w := largeWorld(t)
	r := w.run("list", "--json")
	if r.code != 0 {
		t.Fatalf("list: %+v", r)
	}
	var roles []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &roles); err != nil || len(roles) != fakeazure.LargeRoles {
		t.Fatalf("list --json: %d roles, %v", len(roles), err)
	}
	for _, role := range roles {
		if role["policy"] == nil || role["policyReadAt"] == nil {
			t.Fatalf("a role without its policy or its age: %v", role)
		}
	}
	// A second listing a minute later reads nothing: it is all known.
	w.clk.Advance(time.Minute)
	w.fake.ResetLog()
	if r := w.run("list"); r.code != 0 {
		t.Fatalf("list again: %+v", r)
	}
	if rs := w.azureRequests(); len(rs) != 0 {
		t.Errorf("a listing a minute after another sent %d requests:%s", len(rs), describe(rs))
	}
	for _, c := range []struct{ args, want string }{
		{"Website Contributor|--scope|rg-shop|--reason|deploy", "PUT"},
		{"Security Reader|--reason|audit", "POST"},
		{"Member|--scope|PIM-Admins|--reason|on call", "POST"},
	} {
		w.fake.ResetLog()
		args := append([]string{"activate"}, strings.Split(c.args, "|")...)
		r := w.run(args...)
		if r.code != 0 || !strings.HasPrefix(r.stdout, "Activated ") {
			t.Fatalf("%v: %+v", args, r)
		}
		rs := w.azureRequests()
		if len(rs) != 1 || rs[0].Method != c.want {
			t.Errorf("%v sent %d requests, want the activation alone:%s", args, len(rs), describe(rs))
		}
	}
}

// elsewhere is another pimtray (or the portal) acting in the same tenant.
func (w *world) elsewhere(tenantID string) *pim.Client {
	c, err := pim.NewClient(w.fake.Credential(tenantID), &pim.ClientOptions{
		ClientOptions: azcore.ClientOptions{Transport: w.fake.HTTPClient()}, Cloud: w.fake.Cloud(), TenantID: tenantID, Now: w.clk.Now})
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

func findListed(t *testing.T, c *pim.Client, plane pim.Plane, name, scope string) pim.Role {
	t.Helper()
	ov, err := c.Overview(context.Background(), plane)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range ov.Eligible {
		if r.RoleName == name && (scope == "" || r.ScopeName == scope) {
			return r
		}
	}
	t.Fatalf("no %s on %q", name, scope)
	return pim.Role{}
}

// A stale cache still gives the true outcome, with Azure's answer deciding and never two
// activations: a role deactivated elsewhere is activated; one activated elsewhere is "already
// active"; one whose eligibility ended says so, and the next listing no longer shows it.
func TestStaleKnowledgeGivesTheTrueOutcome(t *testing.T) {
	t.Parallel()
	demo := fakeazure.Demo()
	demo.AddEntraRole(fakeazure.EntraRole{RoleDefinitionID: "194ae4cb-b126-40b2-bd5b-6091b380977d", Name: "Security Administrator",
		Policy: fakeazure.Policy{MaxDuration: 8 * time.Hour}, EligibleUntil: t0.Add(30 * time.Minute)})
	w := newWorld(t, func(o *fakeazure.Options) { o.Tenants = []*fakeazure.Tenant{demo} })
	w.writeConfig(`{"refreshInterval": "2h", "tenants": [{"id": "` + fakeazure.DemoTenantID + `", "name": "Contoso"}]}`)
	other := w.elsewhere(fakeazure.DemoTenantID)
	ctx := context.Background()

	if r := w.run("list"); r.code != 0 {
		t.Fatalf("list: %+v", r)
	}
	// Deactivated elsewhere: pimtray activated it, then another client ended it.
	if r := w.run("activate", "Reader", "--for", "1h"); r.code != 0 {
		t.Fatalf("activate Reader: %+v", r)
	}
	w.clk.Advance(6 * time.Minute)
	if err := other.Deactivate(ctx, findListed(t, other, pim.PlaneAzure, "Reader", "Prod")); err != nil {
		t.Fatal(err)
	}
	w.fake.ResetLog()
	r := w.run("activate", "Reader", "--for", "1h")
	if r.code != 0 || r.stdout != "Activated Reader · Prod until 10:06 (1h).\n" {
		t.Errorf("activate Reader after it was deactivated elsewhere: %+v", r)
	}
	if acts := w.activations(); len(acts) != 1 {
		t.Errorf("%d activations sent, want 1", len(acts))
	}

	// Activated elsewhere: the cache says eligible; Azure says it exists.
	if _, err := other.Activate(ctx, pim.ActivateRequest{Role: findListed(t, other, pim.PlaneEntra, "Security Reader", ""), Duration: 2 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	w.fake.ResetLog()
	r = w.run("activate", "Security Reader")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "Security Reader is already active until 11:06") {
		t.Errorf("activate Security Reader active elsewhere: %+v", r)
	}
	if acts := w.activations(); len(acts) != 1 {
		t.Errorf("%d activations sent, want 1 (refused as existing)", len(acts))
	}

	// Eligibility ended since the listing (still fresh by the refresh interval).
	w.clk.Advance(30 * time.Minute)
	w.fake.ResetLog()
	r = w.run("activate", "Security Administrator")
	if r.code != 1 || !strings.Contains(r.stderr, "Azure found no eligibility to activate Security Administrator") {
		t.Errorf("activate an ended eligibility: %+v", r)
	}
	if acts := w.activations(); len(acts) != 1 {
		t.Errorf("%d activations sent, want 1", len(acts))
	}
	r = w.run("list")
	if r.code != 0 || strings.Contains(r.stdout, "Security Administrator") {
		t.Errorf("the ended eligibility is still listed: %+v", r)
	}
}
