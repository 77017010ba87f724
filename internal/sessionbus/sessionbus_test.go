package sessionbus

import (
	"os"
	"path/filepath"
	"testing"
)

func TestKnownFollowsGodbusRules(t *testing.T) {
	dir := t.TempDir()
	saved := runtimeDir
	runtimeDir = dir
	t.Cleanup(func() { runtimeDir = saved })

	for _, tc := range []struct {
		name, addr string
		files      map[string]string
		want       bool
	}{
		{"an address", "unix:path=/tmp/x", nil, true},
		{"nothing at all", "", nil, false},
		{"autolaunch: asks for dbus-launch", "autolaunch:", nil, false},
		{"the runtime folder's socket", "", map[string]string{"bus": ""}, true},
		{"a dbus-session file with an address", "", map[string]string{"dbus-session": "DBUS_SESSION_BUS_ADDRESS=unix:abstract=/tmp/dbus-x\n"}, true},
		{"a dbus-session file without one", "", map[string]string{"dbus-session": "garbage"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("DBUS_SESSION_BUS_ADDRESS", tc.addr)
			for _, n := range []string{"bus", "dbus-session"} {
				_ = os.Remove(filepath.Join(dir, n))
			}
			for n, content := range tc.files {
				if err := os.WriteFile(filepath.Join(dir, n), []byte(content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if got := Known(); got != tc.want {
				t.Errorf("Known() = %v, want %v", got, tc.want)
			}
		})
	}
}
