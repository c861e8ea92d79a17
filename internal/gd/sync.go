package gd

import (
	"context"
	"fmt"
	"slices"
)

// Averager averages vectors over the processes of a data-parallel run
// (internal/dist implements it over MPI, or in one process for tests).
type Averager interface {
	// Average replaces every element of each vector by its mean over the
	// processes, the same on every process. Every process must call it at
	// the same point with vectors of the same lengths; one that does not
	// arrive in time makes it fail, naming that process.
	Average(vs ...[]float64) error
}

// Sync makes Train one of several processes training one network on
// shares of the data, as Vowpal Wabbit's cluster mode does: each trains
// on its own examples, and they average their parameters every Every
// updates of an epoch and at its end (model averaging, also called local
// SGD). Exchanging weights every few hundred batches rather than
// gradients every batch is what makes it pay: an average of a large
// first layer costs tens of batches' compute.
//
// Interruptions are agreed at the averages: a process whose context is
// cancelled says so in the next one and every process stops there, with
// the same parameters, so the one that writes the model writes what all
// of them hold.
type Sync struct {
	Averager Averager
	// Every is the updates of an epoch between two averages; 0 averages
	// at the ends of epochs only.
	Every int
	// Examples is the fewest training examples any process has: the
	// averages within an epoch are those every process reaches (the
	// processes' shares may differ by an example, and so their updates
	// per epoch by one).
	Examples int
	// Optimizer averages the update rule's running state too (Adagrad's
	// sums, RMSprop's and Adam's averages, momentum's velocity): the
	// processes then go on as one rule that saw every process's
	// gradients. Without it each keeps the state of its own examples.
	Optimizer bool
}

// ErrPeerStopped is what Train returns on a process whose context was not
// cancelled when another process of the run was interrupted: it stopped
// with them. It is a context.Canceled, so callers treat it as an
// interruption.
var ErrPeerStopped = fmt.Errorf("another process of the run was interrupted: %w", context.Canceled)

// syncer is a Sync in the training loop.
type syncer struct {
	Sync
	steps int        // updates per epoch every process makes
	opt   Optimizer  // whose state Optimizer averages
	ctl   [4]float64 // the epoch's sums and the stop flag
}

// newSyncer readies s for a run whose epochs update in batches of bs.
func newSyncer(s *Sync, c Config, opt Optimizer) *syncer {
	if s == nil {
		return nil
	}
	n := max(1, s.Examples)
	bs := c.BatchRows(n)
	return &syncer{Sync: *s, steps: (n + bs - 1) / bs, opt: opt}
}

// slots returns the update rule's running state, array by array in the
// order of their names, so that every process averages them alike.
func (y *syncer) slots() [][]float64 {
	r, ok := rule(y.opt).(stateful)
	if !ok || !y.Optimizer {
		return nil
	}
	st := OptimizerState{Slots: map[string][]float64{}}
	r.saveState(&st) // the rule's own arrays, not copies
	names := make([]string, 0, len(st.Slots))
	for name := range st.Slots {
		names = append(names, name)
	}
	slices.Sort(names)
	out := make([][]float64, len(names))
	for i, name := range names {
		out[i] = st.Slots[name]
	}
	return out
}

// due says whether an average follows the k-th update of an epoch (the
// one at the epoch's end is not counted here).
func (y *syncer) due(k int) bool {
	return y != nil && y.Every > 0 && k%y.Every == 0 && k < y.steps
}

// average averages params (and the rule's state) with the other
// processes, and the epoch's sums when sums is not nil (loss, correct,
// examples: their means, whose ratios are the whole run's); it reports
// whether any process was interrupted.
func (y *syncer) average(ctx context.Context, params []float64, sums *[3]float64) (bool, error) {
	y.ctl = [4]float64{}
	if sums != nil {
		copy(y.ctl[:3], sums[:])
	}
	if ctx.Err() != nil {
		y.ctl[3] = 1
	}
	vs := append([][]float64{params}, y.slots()...)
	vs = append(vs, y.ctl[:])
	if err := y.Averager.Average(vs...); err != nil {
		return false, err
	}
	if sums != nil {
		copy(sums[:], y.ctl[:3])
	}
	return y.ctl[3] > 0, nil
}
