package pipeline

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"time"

	"github.com/dlc-dev/dlc/internal/calibrate"
	"github.com/dlc-dev/dlc/internal/gd"
	"github.com/dlc-dev/dlc/internal/mlp"
	"github.com/dlc-dev/dlc/internal/model"
	"github.com/dlc-dev/dlc/internal/sparse"
	"github.com/dlc-dev/dlc/internal/vectorize"
)

// An ensemble (model.ensemble: K) is K networks of the config's shape,
// each drawn, shuffled and dropped out from its own seed (memberSeed), whose
// answers the model averages. Averaging networks that err differently is
// the most reliable gain for small networks (their errors are partly
// independent; the average's variance falls), at K times the training and
// K times the cost of every prediction.
//
// Calibration. Averaging the probabilities of calibrated members gives
// calibrated-looking averages only when the members agree; a calibration
// fitted to the average would need the average's scores of examples no
// member was trained on, that is K more networks trained without a
// held-out share — twice the training. Instead each member is trained
// without one share of the training split (member k without share k of
// round(1/calibration.holdout) stratified shares, or of calibration.folds
// folds) and scores that share, which it never saw: the members' pooled
// scores of the examples they held out fit one calibration, applied to
// every member, and the model answers the mean of the members' calibrated
// probabilities (a multi-label ensemble fits its temperature and tunes its
// thresholds on those pooled scores). Every training example is still seen
// by all members but at most one, so the ensemble loses little of the
// data; the K networks are the whole cost, where one calibrated network
// costs two. docs/recipes.md
// measures the calibration this gives. Without calibration every member
// trains on the whole split.

// memberSeed returns the seed of an ensemble's member k: training.seed for
// the first, and for the others a SplitMix64 mix of the seed and k (31
// bits, so it reads as a seed), so that the members of different seeds'
// ensembles are different networks, not the same ones shifted.
func memberSeed(seed, k int) int {
	if k == 0 {
		return seed
	}
	z := uint64(seed)*0x9e3779b97f4a7c15 + uint64(k)*0xd1b54a32d192ed03
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	z ^= z >> 31
	return int(z >> 33)
}

// withSeed is the plan with training.seed replaced, for one member.
func (p *Plan) withSeed(seed int) *Plan {
	cfg := *p.Config
	cfg.Training.Seed = seed
	q := *p
	q.Config = &cfg
	q.Training.Seed = uint64(seed)
	return &q
}

// MemberPart is one network of an ensemble, told to Hooks.Member before
// the members start training: Member of Members, with its seed, trained on the rows
// Trained (and scoring the rows Held for calibration; none when
// uncalibrated). The slices are the run's own: read them, do not keep them.
type MemberPart struct {
	Member, Members int
	Seed            int
	Trained, Held   []int
}

// ensembleWorkers is how many members train at once: one per core, as
// long as the members' weights and that many networks' training state fit
// in half the machine's memory (the rest is the data's and the system's).
// Training one member uses every core too, but a small batch's work is
// split finely; whole members in parallel need no synchronisation.
func ensembleWorkers(members, params, slots int) int {
	w := min(members, runtime.GOMAXPROCS(0))
	have := totalMemory()
	if have == 0 {
		return w
	}
	weights := float64(params) * 8
	for w > 1 && float64(members)*weights+float64(w*slots)*weights > float64(have)/2 {
		w--
	}
	return w
}

// trainSlots is the training state per parameter beside the weights, in
// float64s (see checkMemory): the gradient, the optimizer's state, the
// best epoch's weights.
func (p *Plan) trainSlots() int {
	slots := 1
	switch p.Optimizer.Name {
	case gd.NameSGD:
	case gd.NameAdam, gd.NameLazyAdam:
		slots += 2
	default:
		slots++
	}
	if es := p.Training.EarlyStopping; es.Monitor != "" && es.RestoreBest {
		slots++
	}
	return slots
}

type memberRun struct {
	net   *mlp.Network
	seed  int
	gres  *gd.Result
	err   error
	held  []int
	z     calibrate.Scores      // a single-label ensemble's held-out scores
	mz    calibrate.MultiScores // a multi-label one's
	uncal []float64
}

// trainEnsemble is Train from the fitted vectorizer on, for model.ensemble
// above 1.
func trainEnsemble(ctx context.Context, plan *Plan, d *Data, vec *vectorize.Vectorizer, x *sparse.Matrix, y mlp.Targets, classes []string, perClass []float64, res *Result, h Hooks, warnings []string) (*model.Model, *Result, error) {
	cfg := plan.Config
	members := cfg.Model.Ensemble
	spec := cfg.Spec(vec.Features(), len(classes))
	if err := plan.checkMemory(spec); err != nil {
		return nil, nil, err
	}
	if err := cfg.CheckModel(spec); err != nil {
		return nil, nil, err
	}
	params, _ := spec.Params()
	if have := totalMemory(); have > 0 && float64(members+plan.trainSlots())*float64(params)*8 > float64(have) {
		return nil, nil, cfg.Errorf("model.ensemble", "model.ensemble %d networks of %d parameters (%s) need %s for their weights and one's training, more than this machine's %s of memory; use fewer networks or a smaller one",
			members, params, describe(spec), bytesOf(float64(members+plan.trainSlots())*float64(params)*8), bytesOf(float64(have)))
	}
	calOpts := cfg.CalibrationOptions()
	multi := y.Multi != nil
	var shares [][]int
	if !plan.Regression && calOpts.Enabled() {
		n := calOpts.Folds
		if n < 2 {
			n = max(2, int(math.Round(1/calOpts.Holdout)))
		}
		strata, nStrata := y.Class, len(classes)
		if multi {
			strata, nStrata = rarestLabels(y.Multi), len(classes)+1
		}
		shares = heldOut(strata, nStrata, n, 0, uint64(cfg.Training.Seed))
	}
	var xVal *sparse.Matrix
	var yVal mlp.Targets
	if d.Validation != nil {
		var err error
		if yVal, err = targets(d.Validation, classes, plan.Regression); err != nil {
			return nil, nil, err
		}
		xVal, _ = Encode(vec, d.Validation)
		warnings = appendWarning(warnings, emptyRowsWarning(cfg, "validation", d.Validation, xVal))
	}
	if h.Started != nil {
		h.Started(&Setup{Examples: x.Rows, Classes: classes, Features: vec.Features(), Spec: spec, ClassWeights: perClass, Members: members,
			Chosen: cfg.Chosen(), Warnings: warnings, MultiLabel: multi})
	}

	// The hooks are the caller's, who need not be safe for concurrent
	// use: they are called under one lock, and only the first member
	// reports its steps and epochs (its history is the run's).
	var mu sync.Mutex
	locked := func(f func()) {
		mu.Lock()
		defer mu.Unlock()
		f()
	}
	runs := make([]memberRun, members)
	for k := range runs {
		r := &runs[k]
		r.seed = memberSeed(cfg.Training.Seed, k)
		if shares != nil {
			r.held = shares[k%len(shares)]
		}
	}
	if h.Member != nil {
		// Told in order before any trains: the members then run side by
		// side, in no order.
		for k, r := range runs {
			h.Member(&MemberPart{Member: k + 1, Members: members, Seed: r.seed, Trained: complement(x.Rows, r.held), Held: r.held})
		}
	}
	workers := ensembleWorkers(members, params, plan.trainSlots())
	sem := make(chan struct{}, workers)
	trainStart := time.Now()
	var wg sync.WaitGroup
	for k := range members {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			r := &runs[k]
			if ctx.Err() != nil {
				r.err = ctx.Err()
				return
			}
			mp := plan.withSeed(r.seed)
			net, err := mp.Network(x.Cols, len(classes))
			if err != nil {
				r.err = err
				return
			}
			opt, err := mp.NewOptimizer(len(net.Params()))
			if err != nil {
				r.err = err
				return
			}
			var rows []int // nil: all of them
			if r.held != nil {
				rows = complement(x.Rows, r.held)
			}
			var cb gd.Callbacks
			if k == 0 {
				cb = memberCallbacks(h, locked, net, xVal, yVal, len(classes), plan.Regression)
			}
			obj := &mlp.Objective{Net: net, X: x, Y: y, Rows: rows, Dropout: rand.New(rand.NewPCG(uint64(r.seed), 0xd20b0a7))}
			r.gres, r.err = gd.Train(ctx, obj, opt, mp.Training, cb)
			r.net = net
			switch {
			case r.err != nil || r.held == nil:
			case multi:
				r.mz.Labels = len(classes)
				eachScored(net, x, r.held, func(row int, out, z []float64) {
					r.mz.Z = multiScore(net, z, r.mz.Z)
					idx, _ := y.Multi.Row(row)
					r.mz.Truth = append(r.mz.Truth, idx)
					r.uncal = multiProbs(net, nil, out, z, r.uncal)
				})
			default:
				r.uncal = scoreHeld(net, x, y, r.held, &r.z, nil)
			}
		})
	}
	wg.Wait()

	var nets []*mlp.Network
	var seeds []int
	for _, r := range runs {
		switch {
		case r.err == nil:
		case errors.Is(r.err, context.Canceled):
			res.Interrupted, res.While = true, "training"
			if r.gres == nil || r.gres.Steps == 0 {
				continue // never trained: its weights are the random draw
			}
		default:
			return nil, nil, r.err
		}
		nets = append(nets, r.net)
		seeds = append(seeds, r.seed)
	}
	if len(nets) == 0 {
		return nil, nil, &InterruptedError{When: "before the first update"}
	}
	if runs[0].gres != nil {
		res.Result = *runs[0].gres
	}
	var cal *calibrate.Calibrator
	var th *calibrate.Thresholds // a multi-label model's
	if multi {
		th = naturalThresholds(nets[0], false, y.Multi)
	}
	if shares != nil && !res.Interrupted {
		var scores calibrate.Scores
		mscores := calibrate.MultiScores{Labels: len(classes)}
		var uncal []float64
		held := 0
		for _, r := range runs {
			scores.K = r.z.K
			scores.Z = append(scores.Z, r.z.Z...)
			scores.Truth = append(scores.Truth, r.z.Truth...)
			mscores.Z = append(mscores.Z, r.mz.Z...)
			mscores.Truth = append(mscores.Truth, r.mz.Truth...)
			uncal = append(uncal, r.uncal...)
			held += len(r.held)
		}
		scores.Labels = len(classes)
		what := fmt.Sprintf("%d training examples, each scored by one of the %d networks, trained without it", held, members)
		var err error
		if multi {
			// One temperature and the thresholds, fitted on the pooled
			// held-out scores, each of one member. The model answers the
			// members' calibrated probabilities averaged, and cuts them at
			// thresholds tuned on one member's probabilities at a time:
			// scores of the average itself would take K more networks
			// trained without each share. The pool is K shares, where one
			// calibrated network has one: more labels have held-out texts
			// enough for a threshold of their own (65 of ModApte's 90 with
			// 5 networks, against 24; docs/multilabel.md).
			var tuned *calibrate.Thresholds
			if cal, tuned, err = fitMultiScores(calOpts.Method, nets[0], &mscores, uncal, y.Multi, what); err == nil {
				th = tuned
			}
		} else {
			cal, err = calibrate.Fit(calOpts.Method, &scores, uncal, what)
		}
		switch {
		case errors.Is(err, calibrate.ErrTooFew) && multi:
			res.Uncalibrated = "its held-out examples have no label, or every label; its labels are cut where its networks decide"
		case errors.Is(err, calibrate.ErrTooFew):
			res.Uncalibrated = "its held-out examples hold only one label"
		case err != nil:
			return nil, nil, err
		}
	}
	res.TrainSeconds = time.Since(trainStart).Seconds()
	trainRows := x.Rows
	runs, x = nil, nil
	runtime.GC()

	m := &model.Model{Config: cfg.Absolute(), Vectorizer: vec, Net: nets[0], Labels: classes, Calibration: cal, Thresholds: th, Record: model.Record{
		Seed: cfg.Training.Seed, TrainExamples: trainRows, DataSHA256: d.Train.Fingerprint(), MemberSeeds: seeds,
	}}
	if len(nets) > 1 {
		m.Members = nets
	}
	return finish(m, plan, d, res, nil, warnings, nil)
}

// memberCallbacks are the first member's: trainingCallbacks (its steps
// and epochs go to the hooks, its validation score is measured after every
// epoch), each called under locked.
func memberCallbacks(h Hooks, locked func(func()), net *mlp.Network, xVal *sparse.Matrix, yVal mlp.Targets, classes int, regression bool) gd.Callbacks {
	inner := trainingCallbacks(h, net, xVal, yVal, classes, regression, xVal != nil)
	var cb gd.Callbacks
	if inner.OnStep != nil {
		cb.OnStep = func(done, total int) { locked(func() { inner.OnStep(done, total) }) }
	}
	if inner.OnUpdate != nil {
		cb.OnUpdate = func(u *gd.UpdateStats) { locked(func() { inner.OnUpdate(u) }) }
	}
	cb.OnEpoch = func(st *gd.EpochStats) (err error) {
		locked(func() { err = inner.OnEpoch(st) })
		return err
	}
	return cb
}
