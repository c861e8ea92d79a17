package gd

import "math"

var (
	_ Optimizer     = (*Adam)(nil)
	_ LazyOptimizer = (*Adam)(nil)
)

// Adam keeps running averages of the gradient and its square with bias
// correction, in Keras' form (β₁ = 0.9, β₂ = 0.999, ε = 1e-7; t counts
// steps from 1):
//
//	m ← β₁ m + (1−β₁) g;  v ← β₂ v + (1−β₂) g²
//	θ ← θ − αₜ m / (√v + ε),  αₜ = η √(1−β₂ᵗ)/(1−β₁ᵗ)
//
// A zero gradient still moves θ: the moments decay, m ← β₁ m, v ← β₂ v,
// and θ moves by the decayed m. k such steps after step s, from the m and
// v that step s left, move θ by
//
//	Σⱼ₌₁..ₖ αₛ₊ⱼ β₁ʲ m / (√(β₂ʲ v) + ε) = Σⱼ aⱼ m / (√v + ε/rⱼ)
//
// with aⱼ = αₛ₊ⱼ (β₁/√β₂)ʲ and rⱼ = β₂^(j/2), the same for every weight of
// a row. The lazy path (UpdateSpans) catches a row up when it comes back
// with one pass over its weights: θ ← θ − A m / (√v + ε B/A), where
// A = Σ aⱼ and B = Σ aⱼ/rⱼ are per-row numbers (series, from tables that
// the steps extend). With ε = 0 that is the sum exactly; with ε > 0 it
// replaces each 1/(√v + εⱼ) by its value at the aⱼ-weighted mean of the
// εⱼ = ε/rⱼ, which is exact to first order in their spread: the catch-up
// moves θ less than the dense rule by about Var(1/rⱼ) of the move at
// most (2.3e-5 at the default betas), and far less where √v is large
// beside ε.
// TestLazyAdamMatchesDense measures it.
//
// As momentum's (see Momentum), the lazy path puts off what a pass over a
// row would do only to be read by the next: a step writes m and v and
// leaves θ's move to the row's next catch-up (the sum's j = 0 term, αₛ m /
// (√v + ε)), and a catch-up leaves the moments' decay by β₁ᵏ and β₂ᵏ to
// the row's next step. A row touched at every step is then moved bit for
// bit as the dense rule moves it. When the objective keeps its
// gradients' rows (RowKeeper), the step is put off as well: the row's next
// catch-up updates its moments from the kept gradient and moves θ by them
// in the one pass over its θ, m and v (see keepGradient), to the same bits.
type Adam struct {
	rate
	chunks
	Beta1, Beta2, Epsilon float64
	m, v                  []float64

	clock rowClock
	// behind holds, per row of the lazy path, what its catch-up and its
	// step put off: decay[r] is the zero-gradient steps by which its m
	// and v are yet to be decayed (β₁ᵈ, β₂ᵈ), and lag[r] says its θ has
	// yet to move by its last step.
	decay []int64
	lag   []bool
	// kept, when not nil, is the gradient whose rows the objective keeps
	// (see keepGradient), and pend[r] says that row r's step is put off
	// to its next catch-up, which reads the row's gradient from kept.
	kept   []float64
	pend   []bool
	b1, b2 powers // β₁ᵏ, β₂ᵏ
	series adamSeries

	dense, lazy, keep, fix, flushRule func(c *chunks, lo, hi int) // method values, made once
}

// Name implements Optimizer.
func (*Adam) Name() string { return NameAdam }

// adamAlpha is the bias-corrected rate of step t (from 1) whose
// learning rate is lr.
func adamAlpha(lr float64, t int, b1, b2 float64) float64 {
	return lr * math.Sqrt(1-math.Pow(b2, float64(t))) / (1 - math.Pow(b1, float64(t)))
}

// alpha returns the bias-corrected rate of the step being made, and
// counts it.
func (o *Adam) alpha() float64 {
	return adamAlpha(o.next(), o.steps, o.Beta1, o.Beta2)
}

func (o *Adam) init() {
	if o.dense == nil { // once: a method value allocates
		o.dense, o.lazy, o.keep, o.fix, o.flushRule = o.chunk, o.lazyChunk, o.keepChunk, o.catchUpChunk, o.flushChunk
	}
}

// Update implements Optimizer.
func (o *Adam) Update(params, grad []float64) {
	o.init()
	if o.clock.done != nil {
		o.Flush(params)
	}
	o.rule = o.dense
	o.run(params, grad, o.alpha(), 10)
}

// chunk is Adam's step with c.lr holding the bias-corrected rate α.
func (o *Adam) chunk(c *chunks, lo, hi int) {
	adamChunk(c.params[lo:hi], c.grad[lo:hi], o.m[lo:hi], o.v[lo:hi], o.Beta1, o.Beta2, o.Epsilon, c.lr)
}

// adamChunk is Adam's dense step on one chunk, at the bias-corrected
// rate alpha.
func adamChunk(p, g, m, v []float64, b1, b2, eps, alpha float64) {
	k1, k2 := 1-b1, 1-b2
	p, m, v = p[:len(g)], m[:len(g)], v[:len(g)]
	for i, gi := range g {
		mi := b1*m[i] + k1*gi
		vi := b2*v[i] + k2*gi*gi
		m[i], v[i] = mi, vi
		p[i] -= alpha * mi / (math.Sqrt(vi) + eps)
	}
}

// StartRows implements LazyOptimizer.
func (o *Adam) StartRows(width int) {
	o.clock.start(len(o.m), width, o.steps)
	rows := len(o.clock.done)
	o.decay = make([]int64, rows)
	o.lag = make([]bool, rows)
	o.pend = make([]bool, rows)
	o.b1.reset(o.Beta1)
	o.b2.reset(o.Beta2)
	if o.series.window == 0 {
		o.series.reset(o)
	}
}

// Drifts implements LazyOptimizer: a zero gradient moves θ by the
// decaying m.
func (*Adam) Drifts() bool { return true }

// tick readies the clock, the tables of powers and the series for the
// step being made.
func (o *Adam) tick() {
	if o.clock.done == nil {
		o.StartRows(1)
	}
	o.clock.now = int64(o.steps)
	o.b1.grow(o.clock.now)
	o.b2.grow(o.clock.now)
	if o.series.now > o.clock.now { // a state from before was loaded
		o.series.reset(o)
	}
	o.series.advance(o, o.clock.now)
}

// UpdateSpans implements SparseOptimizer: each row of spans is caught up
// (if CatchUp has not done it already), then takes this step.
func (o *Adam) UpdateSpans(params, grad []float64, spans [][2]int) {
	o.init()
	o.tick()
	o.rule = o.lazy
	if o.kept != nil {
		o.rule = o.keep
	}
	o.runSpans(params, grad, spans, 0, 6)
	o.next()
}

// lazyChunk makes the step of the rows of [lo, hi), each first caught up
// (when CatchUp has not done it already): the moments take their put-off
// decay and the gradient, m ← β₁·(β₁ᵈ m) + (1−β₁) g and likewise v; θ is
// left for the row's next catch-up to move.
func (o *Adam) lazyChunk(c *chunks, lo, hi int) {
	cl := &o.clock
	w, now := cl.width, cl.now
	o.catchUp(c.params, lo, hi)
	r0, r1 := cl.rows(lo, hi)
	for r := r0; r < r1; r++ {
		end := min(hi, (r+1)*w)
		f1, f2 := o.decayFactors(r)
		adamMoments(c.grad[r*w:end], o.m[r*w:end], o.v[r*w:end], f1, f2, o.Beta1, o.Beta2)
		o.decay[r], o.lag[r] = 0, true
		cl.done[r] = now + 1
	}
}

// adamMoments is Adam's update of the moments m and v by the gradient g,
// after their put-off decay by f1 = β₁ᵈ and f2 = β₂ᵈ: m ← β₁ (f1 m) +
// (1−β₁) g, v ← β₂ (f2 v) + (1−β₂) g². With f1 = f2 = 1 (nothing put off)
// that is the dense step's update to the bit, as 1·m is m.
func adamMoments(g, m, v []float64, f1, f2, b1, b2 float64) {
	g, v = g[:len(m)], v[:len(m)]
	if haveAdamMove4 {
		n := len(m) &^ 3
		adamMoments4(g[:n], m[:n], v[:n], f1, f2, b1, b2)
		g, m, v = g[n:], m[n:], v[n:]
	}
	k1, k2 := 1-b1, 1-b2
	for i, gi := range g {
		m[i] = b1*(f1*m[i]) + k1*gi
		v[i] = b2*(f2*v[i]) + k2*gi*gi
	}
}

func (o *Adam) catchUpChunk(c *chunks, lo, hi int) {
	o.catchUp(c.params, lo, hi)
}

// catchUp moves θ of each row of [lo, hi) to the step the rule is at: by
// its last step if that move was put off, and by the k steps of zero
// gradient it missed (see Adam); the moments' decay by those k steps is
// put off too (d ← d + k).
func (o *Adam) catchUp(params []float64, lo, hi int) {
	cl := &o.clock
	w, now := cl.width, cl.now
	r0, r1 := cl.rows(lo, hi)
	for r := r0; r < r1; r++ {
		k := now - cl.done[r]
		if k == 0 && !o.lag[r] && !o.pend[r] {
			continue
		}
		end := min(hi, (r+1)*w)
		if o.pend[r] {
			o.stepMove(params[r*w:end], r)
		} else {
			o.move(params[r*w:end], r)
		}
		o.decay[r] += k
		o.lag[r] = false
		cl.done[r] = now
	}
}

// move moves p, row r's weights, by what its catch-up owes: θ ← θ − A m
// / (√v + ε B/A) with row r's stored m and v.
func (o *Adam) move(p []float64, r int) {
	a, b := o.series.sums(o, r)
	if a == 0 {
		return // underflowed: so far behind that m is as good as 0
	}
	w := o.clock.width
	m, v := o.m[r*w:r*w+len(p)], o.v[r*w:r*w+len(p)]
	eps := o.Epsilon
	if b != a {
		eps *= b / a
	}
	if haveAdamMove4 {
		n := len(p) &^ 3
		adamMove4(p[:n], m[:n], v[:n], a, eps)
		p, m, v = p[n:], m[n:], v[n:]
	}
	v = v[:len(m)]
	for i, mi := range m {
		p[i] -= a * mi / (math.Sqrt(v[i]) + eps)
	}
}

// flushChunk catches the rows of [lo, hi) up, and their moments too:
// nothing is left put off.
func (o *Adam) flushChunk(c *chunks, lo, hi int) {
	cl := &o.clock
	w, now := cl.width, cl.now
	r0, r1 := cl.rows(lo, hi)
	for r := r0; r < r1; r++ {
		end := min(hi, (r+1)*w)
		if o.pend[r] {
			o.settleRow(r, end)
		}
		k := now - cl.done[r]
		if k == 0 && !o.lag[r] && o.decay[r] == 0 {
			continue
		}
		if k > 0 || o.lag[r] {
			o.move(c.params[r*w:end], r)
		}
		if d := o.decay[r] + k; d > 0 {
			f1, _ := o.b1.at(d)
			f2, _ := o.b2.at(d)
			m, v := o.m[r*w:end], o.v[r*w:end]
			v = v[:len(m)]
			for i := range m {
				m[i] *= f1
				v[i] *= f2
			}
		}
		o.decay[r], o.lag[r] = 0, false
		cl.done[r] = now
	}
}

// CatchUp implements LazyOptimizer.
func (o *Adam) CatchUp(params []float64, spans [][2]int) {
	o.init()
	o.tick()
	o.rule = o.fix
	o.runSpans(params, params, spans, 0, 6)
}

// Flush implements LazyOptimizer.
func (o *Adam) Flush(params []float64) {
	o.init()
	o.tick()
	o.rule = o.flushRule
	o.runSpans(params, params, o.clock.flush, 0, 6)
}

// adamSeries holds what lazy Adam's catch-ups sum (see Adam), for every
// step a row can have last been caught up to: with ρ₁ = β₁/√β₂ and
// ρ₂ = β₁/β₂,
//
//	q₁[a] = Σ_{τ=a+1..now} α_τ ρ₁^(τ−a),  q₂[a] = Σ_{τ=a+1..now} α_τ ρ₂^(τ−a)
//
// A row caught up to step a, whose moments are yet to be decayed by d
// steps, owes A = ρ₁ᵈ q₁[a] and B = ρ₂ᵈ q₂[a] (plus α_a each when its own
// step's move is put off). Each step τ adds its terms to the q[a] of the
// last window steps only: beyond them ρ₂^(τ−a) is below 2⁻⁵⁶ and the
// term is lost in the sum's rounding, so a step costs O(window) and a
// catch-up O(1), however long the row was away. Each q[a] takes its
// terms in the order of τ, so the tables are a function of the step count
// alone (and the rule's settings): a resumed run rebuilds them to the bit,
// and a run that goes on from a rule's state keeps them.
type adamSeries struct {
	window int
	now    int64
	alpha  []float64 // alpha[τ] = α_τ, τ from 1 (alpha[0] is 0)
	q1, q2 []float64
	r1, r2 powers // ρ₁ʲ, ρ₂ʲ
}

// adamWindow is how many steps a term of lazy Adam's series stays above
// 2⁻⁵⁶ of the first: the steps back that a step adds its terms to. It is
// beyond maxAdamWindow (math.MaxInt) when β₁ ≥ β₂.
func adamWindow(beta1, beta2 float64) int {
	rho := beta1 / beta2
	if !(rho < 1) {
		return math.MaxInt
	}
	w := math.Ceil(-56 * math.Ln2 / math.Log(rho))
	if !(w <= maxAdamWindow) {
		return math.MaxInt
	}
	return max(1, int(w))
}

// maxAdamWindow bounds the window: a step of lazy Adam adds to this many
// sums at most, which holds β₁/β₂ below maxAdamRatio.
const maxAdamWindow = 1 << 13

// maxAdamRatio is the largest β₁/β₂ (rounded down) whose window is at
// most maxAdamWindow: exp(−56 ln 2 / maxAdamWindow).
const maxAdamRatio = 0.9952

// reset empties the series for o's betas.
func (s *adamSeries) reset(o *Adam) {
	s.window = min(adamWindow(o.Beta1, o.Beta2), maxAdamWindow)
	s.now = 0
	s.alpha, s.q1, s.q2 = append(s.alpha[:0], 0), append(s.q1[:0], 0), append(s.q2[:0], 0)
	s.r1.reset(o.Beta1 / math.Sqrt(o.Beta2))
	s.r2.reset(o.Beta1 / o.Beta2)
	s.r1.grow(int64(s.window))
	s.r2.grow(int64(s.window))
}

// advance adds the terms of the steps up to now, whose rates o's schedule
// and betas give.
func (s *adamSeries) advance(o *Adam, now int64) {
	p1, p2 := s.r1.pow, s.r2.pow
	for ; s.now < now; s.now++ {
		t := s.now + 1
		al := adamAlpha(o.schedule.Rate(o.base, int(t-1)), int(t), o.Beta1, o.Beta2)
		s.alpha = append(s.alpha, al)
		a0 := max(0, t-int64(s.window))
		q1, q2 := s.q1[a0:t], s.q2[a0:t]
		for i := range q1 {
			j := t - (a0 + int64(i)) // t − a, from the window's far end
			if j < int64(len(p1)) {
				q1[i] += al * p1[j]
			}
			if j < int64(len(p2)) {
				q2[i] += al * p2[j]
			}
		}
		s.q1, s.q2 = append(s.q1, 0), append(s.q2, 0)
	}
}

// sums returns the A and B that row r's catch-up moves θ by.
func (s *adamSeries) sums(o *Adam, r int) (a, b float64) {
	at := o.clock.done[r]
	if d := o.decay[r]; d > 0 {
		f1, _ := s.r1.at(d)
		f2, _ := s.r2.at(d)
		a, b = f1*s.q1[at], f2*s.q2[at]
	} else {
		a, b = s.q1[at], s.q2[at]
	}
	if o.lag[r] {
		a += s.alpha[at]
		b += s.alpha[at]
	}
	return a, b
}
