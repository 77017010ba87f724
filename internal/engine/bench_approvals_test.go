package engine

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/pimtray/pimtray/internal/fakeazure"
	"github.com/pimtray/pimtray/internal/testkit/clocktest"
	"github.com/pimtray/pimtray/pim"
	"github.com/pimtray/pimtray/store"
)

// approverRequests are the requests of the approver's side: the listings of what waits
// (on='approver', asApprover()) and the approvals' stages.
func approverRequests(s *fakeazure.Server) int {
	n := 0
	for _, r := range s.Requests() {
		p := strings.ToLower(r.Path + "?" + r.Query)
		if strings.Contains(p, "approver") || strings.Contains(p, "approvals/") {
			n++
		}
	}
	return n
}

// BenchmarkApproverPolling is the background cost of the approver's side over an hour of the
// default 5-minute refresh (fake clock, the real pim client against the fake Azure, Graph and
// ARM pages of 100 items): requests/hour of the approval listings alone, and of everything.
func BenchmarkApproverPolling(b *testing.B) {
	cases := []struct {
		name    string
		waiting int  // requests by others waiting, spread over Entra and Azure
		consent bool // false: the Graph approvals are refused (403) and ARM is the only plane listed
	}{
		{"Graph refuses the approvals (403), nothing waits in Azure", 0, false},
		{"nothing waiting on any plane", 0, true},
		{"2 waiting", 2, true},
		{"50 waiting", 50, true},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var approver, total int
			for b.Loop() {
				b.StopTimer()
				clk := clocktest.NewFake(time.Now().UTC().Truncate(time.Second))
				tn := fakeazure.Demo().ClearWaitingRequests()
				if !c.consent {
					tn.GraphConsent = []string{"User.Read", "RoleEligibilitySchedule.Read.Directory", "RoleManagementPolicy.Read.Directory",
						"PrivilegedEligibilitySchedule.Read.AzureADGroup", "RoleManagementPolicy.Read.AzureADGroup"}
				}
				for i := range c.waiting {
					w := fakeazure.WaitingRequest{Plane: "entra", RoleID: fakeazure.RoleSecurityReader, RoleName: "Security Reader",
						Requester: fakeazure.User{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), DisplayName: fmt.Sprintf("User %d", i)}}
					if i%2 == 1 {
						w.Plane, w.RoleID, w.RoleName, w.Scope = "azure", fakeazure.RoleReader, "Reader", fakeazure.DemoScopeProd
					}
					tn.AddWaitingRequest(w)
				}
				fake, err := fakeazure.New(fakeazure.Options{Now: clk.Now, Tenants: []*fakeazure.Tenant{tn}, PageSize: 100})
				if err != nil {
					b.Fatal(err)
				}
				client, err := pim.NewClient(fake.Credential(fakeazure.DemoTenantID), &pim.ClientOptions{
					ClientOptions: azcore.ClientOptions{Transport: fake.HTTPClient()},
					Cloud:         fake.Cloud(), TenantID: fakeazure.DemoTenantID, Now: clk.Now})
				if err != nil {
					b.Fatal(err)
				}
				e, err := New(Options{Clock: clk, Config: store.DefaultConfig(), Location: time.UTC, Jitter: func() float64 { return 0.5 },
					Tenants: []TenantBackend{{ID: fakeazure.DemoTenantID, Name: fakeazure.DemoTenantName, API: client}}})
				if err != nil {
					b.Fatal(err)
				}
				st := loopStepper{tb: b, e: e, clk: clk}
				ctx, cancel := context.WithCancel(context.Background())
				var wg sync.WaitGroup
				st.start(ctx, &wg)
				st.advance(time.Second) // the first refresh at start learns each plane
				if got := len(e.Snapshot().Approvals); got != c.waiting {
					b.Fatalf("%d waiting in the snapshot, want %d", got, c.waiting)
				}
				b.StartTimer()
				fake.ResetLog()
				st.advance(time.Hour)
				approver += approverRequests(fake)
				total += len(fake.Requests())
				b.StopTimer()
				cancel()
				wg.Wait()
				fake.Close()
				b.StartTimer()
			}
			n := float64(b.N)
			b.ReportMetric(float64(approver)/n, "approver-requests/hour")
			b.ReportMetric(float64(total)/n, "requests/hour")
		})
	}
}
