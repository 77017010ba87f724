package pim

import (
	"encoding/json"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pimtray/pimtray/internal/vectors"
)

// Fuzz targets, one per decoder: `go test -fuzz=FuzzDecodeARMEligibilities ./pim/`. Each is
// seeded with every payload in ../shared/pim-vectors (ARM example bodies unwrapped from
// responses.{code}.body, observed error bodies unwrapped from entries[].body) and a few edge
// cases; the decoders must never panic and what they return must hold together.

// vectorSeeds returns every payload body found in the vectors (nil where they are absent,
// except under CI, where their absence fails the test).
func vectorSeeds(tb testing.TB) [][]byte {
	dir, _ := vectors.Find()
	if dir == "" {
		if os.Getenv("CI") == "true" {
			vectors.Dir(tb) // fails with the reason
		}
		return nil
	}
	var seeds [][]byte
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		seeds = append(seeds, data)
		var doc map[string]any
		if json.Unmarshal(data, &doc) != nil {
			return nil
		}
		if rs, ok := doc["responses"].(map[string]any); ok {
			for _, r := range rs {
				if b, ok := r.(map[string]any)["body"]; ok {
					raw, _ := json.Marshal(b)
					seeds = append(seeds, raw)
				}
			}
		}
		if es, ok := doc["entries"].([]any); ok {
			for _, e := range es {
				if b, ok := e.(map[string]any)["body"]; ok {
					raw, _ := json.Marshal(b)
					seeds = append(seeds, raw)
				}
			}
		}
		return nil
	})
	return seeds
}

var edgeSeeds = []string{
	``, `null`, `{}`, `[]`, `{"value":null}`, `{"value":[null]}`, `{"value":[{}]}`, `{"value":{}}`,
	`{"value":[{"roleDefinitionId":"x","endDateTime":"yesterday"}]}`,
	`{"value":[{"properties":null}]}`, `{"value":[{"properties":{"roleDefinitionId":"x","scope":"/s","scheduleInfo":{"expiration":{"type":"AfterDuration","duration":"P"}}}}]}`,
	`{"scheduleInfo":{"startDateTime":"2024-01-01T00:00:00Z","expiration":{"type":"afterDuration","duration":"PT99999999999H"}}}`,
	`{"error":{"code":"RoleAssignmentRequestAcrsValidationFailed","message":"&claims=%ZZ"}}`,
	`{"error":{"code":"UnknownError","message":"{\"errorCode\":\"PermissionScopeNotGranted\"}"}}`,
	`{"value":[{"policy":{"rules":[null,{"id":"Expiration_EndUser_Assignment","maximumDuration":"PT8H"}]}}],"@odata.nextLink":"https://graph.microsoft.com/v1.0/next"}`,
}

func seed(f *testing.F) {
	for _, s := range vectorSeeds(f) {
		f.Add(s)
	}
	for _, s := range edgeSeeds {
		f.Add([]byte(s))
	}
}

func checkRoles(t *testing.T, p Plane, page listPage[Role]) {
	for _, r := range page.Items {
		if r.Plane != p || r.RoleID == "" || r.Scope == "" || r.Key() == "" {
			t.Fatalf("bad role %+v", r)
		}
	}
}

func checkActivations(t *testing.T, p Plane, as []Activation) {
	for _, a := range as {
		if a.Role.Plane != p {
			t.Fatalf("bad plane %+v", a)
		}
		if a.Status != StatusActive && a.Status != StatusPending && a.Status != "" {
			t.Fatalf("bad status %+v", a)
		}
	}
}

func FuzzDecodeGraphEligibilities(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		if p, err := decodeGraphEligibilities(b); err == nil {
			checkRoles(t, PlaneEntra, p)
		}
	})
}

func FuzzDecodeGraphAssignments(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		if p, err := decodeGraphAssignments(b); err == nil {
			checkActivations(t, PlaneEntra, p.Items)
		}
	})
}

func FuzzDecodeGraphRequest(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		if a, err := decodeGraphRequest(b); err == nil {
			checkActivations(t, PlaneEntra, []Activation{a})
		}
	})
}

func FuzzDecodeGraphRequests(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		if p, err := decodeGraphRequests(b); err == nil {
			checkActivations(t, PlaneEntra, p.Items)
		}
	})
}

func FuzzDecodeGroupEligibilities(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		if p, err := decodeGroupEligibilities(b); err == nil {
			checkRoles(t, PlaneGroup, p)
			for _, r := range p.Items {
				if r.Scope == "" || r.ScopeType != ScopeGroup {
					t.Fatalf("group role without its group: %+v", r)
				}
			}
		}
	})
}

func FuzzDecodeGroupAssignments(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		if p, err := decodeGroupAssignments(b); err == nil {
			checkActivations(t, PlaneGroup, p.Items)
		}
	})
}

func FuzzDecodeGroupRequest(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		if a, err := decodeGroupRequest(b); err == nil {
			checkActivations(t, PlaneGroup, []Activation{a})
		}
	})
}

func FuzzDecodeGroupRequests(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		if p, err := decodeGroupRequests(b); err == nil {
			checkActivations(t, PlaneGroup, p.Items)
		}
	})
}

func FuzzDecodeARMEligibilities(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		if p, err := decodeARMEligibilities(b); err == nil {
			checkRoles(t, PlaneAzure, p)
		}
	})
}

func FuzzDecodeARMAssignments(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		if p, err := decodeARMAssignments(b); err == nil {
			checkActivations(t, PlaneAzure, p.Items)
		}
	})
}

func FuzzDecodeARMRequest(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		if a, err := decodeARMRequest(b); err == nil {
			checkActivations(t, PlaneAzure, []Activation{a})
		}
	})
}

func FuzzDecodeARMRequests(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		if p, err := decodeARMRequests(b); err == nil {
			checkActivations(t, PlaneAzure, p.Items)
		}
	})
}

func checkPolicies(t *testing.T, p listPage[policyAssignment]) {
	for _, pa := range p.Items {
		if pa.Policy.MaxDuration < 0 || (!pa.Policy.Known && pa.Policy != (Policy{})) {
			t.Fatalf("bad policy %+v", pa)
		}
	}
}

func FuzzDecodeGraphPolicyAssignments(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		if p, err := decodeGraphPolicyAssignments(b); err == nil {
			checkPolicies(t, p)
		}
	})
}

func FuzzDecodeARMPolicyAssignments(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		if p, err := decodeARMPolicyAssignments(b); err == nil {
			checkPolicies(t, p)
		}
	})
}

func FuzzDecodePrincipal(f *testing.F) {
	seed(f)
	f.Add([]byte(`{"id":"u","userPrincipalName":"a@b","displayName":"A"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if p, err := decodePrincipal(b); err == nil && p.ID == "" {
			t.Fatalf("principal without id: %+v", p)
		}
	})
}

func FuzzDecodeDisplayName(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _, _ = decodeDisplayName(b)
	})
}

func FuzzDecodeError(f *testing.F) {
	for _, s := range vectorSeeds(f) {
		f.Add(400, "", s)
		f.Add(403, "", s)
	}
	for _, s := range edgeSeeds {
		f.Add(401, `Bearer error="insufficient_claims", claims="eyJhY2Nlc3NfdG9rZW4iOnt9fQ=="`, []byte(s))
		f.Add(429, "7", []byte(s))
	}
	f.Fuzz(func(t *testing.T, status int, header string, b []byte) {
		h := http.Header{"Www-Authenticate": {header}, "Retry-After": {header}}
		e := decodeError(status, h, b)
		if e == nil || e.Kind < KindOther || e.Kind > KindUnavailable {
			t.Fatalf("bad error %+v", e)
		}
		msg := e.Error()
		if msg == "" || strings.Contains(msg, "\n") {
			t.Fatalf("not one line: %q", msg)
		}
		if e.Kind == KindAuthContext && !json.Valid([]byte(e.Claims)) && e.Claims != "" {
			t.Fatalf("claims not JSON: %q", e.Claims)
		}
		if e.RetryAfter < 0 {
			t.Fatalf("negative Retry-After %v", e.RetryAfter)
		}
	})
}

func FuzzParseISODuration(f *testing.F) {
	for _, s := range []string{"PT8H", "P1D", "PT30M", "P1DT2H", "PT1H30M", "PT0.5H", "-PT1H", "P", "PT", "P1Y2M3W4DT5H6M7.5S"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseISODuration(s)
		if err != nil || d < 0 || d > 1000*24*time.Hour {
			return
		}
		back, err := ParseISODuration(formatISODuration(d))
		if err != nil || back != d.Truncate(time.Second) {
			t.Fatalf("%q = %v, formatted %q, back %v (%v)", s, d, formatISODuration(d), back, err)
		}
	})
}
