// Package calibrate turns a classifier's raw output scores into
// probabilities that mean what they say — of the answers given with
// probability 0.8, about 80 % right — and measures how well they do.
//
// A Calibrator is fitted on scores of examples the network was not trained
// on: temperature scaling (the scores divided by one learnt temperature
// before the softmax; Guo et al., ICML 2017), a monotone map (one
// increasing piecewise-linear function of the scores shared by the labels,
// before the softmax; see monotone.go), Platt scaling for two labels (a
// sigmoid of an affine map of the score; Platt 1999, with the target
// smoothing and the Newton method of Lin, Lin and Weng 2007), or isotonic
// regression (a monotone step function per label, fitted by
// pool-adjacent-violators, then normalised; Zadrozny and Elkan 2002).
// Temperature scaling and the monotone map never reorder the scores of one
// example, so they keep the network's decisions; Platt's intercept and
// isotonic may change them.
//
// The scores are the output layer's weighted sums: logits for sigmoid and
// softmax outputs, margins for linear ones. One output is the score of the
// second label; the first gets the complement.
package calibrate

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// The methods.
const (
	Platt       = "platt"       // two labels: p = σ(a·s + b)
	Temperature = "temperature" // p = softmax(z / T)
	Monotone    = "monotone"    // p = softmax(g(z)), g increasing
	Isotonic    = "isotonic"    // a monotone map per label, normalised
	None        = "none"        // the network's own outputs
	Auto        = "auto"        // temperature for two labels, monotone for more: see Fit
)

// Methods lists the methods a config may name.
var Methods = []string{Auto, Platt, Temperature, Monotone, Isotonic, None}

// Calibrator maps one example's raw scores to probabilities over the
// labels. Its zero value is not useful: use Fit.
type Calibrator struct {
	Method string `json:"method"`
	// A and B are Platt's: p(second label) = σ(A·s + B).
	A float64 `json:"a,omitempty"`
	B float64 `json:"b,omitempty"`
	// Temperature divides the scores before the softmax (or the sigmoid
	// of one output).
	Temperature float64 `json:"temperature,omitempty"`
	// Knots and Slopes are the monotone map's: g has slope Slopes[j] on
	// the j-th stretch between the knots (see basis).
	Knots  []float64 `json:"knots,omitempty"`
	Slopes []float64 `json:"slopes,omitempty"`
	// Curves are isotonic's: one per label (one for two labels: the
	// second's), each a nondecreasing step function of the score.
	Curves []Curve `json:"curves,omitempty"`
	// Labels is the number of labels the probabilities cover.
	Labels int `json:"labels"`
	// MultiLabel says the labels are independent (a multi-label model):
	// each label's probability is σ(z_k / Temperature) of its own score,
	// and they need not sum to 1 (see multilabel.go).
	MultiLabel bool `json:"multilabel,omitempty"`
	// Fitted says what the calibrator was fitted on, and Before and After
	// how the held-out probabilities scored without and with it.
	Fitted string  `json:"fitted_on"`
	Before Quality `json:"before"`
	After  Quality `json:"after"`
}

// Curve is a nondecreasing map from score to probability: linear between
// the points X[i] → Y[i], flat beyond the ends (scikit-learn's
// IsotonicRegression with out_of_bounds="clip").
type Curve struct {
	X []float64 `json:"x"`
	Y []float64 `json:"y"`
}

// at evaluates the curve at s.
func (c Curve) at(s float64) float64 {
	n := len(c.X)
	switch {
	case n == 0:
		return 0
	case s <= c.X[0]:
		return c.Y[0]
	case s >= c.X[n-1]:
		return c.Y[n-1]
	}
	i, _ := slices.BinarySearch(c.X, s) // c.X[i-1] < s <= c.X[i]
	x0, x1, y0, y1 := c.X[i-1], c.X[i], c.Y[i-1], c.Y[i]
	if x1 == x0 {
		return y1
	}
	return y0 + (y1-y0)*(s-x0)/(x1-x0)
}

// Scores are raw outputs of n examples, k per example (k = 1 for a
// one-output network of two labels), with the true label of each.
type Scores struct {
	Z      []float64 // n × k
	K      int       // outputs per example
	Labels int       // labels (2 when K = 1)
	Truth  []int
}

// N returns the number of examples.
func (s *Scores) N() int { return len(s.Truth) }

func (s *Scores) row(i int) []float64 { return s.Z[i*s.K : (i+1)*s.K] }

// binary returns example i's score of the second label, for two labels:
// the one output, or the difference of the two.
func (s *Scores) binary(i int) float64 {
	z := s.row(i)
	if len(z) == 1 {
		return z[0]
	}
	return z[1] - z[0]
}

// ErrTooFew is returned when the held-out examples cannot say anything: a
// calibrator needs examples of more than one label.
var ErrTooFew = errors.New("calibration needs held-out examples of at least two labels")

// Fit fits a calibrator of method (Auto, Platt, Temperature or Isotonic)
// to held-out scores and their truth; uncalibrated are the network's own
// probabilities of the same examples, to measure Before. fitted says what
// the examples were, for the record.
//
// Auto is temperature scaling for two labels and the monotone map for
// more: neither moves a decision (σ(s/T) ≥ ½ exactly when s ≥ 0; an
// increasing g keeps the labels' order), so a calibrated model answers
// exactly as its network does. On held-out training data
// (bench/calibration/choose.sh) the monotone map's ECE was half
// temperature scaling's on R52 and lower on R8, where a hinge-trained
// network's 51 (7) pushed-down scores mislead one temperature; on IMDB the
// two scored alike, and the one parameter is kept. Platt's intercept does
// move decisions, and on the IMDB notebook one fitted on a held-out fifth
// moved held-out decisions by more than the calibration gained.
func Fit(method string, s *Scores, uncalibrated []float64, fitted string) (*Calibrator, error) {
	if method == Auto {
		method = Temperature
		if s.Labels > 2 {
			method = Monotone
		}
	}
	seen := map[int]bool{}
	for _, t := range s.Truth {
		seen[t] = true
	}
	if len(seen) < 2 {
		return nil, ErrTooFew
	}
	c := &Calibrator{Method: method, Labels: s.Labels, Fitted: fitted}
	switch method {
	case Platt:
		if s.Labels != 2 {
			return nil, fmt.Errorf("platt scaling calibrates two labels, not %d; use monotone, temperature or isotonic", s.Labels)
		}
		c.A, c.B = fitPlatt(s)
	case Temperature:
		c.Temperature = fitTemperature(s)
	case Monotone:
		c.Knots, c.Slopes = fitMonotone(s)
	case Isotonic:
		c.Curves = fitIsotonic(s)
	default:
		return nil, fmt.Errorf("calibration method %q is not one of %v", method, Methods)
	}
	c.Before = Measure(uncalibrated, s.Labels, s.Truth)
	probs := make([]float64, 0, s.N()*s.Labels)
	for i := range s.N() {
		probs = c.Apply(s.row(i), probs)
	}
	c.After = Measure(probs, s.Labels, s.Truth)
	return c, nil
}

// Apply appends the probabilities of one example's raw scores z to dst:
// c.Labels numbers in [0, 1] that sum to 1.
func (c *Calibrator) Apply(z []float64, dst []float64) []float64 {
	if c.MultiLabel {
		for _, v := range z {
			dst = append(dst, sigmoid(v/c.Temperature))
		}
		return dst
	}
	if c.Method == Monotone {
		return c.applyMonotone(z, dst)
	}
	if c.Labels == 2 {
		s := z[0]
		if len(z) == 2 {
			s = z[1] - z[0]
		}
		var p float64
		switch c.Method {
		case Platt:
			p = sigmoid(c.A*s + c.B)
		case Temperature:
			p = sigmoid(s / c.Temperature)
		case Isotonic:
			p = min(1, max(0, c.Curves[0].at(s)))
		}
		return append(dst, 1-p, p)
	}
	start := len(dst)
	switch c.Method {
	case Temperature:
		m := math.Inf(-1)
		for _, v := range z {
			m = max(m, v/c.Temperature)
		}
		var sum float64
		for _, v := range z {
			e := math.Exp(v/c.Temperature - m)
			dst = append(dst, e)
			sum += e
		}
		for i := start; i < len(dst); i++ {
			dst[i] /= sum
		}
	case Isotonic:
		var sum float64
		for k, v := range z {
			p := min(1, max(0, c.Curves[k].at(v)))
			dst = append(dst, p)
			sum += p
		}
		for i := start; i < len(dst); i++ {
			if sum > 0 {
				dst[i] /= sum
			} else {
				dst[i] = 1 / float64(len(z))
			}
		}
	}
	return dst
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// fitPlatt fits σ(A·s + B) by maximum likelihood with Platt's smoothed
// targets — (N₊+1)/(N₊+2) for positives, 1/(N₋+2) for negatives, so that
// separable data does not drive A to infinity — by Newton's method with a
// backtracking line search on the convex negative log-likelihood, started
// at A = 0, B = log((N₋+1)/(N₊+1)) (Lin, Lin and Weng 2007).
func fitPlatt(s *Scores) (a, b float64) {
	n := s.N()
	var pos int
	for _, t := range s.Truth {
		if t == 1 {
			pos++
		}
	}
	neg := n - pos
	hi, lo := (float64(pos)+1)/(float64(pos)+2), 1/(float64(neg)+2)
	target := func(i int) float64 {
		if s.Truth[i] == 1 {
			return hi
		}
		return lo
	}
	// The negative log-likelihood of σ(A·s+B) against target t, written
	// so that it never takes the log of 0: for f = A·s+B,
	// −t log σ(f) − (1−t) log(1−σ(f)) = log(1 + e^f) − t f.
	nll := func(a, b float64) float64 {
		var sum float64
		for i := range n {
			f := a*s.binary(i) + b
			sum += softplus(f) - target(i)*f
		}
		return sum
	}
	b = math.Log((float64(neg) + 1) / (float64(pos) + 1))
	f := nll(a, b)
	const sigma = 1e-12 // keeps the Hessian positive definite
	for range 100 {
		var h11, h22, h21, g1, g2 float64
		h11, h22 = sigma, sigma
		for i := range n {
			x := s.binary(i)
			p := sigmoid(a*x + b)
			d1 := p - target(i) // dL/df
			d2 := p * (1 - p)
			h11 += x * x * d2
			h22 += d2
			h21 += x * d2
			g1 += x * d1
			g2 += d1
		}
		if math.Abs(g1) < 1e-5 && math.Abs(g2) < 1e-5 {
			break
		}
		det := h11*h22 - h21*h21
		da := -(h22*g1 - h21*g2) / det
		db := -(-h21*g1 + h11*g2) / det
		gd := g1*da + g2*db
		step := 1.0
		for step >= 1e-10 {
			na, nb := a+step*da, b+step*db
			if nf := nll(na, nb); nf < f+1e-4*step*gd {
				a, b, f = na, nb, nf
				break
			}
			step /= 2
		}
		if step < 1e-10 {
			break // no progress along the Newton direction
		}
	}
	return a, b
}

func softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

// fitTemperature finds the temperature T minimising the held-out
// cross-entropy of softmax(z/T) (for one output, of σ(s/T)) against
// targets smoothed in the spirit of Platt's: of n held-out examples, each
// counts (n+1)/(n+2) for its label and shares the rest among the others.
// Without that, held-out examples that are all right (a small or separable
// set) would drive T to 0 and every probability to 1; with n in the
// thousands it changes nothing. (Platt smooths by the count of each label,
// which for the one-example topics of Reuters would flatten everything.) In
// β = 1/T the objective is convex — a log-sum-exp of functions linear in β
// minus a term linear in β — so Newton's method on β with a line search
// finds its minimum: the gradient is the mean of E_p[z] − E_t[z], the
// curvature the mean variance of z under p.
func fitTemperature(s *Scores) float64 {
	n := s.N()
	keep := (float64(n) + 1) / (float64(n) + 2)
	// Two labels with one score: z = (0, s), the same model as σ(s/T).
	logits := s.logits
	// targetMean is E_t[z] for example i's smoothed targets.
	targetMean := func(i int, z []float64) float64 {
		y := s.Truth[i]
		var rest float64
		for k, v := range z {
			if k != y {
				rest += v
			}
		}
		return keep*z[y] + (1-keep)*rest/float64(len(z)-1)
	}
	var buf []float64
	objective := func(beta float64) float64 {
		var sum float64
		for i := range n {
			z := logits(i, buf)
			buf = z
			m := math.Inf(-1)
			for _, v := range z {
				m = max(m, beta*v)
			}
			var e float64
			for _, v := range z {
				e += math.Exp(beta*v - m)
			}
			sum += m + math.Log(e) - beta*targetMean(i, z)
		}
		return sum
	}
	return 1 / newtonBeta(objective, func(beta float64) (g, h float64) {
		for i := range n {
			z := logits(i, buf)
			buf = z
			m := math.Inf(-1)
			for _, v := range z {
				m = max(m, beta*v)
			}
			var e, ez, ezz float64
			for _, v := range z {
				w := math.Exp(beta*v - m)
				e += w
				ez += w * v
				ezz += w * v * v
			}
			mean := ez / e
			g += mean - targetMean(i, z)
			h += ezz/e - mean*mean
		}
		return g, h
	}, 1e-9*float64(n))
}

// newtonBeta minimises a convex objective of β > 0 from β = 1 by Newton's
// method (slope and curvature from derivs) with a halving line search
// that keeps β positive, until the slope is under tol, a step no longer
// lowers the objective, or 100 steps.
func newtonBeta(objective func(beta float64) float64, derivs func(beta float64) (g, h float64), tol float64) float64 {
	beta := 1.0
	f := objective(beta)
	for range 100 {
		g, h := derivs(beta)
		if math.Abs(g) < tol {
			break
		}
		d := -g / max(h, 1e-12)
		step := 1.0
		for step >= 1e-10 {
			nb := beta + step*d
			if nb > 0 {
				if nf := objective(nb); nf < f {
					beta, f = nb, nf
					break
				}
			}
			step /= 2
		}
		if step < 1e-10 {
			break
		}
	}
	return beta
}

// fitIsotonic fits one nondecreasing curve per label (for two labels, one
// for the second) from each example's score of that label to whether it
// was that label, by pool-adjacent-violators.
func fitIsotonic(s *Scores) []Curve {
	n := s.N()
	if s.Labels == 2 {
		x := make([]float64, n)
		y := make([]float64, n)
		for i := range n {
			x[i] = s.binary(i)
			if s.Truth[i] == 1 {
				y[i] = 1
			}
		}
		return []Curve{pav(x, y)}
	}
	curves := make([]Curve, s.K)
	x := make([]float64, n)
	y := make([]float64, n)
	for k := range s.K {
		for i := range n {
			x[i] = s.row(i)[k]
			y[i] = 0
			if s.Truth[i] == k {
				y[i] = 1
			}
		}
		curves[k] = pav(x, y)
	}
	return curves
}

// pav returns the nondecreasing least-squares fit of y on x: examples
// sorted by x (ties pooled), adjacent blocks whose means decrease merged,
// each block kept as its two end points.
func pav(x, y []float64) Curve {
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case x[a] < x[b]:
			return -1
		case x[a] > x[b]:
			return 1
		}
		return 0
	})
	type block struct {
		lo, hi float64 // the x range
		sum, w float64
	}
	var blocks []block
	for _, i := range idx {
		b := block{lo: x[i], hi: x[i], sum: y[i], w: 1}
		if k := len(blocks) - 1; k >= 0 && blocks[k].hi == x[i] {
			blocks[k].sum += y[i]
			blocks[k].w++
		} else {
			blocks = append(blocks, b)
		}
		for len(blocks) > 1 {
			k := len(blocks) - 1
			if blocks[k-1].sum/blocks[k-1].w <= blocks[k].sum/blocks[k].w {
				break
			}
			blocks[k-1].hi = blocks[k].hi
			blocks[k-1].sum += blocks[k].sum
			blocks[k-1].w += blocks[k].w
			blocks = blocks[:k]
		}
	}
	var c Curve
	for _, b := range blocks {
		m := b.sum / b.w
		c.X = append(c.X, b.lo)
		c.Y = append(c.Y, m)
		if b.hi != b.lo {
			c.X = append(c.X, b.hi)
			c.Y = append(c.Y, m)
		}
	}
	return c
}

// String says what the calibrator does: "temperature 1.83",
// "monotone map, slopes 2.13 to 6.51 over 8 stretches",
// "platt σ(2.1·s − 0.31)", "isotonic".
func (c *Calibrator) String() string {
	switch c.Method {
	case Platt:
		sign := "+"
		if c.B < 0 {
			sign = "−"
		}
		return fmt.Sprintf("platt σ(%.4g·s %s %.4g)", c.A, sign, math.Abs(c.B))
	case Temperature:
		return fmt.Sprintf("temperature %.4g", c.Temperature)
	case Monotone:
		return c.describeMonotone()
	}
	return c.Method
}

// Check reports a calibrator that cannot map the outputs of a network of
// outputs units and labels labels (one read from a file, say).
func (c *Calibrator) Check(labels, outputs int) error {
	if c.Labels != labels {
		return fmt.Errorf("calibrates %d labels, not the model's %d", c.Labels, labels)
	}
	if c.MultiLabel && (c.Method != Temperature || outputs != labels) {
		return fmt.Errorf("calibrates %d independent labels by %s, where a temperature for each of %d outputs is needed", labels, c.Method, outputs)
	}
	finite := func(xs ...float64) bool {
		for _, x := range xs {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return false
			}
		}
		return true
	}
	switch c.Method {
	case Platt:
		if labels != 2 || !finite(c.A, c.B) {
			return fmt.Errorf("has platt scaling for %d labels, a = %v, b = %v", labels, c.A, c.B)
		}
	case Temperature:
		if !(c.Temperature > 0) || math.IsInf(c.Temperature, 0) {
			return fmt.Errorf("has temperature %v", c.Temperature)
		}
	case Monotone:
		return c.checkMonotone()
	case Isotonic:
		want := outputs
		if labels == 2 {
			want = 1
		}
		if len(c.Curves) != want {
			return fmt.Errorf("has %d isotonic curves for %d", len(c.Curves), want)
		}
		for _, cv := range c.Curves {
			if len(cv.X) != len(cv.Y) || len(cv.X) == 0 || !slices.IsSorted(cv.X) || !finite(cv.X...) || !finite(cv.Y...) {
				return errors.New("has a malformed isotonic curve")
			}
		}
	default:
		return fmt.Errorf("has the unknown method %q", c.Method)
	}
	return nil
}
