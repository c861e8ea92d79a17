package pipeline

import (
	"fmt"

	"github.com/dlc-dev/dlc/internal/data"
	"github.com/dlc-dev/dlc/internal/metrics"
	"github.com/dlc-dev/dlc/internal/mlp"
	"github.com/dlc-dev/dlc/internal/model"
)

// Evaluation is a classifier scored on labelled examples, its decisions
// made with a threshold when one is set.
type Evaluation struct {
	*Scores
	// ROCAUC is that of the second label's score, for two-label models
	// whose data holds both labels (HasROCAUC).
	ROCAUC    float64
	HasROCAUC bool
	// Correct says, per example, whether the model got it right.
	Correct []bool
}

// Evaluate scores the classifier m on e, deciding with t.
func Evaluate(m *model.Model, e *data.Examples, t Threshold) (*Evaluation, error) {
	s, err := Score(m, e)
	if err != nil {
		return nil, err
	}
	if m.MultiLabel() {
		return evaluateMulti(m, s, t), nil
	}
	k, labels := m.Net.Spec().Outputs, len(m.Labels)
	truth := s.Truth
	// The scores answers are given with: the calibrated probabilities, or
	// the network's own class scores (what predict prints).
	var buf []float64
	answer := func(i int) []float64 {
		if m.Calibration != nil {
			return s.Probs[i*labels : (i+1)*labels]
		}
		buf = classScores(m.Net, s.Outputs[i*k:(i+1)*k], buf[:0])
		return buf
	}
	if t.Set {
		for i := range s.Predicted {
			s.Predicted[i] = t.decide(m, s.Outputs[i*k:(i+1)*k], answer(i))
		}
		s.Report = metrics.Classification(truth, s.Predicted, labels)
	}
	ev := &Evaluation{Scores: s, Correct: make([]bool, len(truth))}
	if labels == 2 {
		pos := make([]bool, len(truth))
		scores := make([]float64, len(truth))
		for i := range truth {
			pos[i] = truth[i] == 1
			scores[i] = answer(i)[1]
		}
		ev.ROCAUC, ev.HasROCAUC = metrics.ROCAUC(pos, scores)
	}
	for i := range truth {
		ev.Correct[i] = s.Predicted[i] == truth[i]
	}
	return ev, nil
}

// The verdicts of Compare.
const (
	Better = "better"
	Worse  = "worse"
	Same   = "no significant difference"
)

// Comparison is a model set against a baseline on the same examples.
type Comparison struct {
	// McNemar's test on the examples exactly one of the two got right:
	// OnlyA counts the model's, OnlyB the baseline's.
	McNemar metrics.McNemarResult
	// Randomization is the paired test of two multi-label models'
	// micro-F1 (CompareMulti), which then decides the verdict.
	Randomization *metrics.RandomizationResult
	// Verdict is Better or Worse when the test's p-value is below alpha,
	// else Same.
	Verdict string
}

// Compare tests whether a model (correct) and a baseline (baseCorrect),
// right or wrong on the same examples, differ at significance level alpha.
func Compare(correct, baseCorrect []bool, alpha float64) Comparison {
	var onlyModel, onlyBase int
	for i, c := range correct {
		switch {
		case c && !baseCorrect[i]:
			onlyModel++
		case !c && baseCorrect[i]:
			onlyBase++
		}
	}
	c := Comparison{McNemar: metrics.McNemar(onlyModel, onlyBase), Verdict: Same}
	if c.McNemar.P < alpha {
		// The accuracy difference is (onlyModel − onlyBase) / n: its sign
		// is the direction of the discordant split.
		if onlyModel > onlyBase {
			c.Verdict = Better
		} else {
			c.Verdict = Worse
		}
	}
	return c
}

// ThresholdRow is one cut of a two-label model's probability of its second
// label: what predicting it from that probability on would give.
type ThresholdRow struct {
	Threshold float64 `json:"threshold"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	// Predicted is how many examples it would predict as the second label.
	Predicted int `json:"predicted"`
}

// Thresholds tabulates precision, recall and F1 of a two-label model's
// second label when it is predicted from probability t on, for t = 0.05,
// 0.10, ..., 0.95: the table to pick a --threshold from. It is nil for
// models that do not answer with probabilities, and for more labels.
func Thresholds(m *model.Model, ev *Evaluation) []ThresholdRow {
	if len(m.Labels) != 2 || !probabilities(m) || m.MultiLabel() {
		return nil
	}
	n := len(ev.Truth)
	var positives int
	for _, t := range ev.Truth {
		if t == 1 {
			positives++
		}
	}
	var rows []ThresholdRow
	for step := 1; step < 20; step++ {
		t := float64(step) / 20
		r := ThresholdRow{Threshold: t}
		var tp int
		for i := range n {
			if ev.Probs[2*i+1] >= t {
				r.Predicted++
				if ev.Truth[i] == 1 {
					tp++
				}
			}
		}
		if r.Predicted > 0 {
			r.Precision = float64(tp) / float64(r.Predicted)
		}
		if positives > 0 {
			r.Recall = float64(tp) / float64(positives)
		}
		if r.Precision+r.Recall > 0 {
			r.F1 = 2 * r.Precision * r.Recall / (r.Precision + r.Recall)
		}
		rows = append(rows, r)
	}
	return rows
}

// ProbabilitiesAre says what a model's probabilities are, for reports.
func ProbabilitiesAre(m *model.Model) string {
	switch {
	case m.Calibration != nil && len(m.Members) > 1:
		return fmt.Sprintf("calibrated: %s, the mean of the %d networks' calibrated probabilities", m.Calibration, len(m.Members))
	case len(m.Members) > 1 && m.Net.Spec().Output == mlp.Linear:
		return fmt.Sprintf("not calibrated: the mean of the %d networks' softmaxes of their scores", len(m.Members))
	case len(m.Members) > 1:
		return fmt.Sprintf("not calibrated: the mean of the %d networks' %s outputs", len(m.Members), m.Net.Spec().Output)
	case m.Calibration != nil:
		return "calibrated: " + m.Calibration.String()
	case m.Net.Spec().Output == mlp.Linear:
		return "not calibrated: the softmax of the network's scores"
	}
	return "not calibrated: the network's " + string(m.Net.Spec().Output) + " outputs"
}
