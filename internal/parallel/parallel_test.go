package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
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
