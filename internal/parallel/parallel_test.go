package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type counts struct{ done []atomic.Int32 }

func (c *counts) Do(t int) { c.done[t].Add(1) }

// TestRunDoesEveryTaskOnce, also with several Groups running at once (the
// helpers are shared) and with more cores asked for than there are.
func TestRunDoesEveryTaskOnce(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	var wg sync.WaitGroup
	for caller := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var g Group
			for round, n := range []int{0, 1, 2, 7, 100, 1000} {
				c := &counts{done: make([]atomic.Int32, n)}
				g.Run(n, MinWork*(round%2), c) // alternately inline and shared
				for i := range c.done {
					if got := c.done[i].Load(); got != 1 {
						t.Errorf("caller %d, %d tasks: task %d ran %d times", caller, n, i, got)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}

type nothing struct{}

func (nothing) Do(int) {}

// TestRunAllocatesNothing: Run is called in every training step.
func TestRunAllocatesNothing(t *testing.T) {
	var g Group
	var task nothing
	if n := testing.AllocsPerRun(100, func() { g.Run(16, 1<<20, task) }); n != 0 {
		t.Errorf("Run allocates %v times per call", n)
	}
}

// overlap records the most tasks of a list running at once.
type overlap struct {
	now, most atomic.Int32
	wait      chan struct{}
}

func (o *overlap) Do(int) {
	n := o.now.Add(1)
	for m := o.most.Load(); n > m && !o.most.CompareAndSwap(m, n); m = o.most.Load() {
	}
	select { // hold the task a while, so that a helper would overlap it
	case <-o.wait:
	case <-time.After(2 * time.Millisecond):
	}
	o.now.Add(-1)
}

// TestSideBySide: while a SideBySide is not released, Workers says 1 and
// Run does the tasks one at a time on its caller; released (twice: the
// second does nothing), Workers counts the cores again.
func TestSideBySide(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	var g Group
	release := SideBySide()
	if w := g.Workers(MinWork); w != 1 {
		t.Fatalf("Workers says %d side by side, want 1", w)
	}
	o := &overlap{wait: make(chan struct{})}
	g.Run(40, MinWork, o)
	if m := o.most.Load(); m != 1 {
		t.Fatalf("%d tasks ran at once side by side, want 1", m)
	}
	release()
	release()
	if w := g.Workers(MinWork); w != 4 {
		t.Fatalf("Workers says %d after the release, want 4", w)
	}
	// (Whether a helper then joins depends on the machine's load: not
	// asserted.)
}
