// Package porttest gives tests loopback addresses without the pick-then-bind race: a test that
// asks the kernel for a free port, closes it and binds it again later (in another process, or a
// second server) may find that another test suite took it in between ("bind: address already
// in use"). Here the socket stays open for the whole test: servers that must serve one address
// in turn get a duplicate of one listening socket (Dup, File), and a port that must refuse
// connections stays bound, never listening (ClosedPort).
package porttest

import (
	"net"
	"os"
	"testing"
)

// Listen is a listener on 127.0.0.1 with a port the kernel picked, open until the test ends.
func Listen(t testing.TB) *net.TCPListener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l.(*net.TCPListener)
}

// File is a duplicate of l's socket, to hand to a child process (exec.Cmd.ExtraFiles); the
// child makes it a listener with FromFile. It is closed when the test ends.
func File(t testing.TB, l *net.TCPListener) *os.File {
	t.Helper()
	f, err := l.File()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return f
}

// Dup is a second listener on l's socket: closing it (a server's Close) leaves the port bound
// by l, so the next server on the same address never has to bind it again.
func Dup(t testing.TB, l *net.TCPListener) net.Listener {
	t.Helper()
	f, err := l.File()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close() // FileListener holds its own duplicate
	d, err := net.FileListener(f)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

// FromFile is the listener on the socket a parent passed as extra file fd (3 is the first of
// exec.Cmd.ExtraFiles).
func FromFile(t testing.TB, fd uintptr) net.Listener {
	t.Helper()
	f := os.NewFile(fd, "listener")
	if f == nil {
		t.Fatalf("no file %d from the parent", fd)
	}
	defer f.Close()
	l, err := net.FileListener(f)
	if err != nil {
		t.Fatalf("file %d from the parent is no listener: %v", fd, err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}
