package gd

import "math"

// LazyOptimizer is an update rule whose dense form changes parameters or
// state even where the gradient is zero: RMSprop's average decays,
// momentum's velocity keeps moving its weight, Adam's moments decay. On a
// sparse objective (a batch of texts touches the first-layer rows of its
// words only) it updates only what a step touches, and makes up for the
// rest:
//
//   - RMSprop: every entry's average decays alike, so the decay is kept
//     in one number (RMSprop). Exact within rounding.
//   - momentum: each row keeps the number of steps it has taken; a row
//     that comes back after k steps away first takes the k zero-gradient
//     steps it missed, in one go: v ← μᵏ v, θ ← θ + (μ + … + μᵏ) v
//     (Nesterov: μ times that), the velocity's geometric series, with θ's
//     move by the last step's velocity and v's decay put off to the pass
//     that next writes each (see Momentum). Exact within rounding.
//   - Adam: likewise, each row keeps its step count; a row that comes
//     back after k steps away moves by the k zero-gradient steps it
//     missed, a sum over the decaying moments whose per-row factors come
//     from tables (see Adam). Exact within rounding for ε = 0, and within
//     a second-order term in ε otherwise.
//   - LazyAdam: nothing; it is a rule of its own (see LazyAdam).
//
// A step then costs what its batch touches, not the whole first layer.
type LazyOptimizer interface {
	SparseOptimizer
	// StartRows readies the per-row step counters for parameters made of
	// rows of width entries (the last row may be shorter): every span
	// given to UpdateSpans or CatchUp is then made of whole rows.
	StartRows(width int)
	// Drifts reports whether the dense rule moves a parameter whose
	// gradient is zero, so that a row must be caught up (CatchUp) before
	// a gradient reads it.
	Drifts() bool
	// CatchUp brings the rows of spans to the step the rule is at, as
	// though they had taken every step since they were last touched with a
	// zero gradient.
	CatchUp(params []float64, spans [][2]int)
	// Flush catches every row up: afterwards the parameters and the state
	// are those of the dense rule (within rounding; for Adam, see Adam).
	Flush(params []float64)
}

// LazyObjective is a SparseObjective that can say, before it computes a
// gradient, which parameters that gradient will read and write: the rows a
// LazyOptimizer must bring up to date first.
type LazyObjective interface {
	SparseObjective
	// RowWidth is the width of the rows that the spans of Support and
	// Touches are made of; the last row of the parameters may be shorter.
	RowWidth() int
	// Touches returns the [lo, hi) ranges of the parameters that
	// Gradient(rows) will read or write.
	Touches(rows []int) [][2]int
}

// rowClock is a lazy rule's per-row step counters (momentum's, Adam's):
// done[r] is how many updates row r (parameters r·width up to
// (r+1)·width) has taken. The rows a step does not touch fall behind;
// catching one up is applying the steps it missed, k = now − done[r], at
// once.
type rowClock struct {
	width int
	done  []int64
	now   int64 // the updates made before the step being made
	// flush lists all rows, in blocks, for Flush to run on every core.
	flush [][2]int
}

// start sizes the counters for n parameters in rows of width, all rows
// up to step now.
func (c *rowClock) start(n, width int, now int) {
	if width < 1 {
		width = 1
	}
	rows := (n + width - 1) / width
	c.width, c.now = width, int64(now)
	c.done = make([]int64, rows)
	for i := range c.done {
		c.done[i] = c.now
	}
	c.flush = c.flush[:0]
	block := max(1, flushBlock/width) * width
	for lo := 0; lo < n; lo += block {
		c.flush = append(c.flush, [2]int{lo, min(n, lo+block)})
	}
}

// flushBlock is about how many parameters one span of a Flush holds.
const flushBlock = 1 << 12

// rows returns the rows [r0, r1) that make up the parameters [lo, hi),
// which must start a row. A rule then catches up each row r that is
// behind (c.now > c.done[r]) and sets c.done[r]: to c.now after a
// catch-up, to c.now+1 when the step's update follows.
func (c *rowClock) rows(lo, hi int) (r0, r1 int) {
	w := c.width
	if lo%w != 0 {
		panic("gd: a span of a lazy update does not start a row")
	}
	return lo / w, (hi + w - 1) / w
}

// powers is the table of a decay's powers dᵏ, and of the sums d + … + dᵏ,
// for the k of a catch-up. It is extended (before the parallel part of a
// step, which only reads it) up to the longest absence possible so far,
// or until dᵏ has become zero; longer absences ask math.Pow.
type powers struct {
	d        float64
	pow, sum []float64 // pow[k] = dᵏ, sum[k] = d + … + dᵏ
}

// maxPowers bounds the table: 2¹⁶ entries, 1 MiB, for decays so close to
// 1 that dᵏ stays above zero that long.
const maxPowers = 1 << 16

func (p *powers) reset(d float64) {
	p.d, p.pow, p.sum = d, append(p.pow[:0], 1), append(p.sum[:0], 0)
}

// grow extends the table to hold k (or as far as it goes).
func (p *powers) grow(k int64) {
	for int64(len(p.pow)) <= k && len(p.pow) < maxPowers {
		last := len(p.pow) - 1
		if p.pow[last] == 0 {
			return
		}
		v := p.pow[last] * p.d
		p.pow = append(p.pow, v)
		p.sum = append(p.sum, p.sum[last]+v)
	}
}

// at returns dᵏ and d + … + dᵏ.
func (p *powers) at(k int64) (pow, sum float64) {
	if k < int64(len(p.pow)) {
		return p.pow[k], p.sum[k]
	}
	last := len(p.pow) - 1
	if p.pow[last] == 0 {
		return 0, p.sum[last]
	}
	// Beyond the table: d + … + dᵏ = d (1 − dᵏ) / (1 − d).
	pow = math.Pow(p.d, float64(k))
	return pow, p.d * (1 - pow) / (1 - p.d)
}
