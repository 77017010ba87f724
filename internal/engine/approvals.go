package engine

// The approver's side: the requests other users made that wait for the signed-in user, polled
// with the background refresh, announced once each, decided from the tray, a notification's
// button or the command line.
//
// What the polling costs (the rule, per tenant and plane; pollRule below):
//   - a plane that answered 403 or 404 (no permission, no such API) is said once and not
//     asked again until the next sign-in;
//   - a plane where something waited for the user since pimtray started is listed with every
//     refresh: one request (more only to follow paging);
//   - a plane that has had nothing for the user is listed at most once an hour
//     (ApprovalIdlePoll): an administrator who approves nothing there pays one request an hour;
//   - a refresh someone asked for (the menu's Refresh, a wake from sleep) lists every plane that
//     can be listed.
// The command line lists every plane not unavailable when asked (pimtray approvals).

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pimtray/pimtray/internal/engine/roles"
	"github.com/pimtray/pimtray/pim"
)

// ApprovalIdlePoll is how often a plane that has had nothing waiting for the user is listed.
const ApprovalIdlePoll = time.Hour

// Notice kinds and actions of the approver's side.
const (
	NoticeApproval         NoticeKind = "approval"          // a request waits for your decision
	NoticeDecidedElsewhere NoticeKind = "decided-elsewhere" // it was decided (or expired) elsewhere
	NoticeDecided          NoticeKind = "decided"           // your decision was taken

	ActionApprove = "approve"
	ActionDeny    = "deny"
)

// Approval is a request by another user waiting for the signed-in user's decision, as the tray
// and the command line show it.
type Approval struct {
	// ID is the short id the command line takes: the first 8 characters of the request's GUID.
	ID         string    `json:"id"`
	RequestID  string    `json:"requestId"`
	TenantID   string    `json:"tenantId,omitempty"`
	TenantName string    `json:"tenantName,omitempty"`
	Plane      pim.Plane `json:"plane"`
	// Requester is the display name of who asks, RequesterUPN their sign-in name.
	Requester     string        `json:"requester"`
	RequesterUPN  string        `json:"requesterUpn,omitempty"`
	Role          string        `json:"role"`
	Scope         string        `json:"scope"`
	ScopeID       string        `json:"scopeId,omitempty"`
	Justification string        `json:"justification,omitempty"`
	TicketNumber  string        `json:"ticketNumber,omitempty"`
	TicketSystem  string        `json:"ticketSystem,omitempty"`
	StartsAt      time.Time     `json:"startsAt,omitzero"`
	Duration      time.Duration `json:"duration,omitempty"`
	CreatedAt     time.Time     `json:"createdAt,omitzero"`
	ExpiresAt     time.Time     `json:"expiresAt,omitzero"`
	// API is what a decision goes through: "beta" (Entra roles: Graph beta only), "v1.0" (Groups),
	// "2021-01-01-preview" (Azure).
	API string `json:"api"`
	// Deciding: a decision is on its way.
	Deciding bool `json:"deciding,omitempty"`
}

// RoleLabel is "Role · Scope" ("User Administrator" for a directory-wide Entra role).
func (a Approval) RoleLabel() string {
	if a.Plane == pim.PlaneEntra && (a.ScopeID == "/" || a.ScopeID == "") || a.Scope == "" {
		return a.Role
	}
	return a.Role + " · " + a.Scope
}

// ApprovalPlane is a plane where the user's approvals cannot be listed (said once).
type ApprovalPlane struct {
	TenantID string    `json:"tenantId"`
	Plane    pim.Plane `json:"plane"`
	Message  string    `json:"message"`
}

// approverPlane is what the engine knows of one plane's approvals in one tenant.
type approverPlane struct {
	unavailable string    // why the plane cannot be listed (until the next sign-in); "" if it can
	had         bool      // something waited for the user here since start
	polled      time.Time // the last listing's start
}

// pollRule picks the planes to list now (see the file comment).
func pollRule(planes []pim.Plane, known map[pim.Plane]*approverPlane, now time.Time, all bool) []pim.Plane {
	var out []pim.Plane
	for _, p := range planes {
		k := known[p]
		switch {
		case k == nil:
			out = append(out, p)
		case k.unavailable != "":
		case all || k.had || now.Sub(k.polled) >= ApprovalIdlePoll:
			out = append(out, p)
		}
	}
	return out
}

func shortID(id string) string {
	id = id[strings.LastIndex(id, "/")+1:]
	if len(id) > 8 {
		return strings.ToLower(id[:8])
	}
	return strings.ToLower(id)
}

func approvalKey(a pim.ApprovalRequest) string {
	return "approval|" + strings.ToLower(a.TenantID+"|"+a.ID)
}

// pollApprovals lists what waits for the user in every tenant (the planes pollRule picks; all
// that can be listed when all), then announces what is new and what went away unseen.
func (e *Engine) pollApprovals(ctx context.Context, all bool) []error {
	e.mu.Lock()
	tenants := slices.Clone(e.tenants)
	e.mu.Unlock()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for _, ts := range tenants {
		ap, ok := ts.b.API.(pim.Approver)
		if !ok {
			continue
		}
		e.mu.Lock()
		if ts.approver == nil {
			ts.approver = map[pim.Plane]*approverPlane{}
		}
		planes := pollRule(ts.b.Planes, ts.approver, e.now(), all)
		if len(ts.b.Planes) == 0 {
			planes = pollRule(pim.Planes(), ts.approver, e.now(), all)
		}
		ready := ts.signedIn && !ts.needsSignIn
		e.mu.Unlock()
		if !ready {
			errs = append(errs, &pim.Error{Kind: pim.KindSignInNeeded, Text: "Sign in needed for " + tenantLabel(ts) + "."})
			continue
		}
		if len(planes) == 0 {
			continue
		}
		wg.Go(func() {
			tctx, cancel := context.WithTimeout(ctx, e.refreshTimeout())
			defer cancel()
			started := e.now()
			l, err := ap.Approvals(tctx, planes...)
			if l == nil {
				l = &pim.Approvals{Errors: map[pim.Plane]error{}}
			}
			e.applyApprovals(ts, planes, l, err, started)
			if err != nil && !pim.Unavailable(err) {
				mu.Lock()
				errs = append(errs, fmt.Errorf("list the requests waiting for you in %s: %w", tenantLabel(ts), err))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return errs
}

func (e *Engine) applyApprovals(ts *tenantState, planes []pim.Plane, l *pim.Approvals, err error, started time.Time) {
	var notices []Notice
	e.mu.Lock()
	now := e.now()
	byPlane := map[pim.Plane][]pim.ApprovalRequest{}
	for _, a := range l.Items {
		if a.TenantID == "" {
			a.TenantID = ts.id()
		}
		byPlane[a.Plane] = append(byPlane[a.Plane], a)
	}
	for _, p := range planes {
		k := ts.approver[p]
		if k == nil {
			k = &approverPlane{}
			ts.approver[p] = k
		}
		if perr := l.Errors[p]; perr != nil {
			if pim.Unavailable(perr) {
				k.unavailable = p.Title() + ": pimtray cannot list the requests waiting for you here (" + HumanError(perr) +
					"); not asked again until the next sign-in."
				e.log.Info("approvals unavailable on this plane until the next sign-in", "tenant", ts.b.ID, "plane", p, "err", perr)
				ts.approvals = slices.DeleteFunc(ts.approvals, func(a pim.ApprovalRequest) bool { return a.Plane == p })
			} else {
				e.log.Warn("listing approvals failed", "tenant", ts.b.ID, "plane", p, "err", perr)
			}
			continue // a passing failure keeps what was known
		}
		k.polled = started
		fresh := byPlane[p]
		if len(fresh) > 0 {
			k.had = true
		}
		// What went away without our decision was decided elsewhere (or expired).
		for _, old := range ts.approvals {
			if old.Plane != p || slices.ContainsFunc(fresh, func(a pim.ApprovalRequest) bool { return a.ID == old.ID }) {
				continue
			}
			key := approvalKey(old)
			if _, busy := e.roles.InFlight(key); busy {
				continue
			}
			notices = append(notices, e.withdrawApprovalLocked(key)...)
			notices = append(notices, e.newNoticeLocked(NoticeDecidedElsewhere, "", "", "No longer waiting for you",
				old.Label()+" was decided elsewhere, or expired.", nil, time.Time{}))
		}
		ts.approvals = slices.DeleteFunc(ts.approvals, func(a pim.ApprovalRequest) bool { return a.Plane == p })
		for _, a := range fresh {
			ts.approvals = append(ts.approvals, a)
			key := approvalKey(a)
			if _, told := e.told.sent[key]; told {
				continue
			}
			e.told.sent[key] = now
			who := firstNonEmpty(a.Requester.DisplayName, a.Requester.UserPrincipalName, "Someone")
			notices = append(notices, e.newNoticeLocked(NoticeApproval, key, "", who+" asks for your approval",
				approvalBody(a, now), []string{ActionApprove, ActionDeny}, time.Time{}))
		}
	}
	if err != nil && len(l.Items) == 0 {
		e.log.Warn("listing approvals failed", "tenant", ts.b.ID, "err", err)
	}
	e.mu.Unlock()
	for _, n := range notices {
		e.notify(n)
	}
}

// withdrawApprovalLocked takes the approval's notices off the screen.
func (e *Engine) withdrawApprovalLocked(key string) []Notice {
	var out []Notice
	for id, l := range e.told.live {
		if l.key == key {
			delete(e.told.live, id)
			out = append(out, Notice{ID: id, Kind: NoticeWithdrawn, Key: key})
		}
	}
	return out
}

// approvalBody is the notice's body: the role and scope, the duration, when it was asked, the
// requester's reason and ticket ("User Administrator, for 2 hours, asked 12 min ago. “…”").
func approvalBody(a pim.ApprovalRequest, now time.Time) string {
	parts := []string{a.Role.Label()}
	if a.Duration > 0 {
		parts = append(parts, "for "+inWords(a.Duration))
	}
	parts = append(parts, "asked "+Ago(now, a.CreatedAt))
	s := strings.Join(parts, ", ") + "."
	if a.Justification != "" {
		s += " “" + a.Justification + "”"
	}
	if a.TicketNumber != "" {
		s += " (" + strings.TrimSpace(a.TicketSystem+" "+a.TicketNumber) + ")"
	}
	return s
}

// Ago is "just now", "12 min ago", "3 h ago" for a time in the past.
func Ago(now, t time.Time) string {
	if t.IsZero() {
		return "a while ago"
	}
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d/time.Hour))
	}
	return fmt.Sprintf("%d days ago", int(d/(24*time.Hour)))
}

// approvalsLocked is the snapshot's list: oldest first.
func (e *Engine) approvalsLocked() ([]Approval, []ApprovalPlane) {
	var out []Approval
	var planes []ApprovalPlane
	for _, ts := range e.tenants {
		for _, a := range ts.approvals {
			out = append(out, Approval{ID: shortID(a.ID), RequestID: a.ID, TenantID: ts.id(), TenantName: ts.b.Name,
				Plane: a.Plane, Requester: firstNonEmpty(a.Requester.DisplayName, a.Requester.UserPrincipalName, a.Requester.ID),
				RequesterUPN: a.Requester.UserPrincipalName, Role: a.Role.RoleName, Scope: a.Role.ScopeName, ScopeID: a.Role.Scope,
				Justification: a.Justification, TicketNumber: a.TicketNumber, TicketSystem: a.TicketSystem,
				StartsAt: a.StartsAt, Duration: a.Duration, CreatedAt: a.CreatedAt, ExpiresAt: a.ExpiresAt, API: a.API,
				Deciding: e.roles.Of(approvalKey(a)).InFlight != ""})
		}
		for _, p := range pim.Planes() {
			if k := ts.approver[p]; k != nil && k.unavailable != "" {
				planes = append(planes, ApprovalPlane{TenantID: ts.id(), Plane: p, Message: k.unavailable})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out, planes
}

// RefreshApprovals lists what waits for the user on every plane that can be listed, now (the
// command line's pimtray approvals). The error is the first tenant's that could not be listed
// at all (sign-in needed, Azure unreachable); a plane without permission is no error
// (Snapshot.ApprovalPlanes says it).
func (e *Engine) RefreshApprovals(ctx context.Context) error {
	errs := e.pollApprovals(ctx, true)
	e.signal()
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}

// findApprovalLocked finds a waiting request by its short id, its GUID or its full id.
func (e *Engine) findApprovalLocked(id string) (*tenantState, pim.ApprovalRequest, error) {
	want := strings.ToLower(strings.TrimSpace(id))
	var found []pim.ApprovalRequest
	var where *tenantState
	for _, ts := range e.tenants {
		for _, a := range ts.approvals {
			full := strings.ToLower(a.ID)
			guid := full[strings.LastIndex(full, "/")+1:]
			if full == want || guid == want || (len(want) >= 4 && strings.HasPrefix(guid, want)) {
				found = append(found, a)
				where = ts
			}
		}
	}
	switch len(found) {
	case 0:
		return nil, pim.ApprovalRequest{}, &InputError{Msg: fmt.Sprintf("no request %q waits for your approval (pimtray approvals lists them)", id)}
	case 1:
		return where, found[0], nil
	}
	return nil, pim.ApprovalRequest{}, &InputError{Msg: fmt.Sprintf("%q names %d waiting requests; give more of its id", id, len(found))}
}

// DecideNow approves or denies the waiting request id (a short id, GUID or full id) with the
// approver's justification, and returns when Azure answered. Deny needs a justification. A
// request decided by someone else first, not the user's, or expired leaves the list; its
// error says which (a *pim.DecisionError).
func (e *Engine) DecideNow(ctx context.Context, id string, approve bool, justification string) (Approval, error) {
	justification = strings.TrimSpace(justification)
	if !approve && justification == "" {
		return Approval{}, &InputError{Msg: "a denial needs a reason (--reason)"}
	}
	if len(justification) > MaxJustification {
		return Approval{}, &InputError{Msg: fmt.Sprintf("the justification is %d characters long; Azure takes at most %d", len(justification), MaxJustification)}
	}
	e.mu.Lock()
	ts, req, err := e.findApprovalLocked(id)
	if err != nil {
		e.mu.Unlock()
		return Approval{}, err
	}
	key := approvalKey(req)
	if !e.roles.Begin(key, roles.Op(StateActivating)) {
		e.mu.Unlock()
		return Approval{}, &InputError{Msg: req.Label() + ": a decision is already on its way"}
	}
	shown := e.approvalOfLocked(ts, req)
	e.mu.Unlock()
	e.signal()
	ap, _ := ts.b.API.(pim.Approver)
	if ap == nil {
		err = &Failure{Msg: "This tenant's connection cannot decide approvals."}
	} else {
		err = ap.Decide(ctx, req, pim.Decision{Approve: approve, Justification: justification})
	}
	e.mu.Lock()
	e.roles.Done(key)
	var de *pim.DecisionError
	notices := []Notice(nil)
	if err == nil || errors.As(err, &de) {
		ts.approvals = slices.DeleteFunc(ts.approvals, func(a pim.ApprovalRequest) bool { return a.ID == req.ID })
		notices = e.withdrawApprovalLocked(key)
	}
	e.mu.Unlock()
	for _, n := range notices {
		e.notify(n)
	}
	e.signal()
	return shown, err
}

func (e *Engine) approvalOfLocked(ts *tenantState, req pim.ApprovalRequest) Approval {
	all, _ := e.approvalsLocked()
	for _, a := range all {
		if a.RequestID == req.ID && a.TenantID == ts.id() {
			return a
		}
	}
	return Approval{RequestID: req.ID, Plane: req.Plane}
}

// Approve is the tray's (and a notification's) Approve: it asks for the approver's
// justification (Azure's default approval policy requires one, isApproverJustificationRequired)
// and sends the decision; cancelling the dialog sends nothing.
func (e *Engine) Approve(id string) { e.decideClick(id, true) }

// Deny is the tray's Deny: it always asks why; cancelling sends nothing.
func (e *Engine) Deny(id string) { e.decideClick(id, false) }

func (e *Engine) decideClick(id string, approve bool) {
	e.goBackground(func(ctx context.Context) {
		e.mu.Lock()
		_, req, err := e.findApprovalLocked(id)
		e.mu.Unlock()
		if err != nil {
			e.notify(e.newNotice(NoticeFailed, "", "Nothing to decide", HumanError(err), nil))
			return
		}
		reason, err := e.askDecision(ctx, req, approve)
		if errors.Is(err, ErrCancelled) {
			return // cancel sends nothing
		}
		if err != nil {
			e.notify(e.newNotice(NoticeFailed, "", "Could not ask why", HumanError(err), nil))
			return
		}
		_, err = e.DecideNow(ctx, id, approve, reason)
		if err != nil {
			title, body := "Not decided", HumanError(err)
			var de *pim.DecisionError
			if errors.As(err, &de) {
				body = de.Error()
				if de.Outcome == pim.OutcomeDecided {
					title = "Already decided"
				}
			}
			e.notify(e.newNotice(NoticeFailed, "", title, body, nil))
			return
		}
		word := "Approved"
		if !approve {
			word = "Denied"
		}
		e.notify(e.newNotice(NoticeDecided, "", word, req.Label()+": "+strings.ToLower(word)+".", nil))
	})
}

func (e *Engine) askDecision(ctx context.Context, req pim.ApprovalRequest, approve bool) (string, error) {
	if e.prompter == nil {
		return "", &InputError{Msg: "pimtray has no dialog to ask for the reason; run: pimtray " + map[bool]string{true: "approve", false: "deny"}[approve] + " " + shortID(req.ID) + " --reason TEXT"}
	}
	q := Question{Key: approvalKey(req), Role: req.Label(), Field: FieldJustification, Label: "Justification"}
	if approve {
		q.Title = "Approve " + req.Label()
		q.Text = "Your justification for approving " + req.Label() + "."
		q.Default = "Approved"
	} else {
		q.Title = "Deny " + req.Label()
		q.Text = "Why do you deny " + req.Label() + "? " + firstNonEmpty(req.Requester.DisplayName, "The requester") + " will see your reason."
	}
	if req.Justification != "" {
		q.Text += " Their reason: “" + req.Justification + "”."
	}
	e.promptMu.Lock()
	defer e.promptMu.Unlock()
	ans, ok, err := e.prompter.Ask(ctx, q)
	if err != nil {
		return "", fmt.Errorf("ask for a justification: %w", err)
	}
	if !ok || strings.TrimSpace(ans) == "" {
		return "", ErrCancelled
	}
	return strings.TrimSpace(ans), nil
}

// forgetUnavailableLocked: a new sign-in may bring the permission: every plane is asked again.
func (ts *tenantState) forgetUnavailableApprovals() {
	for _, k := range ts.approver {
		k.unavailable = ""
	}
}

// FindApproval finds a waiting request by its short id, its GUID or its full id (an
// *InputError when none or several match).
func (e *Engine) FindApproval(id string) (Approval, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	ts, req, err := e.findApprovalLocked(id)
	if err != nil {
		return Approval{}, err
	}
	return e.approvalOfLocked(ts, req), nil
}
