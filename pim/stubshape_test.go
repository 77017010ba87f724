package pim

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/pimtray/pimtray/internal/vectors"
)

// The test stub answers with payloads shaped like the official examples: every field an
// example carries, the stub's answer carries too (so the client is tested against the real shape).
func TestStubPayloadsCarryVectorFields(t *testing.T) {
	t.Parallel()
	dir := vectors.Dir(t)
	roles := demoRoles()
	var entra, azure, group *stubRole
	for _, r := range roles {
		switch {
		case r.plane == PlaneEntra && entra == nil:
			entra = r
		case r.plane == PlaneAzure && azure == nil:
			azure = r
		case r.plane == PlaneGroup && group == nil:
			group = r
		}
	}
	act := func(r *stubRole) *stubActive {
		return &stubActive{role: r, start: stubEpoch, end: stubEpoch.Add(time.Hour), assignmentType: "Activated"}
	}
	req := func(r *stubRole) *stubRequest {
		return &stubRequest{id: "r", name: "r", role: r, status: "Provisioned", action: "selfActivate", start: stubEpoch, dur: time.Hour, created: stubEpoch}
	}
	tests := []struct {
		file, path string // path: "" the whole body, "value.0", "responses.200.body.value.0", ...
		stub       any
		skip       []string
	}{
		{"graph/roleManagement-directory/roleEligibilityScheduleInstances.filterByCurrentUser.response.200.json", "value.0", graphEligItem(entra, false), nil},
		{"graph/roleManagement-directory/roleAssignmentScheduleInstances.filterByCurrentUser.response.200.json", "value.0", graphActiveItem(act(entra), false), nil},
		{"graph/roleManagement-directory/roleAssignmentScheduleRequests.selfActivate.response.201.json", "", graphRequestItem(req(entra)), []string{"@odata.context"}},
		{"graph/identityGovernance-privilegedAccess-group/eligibilityScheduleInstances.filterByCurrentUser.response.200.json", "value.0", groupEligItem(group), nil},
		{"graph/identityGovernance-privilegedAccess-group/assignmentScheduleRequests.selfActivate.response.201.json", "", groupRequestItem(req(group)), []string{"@odata.type"}},
		{"graph/policies/roleManagementPolicyAssignments.directoryRole.expandPolicyRules.response.200.json", "value.0", graphPolicyItem(entra), nil},
		{"arm/examples/GetRoleEligibilityScheduleInstancesByScope.json", "responses.200.body.value.0", armEligItem(azure), nil},
		{"arm/examples/GetRoleAssignmentScheduleInstancesByScope.json", "responses.200.body.value.0", armActiveItem(act(azure)), nil},
		{"arm/examples/PutRoleAssignmentScheduleRequest.json", "responses.201.body", armRequestItem(req(azure)), nil},
		{"arm/examples/GetRoleManagementPolicyAssignmentByScope.json", "responses.200.body.value.0", armPolicyItem(azure), nil},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			var doc any
			if err := json.Unmarshal(data, &doc); err != nil {
				t.Fatal(err)
			}
			want := pathIn(doc, tt.path)
			if want == nil {
				t.Fatalf("nothing at %q", tt.path)
			}
			got := toAny(t, tt.stub)
			missing := missingKeys(want, got, "")
			for _, k := range tt.skip {
				delete(missing, k)
			}
			if len(missing) > 0 {
				var ks []string
				for k := range missing {
					ks = append(ks, k)
				}
				sort.Strings(ks)
				t.Errorf("the stub's payload lacks %v", ks)
			}
		})
	}
}

func pathIn(v any, path string) any {
	if path == "" {
		return v
	}
	for _, k := range splitPath(path) {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			if k != "0" || len(x) == 0 {
				return nil
			}
			v = x[0]
		default:
			return nil
		}
	}
	return v
}

func splitPath(p string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(p); i++ {
		if i == len(p) || p[i] == '.' {
			out = append(out, p[start:i])
			start = i + 1
		}
	}
	return out
}

func toAny(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

// missingKeys lists the keys of want (recursively) that got lacks. Lists of rules are compared
// by rule id; other lists by their first element.
func missingKeys(want, got any, prefix string) map[string]bool {
	out := map[string]bool{}
	wm, ok1 := want.(map[string]any)
	gm, ok2 := got.(map[string]any)
	if !ok1 {
		return out
	}
	if !ok2 {
		out[prefix+"(object)"] = true
		return out
	}
	for k, wv := range wm {
		gv, ok := gm[k]
		if !ok {
			out[prefix+k] = true
			continue
		}
		switch w := wv.(type) {
		case map[string]any:
			for m := range missingKeys(w, gv, prefix+k+".") {
				out[m] = true
			}
		case []any:
			g, _ := gv.([]any)
			if k == "rules" || k == "effectiveRules" {
				byID := map[string]any{}
				for _, r := range g {
					byID[jstr(r, "id")] = r
				}
				for _, r := range w {
					if gr, ok := byID[jstr(r, "id")]; ok {
						for m := range missingKeys(r, gr, prefix+k+"["+jstr(r, "id")+"].") {
							out[m] = true
						}
					}
				}
				continue
			}
			if len(w) > 0 && len(g) > 0 {
				for m := range missingKeys(w[0], g[0], prefix+k+"[0].") {
					out[m] = true
				}
			}
		}
	}
	return out
}
