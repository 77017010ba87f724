package engine

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pimtray/pimtray/store"
)

// withConfigFile makes the engine keep its configuration in path (as the app does), starting
// from what the file holds.
func withConfigFile(t *testing.T, path string) harnessOpt {
	return func(o *Options, _ *fakeAPI) {
		c, err := store.LoadConfig(path)
		if err != nil {
			t.Fatal(err)
		}
		o.Config, o.ConfigFile, o.SaveConfig = c, path, nil
	}
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// Issue 12 item 3b: with pimtray running, the user adds a justification and a duration to a
// favourite in config.json (with a comment); Refresh picks them up; ticking another favourite
// then keeps them — before, it wrote the file from memory and both edits were gone.
func TestHandEditsKeptWhileTheEngineRuns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.json")
	writeJSON(t, path, map[string]any{"favourites": []store.Favourite{fav(roleGA)}})
	h := newHarness(t, withConfigFile(t, path)).start()

	edited := `{
  // added by hand while the tray runs
  "favourites": [
    {"key": "` + roleGA.Key() + `", "tenant": "` + roleGA.TenantID + `", "plane": "entra", "role": "Global Administrator",
     "roleId": "` + roleGA.RoleID + `", "scope": "/", "scopeName": "Directory",
     "justification": "patch night", "duration": "2h",},
  ],
}
`
	if err := os.WriteFile(path, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := h.e.RefreshNow(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	if f := h.e.Snapshot().Favourites; len(f) != 1 || f[0].Duration != 2*time.Hour {
		t.Fatalf("Refresh did not pick up the hand edit: %+v", f)
	}

	h.e.ToggleFavourite(roleOwnerIT.Key())
	h.settle()
	data, _ := os.ReadFile(path)
	for _, want := range []string{"// added by hand while the tray runs", `"justification": "patch night"`, `"duration": "2h"`, roleOwnerIT.Key()} {
		if !strings.Contains(string(data), want) {
			t.Errorf("after ticking a favourite the file lacks %q:\n%s", want, data)
		}
	}
	c, err := store.LoadConfig(path)
	if err != nil || len(c.Favourites) != 2 || c.Favourites[0].Justification != "patch night" {
		t.Fatalf("read back: %+v %v", c, err)
	}
	if s := h.e.Snapshot(); len(s.Favourites) != 2 || s.ConfigProblem != "" {
		t.Fatalf("snapshot: %d favourites, problem %q", len(s.Favourites), s.ConfigProblem)
	}
}

// A hand edit that breaks the file is not written over by the next change: the change is
// kept in memory, the menu says why it is not saved, and it is saved once the file is fixed.
func TestABrokenHandEditIsNotWrittenOver(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.json")
	writeJSON(t, path, map[string]any{"favourites": []store.Favourite{fav(roleGA)}})
	h := newHarness(t, withConfigFile(t, path)).start()
	broken := "{\n  \"favourites\": [\n    {\"key\": \"x\", \"plane\": \"entra\", \"duration\": \"2 hours\"}\n  ]\n}\n"
	if err := os.WriteFile(path, []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	h.e.ToggleFavourite(roleOwnerIT.Key())
	h.settle()
	if data, _ := os.ReadFile(path); string(data) != broken {
		t.Fatalf("the broken file was written over:\n%s", data)
	}
	s := h.e.Snapshot()
	if !strings.Contains(s.ConfigProblem, `line 3: "duration": "2 hours" is not a duration`) || len(s.Favourites) != 2 {
		t.Fatalf("problem %q, %d favourites", s.ConfigProblem, len(s.Favourites))
	}
	h.notice(NoticeFailed)
	writeJSON(t, path, map[string]any{"favourites": []store.Favourite{fav(roleGA)}})
	h.advance(saveRetryBase)
	h.settle()
	if c, err := store.LoadConfig(path); err != nil || len(c.Favourites) != 2 {
		t.Fatalf("after the fix the change was not saved: %+v %v", c, err)
	}
	if p := h.e.Snapshot().ConfigProblem; p != "" {
		t.Fatalf("problem still shown: %q", p)
	}
}

// Issue 12 item 3: a save that fails (here the configuration's folder is a file) is shown as
// a menu line and one notice, the change stays in memory, and it is tried again on the clock
// and with the next change until it is written — never lost in silence.
func TestAFailedSaveIsShownKeptAndRetried(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "pimtray")
	if err := os.WriteFile(blocker, []byte("not a folder"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(blocker, "config.json")
	h := newHarness(t, func(o *Options, _ *fakeAPI) { o.ConfigFile, o.SaveConfig = path, nil }).start()

	h.e.ToggleFavourite(roleOwnerIT.Key())
	h.settle()
	s := h.e.Snapshot()
	if !strings.HasPrefix(s.ConfigProblem, "Settings not saved (") || len(s.Favourites) != 1 {
		t.Fatalf("after a failed save: problem %q, %d favourites", s.ConfigProblem, len(s.Favourites))
	}
	if n := h.notice(NoticeFailed); n.Title != "Settings not saved" {
		t.Fatalf("notice %+v", n)
	}
	// Retried on the clock, failing again: no second notice.
	h.advance(saveRetryBase)
	h.e.ToggleFavourite(roleGA.Key()) // a next change tries again too
	h.settle()
	for len(h.e.Notices()) > 0 {
		if n := <-h.e.Notices(); n.Kind == NoticeFailed {
			t.Fatalf("a second notice for the same failure: %+v", n)
		}
	}
	if err := os.Remove(blocker); err != nil {
		t.Fatal(err)
	}
	h.advance(saveRetryMax)
	h.settle()
	c, err := store.LoadConfig(path)
	if err != nil || len(c.Favourites) != 2 {
		t.Fatalf("the kept changes were not written once the folder could be made: %+v %v", c, err)
	}
	if p := h.e.Snapshot().ConfigProblem; p != "" {
		t.Fatalf("problem still shown after the save: %q", p)
	}
}
