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
		if len(idx) == 0 {
			continue // a multi-label stratum no example falls in
		}
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
// The report of what it did goes to h.Calibrating; a continued model's
// networks are trained as eachHeldOut says. With sv it saves checkpoints
// of its progress; from a checkpoint of the calibrating stage it goes on
// where that one stood.
//
// reweigh (nil: none) gives the rows a network trained on the rows trained
// alone sees, for features weighted by the labels (see labelWeighing).
func fitCalibration(ctx context.Context, plan *Plan, x *sparse.Matrix, y mlp.Targets, classes []string, h Hooks, from *model.Model, sv *saver, resume *checkpoint.Checkpoint, reweigh func(trained []int) (*sparse.Matrix, error)) (*calibrate.Calibrator, error) {
	opts := plan.Config.CalibrationOptions()
	var scores calibrate.Scores
	var uncal []float64
	hc := &heldCheckpoint{sv: sv, resume: resume,
		progress: func(part, parts int) *checkpoint.Calibration {
			return &checkpoint.Calibration{Part: part, Parts: parts, Z: scores.Z, Truth: scores.Truth, Uncal: uncal}
		},
		restore: func(c *checkpoint.Calibration, held int) error {
			if err := resumeCalibration(c, held, len(classes)); err != nil {
				return err
			}
			scores.Z, scores.Truth, uncal = slices.Clone(c.Z), slices.Clone(c.Truth), slices.Clone(c.Uncal)
			return nil
		}}
	held, err := eachHeldOut(ctx, plan, x, y, y.Class, len(classes), h, from, func(net *mlp.Network, r int, out, z []float64) {
		uncal = appendHeldScore(&scores, uncal, net, int(y.Class[r]), out, z)
	}, hc, reweigh)
	if err != nil {
		return nil, err
	}
	scores.Labels = len(classes)
	return calibrate.Fit(opts.Method, &scores, uncal, heldOutWhat(held, x.Rows, opts))
}

// labelWeighing returns, for rows fitted with a weighting learnt from the
// labels (vectorizer.weighting nb), the function that weighs them again
// from the labels of the rows trained alone, for a network calibration
// scores held-out rows with; nil without such a weighting. The model's
// weighting was learnt from every training label, the held-out rows'
// among them: a word pair found in a held-out review and one other
// carries the held-out label into both, and a network trained on those
// features scores its held-out rows better than it scores new text (on
// IMDB words + pairs, 0.96 held-out accuracy against 0.92), so the
// temperature fitted to them was too low and the model over-confident.
func labelWeighing(f fitted, y mlp.Targets, classes int) func(trained []int) (*sparse.Matrix, error) {
	if f.plain == nil {
		return nil
	}
	return func(trained []int) (*sparse.Matrix, error) {
		return f.vec.NBWeighed(f.plain, y.Class, classes, trained)
	}
}

// heldOutWhat says which examples calibration was fitted on, for the record.
func heldOutWhat(held, rows int, opts calibrate.Options) string {
	if opts.Folds >= 2 {
		return fmt.Sprintf("%d training examples, each scored by one of %d networks trained without its fold (cross-fitting)", held, opts.Folds)
	}
	return fmt.Sprintf("%d training examples held out of a network trained on the other %d", held, rows-held)
}

// eachHeldOut trains, for each part calibration holds out (drawn per
// stratum: strata[i] in [0, nStrata) is example i's), a network exactly as
// the model's without the part, and calls score with every row of the part
// and that network's outputs and output-layer sums of it. It returns how
// many rows were held out.
//
// For a model continued from another (from), each network starts afresh
// and trains for the epochs of both runs: starting from from's weights
// would hand it the held-out examples, which from was trained on, and its
// scores on them would be those of a network that has seen them.
//
// With hc (nil: none) it saves checkpoints of its progress and goes on
// from one of the calibrating stage. With reweigh (nil: none) each network
// trains on and scores the rows reweigh gives for its training rows, not
// x: features weighted by labels must not hold the held-out part's.
func eachHeldOut(ctx context.Context, plan *Plan, x *sparse.Matrix, y mlp.Targets, strata []int32, nStrata int, h Hooks, from *model.Model, score func(net *mlp.Network, row int, out, z []float64), hc *heldCheckpoint, reweigh func(trained []int) (*sparse.Matrix, error)) (int, error) {
	opts := plan.Config.CalibrationOptions()
	seed := uint64(plan.Config.Training.Seed)
	training := plan.Training
	if r := initRecord(from); r != nil {
		training.Epochs += r.Epochs
	}
	parts := heldOut(strata, nStrata, opts.Folds, opts.Holdout, seed)
	dd, err := newDistributed(plan.Config, h, from)
	if err != nil {
		return 0, err
	}
	held := 0
	classes := nStrata
	if y.Multi != nil {
		classes = y.Multi.Cols
	}
	first := 0
	var resume *checkpoint.Checkpoint
	if hc != nil && hc.resume != nil && hc.resume.Stage == checkpoint.Calibrating {
		resume = hc.resume
		c := resume.Calibration
		if c.Parts != len(parts) || c.Part < 1 || c.Part > len(parts) {
			return 0, fmt.Errorf("the checkpoint's calibration is at network %d of %d, and the config makes %d", c.Part, c.Parts, len(parts))
		}
		first = c.Part - 1
		for _, p := range parts[:first] {
			held += len(p)
		}
		if err := hc.restore(c, held); err != nil {
			return 0, err
		}
	}
	for k := first; k < len(parts); k++ {
		part := parts[k]
		var st *gd.State
		if resume != nil && k == first {
			st = resume.State
		}
		var sv *saver
		if hc != nil {
			sv = hc.sv
		}
		if sv != nil {
			sv.cal = hc.progress(k+1, len(parts))
			if st == nil {
				if err := sv.boundary(); err != nil {
					return 0, err
				}
			}
		}
		trained := complement(x.Rows, part)
		xk := x
		if reweigh != nil {
			var err error
			if xk, err = reweigh(trained); err != nil {
				return 0, err
			}
		}
		if h.Calibrating != nil {
			h.Calibrating(&CalibrationPart{Part: k + 1, Parts: len(parts), NTrained: len(trained), NHeld: len(part), Trained: trained, Held: part})
		}
		net, err := plan.Network(x.Cols, classes)
		if err != nil {
			return 0, err
		}
		opt, err := plan.NewOptimizer(len(net.Params()))
		if err != nil {
			return 0, err
		}
		dropout := uint64(0xd20b0a7)
		share, training := trained, training
		var cb gd.Callbacks
		if dd != nil {
			share, training, dropout = dd.share(trained, 0), dd.training(training), dd.dropoutStream()
			cb.Sync = dd.sync(len(trained))
		}
		src := rand.NewPCG(seed, dropout)
		if st != nil {
			if err := src.UnmarshalBinary(resume.Dropout); err != nil {
				return 0, fmt.Errorf("the checkpoint's dropout source: %v", err)
			}
			cb.Resume = st
		}
		if sv != nil {
			sv.dropout, cb.Checkpoint = src, sv
		}
		obj := &mlp.Objective{Net: net, X: xk, Y: y, Rows: share, Dropout: rand.New(src)}
		if _, err := gd.Train(ctx, obj, opt, training, cb); err != nil {
			return 0, err
		}
		eachScored(net, xk, part, func(r int, out, z []float64) { score(net, r, out, z) })
		held += len(part)
	}
	return held, nil
}

// scoreHeld appends net's calibration scores of the rows held (which it
// was not trained on) and their truths to scores, and returns uncal with
// its uncalibrated probabilities of them appended.
func scoreHeld(net *mlp.Network, x *sparse.Matrix, y mlp.Targets, held []int, scores *calibrate.Scores, uncal []float64) []float64 {
	eachScored(net, x, held, func(r int, out, z []float64) {
		uncal = appendHeldScore(scores, uncal, net, int(y.Class[r]), out, z)
	})
	return uncal
}

// eachScored runs net over rows of x in batches and calls fn with each
// row and its outputs and output-layer sums (valid during the call).
func eachScored(net *mlp.Network, x *sparse.Matrix, rows []int, fn func(r int, out, z []float64)) {
	var ws mlp.Workspace
	var out []float64
	batch := make([]int, 0, evalBatch)
	k := net.Spec().Outputs
	for lo := 0; lo < len(rows); lo += evalBatch {
		batch = append(batch[:0], rows[lo:min(len(rows), lo+evalBatch)]...)
		out = net.Predict(x, batch, out, &ws)
		z := ws.Logits(len(out))
		for i, r := range batch {
			fn(r, out[i*k:(i+1)*k], z[i*k:(i+1)*k])
		}
	}
}

// appendHeldScore appends to scores the calibration score of one held-out
// row (net's outputs out and output-layer sums z of it) and its truth, and
// returns uncal with the row's uncalibrated probabilities appended.
func appendHeldScore(scores *calibrate.Scores, uncal []float64, net *mlp.Network, truth int, out, z []float64) []float64 {
	var one [1]float64
	scores.K = len(z)
	scores.Z = append(scores.Z, calibrationScore(net, z, &one)...)
	scores.Truth = append(scores.Truth, truth)
	return uncalibrated(net, out, z, uncal)
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

// heldCheckpoint is what eachHeldOut needs to checkpoint its progress:
// the saver, the checkpoint to resume from (nil: none), the scores of the
// parts done so far (progress) and how to take them back (restore, given
// how many examples those parts held out).
type heldCheckpoint struct {
	sv       *saver
	resume   *checkpoint.Checkpoint
	progress func(part, parts int) *checkpoint.Calibration
	restore  func(c *checkpoint.Calibration, held int) error
}

// resumeCalibration checks the scores a checkpoint's calibration holds of
// the parts it had done: one truth per held-out example, a whole number
// of scores each, labels in range.
func resumeCalibration(c *checkpoint.Calibration, held, labels int) error {
	if len(c.Truth) != held || (held > 0 && len(c.Z)%held != 0) || (held == 0 && len(c.Z) != 0) {
		return fmt.Errorf("the checkpoint's calibration holds %d truths and %d scores for %d held-out examples", len(c.Truth), len(c.Z), held)
	}
	for _, t := range c.Truth {
		if t < 0 || t >= max(labels, 1) {
			return fmt.Errorf("the checkpoint's calibration holds the label %d of %d", t, labels)
		}
	}
	return nil
}
