package gd

var _ Optimizer = (*Momentum)(nil)

// Momentum is gradient descent with a velocity (Keras' SGD with momentum μ,
// default 0.9):
//
//	v ← μ v − η g;  θ ← θ + v
//
// and with Nesterov's look-ahead (Keras' nesterov=True):
//
//	v ← μ v − η g;  θ ← θ + μ v − η g
type Momentum struct {
	rate
	chunks
	Momentum float64
	Nesterov bool
	velocity []float64
}

// Name implements Optimizer.
func (o *Momentum) Name() string {
	if o.Nesterov {
		return NameNesterov
	}
	return NameMomentum
}

// Update implements Optimizer.
func (o *Momentum) Update(params, grad []float64) {
	if o.rule == nil { // once: a method value allocates
		o.rule = o.chunk
	}
	o.run(params, grad, o.next(), 3)
}

func (o *Momentum) chunk(c *chunks, lo, hi int) {
	lr, mu := c.lr, o.Momentum
	p, g, vel := c.params[lo:hi], c.grad[lo:hi], o.velocity[lo:hi]
	p, vel = p[:len(g)], vel[:len(g)]
	for i, gi := range g {
		v := mu*vel[i] - lr*gi
		vel[i] = v
		if o.Nesterov {
			p[i] += mu*v - lr*gi
		} else {
			p[i] += v
		}
	}
}
