package gd

var (
	_ Optimizer       = (*SGD)(nil)
	_ SparseOptimizer = (*SGD)(nil)
)

// SGD is plain gradient descent, the lecture's update:
//
//	θ ← θ − η g
type SGD struct {
	rate
	chunks
}

// Name implements Optimizer.
func (*SGD) Name() string { return NameSGD }

// Update implements Optimizer.
func (o *SGD) Update(params, grad []float64) {
	o.rule = sgdChunk
	o.run(params, grad, o.next(), 1)
}

func sgdChunk(c *chunks, lo, hi int) {
	lr := c.lr
	p, g := c.params[lo:hi], c.grad[lo:hi]
	p = p[:len(g)]
	for i, gi := range g {
		p[i] -= lr * gi
	}
}

// UpdateSpans implements SparseOptimizer: θ − η·0 = θ, so the entries
// outside spans would not move.
func (o *SGD) UpdateSpans(params, grad []float64, spans [][2]int) {
	o.rule = sgdChunk
	o.runSpans(params, grad, spans, o.next(), 1)
}
