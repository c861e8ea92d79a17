package gd

import "math"

var (
	_ Optimizer     = (*LazyAdam)(nil)
	_ LazyOptimizer = (*LazyAdam)(nil)
)

// LazyAdam is TensorFlow Addons' LazyAdam (tfa.optimizers.LazyAdam) and
// PyTorch's SparseAdam, config name lazyadam: on sparse text a weight
// moves, and its moments decay, only in the steps that give it a
// gradient. It is Adam (see Adam) with the step's bias correction on the
// entries whose gradient is not +0, and nothing on the others, where
// Adam would decay the moments and move the weight by the decaying m.
// Left alone are the rows of the words a batch lacks and, in the rows of
// the words it has, the weights into the hidden units that none of their
// examples activated or that dropout dropped: a step costs Adagrad's.
//
// It is a different rule from Adam, not an approximation of it that
// converges to it: a rare word's weights move by a whole step each time
// the word is seen, where Adam's decaying moments would have spread part
// of that step over the steps in between. docs/recipes.md ("Lazy
// updates") measures the two against each other; on IMDB it scored
// higher than Adam. Like TensorFlow's, its dense path (Update, used where
// the objective's gradient is not sparse) is Adam's step; a config cannot
// ask for it with optimizer.lazy: false (that is adam).
type LazyAdam struct {
	rate
	chunks
	Beta1, Beta2, Epsilon float64
	m, v                  []float64

	dense, lazy func(c *chunks, lo, hi int) // method values, made once
}

// Name implements Optimizer.
func (*LazyAdam) Name() string { return NameLazyAdam }

// alpha returns the bias-corrected rate of the step being made, and
// counts it.
func (o *LazyAdam) alpha() float64 {
	return adamAlpha(o.next(), o.steps, o.Beta1, o.Beta2)
}

// Update implements Optimizer: Adam's dense step.
func (o *LazyAdam) Update(params, grad []float64) {
	if o.dense == nil {
		o.dense = o.chunk
	}
	o.rule = o.dense
	o.run(params, grad, o.alpha(), 10)
}

// chunk is Adam's step with c.lr holding the bias-corrected rate α.
func (o *LazyAdam) chunk(c *chunks, lo, hi int) {
	adamChunk(c.params[lo:hi], c.grad[lo:hi], o.m[lo:hi], o.v[lo:hi], o.Beta1, o.Beta2, o.Epsilon, c.lr)
}

// lazyChunk is chunk for the entries whose gradient is not +0.
func (o *LazyAdam) lazyChunk(c *chunks, lo, hi int) {
	b1, b2, eps, alpha := o.Beta1, o.Beta2, o.Epsilon, c.lr
	k1, k2 := 1-b1, 1-b2
	p, g, m, v := c.params[lo:hi], c.grad[lo:hi], o.m[lo:hi], o.v[lo:hi]
	p, m, v = p[:len(g)], m[:len(g)], v[:len(g)]
	if haveLazyAdam8 {
		// Eight entries at a time where the processor can, then four,
		// the same operations in the same order; the rest below.
		n := len(g) &^ 7
		lazyAdam8(p[:n], g[:n], m[:n], v[:n], b1, k1, b2, k2, alpha, eps)
		p, g, m, v = p[n:], g[n:], m[n:], v[n:]
	}
	if haveLazyAdam4 {
		n := len(g) &^ 3
		lazyAdam4(p[:n], g[:n], m[:n], v[:n], b1, k1, b2, k2, alpha, eps)
		p, g, m, v = p[n:], g[n:], m[n:], v[n:]
	}
	for i, gi := range g {
		if math.Float64bits(gi) == 0 {
			continue
		}
		mi := b1*m[i] + k1*gi
		vi := b2*v[i] + k2*gi*gi
		m[i], v[i] = mi, vi
		p[i] -= alpha * mi / (math.Sqrt(vi) + eps)
	}
}

// UpdateSpans implements SparseOptimizer: Adam's step, with this step's
// bias correction, on the entries of spans whose gradient is not +0;
// every other entry keeps its weight and its moments.
func (o *LazyAdam) UpdateSpans(params, grad []float64, spans [][2]int) {
	if o.lazy == nil {
		o.lazy = o.lazyChunk
	}
	o.rule = o.lazy
	o.runSpans(params, grad, spans, o.alpha(), 10)
}

// StartRows implements LazyOptimizer: LazyAdam keeps no counters.
func (*LazyAdam) StartRows(int) {}

// Drifts implements LazyOptimizer: LazyAdam leaves an untouched row where
// it is.
func (*LazyAdam) Drifts() bool { return false }

// CatchUp implements LazyOptimizer: there is nothing to catch up.
func (*LazyAdam) CatchUp([]float64, [][2]int) {}

// Flush implements LazyOptimizer: there is nothing to catch up.
func (*LazyAdam) Flush([]float64) {}
