package pipeline

import (
	"fmt"
	"math"

	"github.com/dlc-dev/dlc/internal/mlp"
	"github.com/dlc-dev/dlc/internal/option"
)

// classScores turns one output row into a score per class. A single output
// unit scores class 1; class 0 gets its complement: 1 − p for outputs
// decided at 0.5 (probabilities, 0/1 targets), −s for margins decided at 0
// (hinge).
func classScores(net *mlp.Network, out []float64, dst []float64) []float64 {
	dst = dst[:0]
	if len(out) > 1 {
		return append(dst, out...)
	}
	a := out[0]
	if net.Threshold() == 0 {
		return append(dst, -a, a)
	}
	return append(dst, 1-a, a)
}

// positiveScore is a two-label model's score for its second label (the
// "positive" one, as a sigmoid output scores it): what a threshold is
// compared with and what ROC AUC ranks.
func positiveScore(out []float64) float64 {
	if len(out) == 1 {
		return out[0]
	}
	return out[1]
}

// Threshold is a decision threshold for two-label models: with Set, the
// second label is predicted when its score reaches Value.
type Threshold struct {
	Set   bool
	Value float64
}

// Check reports a threshold that cannot apply to net with labels: models
// with more than two labels have no single score to cut, and probabilities
// live in [0, 1]. The error is an *option.Error named "threshold", which
// the command line calls --threshold.
func (t Threshold) Check(net *mlp.Network, labels []string) error {
	if !t.Set {
		return nil
	}
	if len(labels) != 2 {
		return option.Errorf("threshold", "works on models with two labels; this model has %d (top-k shows the runners-up)", len(labels))
	}
	if math.IsNaN(t.Value) || math.IsInf(t.Value, 0) {
		return option.Errorf("threshold", "must be a number, not %v", t.Value)
	}
	if net.Spec().Output != mlp.Linear && (t.Value < 0 || t.Value > 1) {
		return option.Errorf("threshold", "is compared with the probability of %q, so it must be between 0 and 1, not %v", labels[1], t.Value)
	}
	return nil
}

// Decide returns the class of one output row: the net's own decision, or
// with a threshold, class 1 when its score reaches the threshold.
func (t Threshold) Decide(net *mlp.Network, out []float64) int {
	if !t.Set {
		return net.Decide(out)
	}
	if positiveScore(out) >= t.Value {
		return 1
	}
	return 0
}

// Describe says what the threshold is compared with, for reports.
func (t Threshold) Describe(net *mlp.Network, labels []string) string {
	what := "p(%s)"
	if net.Spec().Output == mlp.Linear {
		what = "the score of %s"
	}
	return fmt.Sprintf("%s ≥ %g", fmt.Sprintf(what, labels[1]), t.Value)
}
