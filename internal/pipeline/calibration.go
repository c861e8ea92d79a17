package pipeline

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/dlc-dev/dlc/internal/calibrate"
	"github.com/dlc-dev/dlc/internal/checkpoint"
	"github.com/dlc-dev/dlc/internal/gd"
	"github.com/dlc-dev/dlc/internal/mlp"
	"github.com/dlc-dev/dlc/internal/model"
	"github.com/dlc-dev/dlc/internal/sparse"
)

// Calibration is fitted on scores of training examples by networks that
// were not trained on them — one trained without a held-out share, or one
// per fold — never on the test split, and never by the model's own
// network, whose scores of its training examples are over-confident. The
// model's network itself is trained on every example, as without
// calibration; only the map from its scores to probabilities comes from
// the others, which are trained exactly as it is (same config, same seeds)
// on less data. (Training them for as many updates as the model made,
// rather than as many epochs, calibrated worse on held-out training data
// of IMDB and R52: bench/calibration/choose.sh.)

// heldOut assigns training examples to the parts calibration holds out:
// with folds ≥ 2 every example to one of that many folds, else a share
// frac to one part. The draw is seeded and made per label (stratified);
// every label keeps at least one example in every network's training set.
func heldOut(classes []int32, nClasses int, folds int, frac float64, seed uint64) [][]int {
	rng := rand.New(rand.NewPCG(seed, 0xca1b))
	byLabel := make([][]int, max(nClasses, 1))
	for i, c := range classes {
		byLabel[c] = append(byLabel[c], i)
	}
	parts := max(folds, 1)
	out := make([][]int, parts)
	for _, idx := range byLabel {
		rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		if folds >= 2 {
			if len(idx) < 2 {
				continue // a label seen once stays in every training set
			}
			for k, i := range idx {
				out[k%folds] = append(out[k%folds], i)
			}
			continue
		}
		k := min(int(float64(len(idx))*frac+0.5), len(idx)-1)
		out[0] = append(out[0], idx[:k]...)
	}
	for _, p := range out {
		slices.Sort(p)
	}
	return out
}

// complement returns 0..n-1 without the sorted held.
func complement(n int, held []int) []int {
	out := make([]int, 0, n-len(held))
	j := 0
	for i := range n {
		if j < len(held) && held[j] == i {
			j++
			continue
		}
		out = append(out, i)
	}
	return out
}

// fitCalibration trains a network without each held-out part, scores the
// part with it, and fits the calibration of method to all those scores.
// The report of what it did goes to h.Calibrating.
//
// For a model continued from another (from), each network starts afresh
// and trains for the epochs of both runs: starting from from's weights
// would hand it the held-out examples, which from was trained on, and its
// scores on them would be those of a network that has seen them.
//
// With sv it saves checkpoints of its progress; from a checkpoint of the
// calibrating stage it goes on where that one stood.
func fitCalibration(ctx context.Context, plan *Plan, x *sparse.Matrix, y mlp.Targets, classes []string, h Hooks, from *model.Model, sv *saver, resume *checkpoint.Checkpoint) (*calibrate.Calibrator, error) {
	opts := plan.Config.CalibrationOptions()
	seed := uint64(plan.Config.Training.Seed)
	training := plan.Training
	if r := initRecord(from); r != nil {
		training.Epochs += r.Epochs
	}
	parts := heldOut(y.Class, len(classes), opts.Folds, opts.Holdout, seed)
	var scores calibrate.Scores
	var uncal []float64
	var ws mlp.Workspace
	var out []float64
	rows := make([]int, 0, evalBatch)
	held := 0
	var one [1]float64
	first := 0
	if resume != nil && resume.Stage == checkpoint.Calibrating {
		var err error
		if first, held, err = resumeCalibration(resume.Calibration, parts, &scores, len(classes)); err != nil {
			return nil, err
		}
		uncal = slices.Clone(resume.Calibration.Uncal)
	} else {
		resume = nil
	}
	for k := first; k < len(parts); k++ {
		part := parts[k]
		var st *gd.State
		if resume != nil && k == first {
			st = resume.State
		}
		if sv != nil {
			sv.cal = &checkpoint.Calibration{Part: k + 1, Parts: len(parts), Z: scores.Z, Truth: scores.Truth, Uncal: uncal}
			if st == nil {
				if err := sv.boundary(); err != nil {
					return nil, err
				}
			}
		}
		trained := complement(x.Rows, part)
		if h.Calibrating != nil {
			h.Calibrating(&CalibrationPart{Part: k + 1, Parts: len(parts), Trained: trained, Held: part})
		}
		net, err := plan.Network(x.Cols, len(classes))
		if err != nil {
			return nil, err
		}
		opt, err := plan.NewOptimizer(len(net.Params()))
		if err != nil {
			return nil, err
		}
		src := rand.NewPCG(seed, 0xd20b0a7)
		var cb gd.Callbacks
		if st != nil {
			if err := src.UnmarshalBinary(resume.Dropout); err != nil {
				return nil, fmt.Errorf("the checkpoint's dropout source: %v", err)
			}
			cb.Resume = st
		}
		if sv != nil {
			sv.dropout, cb.Checkpoint = src, sv
		}
		obj := &mlp.Objective{Net: net, X: x, Y: y, Rows: trained, Dropout: rand.New(src)}
		if _, err := gd.Train(ctx, obj, opt, training, cb); err != nil {
			return nil, err
		}
		k := net.Spec().Outputs
		scores.K = k
		for lo := 0; lo < len(part); lo += evalBatch {
			rows = append(rows[:0], part[lo:min(len(part), lo+evalBatch)]...)
			out = net.Predict(x, rows, out, &ws)
			z := ws.Logits(len(out))
			for i, r := range rows {
				scores.Z = append(scores.Z, calibrationScore(net, z[i*k:(i+1)*k], &one)...)
				scores.Truth = append(scores.Truth, int(y.Class[r]))
				uncal = uncalibrated(net, out[i*k:(i+1)*k], z[i*k:(i+1)*k], uncal)
			}
		}
		held += len(part)
	}
	scores.Labels = len(classes)
	what := fmt.Sprintf("%d training examples held out of a network trained on the other %d", held, x.Rows-held)
	if opts.Folds >= 2 {
		what = fmt.Sprintf("%d training examples, each scored by one of %d networks trained without its fold (cross-fitting)", held, opts.Folds)
	}
	return calibrate.Fit(opts.Method, &scores, uncal, what)
}

// uncalibrated appends the probabilities a network gives without
// calibration: its sigmoid or softmax outputs, or for linear outputs
// (margins) the plain softmax of its scores — what one would read as
// probabilities without calibration.
func uncalibrated(net *mlp.Network, out, z []float64, dst []float64) []float64 {
	spec := net.Spec()
	if spec.Output != mlp.Linear {
		return classScores(net, out, dst)
	}
	c := calibrate.Calibrator{Method: calibrate.Temperature, Temperature: 1, Labels: max(2, len(z))}
	var buf [1]float64
	return c.Apply(calibrationScore(net, z, &buf), dst)
}

// resumeCalibration takes the scores of the parts a checkpoint's
// calibration had done into scores, checking that they are what those
// parts give, and returns the part to go on with and the examples held
// out so far.
func resumeCalibration(c *checkpoint.Calibration, parts [][]int, scores *calibrate.Scores, labels int) (first, held int, err error) {
	if c.Parts != len(parts) || c.Part < 1 || c.Part > len(parts) {
		return 0, 0, fmt.Errorf("the checkpoint's calibration is at network %d of %d, and the config makes %d", c.Part, c.Parts, len(parts))
	}
	first = c.Part - 1
	for _, p := range parts[:first] {
		held += len(p)
	}
	if len(c.Truth) != held || (held > 0 && len(c.Z)%held != 0) || (held == 0 && len(c.Z) != 0) {
		return 0, 0, fmt.Errorf("the checkpoint's calibration holds %d truths and %d scores for %d held-out examples", len(c.Truth), len(c.Z), held)
	}
	for _, t := range c.Truth {
		if t < 0 || t >= max(labels, 1) {
			return 0, 0, fmt.Errorf("the checkpoint's calibration holds the label %d of %d", t, labels)
		}
	}
	scores.Z, scores.Truth = slices.Clone(c.Z), slices.Clone(c.Truth)
	return first, held, nil
}
