package calibrate

import (
	"fmt"
	"math"
	"slices"
)

// Thresholds are a multi-label model's decision rule: a text is given every
// label whose probability reaches that label's threshold, most probable
// first — but never fewer labels than MinLabels nor more than MaxLabels,
// the fewest and most any training text had (topped up with the most
// probable of the others, or cut to the most probable). Newswires that all
// carry a topic are thus never answered with none, and data of exactly
// one label per text is answered with its most probable label, whatever
// the thresholds: the decision of a single-label model.
//
// The thresholds are tuned, like the calibration, on scores of training
// examples by networks that were not trained on them (never on the test
// split): each label's maximises that label's F1 on them, unless the label
// has fewer than MinPositives held-out examples, too few to place a cut
// (most Reuters topics have a handful of newswires, a tenth of them held
// out); those labels take the one threshold that maximises the micro-F1
// of all labels together.
type Thresholds struct {
	// Values holds each label's threshold, on the probability the model
	// answers with; nil when they were not tuned: every label is then cut
	// at Cut.
	Values []float64 `json:"values,omitempty"`
	Cut    float64   `json:"cut"`
	// MinLabels and MaxLabels bound the number of labels of an answer.
	MinLabels int `json:"min_labels"`
	MaxLabels int `json:"max_labels"`
	// Global is the micro-F1 threshold the labels with fewer than
	// MinPositives held-out examples took, and Tuned how many labels have
	// a threshold of their own.
	Global float64 `json:"global,omitempty"`
	Tuned  int     `json:"tuned,omitempty"`
	// Fitted says what the thresholds were tuned on, and Before and After
	// the held-out micro- and macro-F1 at Cut and at the tuned thresholds.
	Fitted string    `json:"fitted_on,omitempty"`
	Before F1Summary `json:"before,omitzero"`
	After  F1Summary `json:"after,omitzero"`
}

// F1Summary is how a multi-label decision scored on held-out examples.
type F1Summary struct {
	MicroF1 float64 `json:"micro_f1"`
	MacroF1 float64 `json:"macro_f1"`
}

// MinPositives is how many held-out examples of a label its threshold is
// tuned on, at the least; labels with fewer take the global threshold.
const MinPositives = 5

// Threshold returns label k's threshold.
func (t *Thresholds) Threshold(k int) float64 {
	if t.Values == nil {
		return t.Cut
	}
	return t.Values[k]
}

// Decide appends to dst the labels of one example from its scores p (one
// per label), most probable first (ties by label): those at or above their
// threshold, topped up to MinLabels or cut to MaxLabels.
func (t *Thresholds) Decide(p []float64, dst []int) []int {
	return decide(p, t.Threshold, t.MinLabels, t.MaxLabels, dst)
}

// DecideAt is Decide with every label cut at cut instead of its threshold
// (a --threshold given by hand).
func (t *Thresholds) DecideAt(p []float64, cut float64, dst []int) []int {
	return decide(p, func(int) float64 { return cut }, t.MinLabels, t.MaxLabels, dst)
}

func decide(p []float64, threshold func(int) float64, least, most int, dst []int) []int {
	start := len(dst)
	for k, v := range p {
		// When every training text had the same number of labels, that
		// many it is: the most probable (thresholds would only move the
		// choice off the most probable ones).
		if least < most && v >= threshold(k) {
			dst = append(dst, k)
		}
	}
	for len(dst)-start < least && len(dst)-start < len(p) {
		// The most probable label not yet in: a scan per label added,
		// and least is the fewest labels of a training text (0 or 1,
		// mostly).
		best := -1
		for k, v := range p {
			if (best < 0 || v > p[best]) && !slices.Contains(dst[start:], k) {
				best = k
			}
		}
		dst = append(dst, best)
	}
	set := dst[start:]
	slices.SortStableFunc(set, func(a, b int) int {
		switch {
		case p[a] > p[b]:
			return -1
		case p[a] < p[b]:
			return 1
		}
		return a - b
	})
	if most > 0 && len(set) > most {
		dst = dst[:start+most]
	}
	return dst
}

// Check reports thresholds that cannot decide for labels labels (read
// from a file, say).
func (t *Thresholds) Check(labels int) error {
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch {
	case t.Values != nil && len(t.Values) != labels:
		return fmt.Errorf("has %d thresholds for %d labels", len(t.Values), labels)
	case !finite(t.Cut):
		return fmt.Errorf("has the cut %v", t.Cut)
	case t.MinLabels < 0 || t.MaxLabels < t.MinLabels || t.MaxLabels > labels:
		return fmt.Errorf("answers with %d to %d of its %d labels", t.MinLabels, t.MaxLabels, labels)
	}
	for _, v := range t.Values {
		if !finite(v) {
			return fmt.Errorf("has the threshold %v", v)
		}
	}
	return nil
}

// TuneThresholds tunes t's thresholds on held-out probabilities (n ×
// labels) and the labels of each example, as Thresholds says, recording
// how the held-out examples score at t.Cut and at the tuned thresholds.
func TuneThresholds(t *Thresholds, probs []float64, labels int, truth [][]int32, fitted string) {
	n := len(truth)
	// Every (example, label) pair's probability and whether it is a yes.
	type pair struct {
		p   float64
		yes bool
	}
	byLabel := make([][]pair, labels)
	all := make([]pair, 0, n*labels)
	for i, set := range truth {
		next := 0
		for k, v := range probs[i*labels : (i+1)*labels] {
			yes := next < len(set) && int(set[next]) == k
			if yes {
				next++
			}
			byLabel[k] = append(byLabel[k], pair{v, yes})
			all = append(all, pair{v, yes})
		}
	}
	// best returns the cut of pairs that maximises F1 = 2·TP / (P + C),
	// C the pairs at or above it: halfway between the lowest score taken
	// and the highest left out, so that a score near either side of the
	// held-out ones falls as the nearer one did. ok is false without a yes.
	best := func(ps []pair) (cut float64, yes int, ok bool) {
		slices.SortFunc(ps, func(a, b pair) int {
			switch {
			case a.p > b.p:
				return -1
			case a.p < b.p:
				return 1
			}
			return 0
		})
		for _, q := range ps {
			if q.yes {
				yes++
			}
		}
		if yes == 0 {
			return 0, 0, false
		}
		bestF1, tp := -1.0, 0
		for i := 0; i < len(ps); {
			j := i // the pairs of one score go together
			for j < len(ps) && ps[j].p == ps[i].p {
				if ps[j].yes {
					tp++
				}
				j++
			}
			if f1 := 2 * float64(tp) / float64(yes+j); f1 > bestF1 {
				bestF1, cut = f1, ps[j-1].p
				if j < len(ps) {
					cut = (ps[j-1].p + ps[j].p) / 2
				}
			}
			i = j
		}
		return cut, yes, true
	}
	t.Fitted = fitted
	t.Before = scoreF1(probs, labels, truth, t)
	global, _, ok := best(all)
	if t.MinLabels == t.MaxLabels {
		ok = false // the answer is the most probable labels: no cut to tune
	}
	if !ok {
		return // no held-out example has a label: nothing to tune on
	}
	t.Global, t.Tuned = global, 0
	t.Values = make([]float64, labels)
	for k, ps := range byLabel {
		t.Values[k] = global
		if cut, yes, ok := best(ps); ok && yes >= MinPositives {
			t.Values[k] = cut
			t.Tuned++
		}
	}
	t.After = scoreF1(probs, labels, truth, t)
}

// scoreF1 is the micro- and macro-F1 of t's decisions on probabilities
// (n × labels) against the truth, macro over the labels in the truth or
// the decisions.
func scoreF1(probs []float64, labels int, truth [][]int32, t *Thresholds) F1Summary {
	tp, fp, fn := make([]int, labels), make([]int, labels), make([]int, labels)
	var set []int
	for i, want := range truth {
		set = t.Decide(probs[i*labels:(i+1)*labels], set[:0])
		for _, k := range set {
			if slices.Contains(want, int32(k)) {
				tp[k]++
			} else {
				fp[k]++
			}
		}
		for _, k := range want {
			if !slices.Contains(set, int(k)) {
				fn[k]++
			}
		}
	}
	var s F1Summary
	var TP, FP, FN, present int
	for k := range labels {
		TP, FP, FN = TP+tp[k], FP+fp[k], FN+fn[k]
		if tp[k]+fp[k]+fn[k] > 0 {
			present++
			s.MacroF1 += 2 * float64(tp[k]) / float64(2*tp[k]+fp[k]+fn[k])
		}
	}
	if present > 0 {
		s.MacroF1 /= float64(present)
	}
	if TP+FP+FN > 0 {
		s.MicroF1 = 2 * float64(TP) / float64(2*TP+FP+FN)
	}
	return s
}
