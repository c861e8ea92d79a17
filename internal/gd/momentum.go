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
	if o.Nesterov {
		for i, gi := range g {
			v := mu*vel[i] - lr*gi
			vel[i] = v
			p[i] += mu*v - lr*gi
		}
		return
	}
	for i, gi := range g {
		v := mu*vel[i] - lr*gi
		vel[i] = v
		p[i] += v
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

// lazyChunk updates the rows of [lo, hi), each first caught up (when
// CatchUp has not done it already).
func (o *Momentum) lazyChunk(c *chunks, lo, hi int) {
	o.catchUp(c.params, lo, hi, o.clock.now+1)
	o.chunk(c, lo, hi)
}

func (o *Momentum) catchUpChunk(c *chunks, lo, hi int) {
	o.catchUp(c.params, lo, hi, o.clock.now)
}

// catchUp applies to each row of [lo, hi) the k steps of zero gradient it
// missed, v ← μᵏ v and θ ← θ + (μ + … + μᵏ) v (Nesterov: μ times that),
// and sets its count to to. For k = 1 it computes what the dense rule
// does, in the same order (μ·1 = μ).
func (o *Momentum) catchUp(params []float64, lo, hi int, to int64) {
	cl := &o.clock
	w, now, mu := cl.width, cl.now, o.Momentum
	r0, r1 := cl.rows(lo, hi)
	for r := r0; r < r1; r++ {
		if k := now - cl.done[r]; k > 0 {
			pow, sum := o.mu.at(k)
			end := min(hi, (r+1)*w)
			vel := o.velocity[r*w : end]
			p := params[r*w : end]
			p = p[:len(vel)]
			if o.Nesterov {
				for i, v := range vel {
					p[i] += mu * (sum * v)
					vel[i] = pow * v
				}
			} else {
				for i, v := range vel {
					p[i] += sum * v
					vel[i] = pow * v
				}
			}
		}
		cl.done[r] = to
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
