package fakeazure

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// state is everything the fake changes while it runs: activations, PIM requests and the sign-in
// sessions behind refresh tokens. With Options.StateFile it is persisted as JSON, so the CLI and
// the tray of a --demo run (two processes, each with its own fake) see the same demo. It never
// holds a secret: refresh tokens are kept as SHA-256 hashes only.
type state struct {
	Version       int                     `json:"version"`
	Tenants       map[string]*tenantState `json:"tenants"`
	RefreshTokens []*refreshRecord        `json:"refreshTokens,omitempty"`
}

const stateVersion = 1

type tenantState struct {
	Activations []*activation `json:"activations,omitempty"`
	Requests    []*pimRequest `json:"requests,omitempty"`
	// Approvals are requests by other users that wait for (or waited for) the user's decision.
	Approvals []*approvalRecord `json:"approvals,omitempty"`
}

// activation is an active (or scheduled) assignment made by PIM.
type activation struct {
	ID        string    `json:"id"`  // instance id (GUID)
	Key       string    `json:"key"` // the eligibility's key
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	RequestID string    `json:"requestId"`
}

// pimRequest is a role assignment schedule request in any plane.
type pimRequest struct {
	ID             string    `json:"id"` // Graph: the request id; ARM: the request name (client-chosen GUID)
	Plane          string    `json:"plane"`
	Key            string    `json:"key"`
	Action         string    `json:"action"` // selfActivate | selfDeactivate
	Status         string    `json:"status"` // stored status; see (*pimRequest).statusAt
	Created        time.Time `json:"created"`
	Completed      time.Time `json:"completed,omitzero"`
	Start          time.Time `json:"start,omitzero"`
	End            time.Time `json:"end,omitzero"`
	ExpirationType string    `json:"expirationType,omitempty"` // afterDuration | afterDateTime | noExpiration
	Duration       string    `json:"duration,omitempty"`       // ISO 8601, as requested
	Justification  string    `json:"justification,omitempty"`
	TicketNumber   string    `json:"ticketNumber,omitempty"`
	TicketSystem   string    `json:"ticketSystem,omitempty"`
	ApprovalID     string    `json:"approvalId,omitempty"`
	ActivationID   string    `json:"activationId,omitempty"`
	// ARM only: the scope in the request's URL and the ids as the client sent them.
	Scope            string `json:"scope,omitempty"`
	RoleDefinitionID string `json:"roleDefinitionId,omitempty"`
	Linked           string `json:"linked,omitempty"`
	Condition        string `json:"condition,omitempty"`
	ConditionVersion string `json:"conditionVersion,omitempty"`
}

// refreshRecord is the session behind one refresh token, known by the token's hash.
type refreshRecord struct {
	Hash      string    `json:"hash"`
	Tenant    string    `json:"tenant"`
	ClientID  string    `json:"clientId"`
	Amr       []string  `json:"amr"`
	Acrs      []string  `json:"acrs,omitempty"`
	Sid       string    `json:"sid"`
	Issued    time.Time `json:"issued"`
	Used      time.Time `json:"used,omitzero"` // first redemption (the token is rotated then)
	Revoked   bool      `json:"revoked,omitempty"`
	RevokedAt time.Time `json:"revokedAt,omitzero"`
}

func newState() *state {
	return &state{Version: stateVersion, Tenants: map[string]*tenantState{}}
}

func (st *state) tenant(id string) *tenantState {
	id = strings.ToLower(id)
	ts := st.Tenants[id]
	if ts == nil {
		ts = &tenantState{}
		st.Tenants[id] = ts
	}
	return ts
}

// statusAt is the request's status at now: a scheduled activation ("Granted") reads Provisioned
// once it has started; an approval left undecided for a day times out.
func (r *pimRequest) statusAt(now time.Time) string {
	switch r.Status {
	case "Granted":
		if !now.Before(r.Start) {
			return "Provisioned"
		}
	case "PendingApproval":
		if now.Sub(r.Created) > 24*time.Hour {
			return "TimedOut"
		}
	}
	return r.Status
}

// open reports whether the request still waits for something (approval or its start time).
func (r *pimRequest) open(now time.Time) bool {
	switch r.statusAt(now) {
	case "PendingApproval", "Granted":
		return true
	}
	return false
}

// activeAt reports whether the activation is in force at now.
func (a *activation) activeAt(now time.Time) bool {
	return !now.Before(a.Start) && (a.End.IsZero() || now.Before(a.End))
}

// prune drops what can no longer matter, so the state file stays small.
func (st *state) prune(now time.Time, grace time.Duration) {
	for _, ts := range st.Tenants {
		acts := ts.Activations[:0]
		for _, a := range ts.Activations {
			if a.End.IsZero() || now.Sub(a.End) < 24*time.Hour {
				acts = append(acts, a)
			}
		}
		ts.Activations = acts
		reqs := ts.Requests[:0]
		for _, r := range ts.Requests {
			if r.open(now) || now.Sub(r.Created) < 7*24*time.Hour {
				reqs = append(reqs, r)
			}
		}
		ts.Requests = reqs
		aps := ts.Approvals[:0]
		for _, a := range ts.Approvals {
			if now.Sub(a.Created) < 7*24*time.Hour {
				aps = append(aps, a)
			}
		}
		ts.Approvals = aps
	}
	rts := st.RefreshTokens[:0]
	for _, rt := range st.RefreshTokens {
		expired := now.Sub(rt.Issued) > refreshTokenLifetime
		spent := !rt.Used.IsZero() && now.Sub(rt.Used) > grace
		if !expired && !spent {
			rts = append(rts, rt)
		}
	}
	st.RefreshTokens = rts
}

// fileStamp tells whether the state file changed since it was last read or written.
type fileStamp struct {
	mod  time.Time
	size int64
}

// syncLocked re-reads the state file when another process changed it. s.mu must be held.
func (s *Server) syncLocked() {
	s.syncFileLocked()
	if s.autoApproveLocked() {
		s.saveLocked()
	}
}

// syncFileLocked re-reads the state file when another process changed it. s.mu must be held.
func (s *Server) syncFileLocked() {
	if s.opts.StateFile == "" {
		return
	}
	fi, err := os.Stat(s.opts.StateFile)
	if err != nil {
		return
	}
	stamp := fileStamp{fi.ModTime(), fi.Size()}
	if stamp == s.stamp {
		return
	}
	st, err := readState(s.opts.StateFile)
	if err != nil {
		s.logger().Warn("fakeazure: state file unreadable; keeping the state in memory", "file", s.opts.StateFile, "err", err)
		s.stamp = stamp
		return
	}
	s.st = st
	s.stamp = stamp
}

// saveLocked writes the state file atomically (temp file + rename, 0600). s.mu must be held.
// A failure is logged, never returned: the fake keeps working in memory.
func (s *Server) saveLocked() {
	s.st.prune(s.now(), s.grace())
	if s.opts.StateFile == "" {
		return
	}
	if err := writeState(s.opts.StateFile, s.st); err != nil {
		s.logger().Warn("fakeazure: cannot save state", "file", s.opts.StateFile, "err", err)
		return
	}
	if fi, err := os.Stat(s.opts.StateFile); err == nil {
		s.stamp = fileStamp{fi.ModTime(), fi.Size()}
	}
}

func readState(path string) (*state, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	st := newState()
	if err := json.Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("decode %s: %w", path, err)
	}
	if st.Version != stateVersion {
		return nil, fmt.Errorf("%s: state version %d, want %d", path, st.Version, stateVersion)
	}
	if st.Tenants == nil {
		st.Tenants = map[string]*tenantState{}
	}
	return st, nil
}

func writeState(path string, st *state) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	if strings.Contains(string(b), SecretMarker) {
		// Never possible by construction; refuse rather than write a secret.
		return errors.New("state would contain a secret; not written")
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create state folder: %w", err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("create temp state file: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = os.Remove(tmp)
		}
	}()
	if err = f.Chmod(0o600); err != nil {
		_ = f.Close()
		return fmt.Errorf("chmod temp state file: %w", err)
	}
	if _, err = f.Write(b); err != nil {
		_ = f.Close()
		return fmt.Errorf("write temp state file: %w", err)
	}
	if err = f.Sync(); err != nil {
		_ = f.Close()
		return fmt.Errorf("sync temp state file: %w", err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("close temp state file: %w", err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("replace state file: %w", err)
	}
	return nil
}

// loadInitialState reads the state file at start; a missing file is an empty state.
func loadInitialState(path string) (*state, fileStamp, error) {
	if path == "" {
		return newState(), fileStamp{}, nil
	}
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return newState(), fileStamp{}, nil
	}
	if err != nil {
		return nil, fileStamp{}, fmt.Errorf("stat state file: %w", err)
	}
	st, err := readState(path)
	if err != nil {
		return nil, fileStamp{}, err
	}
	return st, fileStamp{fi.ModTime(), fi.Size()}, nil
}
