package app

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

// The limit follows the live heap: at least the floor, twice the live data when that is more,
// re-read after a collection.
func TestSoftMemoryLimitFollowsTheLiveHeap(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "")
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
	softMemoryLimit()
	if got := debug.SetMemoryLimit(-1); got != memoryLimitFloor {
		t.Fatalf("limit with a small heap = %d, want the floor %d", got, memoryLimitFloor)
	}
	live := make([][]byte, 0, 64)
	for range 64 {
		live = append(live, make([]byte, 1<<20)) // 64 MiB kept
	}
	deadline := time.Now().Add(10 * time.Second)
	for debug.SetMemoryLimit(-1) < 2*64<<20 {
		if time.Now().After(deadline) {
			t.Fatalf("limit %d with 64 MiB live, want at least twice that", debug.SetMemoryLimit(-1))
		}
		runtime.GC() // the tuner runs after a collection
		time.Sleep(10 * time.Millisecond)
	}
	runtime.KeepAlive(live)
}

// A GOMEMLIMIT the user set is left alone.
func TestSoftMemoryLimitLeavesGOMEMLIMIT(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "1GiB")
	before := debug.SetMemoryLimit(-1)
	softMemoryLimit()
	if got := debug.SetMemoryLimit(-1); got != before {
		t.Fatalf("limit changed to %d with GOMEMLIMIT set", got)
	}
}
