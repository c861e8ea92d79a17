package gd

import "math"

var (
	_ Optimizer     = (*RMSprop)(nil)
	_ LazyOptimizer = (*RMSprop)(nil)
	_ spanTeller    = (*RMSprop)(nil)
)

// RMSprop divides each step by a running root mean square of the gradient,
// as Keras does (ρ = 0.9, ε = 1e-7 by default):
//
//	s ← ρ s + (1−ρ) g²;  θ ← θ − η g / (√s + ε)
//
// A zero gradient only decays s, and it decays every entry alike, so the
// lazy path (UpdateSpans) keeps the decay out of the entries: it stores
// S = s / D, where D = ρᵗ is one number for all of them, and a step is
//
//	D ← ρ D;  S ← S + (1−ρ) g² / D;  θ ← θ − η g / (√(D S) + ε)
//
// on the entries with a gradient only. That is the dense rule within
// rounding, at the cost of Adagrad: an entry whose gradient is zero is not
// touched at all. When D grows small (every few thousand steps), and at
// every Flush, S is multiplied back into s and D starts again at 1.
type RMSprop struct {
	rate
	chunks
	Rho, Epsilon float64
	// avg is s, or on the lazy path S = s / scale.
	avg   []float64
	scale float64 // D: 1 on the dense path and after a Flush

	dense, lazy, rescale func(c *chunks, lo, hi int) // method values, made once
	// step holds the lazy step's D and (1−ρ)/D for the chunks.
	stepScale, stepKeep float64
}

// minScale is the smallest D the lazy path lets S be divided by before it
// multiplies it back: S then stays within 10¹⁵⁰ of s.
const minScale = 1e-150

// Name implements Optimizer.
func (*RMSprop) Name() string { return NameRMSprop }

func (o *RMSprop) init() {
	if o.dense == nil { // once: a method value allocates
		o.dense, o.lazy, o.rescale = o.chunk, o.lazyChunk, o.rescaleChunk
		o.scale = 1
	}
}

// Update implements Optimizer.
func (o *RMSprop) Update(params, grad []float64) {
	o.init()
	if o.scale != 1 {
		// Entries left scaled by earlier lazy steps are made s again.
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

// StartRows implements LazyOptimizer: the lazy path needs no counters.
func (o *RMSprop) StartRows(int) { o.init() }

// Drifts implements LazyOptimizer: a zero gradient moves no weight.
func (*RMSprop) Drifts() bool { return false }

// UpdateSpans implements SparseOptimizer: the step's decay goes into D,
// and the entries of spans with a gradient take the step (see RMSprop).
func (o *RMSprop) UpdateSpans(params, grad []float64, spans [][2]int) {
	o.init()
	if o.scale*o.Rho < minScale {
		o.Flush(params)
	}
	o.scale *= o.Rho
	o.stepScale, o.stepKeep = o.scale, (1-o.Rho)/o.scale
	o.rule = o.lazy
	o.runSpans(params, grad, spans, o.next(), 9)
}

func (o *RMSprop) lazyChunk(c *chunks, lo, hi int) {
	d, keep, lr, eps := o.stepScale, o.stepKeep, c.lr, o.Epsilon
	p, g, avg := c.params[lo:hi], c.grad[lo:hi], o.avg[lo:hi]
	p, avg = p[:len(g)], avg[:len(g)]
	if haveRMSpropLazy8 {
		// Eight entries at a time where the processor can (the square
		// root and the division are most of an MNIST step's update),
		// then four, the same operations in the same order; the rest
		// below.
		n := len(g) &^ 7
		rmspropLazy8(p[:n], g[:n], avg[:n], keep, d, lr, eps)
		p, g, avg = p[n:], g[n:], avg[n:]
	}
	if haveRMSpropLazy4 {
		n := len(g) &^ 3
		rmspropLazy4(p[:n], g[:n], avg[:n], keep, d, lr, eps)
		p, g, avg = p[n:], g[n:], avg[n:]
	}
	for i, gi := range g {
		if math.Float64bits(gi) == 0 {
			continue // D has decayed it
		}
		a := avg[i] + keep*gi*gi
		avg[i] = a
		p[i] -= lr * gi / (math.Sqrt(d*a) + eps)
	}
}

// tellSpans implements spanTeller: UpdateSpans writes the parameters of
// its spans (lazyChunk) and no others.
func (o *RMSprop) tellSpans(f func(lo, hi int)) { o.told = f }

// CatchUp implements LazyOptimizer: no weight is behind.
func (*RMSprop) CatchUp([]float64, [][2]int) {}

// Flush implements LazyOptimizer: s = D S for every entry, and D = 1.
func (o *RMSprop) Flush(params []float64) {
	o.init()
	if o.scale == 1 {
		return
	}
	o.rule = o.rescale
	o.run(params, params, 0, 1)
	o.scale = 1
}

func (o *RMSprop) rescaleChunk(_ *chunks, lo, hi int) {
	d := o.scale
	avg := o.avg[lo:hi]
	for i := range avg {
		avg[i] *= d
	}
}
