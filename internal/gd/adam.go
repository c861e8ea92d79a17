package gd

import "math"

var (
	_ Optimizer     = (*Adam)(nil)
	_ LazyOptimizer = (*Adam)(nil)
)

// Adam keeps running averages of the gradient and its square with bias
// correction, in Keras' form (β₁ = 0.9, β₂ = 0.999, ε = 1e-7; t counts
// steps from 1):
//
//	m ← β₁ m + (1−β₁) g;  v ← β₂ v + (1−β₂) g²
//	θ ← θ − η √(1−β₂ᵗ)/(1−β₁ᵗ) · m / (√v + ε)
//
// Its lazy path (UpdateSpans) is an approximation, the one TensorFlow's
// LazyAdam and PyTorch's SparseAdam make: see UpdateSpans.
type Adam struct {
	rate
	chunks
	Beta1, Beta2, Epsilon float64
	m, v                  []float64

	dense, lazy func(c *chunks, lo, hi int) // method values, made once
}

// Name implements Optimizer.
func (*Adam) Name() string { return NameAdam }

// alpha returns the bias-corrected rate of the step being made, and
// counts it.
func (o *Adam) alpha() float64 {
	t := float64(o.steps + 1)
	lr := o.next()
	return lr * math.Sqrt(1-math.Pow(o.Beta2, t)) / (1 - math.Pow(o.Beta1, t))
}

// Update implements Optimizer.
func (o *Adam) Update(params, grad []float64) {
	if o.dense == nil {
		o.dense = o.chunk
	}
	o.rule = o.dense
	o.run(params, grad, o.alpha(), 10)
}

// chunk is Adam's step with c.lr holding the bias-corrected rate α.
func (o *Adam) chunk(c *chunks, lo, hi int) {
	b1, b2, eps, alpha := o.Beta1, o.Beta2, o.Epsilon, c.lr
	k1, k2 := 1-b1, 1-b2
	p, g, m, v := c.params[lo:hi], c.grad[lo:hi], o.m[lo:hi], o.v[lo:hi]
	p, m, v = p[:len(g)], m[:len(g)], v[:len(g)]
	for i, gi := range g {
		mi := b1*m[i] + k1*gi
		vi := b2*v[i] + k2*gi*gi
		m[i], v[i] = mi, vi
		p[i] -= alpha * mi / (math.Sqrt(vi) + eps)
	}
}

// lazyChunk is chunk for the entries whose gradient is not +0.
func (o *Adam) lazyChunk(c *chunks, lo, hi int) {
	b1, b2, eps, alpha := o.Beta1, o.Beta2, o.Epsilon, c.lr
	k1, k2 := 1-b1, 1-b2
	p, g, m, v := c.params[lo:hi], c.grad[lo:hi], o.m[lo:hi], o.v[lo:hi]
	p, m, v = p[:len(g)], m[:len(g)], v[:len(g)]
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

// UpdateSpans implements SparseOptimizer. It is Adam, with this step's
// bias correction, on the entries of spans whose gradient is not +0; every
// other entry keeps its weight and its moments as they are, where the
// dense rule would decay the moments and move the weight by the decaying
// m. Left alone are the rows of the words a batch lacks and, in the rows
// of the words it has, the weights into the hidden units that none of
// their examples activated or that dropout dropped.
//
// This is an approximation, the one TensorFlow's LazyAdam and PyTorch's
// SparseAdam make for the rows a batch lacks, carried to the entries
// inside the rows it has (where most of the gradient is +0, and where the
// square root and the division of each update cost most of Adam's time):
// a weight moves only in the steps that give it a gradient. No closed form
// catches the skipped steps up: step j moves θ by α β₁ʲ m / (√(β₂ʲ v) + ε),
// whose sum over j has none. What it costs in accuracy against the dense
// rule is measured in docs/recipes.md ("Lazy updates");
// optimizer.lazy: false gives the dense rule.
func (o *Adam) UpdateSpans(params, grad []float64, spans [][2]int) {
	if o.lazy == nil {
		o.lazy = o.lazyChunk
	}
	o.rule = o.lazy
	o.runSpans(params, grad, spans, o.alpha(), 10)
}

// StartRows implements LazyOptimizer: lazy Adam keeps no counters.
func (*Adam) StartRows(int) {}

// Drifts implements LazyOptimizer: lazy Adam leaves an untouched row where
// it is.
func (*Adam) Drifts() bool { return false }

// CatchUp implements LazyOptimizer: there is nothing to catch up.
func (*Adam) CatchUp([]float64, [][2]int) {}

// Flush implements LazyOptimizer: there is nothing to catch up.
func (*Adam) Flush([]float64) {}
