package engine

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/pimtray/pimtray/internal/fakeazure"
	"github.com/pimtray/pimtray/internal/testkit/clocktest"
	"github.com/pimtray/pimtray/pim"
	"github.com/pimtray/pimtray/store"
)

// These tests run the engine with the real pim client against the fake Azure (HTTPS,
// Graph and ARM), on a fake clock shared by both.

type azureHarness struct {
	*harness
	fake *fakeazure.Server
}

func newAzureHarness(t *testing.T, fo fakeazure.Options, favs ...store.Favourite) *azureHarness {
	t.Helper()
	clk := clocktest.NewFake(t0)
	fo.Now = clk.Now
	fake, err := fakeazure.New(fo)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	return newAzureHarnessOn(t, fake, clk, "", favs...)
}

// newAzureHarnessOn is an engine on an existing fake Azure and clock, with a state file
// (empty: none): a second one on the same file is the tray restarted.
func newAzureHarnessOn(t *testing.T, fake *fakeazure.Server, clk *clocktest.Fake, stateFile string, favs ...store.Favourite) *azureHarness {
	t.Helper()
	client, err := pim.NewClient(fake.Credential(fakeazure.DemoTenantID), &pim.ClientOptions{
		ClientOptions: azcore.ClientOptions{Transport: fake.HTTPClient()},
		Cloud:         fake.Cloud(), TenantID: fakeazure.DemoTenantID, Now: clk.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg := store.DefaultConfig()
	cfg.Favourites = favs
	cfg.RefreshInterval = store.Duration(time.Hour) // fewer listings while the clock runs through hours
	h := &harness{t: t, clk: clk, prompt: &fakePrompter{}, saved: make(chan *store.Config, 16)}
	e, err := New(Options{
		Clock: clk, Config: cfg, Location: time.UTC, Prompter: h.prompt, Jitter: func() float64 { return 0.5 }, StateFile: stateFile,
		Tenants: []TenantBackend{{ID: fakeazure.DemoTenantID, Name: fakeazure.DemoTenantName, API: client}},
		Log:     slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	h.e = e
	return &azureHarness{harness: h, fake: fake}
}

// demoRole finds a demo role by name and scope name.
func (h *azureHarness) role(name, scope string) pim.Role {
	h.t.Helper()
	for _, it := range h.e.Snapshot().All {
		if it.Role.RoleName == name && (scope == "" || it.Role.ScopeName == scope) {
			return it.Role
		}
	}
	h.t.Fatalf("no %s on %s", name, scope)
	return pim.Role{}
}

// writes are the requests at the fake that ask for something (activate, deactivate, cancel).
func (h *azureHarness) writes() []fakeazure.Request {
	var out []fakeazure.Request
	for _, r := range h.fake.Requests() {
		p := strings.ToLower(r.Path)
		if (r.Method == "POST" || r.Method == "PUT") && strings.Contains(p, "assignmentschedulerequests") {
			out = append(out, r)
		}
	}
	return out
}

func bodyHas(r fakeazure.Request, s string) bool {
	return strings.Contains(strings.ToLower(r.Body), strings.ToLower(s))
}

// demoFav is a favourite for a demo role by key parts.
func demoFav(plane pim.Plane, roleID, scope string, mod ...func(*store.Favourite)) store.Favourite {
	r := pim.Role{Plane: plane, TenantID: fakeazure.DemoTenantID, RoleID: roleID, Scope: scope}
	f := store.Favourite{Key: r.Key(), Tenant: fakeazure.DemoTenantID, Plane: string(plane), RoleID: roleID, Scope: scope}
	for _, m := range mod {
		m(&f)
	}
	return f
}

func TestFakeAzureClickCountdownExpiry(t *testing.T) {
	// Owner on IT as the demo lists it: its key comes from the first refresh.
	h := newAzureHarness(t, fakeazure.Options{})
	h.start()
	owner := h.role("Owner", "IT")
	h.e.ToggleFavourite(owner.Key())
	h.e.mu.Lock()
	h.e.cfg.Favourites[0].Justification = "deploy"
	h.e.cfg.Favourites[0].Duration = store.Duration(time.Hour)
	h.e.mu.Unlock()
	h.settle()
	h.fake.ResetLog()

	h.e.Activate(owner.Key())
	h.e.Activate(owner.Key()) // a double click
	s := h.stateIs(owner, StateActive)
	if got := Label(s.Favourites[0], h.clk.Now()); got != "Owner · IT — 1h 00m left" {
		t.Errorf("label = %q", got)
	}
	h.settle()
	w := h.writes()
	if len(w) != 1 || w[0].Method != "PUT" || !bodyHas(w[0], "SelfActivate") || !bodyHas(w[0], `"justification":"deploy"`) {
		t.Fatalf("writes = %+v", w)
	}
	h.advance(59 * time.Minute)
	if got := Label(item(h.e.Snapshot(), owner), h.clk.Now()); got != "Owner · IT — 1m 00s left" {
		t.Errorf("label = %q", got)
	}
	h.advance(time.Minute)
	s = h.stateIs(owner, StateEligible)
	if got := Label(s.Favourites[0], h.clk.Now()); got != "Owner · IT — activate (1h)" {
		t.Errorf("label after expiry = %q", got)
	}
	if n := len(h.writes()); n != 1 {
		t.Fatalf("%d writes in all", n)
	}
}

func TestFakeAzurePendingApprovedActive(t *testing.T) {
	bg := demoFav(pim.PlaneGroup, "owner", fakeazure.DemoBreakGlassGroupID, func(f *store.Favourite) { f.Justification = "incident" })
	h := newAzureHarness(t, fakeazure.Options{}, bg)
	h.start()
	role := h.role("Owner", "Break-Glass")
	if role.Key() != bg.Key {
		t.Fatalf("key %q, favourite %q", role.Key(), bg.Key)
	}
	h.e.Activate(bg.Key)
	s := h.stateIs(role, StatePending)
	if got := Label(s.Favourites[0], h.clk.Now()); got != "Owner · Break-Glass — pending approval" {
		t.Errorf("label = %q", got)
	}
	h.settle()
	reqs := h.fake.PendingRequests(fakeazure.DemoTenantID)
	if len(reqs) != 1 {
		t.Fatalf("pending at the fake: %+v", reqs)
	}
	if err := h.fake.Approve(reqs[0].ID); err != nil {
		t.Fatal(err)
	}
	h.advance(PendingPollInterval)
	n := h.notice(NoticeApproved)
	if n.Title != "Owner · Break-Glass approved" {
		t.Errorf("notice = %+v", n)
	}
	s = h.stateIs(role, StateActive)
	if it := s.Favourites[0]; !it.ExpiresAt.Equal(t0.Add(2 * time.Hour)) { // approved at t0
		t.Errorf("expires %v", it.ExpiresAt)
	}
	if n := len(h.writes()); n != 1 {
		t.Fatalf("%d writes", n)
	}
}

func TestFakeAzureReminderReactivate(t *testing.T) {
	for _, accept := range []bool{false, true} {
		name := "extension refused: restart"
		if accept {
			name = "extension accepted"
		}
		t.Run(name, func(t *testing.T) {
			owner := demoFav(pim.PlaneAzure, "/providers/Microsoft.Management/managementGroups/IT/providers/Microsoft.Authorization/roleDefinitions/"+fakeazure.RoleOwner,
				fakeazure.DemoScopeIT, func(f *store.Favourite) { f.Justification, f.Duration = "deploy", store.Duration(time.Hour) })
			h := newAzureHarness(t, fakeazure.Options{AcceptScheduledExtension: accept}, owner)
			h.start()
			role := h.role("Owner", "IT")
			if role.Key() != owner.Key {
				t.Fatalf("key %q, favourite %q", role.Key(), owner.Key)
			}
			h.e.Activate(owner.Key)
			h.stateIs(role, StateActive)
			h.settle()
			h.fake.ResetLog()
			h.advance(45 * time.Minute)
			rem := h.notice(NoticeReminder)
			if rem.Title != "Owner · IT ends in 15 minutes" || !strings.Contains(strings.Join(rem.Actions, ","), ActionReactivate) {
				t.Fatalf("reminder = %+v", rem)
			}
			h.e.NoticeAction(rem.ID, ActionReactivate)
			n := h.notice(NoticeReactivated)
			wantEnd := "10:45"
			if accept {
				wantEnd = "11:00"
			}
			if n.Body != "Active until "+wantEnd+"." {
				t.Fatalf("notice = %+v", n)
			}
			h.settle()
			w := h.writes()
			var kinds []string
			for _, r := range w {
				switch {
				case bodyHas(r, "SelfDeactivate"):
					kinds = append(kinds, "deactivate")
				case bodyHas(r, `"startDateTime":"2025-03-10T10:00:00`):
					kinds = append(kinds, "activate-at-end")
				case bodyHas(r, "SelfActivate"):
					kinds = append(kinds, "activate-now")
				}
			}
			want := "activate-at-end,deactivate,activate-now"
			if accept {
				want = "activate-at-end"
			}
			if got := strings.Join(kinds, ","); got != want {
				t.Fatalf("requests = %s, want %s (%+v)", got, want, w)
			}
			s := h.e.Snapshot()
			if it := s.Favourites[0]; it.State != StateActive || it.ExpiresAt.Format("15:04") != wantEnd {
				t.Fatalf("menu = %+v", it)
			}
			// The access goes on past the old end, without an "ended" notice.
			h.advance(20 * time.Minute)
			h.settle()
			if it := h.e.Snapshot().Favourites[0]; it.State != StateActive {
				t.Fatalf("after the old end: %+v", it)
			}
			select {
			case n := <-h.e.Notices():
				if n.Kind == NoticeEnded {
					t.Fatalf("ended notice for a re-activated role: %+v", n)
				}
			default:
			}
		})
	}
}

func TestFakeAzureStepUp(t *testing.T) {
	ex := demoFav(pim.PlaneEntra, fakeazure.RoleExchangeAdministrator, "/", func(f *store.Favourite) { f.Justification = "mail" })
	h := newAzureHarness(t, fakeazure.Options{}, ex)
	h.start()
	h.e.Activate(ex.Key)
	h.waitFor("active", func(s Snapshot) bool { return s.Favourites[0].State == StateActive })
	h.settle()
	w := h.writes()
	if len(w) != 2 {
		t.Fatalf("%d writes: want the refused one and one retry with the claims", len(w))
	}
	if w[0].Status < 400 || w[1].Status >= 300 {
		t.Fatalf("statuses %d, %d", w[0].Status, w[1].Status)
	}
}
