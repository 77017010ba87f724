package cli

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pimtray/pimtray/internal/engine"
	"github.com/pimtray/pimtray/pim"
)

// activateOptions are activate's flags and arguments.
type activateOptions struct {
	Scope        string   // --scope NAME|ID
	For          string   // --for DURATION
	Reason       string   // --reason TEXT
	Ticket       string   // --ticket NUMBER
	TicketSystem string   // --ticket-system NAME
	At           string   // --at TIME: a later start (local time)
	JSON         bool     // --json
	Args         []string // the ROLE
}

// newCmdActivate is `pimtray activate ROLE`.
func newCmdActivate(r *runner, runF func(*activateOptions) int) *cobra.Command {
	o := &activateOptions{}
	cmd := &cobra.Command{
		Use:   "activate ROLE",
		Short: "activate a role (exit 0 active, 3 pending approval)",
		Long: `Activate the role named ROLE (its display name or id, any case; never a part of a name:
Contributor does not pick AKS Contributor). --scope picks among roles of that name.

The duration defaults to the configured default (8h), capped at the role's policy maximum;
asking for more than the maximum is refused before anything is sent. What the policy asks
for (a justification, a ticket) must be given, or nothing is sent.

--at starts it later (local time: 08:30 today, or 2026-12-02T08:30): Azure holds the request
and activates the role at that time on its own, even with this computer off; the duration
counts from the start. 'pimtray cancel ROLE' withdraws it.

Exit codes: 0 active (newly or already) or scheduled, 3 pending approval, 1 failed, 2 bad
input (nothing was sent).`,
		Example: `  pimtray activate "Global Administrator" --reason "patch night"
  pimtray activate Owner --scope IT --for 2h --reason deploy
  pimtray activate Contributor --scope MySubscription --reason change --ticket CHG-1234
  pimtray activate "Global Administrator" --at 08:30 --reason "morning"`,
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: r.completeRole(false),
		RunE:              runE(o, &o.Args, runF, r.activate),
	}
	f := cmd.Flags()
	f.StringVar(&o.Scope, "scope", "", "the scope: its `NAME|ID` (a subscription, resource group, group, …)")
	f.StringVar(&o.For, "for", "", "how long: `DURATION` such as 8h, 90m, 1h30m or PT8H")
	f.StringVar(&o.Reason, "reason", "", "the justification `TEXT`")
	f.StringVar(&o.Ticket, "ticket", "", "the ticket `NUMBER`")
	f.StringVar(&o.TicketSystem, "ticket-system", "", "the ticket system's `NAME` (with --ticket)")
	f.StringVar(&o.At, "at", "", "start later, at `TIME` (local): 08:30 today or 2026-12-02T08:30")
	f.BoolVar(&o.JSON, "json", false, "print JSON for scripts")
	_ = cmd.RegisterFlagCompletionFunc("scope", r.completeScope)
	for _, name := range []string{"for", "reason", "ticket", "ticket-system", "at"} {
		_ = cmd.RegisterFlagCompletionFunc(name, cobra.NoFileCompletions)
	}
	return cmd
}

func (r *runner) activate(o *activateOptions) int {
	scope, reason, ticket, ticketSystem, forText, asJSON, pos := o.Scope, o.Reason, o.Ticket, o.TicketSystem, o.For, o.JSON, o.Args
	var err error
	if len(pos) != 1 {
		return r.usage(roleArgMessage("activate", pos))
	}
	var dur time.Duration
	if forText != "" {
		if dur, err = parseDuration(forText); err != nil {
			return r.usage(err.Error())
		}
	}
	if ticketSystem != "" && ticket == "" {
		return r.usage("--ticket-system needs --ticket NUMBER")
	}
	if code, ok := r.open(); !ok {
		return code
	}
	var startAt time.Time
	if o.At != "" {
		if startAt, err = parseAt(o.At, r.eng.Snapshot().Now, r.loc()); err != nil {
			return r.usage(err.Error())
		}
	}
	it, code, ok := r.matchRole(pos[0], scope, false)
	if !ok {
		return code
	}
	wait := r.env.WaitNotice
	if wait <= 0 {
		wait = DefaultWaitNotice
	}
	told := make(chan struct{})
	waiting := time.AfterFunc(wait, func() {
		defer close(told)
		fmt.Fprintf(r.stderr, "pimtray: still waiting for Azure to answer for %s…\n", it.Role.Label())
	})
	res, err := r.eng.ActivateNow(r.ctx, it.Key, engine.ActivateOptions{
		Duration: dur, Justification: reason, TicketNumber: ticket, TicketSystem: ticketSystem, StartAt: startAt,
		Interactive: true, // the user's command: a step-up sign-in may open
	})
	if !waiting.Stop() {
		<-told // its line is written before anything that follows
	}
	if err != nil {
		var ie *engine.InputError
		if errors.As(err, &ie) {
			msg := ie.Msg
			switch {
			case ie.Field == engine.FieldJustification:
				msg += " Add --reason TEXT."
			case ie.Field == engine.FieldTicket:
				msg += " Add --ticket NUMBER."
			case ie.Max > 0:
				msg += fmt.Sprintf(" Ask for --for %s or less.", engine.FormatDuration(ie.Max))
			}
			return r.fail(ExitUsage, msg)
		}
		return r.failed("could not activate "+it.Role.Label()+": ", err)
	}
	now := r.eng.Snapshot().Now
	code = ExitOK
	if res.Activation.Status == pim.StatusPending {
		code = ExitPending
	}
	if asJSON {
		out := itemIn(r.eng.Snapshot(), it)
		if out.Policy == nil {
			if p, ok := r.eng.Policy(r.ctx, it.Key); ok {
				out.Policy = &p
			}
		}
		j := toJSON(out, now)
		if st := res.Activation.Status; st == pim.StatusPending || st == pim.StatusScheduled {
			j.Status = string(st)
		}
		if r.printJSON(j) != ExitOK {
			return ExitFailed
		}
		return code
	}
	r.demoLine()
	name := it.Role.Label()
	a := res.Activation
	switch {
	case a.Status == pim.StatusPending && !startAt.IsZero():
		fmt.Fprintf(r.stdout, "%s: request sent to start %s; it waits for approval.\n", name, r.when(a.StartsAt, now))
	case a.Status == pim.StatusPending:
		fmt.Fprintf(r.stdout, "%s: request sent; it waits for approval.\n", name)
	case a.Status == pim.StatusScheduled:
		fmt.Fprintf(r.stdout, "Scheduled %s from %s until %s (%s); Azure activates it then.\n", name, r.when(a.StartsAt, now),
			r.when(a.ExpiresAt, a.StartsAt), engine.FormatDuration(a.ExpiresAt.Sub(a.StartsAt)))
	case res.AlreadyActive && a.ExpiresAt.IsZero():
		fmt.Fprintf(r.stdout, "%s is already active.\n", name)
	case res.AlreadyActive:
		fmt.Fprintf(r.stdout, "%s is already active until %s (%s left).\n", name, r.when(a.ExpiresAt, now),
			engine.FormatRemaining(a.ExpiresAt.Sub(now)))
	case a.ExpiresAt.IsZero():
		fmt.Fprintf(r.stdout, "Activated %s.\n", name)
	default:
		fmt.Fprintf(r.stdout, "Activated %s until %s (%s).\n", name, r.when(a.ExpiresAt, now), engine.FormatDuration(res.Duration))
	}
	return code
}

// parseAt reads --at: "08:30" (today) or "2026-12-02T08:30" (also with a space, or seconds),
// in loc. A time not after now is refused: Azure would start it at once, not when asked.
func parseAt(text string, now time.Time, loc *time.Location) (time.Time, error) {
	text = strings.TrimSpace(text)
	ln := now.In(loc)
	var t time.Time
	var err error
	for _, layout := range []string{"15:04", "2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02 15:04:05"} {
		var p time.Time
		if p, err = time.ParseInLocation(layout, text, loc); err != nil {
			continue
		}
		t = p
		if layout == "15:04" {
			t = time.Date(ln.Year(), ln.Month(), ln.Day(), p.Hour(), p.Minute(), 0, 0, loc)
		}
		break
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("--at %q is not a time: give HH:MM (today) or YYYY-MM-DDTHH:MM, local time", text)
	}
	if !t.After(now) {
		return time.Time{}, fmt.Errorf("--at %s is in the past (it is %s now): give a later time, or a date: --at %sT%s",
			text, ln.Format("15:04"), ln.Add(24*time.Hour).Format("2006-01-02"), t.Format("15:04"))
	}
	return t, nil
}
