package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pimtray/pimtray/internal/engine/roles"
	"github.com/pimtray/pimtray/pim"
)

// mfaClaims asks the identity platform for a token that proves MFA (an MfaRule refusal
// carries no claims of its own).
const mfaClaims = `{"access_token":{"amr":{"essential":true,"values":["mfa"]}}}`

// ActivateOptions are the choices of one activation. The zero value is background work:
// no dialog, no sign-in window, the favourite's or default duration.
type ActivateOptions struct {
	// Duration asked; 0: the favourite's, else the configured default, capped at the policy
	// maximum. A Duration over the maximum is refused before anything is sent.
	Duration time.Duration
	// Justification, TicketNumber and TicketSystem override the favourite's.
	Justification, TicketNumber, TicketSystem string
	// StartAt schedules the activation; zero: now.
	StartAt time.Time
	// Interactive lets a step-up (MFA, authentication context) open a sign-in window:
	// a user's click or command. Background work leaves it false.
	Interactive bool
	// Prompt lets the engine ask the Prompter for a missing justification or ticket.
	Prompt bool
	// SignIn lets the engine sign in first when the tenant needs it (a click on "needs sign-in").
	SignIn bool

	// typed is what the user typed for this activation before it (one question for all the
	// favourites): saved to the favourite once Azure accepts it.
	typed Answers
}

// Result is the outcome of an activation.
type Result struct {
	// Activation is what Azure answered: Status active (StartsAt/ExpiresAt set) or pending.
	Activation pim.Activation
	// AlreadyActive: the role was active already (RoleAssignmentExists); Activation is the
	// running one as far as known.
	AlreadyActive bool
	// Duration is what was asked.
	Duration time.Duration
	// Restarted: a re-activation deactivated and activated again.
	Restarted bool
	// ScheduledAt: a re-activation will be sent by the engine at this time (when the current
	// activation ends), because Azure refused to extend it earlier.
	ScheduledAt time.Time
}

// Activate activates the role in the background, as a click does: exactly one request,
// nothing if the role is active, pending or already in flight; asks for a missing
// justification or ticket; steps up once when Azure asks for MFA or an authentication context.
func (e *Engine) Activate(key string) {
	e.mu.Lock()
	ts, known := e.tenantOfLocked(key)
	_, busy := e.roles.InFlight(key)
	now := e.now()
	skip := busy
	if known && !busy {
		if _, ok := e.currentLocked(ts, key, now); ok {
			skip = true
		} else if _, ok := e.pendingLocked(ts, key, now); ok {
			skip = true
		} else if _, ok := e.scheduledLocked(ts, key, now); ok {
			skip = true
		}
	}
	if !skip {
		e.roles.SetInFlight(key, roles.Op(StateActivating)) // at once, so a second click finds it in flight
	}
	e.mu.Unlock()
	if skip {
		e.log.Debug("click ignored: active, pending, scheduled or in flight", "key", key)
		return
	}
	e.signal()
	e.goBackground(func(ctx context.Context) {
		res, err := e.activateNow(ctx, key, ActivateOptions{Interactive: true, Prompt: true, SignIn: true}, true)
		if err == nil && res.Activation.Status == pim.StatusPending {
			// The menu has closed by now: say where the request went.
			name := keyLabelOf(e, key)
			e.notify(e.newNotice(NoticePending, key, name+": request sent", "It waits for approval; pimtray tells you when it is decided.", nil))
		}
		e.tellFailure(key, "Could not activate", err)
	})
}

// begin starts an operation on key: it finds the role, puts key in flight as op (so a second
// click finds it busy) and clears its last problem. marked says the caller put key in flight
// already; otherwise a key in flight is ErrInFlight. A role not (yet) known is an *InputError
// and leaves key out of flight. read, when not nil, runs under the engine's lock once key is
// in flight, to take what the operation needs from the state.
func (e *Engine) begin(key string, op ItemState, marked bool, read func(ts *tenantState)) (pim.Role, *tenantState, error) {
	e.mu.Lock()
	role, ts, ok := e.roleLocked(key)
	if _, busy := e.roles.InFlight(key); busy && !marked {
		e.mu.Unlock()
		return pim.Role{}, nil, ErrInFlight
	}
	if !ok {
		e.roles.Done(key)
		e.mu.Unlock()
		e.signal()
		return pim.Role{}, nil, &InputError{Msg: "You are not eligible for " + keyLabel(key) + " (or it is not known yet)."}
	}
	e.roles.SetInFlight(key, roles.Op(op))
	if read != nil {
		read(ts)
	}
	e.roles.ClearProblem(key)
	e.mu.Unlock()
	e.signal()
	return role, ts, nil
}

// markInFlight puts key in flight as op for work about to start in the background, and
// reports false (doing nothing) when key is in flight already.
func (e *Engine) markInFlight(key string, op ItemState) bool {
	e.mu.Lock()
	started := e.roles.Begin(key, roles.Op(op))
	e.mu.Unlock()
	if !started {
		return false
	}
	e.signal()
	return true
}

// ActivateNow activates the role and returns Azure's answer: the command line's path,
// sharing every decision with the tray's click. It sends nothing when a request for the
// role is already in flight (ErrInFlight) or the input is bad (*InputError).
func (e *Engine) ActivateNow(ctx context.Context, key string, o ActivateOptions) (Result, error) {
	return e.activateNow(ctx, key, o, false)
}

// activateNow runs one activation; marked says the caller already put key in flight.
func (e *Engine) activateNow(ctx context.Context, key string, o ActivateOptions, marked bool) (Result, error) {
	role, ts, err := e.begin(key, StateActivating, marked, nil)
	if err != nil {
		return Result{}, err
	}

	res, err := e.activateRole(ctx, ts, role, o)

	e.mu.Lock()
	e.roles.Done(key)
	e.recordActivationLocked(ts, role, res, err)
	e.mu.Unlock()
	e.saveState()
	e.signal()
	return res, err
}

// activateRole decides and sends one activation (and at most one step-up retry). The role
// must be marked in flight by the caller.
func (e *Engine) activateRole(ctx context.Context, ts *tenantState, role pim.Role, o ActivateOptions) (Result, error) {
	key := role.Key()
	if o.SignIn && !e.signedIn(ts) {
		if ts.b.Auth == nil {
			return Result{}, &pim.Error{Kind: pim.KindSignInNeeded, Text: "Sign in needed for " + tenantLabel(ts) + "."}
		}
		if _, err := e.signIn(ctx, ts, SignInOptions{}); err != nil {
			return Result{}, err
		}
	}
	pol, known := e.policyFor(ctx, ts, role)

	e.mu.Lock()
	fav, _ := e.favouriteLocked(key)
	dur := o.Duration
	explicit := dur > 0
	if !explicit {
		dur = e.cfg.DefaultDuration.D()
		if fav.Duration > 0 {
			dur = fav.Duration.D()
		}
		if dur <= 0 {
			dur = DefaultDuration
		}
	}
	e.mu.Unlock()
	if explicit {
		if err := checkDuration(dur); err != nil {
			return Result{}, err
		}
	}
	if known && pol.MaxDuration > 0 && dur > pol.MaxDuration {
		if explicit {
			return Result{}, &InputError{Max: pol.MaxDuration, Msg: fmt.Sprintf("%s allows at most %s; %s was asked.",
				role.Label(), FormatDuration(pol.MaxDuration), FormatDuration(dur))}
		}
		dur = pol.MaxDuration
	}
	req := pim.ActivateRequest{
		Role:          role,
		Justification: firstNonEmpty(o.Justification, fav.Justification),
		TicketNumber:  firstNonEmpty(o.TicketNumber, fav.TicketNumber),
		TicketSystem:  firstNonEmpty(o.TicketSystem, fav.TicketSystem),
		Duration:      dur,
		StartAt:       o.StartAt,
	}
	typed := o.typed // what the user typed, saved to the favourite once Azure accepts it
	if known {
		// The engine's copy of the policy: the client then reads nothing before the
		// activation (a warm click is one request, however old the client's own copy).
		p := pol
		p.Known = true
		req.Policy = &p
		if err := e.fillRequired(ctx, role, &req, pol.Justification, pol.Ticket, o.Prompt, &typed); err != nil {
			return Result{}, err
		}
	}

	act, err := e.send(ctx, ts, &req)
	steppedUp, asked, capped := false, false, false
	for err != nil {
		switch claims, step := claimsFor(err, pol); {
		case step && !steppedUp && o.Interactive:
			// Azure wants a token with MFA or an authentication context: one interactive
			// sign-in with those claims, then the same request once more.
			steppedUp = true
			e.log.Info("step-up sign-in for activation", "role", role.Label())
			e.notify(e.stepUpNotice(role, claims))
			act, err = e.send(e.interactive(ctx, claims), ts, &req)
			continue
		case step && !o.Interactive:
			// Background work never opens a sign-in window: the item asks for a click instead.
			e.mu.Lock()
			_, running := e.currentLocked(ts, key, e.now())
			e.roles.Failed(key, itemProblem{Text: role.Label() + " needs a fresh sign-in (MFA or an authentication context): click it to continue.",
				SignIn: true, WhileActive: running}, true)
			e.mu.Unlock()
			e.notify(e.newNotice(NoticeSignInNeeded, key, role.Label()+" needs a fresh sign-in",
				"Click it in the pimtray menu to sign in again and activate it.", nil))
			return Result{}, &Failure{Msg: role.Label() + " needs a fresh sign-in; click it in the menu to continue.", Err: err}
		}
		// The policy could not be read before: Azure's answer says what is missing.
		if rules := policyRules(err); !asked && (slices.Contains(rules, pim.RuleJustification) || slices.Contains(rules, pim.RuleTicketing)) {
			asked = true
			req.Justification, req.TicketNumber = strings.TrimSpace(req.Justification), strings.TrimSpace(req.TicketNumber)
			needJ := slices.Contains(rules, pim.RuleJustification) && req.Justification == ""
			needT := slices.Contains(rules, pim.RuleTicketing) && req.TicketNumber == ""
			if needJ || needT {
				if ferr := e.fillRequired(ctx, role, &req, needJ, needT, o.Prompt, &typed); ferr != nil {
					return Result{}, ferr
				}
				act, err = e.send(ctx, ts, &req)
				continue
			}
		}
		// Asked for more than allowed without saying so: take the maximum Azure named.
		var pe *pim.Error
		if !explicit && !capped && errors.As(err, &pe) && slices.Contains(pe.Rules, pim.RuleExpiration) && pe.Max > 0 && pe.Max < req.Duration {
			capped = true
			req.Duration = pe.Max
			act, err = e.send(ctx, ts, &req)
			continue
		}
		break
	}
	res := Result{Activation: act, Duration: req.Duration}
	if err == nil {
		res.Activation = e.completeActivation(act, req)
		e.rememberAnswers(key, Answers{Justification: req.Justification, TicketNumber: req.TicketNumber, TicketSystem: req.TicketSystem}, typed)
		return res, nil
	}
	if errors.Is(err, pim.ErrNotFound) {
		// Azure knows no such eligibility (any more): what pimtray knew was stale. Read the
		// plane again so the menu and the next command know what is true.
		if rerr := e.refreshTenant(ctx, ts, []pim.Plane{role.Plane}); rerr != nil {
			e.log.Info("refresh after an unknown eligibility failed", "err", rerr)
		}
	}
	if errors.Is(err, pim.ErrAlreadyActive) {
		// Already active counts as active: read the plane again for its end time.
		if rerr := e.refreshTenant(ctx, ts, []pim.Plane{role.Plane}); rerr != nil {
			e.log.Info("refresh after already-active failed", "err", rerr)
		}
		e.mu.Lock()
		cur, ok := e.currentLocked(ts, key, e.now())
		e.mu.Unlock()
		if !ok {
			cur = pim.Activation{Role: role, Status: pim.StatusActive}
		}
		return Result{Activation: cur, AlreadyActive: true, Duration: req.Duration}, nil
	}
	return res, fmt.Errorf("activate %s: %w", role.Label(), err)
}

// send checks and cleans the request (checkRequest), then sends it; nothing is sent when the
// check fails.
func (e *Engine) send(ctx context.Context, ts *tenantState, req *pim.ActivateRequest) (pim.Activation, error) {
	if err := checkRequest(req); err != nil {
		return pim.Activation{}, err
	}
	return ts.b.API.Activate(ctx, *req)
}

// completeActivation fills what Azure's answer may leave out: the role, the start, the end.
func (e *Engine) completeActivation(act pim.Activation, req pim.ActivateRequest) pim.Activation {
	if act.Role.RoleID == "" {
		act.Role = req.Role
	}
	if act.Role.TenantID == "" {
		act.Role.TenantID = req.Role.TenantID
	}
	if act.Status == "" {
		act.Status = pim.StatusActive
	}
	if act.StartsAt.IsZero() {
		act.StartsAt = req.StartAt
		if act.StartsAt.IsZero() {
			act.StartsAt = e.now()
		}
	}
	if act.ExpiresAt.IsZero() && (act.Status == pim.StatusActive || act.Status == pim.StatusScheduled) && act.AssignmentType != "Assigned" {
		act.ExpiresAt = act.StartsAt.Add(req.Duration)
	}
	return act
}

// recordActivationLocked remembers what an activation did, trusting it over the listings.
func (e *Engine) recordActivationLocked(ts *tenantState, role pim.Role, res Result, err error) {
	key := role.Key()
	now := e.now()
	switch {
	case err == nil && res.AlreadyActive:
		e.roles.Activated(key, ts.listing(), now, res.Activation, true)
	case err == nil && !res.ScheduledAt.IsZero():
		e.roles.Used(key, now) // nothing sent yet
	case err == nil && res.Activation.Status == pim.StatusPending:
		e.roles.Activated(key, ts.listing(), now, res.Activation, false)
		if e.nextPoll.IsZero() {
			e.nextPoll = now.Add(PendingPollInterval)
		}
	case err == nil:
		e.roles.Activated(key, ts.listing(), now, res.Activation, false)
		e.signInWorkedLocked(ts, role.Plane)
	case errors.Is(err, ErrCancelled), errors.Is(err, ErrInFlight), IsInput(err):
		// Nothing was sent; nothing to show.
	case errors.Is(err, pim.ErrSignInNeeded):
		e.markSignInNeededLocked(ts, key, role.Plane)
	default:
		_, running := e.currentLocked(ts, key, now)
		e.roles.Failed(key, itemProblem{Text: HumanError(err), WhileActive: running}, false)
	}
}

// claimsFor tells whether err asks for a step-up sign-in and with which claims.
func claimsFor(err error, pol pim.Policy) (string, bool) {
	var pe *pim.Error
	if !errors.As(err, &pe) {
		return "", false
	}
	switch {
	case pe.Kind == pim.KindAuthContext:
		if pe.Claims != "" {
			return pe.Claims, true
		}
		if pol.AuthContext != "" {
			return `{"access_token":{"acrs":{"essential":true,"value":"` + pol.AuthContext + `"}}}`, true
		}
		return "", true
	case pe.Kind == pim.KindPolicy && slices.Contains(pe.Rules, pim.RuleMFA):
		return mfaClaims, true
	}
	return "", false
}

func policyRules(err error) []string {
	var pe *pim.Error
	if errors.As(err, &pe) && pe.Kind == pim.KindPolicy {
		return pe.Rules
	}
	return nil
}

// interactive is ctx allowed to open a sign-in window, asking for claims when given.
func (e *Engine) interactive(ctx context.Context, claims string) context.Context {
	if e.opts.Interactive != nil {
		ctx = e.opts.Interactive(ctx)
	}
	if claims != "" {
		ctx = pim.WithClaims(ctx, claims)
	}
	return ctx
}

// Deactivation is the outcome of DeactivateNow.
type Deactivation struct {
	// Withdrawn: the role was pending, and its open request was withdrawn instead.
	Withdrawn bool
	// NotActive: the role was not active (nothing to do).
	NotActive bool
	// Gone (with NotActive): it was active, long enough to be deactivated, and Azure has no
	// such activation any more: another process (a second command, the portal) deactivated
	// it a moment ago, or it ended.
	Gone bool
}

// Deactivate ends the role's activation (or withdraws its open request) in the background.
func (e *Engine) Deactivate(key string) {
	if !e.markInFlight(key, StateDeactivating) {
		return
	}
	e.goBackground(func(ctx context.Context) {
		_, err := e.deactivateNow(ctx, key, true)
		e.tellFailure(key, "Could not deactivate", err)
	})
}

// DeactivateNow ends the role's activation, or withdraws its open request, and returns when done.
func (e *Engine) DeactivateNow(ctx context.Context, key string) (Deactivation, error) {
	return e.deactivateNow(ctx, key, false)
}

func (e *Engine) deactivateNow(ctx context.Context, key string, marked bool) (Deactivation, error) {
	var active, pending bool
	var pend, cur pim.Activation
	role, ts, err := e.begin(key, StateDeactivating, marked, func(ts *tenantState) {
		now := e.now()
		cur, active = e.currentLocked(ts, key, now)
		pend, pending = e.pendingLocked(ts, key, now)
	})
	if err != nil {
		return Deactivation{}, err
	}

	var out Deactivation
	switch {
	case pending && !active:
		out.Withdrawn = true
		err = ts.b.API.Cancel(ctx, pend)
	default:
		err = ts.b.API.Deactivate(ctx, role)
		switch {
		case errors.Is(err, pim.ErrNotFound) && !active:
			out.NotActive, err = true, nil
		case errors.Is(err, pim.ErrNotFound) && !cur.StartsAt.IsZero() && e.now().Sub(cur.StartsAt) >= MinActiveForRestart:
			// Azure could have deactivated it, and has no such activation: deactivated
			// elsewhere a moment ago (or ended), not "still activating".
			out.NotActive, out.Gone, err = true, true, nil
		}
	}

	e.mu.Lock()
	e.roles.Done(key)
	now := e.now()
	switch {
	case err == nil:
		e.roles.Deactivated(key, now)
		ts.pending = slices.DeleteFunc(ts.pending, func(a pim.Activation) bool { return a.Role.Key() == key })
	case errors.Is(err, pim.ErrTooShort):
		err = &Failure{Msg: role.Label() + " can be deactivated only 5 minutes after it was activated; try again in a few minutes.", Err: err}
	case errors.Is(err, pim.ErrNotFound):
		err = &Failure{Msg: "Azure has not finished activating " + role.Label() + " yet; try again in a minute.", Err: err}
	case errors.Is(err, pim.ErrSignInNeeded):
		e.markSignInNeededLocked(ts, key, role.Plane)
		err = fmt.Errorf("deactivate %s: %w", role.Label(), err)
	default:
		err = fmt.Errorf("deactivate %s: %w", role.Label(), err)
	}
	e.mu.Unlock()
	e.saveState()
	e.signal()
	return out, err
}

// tellFailure raises a NoticeFailed for a foreground action that failed (the menu is closed
// by then), except when nothing went wrong from the user's view.
func (e *Engine) tellFailure(key, what string, err error) {
	if err == nil || errors.Is(err, ErrCancelled) || errors.Is(err, ErrInFlight) || errors.Is(err, pim.ErrSignInNeeded) {
		return
	}
	e.log.Warn(what+" "+keyLabelOf(e, key), "key", key, "err", err)
	e.notify(e.newNotice(NoticeFailed, key, what+" "+keyLabelOf(e, key), HumanError(err), nil))
}

// HumanError is the one sentence of an error for people, without Go's wrapping prefixes: the
// engine's own message for a *Failure or *InputError, else the *pim.Error's sentence.
func HumanError(err error) string {
	var f *Failure
	if errors.As(err, &f) {
		return f.Msg
	}
	var ie *InputError
	if errors.As(err, &ie) {
		return ie.Msg
	}
	var pe *pim.Error
	if errors.As(err, &pe) {
		return pe.Error()
	}
	return err.Error()
}

func (e *Engine) tenantOfLocked(key string) (*tenantState, bool) {
	_, ts, ok := e.roleLocked(key)
	return ts, ok
}

func (e *Engine) signedIn(ts *tenantState) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return ts.signedIn && !ts.needsSignIn
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// keyLabel is a readable name for a key when its role is unknown: "Owner on IT".
func keyLabel(key string) string {
	parts := strings.Split(key, "|")
	if len(parts) == 4 {
		return parts[2] + " on " + parts[3]
	}
	return key
}

func keyLabelOf(e *Engine, key string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if r, _, ok := e.roleLocked(key); ok {
		return r.Label()
	}
	for _, f := range e.cfg.Favourites {
		if f.Key == key {
			return favouriteRole(f).Label()
		}
	}
	return keyLabel(key)
}

func equalFold(a, b string) bool {
	return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}
