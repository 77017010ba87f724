//go:build linux

package main

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pimtray/pimtray/internal/fakeazure"
	"github.com/pimtray/pimtray/internal/testkit/desktoptest"
	"github.com/pimtray/pimtray/store"
)

// browserShim puts a fake xdg-open first on the children's PATH: it writes the URL it is
// asked to open to a file, and the test plays the browser on it with the fake's own
// automated browser (as a user who signs in would). It returns how many pages were opened.
func (w *world) browserShim(t *testing.T) (opened func() int) {
	t.Helper()
	dir := filepath.Join(w.root, "shim")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	urls := filepath.Join(w.root, "opened-urls")
	script := "#!/bin/sh\nprintf '%s\\n' \"$1\" >> " + urls + "\n"
	if err := os.WriteFile(filepath.Join(dir, "xdg-open"), []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	w.binPath = dir
	var mu sync.Mutex
	n := 0
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		browse := w.fake.Browser()
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			data, _ := os.ReadFile(urls)
			lines := strings.Fields(string(data))
			mu.Lock()
			todo := lines[min(n, len(lines)):]
			n = len(lines)
			mu.Unlock()
			for _, u := range todo {
				if err := browse(u); err != nil {
					t.Errorf("the browser's sign-in: %v", err)
				}
			}
		}
	}()
	t.Cleanup(func() { close(stop); <-done })
	return func() int {
		mu.Lock()
		defer mu.Unlock()
		return n
	}
}

// TestE2ETraySignInFixesARefusedToken is issue 12's sign-in trap end to end: the real tray,
// signed in from the keyring, shows the Azure roles; then Azure stops accepting the cached
// ARM token before its expiry and the refresh tokens are revoked (a password reset), so only
// a new sign-in helps. The menu says so and one notice tells it (not one per refresh).
// "Sign in…" in the menu (over D-Bus) signs in in the browser once, and the Azure roles come
// back; `pimtray status` right after says signed in. Before the fix the browser sign-in
// renewed Graph only and ARM's refused token came from the cache again.
func TestE2ETraySignInFixesARefusedToken(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{Favourites: []store.Favourite{securityReader(time.Hour), readerProd(time.Hour)}})
	w.signIn()
	opened := w.browserShim(t)
	notices := desktoptest.StartNotifyServer(t, w.bus, desktoptest.NotifyOptions{})
	watcher := desktoptest.StartWatcher(t, w.bus)
	w.startTray()
	item := watcher.WaitForItem(t, e2eTimeout)
	item.WaitForMenu(t, e2eTimeout, "both favourites ready", func(m *desktoptest.MenuNode) bool {
		return label(m, "Reader · Prod — ") == "Reader · Prod — activate (1h)" && label(m, "Security Reader — ") == "Security Reader — activate (1h)"
	})

	w.fake.RejectAccessTokens("arm")
	w.fake.RevokeRefreshTokens(fakeazure.DemoTenantID)
	for range 3 { // the refreshes a user would click while puzzled
		item.ClickLabel(t, "Refresh")
		item.WaitForMenu(t, e2eTimeout, "Azure: sign in needed", func(m *desktoptest.MenuNode) bool {
			return m.FindByLabel("Azure: sign in needed") != nil
		})
	}
	signInNotices := func() int {
		n := 0
		for _, x := range notices.Notifications() {
			if strings.HasPrefix(x.Summary, "Sign in needed") {
				n++
			}
		}
		return n
	}
	notices.WaitForNotification(t, e2eTimeout, "the sign-in notice", func(n desktoptest.Notification) bool {
		return strings.HasPrefix(n.Summary, "Sign in needed")
	})
	if opened() != 0 {
		t.Fatalf("background work opened the browser")
	}

	m := item.WaitForMenu(t, e2eTimeout, "the header offering Sign in…", func(m *desktoptest.MenuNode) bool {
		return len(m.Children) > 0 && strings.Contains(m.Children[0].Label, "Sign in")
	})
	item.Click(t, m.Children[0].ID)
	item.WaitForMenu(t, e2eTimeout, "the Azure roles back after the sign-in", func(m *desktoptest.MenuNode) bool {
		return m.FindByLabel("Azure: sign in needed") == nil && label(m, "Reader · Prod — ") == "Reader · Prod — activate (1h)" &&
			m.Children[0].Label == "admin@contoso.example · Contoso"
	})
	if n := opened(); n != 1 {
		t.Errorf("the browser was opened %d times for one Sign in…, want 1", n)
	}
	st := w.mustRun(e2eTimeout, "status")
	if want := "Signed in to Contoso (" + fakeazure.DemoTenantID + ") as " + fakeazure.DemoUserUPN + ", kept in the keyring."; !strings.Contains(st.stdout, want) {
		t.Errorf("status right after the tray's sign-in:\n%s", st)
	}
	if n := signInNotices(); n != 1 {
		t.Errorf("%d \"Sign in needed\" notices for one episode, want 1", n)
	}
}
