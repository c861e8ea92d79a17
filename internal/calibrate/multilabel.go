package calibrate

import (
	"errors"
	"math"
)

// A multi-label model has one output per label, each a score of its own
// label: its probabilities are independent of one another (a text may have
// all its labels, or none), σ(z_k / T) for each label k, not a
// distribution over the labels. One temperature T is shared by all the
// labels, fitted on every held-out (example, label) pair at once: most of
// the 90 Reuters topics have a handful of examples, and a tenth of them
// held out has none or one — too few to fit a temperature per label,
// whereas the pairs of all labels together are thousands. A positive T
// never moves a label across its natural cut (σ(z/T) ≥ ½ exactly when
// z ≥ 0); the decisions come from the per-label thresholds (Thresholds),
// tuned on the calibrated held-out probabilities.

// MultiScores are the raw outputs of n held-out examples of a multi-label
// model, one per label, with the labels each example has.
type MultiScores struct {
	Z      []float64 // n × Labels
	Labels int
	// Truth holds each example's labels, in increasing order.
	Truth [][]int32
}

// N returns the number of examples.
func (s *MultiScores) N() int { return len(s.Truth) }

// FitMultiLabel fits the temperature of a multi-label model to held-out
// scores (method Auto or Temperature); uncalibrated are the network's own
// probabilities of the same examples (n × Labels), to measure Before.
func FitMultiLabel(method string, s *MultiScores, uncalibrated []float64, fitted string) (*Calibrator, error) {
	if method != Auto && method != Temperature {
		return nil, errors.New("a multi-label model is calibrated by one temperature shared by its labels (method auto or temperature), not " + method)
	}
	var pos int
	for _, t := range s.Truth {
		pos += len(t)
	}
	if pos == 0 || pos == s.N()*s.Labels {
		return nil, ErrTooFew
	}
	c := &Calibrator{Method: Temperature, Labels: s.Labels, MultiLabel: true, Fitted: fitted}
	c.Temperature = fitMultiTemperature(s, pos)
	c.Before = MeasureMulti(uncalibrated, s.Labels, s.Truth)
	probs := make([]float64, 0, len(s.Z))
	for i := range s.N() {
		probs = c.Apply(s.Z[i*s.Labels:(i+1)*s.Labels], probs)
	}
	c.After = MeasureMulti(probs, s.Labels, s.Truth)
	return c, nil
}

// fitMultiTemperature finds the T minimising the binary cross-entropy of
// σ(z/T) over every (example, label) pair, against targets smoothed as
// Platt smooths them — (N₊+1)/(N₊+2) for the pos positive pairs, 1/(N₋+2)
// for the negative ones — so that held-out pairs all on the right side of
// 0 (a small or separable set) do not drive T to 0. In β = 1/T the
// objective is convex (a logistic regression's log-likelihood in its one
// weight), so Newton's method with a line search finds its minimum.
func fitMultiTemperature(s *MultiScores, pos int) float64 {
	neg := s.N()*s.Labels - pos
	hi, lo := (float64(pos)+1)/(float64(pos)+2), 1/(float64(neg)+2)
	// each calls f(z, t) for every pair, t its smoothed target.
	each := func(f func(z, t float64)) {
		for i, labels := range s.Truth {
			z := s.Z[i*s.Labels : (i+1)*s.Labels]
			next := 0
			for k, v := range z {
				t := lo
				if next < len(labels) && int(labels[next]) == k {
					t = hi
					next++
				}
				f(v, t)
			}
		}
	}
	objective := func(beta float64) float64 {
		var sum float64
		each(func(z, t float64) { sum += softplus(beta*z) - t*beta*z })
		return sum
	}
	beta := 1.0
	f := objective(beta)
	for range 100 {
		var g, h float64
		each(func(z, t float64) {
			p := sigmoid(beta * z)
			g += (p - t) * z
			h += p * (1 - p) * z * z
		})
		if math.Abs(g) < 1e-9*float64(s.N()*s.Labels) {
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
	return 1 / beta
}

// MeasureMulti scores the independent probabilities of a multi-label
// model (n × labels) against each example's labels. Each label of each
// example is a yes-or-no question: LogLoss is the mean over examples of
// the summed binary log loss of their labels (−ln of the probability of
// the example's exact set of labels), Brier the mean over examples of
// Σ_k (p_k − [k is one of its labels])², ECE the pair-weighted mean over
// Bins bins of the probability of |share of yes − mean probability|, and
// Accuracy the share of examples whose labels are exactly those of
// probability ½ or more.
func MeasureMulti(probs []float64, labels int, truth [][]int32) Quality {
	q := Quality{N: len(truth)}
	if q.N == 0 || labels == 0 {
		return q
	}
	var exact int
	for i, set := range truth {
		p := probs[i*labels : (i+1)*labels]
		next, right := 0, true
		for k, v := range p {
			y := 0.0
			if next < len(set) && int(set[next]) == k {
				y = 1
				next++
			}
			if y == 1 {
				q.LogLoss -= math.Log(max(v, 1e-15))
			} else {
				q.LogLoss -= math.Log(max(1-v, 1e-15))
			}
			q.Brier += (v - y) * (v - y)
			if (v >= 0.5) != (y == 1) {
				right = false
			}
		}
		if right {
			exact++
		}
	}
	bins := ReliabilityMulti(probs, labels, truth)
	var pairs int
	for _, b := range bins {
		q.ECE += float64(b.Count) * math.Abs(b.Accuracy-b.Confidence)
		pairs += b.Count
	}
	n := float64(q.N)
	q.Accuracy, q.LogLoss, q.Brier, q.ECE = float64(exact)/n, q.LogLoss/n, q.Brier/n, q.ECE/float64(pairs)
	return q
}

// ReliabilityMulti returns the Bins bins of the reliability diagram of a
// multi-label model: every (example, label) pair in the bin of its
// probability, its Confidence the bin's mean probability and its Accuracy
// the share of pairs whose label the example has — the two agree when
// the probabilities mean what they say.
func ReliabilityMulti(probs []float64, labels int, truth [][]int32) []Bin {
	bins := make([]Bin, Bins)
	for m := range bins {
		bins[m].Lo, bins[m].Hi = float64(m)/Bins, float64(m+1)/Bins
	}
	for i, set := range truth {
		next := 0
		for k, v := range probs[i*labels : (i+1)*labels] {
			m := min(Bins-1, max(0, int(math.Ceil(v*Bins))-1))
			b := &bins[m]
			b.Count++
			b.Confidence += v
			if next < len(set) && int(set[next]) == k {
				b.Accuracy++
				next++
			}
		}
	}
	for m := range bins {
		if c := float64(bins[m].Count); c > 0 {
			bins[m].Confidence /= c
			bins[m].Accuracy /= c
		}
	}
	return bins
}
