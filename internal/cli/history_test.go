package cli_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pimtray/pimtray/internal/fakeazure"
)

func historyWorld(t *testing.T, past int) *world {
	return newWorld(t, func(o *fakeazure.Options) {
		tenant := fakeazure.Demo()
		tenant.PastRequests = past
		o.Tenants = []*fakeazure.Tenant{tenant}
	})
}

// history prints the fake's request history (10 past requests per plane, and two made now),
// newest first: when, the plane, the role, how it ended, the length asked, the justification.
// It reads the three request lists and nothing else (Graph's in one page, ARM's whole).
func TestHistoryHuman(t *testing.T) {
	t.Parallel()
	w := historyWorld(t, 10)
	if r := w.run("activate", "Owner", "--scope", "IT", "--for", "2h", "--reason", "deploy"); r.code != 0 {
		t.Fatalf("activate: %+v", r)
	}
	if r := w.run("activate", "Security Reader", "--at", "2025-03-11T08:30"); r.code != 0 {
		t.Fatalf("activate --at: %+v", r)
	}
	w.fake.ResetLog()
	r := w.run("history", "--days", "400")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("history: %+v", r)
	}
	if r.stdout != wantHistory {
		t.Errorf("history:\n%s\nwant:\n%s", r.stdout, wantHistory)
	}
	var reads []string
	for _, q := range w.fake.Requests() {
		if q.Plane != "identity" {
			reads = append(reads, q.Method+" "+q.Path)
		}
	}
	for _, q := range reads {
		if !strings.HasPrefix(q, "GET ") || !strings.Contains(strings.ToLower(q), "schedulerequests") {
			t.Errorf("history read %s", q)
		}
	}

	r = w.run("history", "--days", "30")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "2025-03-10 09:00  Entra ID  Security Reader  scheduled for 2025-03-11 08:30  8h\n") ||
		strings.Count(r.stdout, "\n") != 2 {
		t.Errorf("the last 30 days: %+v", r)
	}
}

const wantHistory = `2025-03-10 09:00  Entra ID  Security Reader                   scheduled for 2025-03-11 08:30  8h
2025-03-10 09:00  Azure     Owner · IT                        activated                       2h  deploy
2025-01-25 21:00  Entra ID  Exchange Administrator            timed out (no decision)         2h  Change 4009
2025-01-25 21:00  Azure     Contributor · rg-web              timed out (no decision)         2h  Change 4009
2025-01-25 21:00  Groups    Owner · Break-Glass               timed out (no decision)         2h  Change 4009
2024-12-20 09:00  Entra ID  Global Administrator              cancelled                       2h  Change 4008
2024-12-20 09:00  Azure     Contributor · MySubscription      cancelled                       2h  Change 4008
2024-12-20 09:00  Groups    Member · PIM-Admins               cancelled                       2h  Change 4008
2024-11-13 21:00  Entra ID  User Administrator                denied                          2h  Change 4007
2024-11-13 21:00  Azure     Reader · Prod                     denied                          2h  Change 4007
2024-11-13 21:00  Groups    Owner · Break-Glass               denied                          2h  Change 4007
2024-10-08 09:00  Entra ID  Security Reader                   activated                       2h  Change 4006
2024-10-08 09:00  Azure     AKS Contributor · MySubscription  activated                       2h  Change 4006
2024-10-08 09:00  Groups    Member · PIM-Admins               activated                       2h  Change 4006
2024-09-01 21:00  Entra ID  Exchange Administrator            activated                       2h  Change 4005
2024-09-01 21:00  Azure     Owner · IT                        activated                       2h  Change 4005
2024-09-01 21:00  Groups    Owner · Break-Glass               activated after approval        2h  Change 4005
2024-07-27 09:00  Entra ID  Global Administrator              activated                       2h  Change 4004
2024-07-27 09:00  Azure     Contributor · rg-web              activated                       2h  Change 4004
2024-07-27 09:00  Groups    Member · PIM-Admins               activated                       2h  Change 4004
2024-06-20 21:00  Entra ID  User Administrator                deactivated                         Change 4003
2024-06-20 21:00  Azure     Contributor · MySubscription      deactivated                         Change 4003
2024-06-20 21:00  Groups    Owner · Break-Glass               deactivated                         Change 4003
2024-05-15 09:00  Entra ID  Security Reader                   activated                       2h  Change 4002
2024-05-15 09:00  Azure     Reader · Prod                     activated                       2h  Change 4002
2024-05-15 09:00  Groups    Member · PIM-Admins               activated                       2h  Change 4002
2024-04-08 21:00  Entra ID  Exchange Administrator            activated                       2h  Change 4001
2024-04-08 21:00  Azure     AKS Contributor · MySubscription  activated                       2h  Change 4001
2024-04-08 21:00  Groups    Owner · Break-Glass               activated after approval        2h  Change 4001
2024-03-03 09:00  Entra ID  Global Administrator              activated                       2h  Change 4000
2024-03-03 09:00  Azure     Owner · IT                        activated                       2h  Change 4000
2024-03-03 09:00  Groups    Member · PIM-Admins               activated                       2h  Change 4000
`

func TestHistoryJSON(t *testing.T) {
	t.Parallel()
	w := historyWorld(t, 10)
	w.run("activate", "Contributor", "--scope", "MySubscription", "--reason", "fix", "--ticket", "CHG-1", "--ticket-system", "SNOW", "--for", "1h")
	r := w.run("history", "--json", "--days", "400")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("history --json: %+v", r)
	}
	var got []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("%v: %s", err, r.stdout)
	}
	if len(got) != 31 {
		t.Fatalf("%d entries, want 31", len(got))
	}
	want := map[string]any{"plane": "azure", "role": "Contributor", "scopeName": "MySubscription", "action": "activate",
		"status": "Provisioned", "outcome": "activated", "createdAt": "2025-03-10T09:00:00Z", "startsAt": "2025-03-10T09:00:00Z",
		"duration": "1h", "justification": "fix", "ticketNumber": "CHG-1", "ticketSystem": "SNOW", "approval": false}
	for k, v := range want {
		if got[0][k] != v {
			t.Errorf("newest %s = %v, want %v", k, got[0][k], v)
		}
	}
	for _, k := range []string{"roleId", "scope", "tenantId", "requestId"} {
		if s, _ := got[0][k].(string); s == "" {
			t.Errorf("newest has no %s: %v", k, got[0])
		}
	}
	if d := got[len(got)-1]["duration"]; d != "2h" {
		t.Errorf("oldest duration %v", d)
	}
}

func TestHistoryBadDays(t *testing.T) {
	t.Parallel()
	w := historyWorld(t, 0)
	for _, days := range []string{"0", "-3", "x", "9999"} {
		r := w.run("history", "--days", days)
		want := "pimtray: --days takes a whole number of days from 1 to 3650, got \"" + days + "\" (see 'pimtray --help')\n"
		if r.code != 2 || r.stdout != "" || r.stderr != want {
			t.Errorf("--days %s: %+v", days, r)
		}
	}
	if r := w.run("history"); r.code != 0 || r.stdout != "No requests in the last 30 days.\n" {
		t.Errorf("no history: %+v", r)
	}
}
