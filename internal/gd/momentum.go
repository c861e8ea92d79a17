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
//
// The lazy path also puts off what a pass over a row would do only to be
// read by the next: a step's move of θ by the new velocity waits for the
// row's next catch-up (one factor more in the series, 1 + μ + … + μᵏ), and
// a catch-up's decay of the velocity waits for the row's next step, which
// writes the velocity anyway (v ← μ·(μᵏ v) − η g). A touched row then costs
// one pass that writes θ (the catch-up) and one that writes v (the step),
// where doing each at once cost a pass writing both and another writing
// both: on the R52 and IMDB recipes most of a batch's rows have missed
// steps, and the update rule's time is memory traffic.
type Momentum struct {
	rate
	chunks
	Momentum float64
	Nesterov bool
	velocity []float64

	clock rowClock
	// behind holds, per row of the lazy path, what its catch-up and its
	// step put off (see Momentum): decay[r] is the zero-gradient steps by
	// which its stored velocity is to be decayed still (μ^decay), and
	// lag[r] says its θ has yet to move by that velocity once (the
	// velocity of its last step).
	decay            []int64
	lag              []bool
	mu               powers
	dense, lazy, fix func(c *chunks, lo, hi int) // method values, made once
	flushRule        func(c *chunks, lo, hi int)
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
		o.dense, o.lazy, o.fix, o.flushRule = o.chunk, o.lazyChunk, o.catchUpChunk, o.flushChunk
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
	rows := len(o.clock.done)
	o.decay = make([]int64, rows)
	o.lag = make([]bool, rows)
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

// lazyChunk makes the step of the rows of [lo, hi), each first caught up
// (when CatchUp has not done it already): the velocity takes its put-off
// decay and the gradient, v ← μ·(μᵈ v) − η g; θ is left for the row's
// next catch-up to move (Nesterov: θ ← θ − η g now, the μ v later).
func (o *Momentum) lazyChunk(c *chunks, lo, hi int) {
	cl := &o.clock
	w, now, mu, lr := cl.width, cl.now, o.Momentum, c.lr
	o.catchUp(c.params, lo, hi)
	r0, r1 := cl.rows(lo, hi)
	for r := r0; r < r1; r++ {
		end := min(hi, (r+1)*w)
		vel := o.velocity[r*w : end]
		g := c.grad[r*w : end]
		g = g[:len(vel)]
		if d := o.decay[r]; d > 0 {
			pow, _ := o.mu.at(d)
			for i, gi := range g {
				vel[i] = mu*(pow*vel[i]) - lr*gi
			}
		} else {
			for i, gi := range g {
				vel[i] = mu*vel[i] - lr*gi
			}
		}
		if o.Nesterov {
			p := c.params[r*w : end]
			p = p[:len(g)]
			for i, gi := range g {
				p[i] -= lr * gi
			}
		}
		o.decay[r], o.lag[r] = 0, true
		cl.done[r] = now + 1
	}
}

func (o *Momentum) catchUpChunk(c *chunks, lo, hi int) {
	o.catchUp(c.params, lo, hi)
}

// catchUp moves θ of each row of [lo, hi) to the step the rule is at: by
// the velocity of its last step if that move was put off, then by the k
// steps of zero gradient it missed, θ ← θ + (lag + μ + … + μᵏ) μᵈ v
// (Nesterov: μ times that), where μᵈ is the decay its velocity has yet to
// take; the velocity's decay by μᵏ is put off too (d ← d + k). For a row
// whose step was the last one (k = 0) this is θ ← θ + v, what the dense
// rule computes.
func (o *Momentum) catchUp(params []float64, lo, hi int) {
	cl := &o.clock
	w, now := cl.width, cl.now
	r0, r1 := cl.rows(lo, hi)
	for r := r0; r < r1; r++ {
		k := now - cl.done[r]
		if k == 0 && !o.lag[r] {
			continue
		}
		f := o.factor(r, k)
		end := min(hi, (r+1)*w)
		vel := o.velocity[r*w : end]
		p := params[r*w : end]
		p = p[:len(vel)]
		for i, v := range vel {
			p[i] += f * v
		}
		o.decay[r] += k
		o.lag[r] = false
		cl.done[r] = now
	}
}

// factor is the multiple of row r's stored velocity by which its catch-up
// over k missed steps moves θ.
func (o *Momentum) factor(r int, k int64) float64 {
	_, sum := o.mu.at(k)
	if o.lag[r] {
		sum++
	}
	if o.Nesterov {
		sum *= o.Momentum
	}
	if d := o.decay[r]; d > 0 {
		pow, _ := o.mu.at(d)
		sum *= pow
	}
	return sum
}

// flushChunk catches the rows of [lo, hi) up, and their velocities too:
// nothing is left put off.
func (o *Momentum) flushChunk(c *chunks, lo, hi int) {
	cl := &o.clock
	w, now := cl.width, cl.now
	r0, r1 := cl.rows(lo, hi)
	for r := r0; r < r1; r++ {
		k := now - cl.done[r]
		if k == 0 && !o.lag[r] && o.decay[r] == 0 {
			continue
		}
		f := o.factor(r, k)
		pow, _ := o.mu.at(o.decay[r] + k)
		end := min(hi, (r+1)*w)
		vel := o.velocity[r*w : end]
		p := c.params[r*w : end]
		p = p[:len(vel)]
		for i, v := range vel {
			p[i] += f * v
			vel[i] = pow * v
		}
		o.decay[r], o.lag[r] = 0, false
		cl.done[r] = now
	}
}

// CatchUp implements LazyOptimizer.
func (o *Momentum) CatchUp(params []float64, spans [][2]int) {
	o.init()
	o.tick()
	o.rule = o.fix
	o.runSpans(params, params, spans, 0, 2)
}

// Flush implements LazyOptimizer.
func (o *Momentum) Flush(params []float64) {
	o.init()
	o.tick()
	o.rule = o.flushRule
	o.runSpans(params, params, o.clock.flush, 0, 3)
}
