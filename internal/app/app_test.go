package app

import (
	"path/filepath"
	"reflect"
	"testing"

	"github.com/pimtray/pimtray/internal/cli"
	"github.com/pimtray/pimtray/store"
)

func TestSelectTenants(t *testing.T) {
	t.Parallel()
	contoso := store.TenantConfig{ID: "contoso.onmicrosoft.com", Name: "Contoso"}
	fabrikam := store.TenantConfig{ID: "5e1f0c2a-9b7d-4c3e-8f6a-1d2b3c4d5e6f", Name: "Fabrikam"}
	both := []store.TenantConfig{contoso, fabrikam}
	tests := []struct {
		name       string
		configured []store.TenantConfig
		named      string
		want       []store.TenantConfig
		badInput   bool
	}{
		{"none configured: the home tenant", nil, "", []store.TenantConfig{{ID: "organizations"}}, false},
		{"all configured", both, "", both, false},
		{"by name, any case", both, "fabrikam", []store.TenantConfig{fabrikam}, false},
		{"by id, any case", both, "CONTOSO.onmicrosoft.com", []store.TenantConfig{contoso}, false},
		{"not configured: to sign in to", both, "northwind.onmicrosoft.com", []store.TenantConfig{{ID: "northwind.onmicrosoft.com"}}, false},
		{"no tenant id", both, "north wind", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := selectTenants(tt.configured, tt.named)
			if tt.badInput {
				if err == nil || !cli.IsBadInput(err) {
					t.Fatalf("err = %v, want bad input", err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("selectTenants = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestPathsExplicitConfigMustExist(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	given := &store.Paths{ConfigFile: filepath.Join(dir, "default.json"), StateDir: dir}
	// The default configuration may be missing: every key has a default.
	if p, err := Paths(cli.Globals{}, given); err != nil || p.ConfigFile != given.ConfigFile {
		t.Fatalf("default config: %+v, %v", p, err)
	}
	missing := filepath.Join(dir, "nope.json")
	_, err := Paths(cli.Globals{ConfigFile: missing}, given)
	if err == nil || !cli.IsBadInput(err) || err.Error() != "the configuration file "+missing+" does not exist (leave out --config to use the default one)" {
		t.Fatalf("missing --config: %v", err)
	}
}
