// Package roles keeps what pimtray knows of each role beyond Azure's listings, one record per
// role, and the decisions over it:
//
//   - which activation is current while the listings lag our own writes (an activation's own
//     answer, a deactivation, a re-activation chained at the end are trusted over the listings
//     for RecentWindow, and after it until a listing read after the window confirms them);
//   - what an activation, a request for approval, a deactivation or a withdrawal changes;
//   - how a request waiting for approval resolves into approved (it is listed active, or
//     scheduled) or denied (gone from the open requests and not active for DenyGrace);
//   - what is pruned when (recent actions the listings caught up with, ended activations an
//     hour after their end, records with nothing left in them).
//
// It is pure, in the spirit of engine/reminders: no lock, no I/O, no clock of its own (every
// time is passed in). The engine holds one Book under its lock and does the calls to Azure, the
// notices and their words.
package roles

import (
	"strings"
	"time"

	"github.com/pimtray/pimtray/internal/engine/reminders"
	"github.com/pimtray/pimtray/pim"
)

// Tunables of the decisions, with their reasons.
const (
	// RecentWindow is how long what the engine just did to a role (an activation's own status
	// and end time, a deactivation) is trusted over the listings, which lag writes by minutes.
	RecentWindow = 5 * time.Minute
	// ChainSlack joins two activations of one role into one stretch of access when the second
	// starts at most this long after the first ends (a re-activation scheduled at the end).
	ChainSlack = 2 * time.Minute
	// DenyGrace: a request gone from the open requests but not (yet) active is called denied
	// only after this long, as the active listing may lag an approval.
	DenyGrace = time.Minute
	// EndedKeep: an ended activation is still passed to the reminder scheduler this long, for "has ended".
	EndedKeep = time.Hour
	// RetryAfterExists: a re-activation refused with RoleAssignmentExists right after the old
	// one ended or was deactivated (the service lags) is tried again after this long, a few times.
	RetryAfterExists  = 30 * time.Second
	MaxScheduledTries = 5
)

// Op is an operation in flight on a role (the engine's item state: "activating", "deactivating").
type Op string

// Problem is why a role's last action failed; SignIn when a click with a sign-in fixes it.
type Problem struct {
	Text   string
	SignIn bool
	// WhileActive: the role was running when the action failed (a re-activation), so finding it
	// active later says nothing about the failure. Otherwise a listing that shows the role active
	// drops the problem: the activation happened after all (its answer was lost) or elsewhere.
	WhileActive bool
}

// Policy is a role's activation policy as last read.
type Policy struct {
	Policy    pim.Policy `json:"policy"`
	Known     bool       `json:"known"`
	FetchedAt time.Time  `json:"fetchedAt"`
}

// Recent is what the engine just did to a role, trusted over the listings until Until.
type Recent struct {
	// Acts are the activations (or the open request) it knows of: usually one; two when a
	// re-activation was scheduled to start at the end of the running one.
	Acts        []pim.Activation `json:"acts,omitempty"`
	Deactivated bool             `json:"deactivated,omitempty"`
	At          time.Time        `json:"at"`
	Until       time.Time        `json:"until"`
}

// Pending is the open request it knows of.
func (r Recent) Pending() (pim.Activation, bool) {
	for _, a := range r.Acts {
		if a.Status == pim.StatusPending {
			return a, true
		}
	}
	return pim.Activation{}, false
}

// RecentOf is what an answer of Azure at now says, trusted for RecentWindow.
func RecentOf(now time.Time, acts ...pim.Activation) Recent {
	return Recent{Acts: acts, At: now, Until: now.Add(RecentWindow)}
}

// DeactivatedAt is a deactivation made at now, trusted for RecentWindow.
func DeactivatedAt(now time.Time) Recent {
	return Recent{Deactivated: true, At: now, Until: now.Add(RecentWindow)}
}

// Await is a request waiting for approval, to tell approved from denied.
type Await struct {
	Act    pim.Activation `json:"act"`
	SentAt time.Time      `json:"sentAt"`
	Seen   bool           `json:"seen"` // seen among the open requests at least once
	// GoneAt is when it was first missing from both the open requests and the active roles.
	GoneAt time.Time `json:"goneAt,omitzero"`
}

// Scheduled is an activation the engine sends itself at At (a re-activation when the current
// one ends, or a retry).
type Scheduled struct {
	At     time.Time `json:"at"`
	Tries  int       `json:"tries"`
	Reason string    `json:"reason"` // "reactivate", "keep-alive"
}

// Answers are what an activation carried besides its role and duration: the justification
// and the ticket.
type Answers struct {
	Justification string `json:"justification,omitempty"`
	TicketNumber  string `json:"ticketNumber,omitempty"`
	TicketSystem  string `json:"ticketSystem,omitempty"`
}

// Empty reports whether the answers carry nothing.
func (a Answers) Empty() bool {
	return a.Justification == "" && a.TicketNumber == "" && a.TicketSystem == ""
}

// Record is everything the engine knows of one role (by key) beyond the listings. The zero
// Record knows nothing; a Book forgets records that come back to zero.
type Record struct {
	// InFlight is the operation on its way (""; none); InFlightSince when the engine's loop
	// first saw it (for "still waiting for Azure").
	InFlight      Op
	InFlightSince time.Time
	Recent        *Recent
	Problem       *Problem
	Awaiting      *Await
	Scheduled     *Scheduled
	// Tracked is the stretch of access the reminders follow (kept EndedKeep past its end).
	Tracked *reminders.Activation
	// KeptAlive is the end a keep-alive already handled (zero: none).
	KeptAlive time.Time
	// LastUsed is when the role was last activated from here.
	LastUsed time.Time
	// DailySent is the last day ("2026-12-02") its daily schedule sent a request for.
	DailySent string
	Policy    *Policy
	// PolicyTried is when the background last tried to read the policy (roles not favourites).
	PolicyTried time.Time
	// Answers are the justification and ticket last sent, for re-activations.
	Answers Answers
}

func (r *Record) empty() bool { return *r == Record{} }

// Listing is what Azure's listings show of the tenant a role is in, as last read: its
// activations in force, its open requests (pending or scheduled), and when each plane was read.
type Listing struct {
	Active, Pending []pim.Activation
	Fetched         map[pim.Plane]time.Time
}

// PlaneOf is the plane a role key names ("azure|tenant|role|scope").
func PlaneOf(key string) pim.Plane {
	p, _, _ := strings.Cut(key, "|")
	return pim.Plane(p)
}

// Book holds one Record per role key. The zero Book is ready to use. Not safe for concurrent
// use: the engine holds it under its lock.
type Book struct {
	m map[string]*Record
}

// Of is key's record (a copy; the zero Record when none).
func (b *Book) Of(key string) Record {
	if r := b.m[key]; r != nil {
		return *r
	}
	return Record{}
}

// edit changes key's record, forgetting it when nothing is left in it.
func (b *Book) edit(key string, f func(r *Record)) {
	r := b.m[key]
	if r == nil {
		r = &Record{}
	}
	f(r)
	if r.empty() {
		delete(b.m, key)
		return
	}
	if b.m == nil {
		b.m = map[string]*Record{}
	}
	b.m[key] = r
}

// Len is how many roles have a record.
func (b *Book) Len() int { return len(b.m) }

// ---- operations in flight ----

// InFlight is the operation on its way for key, if any.
func (b *Book) InFlight(key string) (Op, bool) {
	op := b.Of(key).InFlight
	return op, op != ""
}

// Begin puts key in flight as op (an operation that starts) and reports false, changing
// nothing, when something is in flight for it already.
func (b *Book) Begin(key string, op Op) bool {
	if _, busy := b.InFlight(key); busy {
		return false
	}
	b.SetInFlight(key, op)
	return true
}

// SetInFlight puts key in flight as op, whatever was.
func (b *Book) SetInFlight(key string, op Op) {
	b.edit(key, func(r *Record) {
		if r.InFlight != op {
			r.InFlightSince = time.Time{}
		}
		r.InFlight = op
	})
}

// Done takes key out of flight.
func (b *Book) Done(key string) {
	b.edit(key, func(r *Record) { r.InFlight, r.InFlightSince = "", time.Time{} })
}

// SlowAnswers notes when each operation op in flight was first seen (now, for those not seen
// before) and returns when the next one has waited slow (zero: none).
func (b *Book) SlowAnswers(now time.Time, op Op, slow time.Duration) time.Time {
	var next time.Time
	for _, r := range b.m {
		if r.InFlight != op {
			continue
		}
		if r.InFlightSince.IsZero() {
			r.InFlightSince = now
		}
		if at := r.InFlightSince.Add(slow); at.After(now) && (next.IsZero() || at.Before(next)) {
			next = at
		}
	}
	return next
}

// ---- what is current ----

// InForce is what the engine just did to key, while it is trusted over the listings: during
// RecentWindow, and after it until a listing of the role's plane read after the window
// confirms or contradicts it.
func (b *Book) InForce(key string, l Listing, now time.Time) (Recent, bool) {
	r := b.Of(key).Recent
	if r == nil {
		return Recent{}, false
	}
	if now.Before(r.Until) || l.Fetched[PlaneOf(key)].Before(r.Until) {
		return *r, true
	}
	return *r, false
}

// Candidates are the activations known for key: the listing's, plus what the engine just did
// (trusted over the listing while in force), and the scheduled ones among the open requests.
// deactivatedAt is when a deactivation in force was made (zero: none).
func (b *Book) Candidates(key string, l Listing, now time.Time) (acts []pim.Activation, deactivatedAt time.Time) {
	r, hasRecent := b.InForce(key, l, now)
	if hasRecent && r.Deactivated {
		deactivatedAt = r.At
	}
	for _, a := range l.Active {
		if a.Role.Key() != key {
			continue
		}
		// A deactivation just made hides the lagging listing, unless the listing shows a
		// newer activation (made elsewhere afterwards).
		if !deactivatedAt.IsZero() && !a.StartsAt.After(deactivatedAt) {
			continue
		}
		acts = append(acts, a)
	}
	if hasRecent && !r.Deactivated {
		listed := len(acts) > 0
		for _, a := range r.Acts {
			// An "already active" whose end was not known yet yields to any listed activation.
			if a.Status == pim.StatusActive && !(a.ExpiresAt.IsZero() && a.AssignmentType != "Assigned" && listed) {
				acts = append(acts, a)
			}
			if a.Status == pim.StatusScheduled {
				acts = append(acts, a) // in force from its start on, with no further request
			}
		}
	}
	for _, a := range l.Pending {
		if a.Status == pim.StatusScheduled && a.Role.Key() == key && (deactivatedAt.IsZero() || a.StartsAt.After(deactivatedAt)) {
			acts = append(acts, a)
		}
	}
	return acts, deactivatedAt
}

// Current is key's running activation at now, its end extended over activations that follow
// on within ChainSlack (a re-activation scheduled at the end).
func (b *Book) Current(key string, l Listing, now time.Time) (pim.Activation, bool) {
	acts, _ := b.Candidates(key, l, now)
	var cur pim.Activation
	found := false
	for _, a := range acts {
		if a.StartsAt.After(now) || (!a.ExpiresAt.IsZero() && !a.ExpiresAt.After(now)) {
			continue
		}
		if !found || a.ExpiresAt.IsZero() || (!cur.ExpiresAt.IsZero() && a.ExpiresAt.After(cur.ExpiresAt)) {
			cur, found = a, true
		}
	}
	if !found || cur.ExpiresAt.IsZero() {
		return cur, found
	}
	for extended := true; extended; {
		extended = false
		for _, a := range acts {
			if a.StartsAt.After(cur.ExpiresAt.Add(ChainSlack)) {
				continue
			}
			if a.ExpiresAt.IsZero() {
				cur.ExpiresAt = time.Time{}
				return cur, true
			}
			if a.ExpiresAt.After(cur.ExpiresAt) {
				cur.ExpiresAt = a.ExpiresAt
				extended = true
			}
		}
	}
	return cur, true
}

// Upcoming is key's activation granted for a start still ahead, if any (the earliest): what
// the engine just scheduled, or what the listing of open requests shows.
func (b *Book) Upcoming(key string, l Listing, now time.Time) (pim.Activation, bool) {
	var out pim.Activation
	found := false
	consider := func(a pim.Activation) {
		if a.Status == pim.StatusScheduled && a.StartsAt.After(now) && (!found || a.StartsAt.Before(out.StartsAt)) {
			out, found = a, true
		}
	}
	if r, ok := b.InForce(key, l, now); ok && !r.Deactivated {
		for _, a := range r.Acts {
			consider(a)
		}
	}
	for _, a := range l.Pending {
		if a.Role.Key() == key {
			consider(a)
		}
	}
	return out, found
}

// Pending is key's open request waiting for approval, if any: the one awaited, the one just
// sent, or the listing's.
func (b *Book) Pending(key string, l Listing, now time.Time) (pim.Activation, bool) {
	if w := b.Of(key).Awaiting; w != nil {
		return w.Act, true
	}
	if r, ok := b.InForce(key, l, now); ok && !r.Deactivated {
		if a, ok := r.Pending(); ok {
			return a, true
		}
	}
	for _, a := range l.Pending {
		if a.Role.Key() == key && a.Status != pim.StatusScheduled {
			return a, true
		}
	}
	return pim.Activation{}, false
}

// End is the end of the access the engine just asked for key, when nothing runs yet (a
// start in the future): the latest end among its recent activations; zero: none.
func (b *Book) End(key string) time.Time {
	var end time.Time
	if r := b.Of(key).Recent; r != nil {
		for _, a := range r.Acts {
			if (a.Status == pim.StatusActive || a.Status == pim.StatusScheduled) && a.ExpiresAt.After(end) {
				end = a.ExpiresAt
			}
		}
	}
	return end
}

// ---- what an action changes ----

// Activated records Azure's answer to an activation of key at now: act is what it answered
// (active, scheduled for later, or pending approval); already says the role was active
// already (RoleAssignmentExists). The answer is trusted over the listing l for RecentWindow
// (a start later: until RecentWindow after that start, together with the activation running
// now, which it continues). A request for approval is awaited. The last problem goes.
func (b *Book) Activated(key string, l Listing, now time.Time, act pim.Activation, already bool) {
	r := RecentOf(now, act)
	pending := !already && act.Status == pim.StatusPending
	if !already && !pending && act.StartsAt.After(now) {
		// A start at the end of the running one: keep that one too (the listings may not
		// show it yet either), and trust both until the new one runs.
		if cur, ok := b.Current(key, l, now); ok {
			r.Acts = []pim.Activation{cur, act}
		}
		r.Until = act.StartsAt.Add(RecentWindow)
	}
	b.edit(key, func(rec *Record) {
		rec.LastUsed = now
		rec.Recent = &r
		rec.Problem = nil
		switch {
		case pending:
			rec.Awaiting = &Await{Act: act, SentAt: now}
		case !already:
			rec.Awaiting = nil
		}
	})
}

// Used records that key was activated from here at now, with nothing sent yet (a
// re-activation the engine sends itself later).
func (b *Book) Used(key string, now time.Time) {
	b.edit(key, func(r *Record) { r.LastUsed = now })
}

// Failed records why key's last action failed; running says the role was active then. A
// problem already recorded stays unless replace.
func (b *Book) Failed(key string, p Problem, replace bool) {
	b.edit(key, func(r *Record) {
		if r.Problem == nil || replace {
			r.Problem = &p
		}
	})
}

// ClearProblem forgets key's last problem (an action starts again).
func (b *Book) ClearProblem(key string) {
	b.edit(key, func(r *Record) { r.Problem = nil })
}

// ListedActive: a listing shows key active. A problem not made while it ran goes: the failed
// activation happened after all (its answer was lost), or the role was activated elsewhere.
func (b *Book) ListedActive(key string) {
	b.edit(key, func(r *Record) {
		if r.Problem != nil && !r.Problem.WhileActive {
			r.Problem = nil
		}
	})
}

// Deactivated records that the user ended key's access at now (or withdrew its request): the
// deactivation is trusted over the lagging listing; nothing is awaited, planned or reminded
// for it any more.
func (b *Book) Deactivated(key string, now time.Time) {
	d := DeactivatedAt(now)
	b.edit(key, func(r *Record) {
		r.Recent = &d
		r.Awaiting, r.Scheduled, r.Tracked = nil, nil, nil
	})
}

// Restarting records that key was deactivated at now to be activated again at once (a
// re-activation by restart): the listing's old activation is not current any more.
func (b *Book) Restarting(key string, now time.Time) {
	d := DeactivatedAt(now)
	b.edit(key, func(r *Record) { r.Recent = &d })
}

// Withdrawn records that the open request requestID of key (scheduled or waiting for
// approval) was cancelled: it is neither trusted nor awaited any more.
func (b *Book) Withdrawn(key, requestID string) {
	b.edit(key, func(r *Record) {
		if r.Recent != nil {
			n := *r.Recent
			n.Acts = nil
			for _, a := range r.Recent.Acts {
				if a.RequestID != requestID {
					n.Acts = append(n.Acts, a)
				}
			}
			if len(n.Acts) == 0 && !n.Deactivated {
				r.Recent = nil
			} else {
				r.Recent = &n
			}
		}
		if r.Awaiting != nil && r.Awaiting.Act.RequestID == requestID {
			r.Awaiting = nil
		}
	})
}

// ---- requests waiting for approval ----

// EventKind is what became of a request waiting for approval.
type EventKind int

const (
	Approved      EventKind = iota + 1 // listed active now (Act)
	ApprovedLater                      // approved for a start later (Act is the scheduled activation)
	Denied                             // gone from the open requests and not active for DenyGrace: denied, withdrawn or expired
)

// Event is a request's resolution, for the engine to tell.
type Event struct {
	Kind EventKind
	Key  string
	// Role is the request's role (as the listing of open requests names it, for ApprovedLater).
	Role pim.Role
	// Act is the activation in force (Approved), the one scheduled (ApprovedLater), or the
	// request that went (Denied).
	Act pim.Activation
}

// Awaiting reports whether any request waits for approval.
func (b *Book) Awaiting() bool {
	for _, r := range b.m {
		if r.Awaiting != nil {
			return true
		}
	}
	return false
}

// AwaitingActs are the requests waiting for approval, by role key.
func (b *Book) AwaitingActs() map[string]pim.Activation {
	out := map[string]pim.Activation{}
	for k, r := range b.m {
		if r.Awaiting != nil {
			out[k] = r.Awaiting.Act
		}
	}
	return out
}

// Resolve looks at a fresh listing of one tenant and turns the requests waiting for approval
// that it covers (covers says whether the listing read a role's tenant and plane) into
// events: approved when listed active (or scheduled for later), denied when gone from the
// open requests and not active, after a fresh request had time to show (RecentWindow) and the
// active listing time to catch up with an approval (DenyGrace). Requests listed that were made
// elsewhere (the command line, the portal) are awaited from now on, so their approval is told too.
func (b *Book) Resolve(l Listing, covers func(pim.Role) bool, now time.Time) []Event {
	var out []Event
	for _, a := range l.Pending {
		key := a.Role.Key()
		if a.Status == pim.StatusScheduled {
			if w := b.Of(key).Awaiting; w != nil && w.Act.Status == pim.StatusPending {
				b.edit(key, func(r *Record) {
					r.Awaiting, r.Problem = nil, nil
					if r.Recent != nil {
						if _, ok := r.Recent.Pending(); ok {
							r.Recent = nil // the request's own answer (pending) no longer holds
						}
					}
				})
				out = append(out, Event{Kind: ApprovedLater, Key: key, Role: a.Role, Act: a})
			}
			continue
		}
		b.edit(key, func(r *Record) {
			if r.Awaiting == nil {
				r.Awaiting = &Await{Act: a, SentAt: now, Seen: true}
				return
			}
			w := *r.Awaiting
			w.Seen, w.GoneAt = true, time.Time{}
			r.Awaiting = &w
		})
	}
	for key, rec := range b.m {
		w := rec.Awaiting
		if w == nil || !covers(w.Act.Role) {
			continue
		}
		if listedOpen(l.Pending, key) {
			continue
		}
		if act, ok := listedActive(l.Active, key, now); ok {
			b.edit(key, func(r *Record) {
				r.Awaiting, r.Problem = nil, nil
				ra := RecentOf(now, act)
				r.Recent = &ra
			})
			out = append(out, Event{Kind: Approved, Key: key, Role: w.Act.Role, Act: act})
			continue
		}
		if !w.Seen && now.Sub(w.SentAt) <= RecentWindow {
			continue // the listings may not show a fresh request yet
		}
		// Gone from the open requests and not active: denied, withdrawn or expired — unless
		// the active listing lags an approval. Give it a moment.
		if w.GoneAt.IsZero() {
			n := *w
			n.GoneAt = now
			rec.Awaiting = &n
			continue
		}
		if now.Sub(w.GoneAt) < DenyGrace {
			continue
		}
		act := w.Act
		b.edit(key, func(r *Record) {
			r.Awaiting = nil
			if r.Recent != nil {
				if _, ok := r.Recent.Pending(); ok {
					r.Recent = nil
				}
			}
		})
		out = append(out, Event{Kind: Denied, Key: key, Role: act.Role, Act: act})
	}
	return out
}

func listedOpen(pending []pim.Activation, key string) bool {
	for _, a := range pending {
		if a.Role.Key() == key && a.Status != pim.StatusScheduled {
			return true
		}
	}
	return false
}

func listedActive(active []pim.Activation, key string, now time.Time) (pim.Activation, bool) {
	for _, a := range active {
		if a.Role.Key() == key && (a.ExpiresAt.IsZero() || a.ExpiresAt.After(now)) {
			return a, true
		}
	}
	return pim.Activation{}, false
}

// ---- activations the engine sends itself ----

// Schedule plans an activation of key the engine sends itself.
func (b *Book) Schedule(key string, s Scheduled) {
	b.edit(key, func(r *Record) { r.Scheduled = &s })
}

// Unschedule drops key's planned activation.
func (b *Book) Unschedule(key string) {
	b.edit(key, func(r *Record) { r.Scheduled = nil })
}

// Planned reports whether an activation of key is planned.
func (b *Book) Planned(key string) bool { return b.Of(key).Scheduled != nil }

// Due takes the planned activations due at now (none for a role with an operation in flight:
// those are looked at again a second later) and returns them with when to look again
// (zero: nothing planned).
func (b *Book) Due(now time.Time) (due map[string]Scheduled, next time.Time) {
	at := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	for key, r := range b.m {
		s := r.Scheduled
		if s == nil {
			continue
		}
		if s.At.After(now) {
			at(s.At)
			continue
		}
		if r.InFlight != "" {
			at(now.Add(time.Second))
			continue
		}
		if due == nil {
			due = map[string]Scheduled{}
		}
		due[key] = *s
		r.Scheduled = nil
	}
	for key := range due {
		b.edit(key, func(*Record) {}) // forget what is empty now
	}
	return due, next
}

// Retry plans s again RetryAfterExists after now (Azure still holds the previous activation)
// and reports true, or false when s has had its MaxScheduledTries.
func (b *Book) Retry(key string, now time.Time, s Scheduled) bool {
	if s.Tries+1 >= MaxScheduledTries {
		return false
	}
	b.Schedule(key, Scheduled{At: now.Add(RetryAfterExists), Tries: s.Tries + 1, Reason: s.Reason})
	return true
}

// ---- reminders ----

// ForReminders are the stretches of access the reminder scheduler looks at: running holds
// every role's current stretch (with an end) at now, and each is tracked; a tracked one no
// longer running is passed on until EndedKeep after its end (for "has ended"), or forgotten at
// once when it went before its end (deactivated). A role with a re-activation planned at its
// end gets none: it is on its way.
func (b *Book) ForReminders(now time.Time, running []reminders.Activation) []reminders.Activation {
	seen := map[string]bool{}
	for _, a := range running {
		seen[a.Key] = true
		b.edit(a.Key, func(r *Record) { r.Tracked = &a })
	}
	var out []reminders.Activation
	var forget []string
	for key, r := range b.m {
		a := r.Tracked
		if a == nil {
			continue
		}
		switch {
		case seen[key]:
		case a.EndsAt.After(now), now.Sub(a.EndsAt) > EndedKeep:
			forget = append(forget, key)
			continue
		}
		if r.Scheduled != nil {
			continue
		}
		out = append(out, *a)
	}
	for _, key := range forget {
		b.edit(key, func(r *Record) { r.Tracked = nil })
	}
	return out
}

// Counting reports whether a tracked stretch of access still runs at now.
func (b *Book) Counting(now time.Time) bool {
	for _, r := range b.m {
		if r.Tracked != nil && r.Tracked.EndsAt.After(now) {
			return true
		}
	}
	return false
}

// ---- pruning ----

// PruneRecent forgets the recent actions the listings caught up with: listing gives a known
// role's listing (false: the role is not known, and its action is kept until its Until).
func (b *Book) PruneRecent(now time.Time, listing func(key string) (Listing, bool)) {
	var forget []string
	for key, r := range b.m {
		if r.Recent == nil {
			continue
		}
		if l, ok := listing(key); ok {
			if _, inForce := b.InForce(key, l, now); inForce {
				continue
			}
		} else if now.Before(r.Recent.Until) {
			continue
		}
		forget = append(forget, key)
	}
	for _, key := range forget {
		b.edit(key, func(r *Record) { r.Recent = nil })
	}
}

// NextLapse is the earliest Until of a recent action after now (zero: none): the snapshot may
// change then by itself.
func (b *Book) NextLapse(now time.Time) time.Time {
	var next time.Time
	for _, r := range b.m {
		if r.Recent != nil && r.Recent.Until.After(now) && (next.IsZero() || r.Recent.Until.Before(next)) {
			next = r.Recent.Until
		}
	}
	return next
}

// ---- what is kept per role ----

// KeepAliveDone records that a keep-alive handled key's access ending at end.
func (b *Book) KeepAliveDone(key string, end time.Time) {
	b.edit(key, func(r *Record) { r.KeptAlive = end })
}

// SetDailySent records the last day key's daily schedule sent a request for.
func (b *Book) SetDailySent(key, day string) {
	b.edit(key, func(r *Record) { r.DailySent = day })
}

// SetPolicy caches key's policy.
func (b *Book) SetPolicy(key string, p Policy) {
	b.edit(key, func(r *Record) { r.Policy = &p })
}

// Policy is key's cached policy.
func (b *Book) Policy(key string) (Policy, bool) {
	if p := b.Of(key).Policy; p != nil {
		return *p, true
	}
	return Policy{}, false
}

// TriedPolicy records that the background tried to read key's policy at now.
func (b *Book) TriedPolicy(key string, now time.Time) {
	b.edit(key, func(r *Record) { r.PolicyTried = now })
}

// SetAnswers keeps the answers an accepted activation of key sent.
func (b *Book) SetAnswers(key string, a Answers) {
	b.edit(key, func(r *Record) { r.Answers = a })
}

// ---- the state file ----

// Saved is the records as the state file keeps them (format version 1: one map per kind, by
// role key). Operations in flight, problems and what the reminders track are not kept: they
// are this run's.
type Saved struct {
	Policies  map[string]Policy
	Recent    map[string]Recent
	Awaiting  map[string]Await
	Scheduled map[string]Scheduled
	KeptAlive map[string]time.Time
	LastUsed  map[string]time.Time
	DailySent map[string]string
	Answers   map[string]Answers
}

// Save is what the state file keeps of the records.
func (b *Book) Save() Saved {
	s := Saved{Policies: map[string]Policy{}, Recent: map[string]Recent{}, Awaiting: map[string]Await{},
		Scheduled: map[string]Scheduled{}, KeptAlive: map[string]time.Time{}, LastUsed: map[string]time.Time{},
		DailySent: map[string]string{}, Answers: map[string]Answers{}}
	for k, r := range b.m {
		if r.Policy != nil {
			s.Policies[k] = *r.Policy
		}
		if r.Recent != nil {
			s.Recent[k] = *r.Recent
		}
		if r.Awaiting != nil {
			s.Awaiting[k] = *r.Awaiting
		}
		if r.Scheduled != nil {
			s.Scheduled[k] = *r.Scheduled
		}
		if !r.KeptAlive.IsZero() {
			s.KeptAlive[k] = r.KeptAlive
		}
		if !r.LastUsed.IsZero() {
			s.LastUsed[k] = r.LastUsed
		}
		if r.DailySent != "" {
			s.DailySent[k] = r.DailySent
		}
		if !r.Answers.Empty() {
			s.Answers[k] = r.Answers
		}
	}
	return s
}

// Load adds what a state file kept to the records (its entries replace the records' own).
func (b *Book) Load(s Saved) {
	for k, v := range s.Policies {
		b.SetPolicy(k, v)
	}
	for k, v := range s.Recent {
		b.edit(k, func(r *Record) { r.Recent = &v })
	}
	for k, v := range s.Awaiting {
		b.edit(k, func(r *Record) { r.Awaiting = &v })
	}
	for k, v := range s.Scheduled {
		b.Schedule(k, v)
	}
	for k, v := range s.KeptAlive {
		b.KeepAliveDone(k, v)
	}
	for k, v := range s.LastUsed {
		b.Used(k, v)
	}
	for k, v := range s.DailySent {
		b.SetDailySent(k, v)
	}
	for k, v := range s.Answers {
		b.SetAnswers(k, v)
	}
}

// Merge adds the command line's cache: per role, the fresher policy and the later recent action.
func (b *Book) Merge(policies map[string]Policy, recent map[string]Recent) {
	for k, p := range policies {
		if have, ok := b.Policy(k); !ok || p.FetchedAt.After(have.FetchedAt) {
			b.SetPolicy(k, p)
		}
	}
	for k, v := range recent {
		if have := b.Of(k).Recent; have == nil || v.At.After(have.At) {
			b.edit(k, func(r *Record) { r.Recent = &v })
		}
	}
}

// SignedIn: a sign-in fixes the problems that asked for one, of the roles whose key inTenant
// says are in the tenant signed in to.
func (b *Book) SignedIn(inTenant func(key string) bool) {
	var fixed []string
	for k, r := range b.m {
		if r.Problem != nil && r.Problem.SignIn && inTenant(k) {
			fixed = append(fixed, k)
		}
	}
	for _, k := range fixed {
		b.ClearProblem(k)
	}
}
