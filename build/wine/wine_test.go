//go:build linux

// Package wine runs pimtray's Windows build under Wine: the test command's Windows smoke
// run (build/test.sh sets PIMTRAY_WINE=1; without it the test skips). In a fresh Wine
// prefix on a private Xvfb display it runs the real pimtray.exe against the fake Azure,
// which runs in this test process and which the exe reaches over loopback TLS, trusting
// its certificate through the Windows certificate store (certimport) as it trusts Azure's:
//
//   - the command line, with its exit codes; a sign-in kept in Credential Manager that a
//     second process reuses;
//   - the tray: its icon appears, its menu opens, a click on a favourite that needs a
//     reason opens the native dialog, which xdotool types the reason into; the fake's
//     request log shows it sent; a countdown label ticks; "Start at login" writes and
//     removes the HKCU Run value; Quit ends it;
//   - the native dialog's own tests (tray/dialog, built for Windows);
//   - no plaintext secret (the fake's marker, UTF-8 or UTF-16LE) in any file of the prefix.
//
// Go 1.22+ exes need ProcessPrng from bcryptprimitives.dll, which Wine ships only from
// 9.0 on: the stand-in build/windows/bcryptprimitives.c is built with mingw-w64 and put
// into the prefix's system32.
//
// PIMTRAY_WINE_SCREENSHOTS=DIR also saves the tray menu and the dialog as PNGs there
// (PIMTRAY_WINE=1 PIMTRAY_WINE_SCREENSHOTS=$PWD/assets/screenshots go test ./build/wine retakes
// assets/screenshots/windows-wine-*.png).
package wine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/pimtray/pimtray/internal/fakeazure"
	"github.com/pimtray/pimtray/pim"
)

const (
	testClientID = "6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b"
	screenW      = 1280
	screenH      = 800
	cmdTimeout   = 60 * time.Second
)

var (
	ownerITKey = strings.ToLower("azure|" + fakeazure.DemoTenantID + "|" + fakeazure.DemoScopeIT +
		"/providers/Microsoft.Authorization/roleDefinitions/" + fakeazure.RoleOwner + "|" + fakeazure.DemoScopeIT)
	securityReaderKey = strings.ToLower("entra|" + fakeazure.DemoTenantID + "|" + fakeazure.RoleSecurityReader + "|/")
)

// repoRoot is the module's root (this file is in build/wine).
func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// env is the Wine world: a prefix, a display, the fake Azure.
type env struct {
	t       *testing.T
	root    string
	prefix  string
	display string
	exe     string // the Windows path of pimtray.exe
	appData string // %AppData% on the Unix side
	fake    *fakeazure.Server
	offset  atomic.Int64

	mu      sync.Mutex
	outputs []string
}

func TestWindowsUnderWine(t *testing.T) {
	if os.Getenv("PIMTRAY_WINE") != "1" {
		t.Skip("the Windows smoke run: PIMTRAY_WINE=1 (build/test.sh sets it) with wine, Xvfb, xdotool, ImageMagick and mingw-w64")
	}
	for _, tool := range []string{"wine", "wineboot", "wineserver", "Xvfb", "xdotool", "xwininfo", "import", "x86_64-w64-mingw32-gcc"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed (build/test.sh installs it): %v", tool, err)
		}
	}
	start := time.Now()
	e := &env{t: t, root: t.TempDir()}
	e.prefix = filepath.Join(e.root, "prefix")
	// wineboot (10-20 s) while the programs build.
	booted := make(chan error, 1)
	go func() { booted <- e.bootPrefix() }()
	bins := e.build()
	if err := <-booted; err != nil {
		t.Fatal(err)
	}
	e.newPrefix(bins)
	e.startDisplay()
	e.startFake(bins)
	t.Logf("set up in %v", time.Since(start).Round(100*time.Millisecond))

	t.Run("cli", e.testCLI)
	if t.Failed() {
		return
	}
	t.Run("tray", e.testTray)
	t.Run("dialog", func(t *testing.T) { e.testDialogPackage(t, bins["dialog.test.exe"]) })
	t.Run("no secret in the prefix", e.testNoSecret)
	t.Logf("whole run %v", time.Since(start).Round(100*time.Millisecond))
}

// build compiles pimtray.exe, the dialog package's tests, certimport and the
// ProcessPrng stand-in, in parallel.
func (e *env) build() map[string]string {
	t := e.t
	root := repoRoot(t)
	out := filepath.Join(e.root, "bin")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	bins := map[string]string{}
	jobs := map[string]*exec.Cmd{
		"pimtray.exe":          exec.Command("go", "build", "-ldflags=-H=windowsgui", "-o", filepath.Join(out, "pimtray.exe"), "."),
		"dialog.test.exe":      exec.Command("go", "test", "-c", "-o", filepath.Join(out, "dialog.test.exe"), "./tray/dialog"),
		"certimport.exe":       exec.Command("go", "build", "-o", filepath.Join(out, "certimport.exe"), "./build/wine/certimport"),
		"bcryptprimitives.dll": exec.Command("x86_64-w64-mingw32-gcc", "-shared", "-O2", "-o", filepath.Join(out, "bcryptprimitives.dll"), "build/windows/bcryptprimitives.c", "-ladvapi32"),
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []string
	for name, cmd := range jobs {
		bins[name] = filepath.Join(out, name)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
		wg.Add(1)
		go func() {
			defer wg.Done()
			if b, err := cmd.CombinedOutput(); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Sprintf("build %s: %v\n%s", name, err, b))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatal(strings.Join(errs, "\n"))
	}
	return bins
}

func (e *env) wineEnv(extra ...string) []string {
	env := append(os.Environ(),
		"WINEPREFIX="+e.prefix,
		"WINEDEBUG=-all",
		"WINEDLLOVERRIDES=mscoree,mshtml=", // no Mono or Gecko prompts
		"WINEARCH=win64",
		"TZ=UTC",
	)
	if e.display != "" {
		env = append(env, "DISPLAY="+e.display)
	}
	return append(env, extra...)
}

// bootPrefix makes a fresh 64-bit prefix (it may not call t.Fatal: it runs beside build).
func (e *env) bootPrefix() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "wineboot", "-i")
	cmd.Env = e.wineEnv("DISPLAY=")
	cmd.WaitDelay = 5 * time.Second
	// Its services may hold the output open a little longer: that is not a failure.
	if b, err := cmd.CombinedOutput(); err != nil && !errors.Is(err, exec.ErrWaitDelay) {
		return fmt.Errorf("wineboot -i: %v\n%s", err, b)
	}
	return nil
}

// newPrefix puts the ProcessPrng stand-in and pimtray.exe into the new prefix.
func (e *env) newPrefix(bins map[string]string) {
	t := e.t
	t.Cleanup(func() {
		k := exec.Command("wineserver", "-k")
		k.Env = e.wineEnv()
		_ = k.Run()
	})
	sys32 := filepath.Join(e.prefix, "drive_c", "windows", "system32")
	copyFile(t, bins["bcryptprimitives.dll"], filepath.Join(sys32, "bcryptprimitives.dll"))
	dir := filepath.Join(e.prefix, "drive_c", "pimtray")
	copyFile(t, bins["pimtray.exe"], filepath.Join(dir, "pimtray.exe"))
	copyFile(t, bins["certimport.exe"], filepath.Join(dir, "certimport.exe"))
	e.exe = `C:\pimtray\pimtray.exe`
	users, _ := filepath.Glob(filepath.Join(e.prefix, "drive_c", "users", "*", "AppData", "Roaming"))
	for _, u := range users {
		if !strings.Contains(u, string(filepath.Separator)+"Public"+string(filepath.Separator)) {
			e.appData = u
		}
	}
	if e.appData == "" {
		t.Fatalf("no user profile in the new prefix (looked for drive_c/users/*/AppData/Roaming)")
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o755); err != nil {
		t.Fatal(err)
	}
}

// startDisplay starts Xvfb on a free display number.
func (e *env) startDisplay() {
	t := e.t
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", fmt.Sprintf("%dx%dx24", screenW, screenH), "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{w}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	buf := make([]byte, 16)
	done := make(chan string, 1)
	go func() { n, _ := r.Read(buf); done <- strings.TrimSpace(string(buf[:n])) }()
	select {
	case d := <-done:
		if d == "" {
			t.Fatal("Xvfb said no display number")
		}
		e.display = ":" + d
	case <-time.After(20 * time.Second):
		t.Fatal("Xvfb did not start")
	}
}

// startFake starts the fake Azure and makes the prefix trust its certificate.
func (e *env) startFake(bins map[string]string) {
	t := e.t
	fake, err := fakeazure.New(fakeazure.Options{
		AutoConfirmDeviceCode: true,
		Now:                   func() time.Time { return time.Now().Add(time.Duration(e.offset.Load())) },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	e.fake = fake
	pemFile := filepath.Join(e.prefix, "drive_c", "pimtray", "fake-azure.pem")
	if err := os.WriteFile(pemFile, fake.CertificatePEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := e.wine(cmdTimeout, `C:\pimtray\certimport.exe`, `C:\pimtray\fake-azure.pem`); r.code != 0 {
		t.Fatalf("trust the fake's certificate in the prefix: %s", r)
	}
	// The fake's certificate names 127.0.0.1 and localhost; Wine's certificate policy
	// (crypt32) matches DNS names only, so pimtray.exe reaches the fake as localhost.
	cloud := fake.Cloud()
	for _, u := range []*string{&cloud.AuthorityHost, &cloud.Graph, &cloud.ARM} {
		*u = strings.Replace(*u, "https://127.0.0.1:", "https://localhost:", 1)
	}
	cfg := map[string]any{
		"clouds": map[string]pim.Cloud{"fake": cloud},
		"tenants": []map[string]any{{
			"id": fakeazure.DemoTenantID, "name": "Contoso", "cloud": "fake", "clientId": testClientID,
		}},
		// Owner · IT needs a justification and has none saved: a click asks for it.
		// Security Reader is activated elsewhere just before the tray starts, to count down.
		"favourites": []map[string]any{
			{"key": ownerITKey, "plane": "azure", "role": "Owner", "scopeName": "IT", "duration": "1h"},
			{"key": securityReaderKey, "plane": "entra", "role": "Security Reader"},
		},
	}
	data, _ := json.MarshalIndent(cfg, "", "  ")
	path := filepath.Join(e.appData, "pimtray", "config.json")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

type result struct {
	args           []string
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("%s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(r.args, " "), r.code, r.stdout, r.stderr)
}

// wine runs a Windows program to its end.
func (e *env) wine(timeout time.Duration, args ...string) result {
	e.t.Helper()
	return e.wineWith(nil, timeout, args...)
}

func (e *env) wineWith(extraEnv []string, timeout time.Duration, args ...string) result {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "wine", args...)
	cmd.Env = e.wineEnv(extraEnv...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second // Wine's services may inherit the pipes for a moment
	err := cmd.Run()
	r := result{args: args, stdout: stdout.String(), stderr: stderr.String()}
	e.record(r.stdout, r.stderr)
	if ctx.Err() != nil {
		e.t.Fatalf("wine %s did not end within %v\n%s", strings.Join(args, " "), timeout, r)
	}
	var ee *exec.ExitError
	switch {
	case err == nil, errors.Is(err, exec.ErrWaitDelay): // exit 0; a service of Wine's kept the pipes
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		e.t.Fatalf("wine %s: %v", strings.Join(args, " "), err)
	}
	return r
}

func (e *env) pimtray(args ...string) result {
	e.t.Helper()
	return e.wine(cmdTimeout, append([]string{e.exe}, args...)...)
}

func (e *env) record(out ...string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.outputs = append(e.outputs, out...)
}

// ---- the command line ----

func (e *env) testCLI(t *testing.T) {
	steps := []struct {
		args     []string
		code     int
		contains string
	}{
		{[]string{"--version"}, 0, "pimtray"},
		{[]string{"frobnicate"}, 2, ""},
		{[]string{"signin", "--device-code"}, 0, "Signed in to Contoso as " + fakeazure.DemoUserUPN},
	}
	for _, s := range steps {
		r := e.pimtray(s.args...)
		if r.code != s.code || !strings.Contains(strings.ToLower(r.stdout+r.stderr), strings.ToLower(s.contains)) {
			t.Fatalf("want exit %d and %q:\n%s", s.code, s.contains, r)
		}
	}
	// A second process, a third, ...: each reuses the sign-in kept in Credential Manager
	// (the sealed cache's key) without signing in again.
	e.fake.ResetLog()
	steps = []struct {
		args     []string
		code     int
		contains string
	}{
		{[]string{"status"}, 0, "keyring"},
		{[]string{"activate", "Owner", "--scope", "IT"}, 2, "justification"}, // nothing sent
		{[]string{"activate", "Reader", "--scope", "Prod", "--for", "1h"}, 0, ""},
		{[]string{"list", "--active", "--json"}, 0, `"status": "active"`},
	}
	for _, s := range steps {
		r := e.pimtray(s.args...)
		if r.code != s.code || !strings.Contains(strings.ToLower(r.stdout+r.stderr), strings.ToLower(s.contains)) {
			t.Fatalf("want exit %d and %q:\n%s", s.code, s.contains, r)
		}
	}
	for _, req := range e.fake.Requests() {
		if strings.Contains(req.Path, "devicecode") || strings.Contains(req.Body, "grant_type=urn") {
			t.Fatalf("a later process signed in again instead of reusing the kept sign-in: %s %s", req.Method, req.Path)
		}
		if strings.Contains(req.Path, "roleAssignmentScheduleRequests") && strings.Contains(req.Path, fakeazure.RoleOwner) {
			t.Fatalf("activate without the required justification sent a request: %s", req.Path)
		}
	}
	reg := e.userReg(t)
	if !strings.Contains(reg, "Credential Manager") {
		t.Fatal("the sign-in's key is not in Credential Manager (user.reg has no Credential Manager key)")
	}
}

// userReg is the prefix's HKCU as text (UTF-16 strings become readable).
func (e *env) userReg(t *testing.T) string {
	b, err := os.ReadFile(filepath.Join(e.prefix, "user.reg"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// ---- the tray ----

func (e *env) testTray(t *testing.T) {
	// Security Reader, activated from elsewhere, ends in 100 s: its label counts seconds.
	e.activateElsewhere(t, securityReaderKey, 100*time.Second)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tray := exec.CommandContext(ctx, "wine", "explorer", fmt.Sprintf("/desktop=shell,%dx%d", screenW, screenH), e.exe, "--debug")
	tray.Env = e.wineEnv()
	var trayOut bytes.Buffer
	tray.Stdout, tray.Stderr = &trayOut, &trayOut
	tray.WaitDelay = 5 * time.Second
	if err := tray.Start(); err != nil {
		t.Fatal(err)
	}
	trayDone := make(chan error, 1)
	go func() { trayDone <- tray.Wait() }()
	defer func() {
		cancel()
		<-trayDone
		e.record(trayOut.String())
		if t.Failed() {
			var reqs []string
			for _, r := range e.fake.Requests() {
				reqs = append(reqs, fmt.Sprintf("%s %s %s -> %d %s", r.Time.Format("15:04:05.000"), r.Method, r.Path, r.Status, r.Fault))
			}
			t.Logf("tray output:\n%s\nlog:\n%s\nthe fake's last requests:\n%s", trayOut.String(), e.trayLog(), strings.Join(reqs[max(0, len(reqs)-30):], "\n"))
		}
	}()

	icon := e.waitForIcon(t)
	t.Logf("tray icon at %v", icon)

	// Registered for toasts as an unpackaged app: the AppUserModelID's display name, icon
	// (in pimtray's own cache folder) and COM activator.
	e.waitFor(t, 60*time.Second, "the AppUserModelID in the registry", func() bool {
		r := e.wine(cmdTimeout, "reg", "query", `HKCU\Software\Classes\AppUserModelId\pimtray`)
		out := strings.ToLower(r.stdout)
		return r.code == 0 && strings.Contains(out, "displayname") && strings.Contains(out, "customactivator") &&
			strings.Contains(out, `pimtray\cache\notification-icon.png`)
	})

	// The first refresh is in when the fake has answered the policy reads and then
	// nothing for a while. (Wine does not redraw a popup menu that is open when its items
	// change, so each look at the menu opens it anew.)
	e.waitFor(t, 90*time.Second, "the tray's first refresh", func() bool {
		reqs := e.fake.Requests()
		if len(reqs) == 0 || time.Since(reqs[len(reqs)-1].Time.Add(-time.Duration(e.offset.Load()))) < 2*time.Second {
			return false
		}
		for _, r := range reqs {
			if strings.Contains(r.Path, "roleManagementPolicyAssignments") {
				return true
			}
		}
		return false
	})
	// Two looks at the menu 2 s apart: the row that changed is Security Reader counting
	// down; the favourite above it is Owner · IT (the configuration's order), which must
	// not change. (Found so, not by place: the menu's sections above and below vary.) An
	// approval's age ("12 min ago") changes too when a minute turns between the looks, and a
	// loaded machine makes that likelier: with more than one row changed, look again.
	var menu rect
	var groups [][]rect
	var before, after image.Image
	var ownerRow, readerRow rect
	for try := 1; ; try++ {
		menu, groups = e.lookAtMenu(t, icon)
		before = e.stableShot(t, menu)
		if try == 1 {
			e.saveShot(t, "windows-wine-tray-menu.png", menu.grow(8))
		}
		if len(groups) < 4 {
			t.Fatalf("the menu's rows, by group: %v", groups)
		}
		e.closeWithRefresh(t, menu, groups)
		time.Sleep(2 * time.Second)
		m2, g2 := e.lookAtMenu(t, icon)
		after = e.stableShot(t, m2)
		e.closeWithRefresh(t, m2, g2)
		if m2 != menu {
			if try < 3 {
				t.Logf("the menu changed its shape between two looks (%v, then %v): look again", menu, m2)
				continue
			}
			t.Fatalf("the menu changed its shape between two looks (%v, then %v): refresh not done?", menu, m2)
		}
		var changed []rect
		for _, g := range groups {
			for j, row := range g {
				if !sameRegion(before, after, row) {
					changed = append(changed, row)
					if j > 0 {
						ownerRow, readerRow = g[j-1], row
					}
				}
			}
		}
		if len(changed) == 1 && readerRow == changed[0] {
			break
		}
		if len(changed) == 0 || try == 3 {
			savePNG(t, "debug-countdown-before.png", before)
			savePNG(t, "debug-countdown-after.png", after)
			t.Fatalf("the rows that changed in 2 s: %v; want one (Security Reader, ends in about 90 s, counting down) below another", changed)
		}
		t.Logf("%d rows changed between two looks (%v): look again", len(changed), changed)
	}
	if !sameRegion(before, after, ownerRow) {
		t.Fatal("the Owner · IT label changed on its own while it waits for a click")
	}
	t.Logf("Security Reader counts down at %v; Owner · IT at %v", readerRow, ownerRow)

	// Click Owner · IT: it needs a justification, none is saved: the native dialog asks. Its
	// row is found again by its pixels (the menu may have moved: other rows come and go).
	e.fake.ResetLog()
	for try := 1; ; try++ {
		m, g := e.lookAtMenu(t, icon)
		if row, ok := findRow(after, ownerRow, e.stableShot(t, m), g); ok {
			e.clickItem(t, m, row)
			break
		}
		if try == 3 {
			t.Fatalf("the Owner · IT row (%v before) is not in the menu at %v any more: rows by group %v", ownerRow, m, g)
		}
		e.closeMenu(t)
		e.waitQuiet(t)
	}
	dlg := e.waitForWindow(t, "Justification for Owner")
	e.saveShot(t, "windows-wine-dialog.png", dlg.grow(8))
	e.xdotool(t, "type", "--delay", "20", "wine smoke 42")
	e.xdotool(t, "key", "Return")
	e.waitFor(t, 60*time.Second, "the activation with the typed justification at the fake", func() bool {
		for _, r := range e.fake.Requests() {
			if r.Method == "PUT" && strings.Contains(r.Path, "roleAssignmentScheduleRequests") &&
				strings.Contains(r.Body, "wine smoke 42") && r.Status/100 == 2 {
				return true
			}
		}
		return false
	})
	e.waitFor(t, 30*time.Second, "the dialog to close", func() bool { _, ok := e.findWindow("Justification for Owner"); return !ok })

	// The menu now shows Owner · IT counting down (another label, and another shape:
	// a submenu with Deactivate).
	e.waitFor(t, 90*time.Second, "the Owner · IT label to change after the activation", func() bool {
		m, g := e.lookAtMenu(t, icon)
		shot := e.stableShot(t, m)
		e.closeWithRefresh(t, m, g)
		return m == menu && len(g) >= 4 && !sameRegion(before, shot, ownerRow) || m != menu
	})

	// Start at login: ticked writes the Run value; unticked removes it.
	runKey := `HKCU\Software\Microsoft\Windows\CurrentVersion\Run`
	for i, want := range []bool{true, false} {
		menu, groups = e.lookAtMenu(t, icon)
		startAtLogin := groups[len(groups)-2][0]
		e.clickItem(t, menu, startAtLogin)
		e.waitFor(t, 60*time.Second, fmt.Sprintf("click %d on Start at login: Run value present=%v", i+1, want), func() bool {
			r := e.wine(cmdTimeout, "reg", "query", runKey, "/v", "pimtray")
			has := r.code == 0 && strings.Contains(strings.ToLower(r.stdout), "pimtray.exe")
			return has == want
		})
	}

	// Open configuration: a stock Windows has no program for .json, nor has Wine: no
	// "edit" verb, so Notepad opens it.
	menu, groups = e.lookAtMenu(t, icon)
	openConfig := groups[len(groups)-2][1] // Start at login, Open configuration, …
	e.clickItem(t, menu, openConfig)
	e.waitFor(t, 60*time.Second, "Notepad with config.json", func() bool {
		for _, w := range e.windowsOfProgram("notepad.exe") {
			if strings.Contains(w.name, "config") {
				return true
			}
		}
		return false
	})

	// Quit ends the tray.
	menu, groups = e.lookAtMenu(t, icon)
	last := groups[len(groups)-1]
	quit := last[len(last)-1]
	e.clickItem(t, menu, quit)
	e.waitFor(t, 60*time.Second, "pimtray.exe to quit", func() bool {
		out, _ := exec.Command("xwininfo", "-display", e.display, "-root", "-tree").Output()
		return !strings.Contains(string(out), `"pimtray.exe"`)
	})

	// Security Reader's reminder was shown: Wine has no WinRT, so not as a toast but as
	// a balloon on pimtray's own icon, said once in the log.
	log := e.trayLog()
	if n := strings.Count(log, `level=WARN msg="toast notifications are not available: notices show as balloons on the tray icon`); n != 1 {
		t.Fatalf("the log says %d times that notices show as balloons, want once:\n%s", n, log)
	}
	if strings.Contains(log, "desktop notifications are not available") {
		t.Fatalf("the balloon fallback failed:\n%s", log)
	}
}

// activateElsewhere activates a role at the fake as the portal would, so that it ends
// in remaining from now.
func (e *env) activateElsewhere(t *testing.T, key string, remaining time.Duration) {
	t.Helper()
	// Azure's shortest activation is 5 minutes: the activation started 10 minutes ago (the
	// fake's clock is set back while it is made, and the client sends its own now).
	const startedAgo = 10 * time.Minute
	e.offset.Store(int64(-startedAgo))
	defer e.offset.Store(0)
	opts := &pim.ClientOptions{ClientOptions: azcore.ClientOptions{Transport: e.fake.HTTPClient()},
		Cloud: e.fake.Cloud(), TenantID: fakeazure.DemoTenantID,
		Now: func() time.Time { return time.Now().Add(-startedAgo) }}
	c, err := pim.NewClient(e.fake.Credential(fakeazure.DemoTenantID), opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	ov, err := c.Overview(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range ov.Eligible {
		if r.Key() == key {
			if _, err := c.Activate(ctx, pim.ActivateRequest{Role: r, Duration: startedAgo + remaining}); err != nil {
				t.Fatalf("activate %s at the fake: %v", r.Label(), err)
			}
			return
		}
	}
	t.Fatalf("the fake has no eligible role %s", key)
}

func (e *env) trayLog() string {
	b, _ := os.ReadFile(filepath.Join(filepath.Dir(e.appData), "Local", "pimtray", "state", "pimtray.log"))
	return string(b)
}

// rect is a screen rectangle.
type rect struct{ x, y, w, h int }

func (r rect) grow(n int) rect { return rect{r.x - n, r.y - n, r.w + 2*n, r.h + 2*n} }

func (e *env) xdotool(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command("xdotool", args...)
	cmd.Env = e.wineEnv()
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("xdotool %s: %v\n%s", strings.Join(args, " "), err, b)
	}
}

func (e *env) click(t *testing.T, x, y, button int) {
	t.Helper()
	e.xdotool(t, "mousemove", strconv.Itoa(x), strconv.Itoa(y))
	time.Sleep(150 * time.Millisecond)
	e.xdotool(t, "click", strconv.Itoa(button))
}

func (e *env) waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		if ok() {
			return
		}
		if time.Now().After(deadline) {
			savePNG(t, "debug-wait.png", e.screenshot(t))
			t.Fatalf("waited %v for %s; windows: %v", d, what, e.windowsOf())
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func (e *env) screenshot(t *testing.T) image.Image {
	t.Helper()
	cmd := exec.Command("import", "-window", "root", "png:-")
	cmd.Env = e.wineEnv()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	return img
}

// savePNG keeps a whole screenshot where PIMTRAY_WINE_SCREENSHOTS says, for a failure's
// reader.
func savePNG(t *testing.T, name string, img image.Image) {
	dir := os.Getenv("PIMTRAY_WINE_SCREENSHOTS")
	if dir == "" {
		return
	}
	var buf bytes.Buffer
	if png.Encode(&buf, img) == nil {
		_ = os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644)
	}
}

func (e *env) saveShot(t *testing.T, name string, r rect) {
	t.Helper()
	dir := os.Getenv("PIMTRAY_WINE_SCREENSHOTS")
	if dir == "" {
		return
	}
	img := e.screenshot(t)
	sub := img.(interface {
		SubImage(image.Rectangle) image.Image
	}).SubImage(image.Rect(r.x, r.y, r.x+r.w, r.y+r.h).Intersect(img.Bounds()))
	var buf bytes.Buffer
	if err := png.Encode(&buf, sub); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// waitForIcon waits for the tray icon: the taskbar's right end (Wine's explorer draws
// the notification area there) holds pixels of another colour than the taskbar.
func (e *env) waitForIcon(t *testing.T) (p image.Point) {
	t.Helper()
	e.waitFor(t, 60*time.Second, "the tray icon", func() bool {
		img := e.screenshot(t)
		bar := img.At(screenW/2, screenH-10)
		for x := screenW - 4; x > screenW-120; x-- {
			for y := screenH - 18; y < screenH-2; y++ {
				if !sameColour(img.At(x, y), bar) {
					p = image.Pt(x-6, screenH-10)
					return true
				}
			}
		}
		return false
	})
	return p
}

func sameColour(a, b interface{ RGBA() (r, g, b, a uint32) }) bool {
	ar, ag, ab, _ := a.RGBA()
	br, bg, bb, _ := b.RGBA()
	return ar == br && ag == bg && ab == bb
}

var geometry = regexp.MustCompile(`^\s+(0x[0-9a-f]+) (.*?): \((.*?)\)\s+(\d+)x(\d+)\+(-?\d+)\+(-?\d+)`)

// windows lists the desktop's mapped windows of pimtray.exe: Wine draws each of its
// windows as an X child of the desktop window.
func (e *env) windowsOf() []struct {
	name string
	r    rect
} {
	return e.windowsOfProgram("pimtray.exe")
}

// windowsOfProgram lists the desktop's mapped windows of a Windows program.
func (e *env) windowsOfProgram(program string) []struct {
	name string
	r    rect
} {
	out, _ := exec.Command("xwininfo", "-display", e.display, "-root", "-tree").Output()
	var list []struct {
		name string
		r    rect
	}
	for _, line := range strings.Split(string(out), "\n") {
		m := geometry.FindStringSubmatch(line)
		if m == nil || !strings.Contains(m[3], `"`+program+`"`) {
			continue
		}
		w, _ := strconv.Atoi(m[4])
		h, _ := strconv.Atoi(m[5])
		x, _ := strconv.Atoi(m[6])
		y, _ := strconv.Atoi(m[7])
		if w < 20 || h < 20 {
			continue
		}
		// Only mapped (viewable) windows.
		info, _ := exec.Command("xwininfo", "-display", e.display, "-id", m[1]).Output()
		if !strings.Contains(string(info), "IsViewable") {
			continue
		}
		list = append(list, struct {
			name string
			r    rect
		}{m[2], rect{x, y, w, h}})
	}
	return list
}

func (e *env) findWindow(title string) (rect, bool) {
	for _, w := range e.windowsOf() {
		if strings.Contains(w.name, title) {
			return w.r, true
		}
	}
	return rect{}, false
}

func (e *env) waitForWindow(t *testing.T, title string) (r rect) {
	t.Helper()
	e.waitFor(t, 60*time.Second, fmt.Sprintf("a window titled %q", title), func() bool {
		var ok bool
		r, ok = e.findWindow(title)
		return ok
	})
	return r
}

// openMenu clicks the tray icon and returns the popup menu's place once its window is
// mapped. A loaded machine may drop or delay the click: after 15 s without a menu it clicks
// again, three times in all.
func (e *env) openMenu(t *testing.T, icon image.Point) (menu rect) {
	t.Helper()
	for try := 1; ; try++ {
		e.click(t, icon.X, icon.Y, 1)
		deadline := time.Now().Add(15 * time.Second)
		for time.Now().Before(deadline) {
			if m, open := e.menuOnScreen(); open {
				// Away from the icon (its tooltip would cover the menu) and from the menu's items.
				e.xdotool(t, "mousemove", "20", "20")
				return m
			}
			time.Sleep(250 * time.Millisecond)
		}
		if try == 3 {
			e.saveShot(t, "debug-open.png", rect{0, 0, screenW, screenH})
			t.Fatalf("the tray menu did not open after %d clicks on the icon at %v; windows: %v", try, icon, e.windowsOf())
		}
		t.Logf("no menu 15 s after click %d on the icon: click again", try)
	}
}

// clickItem clicks the menu's row and waits for the menu to close, which is how Wine takes a
// click on an item. A click a loaded machine lost (the menu still open after 10 s) is made
// again, three times in all; the menu is not looked at anew in between, so the same item is
// clicked.
func (e *env) clickItem(t *testing.T, menu, row rect) {
	t.Helper()
	for try := 1; ; try++ {
		e.click(t, menu.x+menu.w/2, row.y+row.h/2, 1)
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			if _, open := e.menuOnScreen(); !open {
				return
			}
			time.Sleep(250 * time.Millisecond)
		}
		if try == 3 {
			e.saveShot(t, "debug-click.png", rect{0, 0, screenW, screenH})
			t.Fatalf("the menu stayed open after %d clicks on its row %v", try, row)
		}
		t.Logf("the menu is still open 10 s after click %d on its row %v: click again", try, row)
	}
}

// menuOnScreen finds the tray's popup menu: a window of pimtray's without a title at the
// bottom right.
func (e *env) menuOnScreen() (rect, bool) {
	for _, w := range e.windowsOf() {
		if (w.name == "(has no name)" || w.name == "") && w.r.x+w.r.w > screenW/2 && w.r.y+w.r.h >= screenH-60 {
			return w.r, true
		}
	}
	return rect{}, false
}

// closeWithRefresh closes the menu by clicking Refresh (the group before the last two),
// which Wine always honours, and waits for the refresh to be over.
func (e *env) closeWithRefresh(t *testing.T, m rect, groups [][]rect) {
	t.Helper()
	if len(groups) < 4 {
		e.closeMenu(t)
		return
	}
	refresh := groups[len(groups)-3][0]
	e.click(t, m.x+m.w/2, refresh.y+refresh.h/2, 1)
	e.waitFor(t, 30*time.Second, "the menu to close after Refresh", func() bool { _, open := e.menuOnScreen(); return !open })
	e.waitQuiet(t)
}

// waitQuiet waits until the fake has had no request for a second and a half.
func (e *env) waitQuiet(t *testing.T) {
	t.Helper()
	e.waitFor(t, 30*time.Second, "the fake Azure to go quiet", func() bool {
		reqs := e.fake.Requests()
		return len(reqs) == 0 || time.Since(reqs[len(reqs)-1].Time.Add(-time.Duration(e.offset.Load()))) > 1500*time.Millisecond
	})
}

func (e *env) closeMenu(t *testing.T) {
	t.Helper()
	// A click beside the menu closes it (Escape does not: the popup has no keyboard
	// focus). Wine sometimes misses a click without a motion before it: move, click, and
	// try again from another place.
	for i := 0; i < 6; i++ {
		e.xdotool(t, "mousemove", strconv.Itoa(300+40*i), strconv.Itoa(200+20*i))
		time.Sleep(100 * time.Millisecond)
		e.xdotool(t, "mousemove", strconv.Itoa(320+40*i), strconv.Itoa(220+20*i))
		time.Sleep(100 * time.Millisecond)
		e.xdotool(t, "click", "1")
		deadline := time.Now().Add(2 * time.Second)
		for time.Now().Before(deadline) {
			if _, open := e.menuOnScreen(); !open {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	e.saveShot(t, "debug-close.png", rect{0, 0, screenW, screenH})
	t.Fatalf("the menu did not close; windows: %v", e.windowsOf())
}

// lookAtMenu opens the menu and reads its rows once it is drawn (see drawnMenu). A menu that
// is mapped but not drawn in 20 s (a loaded machine: Wine paints it from the tray's own
// thread) is closed and opened again, four times in all.
func (e *env) lookAtMenu(t *testing.T, icon image.Point) (rect, [][]rect) {
	t.Helper()
	for try := 1; ; try++ {
		m := e.openMenu(t, icon)
		shot, groups, ok := e.drawnMenu(t, m, 20*time.Second)
		if ok {
			return m, groups
		}
		if try == 4 {
			if shot != nil {
				savePNG(t, "debug-menu-not-drawn.png", shot)
			}
			t.Fatalf("the menu at %v was not drawn to its last row in %d tries of 20 s; its rows, by group: %v", m, try, groups)
		}
		t.Logf("the menu at %v was not drawn to its last row in 20 s (rows by group %v): open it again", m, groups)
		e.closeMenu(t)
	}
}

// drawnMenu waits up to d for the menu at m to be drawn: still mapped at the same place, its
// pixels the same in two captures 300 ms apart, and ink down to its last row (Quit, at the
// bottom edge; Wine paints a popup's items top to bottom, so a menu whose last row has ink is
// drawn whole). It returns the last capture and its rows by group.
func (e *env) drawnMenu(t *testing.T, m rect, d time.Duration) (image.Image, [][]rect, bool) {
	t.Helper()
	var groups [][]rect
	var cur image.Image
	prev := e.screenshot(t)
	for deadline := time.Now().Add(d); time.Now().Before(deadline); prev = cur {
		time.Sleep(300 * time.Millisecond)
		cur = e.screenshot(t)
		if now, open := e.menuOnScreen(); !open || now != m {
			return cur, nil, false // closed or moved: open it again
		}
		if !sameRegion(prev, cur, m) {
			continue
		}
		groups = menuGroups(cur, m)
		if drawnToTheEnd(groups, m) {
			return cur, groups, true
		}
	}
	return cur, groups, false
}

// drawnToTheEnd: the menu's last row of ink ends near its bottom edge (a row is drawn 3 px
// taller than its ink each side; a Wine menu has a few pixels of border and padding below
// its last item).
func drawnToTheEnd(groups [][]rect, m rect) bool {
	if len(groups) == 0 {
		return false
	}
	last := groups[len(groups)-1]
	row := last[len(last)-1]
	return row.y+row.h >= m.y+m.h-16
}

// stableShot is a screenshot in which r looks the same as 300 ms before (Wine paints a
// menu's items one by one).
func (e *env) stableShot(t *testing.T, r rect) image.Image {
	t.Helper()
	prev := e.screenshot(t)
	for i := 0; i < 20; i++ {
		time.Sleep(300 * time.Millisecond)
		cur := e.screenshot(t)
		if sameRegion(prev, cur, r) {
			return cur
		}
		prev = cur
	}
	t.Fatalf("the region %v kept changing for 6 s", r)
	return nil
}

// menuGroups finds the menu's rows of text, grouped by the separators between them: a
// separator is a line across most of the menu's width, a row a band of dark pixels (grey,
// disabled text included) between them.
func menuGroups(img image.Image, m rect) [][]rect {
	bg := img.At(m.x+3, m.y+3)
	groups := [][]rect{nil}
	inRow := false
	for y := m.y + 2; y < m.y+m.h-1; y++ {
		ink, marked, width := false, 0, 0
		for x := m.x + 4; x < m.x+m.w-4; x++ {
			c := img.At(x, y)
			width++
			if !sameColour(c, bg) {
				marked++
			}
			if x < m.x+m.w-16 {
				r, g, b, _ := c.RGBA()
				ink = ink || (r+g+b)/3 < 0xB000
			}
		}
		cur := &groups[len(groups)-1]
		switch {
		case marked*10 >= width*7: // a separator
			if len(*cur) > 0 {
				groups = append(groups, nil)
			}
			inRow = false
		case ink && !inRow:
			*cur = append(*cur, rect{m.x, y, m.w, 1})
			inRow = true
		case ink:
			(*cur)[len(*cur)-1].h++
		default:
			inRow = false
		}
	}
	if len(groups[len(groups)-1]) == 0 {
		groups = groups[:len(groups)-1]
	}
	// Rows drawn a little taller than their ink, so a label's change anywhere shows.
	for _, g := range groups {
		for i := range g {
			g[i] = rect{g[i].x, g[i].y - 3, g[i].w, g[i].h + 6}
		}
	}
	return groups
}

// findRow finds the row of img (among groups) that looks exactly as row looked in was, at
// any height: a label that did not change, in a menu that may have moved.
func findRow(was image.Image, row rect, img image.Image, groups [][]rect) (rect, bool) {
	for _, g := range groups {
	next:
		for _, r := range g {
			if r.h != row.h || r.x != row.x || r.w != row.w {
				continue
			}
			for dy := 0; dy < r.h; dy++ {
				for x := r.x; x < r.x+r.w; x++ {
					if !sameColour(was.At(x, row.y+dy), img.At(x, r.y+dy)) {
						continue next
					}
				}
			}
			return r, true
		}
	}
	return rect{}, false
}

func sameRegion(a, b image.Image, r rect) bool {
	for y := r.y; y < r.y+r.h; y++ {
		for x := r.x; x < r.x+r.w; x++ {
			if !sameColour(a.At(x, y), b.At(x, y)) {
				return false
			}
		}
	}
	return true
}

// ---- the dialog package's own tests, in the Wine desktop ----

func (e *env) testDialogPackage(t *testing.T, exe string) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	desk := exec.CommandContext(ctx, "wine", "explorer", fmt.Sprintf("/desktop=shell,%dx%d", screenW, screenH))
	desk.Env = e.wineEnv()
	if err := desk.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); _ = desk.Wait() }()
	time.Sleep(time.Second)
	r := e.wineWith([]string{"PIMTRAY_DIALOG_DESKTOP=1"}, 2*time.Minute, exe, "-test.v", "-test.run", "Dialog|Template")
	passed := strings.Count(r.stdout, "--- PASS")
	if r.code != 0 || strings.Contains(r.stdout, "--- SKIP") || passed < 6 {
		t.Fatalf("the dialog's tests under Wine (%d passed):\n%s", passed, r)
	}
	t.Logf("%d dialog tests passed under Wine", passed)
}

// ---- secrets ----

// testNoSecret walks every regular file of the prefix (dosdevices/ holds links to
// devices, which a plain grep hangs on) for the fake's secret marker, in UTF-8 and in
// UTF-16LE (the registry files and much of Windows hold UTF-16 strings); and the output
// of every process.
func (e *env) testNoSecret(t *testing.T) {
	marker := []byte(fakeazure.SecretMarker)
	var wide []byte
	for _, c := range utf16.Encode([]rune(fakeazure.SecretMarker)) {
		wide = append(wide, byte(c), byte(c>>8))
	}
	ours := filepath.Join(e.prefix, "drive_c", "pimtray")
	files := 0
	err := filepath.WalkDir(e.prefix, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		if filepath.Dir(path) == ours {
			return nil // the programs this test put there (pimtray.exe links the fake, marker and all)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		files++
		if bytes.Contains(b, marker) || bytes.Contains(b, wide) {
			return fmt.Errorf("%s holds a token in plaintext", strings.TrimPrefix(path, e.prefix))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, out := range e.outputs {
		if strings.Contains(out, fakeazure.SecretMarker) {
			t.Fatalf("a process printed a token:\n%s", out)
		}
	}
	t.Logf("%d files of the prefix hold no token", files)
}
