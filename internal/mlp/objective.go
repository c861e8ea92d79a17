package mlp

import (
	"math/rand/v2"

	"github.com/dlc-dev/dlc/internal/sparse"
)

// Objective binds a network to its training rows and truths, giving the
// Params/Len/Gradient view that gradient descent optimises.
//
// Its gradients are sparse: a batch of sparse rows gives the first layer's
// kernel a gradient only in the rows of the features the batch contains.
// Gradient therefore clears only what its previous call wrote, and Support
// says what it wrote, so that an update rule for which a zero gradient
// changes nothing (plain SGD, Adagrad) can skip the rest: one example per
// update then costs O(its features), not O(parameters), with the very same
// result as the dense update.
type Objective struct {
	Net *Network
	X   *sparse.Matrix
	Y   Targets
	// Dropout draws the dropout masks; required when the network has
	// dropout, so that the same seed gives the same training.
	Dropout *rand.Rand
	// Rows, when set, are the rows of X (and Y) to train on, in order: a
	// network trained without some examples (to score them afterwards,
	// as calibration does) needs no copy of the others.
	Rows []int

	ws     Workspace
	spans  [][2]int
	mapped []int
}

// Params returns the network's parameters.
func (o *Objective) Params() []float64 { return o.Net.Params() }

// ParamsChanged implements gd.ParamsWatcher: see Network.ParamsChanged.
func (o *Objective) ParamsChanged(spans [][2]int) { o.Net.ParamsChanged(spans) }

// Len returns the number of training rows.
func (o *Objective) Len() int {
	if o.Rows != nil {
		return len(o.Rows)
	}
	return o.X.Rows
}

// Gradient computes the gradient of the mean loss over rows into grad. grad
// must be the same slice on every call (its untouched entries are left as
// the previous call left them, which is zero).
func (o *Objective) Gradient(rows []int, grad []float64) (float64, int) {
	o.ws.Dropout = o.Dropout
	if o.Rows != nil {
		o.mapped = o.mapped[:0]
		for _, r := range rows {
			o.mapped = append(o.mapped, o.Rows[r])
		}
		rows = o.mapped
	}
	return o.Net.gradient(o.X, o.Y, rows, grad, &o.ws, true)
}

// Support returns the index ranges [lo, hi) of the parameters that the last
// Gradient may have made non-zero; every other entry of grad is zero.
func (o *Objective) Support() [][2]int {
	n := o.Net
	o.spans = o.spans[:0]
	if o.ws.dirty {
		return append(o.spans, [2]int{0, len(n.params)})
	}
	first := n.Layers[0]
	for _, f := range o.ws.cols.feats {
		lo := int(f) * first.Out
		o.spans = append(o.spans, [2]int{lo, lo + first.Out})
	}
	return append(o.spans, [2]int{first.In * first.Out, len(n.params)})
}
