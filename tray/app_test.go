package tray

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pimtray/pimtray/internal/engine"
)

// recordingCore records the calls the tray makes.
type recordingCore struct {
	mu    sync.Mutex
	calls []string
	snap  engine.Snapshot
	err   error // what the settings return
}

func (c *recordingCore) record(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, fmt.Sprintf(format, args...))
}

func (c *recordingCore) Calls() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.calls)
}

func (c *recordingCore) Snapshot() engine.Snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.snap
}
func (c *recordingCore) Changed() <-chan struct{}   { return nil }
func (c *recordingCore) Activate(key string)        { c.record("Activate %s", key) }
func (c *recordingCore) Deactivate(key string)      { c.record("Deactivate %s", key) }
func (c *recordingCore) ActivateFavourites()        { c.record("ActivateFavourites") }
func (c *recordingCore) ToggleFavourite(key string) { c.record("ToggleFavourite %s", key) }
func (c *recordingCore) Refresh()                   { c.record("Refresh") }
func (c *recordingCore) SignIn(tenant string)       { c.record("SignIn %s", tenant) }
func (c *recordingCore) SignOut(tenant string)      { c.record("SignOut %s", tenant) }
func (c *recordingCore) Approve(id string)          { c.record("Approve %s", id) }
func (c *recordingCore) Deny(id string)             { c.record("Deny %s", id) }
func (c *recordingCore) Reactivate(key string)      { c.record("Reactivate %s", key) }
func (c *recordingCore) Cancel(key string)          { c.record("Cancel %s", key) }
func (c *recordingCore) ActivateAt(key string)      { c.record("ActivateAt %s", key) }
func (c *recordingCore) LoadRecentActivity()        { c.record("LoadRecentActivity") }
func (c *recordingCore) SetFavouriteDuration(key string, d time.Duration) error {
	c.record("SetFavouriteDuration %s %v", key, d)
	return c.err
}
func (c *recordingCore) SetFavouriteJustification(key, j string) error {
	c.record("SetFavouriteJustification %s %q", key, j)
	return c.err
}
func (c *recordingCore) SetFavouriteTicket(key, n, sys string) error {
	c.record("SetFavouriteTicket %s %q %q", key, n, sys)
	return c.err
}
func (c *recordingCore) SetKeepActiveUntil(key, hhmm string) error {
	c.record("SetKeepActiveUntil %s %q", key, hhmm)
	return c.err
}
func (c *recordingCore) SetDefaultDuration(d time.Duration) error {
	c.record("SetDefaultDuration %v", d)
	return c.err
}
func (c *recordingCore) SetReminders(ds []time.Duration) error {
	c.record("SetReminders %v", ds)
	return c.err
}

func TestHandleForwardsClicksToTheCore(t *testing.T) {
	tests := []struct {
		act  action
		want string
	}{
		{action{kind: actActivate, key: "k1"}, "Activate k1"},
		{action{kind: actDeactivate, key: "k2"}, "Deactivate k2"},
		{action{kind: actActivateFavourites}, "ActivateFavourites"},
		{action{kind: actToggleFavourite, key: "k3"}, "ToggleFavourite k3"},
		{action{kind: actRefresh}, "Refresh"},
		{action{kind: actSignIn, tenant: "t1"}, "SignIn t1"},
		{action{kind: actApprove, key: "r1"}, "Approve r1"},
		{action{kind: actDeny, key: "r2"}, "Deny r2"},
		{action{kind: actReactivate, key: "k4"}, "Reactivate k4"},
		{action{kind: actCancel, key: "k5"}, "Cancel k5"},
	}
	for _, tc := range tests {
		core := &recordingCore{}
		a := newApp(core, Options{Dialogs: &fakeDialogs{t: t}}.withDefaults()) // no dialog expected
		if quit := a.handle(tc.act); quit {
			t.Errorf("%s made the tray quit", tc.want)
		}
		a.waitDialogs()
		if got := core.Calls(); !slices.Equal(got, []string{tc.want}) {
			t.Errorf("calls = %q, want [%q]", got, tc.want)
		}
	}
}

func TestHandleQuit(t *testing.T) {
	core := &recordingCore{}
	a := newApp(core, Options{}.withDefaults())
	if !a.handle(action{kind: actQuit}) {
		t.Fatal("Quit did not quit")
	}
	if len(core.Calls()) != 0 {
		t.Fatalf("Quit called the core: %q", core.Calls())
	}
}

func TestHandleOpensConfigAndLogWithoutWaiting(t *testing.T) {
	opened := make(chan string, 2)
	release := make(chan struct{})
	defer close(release)
	a := newApp(&recordingCore{}, Options{
		// Opening may block (a slow file manager): the loop must not wait for it.
		OpenConfig: func() { opened <- "config"; <-release },
		OpenLog:    func() { opened <- "log"; <-release },
	}.withDefaults())
	done := make(chan struct{})
	go func() {
		a.handle(action{kind: actOpenConfig})
		a.handle(action{kind: actOpenLog})
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("handle waited for OpenConfig/OpenLog to return")
	}
	got := []string{<-opened, <-opened}
	slices.Sort(got)
	if !slices.Equal(got, []string{"config", "log"}) {
		t.Fatalf("opened %q", got)
	}
}

type fakeAutostart struct {
	mu  sync.Mutex
	on  bool
	err error
	set []bool
}

func (f *fakeAutostart) Enabled() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.on
}

func (f *fakeAutostart) SetEnabled(on bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.set = append(f.set, on)
	if f.err != nil {
		return f.err
	}
	f.on = on
	return nil
}

func TestToggleAutostart(t *testing.T) {
	for _, tc := range []struct {
		name   string
		on     bool
		err    error
		wantOn bool
	}{
		{"turns it on", false, nil, true},
		{"turns it off", true, nil, false},
		{"a failure leaves it as it was", false, errors.New("read-only home"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			as := &fakeAutostart{on: tc.on, err: tc.err}
			a := newApp(&recordingCore{}, Options{Autostart: as}.withDefaults())
			a.handle(action{kind: actToggleAutostart})
			select {
			case <-a.rebuildReq: // the check box is redrawn either way
			case <-time.After(5 * time.Second):
				t.Fatal("no rebuild after changing start at login")
			}
			if !slices.Equal(as.set, []bool{!tc.on}) {
				t.Errorf("SetEnabled calls = %v, want [%v]", as.set, !tc.on)
			}
			if as.Enabled() != tc.wantOn {
				t.Errorf("Enabled() = %v, want %v", as.Enabled(), tc.wantOn)
			}
			if got := a.env().autostart; got == nil || *got != tc.wantOn {
				t.Errorf("the menu would show start at login as %v, want %v", got, tc.wantOn)
			}
		})
	}
}

func TestNoAutostartNoCheckBox(t *testing.T) {
	a := newApp(&recordingCore{}, Options{}.withDefaults())
	if a.env().autostart != nil {
		t.Fatal("start at login offered without an Autostarter")
	}
}

func TestForward(t *testing.T) {
	a := newApp(&recordingCore{}, Options{}.withDefaults())
	ctx, cancel := context.WithCancel(context.Background())
	first, second := make(chan struct{}), make(chan struct{})
	done := make(chan struct{})
	go func() {
		a.forwardAll(ctx, []listened{{first, "fav/a"}, {second, "fav/b"}})
		close(done)
	}()

	// Clicks in a row on either item all arrive: it is back waiting on every item after each.
	for _, c := range []struct {
		ch chan struct{}
		id string
	}{{first, "fav/a"}, {first, "fav/a"}, {second, "fav/b"}, {first, "fav/a"}} {
		c.ch <- struct{}{}
		select {
		case got := <-a.clicks:
			if got != c.id {
				t.Fatalf("forwarded %q, want %q", got, c.id)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("click not forwarded")
		}
	}
	cancel() // the menu was rebuilt
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("forwardAll kept running after its menu was replaced")
	}
}

func TestForwardEndsWhenTheItemsAreRemoved(t *testing.T) {
	a := newApp(&recordingCore{}, Options{}.withDefaults())
	refresh, quit := make(chan struct{}), make(chan struct{})
	done := make(chan struct{})
	go func() {
		a.forwardAll(context.Background(), []listened{{refresh, "refresh"}, {quit, "quit"}})
		close(done)
	}()
	close(refresh)     // systray closes ClickedCh when it removes the item
	quit <- struct{}{} // the other item still forwards
	select {
	case got := <-a.clicks:
		if got != "quit" {
			t.Fatalf("forwarded %q, want quit", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("click on the remaining item not forwarded")
	}
	close(quit)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("forwardAll kept running after its items were removed")
	}
}

// A click is looked up in the menu as it is now: an update in place may have greyed the
// item out or given it another action since it was rendered.
func TestClickActsOnTheEntryAsShownNow(t *testing.T) {
	menu := []entry{
		{id: "fav/a", title: "A — activate (8h)", action: action{kind: actActivate, key: "a"}},
		{id: "fav/b", title: "B — activating…", disabled: true, action: action{kind: actActivate, key: "b"}},
		{id: "fav/c", title: "C — 1h left", children: []entry{
			{id: "fav/c/deactivate", title: "Deactivate", action: action{kind: actDeactivate, key: "c"}},
		}},
		{id: "all/d", title: "D — 1h left"}, // active in All eligible roles: shows, does nothing
		info("all/section/x", "Azure · IT (management group)"),
		{id: "quit", title: "Quit", action: action{kind: actQuit}},
	}
	tests := []struct {
		id       string
		want     []string
		wantQuit bool
	}{
		{"fav/a", []string{"Activate a"}, false},
		{"fav/b", nil, false}, // greyed out
		{"fav/c", nil, false}, // opens a submenu
		{"fav/c/deactivate", []string{"Deactivate c"}, false},
		{"all/d", nil, false}, // no action
		{"all/section/x", nil, false},
		{"gone", nil, false}, // removed by a rebuild since
		{"quit", nil, true},
	}
	for _, tc := range tests {
		core := &recordingCore{}
		a := newApp(core, Options{}.withDefaults())
		a.model = menu
		if quit := a.click(tc.id); quit != tc.wantQuit {
			t.Errorf("click(%q) quit = %v, want %v", tc.id, quit, tc.wantQuit)
		}
		if got := core.Calls(); !slices.Equal(got, tc.want) {
			t.Errorf("click(%q) calls = %q, want %q", tc.id, got, tc.want)
		}
	}
}

func TestRunWithoutACore(t *testing.T) {
	if err := Run(context.Background(), nil, Options{}); err == nil {
		t.Fatal("Run(nil core) = nil")
	}
}
