package main

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
)

func TestGCPercentFor(t *testing.T) {
	for _, c := range []struct {
		live uint64
		want int
	}{{0, 100}, {smallHeap - 1, 100}, {smallHeap, 50}, {4 << 30, 50}} {
		if got := gcPercentFor(c.live); got != c.want {
			t.Errorf("gcPercentFor(%d) = %d, want %d", c.live, got, c.want)
		}
	}
}

// gcHeld keeps memory live across collections.
var gcHeld []byte

// gogc is the collector's GOGC setting now.
func gogc() int64 {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64())
}

// waitGOGC collects until the pacer has set GOGC to want (its finalizer
// runs after a collection, on a goroutine of its own), at most 200 times.
func waitGOGC(t *testing.T, want int64) {
	t.Helper()
	for range 200 {
		runtime.GC()
		runtime.Gosched()
		if gogc() == want {
			return
		}
	}
	t.Fatalf("GOGC is %d, want %d", gogc(), want)
}

// TestGCPaceFollowsLiveHeap: the pace drops to 50 once the live heap is
// past smallHeap, comes back to 100 when it shrinks, and stops changing
// once dlc serve has taken the collector's settings over.
func TestGCPaceFollowsLiveHeap(t *testing.T) {
	t.Setenv("GOGC", "")
	before := debug.SetGCPercent(100)
	defer func() {
		stopPacingGC()
		debug.SetGCPercent(before)
	}()
	paceGC()
	if got := gogc(); got != 100 {
		t.Fatalf("GOGC after paceGC = %d, want 100", got)
	}
	gcHeld = make([]byte, smallHeap+(16<<20))
	waitGOGC(t, 50)
	gcHeld = nil
	waitGOGC(t, 100)
	stopPacingGC()
	debug.SetGCPercent(400)
	gcHeld = make([]byte, smallHeap+(16<<20))
	for range 5 {
		runtime.GC()
		runtime.Gosched()
	}
	gcHeld = nil
	if got := gogc(); got != 400 {
		t.Errorf("GOGC after stopPacingGC = %d, want 400 as set", got)
	}
}
