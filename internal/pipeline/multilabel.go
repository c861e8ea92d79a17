package pipeline

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/dlc-dev/dlc/internal/calibrate"
	"github.com/dlc-dev/dlc/internal/checkpoint"
	"github.com/dlc-dev/dlc/internal/data"
	"github.com/dlc-dev/dlc/internal/metrics"
	"github.com/dlc-dev/dlc/internal/mlp"
	"github.com/dlc-dev/dlc/internal/model"
	"github.com/dlc-dev/dlc/internal/sparse"
)

// A multi-label model (data.task multilabel) gives a text any number of its
// labels: its network has an output per label (mlp.Spec.MultiLabel), its
// probabilities are calibrated by one temperature shared by the labels, and
// its decisions are made by per-label thresholds (calibrate.Thresholds),
// both fitted on training examples held out of networks trained without
// them, by the machinery that calibrates single-label models
// (calibration.go): calibration.holdout or calibration.folds say which,
// and calibration.method none keeps the network's outputs and each
// label's natural cut.

// multiTargets maps each example's labels to label indices: row i of
// Multi holds example i's, in increasing order.
func multiTargets(e *data.Examples, classes []string) (mlp.Targets, error) {
	index := make(map[string]int32, len(classes))
	for i, c := range classes {
		index[c] = int32(i)
	}
	m := sparse.New(len(classes), true)
	var row []int32
	for i, set := range e.LabelSets {
		row = row[:0]
		for _, l := range set {
			c, ok := index[l]
			if !ok {
				return mlp.Targets{}, fmt.Errorf("%s has label %s, which the model does not know (it knows %s)", e.Where(i), data.Quote(l), data.QuoteList(classes, 10))
			}
			row = append(row, c)
		}
		slices.Sort(row)
		m.AppendRow(row, nil)
	}
	return mlp.Targets{Multi: m}, nil
}

// labelCounts returns the fewest and the most labels any row of y has.
func labelCounts(y *sparse.Matrix) (least, most int) {
	least = math.MaxInt
	for i := range y.Rows {
		n := y.Indptr[i+1] - y.Indptr[i]
		least, most = min(least, n), max(most, n)
	}
	if y.Rows == 0 {
		least = 0
	}
	return least, most
}

// rarestLabels returns each row's stratum for the draws that hold examples
// out (validation, calibration): its rarest label (by count in y; the
// lowest index of equally rare ones), or y.Cols for a row of no label. The
// labels that few examples have are then spread over the parts as a
// single-label draw spreads its classes.
func rarestLabels(y *sparse.Matrix) []int32 {
	count := make([]int, y.Cols)
	for _, c := range y.Indices {
		count[c]++
	}
	out := make([]int32, y.Rows)
	for i := range y.Rows {
		idx, _ := y.Row(i)
		out[i] = int32(y.Cols)
		for _, c := range idx {
			if out[i] == int32(y.Cols) || count[c] < count[out[i]] {
				out[i] = c
			}
		}
	}
	return out
}

// rarestLabelNames is rarestLabels for examples not yet mapped to label
// indices (the validation split is drawn before the classes are known):
// each example's rarest label by name, "" for none.
func rarestLabelNames(e *data.Examples) []string {
	count := map[string]int{}
	for _, set := range e.LabelSets {
		for _, l := range set {
			count[l]++
		}
	}
	out := make([]string, len(e.LabelSets))
	for i, set := range e.LabelSets {
		for _, l := range set {
			if out[i] == "" || count[l] < count[out[i]] || count[l] == count[out[i]] && l < out[i] {
				out[i] = l
			}
		}
	}
	return out
}

// multiShift is what multiScore takes off a multi-label network's output
// sums so that each is 0 where its label's natural decision turns: 0 for
// the logit of a sigmoid and the margin of a hinge, 0.5 for mse's 0/1
// targets on a linear output.
func multiShift(net *mlp.Network) float64 {
	if net.Spec().Output == mlp.Linear {
		return net.Threshold()
	}
	return 0
}

// multiScore appends a multi-label network's scores to dst (its output
// sums z less multiShift): what temperature scaling divides.
func multiScore(net *mlp.Network, z []float64, dst []float64) []float64 {
	shift := multiShift(net)
	for _, v := range z {
		dst = append(dst, v-shift)
	}
	return dst
}

// multiAnswer appends the scores a multi-label model answers with: the
// calibrated probabilities, else the network's outputs (probabilities of
// sigmoids, margins or values of a linear output).
func multiAnswer(net *mlp.Network, cal *calibrate.Calibrator, out, z []float64, dst []float64) []float64 {
	if cal == nil {
		return append(dst, out...)
	}
	shift := multiShift(net)
	for _, v := range z {
		one := [1]float64{v - shift}
		dst = cal.Apply(one[:], dst)
	}
	return dst
}

// multiProbs appends the probabilities a multi-label model's quality is
// measured with: the answer's when it answers with probabilities, else
// σ of the scores of a linear output.
func multiProbs(net *mlp.Network, cal *calibrate.Calibrator, out, z []float64, dst []float64) []float64 {
	if cal != nil || net.Spec().Output != mlp.Linear {
		return multiAnswer(net, cal, out, z, dst)
	}
	start := len(dst)
	dst = multiScore(net, z, dst)
	for i := start; i < len(dst); i++ {
		dst[i] = 1 / (1 + math.Exp(-dst[i]))
	}
	return dst
}

// naturalThresholds are the decision rule of a multi-label network whose
// thresholds were not tuned: every label at its natural cut (of the
// calibrated probability ½, else the network's own: ½ for sigmoids and
// mse, 0 for a hinge's margins), between the fewest and the most labels a
// training example has.
func naturalThresholds(net *mlp.Network, calibrated bool, y *sparse.Matrix) *calibrate.Thresholds {
	least, most := labelCounts(y)
	cut := net.Threshold()
	if calibrated {
		cut = 0.5
	}
	return &calibrate.Thresholds{Cut: cut, MinLabels: least, MaxLabels: most}
}

// fitMultiLabel fits a multi-label model's calibration (one temperature)
// and tunes its thresholds, both on training examples scored by networks
// trained without them. With sv it saves checkpoints of its progress; from
// a checkpoint of the calibrating stage it goes on where that one stood.
func fitMultiLabel(ctx context.Context, plan *Plan, net *mlp.Network, x *sparse.Matrix, y mlp.Targets, h Hooks, from *model.Model, sv *saver, resume *checkpoint.Checkpoint) (*calibrate.Calibrator, *calibrate.Thresholds, error) {
	opts := plan.Config.CalibrationOptions()
	k := y.Multi.Cols
	scores := calibrate.MultiScores{Labels: k}
	var uncal []float64
	// truths is scores.Truth as a checkpoint holds it: each example's
	// number of labels, then its labels.
	var truths []int
	hc := &heldCheckpoint{sv: sv, resume: resume,
		progress: func(part, parts int) *checkpoint.Calibration {
			return &checkpoint.Calibration{Part: part, Parts: parts, Z: scores.Z, Truth: truths, Uncal: uncal}
		},
		restore: func(c *checkpoint.Calibration, held int) error {
			sets, err := resumeMultiCalibration(c, held, k)
			if err != nil {
				return err
			}
			scores.Z, scores.Truth, truths, uncal = slices.Clone(c.Z), sets, slices.Clone(c.Truth), slices.Clone(c.Uncal)
			return nil
		}}
	held, err := eachHeldOut(ctx, plan, x, y, rarestLabels(y.Multi), k+1, h, from, func(n *mlp.Network, r int, out, z []float64) {
		scores.Z = multiScore(n, z, scores.Z)
		idx, _ := y.Multi.Row(r)
		scores.Truth = append(scores.Truth, idx)
		truths = append(truths, len(idx))
		for _, l := range idx {
			truths = append(truths, int(l))
		}
		uncal = multiProbs(n, nil, out, z, uncal)
	}, hc, nil)
	if err != nil {
		return nil, nil, err
	}
	return fitMultiScores(opts.Method, net, &scores, uncal, y.Multi, heldOutWhat(held, x.Rows, opts))
}

// resumeMultiCalibration checks the scores a checkpoint's calibration of a
// multi-label model holds of the parts it had done (labels scores and
// probabilities per held-out example, and its labels, increasing and in
// range, each example's after their number) and returns its examples'
// labels.
func resumeMultiCalibration(c *checkpoint.Calibration, held, labels int) ([][]int32, error) {
	if len(c.Z) != held*labels || len(c.Uncal) != held*labels {
		return nil, fmt.Errorf("the checkpoint's calibration holds %d scores and %d probabilities for %d held-out examples of %d labels", len(c.Z), len(c.Uncal), held, labels)
	}
	sets := make([][]int32, 0, held)
	for i := 0; i < len(c.Truth); {
		n := c.Truth[i]
		if n < 0 || n > labels || n > len(c.Truth)-i-1 || len(sets) == held {
			return nil, fmt.Errorf("the checkpoint's calibration holds malformed labels at %d of %d", i, len(c.Truth))
		}
		set := make([]int32, n)
		for j := range set {
			l := c.Truth[i+1+j]
			if l < 0 || l >= labels || (j > 0 && int32(l) <= set[j-1]) {
				return nil, fmt.Errorf("the checkpoint's calibration holds the labels %v of %d", c.Truth[i+1:i+1+n], labels)
			}
			set[j] = int32(l)
		}
		sets = append(sets, set)
		i += 1 + n
	}
	if len(sets) != held {
		return nil, fmt.Errorf("the checkpoint's calibration holds the labels of %d held-out examples, not %d", len(sets), held)
	}
	return sets, nil
}

// fitMultiScores fits a multi-label model's calibration of method (one
// temperature) to the scores of held-out training examples (and uncal,
// their uncalibrated probabilities) and tunes its thresholds on the
// calibrated probabilities; what says which examples those were, for the
// record. net is one of the model's networks (its decision rule), y the
// training labels (the fewest and most a text has).
func fitMultiScores(method string, net *mlp.Network, scores *calibrate.MultiScores, uncal []float64, y *sparse.Matrix, what string) (*calibrate.Calibrator, *calibrate.Thresholds, error) {
	cal, err := calibrate.FitMultiLabel(method, scores, uncal, what)
	if err != nil {
		return nil, nil, err
	}
	k := scores.Labels
	th := naturalThresholds(net, true, y)
	probs := make([]float64, 0, len(scores.Z))
	for i := range scores.N() {
		probs = cal.Apply(scores.Z[i*k:(i+1)*k], probs)
	}
	calibrate.TuneThresholds(th, probs, k, scores.Truth, what)
	return cal, th, nil
}

// scoreMulti runs a multi-label model's networks (f) over every row of x,
// decides each row's labels with th (nil: the natural cuts, between the
// fewest and most labels of y) and compares them with y.
func scoreMulti(f *forward, th *calibrate.Thresholds, x *sparse.Matrix, y mlp.Targets) *Scores {
	net, cal := f.net(), f.cal
	k := net.Spec().Outputs
	if th == nil {
		th = naturalThresholds(net, cal != nil, y.Multi)
	}
	s := &Scores{Outputs: make([]float64, 0, x.Rows*k), Probs: make([]float64, 0, x.Rows*k),
		Answers: make([]float64, 0, x.Rows*k), Sets: make([][]int, x.Rows), TruthSets: make([][]int, x.Rows)}
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
		for i, r := range rows {
			s.Probs = f.multi(i, s.Probs, multiProbs)
			start := len(s.Answers)
			s.Answers = f.answer(i, s.Answers)
			s.Sets[r] = th.Decide(s.Answers[start:], nil)
		}
	}
	s.Loss = lossSum / float64(max(1, x.Rows))
	truth := make([][]int32, x.Rows)
	for i := range x.Rows {
		idx, _ := y.Multi.Row(i)
		truth[i] = idx
		s.TruthSets[i] = make([]int, len(idx))
		for j, c := range idx {
			s.TruthSets[i][j] = int(c)
		}
	}
	s.summarizeMulti(k)
	s.Quality = calibrate.MeasureMulti(s.Probs, k, truth)
	s.Bins = calibrate.ReliabilityMulti(s.Probs, k, truth)
	return s
}

// summarizeMulti fills the multi-label report from the decided and true
// sets, and the single-label report's count and accuracy (subset
// accuracy), which training's validation and early stopping read.
func (s *Scores) summarizeMulti(k int) {
	r := metrics.MultiLabel(s.TruthSets, s.Sets, k)
	s.Multi = &r
	s.Report = metrics.Report{N: r.N, Accuracy: r.SubsetAccuracy, MacroF1: r.MacroF1}
}

// evaluateMulti is Evaluate for a multi-label model: with t set, every
// label is cut at t.Value instead of its tuned threshold.
func evaluateMulti(m *model.Model, s *Scores, t Threshold) *Evaluation {
	if t.Set {
		k := len(m.Labels)
		for i := range s.Sets {
			s.Sets[i] = m.Thresholds.DecideAt(s.Answers[i*k:(i+1)*k], t.Value, s.Sets[i][:0])
		}
		s.summarizeMulti(k)
	}
	ev := &Evaluation{Scores: s, Correct: make([]bool, len(s.Sets))}
	for i, c := range s.Multi.Counts {
		ev.Correct[i] = c.FP == 0 && c.FN == 0
	}
	return ev
}

// CompareMulti tests whether a multi-label model (ev) and a baseline
// (base), scored on the same examples, differ in micro-F1 at significance
// level alpha, by paired approximate randomization
// (metrics.MicroF1Randomization): each round swaps the two models' answers
// to each example at random, keeping an example's labels together.
func CompareMulti(ev, base *Evaluation, alpha float64) Comparison {
	r := metrics.MicroF1Randomization(ev.Multi.Counts, base.Multi.Counts, metrics.RandomizationRounds, 1)
	c := Comparison{Randomization: &r, Verdict: Same}
	if r.P < alpha {
		c.Verdict = Better
		if r.Difference < 0 {
			c.Verdict = Worse
		}
	}
	return c
}
