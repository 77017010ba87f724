// Package sessionbus tells whether a D-Bus session bus is there to use, without starting one.
//
// godbus (under go-keyring and fyne.io/systray) connects to the address in
// DBUS_SESSION_BUS_ADDRESS, or to one it finds in /run/user/UID, and when it knows neither it
// runs dbus-launch, which starts a dbus-daemon that outlives the process: one more daemon per
// command in an SSH session or a bare window manager. pimtray asks Known first and goes
// without the bus when there is none.
package sessionbus

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// runtimeDir is where godbus looks for a session bus (it does not read XDG_RUNTIME_DIR).
var runtimeDir = filepath.Join("/run/user", strconv.Itoa(os.Getuid()))

// Known reports whether godbus would find a session bus without starting one, by godbus's own
// rules (dbus/v5 getSessionBusAddress): an address in DBUS_SESSION_BUS_ADDRESS other than
// "autolaunch:" (which asks for dbus-launch); else the socket /run/user/UID/bus; else the file
// /run/user/UID/dbus-session holding DBUS_SESSION_BUS_ADDRESS=....
func Known() bool {
	if a := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" && a != "autolaunch:" {
		return true
	}
	if _, err := os.Stat(filepath.Join(runtimeDir, "bus")); !os.IsNotExist(err) {
		return true
	}
	b, err := os.ReadFile(filepath.Join(runtimeDir, "dbus-session"))
	return err == nil && strings.HasPrefix(string(b), "DBUS_SESSION_BUS_ADDRESS=")
}
