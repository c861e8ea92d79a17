package gd

import "math"

var _ Optimizer = (*RMSprop)(nil)

// RMSprop divides each step by a running root mean square of the gradient,
// as Keras does (ρ = 0.9, ε = 1e-7 by default):
//
//	s ← ρ s + (1−ρ) g²;  θ ← θ − η g / (√s + ε)
type RMSprop struct {
	rate
	chunks
	Rho, Epsilon float64
	avg          []float64
}

// Name implements Optimizer.
func (*RMSprop) Name() string { return NameRMSprop }

// Update implements Optimizer.
func (o *RMSprop) Update(params, grad []float64) {
	if o.rule == nil { // once: a method value allocates
		o.rule = o.chunk
	}
	o.run(params, grad, o.next(), 8) // a square root and a division
}

func (o *RMSprop) chunk(c *chunks, lo, hi int) {
	rho, keep, lr, eps := o.Rho, 1-o.Rho, c.lr, o.Epsilon
	p, g, avg := c.params[lo:hi], c.grad[lo:hi], o.avg[lo:hi]
	p, avg = p[:len(g)], avg[:len(g)]
	for i, gi := range g {
		if math.Float64bits(gi) == 0 {
			// A gradient of +0 (the weights of the pixels or words a
			// batch lacks) leaves the parameter as it is and only decays
			// the average, exactly as the full formula would, without
			// the square root and the division that make this loop slow.
			avg[i] *= rho
			continue
		}
		v := rho*avg[i] + keep*gi*gi
		avg[i] = v
		p[i] -= lr * gi / (math.Sqrt(v) + eps)
	}
}
