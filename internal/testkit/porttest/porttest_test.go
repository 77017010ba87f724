package porttest

import (
	"net"
	"runtime"
	"testing"
)

func TestDupServesInTurnAndThePortStaysTaken(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("sockets as files: Linux")
	}
	l := Listen(t)
	for i := 0; i < 2; i++ {
		d := Dup(t, l)
		if d.Addr().String() != l.Addr().String() {
			t.Fatalf("dup serves %s, the socket is %s", d.Addr(), l.Addr())
		}
		go func() {
			if c, err := d.Accept(); err == nil {
				c.Close()
			}
		}()
		c, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
		d.Close()
		if squat, err := net.Listen("tcp", l.Addr().String()); err == nil {
			squat.Close()
			t.Fatalf("after server %d closed, %s could be bound again", i, l.Addr())
		}
	}
}

func TestClosedPortRefusesAndCannotBeTaken(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("a bound socket that never listens: Linux")
	}
	addr := ClosedPort(t)
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Fatalf("%s accepted a connection", addr)
	}
	if squat, err := net.Listen("tcp", addr); err == nil {
		squat.Close()
		t.Fatalf("%s could be bound by another", addr)
	}
}
