package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/pimtray/pimtray/pim"
)

// Cancel withdraws the role's scheduled activation (or its request waiting for approval) in the
// background, as the menu's "Cancel" does.
func (e *Engine) Cancel(key string) {
	if !e.markInFlight(key, StateDeactivating) {
		return
	}
	e.goBackground(func(ctx context.Context) {
		_, err := e.cancelNow(ctx, key, true)
		e.tellFailure(key, "Could not cancel", err)
	})
}

// CancelNow withdraws the role's scheduled activation, or its request waiting for approval:
// one request (Graph POST …/{id}/cancel, ARM POST …/{name}/cancel). It returns what was
// withdrawn; with nothing open for the role it sends nothing and says so (an *InputError).
func (e *Engine) CancelNow(ctx context.Context, key string) (pim.Activation, error) {
	return e.cancelNow(ctx, key, false)
}

func (e *Engine) cancelNow(ctx context.Context, key string, marked bool) (pim.Activation, error) {
	var open pim.Activation
	var found bool
	role, ts, err := e.begin(key, StateDeactivating, marked, func(ts *tenantState) {
		now := e.now()
		if open, found = e.scheduledLocked(ts, key, now); !found {
			open, found = e.pendingLocked(ts, key, now)
		}
	})
	if err != nil {
		return pim.Activation{}, err
	}
	if !found || open.RequestID == "" {
		e.mu.Lock()
		e.roles.Done(key)
		e.mu.Unlock()
		e.signal()
		return pim.Activation{}, &InputError{Msg: role.Label() + " has no scheduled activation or open request to cancel."}
	}
	if open.Role.RoleID == "" {
		open.Role = role
	}
	err = ts.b.API.Cancel(ctx, open)

	e.mu.Lock()
	e.roles.Done(key)
	switch {
	case err == nil:
		ts.pending = slices.DeleteFunc(ts.pending, func(a pim.Activation) bool {
			return a.Role.Key() == key && a.RequestID == open.RequestID
		})
		e.roles.Withdrawn(key, open.RequestID)
		e.log.Info("request cancelled", "role", role.Label(), "status", open.Status)
	case errors.Is(err, pim.ErrSignInNeeded):
		e.markSignInNeededLocked(ts, key, role.Plane)
		err = fmt.Errorf("cancel %s: %w", role.Label(), err)
	default:
		err = fmt.Errorf("cancel %s: %w", role.Label(), err)
	}
	e.mu.Unlock()
	e.saveState()
	e.signal()
	return open, err
}
