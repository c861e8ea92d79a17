package dist

import (
	"fmt"
	"sync"
	"time"
)

// Local returns the Comms of n processes that are goroutines of this one,
// for tests: a run of several processes, its averages and its timeouts,
// without MPI. The sums add the processes' vectors in rank order, as one
// reduction would. A run that timed out or aborted stays broken: every
// later SumAll fails at once.
func Local(n int) []Comm {
	w := &localWorld{n: n, bufs: make([][]float64, n), done: make(chan struct{}), timeout: DefaultTimeout}
	out := make([]Comm, n)
	for r := range out {
		out[r] = &localComm{w: w, rank: r}
	}
	return out
}

// Aborted reports the status a Local run was aborted with, and whether
// it was.
func Aborted(c Comm) (int, bool) {
	lc, ok := c.(*localComm)
	if !ok {
		return 0, false
	}
	lc.w.mu.Lock()
	defer lc.w.mu.Unlock()
	return lc.w.abortCode, lc.w.aborted
}

type localWorld struct {
	mu        sync.Mutex
	n         int
	bufs      [][]float64 // of the round under way, nil: not arrived
	arrived   int
	done      chan struct{} // closed when the round under way completes
	timeout   time.Duration
	broken    error
	aborted   bool
	abortCode int
}

type localComm struct {
	w    *localWorld
	rank int
}

func (c *localComm) Rank() int { return c.rank }
func (c *localComm) Size() int { return c.w.n }

func (c *localComm) SetTimeout(d time.Duration) {
	c.w.mu.Lock()
	c.w.timeout = d
	c.w.mu.Unlock()
}

func (c *localComm) Abort(code int) {
	w := c.w
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.aborted {
		w.aborted, w.abortCode = true, code
		w.broken = fmt.Errorf("rank %d aborted the run", c.rank)
	}
}

func (c *localComm) Close() error { return nil }

func (c *localComm) SumAll(buf []float64, what string) error {
	w := c.w
	w.mu.Lock()
	if w.broken != nil {
		err := w.broken
		w.mu.Unlock()
		return err
	}
	for r, b := range w.bufs {
		if b != nil && len(b) != len(buf) {
			w.mu.Unlock()
			return fmt.Errorf("dist: rank %d sums %d numbers and rank %d %d", c.rank, len(buf), r, len(b))
		}
	}
	w.bufs[c.rank] = buf
	w.arrived++
	done, timeout := w.done, w.timeout
	if w.arrived == w.n {
		sum := make([]float64, len(buf))
		for _, b := range w.bufs {
			for i, v := range b {
				sum[i] += v
			}
		}
		for r, b := range w.bufs {
			copy(b, sum)
			w.bufs[r] = nil
		}
		w.arrived = 0
		close(w.done)
		w.done = make(chan struct{})
	}
	w.mu.Unlock()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-done:
		return nil
	case <-t.C:
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	select {
	case <-done: // completed as the timer fired
		return nil
	default:
	}
	missing := -1
	for r, b := range w.bufs {
		if b == nil {
			missing = r
			break
		}
	}
	err := &TimeoutError{Rank: missing, Size: w.n, What: what, Timeout: timeout}
	if w.broken == nil {
		w.broken = err
	}
	return err
}
