package engine

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pimtray/pimtray/internal/fakeazure"
	"github.com/pimtray/pimtray/pim"
)

// An activation for 12:00 (asked at 09:00) is one request; the role shows "starts 12:00"; at
// 12:00 it is active with no further request, its reminder counts from its real end (13:00).
func TestScheduledActivationStartsOnItsOwnAndRemindsFromItsEnd(t *testing.T) {
	h := newAzureHarness(t, fakeazure.Options{})
	h.start()
	role := h.role("Security Reader", "")
	h.fake.ResetLog()
	at := t0.Add(3 * time.Hour)
	res, err := h.e.ActivateNow(context.Background(), role.Key(), ActivateOptions{StartAt: at, Duration: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if res.Activation.Status != pim.StatusScheduled {
		t.Fatalf("answer %+v, want scheduled", res.Activation)
	}
	s := h.stateIs(role, StateScheduled)
	if got := Label(item(s, role), h.clk.Now()); got != "Security Reader — starts 12:00" {
		t.Errorf("label = %q", got)
	}
	h.advance(time.Hour) // a refresh reads it back among the open requests
	if got := Label(item(h.e.Snapshot(), role), h.clk.Now()); got != "Security Reader — starts 12:00" {
		t.Errorf("label after a refresh = %q", got)
	}
	h.advance(2 * time.Hour)
	it := item(h.e.Snapshot(), role)
	if EffectiveState(it, h.clk.Now()) != StateActive || !it.ExpiresAt.Equal(at.Add(time.Hour)) {
		t.Fatalf("at its start: %s until %v, want active until %v", it.State, it.ExpiresAt, at.Add(time.Hour))
	}
	h.advance(45 * time.Minute)
	rem := h.notice(NoticeReminder)
	if rem.Title != "Security Reader ends in 15 minutes" {
		t.Fatalf("reminder = %+v", rem)
	}
	if w := h.writes(); len(w) != 1 {
		t.Fatalf("writes = %+v, want the one activation", w)
	}
}

// Cancel withdraws the scheduled activation: one POST …/cancel; it never starts.
func TestScheduledActivationIsCancelled(t *testing.T) {
	h := newAzureHarness(t, fakeazure.Options{})
	h.start()
	role := h.role("Reader", "Prod")
	if _, err := h.e.ActivateNow(context.Background(), role.Key(), ActivateOptions{StartAt: t0.Add(2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	h.advance(time.Hour) // known from the listing too
	h.fake.ResetLog()
	a, err := h.e.CancelNow(context.Background(), role.Key())
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != pim.StatusScheduled || !a.StartsAt.Equal(t0.Add(2*time.Hour)) {
		t.Errorf("cancelled %+v", a)
	}
	w := h.writes()
	if len(w) != 1 || w[0].Method != "POST" || !strings.HasSuffix(w[0].Path, "/cancel") {
		t.Fatalf("writes = %+v, want one POST …/cancel", w)
	}
	h.stateIs(role, StateEligible)
	h.advance(2 * time.Hour)
	if st := EffectiveState(item(h.e.Snapshot(), role), h.clk.Now()); st != StateEligible {
		t.Fatalf("after its start: %s", st)
	}
	if _, err := h.e.CancelNow(context.Background(), role.Key()); !IsInput(err) {
		t.Fatalf("cancel with nothing open: %v, want an input error", err)
	}
}

// "Activate at …" asks when, pre-filled with the next working morning (Tuesday 08:30 on a
// Monday at 09:00), sends one activation for that start and says so; "Cancel" withdraws it;
// "Show recent activity" reads the requests (and only them) and shows both.
func TestActivateAtAsksWhenThenCancelAndRecentActivity(t *testing.T) {
	h := newAzureHarness(t, fakeazure.Options{})
	h.start()
	role := h.role("Security Reader", "")
	h.prompt.mu.Lock()
	h.prompt.answers = []string{"2025-03-11 08:30"}
	h.prompt.mu.Unlock()
	h.fake.ResetLog()
	h.e.ActivateAt(role.Key())
	n := h.notice(NoticeScheduled)
	if n.Title != "Security Reader scheduled" || n.Body != "It starts at Tue 08:30 and runs until 16:30; Azure starts it then, even with this computer off." {
		t.Errorf("notice = %+v", n)
	}
	q := h.prompt.questions()
	if len(q) != 1 || q[0].Field != FieldStart || q[0].Default != "2025-03-11 08:30" {
		t.Fatalf("asked %+v", q)
	}
	s := h.stateIs(role, StateScheduled)
	if got := Label(item(s, role), h.clk.Now()); got != "Security Reader — starts Tue 08:30" {
		t.Errorf("label = %q", got)
	}
	if w := h.writes(); len(w) != 1 {
		t.Fatalf("writes = %+v", w)
	}

	h.fake.ResetLog()
	h.e.LoadRecentActivity()
	deadline := time.Now().Add(30 * time.Second)
	for h.e.Snapshot().Recent.ReadAt.IsZero() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	r := h.e.Snapshot().Recent
	if len(r.Entries) != 1 || r.Entries[0].Outcome != "scheduled" || r.Problem != "" {
		t.Fatalf("recent activity %+v", r)
	}
	reads := map[string]int{}
	for _, q := range h.fake.Requests() {
		if q.Method != "GET" && q.Plane != "identity" {
			t.Errorf("recent activity sent %s %s", q.Method, q.Path)
		}
		if strings.Contains(strings.ToLower(q.Path), "schedulerequests") {
			reads[q.Plane]++
		}
	}
	if reads["entra"] != 1 || reads["group"] != 1 || reads["azure"] < 1 {
		t.Errorf("request lists read: %v, want each plane's", reads)
	}

	h.fake.ResetLog()
	h.e.Cancel(role.Key())
	h.stateIs(role, StateEligible)
	h.settle()
	if w := h.writes(); len(w) != 1 || !strings.HasSuffix(w[0].Path, "/cancel") {
		t.Fatalf("writes = %+v", w)
	}
}

// A start typed in the past is refused in one sentence, and nothing is sent.
func TestActivateAtRefusesThePast(t *testing.T) {
	h := newAzureHarness(t, fakeazure.Options{})
	h.start()
	role := h.role("Security Reader", "")
	h.prompt.mu.Lock()
	h.prompt.answers = []string{"08:00"}
	h.prompt.mu.Unlock()
	h.fake.ResetLog()
	h.e.ActivateAt(role.Key())
	n := h.notice(NoticeFailed)
	if n.Body != "08:00 is in the past (it is 09:00 now): give a later time, such as 2025-03-11 08:30." {
		t.Errorf("notice = %+v", n)
	}
	if w := h.writes(); len(w) != 0 {
		t.Fatalf("writes = %+v", w)
	}
}

// A scheduled favourite is taken care of: "Activate all favourites" and a click send nothing
// for it (Azure would refuse a second open request).
func TestScheduledFavouriteIsNotActivatedAgain(t *testing.T) {
	reader := demoFav(pim.PlaneEntra, fakeazure.RoleSecurityReader, "/")
	h := newAzureHarness(t, fakeazure.Options{}, reader)
	h.start()
	if _, err := h.e.ActivateNow(context.Background(), reader.Key, ActivateOptions{StartAt: t0.Add(2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	h.fake.ResetLog()
	h.e.ActivateFavourites()
	h.e.Activate(reader.Key)
	h.settle()
	if w := h.writes(); len(w) != 0 {
		t.Fatalf("writes %+v, want none", w)
	}
}

// A scheduled activation that needs approval waits for it; once approved it is scheduled,
// and the notice says when it starts.
func TestScheduledActivationApprovedSaysWhenItStarts(t *testing.T) {
	h := newAzureHarness(t, fakeazure.Options{})
	h.start()
	role := h.role("User Administrator", "")
	res, err := h.e.ActivateNow(context.Background(), role.Key(), ActivateOptions{StartAt: t0.Add(3 * time.Hour), Justification: "onboarding"})
	if err != nil || res.Activation.Status != pim.StatusPending {
		t.Fatalf("%+v %v, want pending", res.Activation, err)
	}
	h.stateIs(role, StatePending)
	reqs := h.fake.PendingRequests(fakeazure.DemoTenantID)
	var id string
	for _, r := range reqs {
		if r.RoleName == "User Administrator" && r.Status == "PendingApproval" {
			id = r.ID
		}
	}
	if err := h.fake.Approve(id); err != nil {
		t.Fatal(err)
	}
	h.advance(PendingPollInterval)
	n := h.notice(NoticeApproved)
	if n.Title != "User Administrator approved" || n.Body != "It starts at 12:00." {
		t.Errorf("notice = %+v", n)
	}
	h.stateIs(role, StateScheduled)
}
