package pim_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pimtray/pimtray/internal/fakeazure"
	"github.com/pimtray/pimtray/pim"
)

// writes are the requests in the fake's log that change something (POST, PUT).
func writes(s *fakeazure.Server) []string {
	var out []string
	for _, r := range s.Requests() {
		if r.Method == http.MethodPost || r.Method == http.MethodPut {
			out = append(out, r.Method+" "+r.Path)
		}
	}
	return out
}

func listed(ov *pim.Overview, key string) (active, open []pim.Activation) {
	for _, a := range ov.Active {
		if a.Role.Key() == key {
			active = append(active, a)
		}
	}
	for _, a := range ov.Pending {
		if a.Role.Key() == key {
			open = append(open, a)
		}
	}
	return active, open
}

// On each plane, with Azure's clock 7 minutes behind the user's: an activation for a later
// start is one request whose start is on Azure's clock; Azure answers it scheduled; the open
// requests list it as scheduled (the assignments do not) until its start; then it is active
// with no further request, for the duration asked from its start.
func TestScheduledActivationStartsOnItsOwn(t *testing.T) {
	const skew = 7 * time.Minute
	for _, c := range []struct {
		plane       pim.Plane
		role, scope string
	}{
		{pim.PlaneEntra, "Security Reader", "Directory"},
		{pim.PlaneAzure, "Owner", "IT"},
		{pim.PlaneGroup, "Member", "PIM-Admins"},
	} {
		t.Run(string(c.plane), func(t *testing.T) {
			s, client, clk := startSkewedFake(t, skew, nil)
			ctx := context.Background()
			ov, _ := client.Overview(ctx, c.plane)
			role := findRole(t, ov, c.plane, c.role, c.scope)
			at := clk.Now().Add(3 * time.Hour).Truncate(time.Minute)
			s.ResetLog()
			act, err := client.Activate(ctx, pim.ActivateRequest{Role: role, Justification: "later", Duration: 2 * time.Hour, StartAt: at,
				Policy: &pim.Policy{MaxDuration: 8 * time.Hour, Justification: true, Known: true}})
			if err != nil {
				t.Fatal(err)
			}
			if w := writes(s); len(w) != 1 {
				t.Fatalf("requests that change something: %q, want one", w)
			}
			if got := sentStart(t, s); !got.Equal(at.Add(-skew)) {
				t.Errorf("startDateTime sent %v, want %v (Azure's clock)", got, at.Add(-skew))
			}
			if act.Status != pim.StatusScheduled || !act.StartsAt.Equal(at) || !act.ExpiresAt.Equal(at.Add(2*time.Hour)) || act.RequestID == "" {
				t.Fatalf("answer %+v, want scheduled %v – %v with its request id", act, at, at.Add(2*time.Hour))
			}

			ov, err = client.Overview(ctx, c.plane)
			if err != nil {
				t.Fatal(err)
			}
			active, open := listed(ov, role.Key())
			if len(active) != 0 || len(open) != 1 || open[0].Status != pim.StatusScheduled || !open[0].StartsAt.Equal(at) {
				t.Fatalf("before its start: active %+v, open %+v; want one scheduled from %v", active, open, at)
			}

			clk.Advance(3*time.Hour + time.Minute)
			s.ResetLog()
			ov, err = client.Overview(ctx, c.plane)
			if err != nil {
				t.Fatal(err)
			}
			active, open = listed(ov, role.Key())
			if len(open) != 0 || len(active) != 1 || !active[0].ExpiresAt.Equal(at.Add(2*time.Hour)) {
				t.Fatalf("after its start: active %+v, open %+v; want it active until %v", active, open, at.Add(2*time.Hour))
			}
			if w := writes(s); len(w) != 0 {
				t.Fatalf("requests sent for it to start: %q", w)
			}
		})
	}
}

// Cancelling a scheduled activation is one POST …/cancel on its request; Azure then holds
// nothing for the role.
func TestScheduledActivationIsCancelled(t *testing.T) {
	for _, c := range []struct {
		plane       pim.Plane
		role, scope string
		path        string
	}{
		{pim.PlaneEntra, "Security Reader", "Directory", "/roleManagement/directory/roleAssignmentScheduleRequests/"},
		{pim.PlaneAzure, "Owner", "IT", "/providers/Microsoft.Authorization/roleAssignmentScheduleRequests/"},
		{pim.PlaneGroup, "Member", "PIM-Admins", "/identityGovernance/privilegedAccess/group/assignmentScheduleRequests/"},
	} {
		t.Run(string(c.plane), func(t *testing.T) {
			s, client, clk := startSkewedFake(t, 0, nil)
			ctx := context.Background()
			ov, _ := client.Overview(ctx, c.plane)
			role := findRole(t, ov, c.plane, c.role, c.scope)
			if _, err := client.Activate(ctx, pim.ActivateRequest{Role: role, Justification: "later", Duration: time.Hour,
				StartAt: clk.Now().Add(10 * time.Hour)}); err != nil {
				t.Fatal(err)
			}
			ov, _ = client.Overview(ctx, c.plane)
			_, open := listed(ov, role.Key())
			if len(open) != 1 {
				t.Fatalf("open requests %+v, want the scheduled one", open)
			}
			s.ResetLog()
			if err := client.Cancel(ctx, open[0]); err != nil {
				t.Fatal(err)
			}
			w := writes(s)
			if len(w) != 1 || !strings.HasPrefix(w[0], "POST ") || !strings.Contains(w[0], c.path) || !strings.HasSuffix(w[0], "/cancel") {
				t.Fatalf("requests %q, want one POST %s{id}/cancel", w, c.path)
			}
			if held := s.Activations(fakeazure.DemoTenantID); len(held) != 0 {
				t.Fatalf("Azure still holds %+v", held)
			}
			clk.Advance(11 * time.Hour)
			ov, _ = client.Overview(ctx, c.plane)
			if active, open := listed(ov, role.Key()); len(active)+len(open) != 0 {
				t.Fatalf("after cancel: active %+v, open %+v", active, open)
			}
		})
	}
}
