package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// withdrawn waits for the withdrawal of the notice id (other notices are skipped).
func (h *harness) withdrawn(id string) {
	h.t.Helper()
	deadline := time.After(liveness)
	for {
		select {
		case n := <-h.e.Notices():
			if n.Kind == NoticeWithdrawn && n.ID == id {
				return
			}
			h.t.Logf("skipping notice %s %s: %s", n.Kind, n.ID, n.Title)
		case <-deadline:
			h.t.Fatalf("notice %s was not withdrawn", id)
		}
	}
}

func TestFailedDeactivationNoticeIsWithdrawnWhenALaterTryWorks(t *testing.T) {
	h := newHarness(t, withFavourites(fav(roleOwnerIT))).start()
	h.e.Activate(roleOwnerIT.Key())
	h.stateIs(roleOwnerIT, StateActive)
	h.e.Deactivate(roleOwnerIT.Key()) // within the first 5 minutes: Azure refuses
	failed := h.notice(NoticeFailed)
	if !strings.HasPrefix(failed.Title, "Could not deactivate Owner · IT") {
		t.Fatalf("notice = %+v", failed)
	}
	h.advance(time.Minute)
	h.settle()
	h.noNotice() // still true: the role is still active
	h.advance(5 * time.Minute)
	h.e.Deactivate(roleOwnerIT.Key())
	h.withdrawn(failed.ID)
}

func TestFailedActivationNoticeIsWithdrawnWhenTheRoleIsActivatedElsewhere(t *testing.T) {
	p := &formPrompter{noDlg: fmt.Errorf("%w: install zenity or kdialog", ErrNoDialog)}
	h := newHarness(t, withFormPrompter(p), withFavourites(fav(roleContrib))).start()
	h.e.Activate(roleContrib.Key())
	failed := h.notice(NoticeFailed)
	h.settle()
	// The command line (or the portal) activates it with a ticket.
	if _, err := h.e.ActivateNow(context.Background(), roleContrib.Key(), ActivateOptions{TicketNumber: "CHG-1", Interactive: true}); err != nil {
		t.Fatal(err)
	}
	h.withdrawn(failed.ID)
}

func TestReminderIsWithdrawnWhenTheRoleIsReactivatedElsewhere(t *testing.T) {
	h := newHarness(t, withFavourites(fav(roleOwnerIT, oneHour))).start()
	h.activateAt0(roleOwnerIT)
	h.advance(45 * time.Minute)
	rem := h.notice(NoticeReminder)
	// Re-activated from the portal: a new activation, a new end.
	h.api.set(func(f *fakeAPI) { f.active = nil })
	h.api.activateDirect(roleOwnerIT, h.clk.Now(), 2*time.Hour)
	h.e.RefreshNow(context.Background(), "")
	h.withdrawn(rem.ID)
}

func TestReactivatedNoticeExpiresWithTheActivation(t *testing.T) {
	h := newHarness(t, withFavourites(fav(roleOwnerIT, oneHour))).start()
	h.activateAt0(roleOwnerIT)
	h.advance(45 * time.Minute)
	rem := h.notice(NoticeReminder)
	h.e.NoticeAction(rem.ID, ActionReactivate)
	re := h.notice(NoticeReactivated)
	h.advance(time.Hour + 14*time.Minute) // before the new end (11:00): still true
	for done := false; !done; {
		select {
		case n := <-h.e.Notices():
			if n.Kind == NoticeWithdrawn && n.ID == re.ID {
				t.Fatalf("withdrawn while still true at %v", h.clk.Now())
			}
		default:
			done = true
		}
	}
	// At the end the "has ended" notice about the role takes its place on screen (the
	// notifier replaces a role's notice with the next one about it)...
	h.advance(2 * time.Minute)
	ended := h.notice(NoticeEnded)
	if ended.Key != re.Key {
		t.Fatalf("ended notice %+v", ended)
	}
	// ...which is withdrawn once the role is active again.
	h.e.Activate(roleOwnerIT.Key())
	h.withdrawn(ended.ID)
}

func TestAButtonFromAnEarlierRunActsOrSaysWhy(t *testing.T) {
	h := newHarness(t, withFavourites(fav(roleOwnerIT))).start()
	// A Windows toast from before a restart: its ID unknown here, its role key in its arguments.
	h.e.NoticeActionFor("reminder-from-yesterday", ActionReactivate, roleOwnerIT.Key())
	h.stateIs(roleOwnerIT, StateActive)
	if n := h.api.count("activate"); n != 1 {
		t.Fatalf("%d activations", n)
	}
	// No key (a D-Bus notice from an earlier run, should one come back): it says why.
	h.e.NoticeAction("reminder-from-yesterday", ActionReactivate)
	n := h.notice(NoticeFailed)
	if n.Title != "pimtray can't act on that notification" || !strings.Contains(n.Body, "Use the pimtray menu") {
		t.Fatalf("notice = %+v", n)
	}
}

// failingAuth is a sign-in that fails as the identity platform's refusal does.
type failingAuth struct{ fakeAuth }

func (a *failingAuth) SignIn(ctx context.Context, o SignInOptions) (string, error) {
	return "", errors.New("AADSTS50020: User account from identity provider does not exist in tenant")
}

// A failed sign-in is in the log, with what a user needs to report it (the real-mode log
// was empty after one).
func TestFailedSignInIsLogged(t *testing.T) {
	var log bytes.Buffer
	var mu sync.Mutex
	h := newHarness(t, func(o *Options, _ *fakeAPI) {
		o.Tenants[0].Auth = &failingAuth{}
		o.Log = slog.New(slog.NewTextHandler(lockedWriter{&mu, &log}, nil))
	})
	if _, err := h.e.SignInNow(context.Background(), "", SignInOptions{}); err == nil {
		t.Fatal("the sign-in did not fail")
	}
	mu.Lock()
	defer mu.Unlock()
	if got := log.String(); !strings.Contains(got, `level=WARN msg="sign-in failed" tenant=Contoso`) || !strings.Contains(got, "AADSTS50020") {
		t.Fatalf("log:\n%s", got)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// A click whose activation needs MFA says a sign-in opens; the notice goes once it worked.
func TestStepUpIsAnnouncedThenWithdrawn(t *testing.T) {
	h := newHarness(t, withFavourites(fav(roleEX))).start()
	h.e.Activate(roleEX.Key())
	n := h.notice(NoticeStepUp)
	if n.Title != "Exchange Administrator needs a Conditional Access authentication context: signing in again" {
		t.Fatalf("notice = %+v", n)
	}
	h.stateIs(roleEX, StateActive)
	h.withdrawn(n.ID)
}
