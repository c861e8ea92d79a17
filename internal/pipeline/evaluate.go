package pipeline

import (
	"github.com/dlc-dev/dlc/internal/data"
	"github.com/dlc-dev/dlc/internal/metrics"
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
	k := m.Net.Spec().Outputs
	truth := s.Truth
	if t.Set {
		for i := range s.Predicted {
			s.Predicted[i] = t.Decide(m.Net, s.Outputs[i*k:(i+1)*k])
		}
		s.Report = metrics.Classification(truth, s.Predicted, len(m.Labels))
	}
	ev := &Evaluation{Scores: s, Correct: make([]bool, len(truth))}
	if len(m.Labels) == 2 {
		pos := make([]bool, len(truth))
		scores := make([]float64, len(truth))
		for i := range truth {
			pos[i] = truth[i] == 1
			scores[i] = positiveScore(s.Outputs[i*k : (i+1)*k])
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
