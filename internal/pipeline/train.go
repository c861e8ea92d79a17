package pipeline

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"time"

	"github.com/dlc-dev/dlc/internal/calibrate"
	"github.com/dlc-dev/dlc/internal/checkpoint"
	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/data"
	"github.com/dlc-dev/dlc/internal/dist"
	"github.com/dlc-dev/dlc/internal/gd"
	"github.com/dlc-dev/dlc/internal/mlp"
	"github.com/dlc-dev/dlc/internal/model"
	"github.com/dlc-dev/dlc/internal/sparse"
)

// Setup is what a training run is about to do, told to Hooks.Started once
// the data is vectorized and the network built.
type Setup struct {
	Examples int      // training examples
	Classes  []string // the labels, sorted; nil for a regression
	Features int      // the vectorizer's
	Spec     mlp.Spec
	// MultiLabel says a text may have any number of the Classes.
	MultiLabel bool
	// ClassWeights is each class's weight under training.class_weight
	// (nil without it).
	ClassWeights []float64
	// Members is the number of networks of an ensemble (model.ensemble);
	// 0 for one network.
	Members int
	// Chosen says what was chosen for keys the config left out (the
	// output and loss that fit the data), one sentence each.
	Chosen []string
	// Warnings are what looks wrong with the vectorized data (most tokens
	// out of the vocabulary, texts without a feature), one sentence each;
	// the model's record keeps them.
	Warnings []string
	// Share is the examples this process trains on, of a run of
	// Processes (1: all of them).
	Share, Processes int
}

// Hooks let the caller of Train watch it; nil fields are skipped.
type Hooks struct {
	// Started is called before the first update.
	Started func(*Setup)
	// Step is called after every update with the examples done in the
	// epoch so far (progress bars).
	Step func(done, total int)
	// Update is called after every update with its batch's loss (history
	// per update); it must not keep the pointer.
	Update func(*gd.UpdateStats)
	// Epoch is called after every epoch, with the validation metrics
	// filled in when there is validation data; returning gd.ErrStop ends
	// training without an error, any other error aborts it.
	Epoch func(*gd.EpochStats) error
	// Calibrating is called before each network trained to calibrate the
	// model's probabilities; those networks report no steps or epochs.
	Calibrating func(*CalibrationPart)
	// Member is called for each network of an ensemble, in order, before
	// they train. Members train side by side: Step, Update and Epoch report
	// the first one's, and every hook is called under one lock.
	Member func(*MemberPart)
	// Checkpoint says what a run saving checkpoints (the config's
	// checkpoint.dir) records of where it came from, and the checkpoint
	// to resume from; nil is none of that.
	Checkpoint *Checkpointing
	// Comm, when it has more than one process, makes Train this
	// process's part of a data-parallel run (distributed.go): it trains
	// on its share of the examples, averaging the weights with the
	// others; only rank 0 scores the test split. nil is one process.
	Comm dist.Comm
}

// CalibrationPart is one network trained for calibration: Part of Parts,
// trained on NTrained training examples and scoring NHeld others, which
// it never saw. In memory, Trained and Held are those rows; the slices
// are the run's own: read them, do not keep them. Streamed, they are nil:
// lists of the rows would grow with the data, which streaming must not.
type CalibrationPart struct {
	Part, Parts     int
	NTrained, NHeld int
	Trained, Held   []int
}

// Result is what a training run did, beside the model it returns.
type Result struct {
	gd.Result
	// Interrupted says the context was cancelled during training: the
	// model holds the weights after the last update (or the best epoch's,
	// with early stopping restoring them), is not calibrated, and the test
	// split was not scored. While says when: "training" or "calibrating".
	Interrupted bool
	While       string
	// Uncalibrated says why a model that was to be calibrated is not
	// ("" when it is, or was not to be).
	Uncalibrated string
	// Test is the score on the test split (nil without one).
	Test *Scores
	// TestPath is the file the test split came from.
	TestPath string
	// Warnings are those found after training, when the test split was
	// vectorized (Setup has the earlier ones).
	Warnings                       []string
	VectorizeSeconds, TrainSeconds float64
}

// Train fits the config's vectorizer on the training examples, trains the
// network by gradient descent and returns the model with its training
// record, scored on the test split when d has one.
//
// When ctx is cancelled during training, Train stops after the current
// batch and returns the model as it stands, with Result.Interrupted set
// and no error; cancelled before the first update, it returns an
// *InterruptedError. Record.DLCVersion is left to the program that writes
// the model file.
func Train(ctx context.Context, cfg *config.Config, d *Data, h Hooks) (*model.Model, *Result, error) {
	return train(ctx, cfg, d, h, nil)
}

// train is Train, or with from, Continue.
func train(ctx context.Context, cfg *config.Config, d *Data, h Hooks, from *model.Model) (*model.Model, *Result, error) {
	dd, err := newDistributed(cfg, h, from)
	if err != nil {
		return nil, nil, err
	}
	if cfg.Training.Streaming {
		return trainStream(ctx, cfg, d, h, from)
	}
	classes, err := classesFor(cfg, d, from)
	if err != nil {
		return nil, nil, err
	}
	cfg = cfg.ForClasses(len(classes))
	plan, err := Build(cfg)
	if err != nil {
		return nil, nil, err
	}
	train := d.Train
	multi := cfg.MultiLabel()
	if cfg.CalibrationOptions().Method == calibrate.Platt && len(classes) != 2 {
		return nil, nil, cfg.Errorf("calibration.method", "calibration.method platt calibrates two labels, and the training data has %d: use monotone, temperature or isotonic", len(classes))
	}
	ck := h.Checkpoint
	if ck == nil {
		ck = &Checkpointing{ConfigPath: cfg.Path}
	}
	resume := ck.Resume
	if from != nil && (resume != nil || cfg.Checkpoint.Dir != "") {
		// Its vectorizer and its calibration's epochs come from the model
		// it continues, which a checkpoint does not hold.
		return nil, nil, cfg.Errorf("checkpoint.dir", "a run continued from a model (--init) saves no checkpoints and resumes none; train it without --checkpoint and --resume")
	}
	if cfg.Model.Ensemble > 1 && (resume != nil || cfg.Checkpoint.Dir != "") {
		return nil, nil, cfg.Errorf("model.ensemble", "model.ensemble's networks train side by side and are not saved in checkpoints: remove checkpoint.dir (or model.ensemble)")
	}
	vecStart := time.Now()
	fit, err := plan.fitFor(train, from)
	if err != nil {
		return nil, nil, err
	}
	vec, x, cov := fit.vec, fit.x, fit.cov
	// The test texts are read again and scored at the end (scoreTest).
	if err := d.readValidation(vec); err != nil {
		return nil, nil, err
	}
	if resume != nil {
		if err := checkResume(resume, cfg, dataFiles(d, nil)); err != nil {
			return nil, nil, err
		}
	}
	if d.Test != nil {
		// Checked now, not when the test split is scored at the end: a
		// test label the model cannot know fails in a second rather than
		// after every epoch, and no trained model is lost to it.
		if _, err := targets(d.Test, classes, plan.Regression); err != nil {
			return nil, nil, err
		}
	}
	warnings := appendWarning(nil, vocabularyWarning(cfg, train, cov))
	warnings = appendWarning(warnings, emptyRowsWarning(cfg, "training", train, x))
	y, err := targets(train, classes, plan.Regression)
	if err != nil {
		return nil, nil, err
	}
	weights, perClass, err := classWeights(cfg, y, classes)
	if err != nil {
		return nil, nil, err
	}
	y.Weight = weights
	res := &Result{VectorizeSeconds: time.Since(vecStart).Seconds()}
	if ctx.Err() != nil {
		return nil, nil, &InterruptedError{When: "while vectorizing"}
	}
	if cfg.Model.Ensemble > 1 {
		return trainEnsemble(ctx, plan, d, vec, x, y, classes, perClass, res, h, warnings)
	}

	net, err := plan.networkFor(vec.Features(), len(classes), from)
	if err != nil {
		return nil, nil, err
	}
	opt, err := plan.NewOptimizer(len(net.Params()))
	if err != nil {
		return nil, nil, err
	}
	xVal, yVal := x, mlp.Targets{}
	if d.Validation != nil {
		if yVal, err = targets(d.Validation, classes, plan.Regression); err != nil {
			return nil, nil, err
		}
		xVal, _ = Encode(vec, d.Validation)
		warnings = appendWarning(warnings, emptyRowsWarning(cfg, "validation", d.Validation, xVal))
	}
	sv, err := saverFor(cfg, ck, resume, dataFiles(d, nil), vec)
	if err != nil {
		return nil, nil, err
	}
	// Whatever happens, the last checkpoint is on the disk before Train
	// returns (a run interrupted exits right after).
	defer sv.finish(false)
	keepUpdates(&h, sv, resume)
	sv.prepare(len(net.Params()), opt)
	setup := &Setup{Examples: x.Rows, Classes: classes, Features: vec.Features(), Spec: net.Spec(), ClassWeights: perClass,
		Chosen: cfg.Chosen(), Warnings: warnings, MultiLabel: multi, Share: x.Rows, Processes: 1}
	cb := trainingCallbacks(h, net, xVal, yVal, len(classes), plan.Regression, d.Validation != nil)
	training := plan.Training
	dropout := uint64(0xd20b0a7)
	var share []int
	if dd != nil {
		if err := dd.agree(train.Fingerprint(), vectorizerFingerprint(vec), x.Rows, len(net.Params())); err != nil {
			return nil, nil, err
		}
		share = dd.share(nil, x.Rows)
		setup.Share, setup.Processes = len(share), dd.size
		training, dropout, cb.Sync = dd.training(training), dd.dropoutStream(), dd.sync(x.Rows)
	}
	if h.Started != nil {
		h.Started(setup)
	}
	trainStart := time.Now()
	trainRows := x.Rows
	src := rand.NewPCG(uint64(cfg.Training.Seed), dropout)
	obj := &mlp.Objective{Net: net, X: x, Y: y, Rows: share, Dropout: rand.New(src)}
	var gres *gd.Result
	var beside *besideCalibration // calibration's networks training beside the model's
	if resume != nil && resume.Stage == checkpoint.Calibrating {
		if gres, err = restoreTrained(net, resume); err != nil {
			return nil, nil, err
		}
	} else {
		if resume != nil {
			if err := src.UnmarshalBinary(resume.Dropout); err != nil {
				return nil, nil, fmt.Errorf("the checkpoint's dropout source: %v", err)
			}
			cb.Resume = resume.State
		}
		if sv != nil {
			sv.dropout, cb.Checkpoint = src, sv
		}
		reweigh := labelWeighing(fit, y, len(classes))
		rowBytes := 0
		if reweigh != nil { // each network weighs its own copy of the values
			rowBytes = 8 * x.NNZ()
		}
		if calibrateBeside(plan, len(net.Params()), !multi && dd == nil && sv == nil && resume == nil, rowBytes) {
			beside = startBeside(ctx, h, func(ctx context.Context, h Hooks) (*calibrate.Calibrator, error) {
				return fitCalibration(ctx, plan, x, y, classes, h, from, nil, nil, reweigh)
			})
			defer beside.stop() // on every way out
		}
		gres, err = gd.Train(ctx, obj, opt, training, cb)
	}
	res.Interrupted = errors.Is(err, context.Canceled)
	if err != nil && !res.Interrupted {
		return nil, nil, err
	}
	res.Result = *gres
	if res.Interrupted && res.Steps == 0 {
		return nil, nil, &InterruptedError{When: "before the first update"}
	}
	var cal *calibrate.Calibrator
	var th *calibrate.Thresholds // a multi-label model's
	if multi {
		th = naturalThresholds(net, false, y.Multi)
	}
	if res.Interrupted {
		beside.stop()
		res.While = "training"
	} else if plan.Config.CalibrationOptions().Enabled() {
		// After the model's own training (or beside it, see beside.go,
		// and waited for here), so that an interruption here still
		// leaves a model to write; the model's gradient and optimizer
		// state are garbage by now.
		obj, opt = nil, nil
		if sv != nil {
			main := *gres
			sv.stage, sv.main, sv.mainParams = checkpoint.Calibrating, &main, net.Params()
		}
		switch {
		case beside != nil:
			cal, err = beside.wait()
		case multi:
			var tuned *calibrate.Thresholds
			if cal, tuned, err = fitMultiLabel(ctx, plan, net, x, y, h, from, sv, resume); err == nil {
				th = tuned
			}
		default:
			cal, err = fitCalibration(ctx, plan, x, y, classes, h, from, sv, resume, labelWeighing(fit, y, len(classes)))
		}
		switch {
		case errors.Is(err, context.Canceled):
			res.Interrupted, res.While = true, "calibrating"
		case errors.Is(err, calibrate.ErrTooFew) && multi:
			res.Uncalibrated = "its held-out examples have no label, or every label; its labels are cut where its network decides"
		case errors.Is(err, calibrate.ErrTooFew):
			res.Uncalibrated = "its held-out examples hold only one label"
		case err != nil:
			return nil, nil, err
		}
	}
	if err := sv.finish(!res.Interrupted); err != nil {
		return nil, nil, err
	}
	res.TrainSeconds = time.Since(trainStart).Seconds()
	// The gradient, the optimizer's state and the training rows are
	// garbage now (as large as the weights each: 107 MB apiece for the
	// IMDB recipe). Collecting them before the test split is scored and the
	// model encoded lets those reuse the memory, where the heap would
	// otherwise grow to twice the size it had during training.
	obj, opt, x, fit = nil, nil, nil, fitted{}
	runtime.GC()

	// The config as trained, its paths absolute: the model says which
	// files it was trained and tested on, wherever it is read.
	m := &model.Model{Config: cfg.Absolute(), Vectorizer: vec, Net: net, Labels: classes, Calibration: cal, Thresholds: th, Record: model.Record{
		Seed: cfg.Training.Seed, TrainExamples: trainRows, DataSHA256: train.Fingerprint(),
	}}
	return finish(m, plan, d, res, from, warnings, dd)
}

// finish records the training in m (with the warnings about its data, and
// from, the model it continued from, if any) and scores it on the test
// split; of a run of several processes (dd), only rank 0 scores it.
func finish(m *model.Model, plan *Plan, d *Data, res *Result, from *model.Model, warnings []string, dd *distributed) (*model.Model, *Result, error) {
	var err error
	for _, st := range res.History {
		m.Record.Epochs = append(m.Record.Epochs, epochRecord(st, plan.Regression))
	}
	recordStop(&m.Record, res, from)
	if dd != nil {
		m.Record.Distributed = dd.record()
	}
	if d.Test != nil && !res.Interrupted && (dd == nil || dd.rank == 0) {
		var warning string
		if res.Test, warning, err = scoreTest(plan.Config, m, d.Test); err != nil {
			return nil, nil, err
		}
		if res.Test != nil {
			res.TestPath = d.Paths.Test
			m.Record.Test = testRecord(res.Test)
		}
		if warning != "" {
			warnings = append(warnings, warning)
			res.Warnings = []string{warning}
		}
	}
	m.Record.Warnings = warnings
	return m, res, nil
}

// testRecord keeps the test score in the model file: accuracy for a
// classifier, the regression metrics for a regression.
func testRecord(s *Scores) *model.TestRecord {
	if r := s.Regression; r != nil {
		return &model.TestRecord{N: r.N, Loss: s.Loss, RMSE: &r.RMSE, MAE: &r.MAE, R2: &r.R2}
	}
	q := s.Quality
	acc, ll, brier, ece := s.Report.Accuracy, q.LogLoss, q.Brier, q.ECE
	t := &model.TestRecord{N: s.Report.N, Loss: s.Loss, Accuracy: &acc, LogLoss: &ll, Brier: &brier, ECE: &ece}
	if r := s.Multi; r != nil {
		micro, macro, hamming := r.MicroF1, r.MacroF1, r.HammingLoss
		t.MicroF1, t.MacroF1, t.HammingLoss = &micro, &macro, &hamming
	}
	return t
}

func epochRecord(st gd.EpochStats, regression bool) model.EpochRecord {
	r := model.EpochRecord{Epoch: st.Epoch, Loss: st.Loss}
	if !regression {
		acc := st.Accuracy
		r.Accuracy = &acc
	}
	if !math.IsNaN(st.ValLoss) {
		vl := st.ValLoss
		r.ValLoss = &vl
	}
	if !math.IsNaN(st.ValAccuracy) {
		va := st.ValAccuracy
		r.ValAccuracy = &va
	}
	return r
}

// trainingTargets returns the truths of the training examples, weighted
// by training.class_weight, and each class's weight (nil without one).
func trainingTargets(cfg *config.Config, train *data.Examples, classes []string) (mlp.Targets, []float64, error) {
	y, err := targets(train, classes, cfg.Regression())
	if err != nil {
		return y, nil, err
	}
	weights, perClass, err := classWeights(cfg, y, classes)
	if err != nil {
		return y, nil, err
	}
	y.Weight = weights
	return y, perClass, nil
}

// Targets returns the truths of labelled examples for a model of the
// given classes (nil for a regression), each weighted by
// training.class_weight: what Train trains against.
func Targets(cfg *config.Config, e *data.Examples, classes []string) (mlp.Targets, error) {
	y, _, err := trainingTargets(cfg, e, classes)
	return y, err
}

// Rows are examples vectorized, with their truths.
type Rows struct {
	X *sparse.Matrix
	Y mlp.Targets
}

// RowsResult is what TrainRows did.
type RowsResult struct {
	gd.Result
	Seconds float64 // training, scoring the validation rows included
}

// TrainRows trains the plan's network on examples already vectorized
// (into features columns; classes are the labels, nil for a regression),
// scoring val after every epoch when it is not nil: Train once the
// vectorizer is fitted, for callers that vectorize once and train many
// times (dlc tune). The weights are drawn, and the batches shuffled and
// the units dropped, from training.seed, as Train does.
//
// When ctx is cancelled, training stops after the current batch and the
// network is returned as it stands, with the result so far and ctx's
// error.
func (p *Plan) TrainRows(ctx context.Context, features int, classes []string, train Rows, val *Rows, h Hooks) (*mlp.Network, *RowsResult, error) {
	net, err := p.Network(features, len(classes))
	if err != nil {
		return nil, nil, err
	}
	opt, err := p.NewOptimizer(len(net.Params()))
	if err != nil {
		return nil, nil, err
	}
	if h.Started != nil {
		h.Started(&Setup{Examples: train.X.Rows, Classes: classes, Features: features, Spec: net.Spec()})
	}
	var xVal *sparse.Matrix
	var yVal mlp.Targets
	if val != nil {
		xVal, yVal = val.X, val.Y
	}
	cb := trainingCallbacks(h, net, xVal, yVal, len(classes), p.Regression, val != nil)
	start := time.Now()
	obj := &mlp.Objective{Net: net, X: train.X, Y: train.Y, Dropout: rand.New(rand.NewPCG(uint64(p.Config.Training.Seed), 0xd20b0a7))}
	gres, err := gd.Train(ctx, obj, opt, p.Training, cb)
	if gres == nil {
		return nil, nil, err
	}
	return net, &RowsResult{Result: *gres, Seconds: time.Since(start).Seconds()}, err
}

// trainingCallbacks passes a run's progress on to h, scoring the
// validation rows (xVal, yVal) after every epoch when validating.
func trainingCallbacks(h Hooks, net *mlp.Network, xVal *sparse.Matrix, yVal mlp.Targets, classes int, regression, validating bool) gd.Callbacks {
	return gd.Callbacks{
		OnStep:   h.Step,
		OnUpdate: h.Update,
		OnEpoch: func(st *gd.EpochStats) error {
			if validating {
				s := score(newForward([]*mlp.Network{net}, nil), xVal, yVal, classes)
				st.ValLoss, st.ValAccuracy = s.Loss, s.Report.Accuracy
				if regression {
					st.ValAccuracy = math.NaN()
				}
			}
			if h.Epoch != nil {
				return h.Epoch(st)
			}
			return nil
		},
	}
}

// restoreTrained puts back the model's network from a checkpoint written
// while calibrating (the network was trained: its weights and record are
// in the checkpoint), for in-memory and streamed training alike.
func restoreTrained(net *mlp.Network, resume *checkpoint.Checkpoint) (*gd.Result, error) {
	if len(resume.MainParams) != len(net.Params()) {
		return nil, fmt.Errorf("the checkpoint holds %d weights of the model's network, which has %d", len(resume.MainParams), len(net.Params()))
	}
	copy(net.Params(), resume.MainParams)
	net.ParamsChanged(nil)
	return resume.Main, nil
}
