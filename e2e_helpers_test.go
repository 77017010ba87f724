//go:build linux

package main

// Helpers of the whole-app end-to-end tests (e2e_linux_test.go): they build the real
// pimtray binary once, and give each test a private "user" — its own HOME and XDG folders,
// a private D-Bus session bus, a real gnome-keyring on it, and the fake Azure
// (internal/fakeazure) reached over HTTPS through a configured custom cloud. The children get a
// fresh environment (nothing of the test's own), trust the fake through SSL_CERT_FILE and
// sign in through the real device-code flow: no test hook in the binary.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/png"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/godbus/dbus/v5"

	"github.com/pimtray/pimtray/assets"
	"github.com/pimtray/pimtray/internal/fakeazure"
	"github.com/pimtray/pimtray/internal/testkit/desktoptest"
	"github.com/pimtray/pimtray/pim"
	"github.com/pimtray/pimtray/store"
)

// e2eTimeout bounds a wait for something that normally takes a second or two (a child's
// start, a refresh, a menu change), generous for a loaded 2-core machine.
const e2eTimeout = 20 * time.Second

// testClientID is the app registration the configured tenant uses (the fake accepts any).
const testClientID = "6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b"

// The roles the tests use, from the fake's demo tenant: Security Reader (Entra, no
// justification, no approval, max 8h) and Reader on Prod (Azure, likewise).
var (
	securityReaderKey = strings.ToLower("entra|" + fakeazure.DemoTenantID + "|" + fakeazure.RoleSecurityReader + "|/")
	readerProdKey     = strings.ToLower("azure|" + fakeazure.DemoTenantID + "|" +
		fakeazure.DemoScopeProd + "/providers/Microsoft.Authorization/roleDefinitions/" + fakeazure.RoleReader + "|" + fakeazure.DemoScopeProd)
)

// ---- the binary ----

var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
	// buildEnv is the environment as the test binary started: the build runs beside the
	// in-process demo tests, which set HOME and XDG folders of their own (t.Setenv) — a go
	// build seeing those downloaded the modules again into an empty home and failed.
	buildEnv []string
)

func TestMain(m *testing.M) {
	flag.Parse()
	buildEnv = os.Environ()
	// A whole run (no -run) builds the binary at once, while the tests that run in this
	// process (the demo's, first) go on: the end-to-end tests then find it built.
	prebuild := flag.Lookup("test.run").Value.String() == ""
	if prebuild {
		go buildPimtray()
	}
	code := m.Run()
	if prebuild {
		buildPimtray() // waits for the build before its folder goes
	}
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// The end-to-end tests, the files-at-rest test and the deps test's linux build share the
// one binary.
func init() { sharedBinary = pimtrayBinary }

// pimtrayBinary builds the real binary once per test run (only when an end-to-end test
// runs, or the whole package). It is built without -race on purpose: fyne.io/systray has an
// internal data race.
func pimtrayBinary(tb testing.TB) string {
	tb.Helper()
	buildPimtray()
	if binErr != nil {
		tb.Fatalf("build pimtray: %v", binErr)
	}
	return binPath
}

func buildPimtray() {
	binOnce.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
		}
		binDir, binErr = os.MkdirTemp("", "pimtray-e2e-bin-")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "pimtray")
		cmd := exec.Command(goTool, "build", "-o", binPath, ".")
		env := buildEnv
		if env == nil {
			env = os.Environ()
		}
		cmd.Env = append(slices.Clip(env), "GOFLAGS=") // never -race from the environment
		if out, err := cmd.CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
}

// ---- one user's world ----

// worldOptions shape a test's world: Favourites, Reminders ("5m"; nil: the default) and
// LogLevel go to the configuration.
type worldOptions struct {
	Favourites []store.Favourite
	Reminders  []string
	LogLevel   string
	// AcceptScheduledExtension: the fake accepts an activation scheduled at the current end.
	AcceptScheduledExtension bool
	// Approvals keeps the demo tenant's two requests waiting for the user's approval (the
	// approver's tests); without it the world is the requester's alone.
	Approvals bool
	// Tenant changes the demo tenant before the fake serves it (a role's policy).
	Tenant func(*fakeazure.Tenant)
}

// world is one private user: folders, bus, keyring, the fake Azure and its configuration.
type world struct {
	t        *testing.T
	bin      string
	root     string // everything of the user's lives under it
	home     string
	cfgHome  string
	stateDir string // XDG_STATE_HOME
	cacheDir string // XDG_CACHE_HOME
	dataHome string
	runDir   string
	certFile string
	bus      string
	keyring  *desktoptest.Keyring
	fake     *fakeazure.Server
	offset   atomic.Int64 // the fake's clock is the real one plus this (ns)
	binPath  string       // a folder put before PATH for the children (a fake xdg-open), or ""

	mu      sync.Mutex
	outputs []string // every child's stdout and stderr, for the secret scan

	extraEnv []string // more for the children's environment (a dialog stand-in's PATH, DISPLAY)
}

// newWorld starts everything a test needs but pimtray itself.
func newWorld(t *testing.T, o worldOptions) *world {
	t.Helper()
	desktoptest.RequireTools(t, "dbus-daemon", "gnome-keyring-daemon")
	w := &world{t: t, bin: pimtrayBinary(t), root: t.TempDir()}
	w.home = filepath.Join(w.root, "home")
	w.cfgHome = filepath.Join(w.home, ".config")
	w.stateDir = filepath.Join(w.home, ".local", "state")
	w.cacheDir = filepath.Join(w.home, ".cache")
	w.dataHome = filepath.Join(w.home, ".local", "share")
	w.runDir = filepath.Join(w.root, "run")
	for _, d := range []string{w.home, w.cfgHome, w.stateDir, w.cacheDir, w.dataHome, w.runDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}

	tenant := fakeazure.Demo()
	if !o.Approvals {
		tenant.ClearWaitingRequests()
	}
	if o.Tenant != nil {
		o.Tenant(tenant)
	}
	fake, err := fakeazure.New(fakeazure.Options{
		Tenants:                  []*fakeazure.Tenant{tenant},
		AutoConfirmDeviceCode:    true,
		AcceptScheduledExtension: o.AcceptScheduledExtension,
		MinActivation:            5 * time.Second, // activations that end while the test watches
		Now:                      func() time.Time { return time.Now().Add(time.Duration(w.offset.Load())) },
	})
	if err != nil {
		t.Fatalf("start the fake Azure: %v", err)
	}
	t.Cleanup(fake.Close)
	w.fake = fake
	w.certFile = filepath.Join(w.root, "fake-azure.pem")
	if err := os.WriteFile(w.certFile, fake.CertificatePEM(), 0o600); err != nil {
		t.Fatal(err)
	}

	w.bus = desktoptest.StartBus(t)
	w.keyring = desktoptest.StartKeyring(t, w.bus)
	w.writeConfig(o)
	return w
}

// configFile is where pimtray reads its configuration.
func (w *world) configFile() string { return filepath.Join(w.cfgHome, store.AppName, "config.json") }

// appStateDir is pimtray's state folder (state.json, the log, the tray lock).
func (w *world) appStateDir() string { return filepath.Join(w.stateDir, store.AppName) }

// forgetCommandCache removes what the command line knows from earlier commands, so that the
// next command must ask Azure (a command reads only the planes it does not know fresh).
func (w *world) forgetCommandCache() {
	w.t.Helper()
	if err := os.Remove(filepath.Join(w.appStateDir(), "command-cache.json")); err != nil && !errors.Is(err, os.ErrNotExist) {
		w.t.Fatal(err)
	}
}

// logFile is the tray's log.
func (w *world) logFile() string {
	return filepath.Join(w.appStateDir(), store.AppName+".log")
}

// writeConfig writes the configuration a user would: one tenant in a custom cloud (the
// fake), its app registration, favourites and reminders.
func (w *world) writeConfig(o worldOptions) {
	w.t.Helper()
	cfg := map[string]any{
		"clouds": map[string]pim.Cloud{"fake": w.fake.Cloud()},
		"tenants": []map[string]any{{
			"id": fakeazure.DemoTenantID, "name": "Contoso", "cloud": "fake", "clientId": testClientID,
		}},
	}
	if len(o.Favourites) > 0 {
		cfg["favourites"] = o.Favourites
	}
	if o.Reminders != nil {
		cfg["reminders"] = o.Reminders
	}
	if o.LogLevel != "" {
		cfg["logLevel"] = o.LogLevel
	}
	data, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		w.t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(w.configFile()), 0o700); err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(w.configFile(), data, 0o600); err != nil {
		w.t.Fatal(err)
	}
}

// env is the children's whole environment: nothing of the test's own but PATH.
func (w *world) env() []string {
	env := []string{
		"PATH=" + w.path(),
		"HOME=" + w.home,
		"XDG_CONFIG_HOME=" + w.cfgHome,
		"XDG_STATE_HOME=" + w.stateDir,
		"XDG_CACHE_HOME=" + w.cacheDir,
		"XDG_DATA_HOME=" + w.dataHome,
		"XDG_RUNTIME_DIR=" + w.runDir,
		"DBUS_SESSION_BUS_ADDRESS=" + w.bus,
		"SSL_CERT_FILE=" + w.certFile,
		"TZ=UTC",
		"LANG=C.UTF-8",
	}
	for _, e := range w.extraEnv {
		if !strings.HasPrefix(e, "PATH=") {
			env = append(env, e)
		}
	}
	return env
}

func (w *world) path() string {
	if w.binPath != "" {
		return w.binPath + string(os.PathListSeparator) + os.Getenv("PATH")
	}
	return os.Getenv("PATH")
}

// result is a finished command-line child.
type result struct {
	args           []string
	code           int
	stdout, stderr string
	took           time.Duration
}

func (r result) String() string {
	return fmt.Sprintf("pimtray %s: exit %d after %v\nstdout:\n%s\nstderr:\n%s", strings.Join(r.args, " "), r.code,
		r.took.Round(time.Millisecond), r.stdout, r.stderr)
}

// run runs a pimtray command to its end (at most timeout) in the world.
func (w *world) run(timeout time.Duration, args ...string) result {
	w.t.Helper()
	return w.runIn(w.env(), timeout, args...)
}

// runIn is run with another environment.
func (w *world) runIn(env []string, timeout time.Duration, args ...string) result {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, w.bin, args...)
	cmd.Env = env
	cmd.Dir = w.home
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := result{args: args, stdout: stdout.String(), stderr: stderr.String(), took: time.Since(start)}
	w.record(r.stdout, r.stderr)
	if ctx.Err() != nil {
		w.t.Fatalf("pimtray %s did not end within %v\n%s", strings.Join(args, " "), timeout, r)
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		w.t.Fatalf("run pimtray %s: %v", strings.Join(args, " "), err)
	}
	return r
}

// mustRun runs a command that must succeed.
func (w *world) mustRun(timeout time.Duration, args ...string) result {
	w.t.Helper()
	r := w.run(timeout, args...)
	if r.code != 0 {
		w.t.Fatalf("want exit 0:\n%s", r)
	}
	return r
}

func (w *world) record(out ...string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.outputs = append(w.outputs, out...)
}

// signIn signs in with the real device-code flow (the fake confirms the code as the user
// would), so the sign-in lands in the sealed cache and its key in the real keyring.
func (w *world) signIn() result {
	w.t.Helper()
	r := w.mustRun(e2eTimeout, "signin", "--device-code")
	if !strings.Contains(r.stdout, "Signed in to Contoso as "+fakeazure.DemoUserUPN) {
		w.t.Fatalf("sign-in did not say who signed in:\n%s", r)
	}
	return r
}

// trayProc is a running tray child.
type trayProc struct {
	*desktoptest.Process
	w *world
}

// startTray starts the tray (pimtray with no command) in the world; cleanup stops it.
func (w *world) startTray(args ...string) *trayProc {
	w.t.Helper()
	cmd := exec.Command(w.bin, args...)
	cmd.Env = w.env()
	cmd.Dir = w.home
	return &trayProc{Process: desktoptest.StartProcess(w.t, cmd), w: w}
}

// stop ends the tray as a session logout does (SIGTERM) and returns its exit code; its
// output goes to the secret scan.
func (tr *trayProc) stop() int {
	tr.w.t.Helper()
	_ = tr.Cmd.Process.Signal(syscall.SIGTERM) // an error: it has ended already
	code := tr.Wait(tr.w.t, e2eTimeout)
	tr.w.record(strings.Join(tr.Lines(), "\n"), tr.Stderr())
	return code
}

// ---- the fake's side ----

// activateElsewhere activates role as if from the portal, startedAgo ago, so that it ends
// remaining from now: the fake's clock is set back while the request is made (pim's client
// sends its own "now" as the start), then put right.
func (w *world) activateElsewhere(key string, startedAgo, remaining time.Duration) pim.Activation {
	w.t.Helper()
	w.offset.Store(int64(-startedAgo))
	defer w.offset.Store(0)
	fakeNow := func() time.Time { return time.Now().Add(-startedAgo) }
	opts := &pim.ClientOptions{ClientOptions: azcore.ClientOptions{Transport: w.fake.HTTPClient()},
		Cloud: w.fake.Cloud(), TenantID: fakeazure.DemoTenantID, Now: fakeNow}
	c, err := pim.NewClient(w.fake.Credential(fakeazure.DemoTenantID), opts)
	if err != nil {
		w.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), e2eTimeout)
	defer cancel()
	ov, err := c.Overview(ctx)
	if err != nil {
		w.t.Fatalf("overview at the fake: %v", err)
	}
	for _, r := range ov.Eligible {
		if r.Key() != key {
			continue
		}
		a, err := c.Activate(ctx, pim.ActivateRequest{Role: r, Duration: startedAgo + remaining})
		if err != nil {
			w.t.Fatalf("activate %s at the fake: %v", r.Label(), err)
		}
		return a
	}
	w.t.Fatalf("the fake has no eligible role %s", key)
	return pim.Activation{}
}

// activation is the fake's activation of the role in force, if any.
func (w *world) activation(roleID string) (fakeazure.Activation, bool) {
	for _, a := range w.fake.Activations(fakeazure.DemoTenantID) {
		if strings.EqualFold(a.RoleID, roleID) && a.Start.Before(time.Now()) {
			return a, true
		}
	}
	return fakeazure.Activation{}, false
}

// scheduleRequests are the fake's logged activation and deactivation requests (Graph POSTs
// and ARM PUTs to roleAssignmentScheduleRequests), oldest first.
func (w *world) scheduleRequests() []fakeazure.Request {
	var out []fakeazure.Request
	for _, r := range w.fake.Requests() {
		if (r.Method == "POST" || r.Method == "PUT") && strings.Contains(r.Path, "roleAssignmentScheduleRequests") {
			out = append(out, r)
		}
	}
	return out
}

// scheduleBody is the part of a request body the tests look at.
type scheduleBody struct {
	Action       string `json:"action"`
	ScheduleInfo struct {
		StartDateTime string `json:"startDateTime"`
		Expiration    struct {
			Type     string `json:"type"`
			Duration string `json:"duration"`
		} `json:"expiration"`
	} `json:"scheduleInfo"`
	Properties *scheduleBody `json:"properties"` // ARM wraps the same fields
}

func parseScheduleBody(t *testing.T, r fakeazure.Request) scheduleBody {
	t.Helper()
	var b scheduleBody
	if err := json.Unmarshal([]byte(r.Body), &b); err != nil {
		t.Fatalf("request body %q: %v", r.Body, err)
	}
	if b.Properties != nil {
		return *b.Properties
	}
	return b
}

func describeRequests(rs []fakeazure.Request) string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "  %s %s -> %d %s\n", r.Method, r.Path, r.Status, r.Body)
	}
	return b.String()
}

// waitFor polls cond until it holds or timeout passes; what names it in the failure.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	if !waitUntil(timeout, cond) {
		t.Fatalf("waited %v for %s", timeout, what)
	}
}

// waitUntil polls cond until it holds (true) or timeout passes (false).
func waitUntil(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}

// ---- the tray's side ----

// label finds the favourite's (or any) menu entry whose label starts with prefix.
func label(m *desktoptest.MenuNode, prefix string) string {
	if n := m.FindByLabelPrefix(prefix); n != nil {
		return n.Label
	}
	return ""
}

// iconStateOf says which of pimtray's tray icons the item shows, comparing its pixels with
// each state's embedded PNG converted the way fyne.io/systray converts it.
func iconStateOf(t *testing.T, p desktoptest.ItemProperties) string {
	t.Helper()
	if len(p.IconPixmap) == 0 {
		return ""
	}
	got := p.IconPixmap[0]
	for _, state := range assets.States {
		img, err := png.Decode(bytes.NewReader(assets.TrayIcon(state)))
		if err != nil {
			t.Fatalf("decode the %s icon: %v", state, err)
		}
		if int32(img.Bounds().Dx()) == got.Width && int32(img.Bounds().Dy()) == got.Height && bytes.Equal(argb(img), got.ARGB) {
			return state
		}
	}
	return "unknown"
}

// argb is an image as ARGB32 bytes as fyne.io/systray v1.12 puts it in IconPixmap: from
// color.RGBA()'s 16-bit premultiplied values it keeps the low byte (byte(v), not v>>8),
// which is the same for opaque and clear pixels and differs on anti-aliased edges.
// Mirroring it exactly lets a test tell which embedded icon is shown.
func argb(img image.Image) []byte {
	b := img.Bounds()
	out := make([]byte, 0, b.Dx()*b.Dy()*4)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			out = append(out, byte(a), byte(r), byte(g), byte(bl))
		}
	}
	return out
}

// ---- secrets ----

// procWatch samples the command line of every process of the world while a test runs
// (pimtray's children, their children — a browser opener, notify-send — and the desktop
// services started for it: every process whose environment has the world's HOME) and
// remembers any that carries the marker.
type procWatch struct {
	stop chan struct{}
	done chan struct{}

	mu    sync.Mutex
	procs int // process command lines read, over all samples
	found []string
}

func (w *world) watchCommandLines(marker string) *procWatch {
	t := w.t
	pw := &procWatch{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(pw.done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			pw.sample(marker, []byte("HOME="+w.home+"\x00"))
			select {
			case <-pw.stop:
				return
			case <-tick.C:
			}
		}
	}()
	t.Cleanup(pw.close)
	return pw
}

func (pw *procWatch) sample(marker string, home []byte) {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	var found []string
	seen := 0
	for _, d := range dirs {
		env, err := os.ReadFile(filepath.Join(d, "environ"))
		if err != nil || !bytes.Contains(env, home) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(d, "cmdline"))
		if err != nil {
			continue
		}
		seen++
		if bytes.Contains(b, []byte(marker)) {
			found = append(found, d+": "+string(bytes.ReplaceAll(b, []byte{0}, []byte{' '})))
		}
	}
	pw.mu.Lock()
	pw.procs += seen
	for _, f := range found {
		if !slices.Contains(pw.found, f) {
			pw.found = append(pw.found, f)
		}
	}
	pw.mu.Unlock()
}

func (pw *procWatch) close() {
	select {
	case <-pw.stop:
	default:
		close(pw.stop)
	}
	<-pw.done
}

// result stops the watch and returns how many command lines of the world it read and
// which carried the marker.
func (pw *procWatch) result() (procs int, found []string) {
	pw.close()
	pw.mu.Lock()
	defer pw.mu.Unlock()
	return pw.procs, pw.found
}

// filesContaining walks root and lists the files whose bytes contain marker (the marker
// is letters and dashes only, so JSON or URL escaping would not hide it), and counts the
// files read.
func filesContaining(t *testing.T, root, marker string) (hits []string, files int) {
	t.Helper()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) || os.IsPermission(err) {
				return nil
			}
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil // a socket or a file removed meanwhile
		}
		files++
		if bytes.Contains(b, []byte(marker)) {
			hits = append(hits, path)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", root, err)
	}
	return hits, files
}

// ---- D-Bus monitoring (to see what pimtray sends a real notification daemon) ----

// notifyCall is one org.freedesktop.Notifications.Notify call seen on the bus.
type notifyCall struct {
	Summary, Body string
	Actions       []string
}

// busMonitor records every Notify call on the bus, whoever serves it.
type busMonitor struct {
	mu      sync.Mutex
	calls   []notifyCall
	changed chan struct{}
}

func monitorNotify(t *testing.T, addr string) *busMonitor {
	t.Helper()
	conn := desktoptest.Connect(t, addr)
	m := &busMonitor{changed: make(chan struct{})}
	rule := "type='method_call',interface='org.freedesktop.Notifications',member='Notify'"
	if err := conn.BusObject().Call("org.freedesktop.DBus.Monitoring.BecomeMonitor", 0, []string{rule}, uint32(0)).Err; err != nil {
		t.Fatalf("monitor the bus: %v", err)
	}
	// Only now (the call's reply must reach Call): from here on every message goes to
	// msgs unprocessed, so this connection never answers the calls it watches. Nothing
	// sends a notification before the test starts pimtray.
	msgs := make(chan *dbus.Message, 64)
	conn.Eavesdrop(msgs)
	go func() {
		for msg := range msgs {
			if msg.Type != dbus.TypeMethodCall || len(msg.Body) < 8 {
				continue
			}
			if member, _ := msg.Headers[dbus.FieldMember].Value().(string); member != "Notify" {
				continue
			}
			c := notifyCall{}
			c.Summary, _ = msg.Body[3].(string)
			c.Body, _ = msg.Body[4].(string)
			c.Actions, _ = msg.Body[5].([]string)
			m.mu.Lock()
			m.calls = append(m.calls, c)
			close(m.changed)
			m.changed = make(chan struct{})
			m.mu.Unlock()
		}
	}()
	return m
}

// waitForCall waits for a Notify call whose summary starts with prefix.
func (m *busMonitor) waitForCall(t *testing.T, timeout time.Duration, prefix string) notifyCall {
	t.Helper()
	deadline := time.After(timeout)
	for {
		m.mu.Lock()
		calls, changed := append([]notifyCall(nil), m.calls...), m.changed
		m.mu.Unlock()
		for _, c := range calls {
			if strings.HasPrefix(c.Summary, prefix) {
				return c
			}
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("waited %v for a notification %q on the bus; saw %+v", timeout, prefix, calls)
		}
	}
}

// securityReader is the favourite "Security Reader" (Entra, directory-wide) asking for d.
func securityReader(d time.Duration) store.Favourite {
	return store.Favourite{Key: securityReaderKey, Tenant: fakeazure.DemoTenantID, Plane: "entra", Role: "Security Reader",
		RoleID: fakeazure.RoleSecurityReader, Scope: "/", ScopeName: "Directory", Duration: store.Duration(d)}
}

// readerProd is the favourite "Reader · Prod" (Azure, a subscription) asking for d.
func readerProd(d time.Duration) store.Favourite {
	return store.Favourite{Key: readerProdKey, Tenant: fakeazure.DemoTenantID, Plane: "azure", Role: "Reader",
		RoleID: fakeazure.DemoScopeProd + "/providers/Microsoft.Authorization/roleDefinitions/" + fakeazure.RoleReader,
		Scope:  fakeazure.DemoScopeProd, ScopeName: "Prod", Duration: store.Duration(d)}
}

// assertSilentTokens checks that since the log was reset the app got its tokens without
// a sign-in: from the kept cache or by refresh token, with no device code and no
// authorize page; and that it did call Azure with them.
func assertSilentTokens(t *testing.T, w *world) {
	t.Helper()
	calls := 0
	for _, r := range w.fake.Requests() {
		if r.Plane != "identity" && r.Status == 200 {
			calls++
		}
		if r.Plane != "identity" {
			continue
		}
		switch {
		case strings.Contains(r.Path, "/devicecode"), strings.Contains(r.Path, "/authorize"):
			t.Errorf("a sign-in was started although one is kept in the keyring: %s %s", r.Method, r.Path)
		case strings.HasSuffix(r.Path, "/token") && !strings.Contains(r.Body, "grant_type=refresh_token"):
			t.Errorf("a token request that is not a silent refresh: %s", r.Body)
		}
	}
	if calls == 0 {
		t.Errorf("no successful call to Azure with the kept sign-in; requests:\n%s", describeRequests(w.fake.Requests()))
	}
}

// ---- a real notification daemon ----

// startXvfb starts a virtual X display for dunst and returns its name (":N").
func startXvfb(t *testing.T) string {
	t.Helper()
	r, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-nolisten", "tcp", "-screen", "0", "640x480x24")
	cmd.ExtraFiles = []*os.File{wr} // Xvfb writes the display number it took to fd 3
	if err := cmd.Start(); err != nil {
		t.Fatalf("start Xvfb: %v", err)
	}
	wr.Close()
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		got <- strings.TrimSpace(line)
	}()
	select {
	case n := <-got:
		if n == "" {
			t.Fatal("Xvfb reported no display")
		}
		return ":" + n
	case <-time.After(e2eTimeout):
		t.Fatalf("Xvfb did not start within %v", e2eTimeout)
	}
	return ""
}

// startDunst runs dunst on the bus and display, with an action menu ("dmenu") that
// picks the Re-activate line, and returns the environment dunstctl needs.
func startDunst(t *testing.T, bus, display string, choose ...string) []string {
	t.Helper()
	dir := t.TempDir()
	pick := filepath.Join(dir, "pick-reactivate.sh")
	line := "Re-activate" // the context menu's line the dmenu stand-in picks
	if len(choose) > 0 {
		line = choose[0]
	}
	if err := os.WriteFile(pick, []byte("#!/bin/sh\ngrep -m1 '"+line+"'\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "dunstrc")
	rc := "[global]\n    dmenu = " + pick + "\n    browser = /bin/true\n" +
		"[urgency_normal]\n    timeout = 0\n[urgency_critical]\n    timeout = 0\n"
	if err := os.WriteFile(conf, []byte(rc), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "XDG_CONFIG_HOME=" + dir, "XDG_RUNTIME_DIR=" + dir,
		"DISPLAY=" + display, "DBUS_SESSION_BUS_ADDRESS=" + bus}
	cmd := exec.Command("dunst", "-config", conf)
	cmd.Env = env
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start dunst: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("dunst output:\n%s", out.String())
		}
	})
	desktoptest.WaitForName(t, desktoptest.Connect(t, bus), "org.freedesktop.Notifications", e2eTimeout)
	return env
}

// dunstctl runs dunstctl against the test's dunst.
func dunstctl(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), e2eTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "dunstctl", args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// lockedBuffer collects a child's output while it writes it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// favouriteToggle is the menu entry that makes a role a favourite (or not): the check box
// labelled with the role under "Favourites", or, in the earlier menu layout, the
// "★ Favourite" check box under the role's own entry.
func favouriteToggle(m *desktoptest.MenuNode, role string) *desktoptest.MenuNode {
	if favs := m.FindByLabel("Favourites"); favs != nil {
		if n := favs.Find(func(n *desktoptest.MenuNode) bool { return n.ToggleType == "checkmark" && n.Label == role }); n != nil {
			return n
		}
	}
	if r := m.FindByLabelPrefix(role + " — "); r != nil {
		return r.FindByLabel("★ Favourite")
	}
	return nil
}

// requireTools skips the test when a program is missing, saying how to install it, and
// fails it instead when CI=true (where a missing tool must not hide a broken test).
func requireTools(t *testing.T, install string, tools ...string) {
	t.Helper()
	var missing []string
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) == 0 {
		return
	}
	msg := fmt.Sprintf("this test needs %s, not found on PATH (Debian: %s)", strings.Join(missing, ", "), install)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + " (CI=true: failing instead of skipping)")
	}
	t.Skip(msg)
}
