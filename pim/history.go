package pim

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// HistoryEntry is one of the user's own requests, as Azure keeps it: an activation asked
// (approved, denied, cancelled, timed out, scheduled…) or a deactivation. Times are on the
// local clock.
type HistoryEntry struct {
	Role Role `json:"role"`
	// Action is "activate" or "deactivate".
	Action string `json:"action"`
	// Status is Azure's word for where the request ended: Provisioned, Granted, Denied,
	// Canceled, TimedOut, PendingApproval, Revoked, Failed, …
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"createdAt"`
	StartsAt  time.Time `json:"startsAt,omitzero"`
	// Duration is what was asked (zero for a deactivation or no end).
	Duration      time.Duration `json:"duration,omitempty"`
	Justification string        `json:"justification,omitempty"`
	TicketNumber  string        `json:"ticketNumber,omitempty"`
	TicketSystem  string        `json:"ticketSystem,omitempty"`
	// Approval: the request went through an approval (Azure gave it an approval id).
	Approval  bool   `json:"approval,omitempty"`
	RequestID string `json:"requestId,omitempty"`
}

// History reads the user's own requests created at or after since, on the given planes (all
// when none), concurrently; newest first. It is read only when asked (never by Overview): on
// Graph with `filterByCurrentUser(on='principal')` and a `createdDateTime ge` filter, so Azure
// sends only that span (should Graph refuse the filter, 400, the span is cut here); on ARM with
// `$filter=asRequestor()`, whose filter knows no dates (principalId, roleDefinitionId,
// requestorId and status only) and whose order is not documented, so every page is read and
// the span cut here. No audit-log permission is needed: these are the calls pimtray's
// listings already use. A plane that fails is in errs; the others are still returned.
func (c *Client) History(ctx context.Context, since time.Time, planes ...Plane) ([]HistoryEntry, map[Plane]error) {
	if len(planes) == 0 {
		planes = Planes()
	}
	azureSince := c.clock.toAzure(since).UTC()
	var mu sync.Mutex
	var out []HistoryEntry
	errs := map[Plane]error{}
	var wg sync.WaitGroup
	for _, p := range planes {
		wg.Go(func() {
			hs, err := c.planeHistory(ctx, p, azureSince)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs[p] = err
			}
			for _, h := range hs {
				h.Role.TenantID = c.Tenant()
				h.CreatedAt, h.StartsAt = c.clock.toLocal(h.CreatedAt), c.clock.toLocal(h.StartsAt)
				if !h.CreatedAt.Before(since) {
					out = append(out, h)
				}
			}
		})
	}
	wg.Wait()
	order := func(p Plane) int { return slices.Index(Planes(), p) }
	slices.SortFunc(out, func(a, b HistoryEntry) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		if c := order(a.Role.Plane) - order(b.Role.Plane); c != 0 {
			return c // made at the same moment: in the planes' display order
		}
		return strings.Compare(a.RequestID, b.RequestID)
	})
	return out, errs
}

func (c *Client) planeHistory(ctx context.Context, p Plane, since time.Time) ([]HistoryEntry, error) {
	switch p {
	case PlaneEntra:
		return c.graphHistory(ctx, p, since, func(filter string) string {
			args := []string{"$expand", "roleDefinition"}
			if filter != "" {
				args = append(args, "$filter", filter)
			}
			return c.graphEndpoint(entraRequestsPath+"/filterByCurrentUser(on='principal')", args...)
		}, (*graphRequest).directoryRole)
	case PlaneGroup:
		return c.graphHistory(ctx, p, since, func(filter string) string {
			args := []string{"$expand", "group"}
			if filter != "" {
				args = append(args, "$filter", filter)
			}
			return c.graphEndpoint(groupRequestsPath+"/filterByCurrentUser(on='principal')", args...)
		}, (*graphRequest).groupRole)
	case PlaneAzure:
		return listAll(ctx, c, armAPI, c.armEndpoint(armRequestsPath, "$filter", "asRequestor()"), historyCall(p), decodeARMHistory)
	}
	return nil, &Error{Kind: KindOther, Plane: p, Text: "pimtray knows no plane " + string(p) + "."}
}

func historyCall(p Plane) call {
	return call{op: opList, plane: p, subject: "your " + p.Title() + " request history"}
}

func (c *Client) graphHistory(ctx context.Context, p Plane, since time.Time, endpoint func(filter string) string, role func(*graphRequest) Role) ([]HistoryEntry, error) {
	decode := func(body []byte) (listPage[HistoryEntry], error) {
		return decodeGraphList(body, string(p)+" request history", func(in *graphRequest) (HistoryEntry, bool, error) {
			return graphHistoryEntry(in, role(in))
		})
	}
	if !c.graphNoDateFilter.Load() {
		hs, err := listAll(ctx, c, graphAPI, endpoint("createdDateTime ge "+since.Format(time.RFC3339)), historyCall(p), decode)
		var pe *Error
		if !errors.As(err, &pe) || pe.StatusCode != http.StatusBadRequest {
			return hs, err
		}
		c.log.Info("Graph refused a date filter on requests; reading them all", "code", pe.Code)
		c.graphNoDateFilter.Store(true)
	}
	return listAll(ctx, c, graphAPI, endpoint(""), historyCall(p), decode)
}

func historyAction(action string) (string, bool) {
	switch strings.ToLower(action) {
	case "selfactivate":
		return "activate", true
	case "selfdeactivate":
		return "deactivate", true
	}
	return "", false // an administrator's action, an extension: not the user's own activation
}

func graphHistoryEntry(in *graphRequest, r Role) (HistoryEntry, bool, error) {
	action, ok := historyAction(in.Action)
	if !ok {
		return HistoryEntry{}, false, nil
	}
	return historyEntry(r, action, in.ID, in.Status, in.CreatedDateTime, in.ScheduleInfo, in.Justification, in.TicketInfo, in.ApprovalID)
}

func decodeARMHistory(body []byte) (listPage[HistoryEntry], error) {
	return decodeARMList(body, "azure request history", func(it *armItem) (HistoryEntry, bool, error) {
		p := it.Properties
		if p == nil {
			return HistoryEntry{}, false, nil
		}
		action, ok := historyAction(p.RequestType)
		if !ok {
			return HistoryEntry{}, false, nil
		}
		id := it.ID
		if id == "" {
			id = it.Name
		}
		return historyEntry(it.role(), action, id, p.Status, p.CreatedOn, p.ScheduleInfo, p.Justification, p.TicketInfo, p.ApprovalID)
	})
}

func historyEntry(r Role, action, id, status, created string, s wireSchedule, reason string, t wireTicketIn, approval string) (HistoryEntry, bool, error) {
	h := HistoryEntry{Role: r, Action: action, Status: status, RequestID: id, Justification: reason,
		TicketNumber: t.TicketNumber, TicketSystem: t.TicketSystem, Approval: approval != ""}
	var err error
	if h.CreatedAt, err = parseTime(created); err != nil {
		return h, false, err
	}
	start, end, err := s.window()
	if err != nil {
		return h, false, err
	}
	h.StartsAt = start
	if action == "activate" && !start.IsZero() && end.After(start) {
		h.Duration = end.Sub(start)
	}
	return h, r.RoleID != "" && !h.CreatedAt.IsZero(), nil
}
