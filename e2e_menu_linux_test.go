//go:build linux

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pimtray/pimtray/internal/testkit/desktoptest"
	"github.com/pimtray/pimtray/store"
)

// zenityAnswers puts a zenity on the children's PATH that answers its calls in turn with the
// given lines (a list: the row number; an entry: the text typed) and logs each call's
// arguments, one call a line.
func (w *world) zenityAnswers(t *testing.T, answers ...string) (calls func() []string) {
	t.Helper()
	count, file := filepath.Join(w.root, "zenity-count"), filepath.Join(w.root, "zenity-answers")
	if err := os.WriteFile(file, []byte(strings.Join(answers, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return w.fakeZenity(t, "n=0; [ -f '"+count+"' ] && read -r n < '"+count+"'; n=$((n+1)); echo $n > '"+count+"'\n"+
		"i=0; while IFS= read -r line; do i=$((i+1)); if [ $i -eq $n ]; then printf '%s\\n' \"$line\"; exit 0; fi; done < '"+file+"'\nexit 1\n")
}

// fakeZenity puts a zenity on the children's PATH that appends its arguments, one call per
// line, to a log and then runs answer (shell lines that print the answer and exit); calls
// reads the log back.
func (w *world) fakeZenity(t *testing.T, answer string) (calls func() []string) {
	t.Helper()
	dir := filepath.Join(w.root, "dialog")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(w.root, "zenity-calls")
	script := "#!/bin/sh\nprintf '%s\\037' \"$@\" >> '" + log + "'\necho >> '" + log + "'\n" + answer
	if err := os.WriteFile(filepath.Join(dir, "zenity"), []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	w.binPath = dir
	w.extraEnv = append(w.extraEnv, "DISPLAY=:99")
	return func() []string {
		b, _ := os.ReadFile(log)
		var out []string
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if l != "" {
				out = append(out, strings.ReplaceAll(strings.TrimSuffix(l, "\x1f"), "\x1f", " | "))
			}
		}
		return out
	}
}

// Issue 11, settings from the menu: on the real tray and engine, Settings ▸ a favourite ▸
// Duration ▸ 2h, then Keep active until ▸ 18:00, then Justification (typed), each written to
// the configuration file, which the test reads back; Sign out asks first, and Cancel keeps
// the sign-in.
func TestE2ESettingsFromTheMenuAreSavedToTheConfigFile(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{Favourites: []store.Favourite{securityReader(time.Hour)}})
	w.signIn()
	// The settings list's rows: Duration, Justification, Ticket number, Keep active until.
	// Durations: the default, 30m, 1h, 2h, …; keep-alive: Off, 12:00 … 22:00.
	calls := w.zenityAnswers(t,
		"0", "3", // Duration ▸ 2h
		"3", "7", // Keep active until ▸ 18:00
		"1", "patch night", // Justification ▸ typed
	)
	watcher := desktoptest.StartWatcher(t, w.bus)
	w.startTray()
	item := watcher.WaitForItem(t, e2eTimeout)
	settings := func(what string) {
		t.Helper()
		m := item.WaitForMenu(t, e2eTimeout, "Settings ▸ Security Reader", func(m *desktoptest.MenuNode) bool {
			s := m.FindByLabel("Settings")
			return s != nil && s.FindByLabelPrefix("Security Reader: ") != nil
		})
		// A click on an entry the tray redraws at that moment (a refresh's labels, on a
		// loaded machine) can be lost: no dialog comes. Click again only then, when no
		// dialog was asked for at all; a dialog that did come is answered, never doubled.
		before := len(calls())
		for try := 1; ; try++ {
			item.Click(t, m.FindByLabel("Settings").FindByLabelPrefix("Security Reader: ").ID)
			if waitUntil(10*time.Second, func() bool { return len(calls()) > before }) {
				break
			}
			if try == 3 {
				t.Fatalf("three clicks on Settings ▸ Security Reader opened no dialog")
			}
			t.Logf("click %d on Settings ▸ Security Reader opened no dialog; clicking again", try)
			m = item.WaitForMenu(t, e2eTimeout, "Settings ▸ Security Reader", func(m *desktoptest.MenuNode) bool {
				s := m.FindByLabel("Settings")
				return s != nil && s.FindByLabelPrefix("Security Reader: ") != nil
			})
		}
		waitFor(t, e2eTimeout, what, func() bool {
			f := savedFavouriteOrZero(w, securityReaderKey)
			switch what {
			case "the duration saved":
				return f.Duration.D() == 2*time.Hour
			case "the keep-alive saved":
				return f.KeepActiveUntil == "18:00"
			default:
				return f.Justification == "patch night"
			}
		})
	}
	settings("the duration saved")
	settings("the keep-alive saved")
	settings("the justification saved")
	f := savedFavourite(t, w, securityReaderKey)
	if f.Duration.D() != 2*time.Hour || f.KeepActiveUntil != "18:00" || f.Justification != "patch night" {
		t.Fatalf("saved favourite = %+v", f)
	}
	item.WaitForMenu(t, e2eTimeout, "the menu to say so", func(m *desktoptest.MenuNode) bool {
		return m.FindByLabel("Security Reader — activate (2h)") != nil &&
			m.FindByLabel("Settings").FindByLabel("Security Reader: 2h · reason “patch night” · until 18:00…") != nil
	})
	c := calls()
	if len(c) != 6 || !strings.HasPrefix(c[0], "--list | --title | Security Reader") || !strings.HasPrefix(c[5], "--entry") {
		t.Fatalf("dialogs: %q", c)
	}

	// Sign out asks first; this zenity has no answers left (Cancel): still signed in.
	item.ClickLabel(t, "Sign out")
	waitFor(t, e2eTimeout, "the sign-out question", func() bool { return len(calls()) == 7 })
	if q := calls()[6]; !strings.HasPrefix(q, "--question | --title | Sign out") {
		t.Fatalf("sign out asked %q", q)
	}
	// A refresh after it (its answer comes after any sign-out the click could have made):
	// still signed in.
	item.ClickLabel(t, "Refresh")
	m := item.WaitForMenu(t, e2eTimeout, "a refresh after Cancel", func(m *desktoptest.MenuNode) bool {
		r := m.FindByLabel("Refresh")
		return r != nil && r.Enabled
	})
	if m.FindByLabel("Sign out") == nil || !strings.HasPrefix(m.Children[0].Label, "admin@contoso.example") {
		t.Fatalf("signed out after Cancel:\n%s", m)
	}
}

func savedFavouriteOrZero(w *world, key string) store.Favourite {
	cfg, err := store.LoadConfig(w.configFile())
	if err != nil {
		return store.Favourite{}
	}
	for _, f := range cfg.Favourites {
		if f.Key == key {
			return f
		}
	}
	return store.Favourite{}
}
