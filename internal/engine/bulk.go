package engine

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/pimtray/pimtray/internal/engine/roles"
	"github.com/pimtray/pimtray/pim"
)

// NoticeSummary is the one notification of "Activate all favourites": what each got.
const NoticeSummary NoticeKind = "summary"

// ActivateFavourites activates every favourite that is neither active, pending nor in
// flight, as the menu's "Activate all favourites" does: what they need and nobody saved
// (a justification, a ticket) is asked once, in one dialog, for all of them; they are sent
// one after the other (a step-up sign-in opens one window at a time); one notification
// sums up what each got. Cancel sends nothing.
func (e *Engine) ActivateFavourites() {
	e.mu.Lock()
	now := e.now()
	var keys []string
	for _, f := range e.cfg.Favourites {
		if _, busy := e.roles.InFlight(f.Key); busy {
			continue
		}
		if ts, known := e.tenantOfLocked(f.Key); known {
			if _, ok := e.currentLocked(ts, f.Key, now); ok {
				continue
			}
			if _, ok := e.pendingLocked(ts, f.Key, now); ok {
				continue
			}
			if _, ok := e.scheduledLocked(ts, f.Key, now); ok {
				continue // Azure starts it at its time; a second request would be refused
			}
		}
		e.roles.SetInFlight(f.Key, roles.Op(StateActivating)) // at once, so a second click finds them in flight
		keys = append(keys, f.Key)
	}
	e.mu.Unlock()
	if len(keys) == 0 {
		e.log.Debug("activate all: every favourite is active, pending or in flight")
		return
	}
	e.signal()
	e.goBackground(func(ctx context.Context) { e.activateAll(ctx, keys) })
}

// bulkOutcome is one favourite's result in the summary.
type bulkOutcome struct {
	key string
	res Result
	err error
}

func (e *Engine) activateAll(ctx context.Context, keys []string) {
	// What the roles need that nothing saved carries.
	type need struct{ j, t bool }
	needs := map[string]need{}
	var forJ, forT []string
	for _, key := range keys {
		e.mu.Lock()
		role, ts, ok := e.roleLocked(key)
		e.mu.Unlock()
		if !ok {
			continue
		}
		pol, known := e.policyFor(ctx, ts, role)
		if !known {
			continue // Azure's answer will tell; the summary then says what was missing
		}
		e.mu.Lock()
		last := e.lastAnswersLocked(key)
		e.mu.Unlock()
		n := need{j: pol.Justification && last.Justification == "", t: pol.Ticket && last.TicketNumber == ""}
		needs[key] = n
		if n.j {
			forJ = append(forJ, role.Label())
		}
		if n.t {
			forT = append(forT, role.Label())
		}
	}
	var shared Answers
	if len(forJ) > 0 || len(forT) > 0 {
		var err error
		shared, err = e.askShared(ctx, forJ, forT)
		if err != nil {
			e.mu.Lock()
			for _, k := range keys {
				e.roles.Done(k)
			}
			e.mu.Unlock()
			e.signal()
			if !errors.Is(err, ErrCancelled) {
				e.notify(e.newNotice(NoticeFailed, "", "Could not activate the favourites", HumanError(err), nil))
			}
			return
		}
	}
	var out []bulkOutcome
	for _, key := range keys {
		o := ActivateOptions{Interactive: true, SignIn: true}
		if n := needs[key]; n.j || n.t {
			if n.j {
				o.Justification = shared.Justification
				o.typed.Justification = shared.Justification
			}
			if n.t {
				o.TicketNumber = shared.TicketNumber
				o.typed.TicketNumber = shared.TicketNumber
			}
		}
		res, err := e.activateNow(ctx, key, o, true)
		if ctx.Err() != nil {
			return
		}
		out = append(out, bulkOutcome{key: key, res: res, err: err})
	}
	e.notify(e.summaryNotice(out))
}

// askShared asks once for the justification (for the roles in forJ) and the ticket (forT).
func (e *Engine) askShared(ctx context.Context, forJ, forT []string) (Answers, error) {
	if e.prompter == nil {
		what := "a justification"
		if len(forJ) == 0 {
			what = "a ticket number"
		}
		return Answers{}, &InputError{Msg: strings.Join(append(forJ, forT...), ", ") + " require " + what + "."}
	}
	jq := Question{Field: FieldJustification, Label: "Justification", Title: "Activate all favourites",
		Text: "A justification for " + strings.Join(forJ, ", ") + ". Why do you need them?"}
	tq := Question{Field: FieldTicket, Label: "Ticket number", Title: "Activate all favourites",
		Text: "A ticket number for " + strings.Join(forT, ", ") + ". Which ticket is this for?"}
	bulk := pim.Role{RoleName: "the favourites"}
	var a Answers
	if fp, ok := e.prompter.(FormPrompter); ok && len(forJ) > 0 && len(forT) > 0 {
		e.promptMu.Lock()
		ans, ok, err := fp.AskForm(ctx, Form{Role: "the favourites", Title: "Activate all favourites",
			Text:      "Justification for " + strings.Join(forJ, ", ") + "; ticket number for " + strings.Join(forT, ", ") + ".",
			Questions: []Question{jq, tq}})
		e.promptMu.Unlock()
		if err != nil {
			return Answers{}, e.promptFailed(bulk, "a justification and a ticket number", err)
		}
		if !ok || len(ans) != 2 || strings.TrimSpace(ans[0]) == "" || strings.TrimSpace(ans[1]) == "" {
			return Answers{}, ErrCancelled
		}
		return Answers{Justification: strings.TrimSpace(ans[0]), TicketNumber: strings.TrimSpace(ans[1])}, nil
	}
	for _, q := range []Question{jq, tq} {
		if (q.Field == FieldJustification && len(forJ) == 0) || (q.Field == FieldTicket && len(forT) == 0) {
			continue
		}
		e.promptMu.Lock()
		ans, ok, err := e.prompter.Ask(ctx, q)
		e.promptMu.Unlock()
		if err != nil {
			return Answers{}, e.promptFailed(bulk, strings.ToLower(q.Label), err)
		}
		if !ok || strings.TrimSpace(ans) == "" {
			return Answers{}, ErrCancelled
		}
		if q.Field == FieldJustification {
			a.Justification = strings.TrimSpace(ans)
		} else {
			a.TicketNumber = strings.TrimSpace(ans)
		}
	}
	return a, nil
}

// summaryNotice is the one notification after "Activate all favourites".
func (e *Engine) summaryNotice(out []bulkOutcome) Notice {
	now := e.now()
	var active, pending, failed int
	var lines []string
	for _, o := range out {
		name := keyLabelOf(e, o.key)
		switch {
		case o.err != nil && errors.Is(o.err, ErrInFlight):
			lines = append(lines, name+": already on its way")
		case o.err != nil:
			failed++
			lines = append(lines, name+": "+HumanError(o.err))
		case o.res.Activation.Status == pim.StatusPending:
			pending++
			lines = append(lines, name+": waits for approval")
		default:
			active++
			if end := e.endOf(o.key); !end.IsZero() {
				lines = append(lines, name+": active until "+e.clockTime(end, now))
			} else {
				lines = append(lines, name+": active")
			}
		}
	}
	var parts []string
	if active > 0 {
		parts = append(parts, plural(active, "favourite", "favourites")+" activated")
	}
	if pending > 0 {
		parts = append(parts, plural(pending, "request", "requests")+" waiting for approval")
	}
	if failed > 0 {
		parts = append(parts, plural(failed, "failure", "failures"))
	}
	title := strings.Join(parts, ", ")
	if title == "" {
		title = "Nothing to activate"
	}
	kind := NoticeSummary
	if failed > 0 {
		kind = NoticeFailed
	}
	return e.newNotice(kind, "", title, strings.Join(lines, "\n"), nil)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
