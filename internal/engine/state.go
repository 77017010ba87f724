package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/pimtray/pimtray/internal/engine/roles"
	"github.com/pimtray/pimtray/pim"
	"github.com/pimtray/pimtray/store"
)

// stateVersion is the state file's format; a file of another version is ignored.
const stateVersion = 1

// savedState is the last known state, kept so a start shows it at once and no reminder
// repeats across restarts. Nothing secret is in it.
type savedState struct {
	Version       int                       `json:"version"`
	SavedAt       time.Time                 `json:"savedAt"`
	LastRefresh   time.Time                 `json:"lastRefresh,omitzero"`
	Tenants       []savedTenant             `json:"tenants"`
	Policies      map[string]policyEntry    `json:"policies,omitempty"`
	Recent        map[string]recentEntry    `json:"recent,omitempty"`
	Awaiting      map[string]awaitEntry     `json:"awaiting,omitempty"`
	Scheduled     map[string]scheduledEntry `json:"scheduled,omitempty"`
	RemindersSent map[string]time.Time      `json:"remindersSent,omitempty"`
	KeptAlive     map[string]time.Time      `json:"keptAlive,omitempty"`
	// LastUsed is when each role was last activated from here (for "recently used" on top).
	LastUsed map[string]time.Time `json:"lastUsed,omitempty"`
	// DailySent: per favourite, the last day its daily schedule sent a request for.
	DailySent map[string]string `json:"dailySent,omitempty"`
	// Answers: the justification and ticket last sent per role, for re-activations.
	Answers map[string]Answers `json:"answers,omitempty"`
}

type savedTenant struct {
	ID          string                  `json:"id"`
	LearnedID   string                  `json:"learnedId,omitempty"`
	OrgName     string                  `json:"orgName,omitempty"` // the tenant's display name, as Azure told it
	User        string                  `json:"user,omitempty"`
	Eligible    []pim.Role              `json:"eligible"`
	Active      []pim.Activation        `json:"active,omitempty"`
	Pending     []pim.Activation        `json:"pending,omitempty"`
	PlaneErrors map[pim.Plane]string    `json:"planeErrors,omitempty"`
	Fetched     map[pim.Plane]time.Time `json:"fetched,omitempty"`
}

// scheduledStale: a planned activation whose moment passed this long ago (pimtray was not
// running) is dropped rather than sent hours late.
const scheduledStale = 10 * time.Minute

// loadState shows the last known state. A missing file is a first start; an unreadable one
// is logged and ignored.
func (e *Engine) loadState() error {
	path := e.opts.StateFile
	if path == "" {
		e.firstRun = true
		return nil
	}
	data, err := store.ReadFile(path, store.MaxStateSize)
	if errors.Is(err, fs.ErrNotExist) {
		e.firstRun = true
		return nil
	}
	if store.IsFileError(err) {
		// Not a file pimtray wrote (a device, a pipe, something huge): say so rather than
		// start over it and write over whatever it is.
		return &InputError{Msg: "the last known state " + err.Error() + "."}
	}
	if err != nil {
		e.log.Warn("last known state unreadable; starting empty", "err", err)
		return nil
	}
	var st savedState
	if err := json.Unmarshal(data, &st); err != nil || st.Version != stateVersion {
		e.log.Warn("last known state unusable; starting empty", "path", path, "err", err)
		return nil
	}
	now := e.now()
	e.mu.Lock()
	defer e.mu.Unlock()
	e.lastRefresh = st.LastRefresh
	for _, t := range st.Tenants {
		ts := e.tenant(t.ID)
		if ts == nil || !equalFold(ts.b.ID, t.ID) {
			continue
		}
		ts.learnedID = t.LearnedID
		ts.orgName = t.OrgName
		if ts.user == "" {
			ts.user = t.User
		}
		ts.eligible, ts.active, ts.pending = t.Eligible, t.Active, t.Pending
		ts.loaded = true
		copyMap(ts.fetched, t.Fetched)
		for p, m := range t.PlaneErrors {
			ts.planeErrs[p] = m
		}
	}
	saved := roles.Saved{Policies: st.Policies, Recent: st.Recent, // recent actions: pruned once the listings catch up
		Awaiting: st.Awaiting, Scheduled: map[string]scheduledEntry{}, KeptAlive: st.KeptAlive,
		LastUsed: map[string]time.Time{}, DailySent: st.DailySent, Answers: st.Answers}
	for k, s := range st.Scheduled {
		if now.Sub(s.At) < scheduledStale {
			saved.Scheduled[k] = s
		}
	}
	for id, at := range st.RemindersSent {
		if now.Sub(at) < sentKeep {
			e.told.sent[id] = at
		}
	}
	for k, at := range st.LastUsed {
		if now.Sub(at) < RecentlyUsedFor {
			saved.LastUsed[k] = at
		}
	}
	e.roles.Load(saved)
	return nil
}

func copyMap[K comparable, V any](dst, src map[K]V) {
	for k, v := range src {
		dst[k] = v
	}
}

// saveState writes the last known state (unless there is no state file or it is read-only).
func (e *Engine) saveState() {
	if e.opts.ReadOnlyState {
		e.saveCommandCache()
		return
	}
	if e.opts.StateFile == "" {
		return
	}
	e.saveMu.Lock()
	defer e.saveMu.Unlock()
	e.mu.Lock()
	saved := e.roles.Save()
	st := savedState{Version: stateVersion, SavedAt: e.now(), LastRefresh: e.lastRefresh,
		Policies: saved.Policies, Recent: saved.Recent, Awaiting: saved.Awaiting, Scheduled: saved.Scheduled,
		RemindersSent: map[string]time.Time{}, KeptAlive: saved.KeptAlive, LastUsed: saved.LastUsed,
		DailySent: saved.DailySent, Answers: saved.Answers}
	for _, ts := range e.tenants {
		t := savedTenant{ID: ts.b.ID, LearnedID: ts.learnedID, OrgName: ts.orgName, User: ts.user, Fetched: map[pim.Plane]time.Time{},
			Eligible: append([]pim.Role{}, ts.eligible...), Active: append([]pim.Activation(nil), ts.active...),
			Pending: append([]pim.Activation(nil), ts.pending...), PlaneErrors: map[pim.Plane]string{}}
		copyMap(t.PlaneErrors, ts.planeErrs)
		copyMap(t.Fetched, ts.fetched)
		if !ts.loaded {
			continue
		}
		st.Tenants = append(st.Tenants, t)
	}
	copyMap(st.RemindersSent, e.told.sent)
	e.mu.Unlock()
	data, err := json.MarshalIndent(st, "", " ")
	if err == nil {
		err = store.WriteFileAtomic(e.opts.StateFile, data) // fsyncs the file and its folder
	}
	if err != nil {
		e.log.Warn("saving the last known state failed", "err", err)
	}
}

// LastKnownRoles reads the roles in the last known state file, without Azure, a sign-in or
// an engine (for the shell's completion): every tenant's eligible roles, and the roles that
// were active or pending when it was saved.
func LastKnownRoles(file string) (eligible, live []pim.Role, err error) {
	data, err := store.ReadFile(file, store.MaxStateSize)
	if err != nil {
		return nil, nil, err
	}
	var st savedState
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, nil, fmt.Errorf("the last known state %s: %w", file, err)
	}
	if st.Version != stateVersion {
		return nil, nil, fmt.Errorf("the last known state %s is of version %d, not %d", file, st.Version, stateVersion)
	}
	for _, t := range st.Tenants {
		eligible = append(eligible, t.Eligible...)
		for _, a := range t.Active {
			live = append(live, a.Role)
		}
		for _, a := range t.Pending {
			live = append(live, a.Role)
		}
	}
	return eligible, live, nil
}
