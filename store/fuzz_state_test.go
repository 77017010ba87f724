package store

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// fuzzState is a state value like the engine's: nested maps, lists and times.
type fuzzState struct {
	Roles   []string             `json:"roles"`
	Ends    map[string]time.Time `json:"ends"`
	Counter int                  `json:"counter"`
	Nested  *fuzzState           `json:"nested,omitempty"`
}

func (fuzzState) StateVersion() int { return 2 }

// FuzzLoadState: whatever is in the state file (a crash mid-write on an old system, a disk
// error, a hand edit), LoadState never panics: it loads it, or treats it as empty with a
// *StateError of one line and moves it aside; what loads survives a save and a load.
func FuzzLoadState(f *testing.F) {
	good := filepath.Join(f.TempDir(), "state.json")
	if err := SaveState(good, fuzzState{Roles: []string{"entra|t|r|/"}, Ends: map[string]time.Time{"k": time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)}, Counter: 3,
		Nested: &fuzzState{Counter: 1}}); err != nil {
		f.Fatal(err)
	}
	data, err := os.ReadFile(good)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add(data[:len(data)/2])
	for _, s := range []string{``, `{}`, `null`, `{"format":1,"version":2,"data":null}`, `{"format":1,"version":2,"data":[]}`,
		`{"format":1,"version":1,"data":{}}`, `{"format":2}`, `{"format":1,"version":2,"data":{"ends":{"k":"yesterday"}}}`,
		`{"format":1,"version":2,"data":{"nested":{"nested":{"nested":{}}}}}`, "\x00\x00\x00"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, "state.json")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		var v fuzzState
		err := LoadState(path, &v)
		if err != nil {
			var se *StateError
			if !errors.As(err, &se) {
				t.Fatalf("%T %v: want a *StateError", err, err)
			}
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("not one line: %q", err)
			}
			if !reflect.DeepEqual(v, fuzzState{}) {
				t.Fatalf("an unusable file half-filled the value: %+v", v)
			}
			if _, statErr := os.Stat(path); se.Aside != "" && statErr == nil {
				t.Fatalf("the unusable file is still in place after being kept aside as %s", se.Aside)
			}
			return
		}
		if err := SaveState(path, v); err != nil {
			t.Fatalf("save what loaded: %v", err)
		}
		var back fuzzState
		if err := LoadState(path, &back); err != nil {
			t.Fatalf("reload: %v", err)
		}
		if !reflect.DeepEqual(stateJSON(t, v), stateJSON(t, back)) {
			t.Fatalf("round trip changed the state: %+v → %+v", v, back)
		}
	})
}

func stateJSON(t *testing.T, v fuzzState) string {
	p := filepath.Join(t.TempDir(), "s.json")
	if err := SaveState(p, v); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(p)
	// The envelope's savedAt differs between saves.
	s := string(data)
	if i := strings.Index(s, `"data"`); i >= 0 {
		return s[i:]
	}
	return s
}
