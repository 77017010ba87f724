package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pimtray/pimtray/internal/engine/daily"
	"github.com/pimtray/pimtray/pim"
)

// FieldStart is the question "Activate at …" asks: when the activation starts.
const FieldStart Field = "start"

// NoticeScheduled: an activation was scheduled for a later start.
const NoticeScheduled NoticeKind = "scheduled"

// RecentActivityCount is how many of the user's latest requests "Recent activity" shows.
const RecentActivityCount = 10

// RecentActivityDays is how far back "Recent activity" reads.
const RecentActivityDays = 30

// startLayout is how "Activate at …" pre-fills its answer, and the fullest form it reads.
const startLayout = "2006-01-02 15:04"

// ParseStart reads a start time typed by the user, in loc: "08:30" (today) or
// "2026-12-02 08:30" (also with a T). A time not after now is refused, in one sentence.
func ParseStart(text string, now time.Time, loc *time.Location) (time.Time, error) {
	text = strings.TrimSpace(text)
	ln := now.In(loc)
	for _, layout := range []string{"15:04", startLayout, "2006-01-02T15:04"} {
		p, err := time.ParseInLocation(layout, text, loc)
		if err != nil {
			continue
		}
		if layout == "15:04" {
			p = time.Date(ln.Year(), ln.Month(), ln.Day(), p.Hour(), p.Minute(), 0, 0, loc)
		}
		if !p.After(now) {
			return time.Time{}, &InputError{Msg: fmt.Sprintf("%s is in the past (it is %s now): give a later time, such as %s.",
				text, ln.Format("15:04"), daily.NextWorkingMorning(ln, daily.DefaultMorning).Format(startLayout))}
		}
		return p, nil
	}
	return time.Time{}, &InputError{Msg: fmt.Sprintf("%q is not a time: give HH:MM (today) or YYYY-MM-DD HH:MM.", text)}
}

// ActivateAt asks when the role should start (pre-filled with the next working morning, 08:30)
// and sends one activation for that start, as the menu's "Activate at …" does. Azure holds it
// and starts it then, with pimtray running or not. Cancel withdraws it.
func (e *Engine) ActivateAt(key string) {
	e.goBackground(func(ctx context.Context) {
		err := e.activateAt(ctx, key)
		e.tellFailure(key, "Could not schedule", err)
	})
}

func (e *Engine) activateAt(ctx context.Context, key string) error {
	e.mu.Lock()
	role, _, ok := e.roleLocked(key)
	e.mu.Unlock()
	if !ok {
		return &InputError{Msg: "You are not eligible for " + keyLabel(key) + " (or it is not known yet)."}
	}
	if e.prompter == nil {
		return &Failure{Msg: "pimtray could not ask when to start " + role.Label() + ": no input dialog program is installed. Install zenity or kdialog, or run: pimtray activate \"" + role.RoleName + "\" --at 08:30", Err: ErrNoDialog}
	}
	now := e.now()
	loc := e.location()
	def := daily.NextWorkingMorning(now.In(loc), daily.DefaultMorning).Format(startLayout)
	q := Question{Key: key, Role: role.Label(), Field: FieldStart, Label: "Start",
		Title:   "Activate " + role.Label() + " at …",
		Text:    "When should " + role.Label() + " start? Local time: HH:MM (today) or YYYY-MM-DD HH:MM. Azure starts it then, even with this computer off.",
		Default: def}
	e.promptMu.Lock()
	ans, ok, err := e.prompter.Ask(ctx, q)
	e.promptMu.Unlock()
	if err != nil {
		return e.promptFailed(role, "a start time", err)
	}
	if !ok || strings.TrimSpace(ans) == "" {
		return nil // cancelled: nothing sent
	}
	at, err := ParseStart(ans, e.now(), loc)
	if err != nil {
		return err
	}
	if !e.markInFlight(key, StateActivating) {
		return ErrInFlight
	}
	res, err := e.activateNow(ctx, key, ActivateOptions{StartAt: at, Interactive: true, Prompt: true, SignIn: true}, true)
	if err != nil {
		return err
	}
	a := res.Activation
	name := role.Label()
	switch a.Status {
	case pim.StatusPending:
		e.notify(e.newNotice(NoticePending, key, name+": request sent", "It waits for approval, to start at "+e.clockTime(a.StartsAt, e.now())+".", nil))
	default:
		body := "It starts at " + e.clockTime(a.StartsAt, e.now())
		if !a.ExpiresAt.IsZero() {
			body += " and runs until " + e.clockTime(a.ExpiresAt, a.StartsAt)
		}
		e.notify(e.newNotice(NoticeScheduled, key, name+" scheduled", body+"; Azure starts it then, even with this computer off.", nil))
	}
	return nil
}

// RecentActivity is what "Recent activity" shows: the user's latest requests, read when asked.
type RecentActivity struct {
	Entries []HistoryEntry `json:"entries,omitempty"` // newest first, at most RecentActivityCount
	ReadAt  time.Time      `json:"readAt,omitzero"`   // zero: never read
	Reading bool           `json:"reading,omitempty"`
	Problem string         `json:"problem,omitempty"` // why (part of) it could not be read
}

// LoadRecentActivity reads the user's latest requests in the background (the menu's "Show
// recent activity"). It is read only when asked: the menu cannot tell when the submenu opens
// (dbusmenu's opening is not passed on by fyne.io/systray), and reading on the refresh path
// would make every refresh pay for the whole request history (ARM's has no date filter).
func (e *Engine) LoadRecentActivity() {
	e.mu.Lock()
	if e.recentActivity.Reading {
		e.mu.Unlock()
		return
	}
	e.recentActivity.Reading = true
	e.mu.Unlock()
	e.signal()
	e.goBackground(func(ctx context.Context) {
		now := e.now()
		hs, problems, err := e.HistoryNow(ctx, "", now.Add(-RecentActivityDays*24*time.Hour))
		e.mu.Lock()
		ra := RecentActivity{ReadAt: now}
		if len(hs) > RecentActivityCount {
			hs = hs[:RecentActivityCount]
		}
		ra.Entries = hs
		var msgs []string
		for _, p := range problems {
			msgs = append(msgs, p.Message)
		}
		if err != nil && len(msgs) == 0 && !errors.Is(err, context.Canceled) {
			msgs = append(msgs, HumanError(err))
		}
		ra.Problem = strings.Join(msgs, "; ")
		e.recentActivity = ra
		e.mu.Unlock()
		e.signal()
	})
}
