//go:build !linux

package porttest

import (
	"net"
	"testing"
)

// ClosedPort is "127.0.0.1:port" of a port nobody listens on. Elsewhere than Linux it is only
// free right now: a port picked by the kernel and closed again.
func ClosedPort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
