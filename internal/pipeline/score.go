package pipeline

import (
	"github.com/dlc-dev/dlc/internal/calibrate"
	"github.com/dlc-dev/dlc/internal/data"
	"github.com/dlc-dev/dlc/internal/metrics"
	"github.com/dlc-dev/dlc/internal/mlp"
	"github.com/dlc-dev/dlc/internal/model"
	"github.com/dlc-dev/dlc/internal/sparse"
	"github.com/dlc-dev/dlc/internal/vectorize"
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
	if f.net().Spec().MultiLabel {
		return scoreMulti(f, nil, x, y)
	}
	sc := newScoring(f, classes, x.Rows)
	sc.add(x, y)
	return sc.done()
}

// scoring is score taken a piece of the rows at a time (single-label
// models): add each piece in order, then done. Only the outputs are kept,
// not the rows, so a split can be encoded and scored piece by piece.
type scoring struct {
	f          *forward
	classes    int
	regression bool
	s          *Scores
	lossSum    float64
	values     []float64 // regression: the true values, in order
	rows       []int
}

// newScoring starts scoring with the networks of f, for a model of the
// given classes, on about n rows.
func newScoring(f *forward, classes, n int) *scoring {
	k := f.net().Spec().Outputs
	sc := &scoring{f: f, classes: classes, regression: f.net().Spec().Regression, rows: make([]int, 0, evalBatch)}
	sc.s = &Scores{Predicted: make([]int, 0, n), Outputs: make([]float64, 0, n*k)}
	if !sc.regression {
		sc.s.Probs = make([]float64, 0, n*classes)
		sc.s.Truth = make([]int, 0, n)
	}
	return sc
}

// add scores the rows of x against y, whose truths are x's rows'.
func (sc *scoring) add(x *sparse.Matrix, y mlp.Targets) {
	f, s := sc.f, sc.s
	net, cal := f.net(), f.cal
	k := net.Spec().Outputs
	for lo := 0; lo < x.Rows; lo += evalBatch {
		rows := sc.rows[:0]
		for r := lo; r < min(x.Rows, lo+evalBatch); r++ {
			rows = append(rows, r)
		}
		out, l := f.evaluate(x, y, rows)
		sc.lossSum += l
		s.Outputs = append(s.Outputs, out...)
		if sc.regression {
			continue
		}
		for i := range rows {
			if cal == nil {
				s.Predicted = append(s.Predicted, net.Decide(out[i*k:(i+1)*k]))
				s.Probs = f.uncalibrated(i, s.Probs)
				continue
			}
			start := len(s.Probs)
			s.Probs = f.answer(i, s.Probs)
			s.Predicted = append(s.Predicted, argmax(s.Probs[start:]))
		}
	}
	if sc.regression {
		sc.values = append(sc.values, y.Value[:x.Rows]...)
		return
	}
	for _, c := range y.Class[:x.Rows] {
		s.Truth = append(s.Truth, int(c))
	}
}

// done summarizes the rows added.
func (sc *scoring) done() *Scores {
	s := sc.s
	n := len(s.Outputs) / sc.f.net().Spec().Outputs
	s.Loss = sc.lossSum / float64(max(1, n))
	if sc.regression {
		r := metrics.Regression(sc.values, s.Outputs)
		s.Regression, s.Predicted = &r, nil
		s.Report.N = r.N
		return s
	}
	s.Report = metrics.Classification(s.Truth, s.Predicted, sc.classes)
	s.Quality = calibrate.Measure(s.Probs, sc.classes, s.Truth)
	s.Bins = calibrate.Reliability(s.Probs, sc.classes, s.Truth)
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
	if e.Streamed != nil && !m.MultiLabel() {
		if enc, ok := e.Streamed.Value.(*encodedText); ok && enc.v == m.Vectorizer && enc.x == nil {
			return scorePieces(m, enc.pieces, y), nil
		}
	}
	x, _ := Encode(m.Vectorizer, e)
	return scoreModel(m, x, y), nil
}

// scorePieces is scoreModel of a single-label model on the rows of pieces,
// in order, without joining them (see pieceScoring).
func scorePieces(m *model.Model, pieces []*sparse.Matrix, y mlp.Targets) *Scores {
	n := 0
	for _, p := range pieces {
		n += p.Rows
	}
	sc := newScoring(modelForward(m), len(m.Labels), n)
	ps := sc.inPieces(m.Vectorizer, y, n)
	for _, p := range pieces {
		ps.add(p)
	}
	ps.flush()
	return sc.done()
}

// pieceScoring hands a scoring rows that come in pieces of any size: they
// are copied into one reused matrix and scored evalBatch at a time, the
// groups score takes from joined rows, so that the loss is summed in the
// same groups and comes out with the same bits, and no piece is joined
// into fresh memory.
type pieceScoring struct {
	sc     *scoring
	y      mlp.Targets
	n      int // the rows y holds truths for
	batch  *sparse.Matrix
	scored int // the rows taken so far
}

// inPieces starts taking the rows of v's encoding in pieces, against the
// n truths of y.
func (sc *scoring) inPieces(v *vectorize.Vectorizer, y mlp.Targets, n int) *pieceScoring {
	return &pieceScoring{sc: sc, y: y, n: n, batch: sparse.New(v.Features(), v.Binary())}
}

// add takes x's rows, scoring each whole batch.
func (ps *pieceScoring) add(x *sparse.Matrix) {
	for r := range x.Rows {
		ps.batch.AppendRow(x.Row(r))
		if ps.batch.Rows == evalBatch {
			ps.flush()
		}
	}
}

// flush scores the rows taken and not yet scored. Rows beyond the n truths
// (a file that grew since its labels were read) are counted, not scored:
// the caller refuses the split.
func (ps *pieceScoring) flush() {
	if ps.batch.Rows == 0 {
		return
	}
	if hi := ps.scored + ps.batch.Rows; hi <= ps.n {
		ps.sc.add(ps.batch, mlp.Targets{Class: sliceOrNil(ps.y.Class, ps.scored, hi), Value: sliceOrNil(ps.y.Value, ps.scored, hi)})
	}
	ps.scored += ps.batch.Rows
	ps.batch.Reset()
}

// scoreModel scores m on the encoded rows x against y with all its
// networks (a multi-label model with its thresholds).
func scoreModel(m *model.Model, x *sparse.Matrix, y mlp.Targets) *Scores {
	if m.MultiLabel() {
		return scoreMulti(modelForward(m), m.Thresholds, x, y)
	}
	return score(modelForward(m), x, y, len(m.Labels))
}
