// Command pimtray puts Azure PIM roles in the system tray: favourite roles with live
// countdowns, one-click activation, a sign-in kept across restarts, and reminders with a
// "Re-activate" button before an activation runs out. With a command it works from the
// terminal instead (pimtray list, activate, deactivate, status, signin, signout).
//
// This file only wires the parts together: the engine (engine) decides, pim speaks Azure,
// pim/auth signs in, store keeps files and the keyring, tray and notify show.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/pkg/browser"

	"github.com/pimtray/pimtray/assets"
	"github.com/pimtray/pimtray/internal/cli"
	"github.com/pimtray/pimtray/internal/clock"
	"github.com/pimtray/pimtray/internal/engine"
	"github.com/pimtray/pimtray/internal/fakeazure"
	"github.com/pimtray/pimtray/notify"
	"github.com/pimtray/pimtray/pim"
	"github.com/pimtray/pimtray/pim/auth"
	"github.com/pimtray/pimtray/store"
	"github.com/pimtray/pimtray/tray"
	"github.com/pimtray/pimtray/tray/autostart"
	"github.com/pimtray/pimtray/tray/console"
	"github.com/pimtray/pimtray/tray/dialog"
)

// version is stamped by build/release.sh (-X main.version=...).
var version = "dev"

func main() {
	console.AttachParentConsole()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env := cli.Env{Version: version, Open: func(ctx context.Context, g cli.Globals, stderr io.Writer) (*engine.Engine, func(), error) {
		a, err := open(ctx, g, stderr, false)
		if err != nil {
			return nil, nil, err
		}
		return a.engine, a.close, nil
	}}
	if cli.IsCommand(args) {
		return cli.Main(ctx, args, stdout, stderr, env)
	}
	g, _, _ := cli.ParseGlobals(args) // IsCommand said they parse
	return runTray(ctx, g, stderr)
}

// app is one wired pimtray: the engine and what must be closed after it.
type app struct {
	engine  *engine.Engine
	paths   store.Paths
	clock   clock.Clock
	log     *slog.Logger
	closers []func()
}

func (a *app) close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
}

// open builds the engine for the flags. The tray (forTray) owns the state file and logs to
// the log file; a command reads the state only and logs to stderr.
func open(ctx context.Context, g cli.Globals, stderr io.Writer, forTray bool) (_ *app, err error) {
	paths, err := store.DefaultPaths(g.Demo)
	if err != nil {
		return nil, err
	}
	if g.ConfigFile != "" {
		paths.ConfigFile = g.ConfigFile
	}
	if err := paths.Ensure(); err != nil {
		return nil, err
	}
	cfg, cfgErr := store.LoadConfig(paths.ConfigFile)
	if cfgErr != nil {
		return nil, cli.BadInput(cfgErr)
	}
	a := &app{paths: paths, clock: clock.Real{}}
	defer func() {
		if err != nil {
			a.close()
		}
	}()
	a.log, err = newLogger(g, cfg, paths, stderr, forTray, a)
	if err != nil {
		return nil, err
	}
	if g.Demo && g.DemoSpeed > 0 {
		a.clock = clock.Scaled{Start: time.Now().Round(0), Factor: g.DemoSpeed}
	}
	keyring := store.NewKeyring(3 * time.Second)

	var tenants []engine.TenantBackend
	if g.Demo {
		tb, err := demoTenant(ctx, a, keyring)
		if err != nil {
			return nil, err
		}
		tenants = append(tenants, tb)
	} else {
		tenants, err = realTenants(cfg, g.Tenant, a, keyring)
		if err != nil {
			return nil, err
		}
	}

	eng, err := engine.New(engine.Options{
		Clock:         a.clock,
		Config:        cfg,
		SaveConfig:    func(c *store.Config) error { return store.SaveConfig(paths.ConfigFile, c) },
		Tenants:       tenants,
		StateFile:     paths.StateFile(),
		ReadOnlyState: !forTray,
		Prompter:      prompter(forTray),
		Interactive:   auth.Interactive,
		Demo:          g.Demo,
		Log:           a.log,
	})
	if err != nil {
		return nil, err
	}
	a.engine = eng
	return a, nil
}

func prompter(forTray bool) engine.Prompter {
	if forTray {
		return dialog.Prompter{}
	}
	return nil
}

// realTenants builds one backend per configured tenant (or "organizations" when none is
// configured yet), each with its own sealed sign-in cache.
func realTenants(cfg *store.Config, only string, a *app, keyring *store.Keyring) ([]engine.TenantBackend, error) {
	tcs := cfg.Tenants
	if only != "" {
		var picked []store.TenantConfig
		for _, t := range tcs {
			if strings.EqualFold(t.ID, only) || strings.EqualFold(t.Name, only) {
				picked = append(picked, t)
			}
		}
		if len(picked) == 0 {
			if !store.ValidTenantID(only) {
				return nil, cli.BadInput(fmt.Errorf("%q is not a tenant id or domain (a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47, or contoso.onmicrosoft.com)", only))
			}
			picked = []store.TenantConfig{{ID: only}}
		}
		tcs = picked
	}
	if len(tcs) == 0 {
		tcs = []store.TenantConfig{{ID: "organizations"}}
	}
	var out []engine.TenantBackend
	for _, tc := range tcs {
		cloud, err := cfg.CloudFor(tc)
		if err != nil {
			return nil, cli.BadInput(err)
		}
		cache, err := store.NewSealedCache(store.SealedCacheOptions{
			Keyring: keyring, Service: a.paths.KeyringService, Account: tc.ID, Dir: a.paths.CacheDir, Log: a.log,
		})
		if err != nil {
			return nil, err
		}
		sess, err := auth.New(auth.Options{
			Cloud: cloud, TenantID: tc.ID, TenantName: tc.Name,
			ClientID: tc.ClientID, GraphClientID: tc.GraphClientID, ARMClientID: tc.ARMClientID,
			UseAzureCLI: tc.UseAzureCLI, Cache: cache, Log: a.log,
		})
		if err != nil {
			return nil, cli.BadInput(err)
		}
		client, err := pim.NewClient(sess, &pim.ClientOptions{Cloud: cloud, TenantID: tc.ID, Now: a.clock.Now, Log: a.log})
		if err != nil {
			return nil, err
		}
		planes, err := parsePlanes(tc.Planes)
		if err != nil {
			return nil, cli.BadInput(err)
		}
		out = append(out, engine.TenantBackend{ID: tc.ID, Name: tc.Name, API: client, Auth: authenticator{sess}, Planes: planes})
	}
	return out, nil
}

// demoTenant starts the built-in fake Azure in this process, its state kept in the demo's
// own folder, and signs in to it without a browser (the fake's automated browser).
func demoTenant(ctx context.Context, a *app, keyring *store.Keyring) (engine.TenantBackend, error) {
	fake, err := fakeazure.New(fakeazure.Options{
		Now:                   a.clock.Now,
		StateFile:             filepath.Join(a.paths.StateDir, "demo-azure.json"),
		AutoConfirmDeviceCode: true,
		Log:                   a.log,
	})
	if err != nil {
		return engine.TenantBackend{}, fmt.Errorf("start the demo tenant: %w", err)
	}
	a.closers = append(a.closers, fake.Close)
	cloud := fake.Cloud()
	cache, err := store.NewSealedCache(store.SealedCacheOptions{
		Keyring: keyring, Service: a.paths.KeyringService, Account: fakeazure.DemoTenantID, Dir: a.paths.CacheDir, Log: a.log,
	})
	if err != nil {
		return engine.TenantBackend{}, err
	}
	sess, err := auth.New(auth.Options{
		Cloud: cloud, TenantID: fakeazure.DemoTenantID, TenantName: fakeazure.DemoTenantName,
		ClientID: "00000000-0000-0000-0000-00000000d3e0", Cache: cache,
		HTTPClient: fake.HTTPClient(), OpenURL: fake.Browser(), Log: a.log,
	})
	if err != nil {
		return engine.TenantBackend{}, err
	}
	// Each process's fake listens on a port of its own, so a kept sign-in is for another
	// authority: forget it and sign in anew (the fake's browser needs no one).
	_ = sess.SignOut(ctx)
	if _, err := sess.SignIn(ctx, auth.SignInOptions{}); err != nil {
		return engine.TenantBackend{}, fmt.Errorf("sign in to the demo tenant: %w", err)
	}
	opts := &pim.ClientOptions{Cloud: cloud, TenantID: fakeazure.DemoTenantID, Now: a.clock.Now, Log: a.log}
	opts.Transport = fake.HTTPClient()
	client, err := pim.NewClient(sess, opts)
	if err != nil {
		return engine.TenantBackend{}, err
	}
	return engine.TenantBackend{ID: fakeazure.DemoTenantID, Name: fakeazure.DemoTenantName, API: client, Auth: authenticator{sess}}, nil
}

func parsePlanes(names []string) ([]pim.Plane, error) {
	var out []pim.Plane
	for _, n := range names {
		p := pim.Plane(strings.ToLower(n))
		switch p {
		case pim.PlaneEntra, pim.PlaneAzure, pim.PlaneGroup:
			out = append(out, p)
		default:
			return nil, fmt.Errorf("unknown plane %q in the configuration (use entra, azure or group)", n)
		}
	}
	return out, nil
}

// authenticator adapts an auth.Session to the engine's Authenticator.
type authenticator struct{ s *auth.Session }

func (a authenticator) SignIn(ctx context.Context, o engine.SignInOptions) (string, error) {
	acc, err := a.s.SignIn(ctx, auth.SignInOptions{DeviceCode: o.DeviceCode, Prompt: o.Prompt})
	return acc.Username, err
}
func (a authenticator) SignOut(ctx context.Context) error { return a.s.SignOut(ctx) }
func (a authenticator) Account() (string, bool) {
	acc, ok := a.s.Account()
	return acc.Username, ok
}
func (a authenticator) Storage() string { return a.s.Storage() }

// newLogger: the tray logs to its log file (0600), a command to stderr (warnings, or
// everything with --debug). No secret is ever logged by any part.
func newLogger(g cli.Globals, cfg *store.Config, paths store.Paths, stderr io.Writer, forTray bool, a *app) (*slog.Logger, error) {
	level := slog.LevelInfo
	if g.Debug || strings.EqualFold(cfg.LogLevel, "debug") {
		level = slog.LevelDebug
	}
	if !forTray {
		if !g.Debug {
			// What a command's user needs (keyring unavailable, a plane that failed) is in
			// its own output; the log only adds errors unless --debug.
			level = slog.LevelError
		}
		return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})), nil
	}
	f, err := os.OpenFile(paths.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open the log %s: %w", paths.LogFile, err)
	}
	a.closers = append(a.closers, func() { f.Close() })
	var w io.Writer = f
	if g.Debug {
		w = io.MultiWriter(f, stderr)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level})), nil
}

// runTray runs the tray until Quit: one per user, with notifications wired to the engine.
func runTray(ctx context.Context, g cli.Globals, stderr io.Writer) int {
	paths, err := store.DefaultPaths(g.Demo)
	if err == nil {
		err = paths.Ensure()
	}
	if err != nil {
		fmt.Fprintf(stderr, "pimtray: %v\n", err)
		return cli.ExitFailed
	}
	release, err := tray.AcquireSingleInstance(paths.StateDir)
	if errors.Is(err, tray.ErrAlreadyRunning) {
		fmt.Fprintln(stderr, "pimtray is already running in the tray; use its menu, or pimtray list / activate here.")
		return cli.ExitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "pimtray: %v\n", err)
		return cli.ExitFailed
	}
	defer release()

	a, err := open(ctx, g, stderr, true)
	if err != nil {
		fmt.Fprintf(stderr, "pimtray: %v\n", err)
		var ce *store.ConfigError
		if errors.As(err, &ce) {
			return cli.ExitUsage
		}
		return cli.ExitFailed
	}
	defer a.close()
	ctx, cancel := context.WithCancel(ctx)
	engineDone := make(chan struct{})
	go func() {
		defer close(engineDone)
		a.engine.Run(ctx)
	}()
	// On the way out, stop the engine and let it finish saving its state before the
	// files and the log are closed.
	defer func() {
		cancel()
		<-engineDone
	}()

	n, err := notify.New(notify.Options{AppName: "pimtray", DesktopEntry: "pimtray", Icon: assets.AppIcon(), Log: a.log})
	if err != nil {
		a.log.Warn("notifications unavailable; reminders show in the tray only", "err", err)
	} else {
		defer n.Close()
		go func() {
			for {
				select {
				case <-ctx.Done():
					return
				case notice := <-a.engine.Notices():
					_ = n.Show(notice) // Show logs its own failures, once
				}
			}
		}()
		go func() {
			for ev := range n.Actions() {
				a.engine.NoticeAction(ev.NoticeID, ev.Action)
			}
		}()
	}

	opts := tray.Options{
		Icons: tray.Icons{
			Idle:      assets.TrayIcon(assets.StateIdle),
			Active:    assets.TrayIcon(assets.StateActive),
			Expiring:  assets.TrayIcon(assets.StateExpiring),
			Pending:   assets.TrayIcon(assets.StatePending),
			Attention: assets.TrayIcon(assets.StateAttention),
		},
		OpenConfig: func() { openFile(a, a.paths.ConfigFile) },
		OpenLog:    func() { openFile(a, a.paths.LogFile) },
		Now:        a.clock.Now,
		Log:        a.log,
	}
	if exe, err := os.Executable(); err == nil && !g.Demo {
		opts.Autostart = autostart.New("pimtray", exe, nil)
	}
	if err := tray.Run(ctx, a.engine, opts); err != nil {
		fmt.Fprintf(stderr, "pimtray: %v\n", err)
		return cli.ExitFailed
	}
	return cli.ExitOK
}

// openFile opens a file with the desktop's handler, writing the defaults first when the
// configuration doesn't exist yet.
func openFile(a *app, path string) {
	if path == a.paths.ConfigFile {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			if err := store.SaveConfig(path, store.DefaultConfig()); err != nil {
				a.log.Warn("write the default configuration", "err", err)
			}
		}
	}
	if err := browser.OpenFile(path); err != nil {
		a.log.Warn("open file", "path", path, "err", err)
	}
}
