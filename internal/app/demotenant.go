//go:build !benchlarge

package app

import "github.com/pimtray/pimtray/internal/fakeazure"

// demoTenant is the tenant --demo serves and the page size it is served with: the small demo
// tenant, in pages of 3 (so even it pages), with DemoPastRequests past requests per plane
// (for `pimtray --demo history` and the tray's Recent activity). A benchmark build (go build
// -tags benchlarge, see build/bench.sh) serves the large tenant instead; no released binary
// is built that way.
func demoTenant() (*fakeazure.Tenant, int) {
	t := fakeazure.Demo()
	t.PastRequests = DemoPastRequests
	return t, 0
}

// DemoPastRequests is the demo's request history: that many past requests per plane over the
// year before last week (a few of them in the last 30 days).
const DemoPastRequests = 40
