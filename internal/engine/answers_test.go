package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pimtray/pimtray/pim"
	"github.com/pimtray/pimtray/store"
)

// formPrompter is a Prompter that also asks forms (as tray/dialog does with zenity --forms).
type formPrompter struct {
	fakePrompter
	fmu     sync.Mutex
	forms   []Form
	answers [][]string // nil entry: cancel
	noDlg   error      // CanPrompt's answer and every call's error when set
}

func (p *formPrompter) AskForm(ctx context.Context, f Form) ([]string, bool, error) {
	p.fmu.Lock()
	defer p.fmu.Unlock()
	if p.noDlg != nil {
		return nil, false, p.noDlg
	}
	p.forms = append(p.forms, f)
	if len(p.answers) == 0 {
		return nil, false, nil
	}
	a := p.answers[0]
	p.answers = p.answers[1:]
	return a, a != nil, nil
}

func (p *formPrompter) Ask(ctx context.Context, q Question) (string, bool, error) {
	if p.noDlg != nil {
		return "", false, p.noDlg
	}
	return p.fakePrompter.Ask(ctx, q)
}

func (p *formPrompter) CanPrompt() error { return p.noDlg }

func (p *formPrompter) formsAsked() []Form {
	p.fmu.Lock()
	defer p.fmu.Unlock()
	return slices.Clone(p.forms)
}

func withFormPrompter(p *formPrompter) harnessOpt {
	return func(o *Options, _ *fakeAPI) { o.Prompter = p }
}

// savedFavourite waits for a configuration save and returns the favourite of r in it.
func (h *harness) savedFavourite(r pim.Role) store.Favourite {
	h.t.Helper()
	select {
	case c := <-h.saved:
		for _, f := range c.Favourites {
			if f.Key == r.Key() {
				return f
			}
		}
		h.t.Fatalf("the saved configuration has no favourite %s: %+v", r.Label(), c.Favourites)
	case <-time.After(5 * time.Second):
		h.t.Fatal("the configuration was not saved")
	}
	return store.Favourite{}
}

func TestTypedJustificationIsSavedAndTheNextClickAsksNothing(t *testing.T) {
	h := newHarness(t, withFavourites(fav(roleGA))).start()
	h.prompt.answers = []string{"patch night"}
	h.e.Activate(roleGA.Key())
	h.stateIs(roleGA, StateActive)
	if q := h.prompt.questions(); len(q) != 1 || q[0].Field != FieldJustification || q[0].Default != "" {
		t.Fatalf("questions = %+v", q)
	}
	if f := h.savedFavourite(roleGA); f.Justification != "patch night" {
		t.Fatalf("saved favourite = %+v", f)
	}
	h.advance(MinActiveForRestart)
	if _, err := h.e.DeactivateNow(context.Background(), roleGA.Key()); err != nil {
		t.Fatal(err)
	}
	h.e.Activate(roleGA.Key())
	h.stateIs(roleGA, StateActive)
	if q := h.prompt.questions(); len(q) != 1 {
		t.Fatalf("the second click asked again: %+v", q)
	}
	// Global Administrator wants MFA: each click is a request and its step-up retry.
	calls := h.api.callsOf("activate")
	if len(calls) != 4 {
		t.Fatalf("%d activation requests, want 4", len(calls))
	}
	for _, c := range calls {
		if c.Req.Justification != "patch night" {
			t.Fatalf("sent justification %q", c.Req.Justification)
		}
	}
}

func TestCancelledOrRefusedAnswersAreNotSaved(t *testing.T) {
	h := newHarness(t, withFavourites(fav(roleGA))).start()
	h.prompt.answers = []string{""} // cancel
	h.e.Activate(roleGA.Key())
	h.waitFor("the question", func(Snapshot) bool { return len(h.prompt.questions()) == 1 })
	h.stateIs(roleGA, StateEligible)
	h.settle()
	select {
	case c := <-h.saved:
		t.Fatalf("saved after a cancel: %+v", c.Favourites)
	default:
	}
}

func TestTwoFieldsAreOneForm(t *testing.T) {
	p := &formPrompter{answers: [][]string{{"change window", "CHG-9"}}}
	h := newHarness(t, withFormPrompter(p), withFavourites(fav(roleContrib)), func(_ *Options, f *fakeAPI) {
		pol := f.policies[roleContrib.Key()]
		pol.Justification = true
		f.policies[roleContrib.Key()] = pol
	}).start()
	h.e.Activate(roleContrib.Key())
	h.stateIs(roleContrib, StateActive)
	forms := p.formsAsked()
	if len(forms) != 1 || len(forms[0].Questions) != 2 || forms[0].Questions[0].Field != FieldJustification ||
		forms[0].Questions[1].Field != FieldTicket {
		t.Fatalf("forms = %+v", forms)
	}
	if q := p.questions(); len(q) != 0 {
		t.Fatalf("asked one by one as well: %+v", q)
	}
	c := h.api.callsOf("activate")
	if len(c) != 1 || c[0].Req.Justification != "change window" || c[0].Req.TicketNumber != "CHG-9" {
		t.Fatalf("calls = %+v", c)
	}
	if f := h.savedFavourite(roleContrib); f.Justification != "change window" || f.TicketNumber != "CHG-9" {
		t.Fatalf("saved = %+v", f)
	}
}

func TestReactivateReusesTheRunningActivationsAnswers(t *testing.T) {
	// Not a favourite: nothing saved in the configuration, only what was sent.
	h := newHarness(t).start()
	if _, err := h.e.ActivateNow(context.Background(), roleContrib.Key(), ActivateOptions{TicketNumber: "CHG-77", TicketSystem: "Jira", Duration: time.Hour}); err != nil {
		t.Fatal(err)
	}
	h.advance(50 * time.Minute)
	rem := h.notice(NoticeReminder)
	if !slices.Contains(rem.Actions, ActionReactivate) {
		t.Fatalf("reminder offers no Re-activate: %+v", rem)
	}
	h.e.NoticeAction(rem.ID, ActionReactivate)
	h.notice(NoticeReactivated)
	if q := h.prompt.questions(); len(q) != 0 {
		t.Fatalf("the re-activation asked: %+v", q)
	}
	calls := h.api.callsOf("activate")
	if len(calls) < 2 {
		t.Fatalf("calls = %+v", calls)
	}
	for _, c := range calls[1:] {
		if c.Req.TicketNumber != "CHG-77" || c.Req.TicketSystem != "Jira" {
			t.Fatalf("re-activation sent %+v", c.Req)
		}
	}
}

func TestKeepAliveReusesTheAnswers(t *testing.T) {
	h := newHarness(t, withFavourites(fav(roleGA, func(f *store.Favourite) { f.Duration = store.Duration(time.Hour); f.KeepActiveUntil = "12:00" }))).start()
	h.prompt.answers = []string{"on call"}
	h.e.Activate(roleGA.Key())
	h.stateIs(roleGA, StateActive)
	h.advance(50 * time.Minute)
	h.waitFor("kept alive", func(Snapshot) bool { return h.api.count("activate") >= 2 })
	h.settle()
	for _, c := range h.api.callsOf("activate") {
		if c.Req.Justification != "on call" {
			t.Fatalf("keep-alive sent %+v", c.Req)
		}
	}
	if q := h.prompt.questions(); len(q) != 1 {
		t.Fatalf("questions = %+v", q)
	}
}

func TestActivateAllAsksOnceAndSumsUp(t *testing.T) {
	p := &formPrompter{answers: [][]string{{"release day", "CHG-5"}}}
	h := newHarness(t, withFormPrompter(p), withFavourites(fav(roleGA), fav(roleContrib), fav(roleOwnerIT), fav(roleUA))).start()
	h.e.ActivateFavourites()
	n := h.notice(NoticeSummary)
	if forms := p.formsAsked(); len(forms) != 1 || len(p.questions()) != 0 {
		t.Fatalf("forms %+v, questions %+v", forms, p.questions())
	} else if !strings.Contains(forms[0].Text, "Global Administrator") || !strings.Contains(forms[0].Text, "Contributor · MySubscription") ||
		strings.Contains(forms[0].Text, "Owner") {
		t.Errorf("form text = %q", forms[0].Text)
	}
	if n.Title != "3 favourites activated, 1 request waiting for approval" {
		t.Errorf("summary title = %q", n.Title)
	}
	for _, want := range []string{"Global Administrator: active until 17:00", "Contributor · MySubscription: active until 13:00",
		"Owner · IT: active until 17:00", "User Administrator: waits for approval"} {
		if !strings.Contains(n.Body, want) {
			t.Errorf("summary body %q lacks %q", n.Body, want)
		}
	}
	byKey := map[string]pim.ActivateRequest{}
	for _, c := range h.api.callsOf("activate") {
		byKey[c.Key] = c.Req
	}
	if len(byKey) != 4 || byKey[roleGA.Key()].Justification != "release day" || byKey[roleContrib.Key()].TicketNumber != "CHG-5" ||
		byKey[roleOwnerIT.Key()].Justification != "" {
		t.Fatalf("requests = %+v", byKey)
	}
	h.settle()
	for done := false; !done; { // only the step-ups' notices (and their withdrawals) besides
		select {
		case n := <-h.e.Notices():
			if n.Kind != NoticeStepUp && n.Kind != NoticeWithdrawn {
				t.Fatalf("a second notice: %+v", n)
			}
		default:
			done = true
		}
	}
}

func TestActivateAllCancelSendsNothing(t *testing.T) {
	p := &formPrompter{}
	h := newHarness(t, withFormPrompter(p), withFavourites(fav(roleGA), fav(roleOwnerIT))).start()
	p.fakePrompter.answers = []string{""}
	h.e.ActivateFavourites()
	h.waitFor("the question", func(Snapshot) bool { return len(p.questions()) == 1 })
	h.settle()
	if n := h.api.count("activate"); n != 0 {
		t.Fatalf("%d activations after cancel", n)
	}
	h.noNotice()
}

func TestNoDialogSaysHowToFixIt(t *testing.T) {
	p := &formPrompter{noDlg: fmt.Errorf("%w: install zenity or kdialog", ErrNoDialog)}
	h := newHarness(t, withFormPrompter(p), withFavourites(fav(roleGA))).start()
	h.e.Activate(roleGA.Key())
	n := h.notice(NoticeFailed)
	want := `pimtray could not ask for a justification: no input dialog program is installed. Install zenity or kdialog, or run: pimtray activate "Global Administrator" --reason "…"`
	if n.Body != want {
		t.Fatalf("notice body\n%q\nwant\n%q", n.Body, want)
	}
	if it := item(h.settle(), roleGA); it.Problem != want {
		t.Errorf("item problem = %q", it.Problem)
	}
	if h.api.count("activate") != 0 {
		t.Fatal("sent without a justification")
	}
}

func TestReminderOffersNoReactivateThatCannotWork(t *testing.T) {
	p := &formPrompter{noDlg: fmt.Errorf("%w: install zenity or kdialog", ErrNoDialog)}
	h := newHarness(t, withFormPrompter(p)).start()
	// Global Administrator needs a justification; activated elsewhere, nothing saved for it.
	h.api.activateDirect(roleGA, t0, time.Hour)
	h.e.RefreshNow(context.Background(), "")
	h.advance(50 * time.Minute)
	rem := h.notice(NoticeReminder)
	if slices.Contains(rem.Actions, ActionReactivate) {
		t.Fatalf("reminder offers a Re-activate that would need a dialog: %+v", rem)
	}
	if !strings.Contains(rem.Body, "--reason") {
		t.Errorf("reminder body %q does not say how to re-activate", rem.Body)
	}
	if !errors.Is(p.noDlg, ErrNoDialog) {
		t.Fatal("test setup")
	}
}

// A favourite that fails is one line of the one summary, not a notice of its own.
func TestActivateAllReportsAFailureInTheSummary(t *testing.T) {
	gone := fav(roleSR, func(f *store.Favourite) { f.Key = "entra|" + tenantA + "|gone|/"; f.RoleID = "gone" })
	h := newHarness(t, withFavourites(fav(roleOwnerIT), gone)).start()
	h.e.ActivateFavourites()
	n := h.notice(NoticeFailed)
	if n.Title != "1 favourite activated, 1 failure" || !strings.Contains(n.Body, "Owner · IT: active until 17:00") ||
		!strings.Contains(n.Body, "not eligible") {
		t.Fatalf("summary %q\n%s", n.Title, n.Body)
	}
	h.settle()
	for done := false; !done; {
		select {
		case n := <-h.e.Notices():
			if n.Kind != NoticeWithdrawn {
				t.Fatalf("a second notice: %+v", n)
			}
		default:
			done = true
		}
	}
}
