package pipeline

import (
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
	Loss       float64                   // mean
	Predicted  []int                     // class per example (classification)
	Truth      []int                     // true class per example (classification)
	Outputs    []float64                 // rows × outputs
}

// score runs net over every row of x and compares with y.
func score(net *mlp.Network, x *sparse.Matrix, y mlp.Targets, classes int) *Scores {
	var ws mlp.Workspace
	k := net.Spec().Outputs
	s := &Scores{Predicted: make([]int, x.Rows), Outputs: make([]float64, 0, x.Rows*k)}
	rows := make([]int, 0, evalBatch)
	var out []float64
	var lossSum float64
	for lo := 0; lo < x.Rows; lo += evalBatch {
		rows = rows[:0]
		for r := lo; r < min(x.Rows, lo+evalBatch); r++ {
			rows = append(rows, r)
		}
		var l float64
		out, l = net.Evaluate(x, y, rows, out, &ws)
		lossSum += l
		for i, r := range rows {
			s.Predicted[r] = net.Decide(out[i*k : (i+1)*k])
		}
		s.Outputs = append(s.Outputs, out...)
	}
	s.Loss = lossSum / float64(max(1, x.Rows))
	if net.Spec().Regression {
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
	return s
}

// Score vectorizes labelled examples with the model and scores them.
func Score(m *model.Model, e *data.Examples) (*Scores, error) {
	y, err := targets(e, m.Labels, m.Net.Spec().Regression)
	if err != nil {
		return nil, err
	}
	x, _ := Encode(m.Vectorizer, e)
	return score(m.Net, x, y, len(m.Labels)), nil
}
