package engine

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// A state file written by pimtray before the role records (format version 1, every section
// filled: listings, policies, recent actions, requests awaiting approval, scheduled
// re-activations, reminders sent, keep-alives, recently used roles, daily sends, answers)
// loads with nothing lost: the menu shows it, and saving it again writes the same file.
func TestStateFileVersion1LoadsWhole(t *testing.T) {
	v1, err := os.ReadFile(filepath.Join("testdata", "state-v1.json"))
	if err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(t.TempDir(), "state.json")
	if err := os.WriteFile(state, v1, 0o600); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, withFavourites(fav(roleOwnerIT), fav(roleContrib)), func(o *Options, _ *fakeAPI) { o.StateFile = state })

	s := h.e.Snapshot()
	if n := len(h.api.calls); n != 0 {
		t.Fatalf("%d calls to Azure before Run", n)
	}
	if got := len(s.All); got != 5 {
		t.Fatalf("%d roles shown, want the file's 5", got)
	}
	checks := []struct {
		name string
		ok   bool
		it   Item
	}{
		{"Owner active until its listed end (its re-activation is planned)", item(s, roleOwnerIT).State == StateActive && item(s, roleOwnerIT).ExpiresAt.Equal(t0.Add(7*time.Hour)), item(s, roleOwnerIT)},
		{"Security Reader active through the activation chained at its end", item(s, roleSR).State == StateActive && item(s, roleSR).ExpiresAt.Equal(t0.Add(16*time.Hour-2*time.Minute)), item(s, roleSR)},
		{"Security Reader used lately", item(s, roleSR).LastUsed.Equal(t0.Add(-2 * time.Minute)), item(s, roleSR)},
		{"User Administrator waits for approval", item(s, roleUA).State == StatePending && item(s, roleUA).RequestID == "req-ua-1", item(s, roleUA)},
		{"Global Administrator just deactivated", item(s, roleGA).State == StateEligible, item(s, roleGA)},
		{"Contributor's policy known (4h)", item(s, roleContrib).Policy != nil && item(s, roleContrib).Duration == 4*time.Hour, item(s, roleContrib)},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: %+v", c.name, c.it)
		}
	}
	if len(s.Problems) != 1 {
		t.Errorf("plane problems %+v, want the Groups one", s.Problems)
	}

	// Nothing lost: saved again at once, the file holds what it held (but its savedAt).
	h.e.saveState()
	again, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}
	var want, got map[string]any
	if err := json.Unmarshal(v1, &want); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(again, &got); err != nil {
		t.Fatal(err)
	}
	if got["savedAt"] != t0.Format(time.RFC3339) {
		t.Errorf("savedAt %v, want %v", got["savedAt"], t0.Format(time.RFC3339))
	}
	delete(want, "savedAt")
	delete(got, "savedAt")
	for k := range want {
		if !reflect.DeepEqual(want[k], got[k]) {
			w, _ := json.MarshalIndent(want[k], "", " ")
			g, _ := json.MarshalIndent(got[k], "", " ")
			t.Errorf("%s changed on a load and save:\nwas %s\nnow %s", k, w, g)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s is new in the saved file", k)
		}
	}
}
