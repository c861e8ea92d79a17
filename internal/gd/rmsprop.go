package gd

import "math"

var (
	_ Optimizer     = (*RMSprop)(nil)
	_ LazyOptimizer = (*RMSprop)(nil)
)

// RMSprop divides each step by a running root mean square of the gradient,
// as Keras does (ρ = 0.9, ε = 1e-7 by default):
//
//	s ← ρ s + (1−ρ) g²;  θ ← θ − η g / (√s + ε)
//
// A zero gradient only decays s, so the lazy path (UpdateSpans) is exact:
// a row back after k steps away takes s ← ρᵏ s, then its update.
type RMSprop struct {
	rate
	chunks
	Rho, Epsilon float64
	avg          []float64

	clock            rowClock
	rho              powers
	dense, lazy, fix func(c *chunks, lo, hi int) // method values, made once
	decayRows        func(lo, hi int, k int64)
}

// Name implements Optimizer.
func (*RMSprop) Name() string { return NameRMSprop }

func (o *RMSprop) init() {
	if o.dense == nil { // once: a method value allocates
		o.dense, o.lazy, o.fix = o.chunk, o.lazyChunk, o.catchUpChunk
		o.decayRows = o.decay
	}
}

// Update implements Optimizer.
func (o *RMSprop) Update(params, grad []float64) {
	o.init()
	if o.clock.done != nil {
		// Rows left behind by earlier lazy steps take their decays first.
		o.Flush(params)
	}
	o.rule = o.dense
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

// StartRows implements LazyOptimizer.
func (o *RMSprop) StartRows(width int) {
	o.clock.start(len(o.avg), width, o.steps)
	o.rho.reset(o.Rho)
}

// Drifts implements LazyOptimizer: a zero gradient moves no weight.
func (*RMSprop) Drifts() bool { return false }

// UpdateSpans implements SparseOptimizer: each row of spans takes the
// decays of the steps it missed, then this step.
func (o *RMSprop) UpdateSpans(params, grad []float64, spans [][2]int) {
	o.init()
	o.tick()
	o.rule = o.lazy
	o.runSpans(params, grad, spans, o.next(), 8)
}

// tick readies the clock and the table of ρᵏ for the step being made.
func (o *RMSprop) tick() {
	if o.clock.done == nil {
		o.StartRows(1)
	}
	o.clock.now = int64(o.steps)
	o.rho.grow(o.clock.now)
}

func (o *RMSprop) lazyChunk(c *chunks, lo, hi int) {
	o.clock.rows(lo, hi, o.clock.now+1, o.decayRows)
	o.chunk(c, lo, hi)
}

func (o *RMSprop) catchUpChunk(_ *chunks, lo, hi int) {
	o.clock.rows(lo, hi, o.clock.now, o.decayRows)
}

// decay applies k steps of zero gradient to the average of [lo, hi).
func (o *RMSprop) decay(lo, hi int, k int64) {
	f, _ := o.rho.at(k)
	avg := o.avg[lo:hi]
	for i := range avg {
		avg[i] *= f
	}
}

// CatchUp implements LazyOptimizer.
func (o *RMSprop) CatchUp(params []float64, spans [][2]int) {
	o.init()
	o.tick()
	o.rule = o.fix
	o.runSpans(params, params, spans, 0, 1)
}

// Flush implements LazyOptimizer.
func (o *RMSprop) Flush(params []float64) {
	o.init()
	o.tick()
	o.rule = o.fix
	o.runSpans(params, params, o.clock.flush, 0, 1)
}
