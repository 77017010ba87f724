//go:build benchlarge

package app

import "github.com/pimtray/pimtray/internal/fakeazure"

// demoTenant, in a benchmark build (-tags benchlarge), is the large tenant (440 roles over 200
// scopes, 1,000 past requests per plane) in pages of 100: build/bench.sh measures the real
// tray at that size with it.
func demoTenant() (*fakeazure.Tenant, int) { return fakeazure.Large(), fakeazure.LargePageSize }
