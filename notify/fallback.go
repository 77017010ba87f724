package notify

import (
	"fmt"
	"time"

	"github.com/gen2brain/beeep"

	"github.com/pimtray/pimtray/internal/engine"
)

// beeepNotify is beeep.Notify; tests replace it so they never reach the host's desktop.
var beeepNotify = beeep.Notify

// textShower shows a notice as title and text through beeep, which has no buttons.
type textShower struct {
	icon    any // beeep takes a path or PNG bytes
	timeout time.Duration
}

func newTextShower(opts Options) textShower {
	beeep.AppName = opts.AppName
	var icon any = opts.IconPath
	if opts.IconPath == "" && len(opts.Icon) > 0 {
		icon = opts.Icon
	}
	return textShower{icon: icon, timeout: opts.Timeout}
}

// show sends n as plain text; the body points to the tray when n offers re-activation.
func (t textShower) show(n engine.Notice) error {
	notify := beeepNotify
	icon := t.icon
	return callWithTimeout(t.timeout, func() error {
		return notify(n.Title, textOnlyBody(n), icon)
	})
}

// callWithTimeout runs f, giving up waiting after d (f may go on in the background)
// and turning a panic in f into an error: showing a notice must never crash pimtray.
func callWithTimeout(d time.Duration, f func() error) error {
	done := make(chan error, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- fmt.Errorf("notification library panicked: %v", p)
			}
		}()
		done <- f()
	}()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case err := <-done:
		return err
	case <-timer.C:
		return fmt.Errorf("no answer within %v", d)
	}
}

// textNotifier is the notifier of platforms without a button-capable service: every
// notice goes through beeep, and Actions never delivers anything.
type textNotifier struct {
	shower textShower
	logs   *onceLog
	events *eventSink
}

func newTextNotifier(opts Options) *textNotifier {
	return &textNotifier{
		shower: newTextShower(opts),
		logs:   &onceLog{log: opts.Log},
		events: newEventSink(opts.Log),
	}
}

func (t *textNotifier) Show(n engine.Notice) error {
	if n.Kind == engine.NoticeWithdrawn {
		return nil // a text notice can't be taken back
	}
	if err := t.shower.show(n); err != nil {
		t.logs.warn("unavailable", "desktop notifications are not available; reminders show in the tray only", "error", err)
		return fmt.Errorf("show notification %q: %w: %v", n.Title, ErrUnavailable, err)
	}
	return nil
}

func (t *textNotifier) CloseNotice(string) error    { return nil }
func (t *textNotifier) Actions() <-chan ActionEvent { return t.events.ch }
func (t *textNotifier) Capabilities() Caps          { return Caps{Backend: BackendBeeep} }
func (t *textNotifier) Close() error                { t.events.close(); return nil }
