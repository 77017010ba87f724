// Package app assembles pimtray: its folders, configuration, log and clock, one backend per
// tenant (Microsoft's clouds through MSAL, or the built-in demo tenant), and the engine over
// them; and the tray with its notifications. main.go, the command-line tests and the
// end-to-end tests build pimtray through it, so there is one way the parts are put together.
//
// Open is the one place an engine is opened: a command gets one that reads the last known
// state only and logs to stderr; the tray gets one that owns the state and logs to its log
// file.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pimtray/pimtray/internal/cli"
	"github.com/pimtray/pimtray/internal/clock"
	"github.com/pimtray/pimtray/internal/engine"
	"github.com/pimtray/pimtray/internal/fakeazure"
	"github.com/pimtray/pimtray/pim"
	"github.com/pimtray/pimtray/pim/auth"
	"github.com/pimtray/pimtray/store"
	"github.com/pimtray/pimtray/tray/dialog"
)

// demoApprovalWait is how long (demo time) the demo tenant's approver takes.
const demoApprovalWait = 2 * time.Minute

// Options say which pimtray to open. The zero values of the test seams (Paths, Clock,
// Location, Backend) are what the binary uses.
type Options struct {
	// Globals are the command line's global flags (--demo, --config, --tenant, …).
	cli.Globals
	// Tray opens the tray's engine: it owns the state file, logs to the log file and asks
	// for a missing justification in a dialog. Otherwise a command's: the state is read
	// only (a tray may be running), the log goes to Stderr.
	Tray bool
	// Stderr receives a command's log (errors only unless --debug); nil: discarded.
	Stderr io.Writer

	// Paths are the folders; nil: the platform's (store.DefaultPaths), the demo's with --demo.
	Paths *store.Paths
	// Clock is the time source; nil: the real clock, or with --demo-speed a faster one.
	Clock clock.Clock
	// Location shows times; nil: time.Local.
	Location *time.Location
	// Backend builds a tenant's backend; nil: MSAL sign-in and the PIM client on the
	// tenant's cloud (with --demo: the demo tenant in this process). Tests pass one that
	// reaches their fake Azure.
	Backend Backend
}

// Tenant is one tenant to build a backend for: its configuration, the cloud it is in and
// the planes to use (nil: all).
type Tenant struct {
	Config store.TenantConfig
	Cloud  pim.Cloud
	Planes []pim.Plane
}

// Backend builds the engine's backend for a tenant. It may add closers to a (a.OnClose).
type Backend func(ctx context.Context, a *App, t Tenant) (engine.TenantBackend, error)

// App is one opened pimtray: the engine and what it was built from. Close releases it.
type App struct {
	Engine *engine.Engine
	Paths  store.Paths
	Config *store.Config
	Clock  clock.Clock
	Log    *slog.Logger
	// Keyring holds the sealing keys of the sign-in caches (with a timeout on every call).
	Keyring *store.Keyring

	opts    Options
	closers []func()
}

// OnClose runs f when the app is closed (in reverse order of registration).
func (a *App) OnClose(f func()) { a.closers = append(a.closers, f) }

// Close releases what the app holds: the demo's fake Azure, the log file.
func (a *App) Close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
	a.closers = nil
}

// Open builds pimtray for o. A configuration the user must fix comes back as a
// *store.ConfigError or marked with cli.BadInput (exit 2).
func Open(ctx context.Context, o Options) (_ *App, err error) {
	if o.Stderr == nil {
		o.Stderr = io.Discard
	}
	paths, err := Paths(o.Globals, o.Paths)
	if err != nil {
		return nil, err
	}
	if err := paths.Ensure(); err != nil {
		return nil, err
	}
	cfg, err := store.LoadConfig(paths.ConfigFile)
	if err != nil {
		return nil, cli.BadInput(err)
	}
	a := &App{Paths: paths, Config: cfg, Clock: o.Clock, opts: o, Keyring: store.NewKeyring(3 * time.Second)}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	if a.Log, err = a.newLogger(); err != nil {
		return nil, err
	}
	if a.Clock == nil {
		a.Clock = clock.Real{}
		if o.Demo {
			if a.Clock, err = demoClock(paths.StateDir, o.DemoSpeed, o.Tray); err != nil {
				return nil, err
			}
		}
	}
	tenants, err := a.tenants(ctx)
	if err != nil {
		return nil, err
	}
	var prompter engine.Prompter
	if o.Tray {
		prompter = dialog.Prompter{}
	}
	a.Engine, err = engine.New(engine.Options{
		Clock:         a.Clock,
		Config:        cfg,
		ConfigFile:    paths.ConfigFile, // edits of the file as it is then: hand edits kept
		Tenants:       tenants,
		StateFile:     paths.StateFile(),
		ReadOnlyState: !o.Tray,
		CommandCache:  commandCache(o.Tray, paths),
		Prompter:      prompter,
		Interactive:   auth.Interactive,
		Demo:          o.Demo,
		Log:           a.Log,
		Location:      o.Location,
	})
	if err != nil {
		return nil, err
	}
	a.OnClose(a.Engine.Close)
	return a, nil
}

// Paths are the folders for g: the given ones or the platform's (the demo's with --demo),
// with --config's file. An explicit --config that does not exist is the user's to fix (a
// missing default configuration is fine: every key has a default).
func Paths(g cli.Globals, given *store.Paths) (store.Paths, error) {
	var paths store.Paths
	if given != nil {
		paths = *given
	} else {
		var err error
		if paths, err = store.DefaultPaths(g.Demo); err != nil {
			return store.Paths{}, err
		}
	}
	if g.ConfigFile != "" {
		if _, err := os.Stat(g.ConfigFile); errors.Is(err, os.ErrNotExist) {
			return store.Paths{}, cli.BadInput(fmt.Errorf("the configuration file %s does not exist (leave out --config to use the default one)", g.ConfigFile))
		}
		paths.ConfigFile = g.ConfigFile
	}
	return paths, nil
}

// tenants builds the backends: the demo tenant with --demo, else the configured tenants
// (--tenant's only; "organizations", the home tenant, when none is configured).
func (a *App) tenants(ctx context.Context) ([]engine.TenantBackend, error) {
	o := a.opts
	if o.Demo {
		backend := o.Backend
		if backend == nil {
			backend = demoBackend
		}
		demo, _ := demoTenant()
		tb, err := backend(ctx, a, Tenant{Config: store.TenantConfig{ID: demo.ID, Name: demo.Name}})
		if err != nil {
			return nil, err
		}
		return []engine.TenantBackend{tb}, nil
	}
	tcs, err := selectTenants(a.Config.Tenants, o.Tenant)
	if err != nil {
		return nil, err
	}
	backend := o.Backend
	if backend == nil {
		backend = msalBackend
	}
	var out []engine.TenantBackend
	for _, tc := range tcs {
		cloud, err := a.Config.CloudFor(tc)
		if err != nil {
			return nil, cli.BadInput(err)
		}
		// The configuration's planes were checked when it was read.
		var planes []pim.Plane
		for _, p := range tc.Planes {
			planes = append(planes, pim.Plane(p))
		}
		tb, err := backend(ctx, a, Tenant{Config: tc, Cloud: cloud, Planes: planes})
		if err != nil {
			return nil, err
		}
		tb.Planes = planes
		out = append(out, tb)
	}
	return out, nil
}

// selectTenants picks the configured tenants to work in: the one named (as the engine names
// tenants: by id or name, in any case), or a tenant not configured yet that named is the id
// of (to sign in to it), or all of them; "organizations" when none is configured.
func selectTenants(configured []store.TenantConfig, named string) ([]store.TenantConfig, error) {
	if named == "" {
		if len(configured) == 0 {
			return []store.TenantConfig{{ID: "organizations"}}, nil
		}
		return configured, nil
	}
	var picked []store.TenantConfig
	for _, t := range configured {
		if engine.NamesTenant(t.ID, t.Name, named) {
			picked = append(picked, t)
		}
	}
	if len(picked) > 0 {
		return picked, nil
	}
	if !store.ValidTenantID(named) {
		return nil, cli.BadInput(fmt.Errorf("%q is not a tenant id or domain (a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47, or contoso.onmicrosoft.com)", named))
	}
	return []store.TenantConfig{{ID: named}}, nil
}

// msalBackend signs in with MSAL (the sign-in sealed in the cache folder, its key in the
// keyring) and reaches the tenant's cloud.
func msalBackend(ctx context.Context, a *App, t Tenant) (engine.TenantBackend, error) {
	tc := t.Config
	cache, err := store.NewSealedCache(store.SealedCacheOptions{
		Keyring: a.Keyring, Service: a.Paths.KeyringService, Account: tc.ID, Dir: a.Paths.CacheDir, Log: a.Log,
	})
	if err != nil {
		return engine.TenantBackend{}, err
	}
	if err := cache.Check(); err != nil {
		// Not a file pimtray wrote (a folder, a pipe, a device): say so, as for the
		// configuration and the state file, rather than sign out over it.
		return engine.TenantBackend{}, cli.BadInput(fmt.Errorf("%w.", err))
	}
	sess, err := auth.New(auth.Options{
		Cloud: t.Cloud, TenantID: tc.ID, TenantName: tc.Name,
		ClientID: tc.ClientID, GraphClientID: tc.GraphClientID, ARMClientID: tc.ARMClientID,
		UseAzureCLI: tc.UseAzureCLI, Cache: cache, Log: a.Log,
	})
	if err != nil {
		return engine.TenantBackend{}, cli.BadInput(err)
	}
	client, err := pim.NewClient(sess, &pim.ClientOptions{Cloud: t.Cloud, TenantID: tc.ID, Now: a.Clock.Now, Log: a.Log})
	if err != nil {
		return engine.TenantBackend{}, err
	}
	return engine.TenantBackend{ID: tc.ID, Name: tc.Name, API: client, Auth: authenticator{sess}}, nil
}

// demoBackend starts the built-in fake Azure in this process, its state kept in the demo's
// own folder, and signs in to it without a browser (the fake's automated browser), through
// the real MSAL client, TLS and PIM client.
func demoBackend(ctx context.Context, a *App, _ Tenant) (engine.TenantBackend, error) {
	// The demo's sign-in proves a password only, so Global Administrator (MFA) and Exchange
	// Administrator (authentication context) need their step-up sign-in, as they would.
	demo, pageSize := demoTenant()
	demo.PasswordOnlySignIn = true
	fake, err := fakeazure.New(fakeazure.Options{
		Now:                   a.Clock.Now,
		Tenants:               []*fakeazure.Tenant{demo},
		PageSize:              pageSize,
		StateFile:             filepath.Join(a.Paths.StateDir, "demo-azure.json"),
		AutoConfirmDeviceCode: true,
		// The demo's approver decides a request after two minutes of demo time, so the demo
		// shows an approval arriving (and its notification).
		AutoApproveAfter: demoApprovalWait,
		Log:              a.Log,
	})
	if err != nil {
		return engine.TenantBackend{}, fmt.Errorf("start the demo tenant: %w", err)
	}
	a.OnClose(fake.Close)
	cloud := fake.Cloud()
	cache, err := store.NewSealedCache(store.SealedCacheOptions{
		Keyring: a.Keyring, Service: a.Paths.KeyringService, Account: demo.ID, Dir: a.Paths.CacheDir, Log: a.Log,
	})
	if err != nil {
		return engine.TenantBackend{}, err
	}
	if err := cache.Check(); err != nil {
		return engine.TenantBackend{}, cli.BadInput(fmt.Errorf("%w.", err))
	}
	sess, err := auth.New(auth.Options{
		Cloud: cloud, TenantID: demo.ID, TenantName: demo.Name,
		ClientID: "00000000-0000-0000-0000-00000000d3e0", Cache: cache,
		HTTPClient: fake.HTTPClient(), OpenURL: fake.Browser(), Log: a.Log,
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
	// The fake runs on the demo's clock (a.Clock): there is no clock difference to learn.
	opts := &pim.ClientOptions{Cloud: cloud, TenantID: demo.ID, Now: a.Clock.Now, SharedClock: true, Log: a.Log}
	opts.Transport = fake.HTTPClient()
	client, err := pim.NewClient(sess, opts)
	if err != nil {
		return engine.TenantBackend{}, err
	}
	return engine.TenantBackend{ID: demo.ID, Name: demo.Name, API: client, Auth: authenticator{sess}}, nil
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

// newLogger: the tray logs to its log file (0600), a command to stderr (errors, or
// everything with --debug). No secret is ever logged by any part.
func (a *App) newLogger() (*slog.Logger, error) {
	g := a.opts.Globals
	level := slog.LevelInfo
	if g.Debug || strings.EqualFold(a.Config.LogLevel, "debug") {
		level = slog.LevelDebug
	}
	if !a.opts.Tray {
		if !g.Debug {
			// What a command's user needs (keyring unavailable, a plane that failed) is in
			// its own output; the log only adds errors unless --debug.
			level = slog.LevelError
		}
		return slog.New(slog.NewTextHandler(a.opts.Stderr, &slog.HandlerOptions{Level: level})), nil
	}
	f, err := os.OpenFile(a.Paths.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open the log %s: %w", a.Paths.LogFile, err)
	}
	a.OnClose(func() { f.Close() })
	var w io.Writer = f
	if g.Debug {
		w = io.MultiWriter(f, a.opts.Stderr)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level})), nil
}

// commandCache is the command line's own file of what it learned (engine.Options.CommandCache),
// beside the tray's state file; the tray keeps none.
func commandCache(tray bool, paths store.Paths) string {
	if tray {
		return ""
	}
	return filepath.Join(paths.StateDir, "command-cache.json")
}
