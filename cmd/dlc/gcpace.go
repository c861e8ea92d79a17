package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// The garbage collector's pace for the jobs a dlc process runs (train,
// evaluate, predict, vectorize): GOGC=100 while what the last collection
// found live is under smallHeap, GOGC=50 above it. Reading and vectorizing
// text makes garbage at a high rate, so the collector's share of the CPU
// falls as its headroom grows; at GOGC=100 the IMDB notebook's train +
// evaluate took 0.87× the CPU of GOGC=50, for a peak RSS 9 MB higher. A
// large job's live heap (the IMDB recipe's n-gram rows, R52's network
// and rows) is what sets its peak, and there the smaller headroom of
// GOGC=50 keeps the peak down by a quarter of the live heap or more: it
// keeps it. The choice is made again after every collection, so a job
// whose heap grows past smallHeap gets the lower pace from then on. GOGC,
// when set, decides alone; dlc serve sets its own (serve.go, tuneGC).
const (
	smallHeapPercent = 100
	largeHeapPercent = 50
	smallHeap        = 64 << 20
)

// gcPercentFor is the pace for a live heap of live bytes.
func gcPercentFor(live uint64) int {
	if live < smallHeap {
		return smallHeapPercent
	}
	return largeHeapPercent
}

// gcPacer holds whether the pace is still dlc's to set: paceGC turns it
// on, stopPacingGC off for good (the mutex keeps a collection's late
// choice from landing after dlc serve's own setting).
var gcPacer struct {
	mu sync.Mutex
	on bool
}

// paceGC starts pacing the collector unless GOGC is set.
func paceGC() {
	if os.Getenv("GOGC") != "" {
		return
	}
	gcPacer.mu.Lock()
	gcPacer.on = true
	gcPacer.mu.Unlock()
	debug.SetGCPercent(smallHeapPercent)
	s := &gcSentinel{percent: smallHeapPercent, live: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
	runtime.SetFinalizer(s, afterGC)
}

// stopPacingGC leaves the collector's settings as they are from now on.
func stopPacingGC() {
	gcPacer.mu.Lock()
	gcPacer.on = false
	gcPacer.mu.Unlock()
}

// gcSentinel is an object nothing refers to: its finalizer runs after each
// collection that finds it, and sets it again for the next.
type gcSentinel struct {
	percent int
	live    []metrics.Sample
}

// afterGC sets the pace for the heap the collection left.
func afterGC(s *gcSentinel) {
	gcPacer.mu.Lock()
	defer gcPacer.mu.Unlock()
	if !gcPacer.on {
		return
	}
	metrics.Read(s.live)
	if s.live[0].Value.Kind() == metrics.KindUint64 {
		if p := gcPercentFor(s.live[0].Value.Uint64()); p != s.percent {
			debug.SetGCPercent(p)
			s.percent = p
		}
	}
	runtime.SetFinalizer(s, afterGC)
}
