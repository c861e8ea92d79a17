package metrics

import (
	"math"
	"math/rand/v2"
	"slices"
)

// MultiLabelReport scores the label sets a multi-label model gave against
// the true ones, as scikit-learn's precision_recall_fscore_support,
// accuracy_score (subset accuracy) and hamming_loss score a label
// indicator matrix.
type MultiLabelReport struct {
	N int `json:"n"`
	// Micro averages count every (example, label) decision together: TP,
	// FP and FN summed over the labels first.
	MicroPrecision float64 `json:"micro_precision"`
	MicroRecall    float64 `json:"micro_recall"`
	MicroF1        float64 `json:"micro_f1"`
	// Macro averages are the unweighted means over the labels present in
	// the truth or the decisions (as for single-label models; on data
	// that holds every label, scikit-learn's average="macro").
	MacroPrecision float64 `json:"macro_precision"`
	MacroRecall    float64 `json:"macro_recall"`
	MacroF1        float64 `json:"macro_f1"`
	// SamplesF1 is the mean over examples of the F1 of each one's set
	// (an example with no label, and none given, counts 1).
	SamplesF1 float64 `json:"samples_f1"`
	// SubsetAccuracy is the share of examples given exactly their labels;
	// HammingLoss the share of (example, label) decisions that are wrong.
	SubsetAccuracy float64 `json:"subset_accuracy"`
	HammingLoss    float64 `json:"hamming_loss"`
	// Cardinality is the mean number of labels per example, true and
	// given.
	TrueCardinality      float64 `json:"true_cardinality"`
	PredictedCardinality float64 `json:"predicted_cardinality"`
	// Classes are the per-label scores (index = label); Counts the
	// per-example counts the paired test of two models resamples.
	Classes []ClassScore `json:"-"`
	Counts  []F1Counts   `json:"-"`
}

// F1Counts are one example's true positives, false positives and false
// negatives over its labels.
type F1Counts struct{ TP, FP, FN int }

// MultiLabel scores the label sets predicted against the true ones
// (label indices in [0, k), each set without repeats).
func MultiLabel(truth, predicted [][]int, k int) MultiLabelReport {
	r := MultiLabelReport{N: len(truth), Classes: make([]ClassScore, k), Counts: make([]F1Counts, len(truth))}
	tp, predN, trueN := make([]int, k), make([]int, k), make([]int, k)
	var exact int
	for i, want := range truth {
		got := predicted[i]
		c := &r.Counts[i]
		for _, l := range got {
			predN[l]++
			if slices.Contains(want, l) {
				tp[l]++
				c.TP++
			} else {
				c.FP++
			}
		}
		for _, l := range want {
			trueN[l]++
		}
		c.FN = len(want) - c.TP
		if c.FP == 0 && c.FN == 0 {
			exact++
			r.SamplesF1++
		} else {
			r.SamplesF1 += f1(c.TP, c.FP, c.FN)
		}
		r.TrueCardinality += float64(len(want))
		r.PredictedCardinality += float64(len(got))
	}
	var TP, P, T, present int
	for l := range k {
		s := classScore(tp[l], predN[l], trueN[l])
		r.Classes[l] = s
		if predN[l] > 0 || trueN[l] > 0 {
			present++
			r.MacroPrecision += s.Precision
			r.MacroRecall += s.Recall
			r.MacroF1 += s.F1
		}
		TP, P, T = TP+tp[l], P+predN[l], T+trueN[l]
	}
	if present > 0 {
		r.MacroPrecision /= float64(present)
		r.MacroRecall /= float64(present)
		r.MacroF1 /= float64(present)
	}
	if P > 0 {
		r.MicroPrecision = float64(TP) / float64(P)
	}
	if T > 0 {
		r.MicroRecall = float64(TP) / float64(T)
	}
	r.MicroF1 = f1(TP, P-TP, T-TP)
	if r.N > 0 {
		n := float64(r.N)
		r.SubsetAccuracy, r.SamplesF1 = float64(exact)/n, r.SamplesF1/n
		r.TrueCardinality, r.PredictedCardinality = r.TrueCardinality/n, r.PredictedCardinality/n
		if k > 0 {
			r.HammingLoss = float64(P-TP+T-TP) / (n * float64(k))
		}
	}
	return r
}

// f1 is 2·TP / (2·TP + FP + FN), 0 when there is nothing to count.
func f1(tp, fp, fn int) float64 {
	if tp == 0 {
		return 0
	}
	return 2 * float64(tp) / float64(2*tp+fp+fn)
}

// MicroF1 is the micro-F1 of per-example counts.
func MicroF1(c []F1Counts) float64 {
	var tp, fp, fn int
	for _, x := range c {
		tp, fp, fn = tp+x.TP, fp+x.FP, fn+x.FN
	}
	return f1(tp, fp, fn)
}

// RandomizationResult is the paired approximate randomization test of two
// models' micro-F1 on the same examples.
type RandomizationResult struct {
	// Difference is micro-F1 of A minus that of B.
	Difference float64 `json:"difference"`
	// Rounds is how many random relabellings were drawn; P the two-sided
	// p-value, (1 + relabellings at least as far apart) / (1 + Rounds).
	Rounds int     `json:"rounds"`
	P      float64 `json:"p_value"`
}

// RandomizationRounds is how many relabellings MicroF1Randomization draws:
// enough to resolve p-values to about 0.001, in tens of milliseconds for
// thousands of examples.
const RandomizationRounds = 9999

// MicroF1Randomization tests whether models A and B, whose decisions on
// the same examples gave the per-example counts a and b, differ in
// micro-F1 beyond chance: approximate randomization (Noreen 1989; Yeh
// 2000, "More accurate tests for the statistical significance of result
// differences"), the usual test for F1, which is not a mean over examples
// and so has no simple variance. Under the hypothesis that the two models
// are alike, either one's answer to an example could have been the other's:
// each round swaps the two answers of every example with probability ½
// (an example's labels move together, so their dependence is kept), and
// the p-value is the share of rounds whose micro-F1 difference is at least
// the one observed. The rounds are drawn from seed: the same inputs give
// the same p-value.
func MicroF1Randomization(a, b []F1Counts, rounds int, seed uint64) RandomizationResult {
	observed := MicroF1(a) - MicroF1(b)
	r := RandomizationResult{Difference: observed, Rounds: rounds}
	rng := rand.New(rand.NewPCG(seed, 0x5a5a))
	var atLeast int
	for range rounds {
		var ta, fa, na, tb, fb, nb int
		var coins uint64 // 64 fair coins, one bit an example
		for i := range a {
			if i%64 == 0 {
				coins = rng.Uint64()
			}
			x, y := a[i], b[i]
			if coins&1 == 1 {
				x, y = y, x
			}
			coins >>= 1
			ta, fa, na = ta+x.TP, fa+x.FP, na+x.FN
			tb, fb, nb = tb+y.TP, fb+y.FP, nb+y.FN
		}
		// A tolerance for the rounding of equal differences computed in
		// another order.
		if math.Abs(f1(ta, fa, na)-f1(tb, fb, nb)) >= math.Abs(observed)-1e-12 {
			atLeast++
		}
	}
	r.P = float64(atLeast+1) / float64(rounds+1)
	return r
}
