package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pimtray/pimtray/pim"
)

// historian is what a tenant's API offers when it can read the user's own request history
// (*pim.Client does). It is read only when asked: never on the refresh path.
type historian interface {
	History(ctx context.Context, since time.Time, planes ...pim.Plane) ([]pim.HistoryEntry, map[pim.Plane]error)
}

// HistoryEntry is one of the user's own requests, as the command line and the tray show it.
type HistoryEntry struct {
	pim.HistoryEntry
	// Outcome is how it ended, for people: "activated", "activated after approval",
	// "scheduled", "waiting for approval", "denied", "cancelled", "timed out (no decision)",
	// "deactivated", "failed", "revoked".
	Outcome    string `json:"outcome"`
	TenantName string `json:"tenantName,omitempty"`
}

// HistoryProblem is a plane whose history could not be read.
type HistoryProblem struct {
	TenantID string    `json:"tenantId"`
	Plane    pim.Plane `json:"plane"`
	Message  string    `json:"message"`
}

// HistoryNow reads the user's own requests made since then, in tenant ("" every tenant), on
// every plane the tenant uses, newest first, with the names the engine knows for roles whose
// answer lacked them. Nothing is cached: each call reads Azure (the refresh never does).
func (e *Engine) HistoryNow(ctx context.Context, tenant string, since time.Time) ([]HistoryEntry, []HistoryProblem, error) {
	type job struct {
		ts     *tenantState
		h      historian
		planes []pim.Plane
		names  map[string]pim.Role
	}
	var jobs []job
	e.mu.Lock()
	for _, ts := range e.tenants {
		if tenant != "" && !ts.is(tenant) {
			continue
		}
		h, ok := ts.b.API.(historian)
		if !ok {
			continue
		}
		names := map[string]pim.Role{}
		for _, r := range ts.eligible {
			names[historyKey(r)] = r
		}
		jobs = append(jobs, job{ts: ts, h: h, planes: slices.Clone(ts.b.Planes), names: names})
	}
	e.mu.Unlock()
	if len(jobs) == 0 {
		if tenant != "" {
			return nil, nil, &InputError{Msg: fmt.Sprintf("tenant %q is not configured", tenant)}
		}
		return nil, nil, nil
	}
	now := e.now()
	var out []HistoryEntry
	var problems []HistoryProblem
	failed := 0
	var firstErr error
	for _, j := range jobs {
		hs, errs := j.h.History(ctx, since, j.planes...)
		for _, p := range pim.Planes() {
			if err, ok := errs[p]; ok {
				failed++
				if firstErr == nil {
					firstErr = err
				}
				problems = append(problems, HistoryProblem{TenantID: j.ts.id(), Plane: p, Message: planeProblem(p, err)})
			}
		}
		for _, h := range hs {
			if known, ok := j.names[historyKey(h.Role)]; ok {
				h.Role.RoleName = firstNonEmpty(h.Role.RoleName, known.RoleName)
				if h.Role.ScopeName == "" || h.Role.ScopeName == h.Role.Scope {
					h.Role.ScopeName = known.ScopeName
				}
				h.Role.ScopeType = firstNonEmpty(h.Role.ScopeType, known.ScopeType)
			}
			entry := HistoryEntry{HistoryEntry: h, Outcome: HistoryOutcome(h, now)}
			if len(e.tenants) > 1 {
				entry.TenantName = firstNonEmpty(j.ts.b.Name, j.ts.orgName, j.ts.id())
			}
			out = append(out, entry)
		}
	}
	slices.SortStableFunc(out, func(a, b HistoryEntry) int { return b.CreatedAt.Compare(a.CreatedAt) })
	if len(out) == 0 && firstErr != nil && failed > 0 {
		return nil, problems, firstErr
	}
	return out, problems, nil
}

// historyKey matches a request's role to a known eligibility (ARM role ids by their GUID).
func historyKey(r pim.Role) string {
	id := r.RoleID
	if r.Plane == pim.PlaneAzure {
		id = id[strings.LastIndex(id, "/")+1:]
	}
	return strings.ToLower(string(r.Plane) + "|" + id + "|" + strings.TrimRight(r.Scope, "/"))
}

// HistoryOutcome says how a request ended, for people, from Azure's status word.
func HistoryOutcome(h pim.HistoryEntry, now time.Time) string {
	s := strings.ToLower(h.Status)
	if h.Action == "deactivate" {
		switch s {
		case "provisioned", "revoked", "granted", "accepted":
			return "deactivated"
		}
	}
	switch s {
	case "provisioned", "schedulecreated", "adminapproved", "accepted", "provisioningstarted":
		if h.Approval {
			return "activated after approval"
		}
		return "activated"
	case "granted":
		if h.StartsAt.After(now) {
			return "scheduled"
		}
		if h.Approval {
			return "activated after approval"
		}
		return "activated"
	case "denied", "admindenied":
		return "denied"
	case "canceled", "cancelled":
		return "cancelled"
	case "timedout":
		return "timed out (no decision)"
	case "revoked":
		return "revoked"
	case "failed", "failedasresourceislocked", "invalid":
		return "failed"
	}
	if strings.HasPrefix(s, "pending") {
		return "waiting for approval"
	}
	return strings.ToLower(h.Status)
}
