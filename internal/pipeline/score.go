package pipeline

import (
	"github.com/dlc-dev/dlc/internal/calibrate"
	"github.com/dlc-dev/dlc/internal/data"
	"github.com/dlc-dev/dlc/internal/metrics"
	"github.com/dlc-dev/dlc/internal/mlp"
	"github.com/dlc-dev/dlc/internal/model"
	"github.com/dlc-dev/dlc/internal/sparse"
)

// evalBatch is how many rows one forward pass of scoring takes.
const evalBatch = 1024

// Scores are a model's outputs on a data set and their summary.
type Scores struct {
	Report     metrics.Report            // classification
	Regression *metrics.RegressionReport // regression models only
	Loss       float64                   // mean, of the network's own loss
	Predicted  []int                     // class per example (classification)
	Truth      []int                     // true class per example (classification)
	Outputs    []float64                 // rows × outputs: the network's
	// Probs are the probabilities the model answers with (rows × labels,
	// classification): calibrated when the model is, else the network's
	// sigmoid or softmax outputs, or for linear outputs the plain softmax
	// of its scores. Quality and Bins measure them.
	Probs   []float64
	Quality calibrate.Quality
	Bins    []calibrate.Bin
	// A multi-label model's scores: its report (Report then holds only
	// N, Accuracy — the subset accuracy — and MacroF1), the scores it
	// answers with (rows × labels: calibrated probabilities, or the
	// network's outputs), and the labels it gave and the true ones of
	// each example, most probable first and in label order.
	Multi           *metrics.MultiLabelReport
	Answers         []float64
	Sets, TruthSets [][]int
}

// score runs the networks of f over every row of x and compares with y; a
// calibrator turns the networks' scores into the probabilities that
// decide.
func score(f *forward, x *sparse.Matrix, y mlp.Targets, classes int) *Scores {
	net, cal := f.net(), f.cal
	if net.Spec().MultiLabel {
		return scoreMulti(f, nil, x, y)
	}
	k := net.Spec().Outputs
	s := &Scores{Predicted: make([]int, x.Rows), Outputs: make([]float64, 0, x.Rows*k)}
	regression := net.Spec().Regression
	if !regression {
		s.Probs = make([]float64, 0, x.Rows*classes)
	}
	rows := make([]int, 0, evalBatch)
	var lossSum float64
	for lo := 0; lo < x.Rows; lo += evalBatch {
		rows = rows[:0]
		for r := lo; r < min(x.Rows, lo+evalBatch); r++ {
			rows = append(rows, r)
		}
		out, l := f.evaluate(x, y, rows)
		lossSum += l
		s.Outputs = append(s.Outputs, out...)
		if regression {
			continue
		}
		for i, r := range rows {
			if cal == nil {
				s.Predicted[r] = net.Decide(out[i*k : (i+1)*k])
				s.Probs = f.uncalibrated(i, s.Probs)
				continue
			}
			start := len(s.Probs)
			s.Probs = f.answer(i, s.Probs)
			s.Predicted[r] = argmax(s.Probs[start:])
		}
	}
	s.Loss = lossSum / float64(max(1, x.Rows))
	if regression {
		r := metrics.Regression(y.Value, s.Outputs)
		s.Regression, s.Predicted = &r, nil
		s.Report.N = r.N
		return s
	}
	s.Truth = make([]int, x.Rows)
	for i, c := range y.Class {
		s.Truth[i] = int(c)
	}
	s.Report = metrics.Classification(s.Truth, s.Predicted, classes)
	s.Quality = calibrate.Measure(s.Probs, classes, s.Truth)
	s.Bins = calibrate.Reliability(s.Probs, classes, s.Truth)
	return s
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

// Score vectorizes labelled examples with the model and scores them.
func Score(m *model.Model, e *data.Examples) (*Scores, error) {
	y, err := targets(e, m.Labels, m.Net.Spec().Regression)
	if err != nil {
		return nil, err
	}
	x, _ := Encode(m.Vectorizer, e)
	return scoreModel(m, x, y), nil
}

// scoreModel scores m on the encoded rows x against y with all its
// networks (a multi-label model with its thresholds).
func scoreModel(m *model.Model, x *sparse.Matrix, y mlp.Targets) *Scores {
	if m.MultiLabel() {
		return scoreMulti(modelForward(m), m.Thresholds, x, y)
	}
	return score(modelForward(m), x, y, len(m.Labels))
}
