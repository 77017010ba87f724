package tray

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/pimtray/pimtray/internal/engine"
	"github.com/pimtray/pimtray/internal/fakeazure"
	"github.com/pimtray/pimtray/pim"
	"github.com/pimtray/pimtray/store"
)

// The menu of the real engine on the large fake tenant (440 roles over 200 scopes, pages of
// 100, as issue 10 measured it): no level over 40 entries, and every role reachable — in
// the menu, and all of them through "Find a role…".
func TestMenuOfTheLargeTenant(t *testing.T) {
	fake, err := fakeazure.New(fakeazure.Options{Tenants: []*fakeazure.Tenant{fakeazure.Large()}, PageSize: fakeazure.LargePageSize})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	client, err := pim.NewClient(fake.Credential(fakeazure.LargeTenantID), &pim.ClientOptions{
		ClientOptions: azcore.ClientOptions{Transport: fake.HTTPClient()}, Cloud: fake.Cloud(), TenantID: fakeazure.LargeTenantID,
	})
	if err != nil {
		t.Fatal(err)
	}
	e, err := engine.New(engine.Options{Config: store.DefaultConfig(), Location: time.UTC,
		Tenants: []engine.TenantBackend{{ID: fakeazure.LargeTenantID, Name: "Fabrikam", API: client}},
		Log:     slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := e.RefreshNow(ctx, ""); err != nil {
		t.Fatal(err)
	}
	s := e.Snapshot()
	if len(s.All) != fakeazure.LargeRoles {
		t.Fatalf("%d roles, want %d", len(s.All), fakeazure.LargeRoles)
	}
	on := false
	m := buildMenu(s, time.Now(), menuEnv{label: engine.Label, chooser: true, planner: true, loc: time.UTC,
		autostart: &on, openConfig: true, openLog: true, about: "pimtray (devel)"})
	if most, where := maxLevel(m); most > maxEntries {
		t.Errorf("%s has %d entries, at most %d", where, most, maxEntries)
	}
	inMenu := reachable(m)
	missing := 0
	for _, it := range s.All {
		if !inMenu[it.Key] {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d roles are not in the menu", missing, len(s.All))
	}
	if rows := findRows(s.All, time.Now()); len(rows.cells) != len(s.All) {
		t.Errorf("Find a role lists %d of %d roles", len(rows.cells), len(s.All))
	}
	t.Logf("%d roles: %d entries on the top level; every role in the menu and in Find a role…", len(s.All), len(m))
}
