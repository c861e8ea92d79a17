package tune

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/data"
	"github.com/dlc-dev/dlc/internal/gd"
	"github.com/dlc-dev/dlc/internal/pipeline"
)

// The shape of the search: Hyperband with η = 3 over three rungs of 3, 9
// and 27 epochs (a fold stops earlier when its validation accuracy has not
// improved for Patience epochs).
const (
	Eta         = 3
	FirstEpochs = 3
	MaxEpochs   = FirstEpochs * Eta * Eta
	Patience    = 3
	// DefaultFolds is k when Options.Folds is 0: three folds train on two
	// thirds of the data each, which ranks recipes as five would at 60 %
	// of the cost. A training split of BigFolds examples or more gets two
	// folds instead: each half holds out enough examples to rank recipes
	// (10,000 of them measure an accuracy of 0.9 within ±0.006), and a
	// trial costs half as much: on IMDB's 25,000 reviews, three folds of
	// the design's two recipes took more than a 5-minute budget on two
	// loaded cores.
	DefaultFolds = 3
	BigFolds     = 20000
	// DefaultCacheBytes bounds the vectorized folds kept between trials.
	DefaultCacheBytes = 2 << 30
)

// rungs is how many rungs a bracket can climb: epochs FirstEpochs·Etaʳ.
const rungs = 3

// RungEpochs returns the epochs a trial may train at rung r.
func RungEpochs(r int) int {
	e := FirstEpochs
	for range r {
		e *= Eta
	}
	return e
}

// Options say what to search and for how long.
type Options struct {
	// Config is the base config file ("" for none: the defaults), Sets
	// its --set overrides; the keys either sets are kept, the others
	// searched (see Space).
	Config string
	Sets   []string
	// DataDir is where fetched datasets are (data.dataset).
	DataDir string
	// Folds is k of the k-fold cross-validation, at least 2; 0 =
	// DefaultFolds, or 2 for a training split of BigFolds examples or
	// more.
	Folds int
	// Budget ends the search when it has run this long (the trainings
	// under way are stopped and left out); Trials ends it once that many
	// trials have been drawn and climbed their brackets. At least one of
	// them must be set.
	Budget time.Duration
	Trials int
	// Workers is how many trainings run side by side; 0 = one per core.
	Workers int
	// CacheBytes bounds the vectorized folds kept for later trials;
	// 0 = DefaultCacheBytes.
	CacheBytes int64
	// OnStart hears, once the training split is read, what the search
	// is about (Result's Base, Data, Classes and Folds are set);
	// OnEvaluation of each trial scored at a rung, as the search goes;
	// OnRung of each rung of a bracket done, with who was promoted. They
	// are called one at a time.
	OnStart      func(*Result)
	OnEvaluation func(*Evaluation)
	OnRung       func(*Rung)
}

// Trial is one config the search tried.
type Trial struct {
	ID     int    // 1-based, in the order drawn
	Origin string // "base", "design" or "random"
	Params Params
	// Bracket is the Hyperband bracket (1-based) the trial was drawn for.
	Bracket     int
	Evaluations []*Evaluation // one per rung climbed, in order
	// Pruned is the rung (0-based) after which the trial was not promoted,
	// -1 while it was not.
	Pruned int
	cfg    *config.Config
	plan   *pipeline.Plan
}

// Best is the trial's best evaluation (nil when none succeeded).
func (t *Trial) Best() *Evaluation {
	var best *Evaluation
	for _, e := range t.Evaluations {
		if e.Err == nil && (best == nil || e.Mean >= best.Mean) {
			best = e
		}
	}
	return best
}

// Seconds is the time the trial's trainings took, over its rungs and
// folds.
func (t *Trial) Seconds() float64 {
	s := 0.0
	for _, e := range t.Evaluations {
		s += e.Seconds
	}
	return s
}

// FoldRun is one fold's training of a trial at a rung.
type FoldRun struct {
	// Accuracy is the validation accuracy after each epoch trained.
	Accuracy []float64
	// Stopped is why training ended: gd.StopEpochs (the rung's cap) or
	// gd.StopCallback (no improvement for Patience epochs).
	Stopped string
	Seconds float64
	// Vectorized says this training fitted the fold's vectorizer (no
	// trial before it had); VectorizeSeconds is how long that took.
	Vectorized       bool
	VectorizeSeconds float64
	// Reused says the fold was not trained again at this rung: it had
	// stopped early at the rung below, and training is deterministic, so
	// it would stop at the same epoch with the same accuracies.
	Reused bool
}

// Evaluation is a trial scored at one rung: every fold trained for at most
// Epochs epochs.
type Evaluation struct {
	Trial  *Trial
	Rung   int // 0-based
	Epochs int // the rung's cap
	Folds  []FoldRun
	// Curve is the mean validation accuracy over the folds after each
	// epoch (a fold that stopped early counts with its last accuracy).
	Curve []float64
	// BestEpoch is the epoch of the curve's maximum (the first, on a tie),
	// Mean that maximum and Std the folds' sample standard deviation
	// there.
	BestEpoch int
	Mean, Std float64
	// Seconds is the time of the folds' trainings, VectorizeSeconds of
	// the vectorizing they were the first to need.
	Seconds, VectorizeSeconds float64
	// Err says why the trial could not be scored (a config its choices
	// make invalid, a diverged loss); its Mean is then 0.
	Err error
}

// Rung is one rung of a bracket, done.
type Rung struct {
	Bracket, Rung, Epochs int
	Evaluations           []*Evaluation // in trial order
	Promoted              []*Trial      // to the next rung; nil at the last
}

// Why a search ended.
const (
	StopTrials      = "trials"      // every trial asked for was run
	StopBudget      = "budget"      // the time budget ran out
	StopInterrupted = "interrupted" // the context was cancelled
	StopSpace       = "space"       // no untried config is left
)

// Result is what a search did and found.
type Result struct {
	Base    *config.Config
	Data    *pipeline.Data // the training split, all that was read
	Classes []string
	Folds   int
	// HeldOut is the fewest examples a fold held out (validated on).
	HeldOut  int
	Trials   []*Trial
	Brackets int
	Best     *Evaluation // nil when no trial was scored
	Stopped  string
	Seconds  float64
	// CacheHits and CacheMisses count the folds found vectorized and
	// vectorized anew.
	CacheHits, CacheMisses int

	options Options
}

// Search runs the search o describes. When ctx is cancelled it stops the
// trainings under way and returns what it found so far, with Stopped
// StopInterrupted and no error.
func Search(ctx context.Context, o Options) (*Result, error) {
	if o.Budget <= 0 && o.Trials <= 0 {
		return nil, errors.New("tune: a search needs a budget or a number of trials")
	}
	start := time.Now()
	base, err := config.Load(o.Config, o.Sets)
	if err != nil {
		return nil, err
	}
	if base.Regression() {
		return nil, base.Errorf("data.task", "dlc tune ranks recipes by their accuracy, which a regression (data.task: regression) does not have")
	}
	k := o.Folds
	if k != 0 && k < 2 {
		return nil, fmt.Errorf("cross-validation needs at least 2 folds, not %d", k)
	}
	d, err := pipeline.ReadTrain(ctx, base, o.DataDir)
	if err != nil {
		return nil, err
	}
	if k == 0 {
		k = DefaultFolds
		if d.Train.Len() >= BigFolds {
			k = 2
		}
	}
	classes := d.Train.Classes()
	if len(classes) < 2 {
		return nil, fmt.Errorf("%s has only the label %s; a classifier needs at least two", d.Paths.Train, data.QuoteList(classes, 1))
	}
	// A fold with no validation examples would score as nothing (or as
	// NaN) and skew the mean: every fold must hold out at least one.
	if n := heldOut(d.Train.Labels); k > n {
		return nil, fmt.Errorf("%d-fold cross-validation holds out at least one example per fold, and %s has only %d that can be held out (a label's only example never is): use fewer folds", k, d.Paths.Train, n)
	}
	workers := o.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	limit := o.CacheBytes
	if limit <= 0 {
		limit = DefaultCacheBytes
	}
	s := &searcher{
		o: o, k: k, base: base, classes: classes, train: d.Train,
		space: NewSpace(base, len(classes)), cache: newCache(limit), workers: workers,
		rng:  rand.New(rand.NewPCG(uint64(base.Training.Seed), 0x7e57ab1e)),
		seen: map[string]bool{},
	}
	heldOutFewest := 0
	for i, f := range Folds(d.Train.Labels, k, uint64(base.Training.Seed)) {
		if i == 0 || len(f.Validation) < heldOutFewest {
			heldOutFewest = len(f.Validation)
		}
		s.folds = append(s.folds, [2]*data.Examples{
			d.Train.Subset(f.Train, d.Train.Path),
			d.Train.Subset(f.Validation, d.Train.Path+" (validation fold)"),
		})
	}
	res := &Result{Base: base, Data: d, Classes: classes, Folds: k, HeldOut: heldOutFewest, options: o}
	if o.OnStart != nil {
		o.OnStart(res)
	}
	sctx := ctx
	if o.Budget > 0 {
		var cancel context.CancelFunc
		sctx, cancel = context.WithDeadline(ctx, start.Add(o.Budget))
		defer cancel()
	}
	res.Stopped = s.run(sctx, res)
	if ctx.Err() != nil {
		res.Stopped = StopInterrupted
	}
	res.CacheHits, res.CacheMisses = s.cache.counts()
	res.Seconds = time.Since(start).Seconds()
	for _, t := range res.Trials {
		if e := t.Best(); e != nil && better(e, res.Best) {
			res.Best = e
		}
	}
	return res, nil
}

// better reports whether a ranks above b (nil ranks last): the higher
// mean, then the lower spread, then the earlier trial.
func better(a, b *Evaluation) bool {
	switch {
	case b == nil:
		return true
	case a.Mean != b.Mean:
		return a.Mean > b.Mean
	case a.Std != b.Std:
		return a.Std < b.Std
	}
	return a.Trial.ID < b.Trial.ID
}

// searcher is one search under way.
type searcher struct {
	o       Options
	k       int
	base    *config.Config
	classes []string
	train   *data.Examples
	folds   [][2]*data.Examples // training and validation examples per fold
	space   *Space
	cache   *cache
	workers int
	rng     *rand.Rand
	seen    map[string]bool // the configs drawn so far
	design  int             // how many design points were taken
}

// run climbs the design's bracket, then Hyperband's brackets, largest
// first, until the trials or the time run out, and says why it stopped.
//
// The design's points (Space.design: the base and the shipped recipes)
// come first, in a bracket of their own that climbs every rung before any
// point is drawn at random: a short budget then buys a shipped recipe
// trained to its best epoch, where Hyperband's first bracket would spend
// it on nine 3-epoch trials and promote none before it ran out (R52's
// recipe needs 9 to 15 epochs; on two loaded cores a 5-minute search
// ended at 0.93 that way).
func (s *searcher) run(ctx context.Context, res *Result) string {
	brackets := 0
	climb := func(trials []*Trial, first int) string {
		brackets++
		res.Brackets = brackets
		for r := first; r < rungs && len(trials) > 0; r++ {
			evals := s.runRung(ctx, trials, r)
			if err := ctx.Err(); err != nil {
				if errors.Is(err, context.DeadlineExceeded) {
					return StopBudget
				}
				return StopInterrupted
			}
			rung := &Rung{Bracket: brackets, Rung: r, Epochs: RungEpochs(r), Evaluations: evals}
			if r+1 < rungs {
				rung.Promoted = promote(evals, max(1, len(trials)/Eta))
				for _, t := range trials {
					if !slices.Contains(rung.Promoted, t) {
						t.Pruned = r
					}
				}
			}
			if s.o.OnRung != nil {
				s.o.OnRung(rung)
			}
			trials = rung.Promoted
		}
		return ""
	}
	n := len(s.space.design())
	if s.o.Trials > 0 {
		n = min(n, s.o.Trials)
	}
	if trials := s.draw(n, 1, res, true); len(trials) > 0 {
		if stop := climb(trials, 0); stop != "" {
			return stop
		}
	}
	for b := 0; ; b++ {
		first := b % rungs // the bracket's first rung: 0, 1, 2, 0, ...
		n := bracketSize(first)
		if s.o.Trials > 0 {
			n = min(n, s.o.Trials-len(res.Trials))
			if n <= 0 {
				return StopTrials
			}
		}
		trials := s.draw(n, brackets+1, res, false)
		if len(trials) == 0 {
			return StopSpace
		}
		if stop := climb(trials, first); stop != "" {
			return stop
		}
	}
}

// bracketSize is Hyperband's number of trials for a bracket whose first
// rung is first: ⌈rungs/(rungs−first) · η^(rungs−1−first)⌉ (9, 5, 3).
func bracketSize(first int) int {
	s := rungs - 1 - first
	n := float64(rungs) / float64(s+1)
	for range s {
		n *= Eta
	}
	return int(math.Ceil(n))
}

// promote returns the n best-scored trials of a rung, in rank order.
func promote(evals []*Evaluation, n int) []*Trial {
	ok := slices.DeleteFunc(slices.Clone(evals), func(e *Evaluation) bool { return e.Err != nil })
	slices.SortStableFunc(ok, func(a, b *Evaluation) int {
		if better(a, b) {
			return -1
		}
		if better(b, a) {
			return 1
		}
		return 0
	})
	var out []*Trial
	for _, e := range ok[:min(n, len(ok))] {
		out = append(out, e.Trial)
	}
	return out
}

// draw returns up to n new trials: the design's points first, then random
// ones (none when designOnly), each a config no earlier trial had.
func (s *searcher) draw(n, bracket int, res *Result, designOnly bool) []*Trial {
	var out []*Trial
	design := s.space.design()
	for tries := 0; len(out) < n && tries < 1000; {
		if designOnly && s.design == len(design) {
			break
		}
		var p Params
		origin := "random"
		if s.design < len(design) {
			p, origin = design[s.design], "design"
			if s.design == 0 {
				origin = "base"
			}
			s.design++
		} else {
			p = s.space.sample(s.rng)
			tries++
		}
		cfg, err := config.Load(s.o.Config, append(slices.Clone(s.o.Sets), p.Sets()...))
		if err == nil {
			// What dlc train would choose for the labels when the
			// config leaves the output and loss out.
			cfg = cfg.ForClasses(len(s.classes))
		}
		t := &Trial{ID: len(res.Trials) + 1, Origin: origin, Params: p, Bracket: bracket, Pruned: -1, cfg: cfg}
		if err == nil {
			// The rungs choose the epochs: two configs that differ only
			// there (the base's general recipe and the design point that
			// spells it out) are one trial.
			same := *cfg
			same.Training.Epochs = 0
			key, _ := json.Marshal(&same)
			if s.seen[string(key)] {
				continue
			}
			s.seen[string(key)] = true
			t.plan, err = pipeline.Build(cfg)
		}
		if err != nil {
			// A draw the base makes invalid (say, a loss that does not
			// fit an output the base sets): kept, to say so, and failed.
			t.Evaluations = []*Evaluation{{Trial: t, Err: err}}
		}
		res.Trials = append(res.Trials, t)
		if err == nil {
			out = append(out, t)
		}
	}
	return out
}

// task is one fold of one trial to train at a rung.
type task struct {
	eval *Evaluation
	fold int
}

// runRung trains every fold of every trial for at most the rung's epochs,
// the workers side by side, and returns the trials' evaluations in trial
// order. Each evaluation is reported as its last fold finishes. When ctx
// is cancelled the evaluations not finished are left out.
func (s *searcher) runRung(ctx context.Context, trials []*Trial, r int) []*Evaluation {
	var tasks []task
	evals := make([]*Evaluation, len(trials))
	left := make(map[*Evaluation]int, len(evals))
	var done []*Evaluation
	for i, t := range trials {
		e := &Evaluation{Trial: t, Rung: r, Epochs: RungEpochs(r), Folds: make([]FoldRun, s.k)}
		evals[i] = e
		var below *Evaluation
		if n := len(t.Evaluations); n > 0 && t.Evaluations[n-1].Err == nil {
			below = t.Evaluations[n-1]
		}
		for f := range s.k {
			if below != nil && below.Folds[f].Stopped == gd.StopCallback {
				e.Folds[f] = FoldRun{Accuracy: below.Folds[f].Accuracy, Stopped: gd.StopCallback, Reused: true}
				continue
			}
			tasks = append(tasks, task{e, f})
			left[e]++
		}
		if left[e] == 0 {
			e.finish(nil)
			t.Evaluations = append(t.Evaluations, e)
			done = append(done, e)
			if s.o.OnEvaluation != nil {
				s.o.OnEvaluation(e)
			}
		}
	}
	var mu sync.Mutex
	failed := map[*Evaluation]error{}
	closed := false // the rung was given up: workers write nothing more
	next := 0
	var wg sync.WaitGroup
	for range min(s.workers, len(tasks)) {
		wg.Go(func() {
			for {
				mu.Lock()
				if next == len(tasks) || closed {
					mu.Unlock()
					return
				}
				tk := tasks[next]
				next++
				skip := failed[tk.eval] != nil
				mu.Unlock()
				var err error
				if !skip {
					err = s.trainFold(ctx, tk.eval, tk.fold)
				}
				mu.Lock()
				if closed || ctx.Err() != nil {
					mu.Unlock()
					return
				}
				if err != nil && failed[tk.eval] == nil {
					failed[tk.eval] = err
				}
				left[tk.eval]--
				if left[tk.eval] == 0 {
					tk.eval.finish(failed[tk.eval])
					tk.eval.Trial.Evaluations = append(tk.eval.Trial.Evaluations, tk.eval)
					done = append(done, tk.eval)
					if s.o.OnEvaluation != nil {
						s.o.OnEvaluation(tk.eval)
					}
				}
				mu.Unlock()
			}
		})
	}
	finished := make(chan struct{})
	go func() {
		wg.Wait()
		close(finished)
	}()
	select {
	case <-finished:
	case <-ctx.Done():
		// Stopped: a training ends after its batch, but a fold being
		// vectorized cannot be cut short, and need not be waited for.
		mu.Lock()
		closed = true
		mu.Unlock()
	}
	mu.Lock()
	defer mu.Unlock()
	var out []*Evaluation
	for _, e := range evals {
		if slices.Contains(done, e) {
			out = append(out, e)
		}
	}
	return out
}

// trainFold trains one fold of an evaluation's trial, recording the
// validation accuracy of every epoch.
func (s *searcher) trainFold(ctx context.Context, e *Evaluation, f int) error {
	t := e.Trial
	plan := *t.plan
	plan.Training.Epochs = e.Epochs
	// The search's own early stopping (Patience, on the fold's accuracy)
	// replaces the config's: the fold is scored after every epoch anyway.
	plan.Training.EarlyStopping = gd.EarlyStopping{}
	key := foldKey{vectorizer: plan.Vectorizer, scaling: plan.Scaling, fold: f}
	rows, hit, release, err := s.cache.get(ctx, key, func() (*foldRows, error) { return s.vectorize(&plan, f) })
	if err != nil {
		return err
	}
	defer release()
	run := &e.Folds[f]
	if !hit {
		run.Vectorized, run.VectorizeSeconds = true, rows.seconds
	}
	best, wait := -1.0, 0
	h := pipeline.Hooks{Epoch: func(st *gd.EpochStats) error {
		run.Accuracy = append(run.Accuracy, st.ValAccuracy)
		if st.ValAccuracy > best {
			best, wait = st.ValAccuracy, 0
		} else if wait++; wait >= Patience {
			return gd.ErrStop
		}
		return nil
	}}
	start := time.Now()
	_, gres, err := plan.TrainRows(ctx, rows.features, s.classes, rows.train, &rows.val, h)
	run.Seconds = time.Since(start).Seconds()
	if err != nil {
		return err
	}
	run.Stopped = gres.Stopped
	return nil
}

// vectorize fits the plan's vectorizer on fold f's training half and
// encodes both halves.
func (s *searcher) vectorize(plan *pipeline.Plan, f int) (*foldRows, error) {
	train, val := s.folds[f][0], s.folds[f][1]
	vec, x, _, err := plan.Fit(train)
	if err != nil {
		return nil, err
	}
	xv, _ := pipeline.Encode(vec, val)
	yt, err := pipeline.Targets(plan.Config, train, s.classes)
	if err != nil {
		return nil, err
	}
	yv, err := pipeline.Targets(plan.Config, val, s.classes)
	if err != nil {
		return nil, err
	}
	r := &foldRows{features: vec.Features(), train: pipeline.Rows{X: x, Y: yt}, val: pipeline.Rows{X: xv, Y: yv}}
	r.bytes = matrixBytes(x) + matrixBytes(xv) + int64(len(yt.Class)+len(yv.Class))*4 + int64(len(yt.Weight)+len(yv.Weight))*8
	return r, nil
}

// finish sums an evaluation's folds up: the mean curve, its best epoch,
// the spread there, the time.
func (e *Evaluation) finish(err error) {
	e.Err = err
	longest := 0
	for _, f := range e.Folds {
		longest = max(longest, len(f.Accuracy))
		e.Seconds += f.Seconds
		e.VectorizeSeconds += f.VectorizeSeconds
	}
	if err != nil {
		return
	}
	at := func(f FoldRun, epoch int) float64 {
		return f.Accuracy[min(epoch, len(f.Accuracy))-1]
	}
	e.Curve = make([]float64, longest)
	for ep := 1; ep <= longest; ep++ {
		sum := 0.0
		for _, f := range e.Folds {
			sum += at(f, ep)
		}
		e.Curve[ep-1] = sum / float64(len(e.Folds))
		if ep == 1 || e.Curve[ep-1] > e.Mean {
			e.BestEpoch, e.Mean = ep, e.Curve[ep-1]
		}
	}
	ss := 0.0
	for _, f := range e.Folds {
		d := at(f, e.BestEpoch) - e.Mean
		ss += d * d
	}
	e.Std = math.Sqrt(ss / float64(len(e.Folds)-1))
}
