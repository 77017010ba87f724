//go:build linux

package main

// Helpers for the measurements of the real pimtray binary (bench_tray_test.go) and the
// files-at-rest test (bench_filesatrest_test.go): build the binary, give it a private
// desktop (D-Bus session bus, StatusNotifierWatcher, notification daemon, gnome-keyring
// when installed) and a home folder of its own, read its tray menu over
// com.canonical.dbusmenu without waiting for it to settle (timings!), and read its
// process figures from /proc.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/pimtray/pimtray/internal/testkit/desktoptest"
)

// benchBinaryEnv names a prebuilt pimtray binary to measure (build/bench.sh sets it, so one
// build serves every benchmark); unset, the test run builds one (pimtrayBinary).
const benchBinaryEnv = "PIMTRAY_BENCH_BINARY"

// benchBinary is the real pimtray binary, built without -race from this module: the one
// the end-to-end tests run (pimtrayBinary, built once per test run).
func benchBinary(tb testing.TB) string {
	tb.Helper()
	if p := os.Getenv(benchBinaryEnv); p != "" {
		if _, err := os.Stat(p); err != nil {
			tb.Fatalf("%s=%s: %v", benchBinaryEnv, p, err)
		}
		return p
	}
	return pimtrayBinary(tb)
}

// benchDesktop is a private Linux desktop for one test: a session bus with a tray host and
// a notification daemon, and a keyring when gnome-keyring is installed.
type benchDesktop struct {
	bus     string
	watcher *desktoptest.Watcher
	conn    *dbus.Conn
	keyring *desktoptest.Keyring // nil: no gnome-keyring, pimtray keeps its sign-in in memory
	notify  *desktoptest.NotifyServer
}

// benchStartDesktop starts the desktop, with gnome-keyring when keyring is true.
//
// The demo keeps its sign-in across restarts only with a keyring, but then a restarted
// demo cannot use it (see BENCHMARKS.md: its fake Azure listens on a new port each run, and
// the cached tokens belong to the old one), so it shows "needs sign-in". Measurements that
// click therefore run without a keyring: the demo then signs in (automatically) at each start.
func benchStartDesktop(tb testing.TB, keyring bool) *benchDesktop {
	tb.Helper()
	d := &benchDesktop{bus: desktoptest.StartBus(tb)}
	d.watcher = desktoptest.StartWatcher(tb, d.bus)
	d.notify = desktoptest.StartNotifyServer(tb, d.bus, desktoptest.NotifyOptions{})
	if keyring {
		d.keyring = desktoptest.StartKeyring(tb, d.bus)
	}
	d.conn = desktoptest.Connect(tb, d.bus)
	return d
}

// benchHomeEnv is the environment of a pimtray with its own home folder (every XDG folder in it)
// on the desktop d (nil: no session bus at all).
func benchHomeEnv(d *benchDesktop, home string) []string {
	env := os.Environ()
	for _, k := range []string{"DISPLAY", "WAYLAND_DISPLAY", "XDG_RUNTIME_DIR", "XDG_DATA_DIRS", "XDG_CONFIG_DIRS"} {
		env = benchUnsetEnv(env, k)
	}
	set := map[string]string{
		"HOME":            home,
		"XDG_CONFIG_HOME": filepath.Join(home, ".config"),
		"XDG_STATE_HOME":  filepath.Join(home, ".local", "state"),
		"XDG_CACHE_HOME":  filepath.Join(home, ".cache"),
		"XDG_DATA_HOME":   filepath.Join(home, ".local", "share"),
		// A bus nobody listens on: the keyring and notifications fail at once.
		"DBUS_SESSION_BUS_ADDRESS": "unix:path=" + filepath.Join(home, "no-bus"),
	}
	if d != nil {
		set["DBUS_SESSION_BUS_ADDRESS"] = d.bus
	}
	for k, v := range set {
		env = desktoptest.SetEnv(env, k, v)
	}
	return env
}

func benchUnsetEnv(env []string, key string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, key+"=") {
			out = append(out, kv)
		}
	}
	return out
}

// benchConfigFile is the demo's configuration file under home (XDG layout).
func benchConfigFile(home string) string {
	return filepath.Join(home, ".config", "pimtray-demo", "config.json")
}

func benchStateFile(home string) string {
	return filepath.Join(home, ".local", "state", "pimtray-demo", "state.json")
}

// benchTray is a running pimtray tray.
type benchTray struct {
	cmd     *exec.Cmd
	out     desktoptest.SyncBuffer
	started time.Time
	done    chan struct{}
	err     error
}

func benchStartTray(tb testing.TB, bin string, env []string, args ...string) *benchTray {
	tb.Helper()
	p := &benchTray{cmd: exec.Command(bin, args...), done: make(chan struct{})}
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	p.started = time.Now()
	if err := p.cmd.Start(); err != nil {
		tb.Fatalf("start %s: %v", bin, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	tb.Cleanup(func() { p.kill() })
	return p
}

func (p *benchTray) pid() int { return p.cmd.Process.Pid }

func (p *benchTray) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop ends the tray as a logout does (SIGTERM) and waits; pimtray saves its state then.
func (p *benchTray) stop(tb testing.TB) {
	tb.Helper()
	if p.exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.kill()
		tb.Fatalf("pimtray did not end within 10 s of SIGTERM; output:\n%s", p.out.String())
	}
}

func (p *benchTray) kill() {
	if !p.exited() {
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// benchEntry is one visible entry of the tray menu.
type benchEntry struct {
	ID    int32
	Label string
}

// benchMenu reads one tray icon's menu.
type benchMenu struct {
	obj dbus.BusObject
}

// waitMenu waits until a tray icon is registered with the watcher and returns its menu.
func (d *benchDesktop) waitMenu(tb testing.TB, p *benchTray, timeout time.Duration) *benchMenu {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if items := d.watcher.Items(); len(items) > 0 {
			service, path, _ := strings.Cut(items[0], "/")
			item := d.conn.Object(service, dbus.ObjectPath("/"+path))
			var v dbus.Variant
			menuPath := dbus.ObjectPath("/StatusNotifierMenu")
			if err := item.Call("org.freedesktop.DBus.Properties.Get", 0, "org.kde.StatusNotifierItem", "Menu").Store(&v); err == nil {
				if mp, ok := v.Value().(dbus.ObjectPath); ok && mp.IsValid() {
					menuPath = mp
				}
			}
			return &benchMenu{obj: d.conn.Object(service, menuPath)}
		}
		if p.exited() || time.Now().After(deadline) {
			tb.Fatalf("no tray icon registered within %v (exited: %v); output:\n%s", timeout, p.exited(), p.out.String())
		}
		time.Sleep(time.Millisecond)
	}
}

// entries reads the whole menu now (GetLayout), visible entries only, depth first.
func (m *benchMenu) entries() ([]benchEntry, error) {
	es, _, err := m.layout()
	return es, err
}

// settled reads the menu once its layout revision has stayed the same for 100 ms: the tray
// rebuilds its menu with new entry ids after a change, and a click on an old id is lost.
func (m *benchMenu) settled() ([]benchEntry, error) {
	es, rev, err := m.layout()
	for i := 0; err == nil && i < 100; i++ {
		time.Sleep(100 * time.Millisecond)
		var now uint32
		es2, now, err2 := m.layout()
		if err2 != nil {
			return nil, err2
		}
		if now == rev {
			return es2, nil
		}
		es, rev = es2, now
	}
	return es, err
}

func (m *benchMenu) layout() ([]benchEntry, uint32, error) {
	var revision uint32
	var layout struct {
		ID       int32
		Props    map[string]dbus.Variant
		Children []dbus.Variant
	}
	if err := m.obj.Call("com.canonical.dbusmenu.GetLayout", 0, int32(0), int32(-1), []string{}).Store(&revision, &layout); err != nil {
		return nil, 0, err
	}
	var out []benchEntry
	var walk func(children []dbus.Variant)
	walk = func(children []dbus.Variant) {
		for _, c := range children {
			fields, ok := c.Value().([]any)
			if !ok || len(fields) != 3 {
				continue
			}
			id, _ := fields[0].(int32)
			props, _ := fields[1].(map[string]dbus.Variant)
			kids, _ := fields[2].([]dbus.Variant)
			if vis, ok := props["visible"].Value().(bool); ok && !vis {
				continue
			}
			if label, ok := props["label"].Value().(string); ok && label != "" {
				out = append(out, benchEntry{ID: id, Label: label})
			}
			walk(kids)
		}
	}
	walk(layout.Children)
	return out, revision, nil
}

// waitFor polls the menu (every poll) until cond holds for its entries.
func (m *benchMenu) waitFor(tb testing.TB, p *benchTray, timeout, poll time.Duration, what string, cond func([]benchEntry) bool) []benchEntry {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	var last []benchEntry
	var lastErr error
	for {
		last, lastErr = m.entries()
		if lastErr == nil && cond(last) {
			return last
		}
		if p.exited() || time.Now().After(deadline) {
			tb.Fatalf("waited %v for %s (error %v, exited %v); menu %q; output:\n%s", timeout, what, lastErr, p.exited(), benchLabels(last), p.out.String())
		}
		time.Sleep(poll)
	}
}

func benchLabels(es []benchEntry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Label)
	}
	return out
}

// benchFind is the first entry whose label starts with prefix.
func benchFind(es []benchEntry, prefix string) (benchEntry, bool) {
	for _, e := range es {
		if strings.HasPrefix(e.Label, prefix) {
			return e, true
		}
	}
	return benchEntry{}, false
}

// benchShowsAll: every favourite is in the menu, ready to activate ("Owner · IT — activate (1h)").
func benchShowsAll(names []string) func([]benchEntry) bool {
	return func(es []benchEntry) bool {
		for _, n := range names {
			if _, ok := benchFind(es, n+" — activate ("); !ok {
				return false
			}
		}
		return true
	}
}

// benchShowsState: every favourite is in the menu with its state known (not "checking…").
func benchShowsState(names []string) func([]benchEntry) bool {
	return func(es []benchEntry) bool {
		for _, n := range names {
			e, ok := benchFind(es, n+" — ")
			if !ok || strings.HasSuffix(e.Label, "checking…") {
				return false
			}
		}
		return true
	}
}

func (m *benchMenu) click(id int32) error {
	return m.obj.Call("com.canonical.dbusmenu.Event", 0, id, "clicked", dbus.MakeVariant(""), uint32(time.Now().Unix())).Err
}

// benchFigures are a process's figures from /proc.
type benchFigures struct {
	RSSKiB, HWMKiB int64         // VmRSS, VmHWM
	CPU            time.Duration // utime+stime (/proc/pid/stat, clock ticks of 10 ms)
	CPUPrecise     time.Duration // sum of the live threads' /proc/pid/task/*/schedstat run time
	Switches       int64         // voluntary + involuntary context switches of the live threads
	Voluntary      int64         // voluntary ones: the thread slept and was woken
	Threads        int
}

// benchClockTicks is USER_HZ, 100 on every Linux platform Go runs on.
const benchClockTicks = 100

func benchReadProc(pid int) (benchFigures, error) {
	var f benchFigures
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return f, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		k, v, _ := strings.Cut(line, ":")
		v = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB"))
		switch k {
		case "VmRSS":
			f.RSSKiB, _ = strconv.ParseInt(v, 10, 64)
		case "VmHWM":
			f.HWMKiB, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return f, err
	}
	// After "pid (comm) ": state is field 3; utime and stime are fields 14 and 15.
	rest := string(stat)[strings.LastIndexByte(string(stat), ')')+2:]
	fields := strings.Fields(rest)
	if len(fields) > 12 {
		ut, _ := strconv.ParseInt(fields[11], 10, 64)
		st, _ := strconv.ParseInt(fields[12], 10, 64)
		f.CPU = time.Duration(ut+st) * time.Second / benchClockTicks
	}
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return f, err
	}
	for _, t := range tasks {
		dir := fmt.Sprintf("/proc/%d/task/%s", pid, t.Name())
		if ss, err := os.ReadFile(dir + "/schedstat"); err == nil {
			if fs := strings.Fields(string(ss)); len(fs) > 0 {
				ns, _ := strconv.ParseInt(fs[0], 10, 64)
				f.CPUPrecise += time.Duration(ns)
			}
		}
		st, err := os.Open(dir + "/status")
		if err != nil {
			continue // the thread ended meanwhile
		}
		sc := bufio.NewScanner(st)
		for sc.Scan() {
			k, v, _ := strings.Cut(sc.Text(), ":")
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			switch k {
			case "voluntary_ctxt_switches":
				f.Switches += n
				f.Voluntary += n
			case "nonvoluntary_ctxt_switches":
				f.Switches += n
			}
		}
		st.Close()
		f.Threads++
	}
	return f, nil
}

// benchRole is one role as `pimtray --demo list --json` prints it.
type benchRole struct {
	Plane     string `json:"plane"`
	Role      string `json:"role"`
	RoleID    string `json:"roleId"`
	Scope     string `json:"scope"`
	ScopeName string `json:"scopeName"`
	TenantID  string `json:"tenantId"`
}

// key is the role's favourite key (pim.Role.Key).
func (r benchRole) key() string {
	return strings.ToLower(r.Plane + "|" + r.TenantID + "|" + r.RoleID + "|" + r.Scope)
}

// label is the role's menu name (pim.Role.Label).
func (r benchRole) label() string {
	if r.Plane == "entra" && (r.Scope == "/" || r.Scope == "") {
		return r.Role
	}
	return r.Role + " · " + r.ScopeName
}

// benchListRoles runs `pimtray --demo list --json` with env and returns the demo's roles.
func benchListRoles(tb testing.TB, bin string, env []string) []benchRole {
	tb.Helper()
	cmd := exec.Command(bin, "--demo", "list", "--json")
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("pimtray --demo list --json: %v\n%s", err, stderr.String())
	}
	var roles []benchRole
	if err := json.Unmarshal(out, &roles); err != nil {
		tb.Fatalf("pimtray --demo list --json: %v\n%s", err, out)
	}
	return roles
}

// benchWriteConfig writes the demo's configuration with these roles as favourites (each with
// a saved justification and duration, so one click activates it without a question).
func benchWriteConfig(tb testing.TB, home string, duration string, extra map[string]any, roles ...benchRole) {
	tb.Helper()
	var favs []map[string]any
	for _, r := range roles {
		favs = append(favs, map[string]any{"key": r.key(), "tenant": r.TenantID, "plane": r.Plane, "role": r.Role,
			"roleId": r.RoleID, "scope": r.Scope, "scopeName": r.ScopeName, "justification": "measured", "duration": duration})
	}
	cfg := map[string]any{"favourites": favs}
	for k, v := range extra {
		cfg[k] = v
	}
	data, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		tb.Fatal(err)
	}
	path := benchConfigFile(home)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		tb.Fatal(err)
	}
}

// benchPickRoles finds demo roles by their menu names ("Owner · IT").
func benchPickRoles(tb testing.TB, all []benchRole, labels ...string) []benchRole {
	tb.Helper()
	var out []benchRole
	for _, l := range labels {
		found := false
		for _, r := range all {
			if r.label() == l {
				out, found = append(out, r), true
				break
			}
		}
		if !found {
			tb.Fatalf("no demo role %q", l)
		}
	}
	return out
}
