//go:build linux

package notify

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/pimtray/pimtray/internal/engine"
	"github.com/pimtray/pimtray/internal/testkit/desktoptest"
)

func TestWithdrawnNoticeIsClosedNotShown(t *testing.T) {
	addr := desktoptest.StartBus(t)
	srv := startFakeServer(t, addr, "actions", "body")
	nf, _ := newTestNotifier(t, addr, Options{})
	failed := engine.Notice{ID: "failed-1", Kind: engine.NoticeFailed, Key: "owner", Title: "Could not deactivate Owner · IT", Body: "Too early."}
	if err := nf.Show(failed); err != nil {
		t.Fatal(err)
	}
	got := srv.next()
	if err := nf.Show(engine.Notice{ID: "failed-1", Kind: engine.NoticeWithdrawn, Key: "owner"}); err != nil {
		t.Fatal(err)
	}
	if c := srv.closed(); !slices.Equal(c, []uint32{got.ID}) {
		t.Fatalf("closed %v, want [%d]", c, got.ID)
	}
	select {
	case c := <-srv.got:
		t.Fatalf("a withdrawal was shown: %+v", c)
	default:
	}
	// Withdrawing what is not on screen (replaced, or never shown) asks nothing.
	if err := nf.Show(engine.Notice{ID: "unknown", Kind: engine.NoticeWithdrawn}); err != nil {
		t.Fatal(err)
	}
	if c := srv.closed(); len(c) != 1 {
		t.Fatalf("closed %v", c)
	}
}

func TestCloseWithdrawsEveryNoticeOnScreen(t *testing.T) {
	addr := desktoptest.StartBus(t)
	srv := startFakeServer(t, addr, "actions", "body")
	shown := filepath.Join(t.TempDir(), "notices.json")
	nf, _ := newTestNotifier(t, addr, Options{ShownFile: shown})
	var ids []uint32
	for _, n := range []engine.Notice{reminder("a", "owner", "Owner ends in 15 minutes"), reminder("b", "reader", "Reader ends in 5 minutes")} {
		if err := nf.Show(n); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, srv.next().ID)
	}
	if _, err := os.Stat(shown); err != nil {
		t.Fatalf("the notices on screen are not listed: %v", err)
	}
	nf.Close()
	c := srv.closed()
	slices.Sort(c)
	if !slices.Equal(c, ids) {
		t.Fatalf("closed %v on quit, want %v", c, ids)
	}
	if _, err := os.Stat(shown); !os.IsNotExist(err) {
		t.Fatalf("the list stays after quit: %v", err)
	}
}

// A run that ended without Close (killed) left notices on screen whose buttons nobody
// hears: the next start takes them away.
func TestNextStartWithdrawsWhatAKilledRunLeft(t *testing.T) {
	addr := desktoptest.StartBus(t)
	srv := startFakeServer(t, addr, "actions", "body")
	shown := filepath.Join(t.TempDir(), "notices.json")
	first, _ := newTestNotifier(t, addr, Options{ShownFile: shown})
	if err := first.Show(reminder("a", "owner", "Owner ends in 15 minutes")); err != nil {
		t.Fatal(err)
	}
	left := srv.next().ID
	data, err := os.ReadFile(shown)
	if err != nil {
		t.Fatal(err)
	}
	// The killed run's list stays as it was (a copy: the first notifier runs on).
	copyFile := filepath.Join(t.TempDir(), "notices.json")
	if err := os.WriteFile(copyFile, data, 0o600); err != nil {
		t.Fatal(err)
	}
	newTestNotifier(t, addr, Options{ShownFile: copyFile})
	if c := srv.closed(); !slices.Contains(c, left) {
		t.Fatalf("closed %v at start, want %d", c, left)
	}
	if _, err := os.Stat(copyFile); !os.IsNotExist(err) {
		t.Fatalf("the list stays: %v", err)
	}
}
