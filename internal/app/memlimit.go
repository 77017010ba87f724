package app

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// The tray's memory: it runs all day, its live data is small (about 5 MiB at 440 roles), and
// a refresh makes a burst of garbage (every page of every listing, decoded). With the Go
// runtime's default pacing the heap grows to twice the live data before a collection and the
// pages stay with the process after it; a soft memory limit makes the collector run sooner and
// hand them back. The limit follows the live data, so a big tenant never makes the collector
// run constantly.
const (
	memoryLimitFloor = 16 << 20 // the limit while the live heap is under half of it
	memoryLimitRatio = 2        // else this many times the live heap
)

// softMemoryLimit sets the tray's soft memory limit (runtime/debug.SetMemoryLimit) and keeps
// it at memoryLimitRatio times the live heap, at least memoryLimitFloor, re-read after every
// collection (a finalizer armed anew each cycle: nothing runs while the tray idles and
// allocates nothing). A GOMEMLIMIT the user set wins.
func softMemoryLimit() {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	tuneMemoryLimit()
	armMemoryTuner()
}

// gcSentinel is garbage from the start; its finalizer runs after the collection that finds it.
type gcSentinel struct{ _ [64]byte }

func armMemoryTuner() {
	s := &gcSentinel{}
	runtime.SetFinalizer(s, func(*gcSentinel) {
		tuneMemoryLimit()
		armMemoryTuner()
	})
}

func tuneMemoryLimit() {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	limit := uint64(memoryLimitFloor)
	if sample[0].Value.Kind() == metrics.KindUint64 {
		limit = max(limit, memoryLimitRatio*sample[0].Value.Uint64())
	}
	debug.SetMemoryLimit(int64(limit))
}
