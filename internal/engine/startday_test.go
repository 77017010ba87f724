package engine

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pimtray/pimtray/internal/fakeazure"
	"github.com/pimtray/pimtray/pim"
	"github.com/pimtray/pimtray/store"
)

// Start my day on the fake Azure and a fake clock, from Monday 09:00 (t0) to the next
// Tuesday: Monday's request goes at once (pimtray started late: 08:30 has passed), each
// working day's the evening before at 18:00, to start at 08:30; none for the weekend; one
// request a day, each becoming active at 08:30 with no request of its own.
func TestStartMyDayOnTheFakeAzure(t *testing.T) {
	t.Parallel() // its own fake Azure (or fake API), clock, engine and files
	reader := demoFav(pim.PlaneEntra, fakeazure.RoleSecurityReader, "/", func(f *store.Favourite) {
		f.Duration = store.Duration(time.Hour)
		f.Schedule = &store.Schedule{Days: "Mon-Fri", At: "08:30"}
	})
	h := newAzureHarness(t, fakeazure.Options{}, reader)
	// A refresh every 6 hours instead of every hour: still one between each evening's request
	// and its start (at 21:00 and 03:00) and one after the start (09:00), where a listing
	// that lags the request could make the engine send it again; a fifth of the requests
	// (536 instead of 2937 for the week, under -race 3 s instead of 7).
	h.e.mu.Lock()
	h.e.cfg.RefreshInterval = store.Duration(6 * time.Hour)
	h.e.mu.Unlock()
	h.start()
	h.settle()
	role := h.role("Security Reader", "")
	if w := h.writes(); len(w) != 1 {
		t.Fatalf("Monday 09:00, late: writes %+v, want one", w)
	}
	h.stateIs(role, StateActive)

	var sentAt []string
	seen := 1
	for h.clk.Now().Before(t0.Add(8 * 24 * time.Hour)) {
		h.advance(30 * time.Minute)
		if w := h.writes(); len(w) > seen {
			seen = len(w)
			sentAt = append(sentAt, h.clk.Now().Format("Mon 15:04"))
		}
		if now := h.clk.Now(); now.Hour() == 8 && now.Minute() == 30 && now.Weekday() != time.Saturday && now.Weekday() != time.Sunday {
			h.settle()
			if st := EffectiveState(item(h.e.Snapshot(), role), now); st != StateActive {
				t.Errorf("%s: %s, want active", now.Format("Mon 15:04"), st)
			}
		}
	}
	want := []string{"Mon 18:00", "Tue 18:00", "Wed 18:00", "Thu 18:00", "Sun 18:00", "Mon 18:00"}
	if len(sentAt) != len(want) {
		t.Fatalf("requests sent at %v, want %v", sentAt, want)
	}
	for i := range want {
		if sentAt[i] != want[i] {
			t.Fatalf("requests sent at %v, want %v", sentAt, want)
		}
	}
}

// The day's request went (Monday 09:00, late); the user ended the role at 09:06 and pimtray
// restarts at 09:10, while Monday's window (08:30 + 1h) is still open: no second request for
// Monday (the day is kept in the state file). The next is Monday 18:00's, for Tuesday.
func TestStartMyDayRestartSendsNoDuplicate(t *testing.T) {
	t.Parallel() // its own fake Azure (or fake API), clock, engine and files
	reader := demoFav(pim.PlaneEntra, fakeazure.RoleSecurityReader, "/", func(f *store.Favourite) {
		f.Duration = store.Duration(time.Hour)
		f.Schedule = &store.Schedule{Days: "Mon-Fri", At: "08:30"}
	})
	first := newAzureHarness(t, fakeazure.Options{}, reader)
	state := filepath.Join(t.TempDir(), "state.json")
	h := newAzureHarnessOn(t, first.fake, first.clk, state, reader)
	h.start()
	h.settle()
	activations := func(h *azureHarness) int {
		n := 0
		for _, w := range h.writes() {
			if bodyHas(w, "selfactivate") {
				n++
			}
		}
		return n
	}
	if n := activations(h); n != 1 {
		t.Fatalf("%d activations, want Monday's", n)
	}
	h.advance(6 * time.Minute)
	if _, err := h.e.DeactivateNow(context.Background(), h.role("Security Reader", "").Key()); err != nil {
		t.Fatal(err)
	}
	h.advance(4 * time.Minute)
	h.stop()

	again := newAzureHarnessOn(t, first.fake, first.clk, state, reader)
	again.start()
	again.settle()
	again.advance(10 * time.Minute)
	if n := activations(again); n != 1 {
		t.Fatalf("after a restart: %d activations, want still Monday's alone", n)
	}
	again.advance(9 * time.Hour) // past 18:00
	if n := activations(again); n != 2 {
		t.Fatalf("Monday evening: %d activations, want Tuesday's too", n)
	}
}

// "Start my day" from the menu: ticking asks the time (pre-filled 08:30) and writes the
// schedule into config.json as an edit (a hand comment kept); unticking turns it off and
// keeps the days and time.
func TestToggleDailyWritesTheConfiguration(t *testing.T) {
	t.Parallel() // its own fake Azure (or fake API), clock, engine and files
	path := filepath.Join(t.TempDir(), "config.json")
	file := `{
  // mine
  "favourites": [
    {"key": "` + roleGA.Key() + `", "tenant": "` + roleGA.TenantID + `", "plane": "entra", "role": "Global Administrator",
     "roleId": "` + roleGA.RoleID + `", "scope": "/", "justification": "daily"},
  ],
}
`
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, withConfigFile(t, path)).start()
	h.prompt.mu.Lock()
	h.prompt.answers = []string{"7:45"}
	h.prompt.mu.Unlock()
	h.e.ToggleDaily(roleGA.Key())
	h.waitFor("on", func(s Snapshot) bool { return len(s.Favourites) == 1 && s.Favourites[0].DailyOn })
	h.settle()
	if q := h.prompt.questions(); len(q) != 1 || q[0].Field != FieldDailyTime || q[0].Default != "08:30" {
		t.Fatalf("asked %+v", q)
	}
	if it := h.e.Snapshot().Favourites[0]; it.Daily != "Mon-Fri 07:45" {
		t.Errorf("daily %q", it.Daily)
	}
	c, err := store.LoadConfig(path)
	if err != nil || c.Favourites[0].Schedule == nil || *c.Favourites[0].Schedule != (store.Schedule{Days: "Mon-Fri", At: "07:45"}) {
		t.Fatalf("saved %+v %v", c.Favourites, err)
	}
	if data, _ := os.ReadFile(path); !strings.Contains(string(data), "// mine") {
		t.Errorf("the hand comment is gone:\n%s", data)
	}

	h.e.ToggleDaily(roleGA.Key())
	h.waitFor("off", func(s Snapshot) bool { return !s.Favourites[0].DailyOn })
	h.settle()
	c, _ = store.LoadConfig(path)
	if sc := c.Favourites[0].Schedule; sc == nil || !sc.Off || sc.At != "07:45" {
		t.Fatalf("after unticking: %+v", sc)
	}
}

// The machine sleeps from Monday 17:00 through Tuesday's 18:00-the-evening-before and its
// 08:30 start, and wakes at 09:15: Tuesday's request goes at once, starting at once (one
// request), and the role is active.
func TestStartMyDayAfterASleepOverTheStart(t *testing.T) {
	t.Parallel() // its own fake Azure (or fake API), clock, engine and files
	reader := demoFav(pim.PlaneEntra, fakeazure.RoleSecurityReader, "/", func(f *store.Favourite) {
		f.Duration = store.Duration(time.Hour)
		f.Schedule = &store.Schedule{Days: "Tue", At: "08:30"}
	})
	h := newAzureHarness(t, fakeazure.Options{}, reader)
	h.start()
	h.advance(8 * time.Hour) // Monday 17:00
	if w := h.writes(); len(w) != 0 {
		t.Fatalf("Monday: writes %+v", w)
	}
	wake := time.Date(2025, 3, 11, 9, 15, 0, 0, time.UTC)
	h.clk.Set(wake) // asleep: no timer ran in between
	h.advance(dailyWakeCheck)
	h.settle()
	w := h.writes()
	if len(w) != 1 || !bodyHas(w[0], `"startDateTime":"2025-03-11T09:1`) {
		t.Fatalf("after the wake: writes %+v, want one starting at once", w)
	}
	if st := EffectiveState(item(h.e.Snapshot(), h.role("Security Reader", "")), h.clk.Now()); st != StateActive {
		t.Fatalf("after the wake: %s", st)
	}
}

// Start my day with keep-alive: Tuesday's daily activation (08:30, 1h) is carried on by
// keep-alive until 10:00, as any activation of a kept-alive favourite is: the role stays
// active through 10:00; the daily schedule sends nothing more that day.
func TestStartMyDayWithKeepAlive(t *testing.T) {
	t.Parallel() // its own fake Azure (or fake API), clock, engine and files
	reader := demoFav(pim.PlaneEntra, fakeazure.RoleSecurityReader, "/", func(f *store.Favourite) {
		f.Duration = store.Duration(time.Hour)
		f.KeepActiveUntil = "10:00"
		f.Schedule = &store.Schedule{Days: "Tue", At: "08:30"}
	})
	h := newAzureHarness(t, fakeazure.Options{AcceptScheduledExtension: true}, reader)
	h.start()
	role := h.role("Security Reader", "")
	h.advance(23*time.Hour + 30*time.Minute) // Tuesday 08:30
	if w := h.writes(); len(w) != 1 {
		t.Fatalf("by Tuesday 08:30: writes %+v, want the evening's one", w)
	}
	for _, step := range []time.Duration{20 * time.Minute, 20 * time.Minute, 20 * time.Minute, 20 * time.Minute} {
		h.advance(step)
		h.settle()
		if now := h.clk.Now(); now.Hour() < 10 {
			if st := EffectiveState(item(h.e.Snapshot(), role), now); st != StateActive {
				t.Fatalf("%s: %s, want active (kept alive)", now.Format("15:04"), st)
			}
		}
	}
	if w := h.writes(); len(w) < 2 {
		t.Fatalf("writes %+v, want keep-alive's re-activation after the daily one", w)
	}
}
