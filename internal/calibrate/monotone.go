package calibrate

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/optimize"
)

// Monotone calibration: one increasing, piecewise-linear map g shared by
// every label, applied to each score before the softmax — p = softmax(g(z))
// (for one output s, p = σ(g(s) − g(0))). Temperature scaling is the
// g(z) = z/T of one slope; this g has a slope per stretch between knots,
// so it can, say, flatten the low scores of the labels a hinge-trained
// network pushed down (whose size says little) while sharpening the top
// ones. Because g is strictly increasing and shared, the labels keep
// their order: the calibrated model makes exactly its network's
// decisions. It is the "diagonal" order-preserving map of Rahimi et al.,
// "Intra Order-Preserving Functions for Calibration of Multi-Class Neural
// Networks", NeurIPS 2020, with a piecewise-linear g in place of their
// network.
//
// The knots are quantiles of the held-out scores, pooled over the labels;
// g is fitted by the held-out cross-entropy (with fitTemperature's
// smoothed targets) plus a penalty on the differences of neighbouring
// log-slopes, which pulls g towards one temperature where the held-out
// examples say little.

// MonotoneKnots is the number of knots of a monotone map (fewer when the
// held-out scores repeat), and MonotoneSmoothing the weight of the penalty
// on neighbouring log-slopes' differences. Both chosen by
// bench/calibration/choose.sh, which compared 4, 8 and 16 knots and
// penalties 0.1 to 100 on the training splits of IMDB, R52 and R8: 4 to
// 16 knots with 0.1 or 1 scored alike, 10 and more drifted back towards
// temperature scaling.
const (
	MonotoneKnots     = 8
	MonotoneSmoothing = 1.0
)

// monotoneLevels are the quantiles the knots sit at: MonotoneKnots evenly
// spaced from the 2nd to the 98th percentile.
func monotoneLevels() []float64 {
	q := make([]float64, MonotoneKnots)
	for j := range q {
		q[j] = 0.02 + 0.96*float64(j)/float64(MonotoneKnots-1)
	}
	return q
}

// basis appends to dst the values at z of the map's basis functions, one
// per slope: g(z) = Σ_j slope_j·basis_j(z). basis_0 runs to the first
// knot, basis_j from knot j−1 to knot j, the last beyond the last knot;
// each grows by 1 per unit of z inside its stretch and is flat outside,
// so that g is continuous, 0 at the first knot, and slope_j steep there.
// Without knots g(z) = slope_0·z.
func basis(knots []float64, z float64, dst []float64) []float64 {
	m := len(knots)
	if m == 0 {
		return append(dst, z)
	}
	dst = append(dst, min(z, knots[0])-knots[0])
	for j := 1; j < m; j++ {
		dst = append(dst, min(max(z, knots[j-1]), knots[j])-knots[j-1])
	}
	return append(dst, max(z, knots[m-1])-knots[m-1])
}

// monotone is g(z) of the calibrator's knots and slopes.
func (c *Calibrator) monotone(z float64) float64 {
	var buf [MonotoneKnots + 1]float64
	b := basis(c.Knots, z, buf[:0])
	var g float64
	for j, v := range b {
		g += c.Slopes[j] * v
	}
	return g
}

// logits returns example i's scores as a softmax reads them: for one
// output s, (0, s), the same model as σ(s).
func (s *Scores) logits(i int, buf []float64) []float64 {
	if s.K == 1 {
		return append(buf[:0], 0, s.Z[i])
	}
	return append(buf[:0], s.row(i)...)
}

// monotoneKnots returns the knots of held-out scores s: the quantiles
// monotoneLevels of every score of every example (each label's, and for
// one output the 0 it is compared with), without repeats.
func monotoneKnots(s *Scores) []float64 {
	var all, buf []float64
	for i := range s.N() {
		buf = s.logits(i, buf)
		all = append(all, buf...)
	}
	slices.Sort(all)
	var knots []float64
	for _, q := range monotoneLevels() {
		v := all[int(q*float64(len(all)-1))]
		if len(knots) == 0 || v > knots[len(knots)-1] {
			knots = append(knots, v)
		}
	}
	return knots
}

// fitMonotone fits the knots and slopes of the map g to held-out scores,
// starting from temperature scaling's g(z) = z/T: every slope 1/T. The
// slopes are exp(θ_j), positive whatever θ, and L-BFGS minimises
//
//	Σ_i [ log Σ_k exp g(z_ik) − Σ_k t_ik g(z_ik) ] + λ Σ_j (θ_j+1 − θ_j)²
//
// over θ, with t the smoothed targets of fitTemperature and λ =
// MonotoneSmoothing. In the slopes the cross-entropy is convex (a
// log-sum-exp of functions linear in them), so the only stationary point
// L-BFGS can stop at in θ is its minimum.
func fitMonotone(s *Scores) (knots, slopes []float64) {
	n := s.N()
	knots = monotoneKnots(s)
	d := len(knots) + 1
	labels := max(2, s.K)
	keep := (float64(n) + 1) / (float64(n) + 2)
	rest := (1 - keep) / float64(labels-1)
	// phi[(i·labels + k)·d + j] = basis_j(z_ik), computed once.
	phi := make([]float64, 0, n*labels*d)
	var buf []float64
	for i := range n {
		buf = s.logits(i, buf)
		for _, v := range buf {
			phi = basis(knots, v, phi)
		}
	}
	g := make([]float64, labels)
	p := make([]float64, labels)
	slope := make([]float64, d)
	// loss returns the objective at θ and, with grad, puts its gradient
	// there.
	loss := func(theta, grad []float64) float64 {
		for j, t := range theta {
			slope[j] = math.Exp(t)
		}
		clear(grad)
		var f float64
		for i := range n {
			base := i * labels * d
			m := math.Inf(-1)
			for k := range labels {
				var v float64
				for j, b := range phi[base+k*d : base+(k+1)*d] {
					v += slope[j] * b
				}
				g[k] = v
				m = max(m, v)
			}
			var e float64
			for k := range labels {
				p[k] = math.Exp(g[k] - m)
				e += p[k]
			}
			truth := s.Truth[i]
			f += m + math.Log(e)
			for k := range labels {
				t := rest
				if k == truth {
					t = keep
				}
				f -= t * g[k]
				if grad != nil {
					w := p[k]/e - t
					for j, b := range phi[base+k*d : base+(k+1)*d] {
						grad[j] += w * b
					}
				}
			}
		}
		for j := range grad {
			grad[j] *= slope[j] // d/dθ_j = slope_j · d/dslope_j
		}
		for j := 1; j < d; j++ {
			diff := theta[j] - theta[j-1]
			f += MonotoneSmoothing * diff * diff
			if grad != nil {
				grad[j] += 2 * MonotoneSmoothing * diff
				grad[j-1] -= 2 * MonotoneSmoothing * diff
			}
		}
		return f
	}
	start := make([]float64, d)
	for j := range start {
		start[j] = -math.Log(fitTemperature(s))
	}
	theta := start
	problem := optimize.Problem{
		Func: func(x []float64) float64 { return loss(x, nil) },
		Grad: func(grad, x []float64) { loss(x, grad) },
	}
	settings := &optimize.Settings{GradientThreshold: 1e-6 * float64(n), MajorIterations: 500}
	// A stop short of convergence (a line search that cannot go on) still
	// returns the best point found, never one worse than the start.
	if r, err := optimize.Minimize(problem, start, settings, &optimize.LBFGS{}); r != nil && (err == nil || r.F < loss(start, nil)) {
		theta = r.X
	}
	slopes = make([]float64, d)
	for j, t := range theta {
		slopes[j] = math.Exp(t)
	}
	return knots, slopes
}

// applyMonotone appends softmax(g(z)) of one example's raw scores z (for
// one output, of (0, z)) to dst.
func (c *Calibrator) applyMonotone(z []float64, dst []float64) []float64 {
	start := len(dst)
	if len(z) == 1 {
		p := sigmoid(c.monotone(z[0]) - c.monotone(0))
		return append(dst, 1-p, p)
	}
	m := math.Inf(-1)
	for _, v := range z {
		g := c.monotone(v)
		dst = append(dst, g)
		m = max(m, g)
	}
	var sum float64
	for i := start; i < len(dst); i++ {
		dst[i] = math.Exp(dst[i] - m)
		sum += dst[i]
	}
	for i := start; i < len(dst); i++ {
		dst[i] /= sum
	}
	return dst
}

// checkMonotone reports a monotone map that is not increasing or not
// finite.
func (c *Calibrator) checkMonotone() error {
	if len(c.Slopes) != len(c.Knots)+1 || len(c.Knots) > MonotoneKnots {
		return fmt.Errorf("has a monotone map of %d knots and %d slopes", len(c.Knots), len(c.Slopes))
	}
	for j, k := range c.Knots {
		if math.IsNaN(k) || math.IsInf(k, 0) || (j > 0 && k <= c.Knots[j-1]) {
			return fmt.Errorf("has a monotone map whose knots are not finite and increasing: %v", c.Knots)
		}
	}
	for _, v := range c.Slopes {
		if !(v > 0) || math.IsInf(v, 0) {
			return fmt.Errorf("has a monotone map with the slope %v", v)
		}
	}
	return nil
}

// describeMonotone says what a monotone map does, for inspect:
// "monotone map, slopes 2.13 to 6.51 over 8 stretches".
func (c *Calibrator) describeMonotone() string {
	return fmt.Sprintf("monotone map, slopes %.3g to %.3g over %d stretches", slices.Min(c.Slopes), slices.Max(c.Slopes), len(c.Slopes))
}
