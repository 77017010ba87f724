//go:build !benchlarge

package app

import "github.com/pimtray/pimtray/internal/fakeazure"

// demoTenant is the tenant --demo serves and the page size it is served with: the small demo
// tenant, in pages of 3 (so even it pages). A benchmark build (go build -tags benchlarge, see
// build/bench.sh) serves the large tenant instead; no released binary is built that way.
func demoTenant() (*fakeazure.Tenant, int) { return fakeazure.Demo(), 0 }
