package tray

import (
	"context"
	"errors"

	"github.com/pimtray/pimtray/internal/engine"
	"github.com/pimtray/pimtray/tray/dialog"
)

// The menu's dialogs: "Find a role…", "Add a favourite…", the settings and the sign-out
// question. Each runs in its own goroutine, one at a time; what the user picks goes to the
// core as one call, like a click. What the lists offer is built by pure functions
// (findRows, settingsRows, ...) in chooser.go.

// withDialog runs f in its own goroutine unless a dialog is open already (then the click
// is dropped: the open dialog is where the user is).
func (a *app) withDialog(f func(ctx context.Context)) {
	if !a.dialogMu.TryLock() {
		return
	}
	go func() {
		defer a.dialogMu.Unlock()
		f(a.ctx)
	}()
}

// setProblem shows msg under the menu's header ("" clears it) and asks for a redraw.
func (a *app) setProblem(msg string) {
	a.problemMu.Lock()
	changed := a.problem != msg
	a.problem = msg
	a.problemMu.Unlock()
	if changed {
		select {
		case a.rebuildReq <- struct{}{}:
		default:
		}
	}
}

// dialogFailed records a dialog that could not be shown, or a setting refused; a cancel
// is no failure. It reports whether the caller should stop.
func (a *app) dialogFailed(what string, err error) bool {
	if err == nil {
		a.setProblem("")
		return false
	}
	if errors.Is(err, context.Canceled) {
		return true
	}
	a.opts.Log.Warn(what, "err", err)
	a.setProblem(what + ": " + err.Error())
	return true
}

func (a *app) choose(ctx context.Context, what string, l dialog.List) (int, bool) {
	i, ok, err := a.opts.Dialogs.Choose(ctx, l)
	if a.dialogFailed(what, err) {
		return 0, false
	}
	return i, ok
}

// signOut asks first: signing out forgets the sign-in, and the next one opens a browser.
func (a *app) signOut(ctx context.Context, tenant string) {
	name := tenant
	for _, acc := range a.core.Snapshot().Accounts {
		if acc.TenantID == tenant {
			name = tenantName(acc)
			if acc.User != "" {
				name = acc.User + " (" + name + ")"
			}
		}
	}
	ok, err := a.opts.Dialogs.Confirm(ctx, dialog.Confirmation{
		Title: "Sign out", OK: "Sign out",
		Prompt: "Sign out " + name + "? pimtray forgets the sign-in; active roles stay active until they end.",
	})
	if a.dialogFailed("Sign out", err) || !ok {
		return
	}
	a.core.SignOut(tenant)
}

// findRole lists every eligible role; the pick is activated, or, for a role in use,
// offered what fits it (re-activate, deactivate, cancel).
func (a *app) findRole(ctx context.Context) {
	s := a.core.Snapshot()
	now := a.opts.Now()
	rows := findRows(s.All, now)
	i, ok := a.choose(ctx, "Find a role", dialog.List{Title: "Find a role", OK: "Choose",
		Prompt: "Type to search; choose a role to activate it.", Columns: rows.columns, Rows: rows.cells})
	if !ok {
		return
	}
	it := s.All[i]
	switch stateAt(it, now) {
	case engine.StateEligible, engine.StateFailed, engine.StateNeedsSignIn:
		a.core.Activate(it.Key)
	case engine.StateActive:
		opts := activeOptions(it, now, a.opts.Location)
		j, ok := a.choose(ctx, "Find a role", dialog.List{Title: engine.ItemName(it), OK: "OK",
			Prompt: engine.Label(it, now), Columns: []string{"What to do"}, Rows: cells(opts)})
		if !ok {
			return
		}
		switch opts[j].kind {
		case actReactivate:
			a.core.Reactivate(it.Key)
		case actDeactivate:
			a.core.Deactivate(it.Key)
		}
	case engine.StatePending:
		ok, err := a.opts.Dialogs.Confirm(ctx, dialog.Confirmation{Title: engine.ItemName(it), OK: titleCancelRequest,
			Prompt: engine.ItemName(it) + " waits for approval. Cancel the request?"})
		if a.dialogFailed("Cancel request", err) || !ok {
			return
		}
		if p, ok := a.core.(Planner); ok {
			p.Cancel(it.Key)
		}
	}
}

// addFavourite lists the roles that are not favourites; the pick becomes one.
func (a *app) addFavourite(ctx context.Context) {
	s := a.core.Snapshot()
	var items []engine.Item
	for _, it := range s.All {
		if !it.Favourite {
			items = append(items, it)
		}
	}
	rows := findRows(items, a.opts.Now())
	i, ok := a.choose(ctx, "Add a favourite", dialog.List{Title: "Add a favourite", OK: "Add",
		Prompt: "Type to search; the role you choose sits on top of the menu.", Columns: rows.columns, Rows: rows.cells})
	if ok {
		a.core.ToggleFavourite(items[i].Key)
	}
}

// favouriteSettings asks what to change of a favourite, then the new value.
func (a *app) favouriteSettings(ctx context.Context, key string) {
	it, found := favouriteByKey(a.core.Snapshot(), key)
	if !found {
		return
	}
	opts := settingsOptions(it)
	i, ok := a.choose(ctx, "Settings", dialog.List{Title: engine.ItemName(it), OK: "Change",
		Prompt: "What should one click on " + engine.ItemName(it) + " do?", Columns: []string{"Setting", "Now"}, Rows: cells(opts)})
	if !ok {
		return
	}
	var err error
	switch opts[i].setting {
	case setDuration:
		ds := durationOptions(it)
		j, ok := a.choose(ctx, "Settings", dialog.List{Title: engine.ItemName(it), OK: "Set",
			Prompt: "Activate " + engine.ItemName(it) + " for how long?", Columns: []string{"Duration"}, Rows: cells(ds)})
		if !ok {
			return
		}
		err = a.core.SetFavouriteDuration(key, ds[j].d)
	case setReason:
		answer, ok, aerr := a.opts.Dialogs.Ask(ctx, dialog.Question{Title: engine.ItemName(it), Default: it.SavedJustification,
			Prompt: "Justification sent with each activation of " + engine.ItemName(it) + " (empty: ask each time it is needed):"})
		if a.dialogFailed("Settings", aerr) || !ok {
			return
		}
		err = a.core.SetFavouriteJustification(key, answer)
	case clearReason:
		err = a.core.SetFavouriteJustification(key, "")
	case setTicket:
		answer, ok, aerr := a.opts.Dialogs.Ask(ctx, dialog.Question{Title: engine.ItemName(it), Default: it.SavedTicket,
			Prompt: "Ticket number sent with each activation of " + engine.ItemName(it) + ":"})
		if a.dialogFailed("Settings", aerr) || !ok {
			return
		}
		err = a.core.SetFavouriteTicket(key, answer, "")
	case clearTicket:
		err = a.core.SetFavouriteTicket(key, "", "")
	case setKeepActive:
		ks := keepActiveOptions(it)
		j, ok := a.choose(ctx, "Settings", dialog.List{Title: engine.ItemName(it), OK: "Set",
			Prompt:  "Keep " + engine.ItemName(it) + " active until (re-activated by itself each day until then):",
			Columns: []string{"Keep active until"}, Rows: cells(ks)})
		if !ok {
			return
		}
		err = a.core.SetKeepActiveUntil(key, ks[j].hhmm)
	}
	a.dialogFailed("Settings", err)
}

// defaultDuration chooses the duration of an activation when a favourite names none.
func (a *app) defaultDuration(ctx context.Context) {
	ds := defaultDurationOptions(a.core.Snapshot().Settings.DefaultDuration)
	i, ok := a.choose(ctx, "Settings", dialog.List{Title: "Default duration", OK: "Set",
		Prompt:  "Activate roles for how long when a favourite names no duration (capped at each role's maximum)?",
		Columns: []string{"Duration"}, Rows: cells(ds)})
	if ok {
		a.dialogFailed("Settings", a.core.SetDefaultDuration(ds[i].d))
	}
}

// reminders chooses when the reminders before an activation's end come.
func (a *app) reminders(ctx context.Context) {
	rs := reminderOptions(a.core.Snapshot().Settings.Reminders)
	i, ok := a.choose(ctx, "Settings", dialog.List{Title: "Reminders", OK: "Set",
		Prompt:  "When should a notification offer to re-activate a role before it ends?",
		Columns: []string{"Reminders"}, Rows: cells(rs)})
	if ok {
		a.dialogFailed("Settings", a.core.SetReminders(rs[i].ds))
	}
}
