package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"reflect"
	"time"
)

// The state file is pimtray's memory between runs (what was active, which reminders were
// sent), for a fast start. It is not the user's: losing it costs one refresh, so a file that
// won't decode is kept aside once and treated as empty, never as a crash.
//
// On disk it is an envelope around the caller's value:
//
//	{"format": 1, "version": 3, "savedAt": "...", "data": { ... }}
//
// "format" is this envelope's; "version" is the caller's (see StateVersioner) so the engine
// can change its shape and have old files read as empty instead of half-decoded.

// stateFormat is the envelope's version.
const stateFormat = 1

// StateVersioner is implemented by state values that version their own shape. A file saved
// with another version loads as empty (with a *StateError saying so).
type StateVersioner interface {
	StateVersion() int
}

type stateEnvelope struct {
	Format  int             `json:"format"`
	Version int             `json:"version,omitempty"`
	SavedAt time.Time       `json:"savedAt"`
	Data    json.RawMessage `json:"data"`
}

// StateError says a state file could not be used and was treated as empty. The caller logs
// it (once: the bad file is moved to Aside so the next start is quiet) and carries on.
type StateError struct {
	Path  string
	Aside string // where the unusable file was moved ("" if it could not be)
	Err   error
}

// Error is one sentence.
func (e *StateError) Error() string {
	return fmt.Sprintf("state %s was unusable and is ignored: %v", displayPath(e.Path), e.Err)
}

// Unwrap is the cause.
func (e *StateError) Unwrap() error { return e.Err }

// LoadState reads the state file into v (a pointer). A missing file leaves v as it is and
// returns nil. A file that won't decode, or has another version, leaves v as it is and
// returns a *StateError (the file is moved aside to path+".corrupt"). Other errors (the file
// exists but cannot be read) are returned as they are.
func LoadState(path string, v any) error {
	if rv := reflect.ValueOf(v); rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("load state into %T: need a non-nil pointer", v)
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read state %s: %s", displayPath(path), unwrapPathError(err))
	}
	corrupt := func(err error) error {
		se := &StateError{Path: path, Err: err}
		aside := path + ".corrupt"
		if os.Rename(path, aside) == nil {
			se.Aside = aside
		}
		return se
	}
	var env stateEnvelope
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&env); err != nil {
		return corrupt(errors.New("not valid JSON"))
	}
	if env.Format != stateFormat {
		return corrupt(fmt.Errorf("format %d, want %d", env.Format, stateFormat))
	}
	want := 0
	if sv, ok := v.(StateVersioner); ok {
		want = sv.StateVersion()
	}
	if env.Version != want {
		return corrupt(fmt.Errorf("version %d, want %d", env.Version, want))
	}
	if len(env.Data) == 0 || string(env.Data) == "null" {
		return nil
	}
	// Decode into a fresh value first so a half-decoded v never escapes.
	fresh := reflect.New(reflect.TypeOf(v).Elem())
	if err := json.Unmarshal(env.Data, fresh.Interface()); err != nil {
		return corrupt(errors.New("its data does not decode"))
	}
	reflect.ValueOf(v).Elem().Set(fresh.Elem())
	return nil
}

// SaveState writes v as the state file, atomically (0600 in a 0700 folder).
func SaveState(path string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	env := stateEnvelope{Format: stateFormat, SavedAt: time.Now().UTC().Truncate(time.Second), Data: data}
	if sv, ok := v.(StateVersioner); ok {
		env.Version = sv.StateVersion()
	}
	out, err := json.MarshalIndent(env, "", "  ")
	if err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	if err := writeFileAtomic(path, append(out, '\n')); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	return nil
}
