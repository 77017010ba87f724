package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pimtray/pimtray/internal/engine/roles"
	"github.com/pimtray/pimtray/pim"
)

// Reactivate keeps the role's access going, in the background, as the notification's
// "Re-activate" button does (a user's click: a step-up sign-in may open).
func (e *Engine) Reactivate(key string) {
	e.reactivateAsync(key, true, "")
}

func (e *Engine) reactivateAsync(key string, interactive bool, reason string) {
	if !e.markInFlight(key, StateActivating) {
		return
	}
	e.goBackground(func(ctx context.Context) {
		res, err := e.reactivateNow(ctx, key, interactive, true)
		e.tellReactivation(key, res, err, reason)
	})
}

// ReactivateNow keeps the role's access going with the least gap Azure allows:
//
//  1. an activation scheduled to start when the current one ends;
//  2. if Azure refuses that, the role has run 5 minutes or more and needs no approval:
//     deactivate and activate again at once;
//  3. otherwise an activation sent by the engine the moment the current one ends
//     (Result.ScheduledAt).
//
// A role that is not active (any more) is simply activated. A role that needs approval
// gets its request sent (Result.Activation pending).
func (e *Engine) ReactivateNow(ctx context.Context, key string, interactive bool) (Result, error) {
	return e.reactivateNow(ctx, key, interactive, false)
}

func (e *Engine) reactivateNow(ctx context.Context, key string, interactive, marked bool) (Result, error) {
	var cur pim.Activation
	var active bool
	var last Answers
	role, ts, err := e.begin(key, StateActivating, marked, func(ts *tenantState) {
		cur, active = e.currentLocked(ts, key, e.now())
		e.roles.Unschedule(key)
		last = e.lastAnswersLocked(key)
	})
	if err != nil {
		return Result{}, err
	}

	// The running activation's justification and ticket go again: nobody is asked twice.
	o := ActivateOptions{Interactive: interactive, Prompt: interactive, SignIn: interactive,
		Justification: last.Justification, TicketNumber: last.TicketNumber, TicketSystem: last.TicketSystem}
	res, err := e.reactivateRole(ctx, ts, role, cur, active, o)

	e.mu.Lock()
	e.roles.Done(key)
	e.recordActivationLocked(ts, role, res, err)
	if err == nil && !res.ScheduledAt.IsZero() {
		e.roles.Schedule(key, scheduledEntry{At: res.ScheduledAt, Reason: "reactivate"})
	}
	e.mu.Unlock()
	e.saveState()
	e.signal()
	return res, err
}

func (e *Engine) reactivateRole(ctx context.Context, ts *tenantState, role pim.Role, cur pim.Activation, active bool, o ActivateOptions) (Result, error) {
	if !active {
		// Ended already (or never ran): activate anew.
		return e.activateRole(ctx, ts, role, o)
	}
	if cur.ExpiresAt.IsZero() {
		return Result{Activation: cur, AlreadyActive: true}, nil // permanent: nothing to extend
	}
	// 1. Start the next activation when this one ends.
	next := o
	next.StartAt = cur.ExpiresAt
	res, err := e.activateRole(ctx, ts, role, next)
	if err == nil && !res.AlreadyActive {
		return res, nil
	}
	if err != nil && !refused(err) {
		return res, err
	}
	e.log.Info("Azure refused an activation starting at the end; trying the next way", "role", role.Label(), "err", err)
	// 2. Deactivate and activate again, where that cannot leave the user waiting for approval.
	pol, known := e.policyFor(ctx, ts, role)
	now := e.now()
	if known && !pol.Approval && (cur.StartsAt.IsZero() || now.Sub(cur.StartsAt) >= MinActiveForRestart) {
		derr := ts.b.API.Deactivate(ctx, role)
		if derr == nil {
			e.mu.Lock()
			now = e.now()
			e.roles.Restarting(role.Key(), now)
			e.mu.Unlock()
			res, err := e.activateRole(ctx, ts, role, o)
			if err == nil && !res.AlreadyActive {
				res.Restarted = true
				return res, nil
			}
			if err == nil || errors.Is(err, pim.ErrAlreadyActive) {
				// The service still sees the old one for a moment: try again shortly.
				return Result{ScheduledAt: e.now().Add(retryAfterExists), Duration: res.Duration}, nil
			}
			return res, err
		}
		e.log.Info("deactivate for a restart refused", "role", role.Label(), "err", derr)
	}
	// 3. Activate again the moment the current one ends.
	return Result{ScheduledAt: cur.ExpiresAt}, nil
}

// refused: Azure turned the request down for what it is (not for sign-in, throttling or the network).
func refused(err error) bool {
	var pe *pim.Error
	if !errors.As(err, &pe) {
		return false
	}
	switch pe.Kind {
	case pim.KindAlreadyActive, pim.KindRequestExists, pim.KindNotFound, pim.KindOther:
		return true
	case pim.KindPolicy:
		for _, r := range pe.Rules {
			if r == pim.RuleJustification || r == pim.RuleTicketing || r == pim.RuleMFA {
				return false
			}
		}
		return true
	}
	return false
}

// tellReactivation raises the follow-up notification of a re-activation.
func (e *Engine) tellReactivation(key string, res Result, err error, reason string) {
	name := keyLabelOf(e, key)
	now := e.now()
	suffix := ""
	if reason != "" {
		suffix = " " + reason
	}
	switch {
	case errors.Is(err, ErrCancelled), errors.Is(err, ErrInFlight):
		return
	case err != nil:
		var f *Failure
		if errors.As(err, &f) && f.Err != nil && isStepUp(f.Err) {
			return // the sign-in notice said it already
		}
		e.log.Warn("could not re-activate "+name, "key", key, "err", err)
		e.notify(e.newNotice(NoticeFailed, key, "Could not re-activate "+name, HumanError(err),
			[]string{ActionReactivate, ActionDismiss}))
	case !res.ScheduledAt.IsZero():
		e.notify(e.newNotice(NoticeReactivated, key, name+" will be re-activated",
			"Azure does not allow extending it yet; pimtray activates it again at "+e.clockTime(res.ScheduledAt, now)+"."+suffix, nil))
	case res.Activation.Status == pim.StatusPending:
		e.notify(e.newNotice(NoticePending, key, name+": re-activation requested",
			"The request waits for approval."+suffix, nil))
	default:
		body := "Active."
		if end := e.endOf(key); !end.IsZero() {
			body = "Active until " + e.clockTime(end, now) + "."
		} else if !res.Activation.ExpiresAt.IsZero() {
			body = "Active until " + e.clockTime(res.Activation.ExpiresAt, now) + "."
		}
		e.notify(e.newNotice(NoticeReactivated, key, name+" re-activated", body+suffix, nil))
	}
}

func isStepUp(err error) bool {
	_, step := claimsFor(err, pim.Policy{})
	return step
}

// endOf is the end of the role's access as the menu shows it (a chained re-activation included).
func (e *Engine) endOf(key string) time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, ts, ok := e.roleLocked(key)
	if !ok {
		return time.Time{}
	}
	cur, ok := e.currentLocked(ts, key, e.now())
	if !ok {
		// A scheduled start in the future: the end of what was just asked.
		return e.roles.End(key)
	}
	return cur.ExpiresAt
}

// runScheduled sends an activation the engine planned (a re-activation at the end of the
// current one, or a retry). Background work: no dialog, no sign-in window.
func (e *Engine) runScheduled(ctx context.Context, key string, s scheduledEntry) {
	e.mu.Lock()
	_, ts, ok := e.roleLocked(key)
	if ok {
		if cur, active := e.currentLocked(ts, key, e.now()); active && (cur.ExpiresAt.IsZero() || cur.ExpiresAt.Sub(e.now()) > chainSlack) {
			ok = false // active already (activated meanwhile): nothing to do
		}
	}
	e.mu.Unlock()
	if !ok {
		return
	}
	res, err := e.activateNow(ctx, key, ActivateOptions{}, false)
	if errors.Is(err, ErrInFlight) {
		return
	}
	if (err == nil && res.AlreadyActive && e.endOf(key).Sub(e.now()) <= chainSlack) || errors.Is(err, pim.ErrAlreadyActive) {
		// The service still holds the old activation for a moment: try again shortly.
		e.mu.Lock()
		again := e.roles.Retry(key, e.now(), s)
		e.mu.Unlock()
		if again {
			e.signal()
			return
		}
		err = &Failure{Msg: "Azure still reports the previous activation; activate it again from the menu.", Err: err}
	}
	e.tellReactivation(key, res, err, "")
}

// ---- keep-alive ----

// keepAliveLead: a keep-alive re-activation runs this long before the end, ahead of the
// first reminder, so a kept-alive role raises no reminder.
func (e *Engine) keepAliveLead() time.Duration { return e.expiringWindow() + time.Minute }

// keepAliveTargetsLocked are the favourites kept alive whose access ends before their
// keep-alive time today, with the instant their keep-alive is due.
func (e *Engine) keepAliveTargetsLocked(now time.Time) map[string]time.Time {
	out := map[string]time.Time{}
	for _, f := range e.cfg.Favourites {
		if f.KeepActiveUntil == "" {
			continue
		}
		until, ok := todayAt(now, f.KeepActiveUntil, e.location())
		if !ok {
			continue
		}
		_, ts, ok := e.roleLocked(f.Key)
		if !ok {
			continue
		}
		cur, active := e.currentLocked(ts, f.Key, now)
		if !active || cur.ExpiresAt.IsZero() || !cur.ExpiresAt.Before(until) {
			continue
		}
		if done := e.roles.Of(f.Key).KeptAlive; !done.IsZero() && done.Equal(cur.ExpiresAt) {
			continue
		}
		if e.roles.Planned(f.Key) {
			continue
		}
		out[f.Key] = cur.ExpiresAt.Add(-e.keepAliveLead())
	}
	return out
}

// keepAliveDueLocked returns the keys whose keep-alive is due now and marks them handled.
func (e *Engine) keepAliveDueLocked(now time.Time) []string {
	var due []string
	for key, at := range e.keepAliveTargetsLocked(now) {
		if at.After(now) {
			continue
		}
		if _, busy := e.roles.InFlight(key); busy {
			continue
		}
		_, ts, _ := e.roleLocked(key)
		cur, _ := e.currentLocked(ts, key, now)
		e.roles.KeepAliveDone(key, cur.ExpiresAt)
		e.roles.SetInFlight(key, roles.Op(StateActivating))
		due = append(due, key)
	}
	return due
}

func (e *Engine) nextKeepAliveLocked(now time.Time) time.Time {
	var next time.Time
	for _, at := range e.keepAliveTargetsLocked(now) {
		if at.After(now) && (next.IsZero() || at.Before(next)) {
			next = at
		}
	}
	return next
}

func (e *Engine) runKeepAlive(ctx context.Context, key string) {
	e.mu.Lock()
	f, _ := e.favouriteLocked(key)
	e.mu.Unlock()
	res, err := e.reactivateNow(ctx, key, false, true)
	e.tellReactivation(key, res, err, fmt.Sprintf("(Kept active until %s.)", f.KeepActiveUntil))
}

// todayAt is hh:mm on now's day in loc.
func todayAt(now time.Time, hhmm string, loc *time.Location) (time.Time, bool) {
	t, err := time.ParseInLocation("15:04", hhmm, loc)
	if err != nil {
		return time.Time{}, false
	}
	n := now.In(loc)
	return time.Date(n.Year(), n.Month(), n.Day(), t.Hour(), t.Minute(), 0, 0, loc), true
}

func (e *Engine) location() *time.Location {
	if e.opts.Location != nil {
		return e.opts.Location
	}
	return time.Local
}

// clockTime is "17:42" (today) or "Mon 17:42" (another day), in the engine's location.
func (e *Engine) clockTime(t, now time.Time) string {
	return clockTimeIn(t, now, e.location())
}

func clockTimeIn(t, now time.Time, loc *time.Location) string {
	lt, ln := t.In(loc), now.In(loc)
	if lt.YearDay() == ln.YearDay() && lt.Year() == ln.Year() {
		return lt.Format("15:04")
	}
	return lt.Format("Mon 15:04")
}
