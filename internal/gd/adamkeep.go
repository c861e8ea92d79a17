package gd

import "math"

// RowKeeper is a LazyObjective that can keep the rows of its earlier
// gradients in grad: with KeepRows(true), Gradient clears and writes the
// rows of its own batch only (those Touches returns for it), and leaves
// every other entry of grad as the gradients before left it, instead of
// clearing the rows of the batch before. A rule that reads a row's
// gradient only when the row comes back (Adam, see Adam.keepGradient)
// then needs no step of its own over the row: the row's catch-up, before
// the gradient that overwrites it, reads it. Train turns it on for such
// a rule, and off before it returns.
type RowKeeper interface {
	LazyObjective
	KeepRows(keep bool)
}

// gradKeeper is a lazy rule that can put a row's step off to the row's
// next catch-up, reading the row's gradient then from grad, which a
// RowKeeper keeps; keepGradient(nil) makes every put-off step and ends
// that.
type gradKeeper interface {
	keepGradient(grad []float64)
}

// keepRows has a RowKeeper objective keep its gradients' rows for a rule
// that can use them, when both can; it returns what ends that (before
// anyone else reads the gradient or the rule's state), or nil.
func keepRows(obj Objective, opt Optimizer, grad []float64) func() {
	rk, ok1 := obj.(RowKeeper)
	gk, ok2 := opt.(gradKeeper)
	if !ok1 || !ok2 {
		return nil
	}
	rk.KeepRows(true)
	gk.keepGradient(grad)
	return func() {
		gk.keepGradient(nil)
		rk.KeepRows(false)
	}
}

var _ gradKeeper = (*Adam)(nil)

// keepGradient implements gradKeeper. Adam's lazy step reads a row's
// gradient once, to update its moments, and its catch-up, when the row
// comes back, reads the moments again to move θ: two passes over m and v
// for every row of a batch. With the gradient kept, the step only marks
// the row (pend), and the catch-up updates the moments from the kept
// gradient and moves θ by them in one pass, each entry's arithmetic as
// the two passes do it: the same bits. A State saved meanwhile is the
// two passes' (settle).
func (o *Adam) keepGradient(grad []float64) {
	o.settle()
	o.kept = grad
}

// settle makes every put-off step: the state is then what Adam's step
// without a kept gradient leaves.
func (o *Adam) settle() {
	w := o.clock.width
	for r, p := range o.pend {
		if p {
			end := min(len(o.m), (r+1)*w)
			o.settleRow(r, end)
		}
	}
}

// settleRow makes row r's put-off step (its parameters end at end): its
// moments take their put-off decay and the kept gradient.
func (o *Adam) settleRow(r, end int) {
	w := o.clock.width
	f1, f2 := o.decayFactors(r)
	adamMoments(o.kept[r*w:end], o.m[r*w:end], o.v[r*w:end], f1, f2, o.Beta1, o.Beta2)
	o.decay[r], o.lag[r], o.pend[r] = 0, true, false
}

// decayFactors returns β₁ᵈ and β₂ᵈ for row r's put-off decay d (1 and 1
// when there is none).
func (o *Adam) decayFactors(r int) (f1, f2 float64) {
	f1, f2 = 1, 1
	if d := o.decay[r]; d > 0 {
		f1, _ = o.b1.at(d)
		f2, _ = o.b2.at(d)
	}
	return f1, f2
}

// keepChunk is lazyChunk with the gradient kept: the rows of [lo, hi),
// which CatchUp has brought to this step, are marked for their next
// catch-up to make this step.
func (o *Adam) keepChunk(c *chunks, lo, hi int) {
	cl := &o.clock
	r0, r1 := cl.rows(lo, hi)
	for r := r0; r < r1; r++ {
		if cl.done[r] != cl.now || o.lag[r] || o.pend[r] {
			panic("gd: adam is to keep the gradient of a row that was not caught up before the gradient was written")
		}
		o.pend[r] = true
		cl.done[r] = cl.now + 1
	}
}

// stepMove makes row r's put-off step and moves p, its weights, by what
// its catch-up then owes (see move), in one pass.
func (o *Adam) stepMove(p []float64, r int) {
	w := o.clock.width
	f1, f2 := o.decayFactors(r)
	o.decay[r], o.lag[r], o.pend[r] = 0, true, false
	g, m, v := o.kept[r*w:r*w+len(p)], o.m[r*w:r*w+len(p)], o.v[r*w:r*w+len(p)]
	a, b := o.series.sums(o, r)
	if a == 0 {
		adamMoments(g, m, v, f1, f2, o.Beta1, o.Beta2)
		return
	}
	eps := o.Epsilon
	if b != a {
		eps *= b / a
	}
	adamStepMove(g, p, m, v, f1, f2, o.Beta1, o.Beta2, a, eps)
}

// adamStepMove is adamMoments and then move's loop, entry by entry: m ←
// β₁ (f1 m) + (1−β₁) g, v ← β₂ (f2 v) + (1−β₂) g², θ ← θ − a m / (√v +
// eps), with the same bits.
func adamStepMove(g, p, m, v []float64, f1, f2, b1, b2, a, eps float64) {
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	if haveAdamMove4 {
		n := len(p) &^ 3
		adamStepMove4(g[:n], p[:n], m[:n], v[:n], f1, f2, b1, b2, a, eps)
		g, p, m, v = g[n:], p[n:], m[n:], v[n:]
	}
	k1, k2 := 1-b1, 1-b2
	for i, gi := range g {
		mi := b1*(f1*m[i]) + k1*gi
		vi := b2*(f2*v[i]) + k2*gi*gi
		m[i], v[i] = mi, vi
		p[i] -= a * mi / (math.Sqrt(vi) + eps)
	}
}
