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
// result as the dense update. The other rules (gd.LazyOptimizer) catch a
// skipped row up when it is next touched; Touches tells them which rows a
// batch will read, before its gradient is computed.
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

	// Touches' own: the batch it is asked about, by feature, and its spans.
	touch   batchColumns
	touched [][2]int
	tmapped []int
}

// Params returns the network's parameters.
func (o *Objective) Params() []float64 { return o.Net.Params() }

// ParamsChanged implements gd.ParamsWatcher: see Network.ParamsChanged.
func (o *Objective) ParamsChanged(spans [][2]int) { o.Net.ParamsChanged(spans) }

// SpanChanged implements gd.SpanWatcher: ParamsChanged of the one span
// [lo, hi), safe to call for spans that do not overlap at the same time.
// An update tells it of each span right after writing it, so that the
// float32 copy is made while the weights are in the core's cache.
func (o *Objective) SpanChanged(lo, hi int) { o.Net.spanChanged(lo, hi) }

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
	o.mapped, rows = o.rowsOf(rows, o.mapped)
	return o.Net.gradient(o.X, o.Y, rows, grad, &o.ws, true)
}

// rowsOf returns the rows of X that the batch rows (indices into Rows, when
// set) stand for, using buf; the buffer comes back for reuse.
func (o *Objective) rowsOf(rows, buf []int) (newBuf, mapped []int) {
	if o.Rows == nil {
		return buf, rows
	}
	buf = buf[:0]
	for _, r := range rows {
		buf = append(buf, o.Rows[r])
	}
	return buf, buf
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

// KeepRows implements gd.RowKeeper: with keep, Gradient clears and
// writes the first-layer rows of its own batch's features (which Touches
// returns for the batch) and leaves the rows of earlier batches as they
// were; Support is unchanged. Turned off, the next Gradient clears all of
// grad, whose kept rows Support would not report.
func (o *Objective) KeepRows(keep bool) {
	if o.ws.keep && !keep {
		o.ws.dirty = true
	}
	o.ws.keep = keep
}

// RowWidth implements gd.LazyObjective: the first layer's kernel is one
// row of Out weights per input feature, and the spans of Support and
// Touches are whole rows of it (the parameters after the kernel start a
// row too).
func (o *Objective) RowWidth() int { return o.Net.Layers[0].Out }

// Touches implements gd.LazyObjective: the parameters a gradient of rows
// reads and writes are the first-layer rows of their features and every
// parameter after the first layer's kernel; with an L2 penalty, all of
// them.
func (o *Objective) Touches(rows []int) [][2]int {
	n := o.Net
	o.touched = o.touched[:0]
	if n.spec.L2 > 0 {
		return append(o.touched, [2]int{0, len(n.params)})
	}
	first := n.Layers[0]
	o.tmapped, rows = o.rowsOf(rows, o.tmapped)
	o.touch.collect(o.X, rows, first.In)
	for _, f := range o.touch.feats {
		lo := int(f) * first.Out
		o.touched = append(o.touched, [2]int{lo, lo + first.Out})
	}
	return append(o.touched, [2]int{first.In * first.Out, len(n.params)})
}
