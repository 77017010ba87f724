package engine

import (
	"fmt"
	"slices"
	"time"

	"github.com/pimtray/pimtray/internal/engine/reminders"
	"github.com/pimtray/pimtray/pim"
)

// noticeRefKeep: a notification's actions are honoured this long.
const noticeRefKeep = 48 * time.Hour

// noticeLog is what the engine told the user, kept by notice rather than by role (a role has
// many notices over time; an approval's notice is about no role of the user's).
type noticeLog struct {
	// sent are the reminders and approvals announced (by reminder id or approval key), so none
	// repeats, across restarts too (the state file keeps them sentKeep).
	sent map[string]time.Time
	// refs is the role each notice about a role is about (by notice ID), so an action on it
	// finds the role; kept noticeRefKeep.
	refs map[string]noticeRef
	// live are the notices on screen (by notice ID), withdrawn when no longer true (lifetime.go).
	live map[string]liveNotice
}

// newNotice builds a notice and remembers its role, so an action on it finds the role.
func (e *Engine) newNotice(kind NoticeKind, key, title, body string, actions []string) Notice {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.newNoticeLocked(kind, key, "", title, body, actions, time.Time{})
}

func (e *Engine) newNoticeLocked(kind NoticeKind, key, id, title, body string, actions []string, endsAt time.Time) Notice {
	now := e.now()
	if id == "" {
		e.noticeSeq++
		id = fmt.Sprintf("%s-%d-%d", kind, now.Unix(), e.noticeSeq)
	}
	if e.opts.Demo {
		title += " — DEMO"
	}
	if key != "" {
		for k, r := range e.told.refs {
			if now.Sub(r.at) > noticeRefKeep {
				delete(e.told.refs, k)
			}
		}
		e.told.refs[id] = noticeRef{key: key, endsAt: endsAt, at: now}
	}
	n := Notice{ID: id, Kind: kind, Key: key, Title: title, Body: body, Actions: slices.Clone(actions)}
	e.liveLocked(n, now)
	return n
}

// policyOf is the policy of a cached entry (the zero policy when none is cached).
func policyOf(p policyEntry, _ bool) pim.Policy { return p.Policy }

// remindersLocked returns the reminders due at now as notices (marking them sent) and when
// the next one is due.
func (e *Engine) remindersLocked(now time.Time) ([]Notice, time.Time) {
	acts := e.activationsForRemindersLocked(now)
	sch := reminders.Scheduler{Thresholds: e.thresholds()}
	sent := make(map[string]bool, len(e.told.sent))
	for id, at := range e.told.sent {
		if now.Sub(at) > sentKeep {
			delete(e.told.sent, id)
			continue
		}
		sent[id] = true
	}
	var out []Notice
	for _, r := range sch.Due(now, acts, sent) {
		e.told.sent[r.ID] = now
		sent[r.ID] = true
		out = append(out, e.reminderNoticeLocked(r, now))
	}
	return out, sch.Next(now, acts, sent)
}

func (e *Engine) reminderNoticeLocked(r reminders.Reminder, now time.Time) Notice {
	name := keyLabel(r.Key)
	var ts *tenantState
	if role, t, ok := e.roleLocked(r.Key); ok {
		name, ts = role.Label(), t
	}
	signIn := ts != nil && (!ts.signedIn || ts.needsSignIn)
	actions := []string{ActionReactivate, ActionDismiss}
	// A re-activation that would have to ask (nothing saved carries what the policy wants)
	// while no dialog can be shown would only fail: offer none, say what works instead.
	noDialog := ""
	if e.needsDialogLocked(r.Key) && !e.canPrompt() {
		actions = []string{ActionDismiss}
		what := "a justification"
		if p := policyOf(e.roles.Policy(r.Key)); p.Ticket && !p.Justification {
			what = "a ticket number"
		} else if p.Ticket {
			what = "a justification and a ticket number"
		}
		role, _, _ := e.roleLocked(r.Key)
		noDialog = "pimtray can't ask for " + what + " here (no input dialog): install zenity or kdialog, or run: " + cliHint(role, what)
	}
	if r.Ended() {
		body := "Activate it again from here or from the tray."
		if signIn {
			body = "Sign in to pimtray to activate it again."
		} else if noDialog != "" {
			body = noDialog
		}
		return e.newNoticeLocked(NoticeEnded, r.Key, r.ID, name+" has ended", body, actions, r.EndsAt)
	}
	body := "Active until " + e.clockTime(r.EndsAt, now) + ". Re-activate to keep your access."
	if signIn {
		body = "Active until " + e.clockTime(r.EndsAt, now) + ". Sign in to pimtray to re-activate it."
	} else if noDialog != "" {
		body = "Active until " + e.clockTime(r.EndsAt, now) + ". To keep it, " + noDialog
	}
	return e.newNoticeLocked(NoticeReminder, r.Key, r.ID, name+" ends in "+inWords(r.Before), body, actions, r.EndsAt)
}

// inWords is a reminder threshold for people: "15 minutes", "1 minute", "1 hour", "1h 30m".
func inWords(d time.Duration) string {
	switch {
	case d%time.Hour == 0 && d >= time.Hour:
		if d == time.Hour {
			return "1 hour"
		}
		return fmt.Sprintf("%d hours", d/time.Hour)
	case d < time.Hour && d%time.Minute == 0 && d >= time.Minute:
		if d == time.Minute {
			return "1 minute"
		}
		return fmt.Sprintf("%d minutes", d/time.Minute)
	}
	return FormatDuration(d)
}
