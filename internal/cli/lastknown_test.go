package cli

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/pimtray/pimtray/internal/engine"
	"github.com/pimtray/pimtray/pim"
)

// A role whose plane refuses the sign-in is listed as last known, without a countdown.
func TestStatusTextOfALastKnownRole(t *testing.T) {
	t.Parallel()
	r := &runner{ctx: context.Background(), stdout: io.Discard, stderr: io.Discard, env: Env{Location: time.UTC}}
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	it := engine.Item{Role: pim.Role{Plane: pim.PlaneAzure, RoleName: "Owner"}, State: engine.StateActive, ExpiresAt: now.Add(2 * time.Hour)}
	if got := r.statusText(it, now); got != "active until 11:00 (2h 00m left)" {
		t.Errorf("known: %q", got)
	}
	it.LastKnown = true
	for _, at := range []time.Time{now, now.Add(30 * time.Minute)} {
		if got := r.statusText(it, at); got != "needs sign-in (last known: active until 11:00)" {
			t.Errorf("last known, at %s: %q", at.Format("15:04"), got)
		}
	}
	it.State = engine.StatePending
	if got := r.statusText(it, now); got != "needs sign-in (last known: pending approval)" {
		t.Errorf("last known pending: %q", got)
	}
}
