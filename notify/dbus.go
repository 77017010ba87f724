package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"os"
	"slices"
	"sync"
	"time"

	fdo "github.com/esiqveland/notify"
	"github.com/godbus/dbus/v5"

	"github.com/pimtray/pimtray/internal/engine"
)

// The freedesktop notification service.
const (
	fdoName  = "org.freedesktop.Notifications"
	fdoPath  = dbus.ObjectPath("/org/freedesktop/Notifications")
	fdoIface = "org.freedesktop.Notifications"

	reasonDismissedByUser = uint32(fdo.ReasonDismissedByUser)

	// maxTracked bounds the server-id ↔ notice map: servers that never report a
	// notice closed must not make it grow without end.
	maxTracked = 256
)

// errNoServer means nothing owns (or can be started as) org.freedesktop.Notifications.
var errNoServer = errors.New("no notification server on the session bus")

// dbusNotifier speaks the freedesktop notification protocol. It builds messages with
// esiqveland/notify's types but makes the calls itself: every call has a deadline (a
// hung server must not stall the core), and signal bodies are checked before use (a
// malformed signal from any peer must not crash pimtray).
type dbusNotifier struct {
	opts     Options
	conn     *dbus.Conn // nil: no session bus, every notice goes through the text fallback
	ownConn  bool
	text     textShower
	logs     *onceLog
	events   *eventSink
	iconHint *dbus.Variant

	signals   chan *dbus.Signal
	stop      chan struct{}
	loopDone  chan struct{}
	closeOnce sync.Once

	capsMu sync.Mutex
	caps   Caps

	// mu guards the fields below. Show holds it across its D-Bus calls, so a signal
	// about a notice that was just sent waits until the notice's ID is recorded.
	mu      sync.Mutex
	closed  bool
	owner   string // unique bus name of the server the capabilities belong to
	actions bool   // the server has the "actions" capability
	markup  bool   // the server interprets body markup: escape the text
	notices map[uint32]shown
	ids     map[string]uint32 // notice ID -> server id
	byKey   map[string]uint32 // role key -> server id of the notice about it on screen
}

// shown is one notice on screen.
type shown struct {
	noticeID string
	key      string
	acted    bool // an action came back: a following "closed" is not a dismissal
}

// newDBus starts a D-Bus notifier; with no usable bus it still works, through the
// text fallback.
func newDBus(opts Options) *dbusNotifier {
	n := &dbusNotifier{
		opts:     opts,
		conn:     opts.Bus,
		text:     newTextShower(opts),
		logs:     &onceLog{log: opts.Log},
		events:   newEventSink(opts.Log),
		stop:     make(chan struct{}),
		loopDone: make(chan struct{}),
		notices:  map[uint32]shown{},
		ids:      map[string]uint32{},
		byKey:    map[string]uint32{},
		caps:     Caps{Backend: BackendBeeep},
	}
	if len(opts.Icon) > 0 {
		if v, err := imageDataHint(opts.Icon); err == nil {
			n.iconHint = &v
		} else {
			opts.Log.Debug("notification icon not usable", "error", err)
		}
	}
	if n.conn == nil {
		conn, err := connectSessionBus(opts.Timeout)
		if err != nil {
			opts.Log.Info("no D-Bus session bus: notifications will have no buttons", "error", err)
		} else {
			n.conn, n.ownConn = conn, true
		}
	}
	if n.conn == nil {
		close(n.loopDone)
		return n
	}
	ctx, cancel := context.WithTimeout(context.Background(), opts.Timeout)
	defer cancel()
	// Most servers send their signals to the notice's sender only; this match rule
	// also lets through servers that broadcast them.
	if err := n.conn.AddMatchSignalContext(ctx, dbus.WithMatchInterface(fdoIface), dbus.WithMatchObjectPath(fdoPath)); err != nil {
		opts.Log.Debug("watch notification signals", "error", err)
	}
	n.signals = make(chan *dbus.Signal, 16)
	n.conn.Signal(n.signals)
	go n.loop()

	n.mu.Lock()
	if err := n.probe(ctx); err != nil {
		opts.Log.Info("no notification server yet: will look again for each notice", "error", err)
	}
	n.withdrawLeftovers(ctx)
	n.mu.Unlock()
	return n
}

// connectSessionBus opens a private connection to the session bus, never starting a
// bus (no dbus-launch) and giving up after timeout.
func connectSessionBus(timeout time.Duration) (*dbus.Conn, error) {
	type result struct {
		conn *dbus.Conn
		err  error
	}
	done := make(chan result, 1)
	abandoned := make(chan struct{})
	go func() {
		conn, err := dbus.SessionBusPrivateNoAutoStartup()
		if err == nil {
			if err = conn.Auth(nil); err == nil {
				err = conn.Hello()
			}
			if err != nil {
				conn.Close()
				conn = nil
			}
		}
		select {
		case done <- result{conn, err}:
		case <-abandoned:
			if conn != nil {
				conn.Close()
			}
		}
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case r := <-done:
		if r.err != nil {
			return nil, fmt.Errorf("connect to the session bus: %w", r.err)
		}
		return r.conn, nil
	case <-timer.C:
		close(abandoned)
		return nil, fmt.Errorf("connect to the session bus: no answer within %v", timeout)
	}
}

func (n *dbusNotifier) Actions() <-chan ActionEvent { return n.events.ch }

func (n *dbusNotifier) Capabilities() Caps {
	n.capsMu.Lock()
	defer n.capsMu.Unlock()
	return n.caps
}

func (n *dbusNotifier) setCaps(c Caps) {
	n.capsMu.Lock()
	n.caps = c
	n.capsMu.Unlock()
}

// probe finds the server and, when it is a new one, its capabilities. mu is held.
func (n *dbusNotifier) probe(ctx context.Context) error {
	bus := n.conn.BusObject()
	var owner string
	err := bus.CallWithContext(ctx, "org.freedesktop.DBus.GetNameOwner", 0, fdoName).Store(&owner)
	if err != nil {
		// Not running: it may still be startable by the bus (a D-Bus service file).
		var activatable []string
		if bus.CallWithContext(ctx, "org.freedesktop.DBus.ListActivatableNames", 0).Store(&activatable) != nil ||
			!slices.Contains(activatable, fdoName) {
			n.forgetServer()
			return errNoServer
		}
		var caps []string
		if err := n.server().CallWithContext(ctx, fdoIface+".GetCapabilities", 0).Store(&caps); err != nil {
			n.forgetServer()
			return fmt.Errorf("start the notification server: %w", err)
		}
		if err := bus.CallWithContext(ctx, "org.freedesktop.DBus.GetNameOwner", 0, fdoName).Store(&owner); err != nil {
			n.forgetServer()
			return fmt.Errorf("find the notification server: %w", err)
		}
	}
	if owner == n.owner {
		return nil
	}
	var caps []string
	if err := n.server().CallWithContext(ctx, fdoIface+".GetCapabilities", 0).Store(&caps); err != nil {
		n.forgetServer()
		return fmt.Errorf("ask the notification server what it can do: %w", err)
	}
	var name, vendor, version, spec string
	server := ""
	if n.server().CallWithContext(ctx, fdoIface+".GetServerInformation", 0).Store(&name, &vendor, &version, &spec) == nil {
		server = name + " " + version
	}
	n.forgetServer() // a new server knows nothing of the old one's notices
	n.owner = owner
	n.actions = slices.Contains(caps, "actions")
	n.markup = slices.Contains(caps, "body-markup")
	n.setCaps(Caps{Backend: BackendDBus, Server: server, Actions: n.actions, Replace: true})
	n.opts.Log.Debug("notification server found", "server", server, "capabilities", caps)
	return nil
}

// forgetServer drops what was known about the server and its notices. mu is held.
func (n *dbusNotifier) forgetServer() {
	n.owner = ""
	n.actions, n.markup = false, false
	clear(n.notices)
	clear(n.ids)
	clear(n.byKey)
}

func (n *dbusNotifier) server() dbus.BusObject { return n.conn.Object(fdoName, fdoPath) }

func (n *dbusNotifier) Show(notice engine.Notice) error {
	if notice.Kind == engine.NoticeWithdrawn {
		return n.CloseNotice(notice.ID)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return errors.New("show notification: the notifier is closed")
	}
	if n.conn == nil {
		return n.showText(notice, errors.New("no session bus"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), n.opts.Timeout)
	defer cancel()
	if err := n.probe(ctx); err != nil {
		return n.showText(notice, err)
	}

	note := n.message(notice)
	var id uint32
	err := n.server().CallWithContext(ctx, fdoIface+".Notify", 0,
		note.AppName, note.ReplacesID, note.AppIcon, note.Summary, note.Body,
		flattenActions(note.Actions), note.Hints, int32(note.ExpireTimeout.Milliseconds())).Store(&id)
	if err != nil {
		if noServer(err) {
			n.forgetServer()
			return n.showText(notice, err)
		}
		n.logs.warn("notify-failed", "the notification server did not show a notice", "error", err)
		return fmt.Errorf("show notification %q: %w", notice.Title, err)
	}
	n.track(id, note.ReplacesID, notice)
	return nil
}

// message renders a notice for the server. mu is held.
func (n *dbusNotifier) message(notice engine.Notice) fdo.Notification {
	note := fdo.Notification{
		AppName:       n.opts.AppName,
		AppIcon:       n.opts.IconPath,
		Summary:       notice.Title,
		Body:          notice.Body,
		ExpireTimeout: fdo.ExpireTimeoutSetByNotificationServer,
	}
	if notice.Key != "" {
		note.ReplacesID = n.byKey[notice.Key]
	}
	if n.actions {
		for _, a := range notice.Actions {
			if a != engine.ActionOpen {
				note.Actions = append(note.Actions, fdo.Action{Key: a, Label: actionLabel(a)})
			}
		}
		// No "default" action: a body click could only open the tray menu, which no tray
		// host lets an app do, and some servers (xfce4-notifyd) draw the default action
		// as a button of its own, one that would do nothing. A body click closes the notice.
		if len(notice.Actions) > 0 && (notice.Kind == engine.NoticeReminder || notice.Kind == engine.NoticeEnded || notice.Kind == engine.NoticeApproval) {
			note.ExpireTimeout = fdo.ExpireTimeoutNever // stays until the user picks
		}
	} else if len(notice.Actions) > 0 {
		note.Body = textOnlyBody(notice)
		if hasAction(notice, engine.ActionReactivate) {
			n.logs.warn("no-actions", "the notification server shows no buttons: notices point to the tray menu instead", "server", n.Capabilities().Server)
		}
	}
	if n.markup {
		note.Body = html.EscapeString(note.Body)
	}
	urgency := fdo.UrgencyNormal
	if notice.Kind == engine.NoticeEnded || notice.Kind == engine.NoticeFailed {
		urgency = fdo.UrgencyCritical
	}
	note.SetUrgency(urgency)
	note.AddHint(fdo.Hint{ID: "desktop-entry", Variant: dbus.MakeVariant(n.opts.DesktopEntry)})
	if n.iconHint != nil {
		note.AddHint(fdo.Hint{ID: "image-data", Variant: *n.iconHint})
	}
	return note
}

func flattenActions(actions []fdo.Action) []string {
	flat := make([]string, 0, 2*len(actions))
	for _, a := range actions {
		flat = append(flat, a.Key, a.Label)
	}
	return flat
}

// track records the server id of a notice just shown. mu is held.
func (n *dbusNotifier) track(id, replaced uint32, notice engine.Notice) {
	if replaced != 0 && replaced != id {
		n.forget(replaced)
	}
	n.forget(id) // the server reused the id: the notice it showed before is gone
	n.notices[id] = shown{noticeID: notice.ID, key: notice.Key}
	n.ids[notice.ID] = id
	if notice.Key != "" {
		n.byKey[notice.Key] = id
	}
	for len(n.notices) > maxTracked {
		oldest := id
		for sid := range n.notices {
			oldest = min(oldest, sid)
		}
		n.forget(oldest)
	}
	n.saveShown()
}

// forget drops a server id's notice. mu is held.
func (n *dbusNotifier) forget(id uint32) {
	s, ok := n.notices[id]
	if !ok {
		return
	}
	delete(n.notices, id)
	if n.ids[s.noticeID] == id {
		delete(n.ids, s.noticeID)
	}
	if s.key != "" && n.byKey[s.key] == id {
		delete(n.byKey, s.key)
	}
}

// showText shows a notice through the text fallback when the D-Bus server can't.
func (n *dbusNotifier) showText(notice engine.Notice, cause error) error {
	if notice.Kind == engine.NoticeWithdrawn {
		return nil
	}
	n.setCaps(Caps{Backend: BackendBeeep})
	if err := n.text.show(notice); err != nil {
		n.logs.warn("unavailable", "desktop notifications are not available: reminders show in the tray only", "dbus", cause, "fallback", err)
		return fmt.Errorf("show notification %q: %w (%v; fallback: %v)", notice.Title, ErrUnavailable, cause, err)
	}
	n.logs.warn("fallback", "no notification server on D-Bus: notifications have no buttons", "error", cause)
	return nil
}

func (n *dbusNotifier) CloseNotice(noticeID string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	id, ok := n.ids[noticeID]
	if !ok || n.conn == nil || n.closed {
		return nil
	}
	n.forget(id)
	n.saveShown()
	ctx, cancel := context.WithTimeout(context.Background(), n.opts.Timeout)
	defer cancel()
	err := n.server().CallWithContext(ctx, fdoIface+".CloseNotification", 0, id).Err
	if err != nil && !noServer(err) {
		return fmt.Errorf("close notification %q: %w", noticeID, err)
	}
	return nil
}

// withdrawAll takes every notice pimtray still has on screen away: a notice left behind
// after pimtray quits could only offer buttons nobody listens to (the server sends a
// notice's signals to the connection that sent it, which is gone). mu is held.
func (n *dbusNotifier) withdrawAll() {
	if n.conn == nil || len(n.notices) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), n.opts.Timeout)
	defer cancel()
	for id := range n.notices {
		if err := n.server().CallWithContext(ctx, fdoIface+".CloseNotification", 0, id).Err; err != nil {
			n.opts.Log.Debug("withdraw a notice on quit", "id", id, "error", err)
			if noServer(err) || ctx.Err() != nil {
				break
			}
		}
	}
	n.opts.Log.Debug("withdrew pimtray's notices", "count", len(n.notices))
	clear(n.notices)
	clear(n.ids)
	clear(n.byKey)
	n.saveShown()
}

// noServer reports whether err means nobody answers for the notification service.
func noServer(err error) bool {
	if errors.Is(err, dbus.ErrClosed) {
		return true
	}
	var derr dbus.Error
	if errors.As(err, &derr) {
		switch derr.Name {
		case "org.freedesktop.DBus.Error.ServiceUnknown", "org.freedesktop.DBus.Error.NameHasNoOwner":
			return true
		}
	}
	return false
}

// loop turns the server's signals into ActionEvents.
func (n *dbusNotifier) loop() {
	defer close(n.loopDone)
	for {
		select {
		case sig, ok := <-n.signals:
			if !ok {
				return
			}
			n.handle(sig)
		case <-n.stop:
			return
		}
	}
}

// handle maps one signal. Bodies are checked: a malformed signal is ignored.
func (n *dbusNotifier) handle(sig *dbus.Signal) {
	if sig == nil || sig.Path != fdoPath || len(sig.Body) != 2 {
		return
	}
	id, ok := sig.Body[0].(uint32)
	if !ok {
		return
	}
	switch sig.Name {
	case fdoIface + ".ActionInvoked":
		action, ok := sig.Body[1].(string)
		if !ok || actionLabels[action] == "" {
			return
		}
		if noticeID, ok := n.acted(sig.Sender, id); ok {
			n.events.send(ActionEvent{NoticeID: noticeID, Action: action})
		}
	case fdoIface + ".NotificationClosed":
		reason, ok := sig.Body[1].(uint32)
		if !ok {
			return
		}
		s, ok := n.closedByServer(sig.Sender, id)
		// Closed by the user without picking anything: that is a dismissal. Closed
		// after an action, expired or closed by us: nothing to report.
		if ok && !s.acted && reason == reasonDismissedByUser {
			n.events.send(ActionEvent{NoticeID: s.noticeID, Action: engine.ActionDismiss})
		}
	}
}

// acted records that an action came back for a server id and returns its notice.
func (n *dbusNotifier) acted(sender string, id uint32) (string, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	s, ok := n.notices[id]
	if !ok || (n.owner != "" && sender != n.owner) {
		return "", false
	}
	s.acted = true
	n.notices[id] = s
	return s.noticeID, true
}

// closedByServer forgets a server id the server closed and returns its notice.
func (n *dbusNotifier) closedByServer(sender string, id uint32) (shown, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	s, ok := n.notices[id]
	if !ok || (n.owner != "" && sender != n.owner) {
		return shown{}, false
	}
	n.forget(id)
	n.saveShown()
	return s, true
}

func (n *dbusNotifier) Close() error {
	n.closeOnce.Do(func() {
		n.mu.Lock()
		n.closed = true
		n.withdrawAll()
		n.mu.Unlock()
		close(n.stop)
		<-n.loopDone
		if n.conn != nil {
			n.conn.RemoveSignal(n.signals)
			ctx, cancel := context.WithTimeout(context.Background(), n.opts.Timeout)
			if err := n.conn.RemoveMatchSignalContext(ctx, dbus.WithMatchInterface(fdoIface), dbus.WithMatchObjectPath(fdoPath)); err != nil {
				n.opts.Log.Debug("stop watching notification signals", "error", err)
			}
			cancel()
			if n.ownConn {
				n.conn.Close()
			}
		}
		n.events.close()
	})
	return nil
}

var _ Notifier = (*dbusNotifier)(nil)

// shownList is Options.ShownFile's content: the notices pimtray has on screen, by the
// server's unique bus name (its ids mean nothing to another server).
type shownList struct {
	Server string   `json:"server"`
	IDs    []uint32 `json:"ids"`
}

// saveShown lists the notices on screen in Options.ShownFile. mu is held.
func (n *dbusNotifier) saveShown() {
	path := n.opts.ShownFile
	if path == "" {
		return
	}
	if len(n.notices) == 0 || n.owner == "" {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			n.opts.Log.Debug("forget the notices on screen", "error", err)
		}
		return
	}
	l := shownList{Server: n.owner}
	for id := range n.notices {
		l.IDs = append(l.IDs, id)
	}
	slices.Sort(l.IDs)
	data, err := json.Marshal(l)
	if err == nil {
		err = writeFileAtomic(path, data)
	}
	if err != nil {
		n.logs.warn("shown-file", "could not list the notices on screen", "error", err)
	}
}

// withdrawLeftovers takes away the notices an earlier run left on screen (it ended without
// Close: killed, crashed), when the same server still shows them: their buttons could
// only do nothing, as the server sends their signals to the connection that is gone.
// mu is held.
func (n *dbusNotifier) withdrawLeftovers(ctx context.Context) {
	path := n.opts.ShownFile
	if path == "" || n.owner == "" {
		return
	}
	data, err := readSmallFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return
	}
	var l shownList
	if err == nil {
		err = json.Unmarshal(data, &l)
	}
	if err != nil {
		n.opts.Log.Debug("list of an earlier run's notices unusable", "error", err)
	} else if l.Server == n.owner {
		for _, id := range l.IDs {
			if _, ours := n.notices[id]; ours {
				continue
			}
			if err := n.server().CallWithContext(ctx, fdoIface+".CloseNotification", 0, id).Err; err != nil {
				n.opts.Log.Debug("withdraw an earlier run's notice", "id", id, "error", err)
				break
			}
		}
		n.opts.Log.Info("withdrew the notices an earlier run left on screen", "count", len(l.IDs))
	}
	_ = os.Remove(path)
}
