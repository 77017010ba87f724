//go:build linux

package notify

import (
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/pimtray/pimtray/internal/engine"
	"github.com/pimtray/pimtray/internal/testkit/desktoptest"
)

// newTestNotifier starts a notifier on the bus at addr, closed with the test.
func newTestNotifier(t *testing.T, addr string, opts Options) (*dbusNotifier, *logRecorder) {
	t.Helper()
	log, rec := newLog()
	opts.Log = log
	opts.Bus = desktoptest.Connect(t, addr)
	nf, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nf.Close() })
	return nf.(*dbusNotifier), rec
}

// nextEvent waits for the next ActionEvent.
func nextEvent(t *testing.T, nf Notifier) ActionEvent {
	t.Helper()
	select {
	case ev := <-nf.Actions():
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no ActionEvent arrived")
		return ActionEvent{}
	}
}

// noEvent checks that no ActionEvent arrives for a moment. Signals from one sender
// arrive in order, so callers first send a marker that does produce an event.
func noEvent(t *testing.T, nf Notifier) {
	t.Helper()
	select {
	case ev := <-nf.Actions():
		t.Errorf("unexpected ActionEvent %+v", ev)
	case <-time.After(50 * time.Millisecond):
	}
}

func TestReminderWithActionsRoundTrip(t *testing.T) {
	addr := desktoptest.StartBus(t)
	srv := startFakeServer(t, addr, "actions", "body", "body-markup")
	nf, _ := newTestNotifier(t, addr, Options{Icon: testPNG(t), IconPath: "/opt/pimtray/pimtray.png"})

	if c := nf.Capabilities(); c != (Caps{Backend: BackendDBus, Server: "fake 1.0", Actions: true, Replace: true}) {
		t.Errorf("Capabilities = %+v", c)
	}
	n := reminder("owner|15m", "owner", "Owner · IT ends in 15 minutes")
	n.Body = "R&D <prod> ends at 17:42."
	if err := nf.Show(n); err != nil {
		t.Fatal(err)
	}
	got := srv.next()
	if got.AppName != "pimtray" || got.Summary != "Owner · IT ends in 15 minutes" || got.ReplacesID != 0 || got.AppIcon != "/opt/pimtray/pimtray.png" {
		t.Errorf("Notify = app %q summary %q replaces %d icon %q", got.AppName, got.Summary, got.ReplacesID, got.AppIcon)
	}
	if got.Body != "R&amp;D &lt;prod&gt; ends at 17:42." {
		t.Errorf("body %q: not escaped for a body-markup server", got.Body)
	}
	// No "default" action: xfce4-notifyd would draw it as a button that does nothing.
	wantActions := []string{"reactivate", "Re-activate", "dismiss", "Dismiss"}
	if !reflect.DeepEqual(got.Actions, wantActions) {
		t.Errorf("actions = %q, want %q", got.Actions, wantActions)
	}
	if u, _ := got.Hints["urgency"].Value().(byte); u != 1 {
		t.Errorf("urgency = %v, want normal (1)", got.Hints["urgency"])
	}
	if d, _ := got.Hints["desktop-entry"].Value().(string); d != "pimtray" {
		t.Errorf("desktop-entry = %v", got.Hints["desktop-entry"])
	}
	if _, ok := got.Hints["image-data"]; !ok {
		t.Error("no image-data hint for the icon")
	}
	if got.Expire != 0 {
		t.Errorf("a reminder with buttons expires after %dms: it should stay until picked", got.Expire)
	}

	srv.signal(got.Sender, "ActionInvoked", got.ID, "reactivate")
	if ev := nextEvent(t, nf); ev != (ActionEvent{NoticeID: "owner|15m", Action: "reactivate"}) {
		t.Errorf("event = %+v", ev)
	}
	// The server closes the notice after the action: that is no dismissal.
	srv.signal(got.Sender, "NotificationClosed", got.ID, reasonDismissedByUser)
	noEvent(t, nf)
}

func TestSameRoleReplacesAndOthersDoNot(t *testing.T) {
	addr := desktoptest.StartBus(t)
	srv := startFakeServer(t, addr, "actions", "body")
	nf, _ := newTestNotifier(t, addr, Options{})

	steps := []struct {
		notice      engine.Notice
		wantReplace func(ids map[string]uint32) uint32
		wantUrgency byte
	}{
		{reminder("owner|15m", "owner", "Owner ends in 15 minutes"), func(map[string]uint32) uint32 { return 0 }, 1},
		{reminder("owner|5m", "owner", "Owner ends in 5 minutes"), func(ids map[string]uint32) uint32 { return ids["owner|15m"] }, 1},
		{reminder("reader|15m", "reader", "Reader ends in 15 minutes"), func(map[string]uint32) uint32 { return 0 }, 1},
		{engine.Notice{ID: "owner|ended", Kind: engine.NoticeEnded, Key: "owner", Title: "Owner has ended",
			Actions: []string{engine.ActionReactivate}}, func(ids map[string]uint32) uint32 { return ids["owner|5m"] }, 2},
		{engine.Notice{ID: "signin", Kind: engine.NoticeSignInNeeded, Title: "Sign in needed"}, func(map[string]uint32) uint32 { return 0 }, 1},
	}
	ids := map[string]uint32{}
	for _, st := range steps {
		if err := nf.Show(st.notice); err != nil {
			t.Fatal(err)
		}
		got := srv.next()
		if want := st.wantReplace(ids); got.ReplacesID != want {
			t.Errorf("%s: replaces_id = %d, want %d", st.notice.ID, got.ReplacesID, want)
		}
		if u, _ := got.Hints["urgency"].Value().(byte); u != st.wantUrgency {
			t.Errorf("%s: urgency %d, want %d", st.notice.ID, u, st.wantUrgency)
		}
		ids[st.notice.ID] = got.ID
		if st.notice.Kind == engine.NoticeSignInNeeded {
			if len(got.Actions) != 0 || got.Expire != -1 {
				t.Errorf("sign-in notice: actions %q expire %d, want no buttons and the server's timeout", got.Actions, got.Expire)
			}
		}
	}
	// The owner's notice on screen is now the "ended" one: its actions map to it.
	srv.signal(srv.calls[0].Sender, "ActionInvoked", ids["owner|ended"], "reactivate")
	if ev := nextEvent(t, nf); ev != (ActionEvent{NoticeID: "owner|ended", Action: "reactivate"}) {
		t.Errorf("event = %+v", ev)
	}
	// Closing a replaced notice does nothing; closing the shown one asks the server.
	if err := nf.CloseNotice("owner|15m"); err != nil {
		t.Error(err)
	}
	if err := nf.CloseNotice("reader|15m"); err != nil {
		t.Error(err)
	}
	if err := nf.CloseNotice("reader|15m"); err != nil {
		t.Error(err)
	}
	if got := srv.closed(); !reflect.DeepEqual(got, []uint32{ids["reader|15m"]}) {
		t.Errorf("CloseNotification calls %v, want only the reader's %d", got, ids["reader|15m"])
	}
	// Closed by us: no dismissal reported. A new reminder for reader starts afresh.
	if err := nf.Show(reminder("reader|5m", "reader", "Reader ends in 5 minutes")); err != nil {
		t.Fatal(err)
	}
	if got := srv.next(); got.ReplacesID != 0 {
		t.Errorf("a closed notice was replaced (replaces_id %d)", got.ReplacesID)
	}
	noEvent(t, nf)
}

func TestSignals(t *testing.T) {
	addr := desktoptest.StartBus(t)
	srv := startFakeServer(t, addr, "actions", "body")
	nf, _ := newTestNotifier(t, addr, Options{})
	if err := nf.Show(reminder("a", "owner", "A")); err != nil {
		t.Fatal(err)
	}
	a := srv.next()
	if err := nf.Show(reminder("b", "reader", "B")); err != nil {
		t.Fatal(err)
	}
	b := srv.next()
	me := a.Sender
	mark := func() { // a signal that does produce an event, to prove the ones before it did not
		t.Helper()
		srv.signal(me, "ActionInvoked", b.ID, "default")
		if ev := nextEvent(t, nf); ev != (ActionEvent{NoticeID: "b", Action: "default"}) {
			t.Errorf("marker event = %+v; an unexpected event came first", ev)
		}
	}

	// Malformed or foreign signals are ignored, never a panic.
	srv.signal(me, "ActionInvoked", "not-an-id", "reactivate")
	srv.signal(me, "ActionInvoked", a.ID)
	srv.signal(me, "ActionInvoked", a.ID, uint32(7))
	srv.signal(me, "ActionInvoked", a.ID, "rm -rf", "extra")
	srv.signal(me, "ActionInvoked", a.ID, "unknown-action")
	srv.signal(me, "ActionInvoked", uint32(999), "reactivate")
	srv.signal(me, "NotificationClosed", a.ID, "reason?")
	srv.signal(me, "NotificationClosed", a.ID)
	srv.signal(me, "SomethingElse", a.ID, "reactivate")
	mark()

	// Another client can't fake the server's signals.
	spoofer := desktoptest.Connect(t, addr)
	msg := &dbus.Message{Type: dbus.TypeSignal, Headers: map[dbus.HeaderField]dbus.Variant{
		dbus.FieldPath: dbus.MakeVariant(fdoPath), dbus.FieldInterface: dbus.MakeVariant(fdoIface),
		dbus.FieldMember: dbus.MakeVariant("ActionInvoked"), dbus.FieldDestination: dbus.MakeVariant(me),
		dbus.FieldSignature: dbus.MakeVariant(dbus.SignatureOf(a.ID, "reactivate")),
	}, Body: []any{a.ID, "reactivate"}}
	if call := spoofer.Send(msg, nil); call.Err != nil {
		t.Fatal(call.Err)
	}
	// A ping from the spoofer to pimtray's connection arrives after its signal: once
	// answered, the signal sits in the notifier's queue ahead of the marker.
	if err := spoofer.Object(me, "/").Call("org.freedesktop.DBus.Peer.Ping", 0).Err; err != nil {
		t.Fatal(err)
	}
	mark()

	// Broadcast signals (older servers) work too.
	srv.signal("", "ActionInvoked", a.ID, "dismiss")
	if ev := nextEvent(t, nf); ev != (ActionEvent{NoticeID: "a", Action: "dismiss"}) {
		t.Errorf("broadcast event = %+v", ev)
	}

	// Expired: nothing to report. Dismissed by the user without a pick: "dismiss".
	if err := nf.Show(reminder("c", "c", "C")); err != nil {
		t.Fatal(err)
	}
	c := srv.next()
	if err := nf.Show(reminder("d", "d", "D")); err != nil {
		t.Fatal(err)
	}
	d := srv.next()
	srv.signal(me, "NotificationClosed", c.ID, uint32(1)) // expired
	srv.signal(me, "NotificationClosed", d.ID, reasonDismissedByUser)
	if ev := nextEvent(t, nf); ev != (ActionEvent{NoticeID: "d", Action: "dismiss"}) {
		t.Errorf("user close event = %+v", ev)
	}
	// After closing, the server's ids no longer map to the notices.
	srv.signal(me, "ActionInvoked", d.ID, "reactivate")
	mark()
}

func TestServerWithoutActions(t *testing.T) {
	addr := desktoptest.StartBus(t)
	srv := startFakeServer(t, addr, "body")
	nf, rec := newTestNotifier(t, addr, Options{})
	if c := nf.Capabilities(); c.Backend != BackendDBus || c.Actions {
		t.Errorf("caps = %+v", c)
	}
	for i := range 3 {
		if err := nf.Show(reminder("n", "owner", "Owner ends in 15 minutes")); err != nil {
			t.Fatal(err)
		}
		got := srv.next()
		if len(got.Actions) != 0 {
			t.Errorf("actions %q sent to a server without the capability", got.Actions)
		}
		if want := "Owner on IT ends at 17:42.\n" + TrayPointer; got.Body != want {
			t.Errorf("body %q, want %q", got.Body, want)
		}
		if got.Expire != -1 {
			t.Errorf("a text-only notice never expires (%d)", got.Expire)
		}
		if i == 0 && got.ReplacesID != 0 || i > 0 && got.ReplacesID == 0 {
			t.Errorf("show %d: replaces_id %d", i, got.ReplacesID)
		}
	}
	if c := rec.count(slog.LevelWarn, "no buttons"); c != 1 {
		t.Errorf("missing buttons logged %d times at warn, want once", c)
	}
}

func TestNoServerFallsBack(t *testing.T) {
	addr := desktoptest.StartBus(t)
	fb := useFakeBeeep(t, nil)
	nf, rec := newTestNotifier(t, addr, Options{})
	if c := nf.Capabilities(); c.Backend != BackendBeeep || c.Actions {
		t.Errorf("caps without a server = %+v", c)
	}
	if err := nf.Show(reminder("n1", "owner", "Owner ends in 15 minutes")); err != nil {
		t.Fatalf("fallback that works reported %v", err)
	}
	if got := fb.calls(); len(got) != 1 || got[0][0] != "Owner ends in 15 minutes" || !strings.HasSuffix(got[0][1], TrayPointer) {
		t.Errorf("fallback showed %q", got)
	}

	fb.err = errors.New("notify-send: no server")
	for range 3 {
		err := nf.Show(reminder("n2", "owner", "Owner ends in 5 minutes"))
		if !errors.Is(err, ErrUnavailable) {
			t.Errorf("Show = %v, want ErrUnavailable", err)
		}
	}
	if c := rec.count(slog.LevelWarn, "not available"); c != 1 {
		t.Errorf("unavailability logged %d times at warn, want once", c)
	}
	if c := rec.count(slog.LevelWarn, "no notification server"); c != 1 {
		t.Errorf("fallback logged %d times at warn, want once", c)
	}

	// A server that starts after pimtray (login order) is used from then on.
	srv := startFakeServer(t, addr, "actions", "body")
	if err := nf.Show(reminder("n3", "owner", "Owner has ended")); err != nil {
		t.Fatal(err)
	}
	if got := srv.next(); got.Summary != "Owner has ended" || len(got.Actions) == 0 {
		t.Errorf("late server got %+v", got)
	}
	if c := nf.Capabilities(); c.Backend != BackendDBus || !c.Actions {
		t.Errorf("caps with a late server = %+v", c)
	}
	if n := len(fb.calls()); n != 4 {
		t.Errorf("fallback used %d times, want 4 (not for the late server)", n)
	}
}

func TestServerGoneFallsBack(t *testing.T) {
	addr := desktoptest.StartBus(t)
	fb := useFakeBeeep(t, nil)
	srv := startFakeServer(t, addr, "actions")
	nf, _ := newTestNotifier(t, addr, Options{})
	if err := nf.Show(reminder("n1", "owner", "one")); err != nil {
		t.Fatal(err)
	}
	srv.next()
	srv.conn.Close() // the server dies
	waitGone(t, nf)
	if err := nf.Show(reminder("n2", "owner", "two")); err != nil {
		t.Fatal(err)
	}
	if got := fb.calls(); len(got) != 1 || got[0][0] != "two" {
		t.Errorf("fallback got %q", got)
	}
}

// waitGone waits until the notification name has no owner.
func waitGone(t *testing.T, nf *dbusNotifier) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		var has bool
		if nf.conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, fdoName).Store(&has) == nil && !has {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the server's name stayed on the bus")
}

func TestHungServerDoesNotBlock(t *testing.T) {
	addr := desktoptest.StartBus(t)
	srv := startFakeServer(t, addr, "actions")
	nf, _ := newTestNotifier(t, addr, Options{Timeout: 200 * time.Millisecond})
	hang := make(chan struct{})
	srv.mu.Lock()
	srv.hang = hang
	srv.mu.Unlock()
	defer close(hang)
	// The server hangs until the test ends: that Show returns at all is the proof.
	err := nf.Show(reminder("n1", "owner", "one"))
	if err == nil {
		t.Error("Show to a hung server reported success")
	}
}

func TestNoSessionBus(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+t.TempDir()+"/no-bus")
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	fb := useFakeBeeep(t, errors.New("no bus"))
	log, rec := newLog()
	nf, err := New(Options{Log: log})
	if err != nil {
		t.Fatal(err)
	}
	defer nf.Close()
	if c := nf.Capabilities(); c.Backend != BackendBeeep {
		t.Errorf("caps = %+v", c)
	}
	for range 2 {
		if err := nf.Show(reminder("n", "k", "t")); !errors.Is(err, ErrUnavailable) {
			t.Errorf("Show = %v, want ErrUnavailable", err)
		}
	}
	if len(fb.calls()) != 2 {
		t.Errorf("fallback tried %d times, want 2", len(fb.calls()))
	}
	if c := rec.count(slog.LevelWarn, "not available"); c != 1 {
		t.Errorf("logged %d times, want once", c)
	}
	if err := nf.CloseNotice("n"); err != nil {
		t.Error(err)
	}
}

// TestRealBeeepWithoutServer runs the real beeep fallback against a bus without any
// notification server: it fails (D-Bus, notify-send), and that is reported, not a crash.
func TestRealBeeepWithoutServer(t *testing.T) {
	addr := desktoptest.StartBus(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", addr) // for beeep's own connection and notify-send
	nf, rec := newTestNotifier(t, addr, Options{Timeout: 5 * time.Second})
	err := nf.Show(reminder("n", "k", "t"))
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Show = %v, want ErrUnavailable", err)
	}
	if rec.count(slog.LevelWarn, "not available") != 1 {
		t.Error("not logged")
	}
}

func TestCloseStopsEverything(t *testing.T) {
	addr := desktoptest.StartBus(t)
	srv := startFakeServer(t, addr, "actions")
	nf, _ := newTestNotifier(t, addr, Options{})
	if err := nf.Show(reminder("n", "k", "t")); err != nil {
		t.Fatal(err)
	}
	got := srv.next()
	if err := nf.Close(); err != nil {
		t.Fatal(err)
	}
	nf.Close()
	srv.signal(got.Sender, "ActionInvoked", got.ID, "reactivate")
	if _, ok := <-nf.Actions(); ok {
		t.Error("Actions delivered after Close")
	}
	if err := nf.Show(reminder("n2", "k", "t")); err == nil {
		t.Error("Show after Close reported success")
	}
	// The passed connection stays usable: Close only closes what the notifier opened.
	if !nf.conn.Connected() {
		t.Error("Close closed the caller's connection")
	}
}
