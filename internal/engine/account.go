package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pimtray/pimtray/pim"
	"github.com/pimtray/pimtray/store"
)

// SignIn signs in to the tenant ("" = the first) in the background, as the menu's
// "Sign in…" does (it may open the browser: the user asked), then refreshes.
func (e *Engine) SignIn(tenant string) {
	e.goBackground(func(ctx context.Context) {
		if _, err := e.SignInNow(ctx, tenant, SignInOptions{}); err != nil && !errors.Is(err, context.Canceled) {
			e.notify(e.newNotice(NoticeFailed, "", "Sign-in failed", HumanError(err), nil))
		}
	})
}

// SignOut signs out of the tenant ("" = the first) in the background.
func (e *Engine) SignOut(tenant string) {
	e.goBackground(func(ctx context.Context) {
		if err := e.SignOutNow(ctx, tenant); err != nil {
			e.notify(e.newNotice(NoticeFailed, "", "Sign-out failed", HumanError(err), nil))
		}
	})
}

// SignInNow signs in to the tenant ("" = the first) and refreshes it. A tenant without an
// Authenticator (a test or demo credential) is always signed in.
func (e *Engine) SignInNow(ctx context.Context, tenant string, opts SignInOptions) (Account, error) {
	ts, err := e.findTenant(tenant)
	if err != nil {
		return Account{}, err
	}
	if _, err := e.signIn(ctx, ts, opts); err != nil {
		return Account{}, err
	}
	// The refresh is the check: one call per plane, each with the new sign-in's token.
	rerr := e.refreshTenant(ctx, ts, nil)
	if rerr != nil {
		e.log.Warn("refresh after sign-in failed", "err", rerr)
	}
	e.learnOrgName(ctx, ts)
	e.saveState()
	e.signal()
	acc := e.account(ts)
	if err := e.signInRefused(ts, acc, rerr); err != nil {
		return acc, err
	}
	return acc, nil
}

// TenantNamer is what a tenant's API may also tell: the tenant's display name (pim.Client
// asks Graph's /organization).
type TenantNamer interface {
	TenantDisplayName(ctx context.Context) (string, error)
}

// learnOrgName asks Azure, once after a sign-in, for the name of a tenant the configuration
// names none for ("organizations", a bare GUID), so messages say "Contoso" rather than
// "organizations". It is kept with the last known state.
func (e *Engine) learnOrgName(ctx context.Context, ts *tenantState) {
	n, ok := ts.b.API.(TenantNamer)
	e.mu.Lock()
	known := ts.b.Name != "" || ts.orgName != ""
	e.mu.Unlock()
	if !ok || known {
		return
	}
	name, err := n.TenantDisplayName(ctx)
	if err != nil || name == "" {
		e.log.Debug("the tenant's name is not known", "err", err)
		return
	}
	e.mu.Lock()
	ts.orgName = name
	e.mu.Unlock()
}

// signInRefused says which planes still refuse a sign-in that just succeeded (nil when
// none does): "Signed in to Contoso as adele@contoso.com, but Azure still refuses the sign-in
// for Azure roles." A sign-in is called done only when each plane accepted its token.
func (e *Engine) signInRefused(ts *tenantState, acc Account, refreshErr error) error {
	e.mu.Lock()
	var planes []string
	whole := ts.signInPlanes[""]
	for _, p := range planesOrAll(ts.b.Planes) {
		if ts.signInPlanes[p] {
			planes = append(planes, p.Title()+" roles")
		}
	}
	e.mu.Unlock()
	if len(planes) == 0 && !whole && !errors.Is(refreshErr, pim.ErrSignInNeeded) {
		return nil
	}
	what := "your roles"
	if len(planes) > 0 {
		what = strings.Join(planes, " and ")
	}
	return &Failure{Msg: fmt.Sprintf("Signed in to %s as %s, but Azure still refuses the sign-in for %s.",
		tenantLabel(ts), firstNonEmpty(acc.User, "(unknown user)"), what), Err: pim.ErrSignInNeeded}
}

// signIn runs the tenant's interactive sign-in.
func (e *Engine) signIn(ctx context.Context, ts *tenantState, opts SignInOptions) (string, error) {
	if ts.b.Auth == nil {
		e.mu.Lock()
		ts.needsSignIn, ts.told = false, false
		user := ts.user
		e.mu.Unlock()
		return user, nil
	}
	e.log.Info("sign-in started", "tenant", tenantLabel(ts), "deviceCode", opts.DeviceCode)
	user, err := ts.b.Auth.SignIn(e.interactive(ctx, ""), opts)
	if err != nil {
		// What a user needs to report a failed sign-in (the error carries Azure's code and
		// correlation ids, never a token).
		e.log.Warn("sign-in failed", "tenant", tenantLabel(ts), "deviceCode", opts.DeviceCode, "err", err)
		return "", fmt.Errorf("sign in to %s: %w", tenantLabel(ts), err)
	}
	e.log.Info("signed in", "tenant", tenantLabel(ts), "user", user, "storage", ts.b.Auth.Storage())
	e.mu.Lock()
	ts.user, ts.signedIn = user, true
	ts.forgetUnavailableApprovals() // the new sign-in may bring the permission
	// The user is here and is told the outcome (SignInNow checks every plane): no background
	// "sign in needed" notice for what the next refresh finds; a refresh that reads every
	// plane fine ends the episode (signInWorkedLocked).
	ts.needsSignIn, ts.told = false, true
	clear(ts.signInPlanes)
	ts.storage = ts.b.Auth.Storage()
	e.roles.SignedIn(func(k string) bool {
		_, ts2, ok := e.roleLocked(k)
		return !ok || ts2 == ts
	})
	e.mu.Unlock()
	e.signal()
	return user, nil
}

// SignOutNow forgets the tenant's sign-in ("" = the first). Its roles stay listed as
// "needs sign-in".
func (e *Engine) SignOutNow(ctx context.Context, tenant string) error {
	ts, err := e.findTenant(tenant)
	if err != nil {
		return err
	}
	if ts.b.Auth == nil {
		return &InputError{Msg: tenantLabel(ts) + " uses a built-in credential: there is nothing to sign out of."}
	}
	if err := ts.b.Auth.SignOut(ctx); err != nil {
		return fmt.Errorf("sign out of %s: %w", tenantLabel(ts), err)
	}
	e.mu.Lock()
	ts.user, ts.signedIn = "", false
	ts.needsSignIn, ts.told = false, false
	clear(ts.signInPlanes)
	ts.storage = ts.b.Auth.Storage()
	e.mu.Unlock()
	e.saveState()
	e.signal()
	return nil
}

func (e *Engine) findTenant(tenant string) (*tenantState, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, ts := range e.tenants {
		if tenant == "" || ts.is(tenant) {
			return ts, nil
		}
	}
	return nil, &InputError{Msg: fmt.Sprintf("tenant %q is not configured", tenant)}
}

func (e *Engine) account(ts *tenantState) Account {
	e.mu.Lock()
	defer e.mu.Unlock()
	return Account{TenantID: ts.id(), TenantName: firstNonEmpty(ts.b.Name, ts.orgName), User: ts.user, SignedIn: ts.signedIn && !ts.needsSignIn, Storage: ts.storage}
}

// ToggleFavourite stars or unstars a role and saves the configuration.
func (e *Engine) ToggleFavourite(key string) {
	e.mu.Lock()
	isKey := func(f store.Favourite) bool { return f.Key == key }
	var edit func(*store.Config)
	if slices.ContainsFunc(e.cfg.Favourites, isKey) {
		edit = func(c *store.Config) { c.Favourites = slices.DeleteFunc(c.Favourites, isKey) }
	} else {
		role, _, ok := e.roleLocked(key)
		if !ok {
			e.mu.Unlock()
			e.log.Warn("cannot star an unknown role", "key", key)
			return
		}
		fav := favouriteFor(role)
		edit = func(c *store.Config) {
			if !slices.ContainsFunc(c.Favourites, isKey) {
				c.Favourites = append(c.Favourites, fav)
			}
		}
	}
	e.firstRun = false
	e.editConfigLocked(edit)
	e.mu.Unlock()
	e.signal()
}

// NoticeAction handles the action the user picked on a notification: "reactivate"
// re-activates the notice's role (anew if it has ended); "dismiss" and "default" (the body
// was clicked) change nothing: no tray host (StatusNotifierItem, the Windows notification
// area, the macOS menu bar) lets an app open its own menu, so the role stays where the
// user finds it, in the tray menu. That is also why notices offer no "default" action:
// a server that draws it as a button (xfce4-notifyd) would show one that does nothing.
func (e *Engine) NoticeAction(noticeID, action string) {
	e.NoticeActionFor(noticeID, action, "")
}

// NoticeActionFor is NoticeAction for a notifier that also knows the notice's role key
// (a Windows toast carries it in its arguments): a button on a notice from an earlier run
// of pimtray, whose ID this run doesn't know, still acts on its role, or says why it can't.
func (e *Engine) NoticeActionFor(noticeID, action, key string) {
	e.mu.Lock()
	ref, ok := e.told.refs[noticeID]
	if !ok && key != "" {
		ref, ok = noticeRef{key: key}, true
	}
	known := ok && e.roleKnownLocked(ref.key)
	e.mu.Unlock()
	switch action {
	case ActionReactivate:
		if !ok || ref.key == "" || !known {
			e.log.Warn("re-activate for an unknown notification", "id", noticeID, "key", key)
			e.notify(e.newNotice(NoticeFailed, "", "pimtray can't act on that notification",
				"It is from before pimtray restarted, about a role it doesn't know (yet). Use the pimtray menu.", nil))
			return
		}
		e.Reactivate(ref.key)
	case ActionApprove, ActionDeny:
		id, isApproval := strings.CutPrefix(ref.key, "approval|")
		if !ok || !isApproval {
			e.log.Warn("approve/deny for an unknown notification", "id", noticeID, "key", key)
			e.notify(e.newNotice(NoticeFailed, "", "pimtray can't act on that notification",
				"It is from before pimtray restarted, about a request it doesn't know (yet). Use the pimtray menu.", nil))
			return
		}
		if _, after, found := strings.Cut(id, "|"); found {
			id = after // the request id, after the tenant
		}
		if action == ActionApprove {
			e.Approve(id)
		} else {
			e.Deny(id)
		}
	case ActionDismiss, ActionOpen:
	default:
		e.log.Warn("unknown notification action", "action", action)
	}
}

// InTenant reports whether the tenant id tenantID (a role's, an account's) belongs to the
// tenant the user named: by its configured id, its GUID or its name.
func (e *Engine) InTenant(tenantID, named string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	ts := e.tenant(named)
	return ts != nil && named != "" && ts.is(tenantID)
}

// Tenants are the tenants the engine works in, with their sign-in.
func (e *Engine) Tenants() []Account {
	e.mu.Lock()
	ts := slices.Clone(e.tenants)
	e.mu.Unlock()
	out := make([]Account, 0, len(ts))
	for _, t := range ts {
		out = append(out, e.account(t))
	}
	return out
}

func (e *Engine) roleKnownLocked(key string) bool {
	_, _, ok := e.roleLocked(key)
	return ok
}
