package dist

import (
	"fmt"
	"time"
)

// Comm is one process's end of a run of Size processes.
type Comm interface {
	// Rank is this process's number, 0 to Size-1; rank 0 writes the
	// model.
	Rank() int
	// Size is the number of processes.
	Size() int
	// SumAll replaces buf on every process by the element-wise sum of
	// every process's buf, the same bits on all of them. Every process
	// must call it at the same point with a buf of the same length. A
	// process that does not arrive within the timeout makes it fail with
	// a *TimeoutError naming that process.
	SumAll(buf []float64, what string) error
	// SetTimeout sets how long SumAll waits for the other processes.
	SetTimeout(d time.Duration)
	// Abort ends every process of the run with status code, at once: what
	// a process that fails does, since the others would wait for it.
	Abort(code int)
	// Close ends this process's part in the run, once it is done.
	Close() error
}

// DefaultTimeout is how long a process may go unheard from (dead or
// stalled) before the run stops, when training.distributed.timeout does
// not say: within the 30 s a job of a dead rank should take to end, and
// far above the heartbeats' period (a second) and a loaded machine's
// scheduling delays. Under MPI a rank alive but late to an average may be
// ten times this late.
const DefaultTimeout = 20 * time.Second

// TimeoutError is a process that did not arrive at a collective in time.
type TimeoutError struct {
	Rank, Size int
	What       string // the collective, "the average of the weights"
	Timeout    time.Duration
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("rank %d of %d did not reach %s within %s (training.distributed.timeout): it died or stalled, so the run stops and writes no model", e.Rank, e.Size, e.What, e.Timeout)
}

// One is the world of one process: SumAll leaves buf as it is.
type One struct{}

var _ Comm = One{}

// Rank implements Comm.
func (One) Rank() int { return 0 }

// Size implements Comm.
func (One) Size() int { return 1 }

// SumAll implements Comm: the sum over one process is its own buf.
func (One) SumAll([]float64, string) error { return nil }

// SetTimeout implements Comm: one process waits for nobody.
func (One) SetTimeout(time.Duration) {}

// Abort implements Comm: the process is the run, and its caller exits.
func (One) Abort(int) {}

// Close implements Comm.
func (One) Close() error { return nil }

// Averager averages vectors over a Comm's processes (gd.Averager).
type Averager struct {
	Comm Comm
	What string // what is averaged, for a TimeoutError
}

// Average implements gd.Averager: each vector is summed over the
// processes and divided by their number.
func (a Averager) Average(vs ...[]float64) error {
	n := float64(a.Comm.Size())
	for _, v := range vs {
		if err := a.Comm.SumAll(v, a.What); err != nil {
			return err
		}
		for i := range v {
			v[i] /= n
		}
	}
	return nil
}
