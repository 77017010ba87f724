package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/pimtray/pimtray/internal/engine/roles"
	"github.com/pimtray/pimtray/pim"
	"github.com/pimtray/pimtray/store"
)

// Answers are what an activation carried besides its role and duration: the justification
// and the ticket. The engine keeps the last ones sent for each role (in its record), so a
// re-activation (the reminder's button, a keep-alive) sends them again without asking, and
// saves what the user typed for a favourite into the favourite, so the next click asks nothing.
type Answers = roles.Answers

// Form is several questions asked in one dialog: a role that needs a justification and a
// ticket gets one window, not two.
type Form struct {
	Key       string     // the role's key
	Role      string     // the role's label
	Title     string     // dialog title: "Activate Contributor · MySubscription"
	Text      string     // what the dialog says above its fields
	Questions []Question // one per field, in order; Question.Default is the saved answer
}

// FormPrompter is a Prompter that can ask a Form in one dialog. answers has one entry per
// question, in order (an empty entry: the question's Default stands). ok is false when the
// user cancelled. A Prompter without it gets one Ask per field.
type FormPrompter interface {
	AskForm(ctx context.Context, f Form) (answers []string, ok bool, err error)
}

// PromptChecker is a Prompter that can tell, without showing anything, whether it could
// show a dialog now (a display and a dialog program). nil: it can. The engine asks before
// offering a "Re-activate" that would need a dialog.
type PromptChecker interface {
	CanPrompt() error
}

// ErrNoDialog is what a Prompter's error wraps when no dialog can be shown at all (no
// display, no dialog program): the engine then says how to activate anyway.
const ErrNoDialog = sentinel("no input dialog available")

// canPrompt reports whether a dialog could be shown now.
func (e *Engine) canPrompt() bool {
	if e.prompter == nil {
		return false
	}
	if c, ok := e.prompter.(PromptChecker); ok {
		return c.CanPrompt() == nil
	}
	return true
}

// lastAnswersLocked are the answers to reuse for key: the last ones sent, else the favourite's.
func (e *Engine) lastAnswersLocked(key string) Answers {
	a := e.roles.Of(key).Answers
	if f, ok := e.favouriteLocked(key); ok {
		a.Justification = firstNonEmpty(a.Justification, f.Justification)
		a.TicketNumber = firstNonEmpty(a.TicketNumber, f.TicketNumber)
		a.TicketSystem = firstNonEmpty(a.TicketSystem, f.TicketSystem)
	}
	return a
}

// rememberAnswers keeps what an accepted activation sent, and saves what the user typed
// into the role's favourite (through SaveConfig) so the next click asks nothing.
func (e *Engine) rememberAnswers(key string, sent, typed Answers) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !sent.Empty() {
		e.roles.SetAnswers(key, sent)
	}
	if typed.Empty() {
		return
	}
	for _, f := range e.cfg.Favourites {
		if f.Key != key {
			continue
		}
		e.log.Info("saved the answers to the favourite", "role", f.Role, "justification", typed.Justification != "", "ticket", typed.TicketNumber != "")
		e.editConfigLocked(func(c *store.Config) {
			for i, f := range c.Favourites {
				if f.Key != key {
					continue
				}
				if typed.Justification != "" {
					f.Justification = typed.Justification
				}
				if typed.TicketNumber != "" {
					f.TicketNumber = typed.TicketNumber
					if typed.TicketSystem != "" {
						f.TicketSystem = typed.TicketSystem
					}
				}
				c.Favourites[i] = f
			}
		})
		return
	}
}

// needsDialogLocked reports whether re-activating key would have to ask (the policy wants
// a justification or ticket that no saved or last answer carries).
func (e *Engine) needsDialogLocked(key string) bool {
	p, ok := e.roles.Policy(key)
	if !ok || !p.Known {
		return false
	}
	a := e.lastAnswersLocked(key)
	return (p.Policy.Justification && a.Justification == "") || (p.Policy.Ticket && a.TicketNumber == "")
}

// fillRequired asks for the justification and ticket the policy requires and the request
// lacks — both in one dialog when both are needed and the Prompter can — or fails with an
// *InputError when it may not ask. What the user typed is added to typed.
func (e *Engine) fillRequired(ctx context.Context, role pim.Role, req *pim.ActivateRequest, needJustification, needTicket bool, prompt bool, typed *Answers) error {
	missJ := needJustification && strings.TrimSpace(req.Justification) == ""
	missT := needTicket && strings.TrimSpace(req.TicketNumber) == ""
	if !missJ && !missT {
		return nil
	}
	if !prompt || e.prompter == nil {
		f, what := FieldJustification, "a justification"
		if !missJ {
			f, what = FieldTicket, "a ticket number"
		}
		if missJ && missT {
			what = "a justification and a ticket number"
		}
		return &InputError{Field: f, Msg: role.Label() + " requires " + what + "."}
	}
	e.mu.Lock()
	last := e.lastAnswersLocked(role.Key())
	e.mu.Unlock()
	if fp, ok := e.prompter.(FormPrompter); ok && missJ && missT {
		f := Form{Key: role.Key(), Role: role.Label(), Title: "Activate " + role.Label(),
			Text: role.Label() + " requires a justification and a ticket number.",
			Questions: []Question{
				e.question(role, FieldJustification, last.Justification),
				e.question(role, FieldTicket, last.TicketNumber),
			}}
		e.promptMu.Lock()
		ans, ok, err := fp.AskForm(ctx, f)
		e.promptMu.Unlock()
		if err != nil {
			return e.promptFailed(role, "a justification and a ticket number", err)
		}
		if !ok || len(ans) != 2 {
			return ErrCancelled
		}
		j, t := firstNonEmpty(ans[0], last.Justification), firstNonEmpty(ans[1], last.TicketNumber)
		if j == "" || t == "" {
			return ErrCancelled
		}
		req.Justification, req.TicketNumber = j, t
		typed.Justification, typed.TicketNumber = j, t
		return nil
	}
	if missJ {
		ans, err := e.ask(ctx, role, FieldJustification, last.Justification)
		if err != nil {
			return err
		}
		req.Justification, typed.Justification = ans, ans
	}
	if missT {
		ans, err := e.ask(ctx, role, FieldTicket, last.TicketNumber)
		if err != nil {
			return err
		}
		req.TicketNumber, typed.TicketNumber = ans, ans
	}
	return nil
}

func (e *Engine) question(role pim.Role, f Field, def string) Question {
	q := Question{Key: role.Key(), Role: role.Label(), Field: f, Default: def}
	switch f {
	case FieldTicket:
		q.Title = "Ticket for " + role.Label()
		q.Text = role.Label() + " requires a ticket number. Which ticket is this for?"
		q.Label = "Ticket number"
	default:
		q.Title = "Justification for " + role.Label()
		q.Text = role.Label() + " requires a justification. Why do you need it?"
		q.Label = "Justification"
	}
	return q
}

// ask asks one question; def is pre-filled (the saved or last answer).
func (e *Engine) ask(ctx context.Context, role pim.Role, f Field, def string) (string, error) {
	what := "a justification"
	if f == FieldTicket {
		what = "a ticket number"
	}
	q := e.question(role, f, def)
	e.promptMu.Lock()
	defer e.promptMu.Unlock()
	ans, ok, err := e.prompter.Ask(ctx, q)
	if err != nil {
		return "", e.promptFailed(role, what, err)
	}
	if !ok || strings.TrimSpace(ans) == "" {
		return "", ErrCancelled
	}
	return strings.TrimSpace(ans), nil
}

// promptFailed is the error of a dialog that could not be shown: with no dialog at all, a
// sentence that says how to fix it (install one, or the command line with --reason), logged.
func (e *Engine) promptFailed(role pim.Role, what string, err error) error {
	e.log.Warn("could not ask for "+what, "role", role.Label(), "err", err)
	if !errors.Is(err, ErrNoDialog) {
		return fmt.Errorf("ask for %s: %w", what, err)
	}
	return &Failure{Msg: "pimtray could not ask for " + what + ": " + noDialogReason(err) + " Install zenity or kdialog, or run: " + cliHint(role, what), Err: err}
}

// noDialogReason is why no dialog could be shown, as a sentence: "No input dialog program
// is installed." or the dialog's own reason ("There is no graphical display to show it on.").
func noDialogReason(err error) string {
	_, r, _ := strings.Cut(err.Error(), ErrNoDialog.Error())
	r = strings.TrimSpace(strings.TrimPrefix(r, ":"))
	if r == "" || strings.HasPrefix(r, "install ") {
		return "no input dialog program is installed."
	}
	return r + "."
}

// cliHint is the command that activates role with what it needs from a terminal.
func cliHint(role pim.Role, what string) string {
	cmd := "pimtray activate " + quoteArg(role.RoleName)
	if role.Plane == pim.PlaneAzure || role.Plane == pim.PlaneGroup {
		if s := firstNonEmpty(role.ScopeName, role.Scope); s != "" && s != "/" {
			cmd += " --scope " + quoteArg(s)
		}
	}
	if strings.Contains(what, "justification") {
		cmd += ` --reason "…"`
	}
	if strings.Contains(what, "ticket") {
		cmd += ` --ticket "…"`
	}
	return cmd
}

func quoteArg(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\"'$`\\|&;<>()*?[]#~") {
		return s
	}
	return `"` + strings.NewReplacer(`"`, `\"`, `\`, `\\`, "$", `\$`, "`", "\\`").Replace(s) + `"`
}
