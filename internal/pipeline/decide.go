package pipeline

import (
	"fmt"
	"math"

	"github.com/dlc-dev/dlc/internal/mlp"
	"github.com/dlc-dev/dlc/internal/model"
	"github.com/dlc-dev/dlc/internal/option"
)

// classScores appends one output row's score per class to dst. A single
// output unit scores class 1; class 0 gets its complement: 1 − p for
// outputs decided at 0.5 (probabilities, 0/1 targets), −s for margins
// decided at 0 (hinge).
func classScores(net *mlp.Network, out []float64, dst []float64) []float64 {
	if len(out) > 1 {
		return append(dst, out...)
	}
	a := out[0]
	if net.Threshold() == 0 {
		return append(dst, -a, a)
	}
	return append(dst, 1-a, a)
}

// calibrationScore returns what a network's output-layer sums z are
// calibrated from: z itself, but for one linear output decided at 0.5 (MSE
// on 0/1 targets) z − 0.5, so that the score is 0 where the network's
// decision turns, as it is for a logit or a hinge's margin: temperature
// scaling then keeps every decision.
func calibrationScore(net *mlp.Network, z []float64, buf *[1]float64) []float64 {
	if len(z) == 1 && net.Spec().Output == mlp.Linear && net.Threshold() != 0 {
		buf[0] = z[0] - net.Threshold()
		return buf[:]
	}
	return z
}

// Threshold is a decision threshold for two-label models: with Set, the
// second label is predicted when its score (its probability, for a
// calibrated model or a sigmoid or softmax output) reaches Value.
type Threshold struct {
	Set   bool
	Value float64
}

// probabilities reports whether m answers with probabilities, which a
// threshold must then lie within.
func probabilities(m *model.Model) bool {
	return m.Calibration != nil || m.Net.Spec().Output != mlp.Linear
}

// Check reports a threshold that cannot apply to m: models with more than
// two labels have no single score to cut, and probabilities live in
// [0, 1]. The error is an *option.Error named "threshold", which the
// command line calls --threshold.
func (t Threshold) Check(m *model.Model) error {
	if !t.Set {
		return nil
	}
	if len(m.Labels) != 2 && !m.MultiLabel() {
		return option.Errorf("threshold", "works on models with two labels, or several labels per text; this model has %d classes, one per text (top-k shows the runners-up)", len(m.Labels))
	}
	if math.IsNaN(t.Value) || math.IsInf(t.Value, 0) {
		return option.Errorf("threshold", "must be a number, not %v", t.Value)
	}
	if probabilities(m) && (t.Value < 0 || t.Value > 1) {
		if m.MultiLabel() {
			return option.Errorf("threshold", "is compared with the probability of each label, so it must be between 0 and 1, not %v", t.Value)
		}
		return option.Errorf("threshold", "is compared with the probability of %q, so it must be between 0 and 1, not %v", m.Labels[1], t.Value)
	}
	return nil
}

// decide returns the label of one example from the network's outputs and
// the scores the model answers with: the threshold's decision when one is
// set, else the most probable label of a calibrated model, else the
// network's own decision.
func (t Threshold) decide(m *model.Model, out, scores []float64) int {
	switch {
	case t.Set:
		if scores[1] >= t.Value {
			return 1
		}
		return 0
	case m.Calibration != nil:
		return argmax(scores)
	}
	return m.Net.Decide(out)
}

// Describe says what the threshold is compared with, for reports.
func (t Threshold) Describe(m *model.Model) string {
	if m.MultiLabel() {
		what := "p(label)"
		if !probabilities(m) {
			what = "the score of each label"
		}
		return fmt.Sprintf("%s ≥ %g for every label", what, t.Value)
	}
	what := "p(%s)"
	if !probabilities(m) {
		what = "the score of %s"
	}
	return fmt.Sprintf("%s ≥ %g", fmt.Sprintf(what, m.Labels[1]), t.Value)
}
