//go:build linux || freebsd || netbsd || openbsd || dragonfly

package store

import (
	"fmt"

	"github.com/pimtray/pimtray/internal/sessionbus"
)

// keyringReachable: go-keyring reaches the Secret Service over the D-Bus session bus, and with
// no bus known godbus would start one with dbus-launch that outlives pimtray. No bus: no keyring.
func keyringReachable() error {
	if !sessionbus.Known() {
		return fmt.Errorf("%w: no D-Bus session bus", ErrKeyringUnavailable)
	}
	return nil
}
