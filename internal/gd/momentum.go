package gd

var (
	_ Optimizer     = (*Momentum)(nil)
	_ LazyOptimizer = (*Momentum)(nil)
)

// Momentum is gradient descent with a velocity (Keras' SGD with momentum μ,
// default 0.9):
//
//	v ← μ v − η g;  θ ← θ + v
//
// and with Nesterov's look-ahead (Keras' nesterov=True):
//
//	v ← μ v − η g;  θ ← θ + μ v − η g
//
// A zero gradient still moves θ by the velocity, but k such steps have a
// closed form, the velocity's geometric series: v ← μᵏ v and
// θ ← θ + (μ + … + μᵏ) v (Nesterov: μ (μ + … + μᵏ) v). The lazy path
// applies it to a row when the row is next touched (CatchUp, before the
// gradient reads it), which is the dense rule within rounding.
type Momentum struct {
	rate
	chunks
	Momentum float64
	Nesterov bool
	velocity []float64

	clock            rowClock
	mu               powers
	dense, lazy, fix func(c *chunks, lo, hi int) // method values, made once
	driftRows        func(lo, hi int, k int64)
}

// Name implements Optimizer.
func (o *Momentum) Name() string {
	if o.Nesterov {
		return NameNesterov
	}
	return NameMomentum
}

func (o *Momentum) init() {
	if o.dense == nil { // once: a method value allocates
		o.dense, o.lazy, o.fix = o.chunk, o.lazyChunk, o.catchUpChunk
		o.driftRows = o.drift
	}
}

// Update implements Optimizer.
func (o *Momentum) Update(params, grad []float64) {
	o.init()
	if o.clock.done != nil {
		o.Flush(params)
	}
	o.rule = o.dense
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

// StartRows implements LazyOptimizer.
func (o *Momentum) StartRows(width int) {
	o.clock.start(len(o.velocity), width, o.steps)
	o.mu.reset(o.Momentum)
}

// Drifts implements LazyOptimizer: the velocity moves every weight.
func (*Momentum) Drifts() bool { return true }

// tick readies the clock and the table of μᵏ for the step being made.
func (o *Momentum) tick() {
	if o.clock.done == nil {
		o.StartRows(1)
	}
	o.clock.now = int64(o.steps)
	o.mu.grow(o.clock.now)
}

// UpdateSpans implements SparseOptimizer: each row of spans is caught up
// (if CatchUp has not done it already), then takes this step.
func (o *Momentum) UpdateSpans(params, grad []float64, spans [][2]int) {
	o.init()
	o.tick()
	o.rule = o.lazy
	o.runSpans(params, grad, spans, o.next(), 3)
}

func (o *Momentum) lazyChunk(c *chunks, lo, hi int) {
	o.clock.rows(lo, hi, o.clock.now+1, o.driftRows)
	o.chunk(c, lo, hi)
}

func (o *Momentum) catchUpChunk(_ *chunks, lo, hi int) {
	o.clock.rows(lo, hi, o.clock.now, o.driftRows)
}

// drift applies k steps of zero gradient to [lo, hi). For k = 1 it
// computes what the dense rule does, in the same order (μ·1 = μ).
func (o *Momentum) drift(lo, hi int, k int64) {
	pow, sum := o.mu.at(k)
	p, vel := o.params[lo:hi], o.velocity[lo:hi]
	p = p[:len(vel)]
	if o.Nesterov {
		mu := o.Momentum
		for i, v := range vel {
			p[i] += mu * (sum * v)
			vel[i] = pow * v
		}
		return
	}
	for i, v := range vel {
		p[i] += sum * v
		vel[i] = pow * v
	}
}

// CatchUp implements LazyOptimizer.
func (o *Momentum) CatchUp(params []float64, spans [][2]int) {
	o.init()
	o.tick()
	o.rule = o.fix
	o.runSpans(params, params, spans, 0, 3)
}

// Flush implements LazyOptimizer.
func (o *Momentum) Flush(params []float64) {
	o.init()
	o.tick()
	o.rule = o.fix
	o.runSpans(params, params, o.clock.flush, 0, 3)
}
