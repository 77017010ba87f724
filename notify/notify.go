// Package notify shows the core's notices (engine.Notice) as desktop notifications and
// reports the buttons the user picks back as ActionEvents. It is a thin renderer: it
// decides nothing about roles, it only maps notices to the platform and clicks back.
//
// # Platforms
//
//   - Linux and the BSDs: the freedesktop notification service over D-Bus, with the
//     "Re-activate" and "Dismiss" buttons and a body click ("default") when the server
//     has the "actions" capability. A newer notice about the same role replaces the
//     previous one on screen (replaces_id), so "ends in 5 minutes" takes the place of
//     "ends in 15 minutes".
//   - Windows: toast notifications with the same buttons, pushed through WinRT's COM
//     interface (never go-toast's PowerShell fallback); activations come back through
//     go-toast's in-process COM callback while pimtray runs. pimtray is registered for
//     toasts as an unpackaged app the registry way Microsoft documents: AppUserModelID
//     "pimtray" under HKCU\Software\Classes\AppUserModelId with DisplayName, IconUri and
//     CustomActivator (pimtray's COM class). When toasts fail (no WinRT, as under Wine),
//     a notice becomes a balloon on pimtray's own tray icon, text only, logged once.
//   - Elsewhere (macOS), and as the fallback when no notification service answers:
//     github.com/gen2brain/beeep, which has no buttons, so the text points to the tray.
//
// # Failures
//
// Showing a notice never blocks for longer than Options.Timeout and never panics. When
// no service at all can show a notice, Show returns an error wrapping ErrUnavailable;
// the notifier has then already logged it once, so callers need not log it again (the
// tray still shows the state). A server without buttons is logged once too.
package notify

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/pimtray/pimtray/internal/engine"
)

// Notifier shows notices and reports what the user picked.
type Notifier interface {
	// Show displays n, replacing the previous notice about the same role (n.Key) where
	// the platform allows. It returns within Options.Timeout.
	Show(n engine.Notice) error
	// CloseNotice removes the notice with this ID from the screen, if still shown.
	// Unknown IDs are not an error.
	CloseNotice(noticeID string) error
	// Actions delivers the user's picks. It is closed by Close.
	Actions() <-chan ActionEvent
	// Capabilities says what the platform's notification service can do.
	Capabilities() Caps
	// Close stops listening and releases the connection. It is safe to call twice.
	Close() error
}

// ActionEvent is a user's pick on a notice. A notice the user closes without picking a
// button (its close box) comes back as engine.ActionDismiss; one that expires, is
// replaced or is closed by CloseNotice comes back as nothing.
type ActionEvent struct {
	NoticeID string
	// Action is engine.ActionReactivate or engine.ActionDismiss; engine.ActionOpen
	// ("default") when the body of a Windows toast was clicked, or a server sent it unasked.
	Action string
	// Key is the notice's role key when the platform brings it back (a Windows toast's
	// arguments carry it), so a button on a notice from an earlier run can still act.
	Key string
}

// Backend names which mechanism shows notices.
type Backend string

// Backends.
const (
	BackendDBus  Backend = "dbus"  // freedesktop notifications over D-Bus
	BackendToast Backend = "toast" // Windows toast notifications
	BackendBeeep Backend = "beeep" // gen2brain/beeep: text only, no buttons
	// BackendBalloon is Windows' fallback when toasts fail: a balloon on the tray's own
	// icon, text only.
	BackendBalloon Backend = "balloon"
)

// Caps says what the notification service can do right now.
type Caps struct {
	Backend Backend
	// Server names the notification server, e.g. "dunst 1.9.0", when known.
	Server string
	// Actions: buttons and body clicks come back on Actions().
	Actions bool
	// Replace: a notice replaces the previous one about the same role on screen.
	Replace bool
}

// ErrUnavailable means no notification service could show the notice.
// A constant: no caller can reassign it.
const ErrUnavailable = sentinel("no desktop notification service is available")

// TrayPointer is appended to a notice's text when the platform can't show its
// "Re-activate" button.
const TrayPointer = "Use the pimtray menu to re-activate."

// Options configure New. Every field is optional.
type Options struct {
	// AppName is shown by the notification service; default "pimtray".
	AppName string
	// DesktopEntry is the desktop file's name without ".desktop"; default "pimtray".
	DesktopEntry string
	// Icon is the application icon as PNG data.
	Icon []byte
	// IconPath is the application icon as an absolute file path (used as is where a
	// path is needed; when empty and Icon is set, Icon is written into CacheDir).
	IconPath string
	// CacheDir is the app's own cache folder, where Icon is written as a file when a path
	// is needed (the demo passes its own folder); default the user cache's "pimtray".
	CacheDir string
	// Log receives the notifier's own messages; default slog.Default().
	Log *slog.Logger
	// Bus is the D-Bus session connection to use (tests pass a private bus). When nil,
	// the notifier opens its own private connection to the session bus. A passed
	// connection is not closed by Close.
	Bus *dbus.Conn
	// Timeout bounds every call to the notification service; default 3s.
	Timeout time.Duration
	// ShownFile lists the notices on screen (D-Bus: the server's name and ids), so the next
	// start withdraws what a run that ended without Close left behind. "": not kept.
	ShownFile string
}

func (o Options) withDefaults() Options {
	if o.AppName == "" {
		o.AppName = "pimtray"
	}
	if o.DesktopEntry == "" {
		o.DesktopEntry = "pimtray"
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Timeout <= 0 {
		o.Timeout = 3 * time.Second
	}
	return o
}

// New starts the notifier of this platform. It does not fail when no notification
// service is running: notices then go through the fallback, and Show reports
// ErrUnavailable if that fails too.
func New(opts Options) (Notifier, error) {
	return newPlatform(opts.withDefaults())
}

// actionLabels are the button texts of the actions the core asks for.
var actionLabels = map[string]string{
	engine.ActionReactivate: "Re-activate",
	engine.ActionDismiss:    "Dismiss",
	engine.ActionOpen:       "Open",
	engine.ActionApprove:    "Approve",
	engine.ActionDeny:       "Deny",
}

// actionLabel is the button text of an action.
func actionLabel(action string) string {
	if l, ok := actionLabels[action]; ok {
		return l
	}
	return action
}

// hasAction reports whether n offers this action.
func hasAction(n engine.Notice, action string) bool {
	for _, a := range n.Actions {
		if a == action {
			return true
		}
	}
	return false
}

// textOnlyBody is the body of n for a service without buttons: when the notice offers
// re-activation (or approve and deny), it tells the user where to find it instead.
func textOnlyBody(n engine.Notice) string {
	pointer := TrayPointer
	switch {
	case hasAction(n, engine.ActionApprove):
		pointer = ApprovalPointer
	case !hasAction(n, engine.ActionReactivate):
		return n.Body
	}
	if strings.TrimSpace(n.Body) == "" {
		return pointer
	}
	return n.Body + "\n" + pointer
}

// ApprovalPointer ends a request's notice where buttons cannot be shown.
const ApprovalPointer = "Approve or deny it from the pimtray menu."

// writeFileAtomic writes data through a temporary file and a rename, 0600.
func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".notices-*.tmp")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// readSmallFile reads a file of at most 64 KiB (a list of ids), never more.
func readSmallFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, 64<<10))
}

// onceLog logs each distinct message key only once per notifier.
type onceLog struct {
	log  *slog.Logger
	mu   sync.Mutex
	seen map[string]bool
}

func (o *onceLog) warn(key, msg string, args ...any) {
	o.mu.Lock()
	first := !o.seen[key]
	if o.seen == nil {
		o.seen = map[string]bool{}
	}
	o.seen[key] = true
	o.mu.Unlock()
	if first {
		o.log.Warn(msg, args...)
	} else {
		o.log.Debug(msg, args...)
	}
}

// eventSink delivers ActionEvents without ever blocking the sender: a reader that
// falls far behind loses events (logged) rather than stalling D-Bus or COM.
type eventSink struct {
	log    *slog.Logger
	mu     sync.Mutex
	ch     chan ActionEvent
	closed bool
}

func newEventSink(log *slog.Logger) *eventSink {
	return &eventSink{log: log, ch: make(chan ActionEvent, 32)}
}

func (s *eventSink) send(ev ActionEvent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	select {
	case s.ch <- ev:
	default:
		s.log.Warn("notification action dropped: nobody is reading actions", "notice", ev.NoticeID, "action", ev.Action)
	}
}

func (s *eventSink) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.ch)
	}
}

// sentinel is the type of notify's error constants.
type sentinel string

func (e sentinel) Error() string { return string(e) }
