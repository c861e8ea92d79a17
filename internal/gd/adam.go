package gd

import "math"

var _ Optimizer = (*Adam)(nil)

// Adam keeps running averages of the gradient and its square with bias
// correction, in Keras' form (β₁ = 0.9, β₂ = 0.999, ε = 1e-7; t counts
// steps from 1):
//
//	m ← β₁ m + (1−β₁) g;  v ← β₂ v + (1−β₂) g²
//	θ ← θ − η √(1−β₂ᵗ)/(1−β₁ᵗ) · m / (√v + ε)
type Adam struct {
	rate
	chunks
	Beta1, Beta2, Epsilon float64
	m, v                  []float64
}

// Name implements Optimizer.
func (*Adam) Name() string { return NameAdam }

// Update implements Optimizer.
func (o *Adam) Update(params, grad []float64) {
	t := float64(o.steps + 1)
	lr := o.next()
	b1, b2 := o.Beta1, o.Beta2
	if o.rule == nil {
		o.rule = o.chunk
	}
	o.run(params, grad, lr*math.Sqrt(1-math.Pow(b2, t))/(1-math.Pow(b1, t)), 10)
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
