package engine

import (
	"testing"
	"time"

	"github.com/pimtray/pimtray/pim"
)

func TestHistoryOutcome(t *testing.T) {
	now := t0
	cases := []struct {
		h    pim.HistoryEntry
		want string
	}{
		{pim.HistoryEntry{Action: "activate", Status: "Provisioned"}, "activated"},
		{pim.HistoryEntry{Action: "activate", Status: "Provisioned", Approval: true}, "activated after approval"},
		{pim.HistoryEntry{Action: "activate", Status: "Granted", StartsAt: now.Add(time.Hour)}, "scheduled"},
		{pim.HistoryEntry{Action: "activate", Status: "Granted", StartsAt: now.Add(-time.Hour)}, "activated"},
		{pim.HistoryEntry{Action: "activate", Status: "Denied", Approval: true}, "denied"},
		{pim.HistoryEntry{Action: "activate", Status: "Canceled"}, "cancelled"},
		{pim.HistoryEntry{Action: "activate", Status: "TimedOut"}, "timed out (no decision)"},
		{pim.HistoryEntry{Action: "activate", Status: "PendingApproval"}, "waiting for approval"},
		{pim.HistoryEntry{Action: "activate", Status: "FailedAsResourceIsLocked"}, "failed"},
		{pim.HistoryEntry{Action: "deactivate", Status: "Revoked"}, "deactivated"},
		{pim.HistoryEntry{Action: "deactivate", Status: "Provisioned"}, "deactivated"},
		{pim.HistoryEntry{Action: "activate", Status: "SomethingNew"}, "somethingnew"},
	}
	for _, c := range cases {
		if got := HistoryOutcome(c.h, now); got != c.want {
			t.Errorf("%s %s (approval %v): %q, want %q", c.h.Action, c.h.Status, c.h.Approval, got, c.want)
		}
	}
}
