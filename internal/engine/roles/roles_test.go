package roles

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/pimtray/pimtray/internal/engine/reminders"
	"github.com/pimtray/pimtray/pim"
)

var (
	t0    = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	owner = pim.Role{Plane: pim.PlaneAzure, TenantID: "t1", RoleID: "/r/owner", RoleName: "Owner", Scope: "/s/it", ScopeName: "IT"}
	ga    = pim.Role{Plane: pim.PlaneEntra, TenantID: "t1", RoleID: "ga", RoleName: "Global Administrator", Scope: "/"}
	key   = owner.Key()
)

func at(d time.Duration) time.Time { return t0.Add(d) }

func active(r pim.Role, from, to time.Duration) pim.Activation {
	a := pim.Activation{Role: r, Status: pim.StatusActive, StartsAt: at(from), RequestID: "act-" + from.String()}
	if to != 0 {
		a.ExpiresAt = at(to)
	}
	return a
}

func scheduled(r pim.Role, from, to time.Duration) pim.Activation {
	a := active(r, from, to)
	a.Status, a.RequestID = pim.StatusScheduled, "sched-"+from.String()
	return a
}

func pending(r pim.Role, id string) pim.Activation {
	return pim.Activation{Role: r, Status: pim.StatusPending, RequestID: id, StartsAt: t0}
}

// listing is the tenant's listing read at read (zero: never read).
func listing(read time.Duration, acts ...pim.Activation) Listing {
	l := Listing{Fetched: map[pim.Plane]time.Time{}}
	if read >= 0 {
		l.Fetched[pim.PlaneAzure], l.Fetched[pim.PlaneEntra] = at(read), at(read)
	}
	for _, a := range acts {
		if a.Status == pim.StatusActive {
			l.Active = append(l.Active, a)
		} else {
			l.Pending = append(l.Pending, a)
		}
	}
	return l
}

const never = -1

// Which activation is current: the listing's, or what the engine just did while the listings
// lag its own writes; chains of activations joined end to start; deactivations hiding a
// lagging listing.
func TestCurrent(t *testing.T) {
	h := time.Hour
	cases := []struct {
		name     string
		book     func(b *Book)
		l        Listing
		now      time.Duration
		want     bool
		wantEnd  time.Duration // the end of the current stretch (0: permanent)
		upcoming bool          // a start ahead is known
	}{
		{"the listing alone", nil, listing(0, active(owner, -h, 7*h)), 0, true, 7 * h, false},
		{"our activation while the listing lags it", func(b *Book) {
			b.Activated(key, listing(never), t0, active(owner, 0, 8*h), false)
		}, listing(never), time.Minute, true, 8 * h, false},
		{"ours, after the window but no listing read since", func(b *Book) {
			b.Activated(key, listing(never), t0, active(owner, 0, 8*h), false)
		}, listing(time.Minute), 10 * time.Minute, true, 8 * h, false},
		{"ours, contradicted by a listing read after the window", func(b *Book) {
			b.Activated(key, listing(never), t0, active(owner, 0, 8*h), false)
		}, listing(RecentWindow + time.Second), 10 * time.Minute, false, 0, false},
		{"a deactivation hides the lagging listing", func(b *Book) {
			b.Deactivated(key, at(time.Minute))
		}, listing(0, active(owner, -h, 7*h)), 2 * time.Minute, false, 0, false},
		{"but not an activation made elsewhere after it", func(b *Book) {
			b.Deactivated(key, at(time.Minute))
		}, listing(3*time.Minute, active(owner, 2*time.Minute, 6*h)), 3 * time.Minute, true, 6 * h, false},
		{"an 'already active' of unknown end yields to the listed one", func(b *Book) {
			b.Activated(key, listing(never), t0, pim.Activation{Role: owner, Status: pim.StatusActive, StartsAt: t0}, true)
		}, listing(0, active(owner, -h, 3*h)), time.Minute, true, 3 * h, false},
		{"a re-activation chained at the end extends it", func(b *Book) {
			b.Activated(key, listing(0, active(owner, -h, 7*h)), t0, scheduled(owner, 7*h, 15*h), false)
		}, listing(0, active(owner, -h, 7*h)), time.Minute, true, 15 * h, true},
		{"the chain holds after the window, until its start", func(b *Book) {
			b.Activated(key, listing(0, active(owner, -h, 7*h)), t0, scheduled(owner, 7*h, 15*h), false)
		}, listing(2*h, active(owner, -h, 7*h)), 3 * h, true, 15 * h, true},
		{"one starting within ChainSlack of the end is joined", nil,
			listing(0, active(owner, -h, 7*h), scheduled(owner, 7*h+ChainSlack, 15*h)), time.Minute, true, 15 * h, true},
		{"a second stretch starting more than ChainSlack later is not joined", nil,
			listing(0, active(owner, -h, 7*h), scheduled(owner, 7*h+ChainSlack+time.Second, 15*h)), time.Minute, true, 7 * h, true},
		{"a permanent one in the chain makes it permanent", nil,
			listing(0, active(owner, -h, 7*h), active(owner, 7*h, 0)), 2 * h, true, 0, false},
		{"a scheduled open request is current once started", nil,
			listing(0, scheduled(owner, h, 9*h)), 2 * h, true, 9 * h, false},
		{"and upcoming before", nil, listing(0, scheduled(owner, h, 9*h)), 0, false, 0, true},
		{"an ended one is not current", nil, listing(0, active(owner, -2*h, -h)), 0, false, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var b Book
			if c.book != nil {
				c.book(&b)
			}
			cur, ok := b.Current(key, c.l, at(c.now))
			if ok != c.want {
				t.Fatalf("current = %v (%+v), want %v", ok, cur, c.want)
			}
			if ok {
				want := time.Time{}
				if c.wantEnd != 0 {
					want = at(c.wantEnd)
				}
				if !cur.ExpiresAt.Equal(want) {
					t.Errorf("ends %v, want %v", cur.ExpiresAt, want)
				}
			}
			if _, up := b.Upcoming(key, c.l, at(c.now)); up != c.upcoming {
				t.Errorf("upcoming = %v, want %v", up, c.upcoming)
			}
		})
	}
}

// What an activation, a request, a deactivation, a withdrawal and a listing change in a record.
func TestWhatAnActionChanges(t *testing.T) {
	h := time.Hour
	req := pending(owner, "req-1")
	prob := &Problem{Text: "Azure said no."}
	full := func() Record {
		return Record{Problem: prob, Awaiting: &Await{Act: req, SentAt: t0}, Scheduled: &Scheduled{At: at(7 * h), Reason: "reactivate"},
			Tracked: &reminders.Activation{Key: key, EndsAt: at(7 * h)}, Policy: &Policy{Known: true, FetchedAt: t0},
			Answers: Answers{Justification: "deploy"}, DailySent: "2026-12-01"}
	}
	cases := []struct {
		name string
		do   func(b *Book)
		want func(r Record) Record // from the record before
	}{
		{"activated: trusted, nothing awaited, no problem, used now", func(b *Book) {
			b.Activated(key, listing(never), at(time.Minute), active(owner, time.Minute, 8*h), false)
		}, func(r Record) Record {
			rec := RecentOf(at(time.Minute), active(owner, time.Minute, 8*h))
			r.Recent, r.Awaiting, r.Problem, r.LastUsed = &rec, nil, nil, at(time.Minute)
			return r
		}},
		{"a request for approval is awaited", func(b *Book) {
			b.Activated(key, listing(never), at(time.Minute), pending(owner, "req-2"), false)
		}, func(r Record) Record {
			rec := RecentOf(at(time.Minute), pending(owner, "req-2"))
			r.Recent, r.Problem, r.LastUsed = &rec, nil, at(time.Minute)
			r.Awaiting = &Await{Act: pending(owner, "req-2"), SentAt: at(time.Minute)}
			return r
		}},
		{"already active: trusted, the awaited request stays", func(b *Book) {
			b.Activated(key, listing(never), at(time.Minute), active(owner, 0, 0), true)
		}, func(r Record) Record {
			rec := RecentOf(at(time.Minute), active(owner, 0, 0))
			r.Recent, r.Problem, r.LastUsed = &rec, nil, at(time.Minute)
			return r
		}},
		{"a start at the end keeps the running one, trusted until after the start", func(b *Book) {
			b.Activated(key, listing(0, active(owner, -h, 7*h)), at(time.Minute), scheduled(owner, 7*h, 15*h), false)
		}, func(r Record) Record {
			rec := Recent{Acts: []pim.Activation{active(owner, -h, 7*h), scheduled(owner, 7*h, 15*h)}, At: at(time.Minute), Until: at(7*h + RecentWindow)}
			r.Recent, r.Awaiting, r.Problem, r.LastUsed = &rec, nil, nil, at(time.Minute)
			return r
		}},
		{"deactivated: nothing awaited, planned or tracked; the rest kept", func(b *Book) {
			b.Deactivated(key, at(time.Minute))
		}, func(r Record) Record {
			d := DeactivatedAt(at(time.Minute))
			r.Recent, r.Awaiting, r.Scheduled, r.Tracked = &d, nil, nil, nil
			return r
		}},
		{"restarting: only the deactivation", func(b *Book) { b.Restarting(key, at(time.Minute)) }, func(r Record) Record {
			d := DeactivatedAt(at(time.Minute))
			r.Recent = &d
			return r
		}},
		{"withdrawn: the request is not awaited", func(b *Book) { b.Withdrawn(key, "req-1") }, func(r Record) Record {
			r.Awaiting = nil
			return r
		}},
		{"withdrawing another request keeps this one", func(b *Book) { b.Withdrawn(key, "req-9") }, func(r Record) Record { return r }},
		{"listed active drops a problem", func(b *Book) { b.ListedActive(key) }, func(r Record) Record {
			r.Problem = nil
			return r
		}},
		{"a failure does not replace the first problem", func(b *Book) { b.Failed(key, Problem{Text: "later"}, false) }, func(r Record) Record { return r }},
		{"unless told to", func(b *Book) { b.Failed(key, Problem{Text: "later", SignIn: true}, true) }, func(r Record) Record {
			r.Problem = &Problem{Text: "later", SignIn: true}
			return r
		}},
		{"nothing sent yet: only used", func(b *Book) { b.Used(key, at(h)) }, func(r Record) Record {
			r.LastUsed = at(h)
			return r
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var b Book
			before := full()
			b.m = map[string]*Record{key: new(Record)}
			*b.m[key] = before
			c.do(&b)
			if got, want := b.Of(key), c.want(full()); !reflect.DeepEqual(got, want) {
				t.Errorf("\ngot  %s\nwant %s", show(got), show(want))
			}
		})
	}

	t.Run("a problem while running stays when listed active", func(t *testing.T) {
		var b Book
		b.Failed(key, Problem{Text: "re-activation refused", WhileActive: true}, false)
		b.ListedActive(key)
		if b.Of(key).Problem == nil {
			t.Error("dropped")
		}
	})
	t.Run("withdrawing the only recent request forgets it, a deactivation stays", func(t *testing.T) {
		var b Book
		b.Activated(key, listing(never), t0, scheduled(owner, 14*h, 22*h), false)
		b.Withdrawn(key, "sched-14h0m0s")
		if b.Of(key).Recent != nil {
			t.Errorf("recent kept: %+v", b.Of(key).Recent)
		}
		b.Deactivated(key, t0)
		b.Withdrawn(key, "x")
		if r := b.Of(key).Recent; r == nil || !r.Deactivated {
			t.Errorf("deactivation lost: %+v", r)
		}
	})
}

func show(r Record) string {
	s := fmt.Sprintf("inflight=%q lastUsed=%v", r.InFlight, r.LastUsed)
	for name, p := range map[string]any{"recent": r.Recent, "problem": r.Problem, "awaiting": r.Awaiting,
		"scheduled": r.Scheduled, "tracked": r.Tracked, "policy": r.Policy} {
		if v := reflect.ValueOf(p); !v.IsNil() {
			s += fmt.Sprintf(" %s=%+v", name, v.Elem().Interface())
		}
	}
	return s
}

// How a request waiting for approval resolves, look by look at fresh listings: approved when
// listed active (or scheduled), denied only when gone and not active for DenyGrace, a fresh
// request given RecentWindow to show.
func TestResolve(t *testing.T) {
	h := time.Hour
	req := pending(owner, "req-1")
	covers := func(pim.Role) bool { return true }
	type look struct {
		at   time.Duration
		l    Listing
		want []EventKind
	}
	cases := []struct {
		name  string
		sent  bool // sent from here at t0 (else only listed)
		looks []look
		left  bool // still awaited after the looks
	}{
		{"approved: listed active", true, []look{
			{time.Minute, listing(time.Minute, req), nil},
			{2 * time.Minute, listing(2*time.Minute, active(owner, 2*time.Minute, 8*h)), []EventKind{Approved}},
		}, false},
		{"approved for a later start: listed scheduled", true, []look{
			{time.Minute, listing(time.Minute, scheduled(owner, 24*h, 32*h)), []EventKind{ApprovedLater}},
		}, false},
		{"denied: gone, not active, for DenyGrace", true, []look{
			{time.Minute, listing(time.Minute, req), nil},
			{2 * time.Minute, listing(2 * time.Minute), nil}, // gone: the clock starts
			{2*time.Minute + DenyGrace - time.Second, listing(2*time.Minute + DenyGrace - time.Second), nil},
			{2*time.Minute + DenyGrace, listing(2*time.Minute + DenyGrace), []EventKind{Denied}},
		}, false},
		{"an approval the active listing lagged is no denial", true, []look{
			{time.Minute, listing(time.Minute, req), nil},
			{2 * time.Minute, listing(2 * time.Minute), nil},
			{2*time.Minute + DenyGrace, listing(2*time.Minute+DenyGrace, active(owner, 2*time.Minute, 8*h)), []EventKind{Approved}},
		}, false},
		{"back among the open requests: the clock starts again", true, []look{
			{time.Minute, listing(time.Minute, req), nil},
			{2 * time.Minute, listing(2 * time.Minute), nil},
			{2*time.Minute + 30*time.Second, listing(2*time.Minute+30*time.Second, req), nil},
			{2*time.Minute + DenyGrace, listing(2*time.Minute + DenyGrace), nil},
			{2*time.Minute + 2*DenyGrace - time.Second, listing(2*time.Minute + 2*DenyGrace - time.Second), nil},
		}, true},
		{"a fresh request not listed yet is given RecentWindow", true, []look{
			{time.Minute, listing(time.Minute), nil},
			{RecentWindow, listing(RecentWindow), nil},
			{RecentWindow + DenyGrace, listing(RecentWindow + DenyGrace), nil}, // only now gone
			{RecentWindow + 2*DenyGrace, listing(RecentWindow + 2*DenyGrace), []EventKind{Denied}},
		}, false},
		{"a request made elsewhere is awaited, its approval told", false, []look{
			{time.Minute, listing(time.Minute, req), nil},
			{2 * time.Minute, listing(2*time.Minute, active(owner, time.Minute, 8*h)), []EventKind{Approved}},
		}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var b Book
			if c.sent {
				b.Activated(key, listing(never), t0, req, false)
			}
			for i, lk := range c.looks {
				var got []EventKind
				for _, ev := range b.Resolve(lk.l, covers, at(lk.at)) {
					if ev.Key != key || ev.Role.Key() != key {
						t.Errorf("look %d: event for %q", i, ev.Key)
					}
					got = append(got, ev.Kind)
				}
				if !reflect.DeepEqual(got, lk.want) {
					t.Fatalf("look %d at +%v: events %v, want %v", i, lk.at, got, lk.want)
				}
			}
			if got := b.Awaiting(); got != c.left {
				t.Errorf("awaiting after = %v, want %v", got, c.left)
			}
		})
	}

	t.Run("a listing of other planes decides nothing", func(t *testing.T) {
		var b Book
		b.Activated(key, listing(never), t0, req, false)
		for _, d := range []time.Duration{time.Minute, time.Hour, 2 * time.Hour} {
			if evs := b.Resolve(listing(d), func(r pim.Role) bool { return r.Plane != pim.PlaneAzure }, at(d)); len(evs) != 0 {
				t.Fatalf("events %+v", evs)
			}
		}
		if !b.Awaiting() {
			t.Fatal("no longer awaited")
		}
	})
	t.Run("approved: the request's own answer goes, the activation is trusted", func(t *testing.T) {
		var b Book
		b.Activated(key, listing(never), t0, req, false)
		b.Resolve(listing(time.Minute, active(owner, time.Minute, 8*h)), covers, at(time.Minute))
		if _, ok := b.Pending(key, listing(time.Minute), at(time.Minute)); ok {
			t.Error("still pending")
		}
		if _, ok := b.Current(key, listing(never), at(2*time.Minute)); !ok {
			t.Error("the approved activation is not trusted while the listing lags")
		}
	})
}

// Activations the engine sends itself: taken once when due, held while the role is busy,
// retried a few times.
func TestScheduledTries(t *testing.T) {
	var b Book
	b.Schedule(key, Scheduled{At: at(time.Hour), Reason: "reactivate"})
	if due, next := b.Due(t0); len(due) != 0 || !next.Equal(at(time.Hour)) {
		t.Fatalf("before: due %v next %v", due, next)
	}
	b.SetInFlight(key, "activating")
	if due, next := b.Due(at(time.Hour)); len(due) != 0 || !next.Equal(at(time.Hour+time.Second)) {
		t.Fatalf("busy: due %v next %v, want a look a second later", due, next)
	}
	b.Done(key)
	due, next := b.Due(at(time.Hour + time.Second))
	if s, ok := due[key]; !ok || s.Reason != "reactivate" || !next.IsZero() {
		t.Fatalf("due %v next %v", due, next)
	}
	if due, _ := b.Due(at(2 * time.Hour)); len(due) != 0 || b.Planned(key) {
		t.Fatal("taken twice")
	}
	s := due[key]
	tries := 1
	for now := at(time.Hour); b.Retry(key, now, s); tries++ {
		got := b.Of(key).Scheduled
		if got == nil || !got.At.Equal(now.Add(RetryAfterExists)) || got.Tries != s.Tries+1 || got.Reason != s.Reason {
			t.Fatalf("retry %d planned %+v", tries, got)
		}
		s = *got
		now = now.Add(RetryAfterExists)
		b.Unschedule(key)
	}
	if tries != MaxScheduledTries {
		t.Errorf("%d tries, want %d", tries, MaxScheduledTries)
	}
}

// What is pruned when: recent actions once a listing after their window caught up (an
// unknown role's at their Until), tracked stretches an hour after their end (at once when
// gone before it), records with nothing left.
func TestPruning(t *testing.T) {
	h := time.Hour
	t.Run("recent actions", func(t *testing.T) {
		cases := []struct {
			name  string
			now   time.Duration
			l     Listing
			known bool
			kept  bool
		}{
			{"in the window", time.Minute, listing(time.Minute), true, true},
			{"after it, no listing since", 10 * time.Minute, listing(time.Minute), true, true},
			{"after it, a listing read after the window", 10 * time.Minute, listing(RecentWindow), true, false},
			{"an unknown role's, before Until", time.Minute, Listing{}, false, true},
			{"an unknown role's, at Until", RecentWindow, Listing{}, false, false},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				var b Book
				b.Activated(key, listing(never), t0, active(owner, 0, 8*h), false)
				b.PruneRecent(at(c.now), func(string) (Listing, bool) { return c.l, c.known })
				if kept := b.Of(key).Recent != nil; kept != c.kept {
					t.Errorf("kept = %v, want %v", kept, c.kept)
				}
			})
		}
	})
	t.Run("reminders' stretches", func(t *testing.T) {
		run := reminders.Activation{Key: key, StartedAt: t0, EndsAt: at(h)}
		other := reminders.Activation{Key: ga.Key(), StartedAt: t0, EndsAt: at(8 * h)}
		var b Book
		if got := b.ForReminders(t0, []reminders.Activation{run, other}); len(got) != 2 {
			t.Fatalf("running: %+v", got)
		}
		if !b.Counting(t0) {
			t.Error("not counting while running")
		}
		// Ended: passed on for "has ended" for EndedKeep; gone before its end: forgotten.
		if got := b.ForReminders(at(h+EndedKeep), nil); len(got) != 1 || got[0] != run {
			t.Fatalf("just ended: %+v", got)
		}
		if b.Of(ga.Key()).Tracked != nil {
			t.Error("a stretch gone before its end is still tracked")
		}
		if got := b.ForReminders(at(h+EndedKeep+time.Second), nil); len(got) != 0 || b.Len() != 0 {
			t.Fatalf("an hour after: %+v, %d records", got, b.Len())
		}
		// A re-activation planned at the end: no reminder.
		b.Schedule(key, Scheduled{At: at(h)})
		if got := b.ForReminders(t0, []reminders.Activation{run}); len(got) != 0 {
			t.Fatalf("planned: %+v", got)
		}
	})
	t.Run("empty records", func(t *testing.T) {
		var b Book
		b.SetInFlight(key, "activating")
		b.Failed(key, Problem{Text: "x"}, false)
		b.Done(key)
		b.ClearProblem(key)
		if b.Len() != 0 {
			t.Errorf("%d records left: %+v", b.Len(), b.Of(key))
		}
	})
}

// In flight: one operation at a time; when each was first seen, for "still waiting".
func TestInFlight(t *testing.T) {
	var b Book
	if !b.Begin(key, "activating") || b.Begin(key, "deactivating") {
		t.Fatal("a second operation began")
	}
	if op, _ := b.InFlight(key); op != "activating" {
		t.Fatalf("in flight %q", op)
	}
	if next := b.SlowAnswers(t0, "activating", 5*time.Second); !next.Equal(at(5 * time.Second)) {
		t.Fatalf("slow at %v", next)
	}
	if next := b.SlowAnswers(at(3*time.Second), "activating", 5*time.Second); !next.Equal(at(5 * time.Second)) {
		t.Fatalf("first seen moved: slow at %v", next)
	}
	if next := b.SlowAnswers(at(5*time.Second), "activating", 5*time.Second); !next.IsZero() {
		t.Fatalf("slow already, next %v", next)
	}
	b.Done(key)
	if _, busy := b.InFlight(key); busy || !b.Of(key).InFlightSince.IsZero() {
		t.Fatal("still in flight")
	}
}

// The state file's maps come back as they went.
func TestSaveLoad(t *testing.T) {
	var b Book
	b.Activated(key, listing(never), t0, pending(owner, "r"), false)
	b.Schedule(key, Scheduled{At: at(time.Hour), Tries: 2, Reason: "keep-alive"})
	b.KeepAliveDone(key, at(time.Hour))
	b.SetDailySent(key, "2026-12-01")
	b.SetPolicy(ga.Key(), Policy{Known: true, FetchedAt: t0})
	b.SetAnswers(ga.Key(), Answers{TicketNumber: "42"})
	b.SetInFlight(ga.Key(), "activating") // this run's: not saved
	s := b.Save()
	var c Book
	c.Load(s)
	if got := c.Save(); !reflect.DeepEqual(got, s) {
		t.Fatalf("loaded %+v\nsaved %+v", got, s)
	}
	if _, busy := c.InFlight(ga.Key()); busy {
		t.Error("an operation in flight came back")
	}
	c.Merge(map[string]Policy{ga.Key(): {FetchedAt: t0.Add(-time.Hour)}}, map[string]Recent{key: RecentOf(t0.Add(time.Minute))})
	if p, _ := c.Policy(ga.Key()); !p.Known {
		t.Error("an older policy replaced a fresher one")
	}
	if r := c.Of(key).Recent; r == nil || !r.At.Equal(t0.Add(time.Minute)) {
		t.Errorf("the later recent action did not win: %+v", r)
	}
}
