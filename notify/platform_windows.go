//go:build windows

package notify

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"git.sr.ht/~jackmordaunt/go-toast"
	"git.sr.ht/~jackmordaunt/go-toast/tmpl"
	"git.sr.ht/~jackmordaunt/go-toast/wintoast"
	"golang.org/x/sys/windows/registry"

	"github.com/pimtray/pimtray/internal/engine"
)

// toastGUID is pimtray's own COM class for toast activations, so the callback of
// another go-toast program can't receive (or steal) pimtray's clicks.
const toastGUID = "{6F1A3C52-8E47-4B0D-9C1E-5A7D2B3F4E61}"

// setIconURI keeps the AppUserModelID's IconUri pointing at this run's icon file:
// go-toast writes a value only when it is missing, so an icon that moved (another cache
// folder) would stay pointing at the old place.
func setIconURI(aumid, icon string) error {
	if icon == "" {
		return nil
	}
	k, _, err := registry.CreateKey(registry.CURRENT_USER, `Software\Classes\AppUserModelId\`+aumid, registry.QUERY_VALUE|registry.SET_VALUE)
	if err != nil {
		return fmt.Errorf("register the notification icon: %w", err)
	}
	defer k.Close()
	if old, _, err := k.GetStringValue("IconUri"); err == nil && old == icon {
		return nil
	}
	if err := k.SetStringValue("IconUri", icon); err != nil {
		return fmt.Errorf("register the notification icon: %w", err)
	}
	return nil
}

func newPlatform(opts Options) (Notifier, error) {
	t := &toastNotifier{
		opts:   opts,
		logs:   &onceLog{log: opts.Log},
		events: newEventSink(opts.Log),
	}
	icon, err := iconFile(opts)
	if err != nil {
		opts.Log.Debug("notification icon not usable", "error", err)
	}
	t.icon = icon
	// The app data (name, icon, our COM class) goes to the registry once; notices are
	// then pushed without an AppID so each push does not rewrite it.
	if err := callWithTimeout(opts.Timeout, func() error {
		if err := setIconURI(opts.AppName, icon); err != nil {
			return err
		}
		return toast.SetAppData(toast.AppData{AppID: opts.AppName, GUID: toastGUID, IconPath: icon})
	}); err != nil {
		t.logs.warn("appdata", "register pimtray for toast notifications", "error", err)
	}
	// Clicks arrive through go-toast's in-process COM callback while pimtray runs.
	// (A toast clicked after pimtray quit does nothing: no activation executable is
	// registered, so Windows does not start pimtray for it.)
	toast.SetActivationCallback(func(args string, _ []toast.UserData) {
		if ev, ok := parseToastArgs(args); ok {
			t.events.send(ev)
		}
	})
	return t, nil
}

// toastNotifier shows Windows toast notifications with buttons.
type toastNotifier struct {
	opts   Options
	logs   *onceLog
	events *eventSink
	icon   string

	mu     sync.Mutex
	closed bool
	failed bool // the last toast failed: notices go to the balloon, without buttons
}

func (t *toastNotifier) Show(n engine.Notice) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return errors.New("show notification: the notifier is closed")
	}
	if n.Kind == engine.NoticeWithdrawn {
		return nil // go-toast can't remove a toast once shown
	}
	note := toast.Notification{
		Title:               toastText(n.Title),
		Body:                toastText(n.Body),
		Icon:                t.icon,
		ActivationType:      toast.Foreground,
		ActivationArguments: toastArgs(engine.ActionOpen, n.ID, n.Key),
		Audio:               toast.Default,
		Duration:            toast.Short,
	}
	if n.Kind == engine.NoticeReminder || n.Kind == engine.NoticeEnded {
		note.Audio = toast.Reminder
		note.Duration = toast.Long
	}
	for _, a := range n.Actions {
		if a == engine.ActionOpen {
			continue
		}
		note.Actions = append(note.Actions, toast.Action{
			Type: toast.Foreground, Content: actionLabel(a), Arguments: toastArgs(a, n.ID, n.Key),
		})
	}
	err := callWithTimeout(t.opts.Timeout, func() error { return pushToast(note) })
	if err == nil {
		t.failed = false
		return nil
	}
	t.failed = true
	if ferr := callWithTimeout(t.opts.Timeout, func() error { return showBalloon(n.Title, textOnlyBody(n)) }); ferr != nil {
		t.logs.warn("unavailable", "desktop notifications are not available: reminders show in the tray only", "toast", err, "balloon", ferr)
		return fmt.Errorf("show notification %q: %w (%v; balloon: %v)", n.Title, ErrUnavailable, err, ferr)
	}
	t.logs.warn("fallback", "toast notifications are not available: notices show as balloons on the tray icon, without buttons", "error", err)
	return nil
}

// pushToast shows a toast through Windows' COM interface alone. (Notification.Push
// would fall back to a PowerShell script in a temporary file; pimtray runs no PowerShell.)
func pushToast(note toast.Notification) error {
	var xml strings.Builder
	if err := tmpl.XMLTemplate.Execute(&xml, note); err != nil {
		return fmt.Errorf("toast XML: %w", err)
	}
	return wintoast.Push(xml.String())
}

// CloseNotice does nothing: go-toast can't remove a toast once shown.
func (t *toastNotifier) CloseNotice(string) error { return nil }

func (t *toastNotifier) Actions() <-chan ActionEvent { return t.events.ch }

func (t *toastNotifier) Capabilities() Caps {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.failed {
		return Caps{Backend: BackendBalloon}
	}
	return Caps{Backend: BackendToast, Actions: true}
}

func (t *toastNotifier) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.closed {
		t.closed = true
		toast.SetActivationCallback(func(string, []toast.UserData) {})
		t.events.close()
	}
	return nil
}

var _ Notifier = (*toastNotifier)(nil)
