package calibrate

import "math"

// Bins is the number of equal-width confidence bins of the expected
// calibration error and the reliability diagram, as Guo et al. use.
const Bins = 15

// Quality is how well probabilities score on labelled examples.
type Quality struct {
	N        int     `json:"n"`
	Accuracy float64 `json:"accuracy"` // of the most probable label
	// LogLoss is the mean −ln p(true label), p clipped at 1e-15 as
	// scikit-learn's log_loss does.
	LogLoss float64 `json:"log_loss"`
	// Brier is the mean over examples of Σ_k (p_k − [k is true])²: Brier's
	// own multi-class score; for two labels it is twice scikit-learn's
	// brier_score_loss, which looks at the second label only.
	Brier float64 `json:"brier"`
	// ECE is the expected calibration error: the example-weighted mean,
	// over Bins equal-width bins of the confidence (the top probability),
	// of |accuracy − mean confidence| in the bin.
	ECE float64 `json:"ece"`
}

// Bin is one bin of a reliability diagram: the examples whose confidence
// falls in (Lo, Hi], their mean confidence and their accuracy.
type Bin struct {
	Lo         float64 `json:"lo"`
	Hi         float64 `json:"hi"`
	Count      int     `json:"count"`
	Confidence float64 `json:"confidence"`
	Accuracy   float64 `json:"accuracy"`
}

// Measure scores probabilities (n × labels, each row summing to 1) against
// the truth.
func Measure(probs []float64, labels int, truth []int) Quality {
	q := Quality{N: len(truth)}
	if q.N == 0 {
		return q
	}
	bins := Reliability(probs, labels, truth)
	var correct int
	for i, t := range truth {
		p := probs[i*labels : (i+1)*labels]
		best := argmax(p)
		if best == t {
			correct++
		}
		q.LogLoss -= math.Log(max(p[t], 1e-15))
		for k, v := range p {
			y := 0.0
			if k == t {
				y = 1
			}
			q.Brier += (v - y) * (v - y)
		}
	}
	for _, b := range bins {
		q.ECE += float64(b.Count) * math.Abs(b.Accuracy-b.Confidence)
	}
	n := float64(q.N)
	q.Accuracy, q.LogLoss, q.Brier, q.ECE = float64(correct)/n, q.LogLoss/n, q.Brier/n, q.ECE/n
	return q
}

// Reliability returns the Bins bins of the reliability diagram of
// probabilities against the truth: in bin m the examples whose top
// probability is in ((m−1)/Bins, m/Bins].
func Reliability(probs []float64, labels int, truth []int) []Bin {
	bins := make([]Bin, Bins)
	for m := range bins {
		bins[m].Lo, bins[m].Hi = float64(m)/Bins, float64(m+1)/Bins
	}
	for i, t := range truth {
		p := probs[i*labels : (i+1)*labels]
		best := argmax(p)
		conf := p[best]
		m := min(Bins-1, max(0, int(math.Ceil(conf*Bins))-1))
		b := &bins[m]
		b.Count++
		b.Confidence += conf
		if best == t {
			b.Accuracy++
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

// argmax is the index of the largest value, the first on a tie.
func argmax(p []float64) int {
	best := 0
	for k, v := range p {
		if v > p[best] {
			best = k
		}
	}
	return best
}
