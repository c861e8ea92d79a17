package gd

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/dlc-dev/dlc/internal/option"
)

// Objective is anything gradient descent can minimise: a flat parameter
// vector and, for a batch of example indices, the summed loss and the
// gradient of the mean loss.
type Objective interface {
	// Params returns the parameters, which the optimiser updates in place.
	Params() []float64
	// Len is the number of training examples.
	Len() int
	// Gradient writes the gradient of the mean loss over the examples rows
	// into grad and returns their summed loss and how many of them were
	// predicted correctly (0 when that means nothing, as in regression).
	Gradient(rows []int, grad []float64) (lossSum float64, correct int)
}

// SparseObjective is an Objective that knows where its last gradient may be
// non-zero. Train passes those ranges to a SparseOptimizer.
type SparseObjective interface {
	Objective
	// Support returns the [lo, hi) index ranges outside which the last
	// Gradient left grad zero.
	Support() [][2]int
}

// ParamsWatcher is an Objective that keeps something derived from its
// parameters (such as a lower-precision copy) and must hear when they
// change: Train tells it after every update which ranges the update wrote
// (nil: any), and after it restores the best weights.
type ParamsWatcher interface {
	ParamsChanged(spans [][2]int)
}

// SpanWatcher is a ParamsWatcher that can also hear of one span [lo, hi)
// of a sparse update at a time, as soon as it is written, from whichever
// goroutine wrote it: several at once for spans that do not overlap. A
// rule that updates span by span (RMSprop's lazy step) then tells it of
// each span while the span's parameters are still in the core's cache,
// instead of Train telling it of them all after the update.
type SpanWatcher interface {
	ParamsWatcher
	SpanChanged(lo, hi int)
}

// spanTeller is an update rule whose UpdateSpans writes the parameters of
// its spans, span by span, and nothing else, and can tell a SpanWatcher
// of each (nil: none).
type spanTeller interface {
	tellSpans(func(lo, hi int))
}

// Method is how many examples one update looks at.
type Method string

// The three gradient descents of the lecture. Stochastic is the method,
// one example per update, whatever the update rule; the rule that steps
// θ − η g is the Optimizer SGD.
const (
	Batch      Method = "batch"     // every example, one update per epoch
	MiniBatch  Method = "minibatch" // BatchSize examples per update
	Stochastic Method = "sgd"       // one example per update
)

// Methods lists the methods, for error messages.
var Methods = []Method{Batch, MiniBatch, Stochastic}

// Config drives the training loop. Its zero value is not useful: Method
// must be set and Epochs at least 1.
type Config struct {
	Method Method
	// BatchSize is the examples per update of MiniBatch, at least 1;
	// ignored, and not checked, by Batch and Stochastic.
	BatchSize int
	Epochs    int // the cap on passes over the data, at least 1
	// NoShuffle keeps the examples in order; by default they are reshuffled
	// before every epoch, as Keras does, from a source seeded with Seed.
	NoShuffle bool
	Seed      uint64
	// Tolerance and Patience stop training at convergence, the lecture's
	// "repeat until (near) convergence": when the epoch's training loss has
	// improved on the best so far by less than Tolerance for Patience epochs
	// in a row. With batch gradient descent an epoch is one update, so this
	// is the loss of every step. Tolerance 0 turns it off; Patience is at
	// least 1, and Train reads 0 as 1.
	Tolerance float64
	Patience  int
	// EarlyStopping, when its Monitor is set, watches a metric after every
	// epoch, keeps the best weights, and can end training; see EarlyStopping.
	EarlyStopping EarlyStopping
}

// EarlyStopping watches one metric of EpochStats after every epoch.
type EarlyStopping struct {
	// Monitor is the metric: "val_loss" or "loss" (lower is better),
	// "val_accuracy" or "accuracy" (higher is better); "" turns it off.
	Monitor string
	// Patience is the number of epochs without improvement after which
	// training stops, at least 1; Train reads 0 as 1 (as in Keras, where 0
	// and 1 act alike). Stop false only keeps the best weights, never
	// stopping.
	Patience int
	Stop     bool
	// MinDelta is the least change that counts as an improvement, at
	// least 0.
	MinDelta float64
	// RestoreBest puts the weights of the best epoch back at the end of
	// training, however it ended: early stopping, the epoch cap,
	// convergence or an interruption (unlike Keras, which restores only
	// when early stopping itself stopped; keras-team/keras#12511).
	RestoreBest bool
}

// Monitors lists the metrics EarlyStopping can watch.
var Monitors = []string{"val_loss", "val_accuracy", "loss", "accuracy"}

func (e EarlyStopping) higherIsBetter() bool {
	return e.Monitor == "val_accuracy" || e.Monitor == "accuracy"
}

func (e EarlyStopping) value(st *EpochStats) float64 {
	switch e.Monitor {
	case "val_loss":
		return st.ValLoss
	case "val_accuracy":
		return st.ValAccuracy
	case "loss":
		return st.Loss
	}
	return st.Accuracy
}

// BatchRows returns the examples per update c uses for n examples.
func (c Config) BatchRows(n int) int {
	switch c.Method {
	case Batch:
		return n
	case Stochastic:
		return 1
	}
	return min(c.BatchSize, n)
}

// Validate reports the first field of c out of its range, as an
// *option.Error named as the config's training section names it. Like
// OptimizerConfig.Validate it takes every field as it is: Train reads a
// Patience of 0 as 1 before it validates, but to a config that spells
// every value out a 0 is a 0.
func (c Config) Validate() error {
	if err := option.OneOf("method", c.Method, Methods); err != nil {
		return err
	}
	if c.Method == MiniBatch && c.BatchSize < 1 {
		return option.Errorf("batch_size", "must be at least 1, not %d", c.BatchSize)
	}
	if c.Epochs < 1 {
		return option.Errorf("epochs", "must be at least 1, not %d", c.Epochs)
	}
	if !(c.Tolerance >= 0) || math.IsInf(c.Tolerance, 0) {
		return option.Errorf("tolerance", "must be at least 0 (0 = off), not %v", c.Tolerance)
	}
	if c.Patience < 1 {
		return option.Errorf("patience", "must be at least 1, not %d", c.Patience)
	}
	es := c.EarlyStopping
	if es.Monitor != "" {
		if err := option.OneOf("early_stopping.monitor", es.Monitor, Monitors); err != nil {
			return err
		}
	}
	if es.Patience < 1 {
		return option.Errorf("early_stopping.patience", "must be at least 1, not %d", es.Patience)
	}
	if !(es.MinDelta >= 0) {
		return option.Errorf("early_stopping.min_delta", "must be at least 0, not %v", es.MinDelta)
	}
	return nil
}

// withDefaults returns c with a Patience of 0 read as 1.
func (c Config) withDefaults() Config {
	if c.Patience == 0 {
		c.Patience = 1
	}
	if c.EarlyStopping.Patience == 0 {
		c.EarlyStopping.Patience = 1
	}
	return c
}

// EpochStats is what one epoch did. Callbacks may fill the validation fields.
type EpochStats struct {
	Epoch        int     // 1-based
	Steps        int     // updates made in this epoch
	Loss         float64 // mean training loss over the epoch's examples (as Keras reports it)
	Accuracy     float64 // training accuracy over the epoch (0 for regression)
	LearningRate float64 // the rate of the epoch's last update
	Seconds      float64
	// Validation metrics, NaN unless a callback measured them.
	ValLoss, ValAccuracy float64
}

// UpdateStats is one update: the batch it looked at and its loss, taken
// before the update moved the parameters.
type UpdateStats struct {
	Step         int     // 1-based, counted over the whole run
	Epoch        int     // 1-based
	Examples     int     // in the batch
	Loss         float64 // mean loss over the batch
	LearningRate float64
}

// Callbacks observe (and may stop) training. Nil fields are skipped.
type Callbacks struct {
	// OnStep is called after every update with the number of examples done
	// in the epoch so far; for progress bars.
	OnStep func(done, total int)
	// OnUpdate is called after every update with its loss (history per
	// update). It must not keep the pointer.
	OnUpdate func(*UpdateStats)
	// OnEpoch is called after every epoch, before early stopping looks at
	// the stats (so it may fill the validation metrics); returning ErrStop
	// ends training without an error, any other error aborts it.
	OnEpoch func(*EpochStats) error
	// Checkpoint, when set, saves the run's State at the moments it
	// chooses, and when ctx is cancelled; see Checkpointer.
	Checkpoint Checkpointer
	// Resume, when set, is a State saved by an earlier run of the same
	// objective, rule and config (the epochs and patiences may differ):
	// Train goes on from it instead of starting afresh.
	Resume *State
	// Sync, when set, makes this run one process of several training one
	// network (see Sync); it cannot go with Checkpoint or Resume.
	Sync *Sync
}

// ErrStop, returned by a callback, ends training early.
var ErrStop = errors.New("gd: stop training")

// DivergedError reports a loss that became NaN or infinite.
type DivergedError struct {
	Epoch, Step int
	Loss        float64
}

func (e *DivergedError) Error() string {
	return fmt.Sprintf("training diverged: the loss became %v at epoch %d, update %d; lower the learning rate", e.Loss, e.Epoch, e.Step)
}

// Why training ended.
const (
	StopEpochs      = "epochs"         // the epoch cap was reached
	StopConverged   = "converged"      // Tolerance/Patience
	StopEarly       = "early_stopping" // EarlyStopping
	StopCallback    = "callback"       // OnEpoch returned ErrStop
	StopInterrupted = "interrupted"    // ctx was cancelled
)

// Result is what a run of Train did.
type Result struct {
	History []EpochStats // completed epochs
	Steps   int          // updates made, over all epochs (partial one included)
	Stopped string       // why it ended: one of the Stop* constants
	// BestEpoch is the epoch EarlyStopping found best (0 without a
	// monitor); Restored says its weights were put back.
	BestEpoch int
	Best      float64
	Restored  bool
}

// Train runs gradient descent on obj. When ctx is cancelled it stops after
// the current update (restoring the best weights if asked) and returns the
// result so far with ctx's error; a diverged loss returns a *DivergedError.
func Train(ctx context.Context, obj Objective, opt Optimizer, c Config, cb Callbacks) (*Result, error) {
	c = c.withDefaults()
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("training %w", err)
	}
	n := obj.Len()
	if n == 0 {
		return nil, errors.New("no training examples")
	}
	if cb.Sync != nil && (cb.Checkpoint != nil || cb.Resume != nil) {
		return nil, errors.New("gd: a run of several processes (Callbacks.Sync) saves no checkpoints and resumes none")
	}
	shuffle := rand.NewPCG(c.Seed, 0x9e3779b97f4a7c15)
	rng := rand.New(shuffle)
	var b batches
	b.src, _ = obj.(RowSource)
	if b.src == nil {
		b.order = make([]int, n)
		for i := range b.order {
			b.order[i] = i
		}
	}
	order := b.order
	params := obj.Params()
	grad := make([]float64, len(params))
	sobj, okObj := obj.(SparseObjective)
	sopt, okOpt := opt.(SparseOptimizer)
	lobj, okLazyObj := obj.(LazyObjective)
	lopt, okLazy := opt.(LazyOptimizer)
	// A lazy rule needs to know the objective's rows; given none, it
	// updates densely.
	useSpans := okObj && okOpt && (!okLazy || okLazyObj)
	lazy := useSpans && okLazy
	drifts := false
	if lazy {
		lopt.StartRows(lobj.RowWidth())
		drifts = lopt.Drifts()
	}
	if drifts {
		if end := keepRows(obj, opt, grad); end != nil {
			defer end()
		}
	}
	bs := c.BatchRows(n)
	res := &Result{Stopped: StopEpochs}
	es := c.EarlyStopping
	var best []float64
	p := &progress{epoch: 1, bestVal: math.NaN(), convBest: math.Inf(1),
		shuffle: shuffle, n: n, order: order, params: params, best: &best, res: res, opt: opt}
	var up UpdateStats

	watcher, _ := obj.(ParamsWatcher)
	// told: the rule tells the watcher of its sparse updates' spans
	// itself, span by span.
	told := false
	if sw, ok := obj.(SpanWatcher); ok && useSpans {
		if st, ok := opt.(spanTeller); ok {
			st.tellSpans(sw.SpanChanged)
			defer st.tellSpans(nil)
			told = true
		}
	}
	if cb.Resume != nil {
		if err := p.restore(cb.Resume, c); err != nil {
			return nil, fmt.Errorf("cannot resume: %w", err)
		}
		if watcher != nil {
			watcher.ParamsChanged(nil)
		}
	}
	sy := newSyncer(cb.Sync, c, opt)
	changes := trackChanges(cb.Checkpoint, opt, useSpans && !lazy, len(params))
	guard := deferredCopier(cb.Checkpoint, changes)
	defer guard.settle()
	var state State
	save := func() error {
		if err := p.capture(&state); err != nil {
			return err
		}
		state.Changed, state.Deferred = changes, guard.on()
		if err := cb.Checkpoint.Save(&state); err != nil {
			return err
		}
		changes.clear()
		return nil
	}
	// flush brings the rows a lazy rule has left behind up to date, before
	// anyone else reads the parameters.
	flush := func() {
		if lazy {
			lopt.Flush(params)
			if drifts && watcher != nil {
				watcher.ParamsChanged(nil)
			}
		}
	}
	restore := func() {
		guard.settle()
		if es.RestoreBest && best != nil {
			copy(params, best)
			if watcher != nil {
				watcher.ParamsChanged(nil)
			}
			res.Restored = res.BestEpoch != len(res.History) || res.Stopped == StopInterrupted
		}
	}
	for ; p.epoch <= c.Epochs; p.epoch++ {
		epoch := p.epoch
		start := time.Now().Add(-time.Duration(p.seconds * float64(time.Second)))
		if !p.shuffled {
			if b.src == nil && !c.NoShuffle {
				rng.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
			}
			p.shuffled = true
		}
		if err := b.start(epoch); err != nil {
			return res, err
		}
		if b.src != nil {
			// A stream cannot seek: a run resumed within an epoch reads
			// the epoch's examples already trained on again, and drops
			// them, so that it goes on with the very batches it stopped
			// before.
			for lo := 0; lo < p.pos; lo += bs {
				if _, err := b.next(lo, min(p.pos, lo+bs)); err != nil {
					return res, err
				}
			}
		}
		st := EpochStats{Epoch: epoch, ValLoss: math.NaN(), ValAccuracy: math.NaN(), Steps: p.epochSteps, LearningRate: p.lr}
		for lo := p.pos; lo < n; lo += bs {
			// Several processes stop together, at an average (below).
			if err := ctx.Err(); err != nil && sy == nil {
				res.Stopped = StopInterrupted
				if cb.Checkpoint != nil && res.Steps > 0 {
					p.pos, p.epochSteps, p.lr = lo, st.Steps, st.LearningRate
					p.seconds = time.Since(start).Seconds()
					if serr := save(); serr != nil {
						return res, fmt.Errorf("%w; and the checkpoint failed: %w", err, serr)
					}
				}
				flush()
				restore()
				return res, err
			}
			rows, err := b.next(lo, min(n, lo+bs))
			if err != nil {
				return res, err
			}
			if drifts {
				// The rows this gradient reads move even while no batch
				// touches them: bring them to this step first.
				spans := lobj.Touches(rows)
				lopt.CatchUp(params, spans)
				if watcher != nil {
					watcher.ParamsChanged(spans)
				}
			}
			st.LearningRate = opt.LearningRate()
			l, k := obj.Gradient(rows, grad)
			st.Steps++
			res.Steps++
			if math.IsNaN(l) || math.IsInf(l, 0) {
				return res, &DivergedError{Epoch: epoch, Step: st.Steps, Loss: l}
			}
			if useSpans {
				spans := sobj.Support()
				guard.protect(spans)
				sopt.UpdateSpans(params, grad, spans)
				changes.markSpans(spans)
				if watcher != nil && !told {
					watcher.ParamsChanged(spans)
				}
			} else {
				opt.Update(params, grad)
				if watcher != nil {
					watcher.ParamsChanged(nil)
				}
			}
			p.lossSum += l
			p.correct += k
			if cb.OnUpdate != nil {
				up = UpdateStats{Step: res.Steps, Epoch: epoch, Examples: len(rows), Loss: l / float64(len(rows)), LearningRate: st.LearningRate}
				cb.OnUpdate(&up)
			}
			if cb.OnStep != nil {
				cb.OnStep(min(n, lo+bs), n)
			}
			if sy.due(st.Steps) {
				flush()
				stop, err := sy.average(ctx, params, nil)
				if watcher != nil {
					watcher.ParamsChanged(nil)
				}
				if err != nil {
					return res, err
				}
				if stop {
					return res, stopped(ctx, res, restore)
				}
			}
			if cb.Checkpoint != nil && cb.Checkpoint.Due(false) {
				p.pos, p.epochSteps, p.lr = min(n, lo+bs), st.Steps, st.LearningRate
				p.seconds = time.Since(start).Seconds()
				if err := save(); err != nil {
					return res, err
				}
			}
		}
		flush()
		examples := float64(n)
		if sy != nil {
			// The epoch's loss and accuracy are those of every process's
			// examples, so that all of them stop alike.
			sums := [3]float64{p.lossSum, float64(p.correct), examples}
			stop, err := sy.average(ctx, params, &sums)
			if watcher != nil {
				watcher.ParamsChanged(nil)
			}
			if err != nil {
				return res, err
			}
			if stop {
				return res, stopped(ctx, res, restore)
			}
			st.Loss, st.Accuracy = sums[0]/sums[2], sums[1]/sums[2]
		} else {
			st.Loss = p.lossSum / examples
			st.Accuracy = float64(p.correct) / examples
		}
		st.Seconds = time.Since(start).Seconds()
		p.pos, p.shuffled, p.epochSteps, p.lossSum, p.correct, p.lr, p.seconds = 0, false, 0, 0, 0, 0, 0
		var cbErr error
		if cb.OnEpoch != nil {
			cbErr = cb.OnEpoch(&st)
		}
		res.History = append(res.History, st)
		if cbErr != nil && !errors.Is(cbErr, ErrStop) {
			return res, cbErr
		}

		stop := ""
		if es.Monitor != "" {
			v := es.value(&st)
			improved := false
			switch {
			case math.IsNaN(v):
			case math.IsNaN(p.bestVal):
				improved = true
			case es.higherIsBetter():
				improved = v-p.bestVal > es.MinDelta
			default:
				improved = p.bestVal-v > es.MinDelta
			}
			if improved {
				p.bestVal, p.wait, res.BestEpoch, res.Best = v, 0, epoch, v
				if es.RestoreBest {
					best = append(best[:0], params...)
				}
			} else if p.wait++; es.Stop && p.wait >= es.Patience {
				stop = StopEarly
			}
		}
		if c.Tolerance > 0 {
			if p.convBest-st.Loss < c.Tolerance {
				p.convWait++
			} else {
				p.convWait = 0
			}
			p.convBest = min(p.convBest, st.Loss)
			if p.convWait >= c.Patience && stop == "" {
				stop = StopConverged
			}
		}
		if errors.Is(cbErr, ErrStop) {
			stop = StopCallback
		}
		if stop != "" {
			res.Stopped = stop
			break
		}
		if epoch < c.Epochs && cb.Checkpoint != nil && cb.Checkpoint.Due(true) {
			p.epoch++ // the state of the epoch about to begin
			err := save()
			p.epoch--
			if err != nil {
				return res, err
			}
		}
	}
	restore()
	return res, nil
}

// stopped ends a run of several processes that one of them interrupted,
// at an average: with the best weights restored if asked, and ctx's error
// on the process interrupted, ErrPeerStopped on the others.
func stopped(ctx context.Context, res *Result, restore func()) error {
	res.Stopped = StopInterrupted
	restore()
	if err := ctx.Err(); err != nil {
		return err
	}
	return ErrPeerStopped
}
