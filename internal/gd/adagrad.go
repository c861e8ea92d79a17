package gd

import "math"

var (
	_ Optimizer       = (*Adagrad)(nil)
	_ SparseOptimizer = (*Adagrad)(nil)
)

// Adagrad divides each step by the root of the sum of all squared gradients
// so far, as Keras does (accumulator starting at 0.1, ε = 1e-7):
//
//	G ← G + g²;  θ ← θ − η g / (√G + ε)
type Adagrad struct {
	rate
	chunks
	Epsilon float64
	acc     []float64
}

// Name implements Optimizer.
func (*Adagrad) Name() string { return NameAdagrad }

// Update implements Optimizer.
func (o *Adagrad) Update(params, grad []float64) {
	if o.rule == nil { // once: a method value allocates
		o.rule = o.chunk
	}
	o.run(params, grad, o.next(), 8)
}

func (o *Adagrad) chunk(c *chunks, lo, hi int) {
	lr, eps := c.lr, o.Epsilon
	p, g, acc := c.params[lo:hi], c.grad[lo:hi], o.acc[lo:hi]
	p, acc = p[:len(g)], acc[:len(g)]
	if haveAdagrad8 {
		// Eight entries at a time where the processor can (the square
		// root and the division are most of the update of a first layer
		// over wide sparse rows: R52's character n-grams), then four,
		// the same operations in the same order; the rest below.
		n := len(g) &^ 7
		adagrad8(p[:n], g[:n], acc[:n], lr, eps)
		p, g, acc = p[n:], g[n:], acc[n:]
	}
	if haveAdagrad4 {
		n := len(g) &^ 3
		adagrad4(p[:n], g[:n], acc[:n], lr, eps)
		p, g, acc = p[n:], g[n:], acc[n:]
	}
	for i, gi := range g {
		if math.Float64bits(gi) == 0 { // +0 changes nothing (see RMSprop)
			continue
		}
		a := acc[i] + gi*gi
		acc[i] = a
		p[i] -= lr * gi / (math.Sqrt(a) + eps)
	}
}

// UpdateSpans implements SparseOptimizer: a zero gradient adds nothing to
// G and moves nothing.
func (o *Adagrad) UpdateSpans(params, grad []float64, spans [][2]int) {
	if o.rule == nil { // once: a method value allocates
		o.rule = o.chunk
	}
	o.runSpans(params, grad, spans, o.next(), 8)
}
