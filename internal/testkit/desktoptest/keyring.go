package desktoptest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Keyring is a running gnome-keyring-daemon serving the Secret Service on a private bus.
type Keyring struct {
	// DataDir is its XDG_DATA_HOME: the keyring file is DataDir/keyrings/login.keyring.
	// Tests can search it (and HomeDir) to prove nothing secret was written in plaintext.
	DataDir string
	// HomeDir is the HOME it runs with.
	HomeDir string
	// Cmd is the daemon's process.
	Cmd *exec.Cmd
}

// keyringPassword unlocks the test keyring; it protects nothing.
const keyringPassword = "desktoptest"

// StartKeyring starts gnome-keyring-daemon (--foreground --unlock --components=secrets)
// on the bus at busAddr, in temporary XDG directories, and waits until
// org.freedesktop.secrets has an owner. Code in a child process started with
// BusEnv(busAddr) then reaches it through go-keyring. It stops at cleanup (and with its bus).
func StartKeyring(t testing.TB, busAddr string) *Keyring {
	t.Helper()
	RequireTools(t, "gnome-keyring-daemon")
	root := t.TempDir()
	k := &Keyring{DataDir: filepath.Join(root, "data"), HomeDir: filepath.Join(root, "home")}
	run := filepath.Join(root, "run")
	for _, d := range []string{k.DataDir, k.HomeDir, run} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatalf("desktoptest: %v", err)
		}
	}
	cmd := exec.Command("gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets")
	env := BusEnv(busAddr)
	env = SetEnv(env, "XDG_DATA_HOME", k.DataDir)
	env = SetEnv(env, "XDG_RUNTIME_DIR", run)
	env = SetEnv(env, "HOME", k.HomeDir)
	cmd.Env = env
	// --unlock reads the password from stdin: it creates and unlocks the "login" collection.
	cmd.Stdin = strings.NewReader(keyringPassword)
	var out SyncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	p, err := startProc(cmd)
	if err != nil {
		t.Fatalf("desktoptest: start gnome-keyring-daemon: %v", err)
	}
	k.Cmd = cmd
	t.Cleanup(func() { p.stop(5 * time.Second) })

	if err := waitForOwner(Connect(t, busAddr), "org.freedesktop.secrets", DefaultTimeout, p.done); err != nil {
		t.Fatalf("desktoptest: gnome-keyring-daemon did not take org.freedesktop.secrets: %v: %s", err, out.String())
	}
	return k
}
