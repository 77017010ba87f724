//go:build linux

package auth_test

// End to end against the real Secret Service: gnome-keyring on a private D-Bus session bus.
// Every phase is its own process (the test binary re-executed), as pimtray's runs would be:
// sign in and exit; start again and get tokens with no sign-in. The fake Azure of each phase
// serves the same address and shares a state file, like the demo's fake across runs: the parent
// holds the listening socket for the whole test and hands it to each phase (descriptor 3), so
// no other process can take the port between the phases.

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pimtray/pimtray/internal/fakeazure"
	"github.com/pimtray/pimtray/internal/testkit/keyringtest"
	"github.com/pimtray/pimtray/internal/testkit/porttest"
	"github.com/pimtray/pimtray/pim/auth"
	"github.com/pimtray/pimtray/store"
)

const (
	e2ePhase  = "PIMTRAY_E2E_PHASE"
	e2eHome   = "PIMTRAY_E2E_HOME"
	e2eListen = "PIMTRAY_E2E_LISTENER" // "3": the fake serves the socket the parent passed
	e2eState  = "PIMTRAY_E2E_STATE"
)

func TestEndToEndSignInSurvivesARestart(t *testing.T) {
	if keyringtest.InChild() {
		e2ePhaseRun(t)
		return
	}
	kr := keyringtest.Start(t)
	home := t.TempDir()
	// The sign-in cache is keyed by the authority's host and port, so the phases serve one address.
	l := porttest.Listen(t)
	socket := []*os.File{porttest.File(t, l)}
	env := append(kr.Environ(), e2eHome+"="+home, e2eListen+"=3", e2eState+"="+filepath.Join(t.TempDir(), "fake.json"))
	keyringtest.RunInChildFiles(t, socket, append(env, e2ePhase+"=signin")...)
	// Between the phases the port is still taken: no other suite can bind it.
	if squat, err := net.Listen("tcp", l.Addr().String()); err == nil {
		squat.Close()
		t.Fatalf("%s was free between the phases", l.Addr())
	}
	keyringtest.RunInChildFiles(t, socket, append(env, e2ePhase+"=restart")...)
	// At rest: a sealed file, private, with no secret in plaintext.
	sealed := 0
	walkFiles(t, home, func(path string, data []byte) {
		if strings.HasSuffix(path, ".sealed") {
			sealed++
			fi, _ := os.Stat(path)
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("%s is %o", path, fi.Mode().Perm())
			}
		}
		if bytes.Contains(data, []byte(fakeazure.SecretMarker)) {
			t.Errorf("%s holds a secret in plaintext", path)
		}
	})
	if sealed != 1 {
		t.Errorf("sealed files: %d", sealed)
	}
}

func TestEndToEndKeyringGoneSignsInForTheRun(t *testing.T) {
	if keyringtest.InChild() {
		e2ePhaseRun(t)
		return
	}
	bus := keyringtest.StartBus(t) // no Secret Service on it
	home := t.TempDir()
	keyringtest.RunInChild(t, append(bus.Environ(), e2eHome+"="+home, e2ePhase+"=nokeyring")...)
	walkFiles(t, home, func(path string, _ []byte) { t.Errorf("file written without a keyring: %s", path) })
}

// e2ePhaseRun is one run of "pimtray" in a child process.
func e2ePhaseRun(t *testing.T) {
	ctx := context.Background()
	t.Setenv("HOME", os.Getenv(e2eHome))
	for _, v := range []string{"XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"} {
		t.Setenv(v, "")
	}
	paths, err := store.DefaultPaths(false)
	if err != nil {
		t.Fatal(err)
	}
	opts := fakeazure.Options{StateFile: os.Getenv(e2eState)}
	if os.Getenv(e2eListen) == "3" {
		opts.Listener = porttest.FromFile(t, 3)
	}
	f := newFake(t, opts)
	sealed := func() *store.SealedCache {
		c, err := store.NewSealedCache(store.SealedCacheOptions{Keyring: store.NewKeyring(0), Service: paths.KeyringService,
			Account: fakeazure.DemoTenantID, Dir: paths.CacheDir})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	switch os.Getenv(e2ePhase) {
	case "signin":
		s := newSession(t, f, fakeazure.DemoTenantID, sealed(), f.Browser())
		if _, err := s.SignIn(ctx, auth.SignInOptions{}); err != nil {
			t.Fatal(err)
		}
		if s.Storage() != "keyring" || s.Warning() != "" {
			t.Fatalf("storage %q warning %q", s.Storage(), s.Warning())
		}
	case "restart":
		s := newSession(t, f, fakeazure.DemoTenantID, sealed(), noBrowser(t))
		acct, ok := s.Account()
		if !ok || acct.Username != fakeazure.DemoUserUPN {
			t.Fatalf("account after restart: %+v, %v", acct, ok)
		}
		mustToken(t, s, ctx, graphScope(f))
		mustToken(t, s, ctx, armScope(f))
		// And once the access tokens have run out, the stored refresh token still works.
		later := newSession(t, f, fakeazure.DemoTenantID, expired{sealed()}, noBrowser(t))
		mustToken(t, later, ctx, armScope(f))
		if s.Storage() != "keyring" {
			t.Fatalf("storage %q", s.Storage())
		}
	case "nokeyring":
		s := newSession(t, f, fakeazure.DemoTenantID, sealed(), f.Browser())
		if _, err := s.SignIn(ctx, auth.SignInOptions{}); err != nil {
			t.Fatalf("sign-in must work without a keyring: %v", err)
		}
		mustToken(t, s, ctx, graphScope(f))
		mustToken(t, s, ctx, armScope(f))
		if s.Storage() != "memory" || s.Warning() != "not remembered: keyring unavailable" {
			t.Fatalf("storage %q warning %q", s.Storage(), s.Warning())
		}
	default:
		t.Fatal("no phase")
	}
}
