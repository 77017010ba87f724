package store

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

type testState struct {
	Active   map[string]time.Time `json:"active"`
	Reminded []string             `json:"reminded"`
}

type testStateV2 struct{ testState }

func (testStateV2) StateVersion() int { return 2 }

func TestStateRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	path := filepath.Join(dir, "state.json")
	in := testState{Active: map[string]time.Time{"entra|t|r|/": time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}, Reminded: []string{"a@15m"}}
	if err := SaveState(path, in); err != nil {
		t.Fatal(err)
	}
	assertMode(t, path, 0o600)
	assertMode(t, dir, 0o700)
	var out testState
	if err := LoadState(path, &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Errorf("got %+v, want %+v", out, in)
	}
}

func TestStateMissingIsEmptyWithoutError(t *testing.T) {
	out := testState{Reminded: []string{"keep"}}
	if err := LoadState(filepath.Join(t.TempDir(), "none.json"), &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Reminded) != 1 {
		t.Error("a missing file must leave the value alone")
	}
}

func TestStateUnusableIsEmptyReportedOnce(t *testing.T) {
	for name, content := range map[string]string{
		"not json":         "{\"format\": 1, \"data\": {",
		"truncated":        "",
		"other format":     `{"format": 9, "data": {}}`,
		"data of a type":   `{"format": 1, "data": {"active": "yesterday"}}`,
		"other version":    `{"format": 1, "version": 1, "data": {}}`,
		"binary garbage":   "\x00\x01\x02",
		"json but not env": `[1,2,3]`,
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.json")
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			var out testStateV2
			out.Reminded = []string{"untouched"}
			err := LoadState(path, &out)
			var se *StateError
			if !errors.As(err, &se) {
				t.Fatalf("want a *StateError, got %v", err)
			}
			if se.Aside != path+".corrupt" {
				t.Errorf("aside = %q", se.Aside)
			}
			if len(out.Reminded) != 1 || out.Reminded[0] != "untouched" {
				t.Errorf("a bad file must leave the value alone: %+v", out)
			}
			// Reported once: the next start finds no file and says nothing.
			if err := LoadState(path, &out); err != nil {
				t.Errorf("second load: %v", err)
			}
		})
	}
}

func TestStateVersionIsChecked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	v2 := testStateV2{testState{Reminded: []string{"x"}}}
	if err := SaveState(path, v2); err != nil {
		t.Fatal(err)
	}
	var back testStateV2
	if err := LoadState(path, &back); err != nil || back.Reminded[0] != "x" {
		t.Fatalf("same version: %+v, %v", back, err)
	}
	var old testState // version 0
	if err := LoadState(path, &old); err == nil {
		t.Fatal("a file of another version must not decode silently")
	}
}

func TestLoadStateNeedsAPointer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	if err := SaveState(path, testState{}); err != nil {
		t.Fatal(err)
	}
	if err := LoadState(path, testState{}); err == nil {
		t.Fatal("want an error for a non-pointer")
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal("a programming error must not move the file aside")
	}
}
