package engine

import (
	"strings"
	"time"

	"github.com/pimtray/pimtray/pim"
)

// NoticeWithdrawn is not shown: it asks the notifier to take the notice with this ID off
// the screen, because what it said is no longer true (a failure that a later try fixed, a
// reminder for an activation that was re-activated elsewhere or ended, a "has ended" for a
// role that is active again).
const NoticeWithdrawn NoticeKind = "withdrawn"

// unkeyedNoticeLife: a notice about no single role (a summary, a sign-in failure) is
// withdrawn after this long.
const unkeyedNoticeLife = time.Hour

// subject is what a notice about a role said about it: the role's state when it was
// raised. The notice stays on screen while the role is still in that state.
type subject struct {
	active, pending bool
	endsAt          time.Time
}

// liveNotice is a notice on screen (as far as the engine knows).
type liveNotice struct {
	key  string
	kind NoticeKind
	subj subject
	at   time.Time
}

func (e *Engine) subjectLocked(key string, now time.Time) subject {
	_, ts, ok := e.roleLocked(key)
	if !ok {
		return subject{}
	}
	var s subject
	if cur, active := e.currentLocked(ts, key, now); active {
		s.active, s.endsAt = true, cur.ExpiresAt
	}
	if _, pending := e.pendingLocked(ts, key, now); pending && !s.active {
		s.pending = true
	}
	return s
}

// liveLocked records a notice just made, so it can be withdrawn when its subject changes.
func (e *Engine) liveLocked(n Notice, now time.Time) {
	if n.Kind == NoticeWithdrawn {
		return
	}
	l := liveNotice{key: n.Key, kind: n.Kind, at: now}
	if n.Key != "" {
		l.subj = e.subjectLocked(n.Key, now)
		// A newer notice about the role takes the older one's place on screen.
		for id, o := range e.told.live {
			if o.key == n.Key {
				delete(e.told.live, id)
			}
		}
	}
	e.told.live[n.ID] = l
}

// staleNoticesLocked withdraws the notices whose subject changed (or, about no role, that
// are old), and returns the withdrawals to send.
func (e *Engine) staleNoticesLocked(now time.Time) []Notice {
	var out []Notice
	for id, l := range e.told.live {
		stale := false
		switch {
		case l.key == "" && l.kind == NoticeSignInNeeded:
			continue // true until the sign-in, which says so itself
		case l.key == "":
			stale = now.Sub(l.at) > unkeyedNoticeLife
		default:
			if _, _, ok := e.roleLocked(l.key); !ok {
				continue // not known (yet): nothing to compare
			}
			if _, busy := e.roles.InFlight(l.key); busy {
				continue // a request on its way: judge when it is done
			}
			stale = e.subjectLocked(l.key, now) != l.subj
		}
		if stale {
			delete(e.told.live, id)
			out = append(out, Notice{ID: id, Kind: NoticeWithdrawn, Key: l.key})
		}
	}
	return out
}

// nextNoticeChangeLocked is when a notice's subject ends on its own (an activation's end), so the loop
// wakes to withdraw it; zero: none.
func (e *Engine) nextNoticeChangeLocked(now time.Time) time.Time {
	var next time.Time
	for _, l := range e.told.live {
		var t time.Time
		switch {
		case l.key == "" && l.kind != NoticeSignInNeeded:
			t = l.at.Add(unkeyedNoticeLife + time.Second)
		case l.subj.active && !l.subj.endsAt.IsZero():
			t = l.subj.endsAt
		}
		if t.After(now) && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	return next
}

// NoticeStepUp says a click's activation opened a sign-in (MFA, an authentication
// context), so the window that opens is no surprise.
const NoticeStepUp NoticeKind = "step-up"

func (e *Engine) stepUpNotice(role pim.Role, claims string) Notice {
	what := "MFA"
	if strings.Contains(claims, "acrs") {
		what = "a Conditional Access authentication context"
	}
	body := "Finish the sign-in in your browser; pimtray then activates it."
	if e.opts.Demo {
		body = "The demo tenant's sign-in page (the fake Azure) confirms it for you; pimtray then activates it."
	}
	return e.newNotice(NoticeStepUp, role.Key(), role.Label()+" needs "+what+": signing in again", body, nil)
}
