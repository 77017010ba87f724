package engine

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pimtray/pimtray/pim"
	"github.com/pimtray/pimtray/store"
)

func oneHour(f *store.Favourite) { f.Duration = store.Duration(time.Hour) }

// activateAt0 activates r for its favourite's duration at t0 and waits until it shows active.
func (h *harness) activateAt0(r pim.Role) {
	h.t.Helper()
	h.e.Activate(r.Key())
	h.stateIs(r, StateActive)
	h.settle()
}

func TestRemindersBeforeAndAtTheEnd(t *testing.T) {
	h := newHarness(t, withFavourites(fav(roleOwnerIT, oneHour))).start()
	h.activateAt0(roleOwnerIT)

	h.advance(45*time.Minute - time.Second)
	h.noNotice()
	h.advance(time.Second)
	n := h.notice(NoticeReminder)
	if n.Title != "Owner · IT ends in 15 minutes" || n.Body != "Active until 10:00. Re-activate to keep your access." ||
		!slices.Equal(n.Actions, []string{ActionReactivate, ActionDismiss}) || n.Key != roleOwnerIT.Key() {
		t.Fatalf("15m reminder = %+v", n)
	}
	if s := h.e.Snapshot(); s.Icon != IconExpiring {
		t.Errorf("icon = %s", s.Icon)
	}
	h.advance(10 * time.Minute)
	if n := h.notice(NoticeReminder); n.Title != "Owner · IT ends in 5 minutes" {
		t.Fatalf("5m reminder = %+v", n)
	}
	h.advance(5 * time.Minute)
	if n := h.notice(NoticeEnded); n.Title != "Owner · IT has ended" || len(n.Actions) != 2 {
		t.Fatalf("ended = %+v", n)
	}
	h.stateIs(roleOwnerIT, StateEligible)
	// Exactly one per threshold: nothing more, and keep-alive is off by default.
	h.advance(2 * time.Hour)
	h.settle()
	h.noNotice()
	if n := h.api.count("activate"); n != 1 {
		t.Fatalf("%d activations: something re-activated on its own", n)
	}
}

func TestRemindersNotRepeatedAcrossRestarts(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.json")
	withState := func(o *Options, _ *fakeAPI) { o.StateFile = state }
	h := newHarness(t, withFavourites(fav(roleOwnerIT, oneHour)), withState).start()
	h.activateAt0(roleOwnerIT)
	h.advance(45 * time.Minute)
	h.notice(NoticeReminder)
	h.settle()
	h.stop()

	// Restart a minute later, against the same Azure.
	h2 := newHarness(t, withFavourites(fav(roleOwnerIT, oneHour)), withState)
	h2.api = h.api
	h2.e.tenants[0].b.API = h.api
	h2.clk.Set(t0.Add(46 * time.Minute))
	h.api.now = h2.clk.Now
	h2.start()
	h2.settle()
	h2.noNotice()
	h2.advance(9 * time.Minute)
	if n := h2.notice(NoticeReminder); n.Title != "Owner · IT ends in 5 minutes" {
		t.Fatalf("after restart = %+v", n)
	}
}

func TestReactivateStartsAtTheEnd(t *testing.T) {
	h := newHarness(t, withFavourites(fav(roleOwnerIT, oneHour))).start()
	h.activateAt0(roleOwnerIT)
	h.advance(45 * time.Minute)
	rem := h.notice(NoticeReminder)
	h.e.NoticeAction(rem.ID, ActionReactivate)
	n := h.notice(NoticeReactivated)
	if n.Title != "Owner · IT re-activated" || n.Body != "Active until 11:00." {
		t.Fatalf("notice = %+v", n)
	}
	calls := h.api.callsOf("activate")
	if len(calls) != 2 || !calls[1].Req.StartAt.Equal(t0.Add(time.Hour)) || calls[1].Req.Duration != time.Hour {
		t.Fatalf("calls = %+v", calls)
	}
	if h.api.count("deactivate") != 0 {
		t.Fatal("deactivated although the scheduled start was accepted")
	}
	s := h.waitFor("new end in the menu", func(s Snapshot) bool { return item(s, roleOwnerIT).ExpiresAt.Equal(t0.Add(2 * time.Hour)) })
	if got := Label(item(s, roleOwnerIT), h.clk.Now()); got != "Owner · IT — 1h 15m left" {
		t.Errorf("label = %q", got)
	}
	// No "5 minutes" or "has ended" for the replaced activation; the access goes on.
	h.advance(16 * time.Minute)
	h.settle()
	h.noNotice()
	if it := item(h.e.Snapshot(), roleOwnerIT); it.State != StateActive {
		t.Fatalf("at the old end: %+v", it)
	}
	// The new activation gets its own reminders.
	h.advance(44 * time.Minute)
	if n := h.notice(NoticeReminder); !strings.Contains(n.Body, "11:00") {
		t.Fatalf("reminder for the new end = %+v", n)
	}
}

func TestReactivateRefusedRestarts(t *testing.T) {
	h := newHarness(t, withFavourites(fav(roleOwnerIT, oneHour))).start()
	h.api.set(func(f *fakeAPI) { f.refuseScheduled = true })
	h.activateAt0(roleOwnerIT)
	h.advance(45 * time.Minute)
	res, err := h.e.ReactivateNow(context.Background(), roleOwnerIT.Key(), true)
	if err != nil || !res.Restarted {
		t.Fatalf("reactivate: %+v %v", res, err)
	}
	want := t0.Add(45*time.Minute + time.Hour)
	if !res.Activation.ExpiresAt.Equal(want) {
		t.Fatalf("new end %v, want %v", res.Activation.ExpiresAt, want)
	}
	acts := h.api.callsOf("activate")
	if len(acts) != 3 || !acts[1].Req.StartAt.Equal(t0.Add(time.Hour)) || !acts[2].Req.StartAt.IsZero() || h.api.count("deactivate") != 1 {
		t.Fatalf("calls: %d activations %+v, %d deactivations", len(acts), acts, h.api.count("deactivate"))
	}
	if it := item(h.e.Snapshot(), roleOwnerIT); it.State != StateActive || !it.ExpiresAt.Equal(want) {
		t.Fatalf("item = %+v", it)
	}
}

func TestReactivateRefusedSchedulesAtTheEnd(t *testing.T) {
	tests := []struct {
		name  string
		role  pim.Role
		after time.Duration // how long it has been active when re-activated
		setup func(h *harness)
	}{
		{"active under 5 minutes", roleOwnerIT, 3 * time.Minute, func(h *harness) { h.activateAt0(roleOwnerIT) }},
		{"needs approval", roleUA, 45 * time.Minute, func(h *harness) {
			h.api.approve(roleUA, time.Hour)
			h.e.Refresh()
			h.stateIs(roleUA, StateActive)
			h.settle()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, withFavourites(fav(tt.role, oneHour))).start()
			h.api.set(func(f *fakeAPI) { f.refuseScheduled = true })
			tt.setup(h)
			h.advance(tt.after)
			h.settle()
			for len(h.e.Notices()) > 0 {
				<-h.e.Notices()
			}
			before := h.api.count("activate")
			h.e.Reactivate(tt.role.Key())
			n := h.notice(NoticeReactivated)
			if n.Title != tt.role.Label()+" will be re-activated" || !strings.Contains(n.Body, "10:00") {
				t.Fatalf("notice = %+v", n)
			}
			if h.api.count("deactivate") != 0 {
				t.Fatal("deactivated")
			}
			if got := h.api.count("activate"); got != before+1 {
				t.Fatalf("%d activations sent now", got-before)
			}
			// No reminders: the re-activation is on its way.
			h.advance(time.Hour - tt.after - time.Second)
			h.settle()
			h.noNotice()
			h.advance(time.Second)
			want := NoticeReactivated
			if tt.role == roleUA {
				want = NoticePending
			}
			n = h.notice(want)
			calls := h.api.callsOf("activate")
			last := calls[len(calls)-1]
			if len(calls) != before+2 || !last.Req.StartAt.IsZero() || last.Interactive {
				t.Fatalf("at the end: %d calls, last %+v", len(calls)-before, last)
			}
			if tt.role == roleUA {
				h.stateIs(roleUA, StatePending)
			} else {
				h.waitFor("active again", func(s Snapshot) bool {
					it := item(s, tt.role)
					return it.State == StateActive && it.ExpiresAt.Equal(t0.Add(2*time.Hour))
				})
			}
		})
	}
}

func TestActionOnEndedActivationActivatesAnew(t *testing.T) {
	h := newHarness(t, withFavourites(fav(roleOwnerIT, oneHour))).start()
	h.activateAt0(roleOwnerIT)
	h.advance(time.Hour)
	ended := h.notice(NoticeEnded)
	h.advance(10 * time.Minute)
	h.e.NoticeAction(ended.ID, ActionReactivate)
	n := h.notice(NoticeReactivated)
	if n.Body != "Active until 11:10." {
		t.Fatalf("notice = %+v", n)
	}
	calls := h.api.callsOf("activate")
	if len(calls) != 2 || !calls[1].Req.StartAt.IsZero() {
		t.Fatalf("calls = %+v", calls)
	}
	// Dismiss and unknown ids do nothing.
	h.e.NoticeAction(ended.ID, ActionDismiss)
	h.e.NoticeAction("nope", ActionReactivate)
	h.settle()
	if h.api.count("activate") != 2 {
		t.Fatal("dismiss or an unknown id sent something")
	}
}

func TestKeepAlive(t *testing.T) {
	h := newHarness(t, withFavourites(fav(roleOwnerIT, oneHour, func(f *store.Favourite) { f.KeepActiveUntil = "11:30" }))).start()
	h.activateAt0(roleOwnerIT)
	// 09:44, ahead of the 15-minute reminder: re-activated from 10:00 to 11:00.
	h.advance(44 * time.Minute)
	n := h.notice(NoticeReactivated)
	if n.Body != "Active until 11:00. (Kept active until 11:30.)" {
		t.Fatalf("first keep-alive = %+v", n)
	}
	// 10:44: again, to 12:00.
	h.advance(60 * time.Minute)
	n = h.notice(NoticeReactivated)
	if n.Body != "Active until 12:00. (Kept active until 11:30.)" {
		t.Fatalf("second keep-alive = %+v", n)
	}
	// 12:00 is past 11:30: no more; the usual reminders come instead, and no reminder
	// came for the kept-alive ends.
	h.advance(61 * time.Minute)
	if n := h.notice(NoticeReminder); !strings.Contains(n.Body, "12:00") || !strings.HasSuffix(n.Title, "15 minutes") {
		t.Fatalf("reminder = %+v", n)
	}
	calls := h.api.callsOf("activate")
	if len(calls) != 3 {
		t.Fatalf("%d activations", len(calls))
	}
	for _, c := range calls[1:] {
		if c.Interactive {
			t.Error("keep-alive is background work: it must not be interactive")
		}
	}
}

// A laptop sleeps through the 15-minute reminder: at wake the most urgent reminder due fires
// once, within a minute, and the engine refreshes.
func TestReminderAfterSleep(t *testing.T) {
	h := newHarness(t, withFavourites(fav(roleOwnerIT, oneHour))).start()
	h.activateAt0(roleOwnerIT)
	overviews := h.api.count("overview")
	// Asleep from 09:40 to 09:52: the monotonic timer planned for 09:41 fires at 09:52.
	h.advance(40 * time.Minute)
	h.clk.Set(t0.Add(52 * time.Minute))
	n := h.notice(NoticeReminder)
	if n.Title != "Owner · IT ends in 15 minutes" {
		t.Fatalf("reminder at wake = %+v", n)
	}
	h.settle()
	h.noNotice()
	if h.api.count("overview") == overviews {
		t.Error("no refresh at wake")
	}
	h.advance(3 * time.Minute)
	if n := h.notice(NoticeReminder); n.Title != "Owner · IT ends in 5 minutes" {
		t.Fatalf("5m = %+v", n)
	}
}
