// Package tray shows pimtray in the system tray (fyne.io/systray on Windows, macOS and
// Linux) and forwards clicks to the core.
//
// # Thin by design
//
// The tray owns no state and makes no decisions: it renders the core's [engine.Snapshot]
// and calls the core's non-blocking methods. The menu is a pure function of the snapshot
// and the time; the systray calls only draw it. Following Tailscale's tray client:
//
//   - whenever the core's Changed channel fires (it coalesces bursts) the menu is built
//     again from a fresh snapshot; when it has the same shape as the one on screen (the
//     same entries, by id, in the same places) only the items that look different are
//     retitled, re-ticked or greyed, so their ids stay and an open submenu stays open;
//     only a new shape rebuilds the whole menu (systray.ResetMenu);
//   - countdown ticks do the same with the last snapshot; the next tick comes from
//     NextTick: no timer at all when nothing counts down, never more than one wake-up a
//     second;
//   - one goroutine forwards the clicks of every clickable menu item, by entry id, to one
//     select loop, which looks the entry up in the current menu and acts on it, so the
//     menu never waits for the core and a click does what the item shows now (one for
//     all: a goroutine per item cost 8 KiB of stack each, 7 MB at 440 roles);
//
// # The menu
//
// A header with the account and tenant (and DEMO in demo mode), or "Sign in…" when
// signed out; offline and plane-problem lines; the favourites, each with its state and
// what it needs (ticket, approval, MFA) in its label; other roles in use (active, pending,
// failed); "Activate all favourites"; "Find a role…", a searchable list of every eligible
// role; the roles to browse ("All eligible roles" on a small tenant, else a submenu per
// plane split in ranges of scopes); "Favourites" to star or unstar roles; "Settings" (a
// favourite's duration, reason, ticket and keep-alive, the default duration, the
// reminders); Refresh; Sign out (asks first); Start at login; Open configuration; Open
// log; Quit.
//
// The menu is never more than two levels deep (some tray hosts draw a third level empty)
// and no level holds more than about a screenful (maxEntries), at 10 roles as at 500.
//
// Clicking a favourite that can be activated activates it. An active role opens a
// submenu with its end time, "Re-activate now" and "Deactivate" (greyed, saying from
// when, in its first 5 minutes), so the most common click never ends a role by accident;
// a pending one opens "Cancel request"; a failed one has its reason on a line below it.
// In the browsing submenus an active role only shows its countdown. Roles whose request
// is in flight are shown greyed out. Dialogs run one at a time in their own goroutine;
// one that can't be shown says why on a line under the header.
//
// # Running
//
// [Run] must be called from the main goroutine (macOS draws the menu on the main thread)
// and only once per process: systray's state is global. [AcquireSingleInstance] keeps
// one tray per user; the command line doesn't take it.
package tray

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"reflect"
	"sync"
	"time"

	"fyne.io/systray"

	"github.com/pimtray/pimtray/internal/engine"
	"github.com/pimtray/pimtray/tray/dialog"
)

// Core is what the tray needs of the engine. Every method returns at once: work runs in
// the core's own goroutines, and the outcome arrives as a new snapshot on Changed.
type Core interface {
	// Snapshot is the current state to render.
	Snapshot() engine.Snapshot
	// Changed fires (coalesced) whenever Snapshot has something new.
	Changed() <-chan struct{}
	Activate(key string)
	Deactivate(key string)
	ActivateFavourites()
	ToggleFavourite(key string)
	Refresh()
	SignIn(tenantID string)
	SignOut(tenantID string)
	// Reactivate keeps an active role going ("Re-activate now"). (Cancelling a pending
	// request is Planner's Cancel.)
	Reactivate(key string)
	// Settings from the menu; each saves the configuration and returns an error a person
	// can read when the value is refused.
	SetFavouriteDuration(key string, d time.Duration) error
	SetFavouriteJustification(key, justification string) error
	SetFavouriteTicket(key, number, system string) error
	SetKeepActiveUntil(key, hhmm string) error
	SetDefaultDuration(d time.Duration) error
	SetReminders(ds []time.Duration) error
}

// Dialogs are the native dialogs the menu opens: package dialog's by default.
type Dialogs interface {
	Choose(ctx context.Context, l dialog.List) (index int, ok bool, err error)
	Ask(ctx context.Context, q dialog.Question) (answer string, ok bool, err error)
	Confirm(ctx context.Context, c dialog.Confirmation) (bool, error)
}

// systemDialogs are package dialog's.
type systemDialogs struct{}

func (systemDialogs) Choose(ctx context.Context, l dialog.List) (int, bool, error) {
	return dialog.Choose(ctx, l)
}

func (systemDialogs) Ask(ctx context.Context, q dialog.Question) (string, bool, error) {
	return dialog.Ask(ctx, q)
}

func (systemDialogs) Confirm(ctx context.Context, c dialog.Confirmation) (bool, error) {
	return dialog.Confirm(ctx, c)
}

// Planner is a Core that also schedules activations for a later start and reads the user's
// recent requests (the engine does); each returns at once.
type Planner interface {
	ActivateAt(key string) // asks when, then sends one activation for that start
	Cancel(key string)     // withdraws the scheduled activation (or open request)
	LoadRecentActivity()   // reads the latest requests for "Recent activity"
}

var _ Planner = (*engine.Engine)(nil)

// DailyPlanner is a Core that also keeps the favourites' "start my day" (the engine does).
type DailyPlanner interface {
	ToggleDaily(key string) // turns the favourite's "start my day" on (asking the time) or off
}

var _ DailyPlanner = (*engine.Engine)(nil)

// Approver is a Core that also decides the requests waiting for the user's approval (the
// engine does); each asks for the approver's justification and returns at once.
type Approver interface {
	Approve(requestID string)
	Deny(requestID string)
}

// Icons are the tray icon's images per state: PNG on Linux and macOS, ICO on Windows,
// as fyne.io/systray expects them. A missing icon falls back to Idle.
type Icons struct {
	Idle      []byte // nothing active
	Active    []byte // something active
	Expiring  []byte // something ends soon
	Pending   []byte // a request waits for approval
	Attention []byte // sign-in needed or an error
}

// Autostarter turns starting pimtray at login on and off (package tray/autostart).
type Autostarter interface {
	Enabled() bool
	SetEnabled(enabled bool) error
}

// Options configure Run. Every field is optional.
type Options struct {
	Icons Icons
	// Autostart backs the "Start at login" check box; nil hides it.
	Autostart Autostarter
	// OpenConfig and OpenLog back "Open configuration" and "Open log"; nil hides them.
	// They run in their own goroutine.
	OpenConfig func()
	OpenLog    func()
	// About is a line above Quit with the program and its version ("pimtray v1.2.3");
	// "": none.
	About string
	// Label is a role's menu label at a given time; default engine.Label.
	Label func(engine.Item, time.Time) string
	// NextTick is how long until some countdown label changes (0: none counts down);
	// default engine.NextTick.
	NextTick func(engine.Snapshot, time.Time) time.Duration
	// Now is the wall clock the labels count against; default time.Now.
	Now func() time.Time
	// Log receives the tray's own problems; default slog.Default().
	Log *slog.Logger
	// Stderr is told what the person who started the tray must know at once (no tray host
	// to show the icon); default os.Stderr.
	Stderr io.Writer
	// Dialogs open "Find a role…", "Add a favourite…", the settings and the sign-out
	// question; default package dialog's.
	Dialogs Dialogs
	// Location is the time zone of the menu's clock times; default time.Local.
	Location *time.Location
}

func (o Options) withDefaults() Options {
	if o.Label == nil {
		o.Label = engine.Label
	}
	if o.NextTick == nil {
		o.NextTick = engine.NextTick
	}
	if o.Now == nil {
		o.Now = func() time.Time { return time.Now().Round(0) }
	}
	if o.Stderr == nil {
		o.Stderr = os.Stderr
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Dialogs == nil {
		o.Dialogs = systemDialogs{}
	}
	if o.Location == nil {
		o.Location = time.Local
	}
	return o
}

// Run shows the tray icon and menu for core and blocks until Quit is clicked or ctx is
// done; either way it returns nil once the icon is gone. It fails at once, without
// showing anything, when the desktop can't host a tray icon (Linux: no D-Bus session bus).
func Run(ctx context.Context, core Core, opts Options) error {
	if core == nil {
		return errors.New("tray: no core to show")
	}
	opts = opts.withDefaults()
	if err := preflight(ctx, opts.Log, opts.Stderr); err != nil {
		if ctx.Err() != nil {
			return nil // stopped while waiting for a tray host
		}
		return err
	}
	defer quietSystrayLog(opts.Log)()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	a := newApp(core, opts)
	a.ctx = ctx
	first := core.Snapshot()
	seedBeforeRun(iconFor(opts.Icons, iconState(first)), tooltipOf(first))
	var (
		mu       sync.Mutex
		started  bool
		finished bool
		loopDone = make(chan struct{})
	)
	onReady := func() {
		mu.Lock()
		if finished {
			mu.Unlock()
			return
		}
		started = true
		mu.Unlock()
		a.update(ctx) // the first menu is in place before systray answers GetLayout
		go func() {
			defer close(loopDone)
			a.loop(ctx)
		}()
		whenPublished(ctx, publishSettle, func() {
			select {
			case a.republish <- struct{}{}:
			default:
			}
		})
	}
	systray.Run(onReady, nil)

	mu.Lock()
	finished = true
	wasStarted := started
	mu.Unlock()
	cancel()
	if wasStarted {
		<-loopDone
	}
	return nil
}

// publishSettle: the icon and tooltip are sent once more this long after the item is on
// the bus (see whenPublished).
const publishSettle = time.Second

// minTick is the shortest wait between two countdown updates: the tray never wakes up
// more than once a second, whatever NextTick says.
const minTick = time.Second

// tickDelay is the timer to set for a NextTick answer: none (false) when nothing counts
// down, else at least minTick.
func tickDelay(next time.Duration) (time.Duration, bool) {
	if next <= 0 {
		return 0, false
	}
	return max(next, minTick), true
}

// app is the running tray: what it rendered last, and the channels of its event loop.
type app struct {
	core Core
	opts Options

	clicks     chan string   // entry ids, from the forwarding goroutine
	listen     []listened    // the clickable items render added, for the next forwardAll
	rebuildReq chan struct{} // asks the loop for a rebuild (buffer 1: requests coalesce)
	republish  chan struct{} // asks the loop to send the icon and tooltip again

	autostartMu sync.Mutex // one autostart change at a time
	dialogMu    sync.Mutex // one dialog at a time: a click while one is open is ignored
	ctx         context.Context

	problemMu sync.Mutex
	problem   string // the tray's own last failure, shown under the header

	// Owned by the loop goroutine (and onReady before the loop starts).
	snap       engine.Snapshot
	model      []entry                      // the menu on screen
	items      map[string]*systray.MenuItem // its items by entry id; nil before the first render
	menuCancel context.CancelFunc
	timer      *time.Timer
	icon       engine.IconState
	iconShown  bool
	tooltip    string
	tipShown   bool
}

func newApp(core Core, opts Options) *app {
	return &app{
		core:       core,
		opts:       opts,
		clicks:     make(chan string, 16),
		rebuildReq: make(chan struct{}, 1),
		republish:  make(chan struct{}, 1),
		ctx:        context.Background(),
	}
}

func (a *app) loop(ctx context.Context) {
	defer a.stopTimer()
	for {
		var tick <-chan time.Time
		if a.timer != nil {
			tick = a.timer.C
		}
		select {
		case <-ctx.Done():
			systray.Quit()
			return
		case <-a.core.Changed():
			a.update(ctx)
		case <-a.rebuildReq:
			a.update(ctx)
		case <-a.republish:
			a.iconShown, a.tipShown = false, false
			a.showIconAndTooltip()
		case <-tick:
			a.timer = nil
			a.tick(ctx)
		case id := <-a.clicks:
			if a.click(id) {
				systray.Quit()
				return
			}
		}
	}
}

func (a *app) env() menuEnv {
	_, planner := a.core.(Planner)
	_, dailyPlanner := a.core.(DailyPlanner)
	a.problemMu.Lock()
	problem := a.problem
	a.problemMu.Unlock()
	env := menuEnv{label: a.opts.Label, openConfig: a.opts.OpenConfig != nil, openLog: a.opts.OpenLog != nil,
		chooser: a.opts.Dialogs != nil, problem: problem, loc: a.opts.Location, about: a.opts.About, planner: planner,
		daily: dailyPlanner}
	if a.opts.Autostart != nil {
		on := a.opts.Autostart.Enabled()
		env.autostart = &on
	}
	return env
}

// update shows a fresh snapshot: in place when the menu keeps its shape, else rebuilt.
func (a *app) update(ctx context.Context) {
	a.snap = a.core.Snapshot()
	now := a.opts.Now()
	a.show(ctx, buildMenu(a.snap, now, a.env()))
	a.showIconAndTooltip()
	a.schedule(now)
}

// tick shows the countdowns that changed since the last render.
func (a *app) tick(ctx context.Context) {
	now := a.opts.Now()
	a.show(ctx, buildMenu(a.snap, now, a.env()))
	a.schedule(now)
}

// show puts menu on screen. When it has the shape of the menu shown, only the items that
// look different change (systray re-sends just those); otherwise the whole menu is
// replaced, which gives every item a new id and closes any open submenu.
func (a *app) show(ctx context.Context, menu []entry) {
	if a.items != nil {
		if ups, same := menuUpdates(a.model, menu); same {
			for _, u := range ups {
				if it := a.items[u.cur.id]; it != nil {
					updateItem(it, u)
				}
			}
			a.model = menu
			return
		}
	}
	a.rebuild(ctx, menu)
}

// updateItem changes one rendered item to look like u.cur.
func updateItem(it *systray.MenuItem, u entryUpdate) {
	if u.cur.title != u.old.title {
		it.SetTitle(u.cur.title)
	}
	if u.cur.tooltip != u.old.tooltip {
		it.SetTooltip(u.cur.tooltip)
	}
	if u.cur.checked != u.old.checked {
		if u.cur.checked {
			it.Check()
		} else {
			it.Uncheck()
		}
	}
	if u.cur.disabled != u.old.disabled {
		if u.cur.disabled {
			it.Disable()
		} else {
			it.Enable()
		}
	}
}

// rebuild replaces the whole menu with menu.
func (a *app) rebuild(ctx context.Context, menu []entry) {
	a.model = menu
	if a.menuCancel != nil {
		a.menuCancel() // the old items' goroutines stop forwarding
	}
	menuCtx, cancel := context.WithCancel(ctx)
	a.menuCancel = cancel
	systray.ResetMenu()
	a.items = make(map[string]*systray.MenuItem)
	a.listen = nil
	a.render(menuCtx, nil, a.model)
	go a.forwardAll(menuCtx, a.listen)
	a.listen = nil
}

func (a *app) schedule(now time.Time) {
	a.stopTimer()
	next := a.opts.NextTick(a.snap, now)
	if d := untilDeactivateAvailable(a.snap, now); d > 0 && (next <= 0 || d < next) {
		next = d
	}
	if d, ok := tickDelay(next); ok {
		a.timer = time.NewTimer(d)
	} // else nothing counts down: no wake-ups at all
}

func (a *app) stopTimer() {
	if a.timer != nil {
		a.timer.Stop()
		a.timer = nil
	}
}

// iconState is the snapshot's icon state; unset means idle.
func iconState(s engine.Snapshot) engine.IconState {
	if s.Icon == "" {
		return engine.IconIdle
	}
	return s.Icon
}

// tooltipOf is the snapshot's tooltip, "pimtray" when it has none.
func tooltipOf(s engine.Snapshot) string {
	if s.Tooltip == "" {
		return "pimtray"
	}
	return s.Tooltip
}

// showIconAndTooltip sets the icon and tooltip when they changed: SetIcon re-sends the
// whole image, so it is not repeated on every rebuild.
func (a *app) showIconAndTooltip() {
	state := iconState(a.snap)
	if !a.iconShown || state != a.icon {
		if b := iconFor(a.opts.Icons, state); len(b) > 0 {
			systray.SetIcon(b)
		}
		a.icon, a.iconShown = state, true
	}
	tip := tooltipOf(a.snap)
	if !a.tipShown || tip != a.tooltip {
		systray.SetTooltip(tip)
		a.tooltip, a.tipShown = tip, true
	}
}

// render adds entries under parent (nil: the top level) and notes every clickable one's
// channel in a.listen, for forwardAll.
func (a *app) render(ctx context.Context, parent *systray.MenuItem, entries []entry) {
	for _, e := range entries {
		if e.kind == kindSeparator {
			if parent == nil {
				systray.AddSeparator()
			} else {
				parent.AddSeparator()
			}
			continue
		}
		var it *systray.MenuItem
		switch {
		case parent == nil && e.kind == kindCheckbox:
			it = systray.AddMenuItemCheckbox(e.title, e.tooltip, e.checked)
		case parent == nil:
			it = systray.AddMenuItem(e.title, e.tooltip)
		case e.kind == kindCheckbox:
			it = parent.AddSubMenuItemCheckbox(e.title, e.tooltip, e.checked)
		default:
			it = parent.AddSubMenuItem(e.title, e.tooltip)
		}
		if e.disabled {
			it.Disable()
		}
		a.items[e.id] = it
		if !e.inert && len(e.children) == 0 {
			// Even an item that does nothing now may get an action with a later update
			// in place (a greyed-out role becoming clickable): its clicks are listened for.
			a.listen = append(a.listen, listened{clicked: it.ClickedCh, id: e.id})
		}
		a.render(ctx, it, e.children)
	}
}

// listened is a menu item whose clicks forwardAll passes on.
type listened struct {
	clicked <-chan struct{}
	id      string
}

// forwardAll passes the items' clicks, as their entry ids, to the loop. It keeps waiting on
// every item's channel (systray drops a click nobody waits for) until the menu is rebuilt
// (ctx) or every item is removed (systray closes its channel).
func (a *app) forwardAll(ctx context.Context, items []listened) {
	cases := make([]reflect.SelectCase, 0, len(items)+1)
	cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ctx.Done())})
	for _, it := range items {
		cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(it.clicked)})
	}
	open := len(items)
	for open > 0 {
		i, _, ok := reflect.Select(cases)
		if i == 0 {
			return
		}
		if !ok {
			cases[i].Chan = reflect.Value{} // removed: a zero channel is never chosen
			open--
			continue
		}
		select {
		case a.clicks <- items[i-1].id:
		case <-ctx.Done():
			return
		}
	}
}

// click acts on a click on the entry with id, as the menu shows it now: a greyed-out
// entry, a submenu or an entry gone since does nothing. It reports whether the tray
// should quit.
func (a *app) click(id string) (quit bool) {
	e, ok := findEntry(a.model, id)
	if !ok || e.disabled || len(e.children) > 0 || e.action.kind == actNone {
		return false
	}
	return a.handle(e.action)
}

// handle acts on one click; it reports whether the tray should quit. Core methods return
// at once; anything that may take a moment runs in its own goroutine.
func (a *app) handle(act action) (quit bool) {
	switch act.kind {
	case actActivate:
		a.core.Activate(act.key)
	case actDeactivate:
		a.core.Deactivate(act.key)
	case actApprove, actDeny:
		if ap, ok := a.core.(Approver); ok {
			if act.kind == actApprove {
				ap.Approve(act.key)
			} else {
				ap.Deny(act.key)
			}
		}
	case actToggleDaily:
		if p, ok := a.core.(DailyPlanner); ok {
			p.ToggleDaily(act.key)
		}
	case actActivateAt, actCancel, actLoadRecent:
		if p, ok := a.core.(Planner); ok {
			switch act.kind {
			case actActivateAt:
				p.ActivateAt(act.key)
			case actCancel:
				p.Cancel(act.key)
			default:
				p.LoadRecentActivity()
			}
		}
	case actActivateFavourites:
		a.core.ActivateFavourites()
	case actToggleFavourite:
		a.core.ToggleFavourite(act.key)
	case actRefresh:
		a.core.Refresh()
	case actSignIn:
		a.core.SignIn(act.tenant)
	case actSignOut:
		a.withDialog(func(ctx context.Context) { a.signOut(ctx, act.tenant) })
	case actReactivate:
		a.core.Reactivate(act.key)
	case actFindRole:
		a.withDialog(a.findRole)
	case actAddFavourite:
		a.withDialog(a.addFavourite)
	case actFavouriteSettings:
		a.withDialog(func(ctx context.Context) { a.favouriteSettings(ctx, act.key) })
	case actDefaultDuration:
		a.withDialog(a.defaultDuration)
	case actReminders:
		a.withDialog(a.reminders)
	case actToggleAutostart:
		go a.toggleAutostart()
	case actOpenConfig:
		if a.opts.OpenConfig != nil {
			go a.opts.OpenConfig()
		}
	case actOpenLog:
		if a.opts.OpenLog != nil {
			go a.opts.OpenLog()
		}
	case actQuit:
		return true
	}
	return false
}

func (a *app) toggleAutostart() {
	as := a.opts.Autostart
	if as == nil {
		return
	}
	a.autostartMu.Lock()
	on := !as.Enabled()
	err := as.SetEnabled(on)
	a.autostartMu.Unlock()
	if err != nil {
		a.opts.Log.Warn("could not change start at login", "enable", on, "err", err)
	}
	select { // show the check box as it now is
	case a.rebuildReq <- struct{}{}:
	default:
	}
}
