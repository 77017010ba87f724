package tray

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pimtray/pimtray/internal/engine"
	"github.com/pimtray/pimtray/pim"
	"github.com/pimtray/pimtray/tray/dialog"
)

// answer is one scripted dialog answer: pick is the row to choose (by its first cell),
// text the answer to type, ok false for Cancel, err a dialog that can't be shown.
type answer struct {
	pick string
	text string
	ok   bool
	err  error
}

// fakeDialogs answers the tray's dialogs from a script, in order, and records what each
// showed. A dialog beyond the script fails the test.
type fakeDialogs struct {
	t       *testing.T
	mu      sync.Mutex
	script  []answer
	shown   []string // "choose <title>: <prompt> [row; row]", "ask …", "confirm …"
	lastRow [][]string
}

func (f *fakeDialogs) next(what string) answer {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.shown = append(f.shown, what)
	if len(f.script) == 0 {
		f.t.Errorf("unexpected dialog: %s", what)
		return answer{}
	}
	a := f.script[0]
	f.script = f.script[1:]
	return a
}

func (f *fakeDialogs) Choose(_ context.Context, l dialog.List) (int, bool, error) {
	var rows []string
	for _, r := range l.Rows {
		rows = append(rows, strings.Join(r, " | "))
	}
	a := f.next("choose " + l.Title + ": " + l.Prompt + " [" + strings.Join(rows, "; ") + "]")
	f.mu.Lock()
	f.lastRow = l.Rows
	f.mu.Unlock()
	if a.err != nil || !a.ok {
		return 0, false, a.err
	}
	for i, r := range l.Rows {
		if r[0] == a.pick {
			return i, true, nil
		}
	}
	f.t.Errorf("no row %q in %s", a.pick, l.Title)
	return 0, false, nil
}

func (f *fakeDialogs) Ask(_ context.Context, q dialog.Question) (string, bool, error) {
	a := f.next("ask " + q.Title + ": " + q.Prompt + " [" + q.Default + "]")
	return a.text, a.ok, a.err
}

func (f *fakeDialogs) Confirm(_ context.Context, c dialog.Confirmation) (bool, error) {
	a := f.next("confirm " + c.Title + ": " + c.Prompt + " [" + c.OK + "]")
	return a.ok, a.err
}

func (f *fakeDialogs) Shown() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.shown)
}

// waitDialogs waits until no dialog is open.
func (a *app) waitDialogs() {
	a.dialogMu.Lock()
	a.dialogMu.Unlock() //nolint:staticcheck // only waiting for the holder
}

func dialogSnapshot() engine.Snapshot {
	ga := fav(itemOf(rGlobalAdmin, engine.StateEligible))
	ga.Policy = &pim.Policy{MaxDuration: 4 * time.Hour, Justification: true}
	ga.SavedJustification = "Daily operations"
	owner := activeUntil(rOwnerIT, t0.Add(time.Hour))
	owner.StartsAt = t0.Add(-time.Hour)
	pending := itemOf(rUserAdmin, engine.StatePending)
	return engine.Snapshot{
		Accounts:   []engine.Account{signedIn},
		Favourites: []engine.Item{ga},
		All:        []engine.Item{ga, pending, owner, itemOf(rContribSub, engine.StateEligible)},
		Settings:   engine.Settings{DefaultDuration: 8 * time.Hour, Reminders: []time.Duration{15 * time.Minute, 5 * time.Minute}},
	}
}

func TestMenuDialogs(t *testing.T) {
	ga, owner, ua, contrib := rGlobalAdmin.Key(), rOwnerIT.Key(), rUserAdmin.Key(), rContribSub.Key()
	tests := []struct {
		name   string
		act    action
		script []answer
		want   []string // core calls
	}{
		{"sign out asks first; Cancel keeps the sign-in", action{kind: actSignOut, tenant: contoso},
			[]answer{{ok: false}}, nil},
		{"sign out asks first; OK signs out", action{kind: actSignOut, tenant: contoso},
			[]answer{{ok: true}}, []string{"SignOut " + contoso}},
		{"find a role: an eligible one is activated", action{kind: actFindRole},
			[]answer{{pick: "Contributor", ok: true}}, []string{"Activate " + contrib}},
		{"find a role: an active one can be re-activated", action{kind: actFindRole},
			[]answer{{pick: "Owner", ok: true}, {pick: titleReactivateNow, ok: true}}, []string{"Reactivate " + owner}},
		{"find a role: an active one can be deactivated", action{kind: actFindRole},
			[]answer{{pick: "Owner", ok: true}, {pick: titleDeactivate, ok: true}}, []string{"Deactivate " + owner}},
		{"find a role: a pending one can be cancelled", action{kind: actFindRole},
			[]answer{{pick: "User Administrator", ok: true}, {ok: true}}, []string{"Cancel " + ua}},
		{"find a role: Cancel does nothing", action{kind: actFindRole}, []answer{{ok: false}}, nil},
		{"add a favourite", action{kind: actAddFavourite},
			[]answer{{pick: "Owner", ok: true}}, []string{"ToggleFavourite " + owner}},
		{"a favourite's duration, among the policy's choices", action{kind: actFavouriteSettings, key: ga},
			[]answer{{pick: "Duration", ok: true}, {pick: "2h", ok: true}}, []string{"SetFavouriteDuration " + ga + " 2h0m0s"}},
		{"a favourite's duration back to the default", action{kind: actFavouriteSettings, key: ga},
			[]answer{{pick: "Duration", ok: true}, {pick: "The default duration", ok: true}}, []string{"SetFavouriteDuration " + ga + " 0s"}},
		{"a favourite's reason edited", action{kind: actFavouriteSettings, key: ga},
			[]answer{{pick: "Justification", ok: true}, {text: "Patch night", ok: true}}, []string{"SetFavouriteJustification " + ga + ` "Patch night"`}},
		{"a favourite's reason cleared", action{kind: actFavouriteSettings, key: ga},
			[]answer{{pick: "Clear the justification", ok: true}}, []string{"SetFavouriteJustification " + ga + ` ""`}},
		{"a favourite's ticket", action{kind: actFavouriteSettings, key: ga},
			[]answer{{pick: "Ticket number", ok: true}, {text: "CHG-7", ok: true}}, []string{"SetFavouriteTicket " + ga + ` "CHG-7" ""`}},
		{"a favourite kept active until 18:00", action{kind: actFavouriteSettings, key: ga},
			[]answer{{pick: "Keep active until", ok: true}, {pick: "18:00", ok: true}}, []string{"SetKeepActiveUntil " + ga + ` "18:00"`}},
		{"a favourite's keep-alive off", action{kind: actFavouriteSettings, key: ga},
			[]answer{{pick: "Keep active until", ok: true}, {pick: "Off (now)", ok: true}}, []string{"SetKeepActiveUntil " + ga + ` ""`}},
		{"settings cancelled half-way change nothing", action{kind: actFavouriteSettings, key: ga},
			[]answer{{pick: "Duration", ok: true}, {ok: false}}, nil},
		{"the default duration", action{kind: actDefaultDuration},
			[]answer{{pick: "4h", ok: true}}, []string{"SetDefaultDuration 4h0m0s"}},
		{"reminders", action{kind: actReminders},
			[]answer{{pick: "30m and 10m before the end", ok: true}}, []string{"SetReminders [30m0s 10m0s]"}},
		{"reminders off", action{kind: actReminders},
			[]answer{{pick: "off", ok: true}}, []string{"SetReminders []"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			core := &recordingCore{snap: dialogSnapshot()}
			d := &fakeDialogs{t: t, script: tc.script}
			a := newApp(core, Options{Dialogs: d, Now: func() time.Time { return t0 }, Location: time.UTC}.withDefaults())
			a.handle(tc.act)
			a.waitDialogs()
			if got := core.Calls(); !slices.Equal(got, tc.want) {
				t.Errorf("calls = %q, want %q\ndialogs: %q", got, tc.want, d.Shown())
			}
			if len(d.script) > 0 {
				t.Errorf("dialogs not shown: %+v (shown: %q)", d.script, d.Shown())
			}
		})
	}
}

func TestSettingsDialogsShowThePolicysChoices(t *testing.T) {
	core := &recordingCore{snap: dialogSnapshot()}
	d := &fakeDialogs{t: t, script: []answer{{pick: "Duration", ok: true}, {ok: false}}}
	a := newApp(core, Options{Dialogs: d, Now: func() time.Time { return t0 }}.withDefaults())
	a.handle(action{kind: actFavouriteSettings, key: rGlobalAdmin.Key()})
	a.waitDialogs()
	shown := d.Shown()
	if len(shown) != 2 || !strings.Contains(shown[0], "Duration | default (8h), at most 4h") ||
		!strings.Contains(shown[0], "Justification | Daily operations; Clear the justification") {
		t.Errorf("settings list = %q", shown)
	}
	if !strings.HasSuffix(shown[1], "[The default duration; 30m; 1h; 2h; 4h]") { // the policy's maximum is 4h
		t.Errorf("duration list = %q", shown[1])
	}
}

func TestADialogThatFailsIsShownInTheMenu(t *testing.T) {
	core := &recordingCore{snap: dialogSnapshot()}
	d := &fakeDialogs{t: t, script: []answer{{err: errors.New("no input dialog available: install zenity or kdialog")}}}
	a := newApp(core, Options{Dialogs: d, Now: func() time.Time { return t0 }}.withDefaults())
	a.handle(action{kind: actFindRole})
	a.waitDialogs()
	m := buildMenu(core.snap, t0, a.env())
	p, ok := findEntry(m, "tray-problem")
	if !ok || p.title != "Find a role: no input dialog available: install zenity or kdialog" || !p.disabled {
		t.Fatalf("problem line = %+v, %v", p, ok)
	}
	if len(core.Calls()) != 0 {
		t.Errorf("calls = %q", core.Calls())
	}
	// A refused setting says why, in the menu too; the next dialog that works clears it.
	core.err = &engine.InputError{Msg: "Global Administrator can be activated for at most 4h"}
	d.script = []answer{{pick: "4h", ok: true}}
	a.handle(action{kind: actDefaultDuration})
	a.waitDialogs()
	if p, _ := findEntry(buildMenu(core.snap, t0, a.env()), "tray-problem"); p.title != "Settings: Global Administrator can be activated for at most 4h" {
		t.Errorf("problem line = %q", p.title)
	}
	core.err = nil
	d.script = []answer{{pick: "8h (now)", ok: true}}
	a.handle(action{kind: actDefaultDuration})
	a.waitDialogs()
	if p, ok := findEntry(buildMenu(core.snap, t0, a.env()), "tray-problem"); ok {
		t.Errorf("problem line stays: %q", p.title)
	}
}

func TestOneDialogAtATime(t *testing.T) {
	core := &recordingCore{snap: dialogSnapshot()}
	a := newApp(core, Options{Dialogs: &fakeDialogs{t: t}}.withDefaults())
	a.dialogMu.Lock() // a dialog is open
	a.handle(action{kind: actFindRole})
	a.dialogMu.Unlock()
	a.waitDialogs() // the second click was dropped: fakeDialogs fails the test on any dialog
}
