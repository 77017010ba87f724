package tray_test

// The end-to-end tests run the real tray (fyne.io/systray) in a child process — the test
// binary started again with childModeEnv set — on a private D-Bus session bus, with a
// small scripted Core instead of the engine. The test plays the desktop's tray host
// (StatusNotifierWatcher), reads the menu over com.canonical.dbusmenu and clicks it. The
// child reports every call the tray makes on its Core as a line on standard output.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/pimtray/pimtray/internal/engine"
	"github.com/pimtray/pimtray/internal/testkit/desktoptest"
	"github.com/pimtray/pimtray/pim"
	"github.com/pimtray/pimtray/tray"
)

// childModeEnv switches the test binary into one of the child programs below.
const childModeEnv = "PIMTRAY_TRAY_TEST_CHILD"

func TestMain(m *testing.M) {
	switch os.Getenv(childModeEnv) {
	case "":
		os.Exit(m.Run())
	case "tray":
		os.Exit(trayChild(true))
	case "tray-idle":
		os.Exit(trayChild(false))
	case "tray-big":
		os.Exit(bigTrayChild())
	case "lock":
		os.Exit(lockChild())
	default:
		fmt.Fprintf(os.Stderr, "unknown %s=%q\n", childModeEnv, os.Getenv(childModeEnv))
		os.Exit(2)
	}
}

const timeout = desktoptest.DefaultTimeout

// The icon colours tell the states apart in IconPixmap.
var iconColours = map[engine.IconState]color.NRGBA{
	engine.IconIdle:      {R: 0x80, G: 0x80, B: 0x80, A: 0xff},
	engine.IconActive:    {R: 0x20, G: 0xa0, B: 0x40, A: 0xff},
	engine.IconExpiring:  {R: 0xf0, G: 0x90, B: 0x10, A: 0xff},
	engine.IconPending:   {R: 0x20, G: 0x60, B: 0xe0, A: 0xff},
	engine.IconAttention: {R: 0xe0, G: 0x20, B: 0x20, A: 0xff},
}

// placeholderIcon is a tiny solid PNG standing in for the assets' icons.
func placeholderIcon(c color.NRGBA) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 4, 4))
	for y := 0; y < 4; y++ {
		for x := 0; x < 4; x++ {
			img.SetNRGBA(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err)
	}
	return b.Bytes()
}

func testIcons() tray.Icons {
	return tray.Icons{
		Idle:      placeholderIcon(iconColours[engine.IconIdle]),
		Active:    placeholderIcon(iconColours[engine.IconActive]),
		Expiring:  placeholderIcon(iconColours[engine.IconExpiring]),
		Pending:   placeholderIcon(iconColours[engine.IconPending]),
		Attention: placeholderIcon(iconColours[engine.IconAttention]),
	}
}

// The scripted tenant.
const tenant = "11111111-2222-3333-4444-555555555555"

var (
	globalAdmin = pim.Role{Plane: pim.PlaneEntra, TenantID: tenant, RoleID: "62e90394-69f5-4237-9190-012177145e10",
		RoleName: "Global Administrator", Scope: "/", ScopeName: "Directory", ScopeType: pim.ScopeDirectory}
	userAdmin = pim.Role{Plane: pim.PlaneEntra, TenantID: tenant, RoleID: "fe930be7-5e62-47db-91af-98c3a49a38b1",
		RoleName: "User Administrator", Scope: "/", ScopeName: "Directory", ScopeType: pim.ScopeDirectory}
	ownerIT = pim.Role{Plane: pim.PlaneAzure, TenantID: tenant, RoleID: "/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
		RoleName: "Owner", Scope: "/providers/Microsoft.Management/managementGroups/IT", ScopeName: "IT", ScopeType: pim.ScopeManagementGroup}
	readerProd = pim.Role{Plane: pim.PlaneAzure, TenantID: tenant, RoleID: "/subscriptions/prod/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7",
		RoleName: "Reader", Scope: "/subscriptions/prod", ScopeName: "Prod", ScopeType: pim.ScopeSubscription}
	memberAdmins = pim.Role{Plane: pim.PlaneGroup, TenantID: tenant, RoleID: "member",
		RoleName: "Member", Scope: "group-pim-admins", ScopeName: "PIM-Admins", ScopeType: pim.ScopeGroup}
)

// scriptedCore is the child's Core: a fixed tenant whose roles react to clicks as the
// engine would, at once, and which reports every call on standard output.
type scriptedCore struct {
	mu      sync.Mutex
	snap    engine.Snapshot
	changed chan struct{}
}

func newScriptedCore(now time.Time, countdown bool) *scriptedCore {
	item := func(r pim.Role, state engine.ItemState, fav bool) engine.Item {
		return engine.Item{Key: r.Key(), Role: r, State: state, Favourite: fav, Duration: 8 * time.Hour}
	}
	owner := item(ownerIT, engine.StateActive, true)
	// Within the last minute: the label counts seconds, so the test sees it tick.
	owner.StartsAt, owner.ExpiresAt = now.Add(-time.Hour), now.Add(55*time.Second)
	if !countdown {
		owner = item(ownerIT, engine.StateEligible, true)
	}
	favs := []engine.Item{
		item(globalAdmin, engine.StateEligible, true),
		owner,
		item(userAdmin, engine.StatePending, true),
	}
	all := []engine.Item{favs[0], favs[2], owner, item(readerProd, engine.StateEligible, false), item(memberAdmins, engine.StateEligible, false)}
	return &scriptedCore{
		changed: make(chan struct{}, 1),
		snap: engine.Snapshot{
			Demo: true, Now: now,
			Accounts:   []engine.Account{{TenantID: tenant, TenantName: "Contoso", User: "admin@contoso.example", SignedIn: true, Storage: "keyring"}},
			Favourites: favs,
			All:        all,
			Icon:       engine.IconPending,
			Tooltip:    "pimtray DEMO — 1 active; 1 pending approval",
			Header:     "admin@contoso.example · Contoso — DEMO",
			Settings:   engine.Settings{DefaultDuration: 8 * time.Hour, Reminders: []time.Duration{15 * time.Minute, 5 * time.Minute}},
		},
	}
}

// bigRoles is the size of the "tray-big" child's tenant: the 440 eligible roles over 200
// scopes that made one flat submenu of 861 entries (issue 10).
const bigRoles, bigScopes = 440, 200

// newBigCore is a signed-in tenant of bigRoles roles: 40 Entra directory roles, 40 group
// memberships, the rest Azure roles over bigScopes scopes; two favourites.
func newBigCore() *scriptedCore {
	var all []engine.Item
	for i := range bigRoles {
		var r pim.Role
		switch {
		case i < 40:
			r = pim.Role{Plane: pim.PlaneEntra, TenantID: tenant, RoleID: fmt.Sprintf("entra-role-%03d", i),
				RoleName: fmt.Sprintf("Directory Role %03d", i), Scope: "/", ScopeName: "Directory", ScopeType: pim.ScopeDirectory}
		case i < 80:
			r = pim.Role{Plane: pim.PlaneGroup, TenantID: tenant, RoleID: "member",
				RoleName: "Member", Scope: fmt.Sprintf("group-%03d", i), ScopeName: fmt.Sprintf("PIM-Group-%03d", i), ScopeType: pim.ScopeGroup}
		default:
			k := i - 80
			sc := k % bigScopes
			r = pim.Role{Plane: pim.PlaneAzure, TenantID: tenant,
				RoleID:   fmt.Sprintf("/subscriptions/s/resourceGroups/rg-%03d/providers/Microsoft.Authorization/roleDefinitions/r%d", sc, k),
				RoleName: []string{"Owner", "Contributor"}[k/bigScopes], Scope: fmt.Sprintf("/subscriptions/s/resourceGroups/rg-%03d", sc),
				ScopeName: fmt.Sprintf("rg-%03d", sc), ScopeType: pim.ScopeResourceGroup}
		}
		all = append(all, engine.Item{Key: r.Key(), Role: r, State: engine.StateEligible, Duration: 8 * time.Hour})
	}
	all[0].Favourite, all[100].Favourite = true, true
	return &scriptedCore{
		changed: make(chan struct{}, 1),
		snap: engine.Snapshot{
			Now:        time.Now(),
			Accounts:   []engine.Account{{TenantID: tenant, TenantName: "Contoso", User: "admin@contoso.example", SignedIn: true, Storage: "keyring"}},
			Favourites: []engine.Item{all[0], all[100]},
			All:        all,
			Icon:       engine.IconIdle,
			Tooltip:    "pimtray — nothing active",
			Header:     "admin@contoso.example · Contoso",
			Settings:   engine.Settings{DefaultDuration: 8 * time.Hour, Reminders: []time.Duration{15 * time.Minute, 5 * time.Minute}},
		},
	}
}

func (c *scriptedCore) Snapshot() engine.Snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.snap
	s.Favourites, s.All, s.Accounts = slices.Clone(s.Favourites), slices.Clone(s.All), slices.Clone(s.Accounts)
	return s
}

func (c *scriptedCore) Changed() <-chan struct{} { return c.changed }

// update changes the snapshot (on fresh copies: snapshots handed out stay as they were)
// and says so on Changed, coalesced.
func (c *scriptedCore) update(f func(s *engine.Snapshot)) {
	c.mu.Lock()
	s := c.snap
	s.Favourites, s.All = slices.Clone(s.Favourites), slices.Clone(s.All)
	f(&s)
	c.snap = s
	c.mu.Unlock()
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

// setItem applies f to the role with key wherever it is listed.
func setItem(s *engine.Snapshot, key string, f func(*engine.Item)) {
	for i := range s.Favourites {
		if s.Favourites[i].Key == key {
			f(&s.Favourites[i])
		}
	}
	for i := range s.All {
		if s.All[i].Key == key {
			f(&s.All[i])
		}
	}
}

func report(format string, args ...any) { fmt.Printf(format+"\n", args...) }

func (c *scriptedCore) Activate(key string) {
	report("CALL Activate %s", key)
	c.update(func(s *engine.Snapshot) {
		setItem(s, key, func(it *engine.Item) {
			it.State, it.StartsAt, it.ExpiresAt = engine.StateActive, time.Now(), time.Now().Add(time.Hour)
		})
		s.Icon, s.Tooltip = engine.IconActive, "pimtray DEMO — 2 active"
	})
}

func (c *scriptedCore) Deactivate(key string) {
	report("CALL Deactivate %s", key)
	c.update(func(s *engine.Snapshot) {
		setItem(s, key, func(it *engine.Item) {
			it.State, it.StartsAt, it.ExpiresAt = engine.StateEligible, time.Time{}, time.Time{}
		})
	})
}

func (c *scriptedCore) ActivateFavourites() { report("CALL ActivateFavourites") }

func (c *scriptedCore) ToggleFavourite(key string) {
	report("CALL ToggleFavourite %s", key)
	c.update(func(s *engine.Snapshot) {
		var fav engine.Item
		setItem(s, key, func(it *engine.Item) { it.Favourite = !it.Favourite; fav = *it })
		if fav.Favourite {
			s.Favourites = append(s.Favourites, fav)
		} else {
			s.Favourites = slices.DeleteFunc(s.Favourites, func(it engine.Item) bool { return it.Key == key })
		}
	})
}

// Refresh shows "Refreshing…" for a moment, as the engine does: an update of one item
// that keeps the menu's shape.
func (c *scriptedCore) Refresh() {
	report("CALL Refresh")
	c.update(func(s *engine.Snapshot) { s.Refreshing = true })
	time.AfterFunc(300*time.Millisecond, func() { c.update(func(s *engine.Snapshot) { s.Refreshing = false }) })
}

func (c *scriptedCore) SignIn(tenantID string) { report("CALL SignIn %s", tenantID) }
func (c *scriptedCore) SignOut(tenantID string) {
	report("CALL SignOut %s", tenantID)
}
func (c *scriptedCore) Reactivate(key string)  { report("CALL Reactivate %s", key) }
func (c *scriptedCore) Cancel(key string)      { report("CALL Cancel %s", key) }
func (c *scriptedCore) ActivateAt(key string)  { report("CALL ActivateAt %s", key) }
func (c *scriptedCore) LoadRecentActivity()    { report("CALL LoadRecentActivity") }
func (c *scriptedCore) ToggleDaily(key string) { report("CALL ToggleDaily %s", key) }
func (c *scriptedCore) SetFavouriteDuration(key string, d time.Duration) error {
	report("CALL SetFavouriteDuration %s %v", key, d)
	return nil
}
func (c *scriptedCore) SetFavouriteJustification(key, j string) error {
	report("CALL SetFavouriteJustification %s %q", key, j)
	return nil
}
func (c *scriptedCore) SetFavouriteTicket(key, n, sys string) error {
	report("CALL SetFavouriteTicket %s %q %q", key, n, sys)
	return nil
}
func (c *scriptedCore) SetKeepActiveUntil(key, hhmm string) error {
	report("CALL SetKeepActiveUntil %s %q", key, hhmm)
	return nil
}
func (c *scriptedCore) SetDefaultDuration(d time.Duration) error {
	report("CALL SetDefaultDuration %v", d)
	return nil
}
func (c *scriptedCore) SetReminders(ds []time.Duration) error {
	report("CALL SetReminders %v", ds)
	return nil
}

// fakeAutostart records "Start at login" changes.
type fakeAutostart struct {
	mu sync.Mutex
	on bool
}

func (a *fakeAutostart) Enabled() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.on
}

func (a *fakeAutostart) SetEnabled(on bool) error {
	a.mu.Lock()
	a.on = on
	a.mu.Unlock()
	report("CALL SetEnabled %v", on)
	return nil
}

// trayChild runs tray.Run with the scripted core until Quit or SIGTERM; with countdown,
// one favourite counts down its last 55 seconds.
func trayChild(countdown bool) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	core := newScriptedCore(time.Now().Round(0), countdown)
	err := tray.Run(ctx, core, tray.Options{
		Icons:      testIcons(),
		Autostart:  &fakeAutostart{},
		OpenConfig: func() { report("CALL OpenConfig") },
		OpenLog:    func() { report("CALL OpenLog") },
		About:      "pimtray v9.9.9-test",
	})
	report("RUN RETURNED %v", err)
	if err != nil {
		return 1
	}
	return 0
}

// bigTrayChild runs tray.Run on the big tenant, with the desktop's dialogs (a fake zenity
// on PATH, see fakeZenity).
func bigTrayChild() int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	err := tray.Run(ctx, newBigCore(), tray.Options{Icons: testIcons()})
	report("RUN RETURNED %v", err)
	if err != nil {
		return 1
	}
	return 0
}

// fakeZenity puts a zenity on a PATH of its own that records each call's arguments, one a
// line, in a file, and answers: --question with OK, --list with the row number in
// $FAKE_ZENITY_PICK (0 when unset), anything else with Cancel. It returns the child's
// environment additions and the arguments file.
func fakeZenity(t *testing.T) (env []string, argsFile string) {
	t.Helper()
	dir := t.TempDir()
	argsFile = filepath.Join(dir, "args")
	script := "#!/bin/sh\n" +
		"for a in \"$@\"; do printf '%s\\n' \"$a\"; done >> '" + argsFile + "'\n" +
		"echo '--end--' >> '" + argsFile + "'\n" +
		"case \"$1\" in\n" +
		"--question) exit 0 ;;\n" +
		"--list) echo \"${FAKE_ZENITY_PICK:-0}\"; exit 0 ;;\n" +
		"esac\nexit 1\n"
	if err := os.WriteFile(filepath.Join(dir, "zenity"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return []string{"PATH=" + dir, "DISPLAY=:99", "WAYLAND_DISPLAY="}, argsFile
}

// lockChild takes the single-instance lock in the directory named by its first stdin
// line, says LOCKED (or the error), and holds the lock until stdin closes or it is killed.
func lockChild() int {
	in := bufio.NewScanner(os.Stdin)
	if !in.Scan() {
		return 2
	}
	release, err := tray.AcquireSingleInstance(in.Text())
	if err != nil {
		report("ERROR %v", err)
		return 1
	}
	defer release()
	report("LOCKED")
	for in.Scan() {
	}
	return 0
}

// startChild runs this test binary again in the given child mode on the bus at busAddr.
func startChild(t *testing.T, mode, busAddr string, extraEnv ...string) *desktoptest.Process {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = desktoptest.SetEnv(desktoptest.BusEnv(busAddr), childModeEnv, mode)
	for _, kv := range extraEnv {
		k, v, _ := strings.Cut(kv, "=")
		cmd.Env = desktoptest.SetEnv(cmd.Env, k, v)
	}
	return desktoptest.StartProcess(t, cmd)
}

func requireNoRace(t *testing.T) {
	t.Helper()
	if raceEnabled {
		t.Skip("the tray end-to-end test runs fyne.io/systray in a child built from this test binary, and systray " +
			"has an internal data race (menuVersion) that -race reports: run `go test ./tray/...` without -race")
	}
}

// mustFind finds an entry by label prefix under n or fails with the menu drawn.
func mustFind(t *testing.T, n *desktoptest.MenuNode, prefix string) *desktoptest.MenuNode {
	t.Helper()
	f := n.FindByLabelPrefix(prefix)
	if f == nil {
		t.Fatalf("no menu entry starting %q in:\n%s", prefix, n)
	}
	return f
}

// topLevel finds a top-level entry by its exact label (FindByLabel searches depth first,
// so it may find a submenu's entry of the same name first).
// endsAt is the first line of an active role's submenu.
var endsAt = regexp.MustCompile(`^Ends at \d\d:\d\d$`)

// topLevelPrefix is the top-level entry whose label starts with prefix.
func topLevelPrefix(t *testing.T, m *desktoptest.MenuNode, prefix string) *desktoptest.MenuNode {
	t.Helper()
	for _, n := range m.Children {
		if strings.HasPrefix(n.Label, prefix) {
			return n
		}
	}
	t.Fatalf("no top-level entry starting %q in:\n%s", prefix, m)
	return nil
}

func topLevel(t *testing.T, m *desktoptest.MenuNode, label string) *desktoptest.MenuNode {
	t.Helper()
	for _, c := range m.Children {
		if c.Visible && !c.IsSeparator() && c.Label == label {
			return c
		}
	}
	t.Fatalf("no top-level entry %q in:\n%s", label, m)
	return nil
}

// ids are every entry's id in the menu, with its label.
func ids(m *desktoptest.MenuNode) map[int32]string {
	out := map[int32]string{}
	m.Find(func(n *desktoptest.MenuNode) bool {
		if n.ID != 0 {
			out[n.ID] = n.Label
		}
		return false
	})
	return out
}

// sameIDs fails unless both menus have exactly the same entry ids: the menu was updated in
// place, not rebuilt (a rebuild gives every entry a new id).
func sameIDs(t *testing.T, what string, before, after *desktoptest.MenuNode) {
	t.Helper()
	a, b := ids(before), ids(after)
	if len(a) != len(b) {
		t.Fatalf("%s: %d entries became %d: the menu was rebuilt\nbefore:\n%s\nafter:\n%s", what, len(a), len(b), before, after)
	}
	for id, label := range a {
		if _, ok := b[id]; !ok {
			t.Fatalf("%s: entry #%d (%q) is gone: the menu was rebuilt\nbefore:\n%s\nafter:\n%s", what, id, label, before, after)
		}
	}
}

// countdownsHidden replaces the ticking countdown of Owner · IT, which may move between
// two reads.
func countdownsHidden(labels []string) []string {
	out := slices.Clone(labels)
	for i, l := range out {
		if strings.HasPrefix(l, "Owner · IT — ") && strings.HasSuffix(l, " left") {
			out[i] = "Owner · IT — <countdown>"
		}
	}
	return out
}

func pixelIs(state engine.IconState) func(desktoptest.ItemProperties) bool {
	return func(p desktoptest.ItemProperties) bool {
		return len(p.IconPixmap) == 1 && p.IconPixmap[0].Width == 4 && p.IconPixmap[0].At(1, 1) == iconColours[state]
	}
}

func TestTrayMenuOverDBus(t *testing.T) {
	t.Parallel()
	requireNoRace(t)
	bus := desktoptest.StartBus(t)
	watcher := desktoptest.StartWatcher(t, bus)
	zenityEnv, zenityArgs := fakeZenity(t)
	child := startChild(t, "tray", bus, zenityEnv...)
	item := watcher.WaitForItem(t, timeout)

	t.Run("icon, title and tooltip", func(t *testing.T) {
		item.WaitForProperties(t, timeout, "the pending icon, title and tooltip", func(p desktoptest.ItemProperties) bool {
			return p.Title == "pimtray" && p.ToolTip.Title == "pimtray DEMO — 1 active; 1 pending approval" && pixelIs(engine.IconPending)(p)
		})
	})

	menu := item.WaitForMenu(t, timeout, "the favourites", func(m *desktoptest.MenuNode) bool {
		return m.FindByLabelPrefix("Global Administrator") != nil
	})

	t.Run("menu layout", func(t *testing.T) {
		labels := countdownsHidden(menu.Labels())
		owner := mustFind(t, menu, "Owner · IT — ")
		want := []string{
			"admin@contoso.example · Contoso — DEMO",
			"---",
			"Global Administrator — activate (8h)",
			"Owner · IT — <countdown>",
			"User Administrator — pending approval",
			"Activate all favourites",
			"Activate at…",
			"Start my day",
			"Find a role…",
			"All eligible roles",
			"Favourites",
			"Settings",
			"Recent activity",
			"---",
			"Refresh",
			"Sign out",
			"---",
			"Start at login",
			"Open configuration",
			"Open log",
			"pimtray v9.9.9-test",
			"---",
			"Quit",
		}
		if !slices.Equal(labels, want) {
			t.Fatalf("top-level menu = %q\nwant %q\nmenu:\n%s", labels, want, menu)
		}
		if !strings.HasSuffix(owner.Label, "s left") {
			t.Errorf("active favourite with under two minutes left reads %q, want a countdown in seconds", owner.Label)
		}
		if got := owner.Labels(); owner.ChildrenDisplay != "submenu" || len(got) != 3 || !endsAt.MatchString(got[0]) ||
			got[1] != "Re-activate now" || got[2] != "Deactivate" {
			t.Errorf("an active favourite's submenu = %q, want its end (Ends at HH:MM), Re-activate now, Deactivate:\n%s", got, menu)
		}
		if ua := mustFind(t, menu, "User Administrator — pending"); !slices.Equal(ua.Labels(), []string{"Waiting for approval", "Cancel request"}) {
			t.Errorf("a pending favourite's submenu = %q, want its Cancel request", ua.Labels())
		}
		for prefix, enabled := range map[string]bool{
			"admin@contoso.example": false, "User Administrator": true, "Global Administrator": true,
			"Activate all favourites": true, "Refresh": true, "Quit": true, "pimtray v9.9.9-test": false,
		} {
			if n := mustFind(t, menu, prefix); n.Enabled != enabled {
				t.Errorf("%q enabled = %v, want %v", n.Label, n.Enabled, enabled)
			}
		}
		if sl := mustFind(t, menu, "Start at login"); sl.ToggleType != "checkmark" || sl.Checked() {
			t.Errorf("Start at login should be an unticked check box: %+v", sl)
		}

		// Two levels at most: no entry of a submenu opens another.
		for _, top := range menu.Children {
			for _, sub := range top.Children {
				if len(sub.Children) > 0 || sub.ChildrenDisplay == "submenu" {
					t.Errorf("%q ▸ %q opens a third menu level:\n%s", top.Label, sub.Label, menu)
				}
			}
		}

		all := topLevel(t, menu, "All eligible roles")
		wantAll := []string{
			"Entra ID · Contoso", "Global Administrator — activate (8h)", "User Administrator — pending approval", "---",
			"Azure · IT (management group)", "Owner · IT — <countdown>", "---",
			"Azure · Prod (subscription)", "Reader · Prod — activate (8h)", "---",
			"Groups · PIM-Admins", "Member · PIM-Admins — activate (8h)",
		}
		if got := countdownsHidden(all.Labels()); !slices.Equal(got, wantAll) {
			t.Fatalf("All eligible roles = %q\nwant %q\nmenu:\n%s", got, wantAll, menu)
		}
		for prefix, enabled := range map[string]bool{
			"Entra ID · Contoso": false, "Global Administrator": true, "User Administrator": false,
			"Owner · IT": true, "Reader · Prod": true,
		} {
			if n := mustFind(t, all, prefix); n.Enabled != enabled {
				t.Errorf("All eligible roles ▸ %q enabled = %v, want %v", n.Label, n.Enabled, enabled)
			}
		}

		wantSettings := []string{"Global Administrator: default duration…", "Owner · IT: default duration…",
			"User Administrator: default duration…", "---", "Default duration: 8h…", "Reminders: 15m and 5m before the end…"}
		if got := topLevel(t, menu, "Settings").Labels(); !slices.Equal(got, wantSettings) {
			t.Errorf("Settings = %q\nwant %q", got, wantSettings)
		}

		stars := topLevel(t, menu, "Favourites")
		wantStars := []string{
			"Entra ID · Contoso", "Global Administrator", "User Administrator", "---",
			"Azure · IT (management group)", "Owner · IT", "---",
			"Azure · Prod (subscription)", "Reader · Prod", "---",
			"Groups · PIM-Admins", "Member · PIM-Admins",
		}
		if got := stars.Labels(); !slices.Equal(got, wantStars) {
			t.Fatalf("Favourites = %q\nwant %q", got, wantStars)
		}
		for label, ticked := range map[string]bool{"Global Administrator": true, "Owner · IT": true, "Reader · Prod": false, "Member · PIM-Admins": false} {
			if n := stars.FindByLabel(label); n == nil || n.ToggleType != "checkmark" || n.Checked() != ticked {
				t.Errorf("Favourites ▸ %q should be a check box ticked %v: %+v", label, ticked, n)
			}
		}
	})

	t.Run("countdown ticks without a rebuild", func(t *testing.T) {
		owner := mustFind(t, menu, "Owner · IT — ")
		later := item.WaitForMenu(t, timeout, "the countdown to tick", func(m *desktoptest.MenuNode) bool {
			n := m.FindByID(owner.ID)
			return n != nil && strings.HasPrefix(n.Label, "Owner · IT — ") && n.Label != owner.Label
		})
		// The same entry ids: only the title was set, the menu was not rebuilt.
		sameIDs(t, "a countdown tick", menu, later)
	})

	t.Run("a new snapshot of the same shape updates the menu in place", func(t *testing.T) {
		before := item.Menu(t)
		refresh := topLevel(t, before, "Refresh")
		item.Click(t, refresh.ID)
		child.WaitForLine(t, timeout, "CALL Refresh")
		during := item.WaitForMenu(t, timeout, "Refreshing… greyed out", func(m *desktoptest.MenuNode) bool {
			n := m.FindByID(refresh.ID)
			return n != nil && n.Label == "Refreshing…" && !n.Enabled
		})
		sameIDs(t, "a new label (Refreshing…)", before, during)
		after := item.WaitForMenu(t, timeout, "Refresh back", func(m *desktoptest.MenuNode) bool {
			n := m.FindByID(refresh.ID)
			return n != nil && n.Label == "Refresh" && n.Enabled
		})
		sameIDs(t, "a label back (Refresh)", before, after)
	})

	t.Run("clicking a favourite activates it", func(t *testing.T) {
		ga := mustFind(t, item.Menu(t), "Global Administrator — activate")
		item.Click(t, ga.ID)
		child.WaitForLine(t, timeout, "CALL Activate "+globalAdmin.Key())
		m := item.WaitForMenu(t, timeout, "Global Administrator to count down", func(m *desktoptest.MenuNode) bool {
			n := m.FindByLabelPrefix("Global Administrator — ")
			return n != nil && strings.HasSuffix(n.Label, " left")
		})
		if n := mustFind(t, m, "Global Administrator — "); n.ChildrenDisplay != "submenu" || mustFind(t, n, "Deactivate (available at ") == nil {
			t.Errorf("the activated favourite should now open a submenu with Deactivate, greyed for 5 minutes:\n%s", m)
		} else if d := mustFind(t, n, "Deactivate"); d.Enabled {
			t.Errorf("Deactivate is offered in the first 5 minutes: %+v", d)
		}
		item.WaitForProperties(t, timeout, "the active icon and new tooltip", func(p desktoptest.ItemProperties) bool {
			return pixelIs(engine.IconActive)(p) && p.ToolTip.Title == "pimtray DEMO — 2 active"
		})
		if n := child.CountLines("CALL Activate "); n != 1 {
			t.Errorf("one click made %d Activate calls", n)
		}
	})

	t.Run("an active favourite is re-activated and deactivated from its submenu", func(t *testing.T) {
		ga := mustFind(t, item.Menu(t), "Global Administrator — ")
		item.Click(t, mustFind(t, ga, "Deactivate").ID) // greyed: in its first 5 minutes
		item.Click(t, mustFind(t, ga, "Re-activate now").ID)
		child.WaitForLine(t, timeout, "CALL Reactivate "+globalAdmin.Key())
		if n := child.CountLines("CALL Deactivate "); n != 0 {
			t.Errorf("a click on the greyed Deactivate deactivated")
		}
		owner := mustFind(t, item.Menu(t), "Owner · IT — ")
		if owner.ChildrenDisplay != "submenu" { // the countdown may have ended it already
			t.Skip("Owner · IT has ended")
		}
		item.Click(t, mustFind(t, owner, "Deactivate").ID)
		child.WaitForLine(t, timeout, "CALL Deactivate "+ownerIT.Key())
		item.WaitForMenu(t, timeout, "Owner · IT back to activate", func(m *desktoptest.MenuNode) bool {
			return m.FindByLabel("Owner · IT — activate (8h)") != nil
		})
	})

	t.Run("a pending request is cancelled from its submenu", func(t *testing.T) {
		ua := mustFind(t, item.Menu(t), "User Administrator — pending")
		item.Click(t, mustFind(t, ua, "Cancel request").ID)
		child.WaitForLine(t, timeout, "CALL Cancel "+userAdmin.Key())
	})

	t.Run("Activate at…, Start my day and Recent activity reach the core", func(t *testing.T) {
		m := item.Menu(t)
		item.Click(t, mustFind(t, topLevel(t, m, "Activate at…"), "Owner · IT…").ID)
		child.WaitForLine(t, timeout, "CALL ActivateAt "+ownerIT.Key())
		item.Click(t, mustFind(t, topLevel(t, item.Menu(t), "Start my day"), "Owner · IT").ID)
		child.WaitForLine(t, timeout, "CALL ToggleDaily "+ownerIT.Key())
		item.Click(t, mustFind(t, topLevel(t, item.Menu(t), "Recent activity"), "Show recent activity").ID)
		child.WaitForLine(t, timeout, "CALL LoadRecentActivity")
	})

	t.Run("ticking a role under Favourites makes it a favourite", func(t *testing.T) {
		star := topLevel(t, item.Menu(t), "Favourites").FindByLabel("Reader · Prod")
		if star == nil {
			t.Fatalf("no Reader · Prod under Favourites:\n%s", item.Menu(t))
		}
		item.Click(t, star.ID)
		child.WaitForLine(t, timeout, "CALL ToggleFavourite "+readerProd.Key())
		m := item.WaitForMenu(t, timeout, "Reader · Prod among the favourites", func(m *desktoptest.MenuNode) bool {
			return slices.Contains(m.Labels(), "Reader · Prod — activate (8h)")
		})
		if n := topLevel(t, m, "Favourites").FindByLabel("Reader · Prod"); n == nil || !n.Checked() {
			t.Errorf("Favourites ▸ Reader · Prod is not ticked after starring:\n%s", m)
		}
	})

	t.Run("clicking a role under All eligible roles activates it", func(t *testing.T) {
		member := mustFind(t, topLevel(t, item.Menu(t), "All eligible roles"), "Member · PIM-Admins — activate")
		item.Click(t, member.ID)
		child.WaitForLine(t, timeout, "CALL Activate "+memberAdmins.Key())
		// In use, it is on the top level too (not a favourite), with its submenu.
		m := item.WaitForMenu(t, timeout, "Member · PIM-Admins in use on the top level", func(m *desktoptest.MenuNode) bool {
			for _, n := range m.Children {
				if strings.HasPrefix(n.Label, "Member · PIM-Admins — ") && n.ChildrenDisplay == "submenu" {
					return true
				}
			}
			return false
		})
		// An active role in the list only shows its countdown: a click there ends nothing.
		member = mustFind(t, topLevel(t, m, "All eligible roles"), "Member · PIM-Admins — ")
		item.Click(t, member.ID)
		item.Click(t, mustFind(t, topLevelPrefix(t, m, "Member · PIM-Admins — "), "Re-activate now").ID)
		child.WaitForLine(t, timeout, "CALL Reactivate "+memberAdmins.Key())
		if n := child.CountLines("CALL Deactivate " + memberAdmins.Key()); n != 0 {
			t.Errorf("a click on the active role in All eligible roles made %d Deactivate calls, want 0", n)
		}
		if n := child.CountLines("CALL Activate " + memberAdmins.Key()); n != 1 {
			t.Errorf("%d Activate calls for Member · PIM-Admins, want 1", n)
		}
	})

	t.Run("other entries reach the core", func(t *testing.T) {
		for _, tc := range []struct{ label, line string }{
			{"Activate all favourites", "CALL ActivateFavourites"},
			{"Refresh", "CALL Refresh"},
			{"Sign out", "CALL SignOut " + tenant}, // after the fake zenity's OK to its question
			{"Open configuration", "CALL OpenConfig"},
			{"Open log", "CALL OpenLog"},
			{"Start at login", "CALL SetEnabled true"},
		} {
			item.ClickLabel(t, tc.label)
			child.WaitForLine(t, timeout, tc.line)
		}
		item.WaitForMenu(t, timeout, "Start at login ticked", func(m *desktoptest.MenuNode) bool {
			n := m.FindByLabel("Start at login")
			return n != nil && n.Checked()
		})
		b, err := os.ReadFile(zenityArgs)
		if err != nil || !strings.Contains(string(b), "--question\n--title\nSign out\n") {
			t.Errorf("Sign out did not ask first (zenity calls: %q, %v)", b, err)
		}
	})

	t.Run("Quit ends Run and removes the icon", func(t *testing.T) {
		item.ClickLabel(t, "Quit")
		child.WaitForLine(t, timeout, "RUN RETURNED <nil>")
		if code := child.Wait(t, timeout); code != 0 {
			t.Fatalf("the tray exited with %d after Quit", code)
		}
		watcher.WaitForItems(t, 0, timeout)
	})
}

// At 440 roles over 200 scopes (issue 10) no menu level is longer than 40 entries, the
// menu is two levels deep, every role is in it, and "Find a role…" lists every role in the
// desktop's searchable list and activates the one picked.
func TestBigTenantMenuOverDBus(t *testing.T) {
	requireNoRace(t)
	bus := desktoptest.StartBus(t)
	watcher := desktoptest.StartWatcher(t, bus)
	zenityEnv, zenityArgs := fakeZenity(t)
	const pick = 123
	child := startChild(t, "tray-big", bus, append(zenityEnv, fmt.Sprintf("FAKE_ZENITY_PICK=%d", pick))...)
	item := watcher.WaitForItem(t, timeout)
	menu := item.WaitForMenu(t, timeout, "the menu", func(m *desktoptest.MenuNode) bool { return m.FindByLabel("Quit") != nil })

	roles := newBigCore().snap.All
	labels := map[string]bool{}
	longest, where := len(menu.Children), "the top level"
	for _, top := range menu.Children {
		if len(top.Children) > longest {
			longest, where = len(top.Children), top.Label
		}
		for _, sub := range top.Children {
			if len(sub.Children) > 0 || sub.ChildrenDisplay == "submenu" {
				t.Errorf("%q ▸ %q opens a third level", top.Label, sub.Label)
			}
			labels[sub.Label] = true
		}
		labels[top.Label] = true
	}
	if longest > 40 {
		t.Errorf("%s has %d entries, at most 40 allowed:\n%s", where, longest, menu)
	}
	missing := 0
	for _, it := range roles {
		if !labels[engine.Label(it, time.Now())] {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d roles are not in the menu:\n%s", missing, len(roles), menu)
	}
	t.Logf("%d roles: %d entries on the top level, the longest level %d (%s); all in the menu", len(roles), len(menu.Children), longest, where)

	item.ClickLabel(t, "Find a role…")
	child.WaitForLine(t, timeout, "CALL Activate "+roles[pick].Key)
	b, err := os.ReadFile(zenityArgs)
	if err != nil {
		t.Fatal(err)
	}
	args := strings.Split(strings.TrimSuffix(string(b), "--end--\n"), "\n")
	i := slices.Index(args, "--print-column")
	if args[0] != "--list" || i < 0 || len(args[i+2:])-1 != 5*len(roles) { // 4 cells and the row number each (and the last "")
		t.Fatalf("Find a role showed %d cells for %d roles: %q…", len(args[i+2:])-1, len(roles), args[:min(len(args), 30)])
	}
	if row := args[i+2+5*pick : i+2+5*pick+5]; row[0] != roles[pick].Role.RoleName || row[4] != fmt.Sprint(pick) {
		t.Errorf("row %d = %q, want %s", pick, row, roles[pick].Role.Label())
	}
}

func TestTrayStopsWhenItsContextEnds(t *testing.T) {
	t.Parallel()
	requireNoRace(t)
	bus := desktoptest.StartBus(t)
	watcher := desktoptest.StartWatcher(t, bus)
	child := startChild(t, "tray", bus)
	item := watcher.WaitForItem(t, timeout)
	item.WaitForMenu(t, timeout, "the menu", func(m *desktoptest.MenuNode) bool { return m.FindByLabel("Quit") != nil })

	child.Signal(t, syscall.SIGTERM) // the child's context ends
	child.WaitForLine(t, timeout, "RUN RETURNED <nil>")
	if code := child.Wait(t, timeout); code != 0 {
		t.Fatalf("the tray exited with %d", code)
	}
}

// systray drops a SetIcon that lands while it publishes the item, and a tray host that
// registers the item at that moment can miss its NewIcon signal: either way the host would
// show a stale icon (idle while a role is active) until the next change. So the tray sends
// its icon again a second after the item is on the bus. Seen here as a NewIcon signal
// well after the item registered, with nothing changed in between (the "tray-idle" child's
// core changes only when clicked, and nothing in it counts down).
func TestIconSentAgainOncePublished(t *testing.T) {
	t.Parallel()
	requireNoRace(t)
	bus := desktoptest.StartBus(t)
	watcher := desktoptest.StartWatcher(t, bus)
	conn := desktoptest.Connect(t, bus)
	if err := conn.AddMatchSignal(dbus.WithMatchInterface("org.kde.StatusNotifierItem"), dbus.WithMatchMember("NewIcon")); err != nil {
		t.Fatal(err)
	}
	signals := make(chan *dbus.Signal, 64)
	conn.Signal(signals)

	startChild(t, "tray-idle", bus)
	item := watcher.WaitForItem(t, timeout)
	item.WaitForProperties(t, timeout, "the pending icon", pixelIs(engine.IconPending))
	registered := time.Now()
	deadline := time.After(timeout)
	for {
		select {
		case sig := <-signals:
			if sig.Name != "org.kde.StatusNotifierItem.NewIcon" {
				continue
			}
			if after := time.Since(registered); after >= 500*time.Millisecond {
				if p := item.Properties(t); !pixelIs(engine.IconPending)(p) {
					t.Fatalf("the icon sent again is not the current one: %+v", p.IconPixmap)
				}
				return
			}
		case <-deadline:
			t.Fatalf("no NewIcon signal in the %v after the item registered: the icon was not sent again", timeout)
		}
	}
}

// One tray per user: while one process holds the lock, another can't take it; once that
// process is gone (even killed), the lock is free again.
func TestSingleInstanceAcrossProcesses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = desktoptest.SetEnv(os.Environ(), childModeEnv, "lock")
	first := desktoptest.StartProcess(t, cmd)
	first.Send(t, dir)
	first.WaitForLine(t, timeout, "LOCKED")

	if _, err := tray.AcquireSingleInstance(dir); !errors.Is(err, tray.ErrAlreadyRunning) {
		t.Fatalf("second tray: err = %v, want ErrAlreadyRunning", err)
	}
	first.Signal(t, syscall.SIGKILL)
	first.Wait(t, timeout)

	release, err := tray.AcquireSingleInstance(dir)
	if err != nil {
		t.Fatalf("after the first tray died: %v", err)
	}
	release()
}

// BenchmarkTrayStartToMenu measures the tray alone from process start to a menu with the
// favourites readable over D-Bus (the target for the whole app: under 300 ms).
func BenchmarkTrayStartToMenu(b *testing.B) {
	if raceEnabled {
		b.Skip("run without -race: see requireNoRace")
	}
	bus := desktoptest.StartBus(b)
	watcher := desktoptest.StartWatcher(b, bus)
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		cmd := exec.Command(exe)
		cmd.Env = desktoptest.SetEnv(desktoptest.BusEnv(bus), childModeEnv, "tray-idle")
		child := desktoptest.StartProcess(b, cmd)
		item := watcher.WaitForItem(b, timeout)
		item.WaitForMenu(b, timeout, "the favourites", func(m *desktoptest.MenuNode) bool {
			return m.FindByLabelPrefix("Global Administrator") != nil
		})
		b.StopTimer()
		item.ClickLabel(b, "Quit")
		child.Wait(b, timeout)
		watcher.WaitForItems(b, 0, timeout)
		b.StartTimer()
	}
}

// BenchmarkTrayIdle reports what a running tray costs while nobody touches it, per second
// of wall time: CPU time and context switches (wake-ups) of the whole process, with
// nothing counting down (no timer at all) and with a countdown in seconds (one retitle a
// second). Each iteration is one second of watching.
func BenchmarkTrayIdle(b *testing.B) {
	if raceEnabled {
		b.Skip("run without -race: see requireNoRace")
	}
	for _, bc := range []struct{ name, mode string }{
		{"nothing counting down", "tray-idle"},
		{"countdown in seconds", "tray"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			bus := desktoptest.StartBus(b)
			watcher := desktoptest.StartWatcher(b, bus)
			exe, err := os.Executable()
			if err != nil {
				b.Fatal(err)
			}
			cmd := exec.Command(exe)
			cmd.Env = desktoptest.SetEnv(desktoptest.BusEnv(bus), childModeEnv, bc.mode)
			child := desktoptest.StartProcess(b, cmd)
			watcher.WaitForItem(b, timeout).WaitForMenu(b, timeout, "the menu", func(m *desktoptest.MenuNode) bool {
				return m.FindByLabel("Quit") != nil
			})
			time.Sleep(300 * time.Millisecond) // past start-up work
			pid := child.Cmd.Process.Pid
			cpu0, sw0 := procUsage(b, pid)
			start := time.Now()
			for b.Loop() {
				time.Sleep(time.Second)
			}
			secs := time.Since(start).Seconds()
			cpu1, sw1 := procUsage(b, pid)
			b.ReportMetric(float64((cpu1-cpu0).Microseconds())/1000/secs, "cpu-ms/s")
			b.ReportMetric(float64(sw1-sw0)/secs, "wakeups/s")
		})
	}
}

// procUsage is a process's CPU time (user + system) and context switches over all its
// threads, from /proc.
func procUsage(b *testing.B, pid int) (cpu time.Duration, switches int64) {
	b.Helper()
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+2:]))
	var utime, stime int64
	fmt.Sscan(fields[11], &utime) // field 14 of the whole line
	fmt.Sscan(fields[12], &stime) // field 15
	const clockTicks = 100        // USER_HZ on Linux
	cpu = time.Duration(utime+stime) * time.Second / clockTicks

	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, task := range tasks {
		status, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/status", pid, task.Name()))
		if err != nil {
			continue // the thread ended
		}
		for _, line := range strings.Split(string(status), "\n") {
			var n int64
			if _, err := fmt.Sscanf(line, "voluntary_ctxt_switches: %d", &n); err == nil {
				switches += n
			} else if _, err := fmt.Sscanf(line, "nonvoluntary_ctxt_switches: %d", &n); err == nil {
				switches += n
			}
		}
	}
	return cpu, switches
}
