package gd

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
)

// State is where a run of Train stands between two updates: everything
// Train needs to go on from there and end exactly where the run that was
// not stopped ends, bit for bit. Train hands it to a Checkpointer and
// takes it back through Callbacks.Resume. What Train does not own — the
// objective's own random source (dropout) — its caller saves beside it.
type State struct {
	// Epoch is the epoch under way (1-based) and Pos the examples of it
	// done; Shuffled says its order has been drawn already (when false,
	// Order is the previous epoch's, which the next shuffle permutes).
	Epoch, Pos int
	Shuffled   bool
	Order      []int
	// Shuffle is the shuffling source's state (a PCG's MarshalBinary).
	Shuffle []byte
	// The epoch's sums so far: updates, summed loss, correct predictions,
	// the rate of its last update and the seconds it has taken (the
	// seconds are the only field a resumed run does not reproduce).
	EpochSteps   int
	LossSum      float64
	Correct      int
	LearningRate float64
	EpochSeconds float64
	// Steps, History, BestEpoch and Best are Result's so far.
	Steps     int
	History   []EpochStats
	BestEpoch int
	Best      float64
	// Early stopping's and convergence's counters.
	BestVal  float64
	Wait     int
	ConvBest float64
	ConvWait int
	// Params are the objective's parameters; BestParams the best epoch's
	// kept for EarlyStopping.RestoreBest (nil when none are).
	Params, BestParams []float64
	Optimizer          OptimizerState
	// Changed, when not nil, holds where Params and the Optimizer's Slots
	// (then each as long as Params) may have changed since the last State
	// this run of Train saved (the whole of them in the first): a
	// Checkpointer that keeps a copy of that State need copy only those
	// ranges. Nil: anything may have.
	Changed *ChangeTracker
	// Deferred says that Train calls the Checkpointer's Protect and Settle
	// (see DeferredCopier) while this State's Changed is set: Save may
	// leave Changed's ranges to be copied after it returns.
	Deferred bool
}

// OptimizerState is an update rule's running state, as it stands: a lazy
// rule's rows that are behind stay behind (catching them up here would
// round differently from the run that was not stopped).
type OptimizerState struct {
	Name  string
	Steps int // updates made (the schedule's t)
	// Slots are the rule's per-parameter arrays by name: RMSprop's "avg",
	// momentum's "velocity", Adam's "m" and "v", Adagrad's "acc".
	Slots map[string][]float64
	// Scale is lazy RMSprop's decay D (1 otherwise).
	Scale float64
	// Now and Done are lazy momentum's and Adam's row clock (nil Done: not
	// started);
	// Behind is, per row, what its lazy path put off: 2 × the steps its
	// velocity is yet to be decayed by, plus 1 when its θ is yet to move
	// by its last step's velocity (nil: nothing, as a checkpoint written
	// before Behind existed says).
	Now    int64
	Done   []int64
	Behind []int64
}

// Checkpointer saves Train's State at the moments it chooses. Train asks
// Due after every update (epochEnd false) and after every epoch but the
// last (epochEnd true), and calls Save when it answers true; when the
// context is cancelled, Train calls Save without asking, before it
// flushes or restores anything. The State and its slices are Train's
// own: Save must copy or write what it keeps before it returns (but see
// DeferredCopier).
type Checkpointer interface {
	Due(epochEnd bool) bool
	Save(*State) error
}

// DeferredCopier is a Checkpointer that copies the ranges of the weights
// and of the update rule's arrays a State's Changed names after Save
// returned, while training goes on: copied by Save, the IMDB recipe's
// 100 MB held training up at every checkpoint. Train tells it so (State's
// Deferred) only when it keeps a ChangeTracker, whose updates write the
// weights and the rule's arrays at their spans alone; it then calls
// Protect with the spans an update is about to write, before writing
// them, and Settle before it writes anywhere else or returns. Protect
// must copy what of the spans is still to be copied (or wait for it), and
// Settle wait for the whole copy.
type DeferredCopier interface {
	Checkpointer
	Protect(spans [][2]int)
	Settle()
}

// stateful is an update rule that can save and restore its state.
type stateful interface {
	saveState(*OptimizerState)
	loadState(*OptimizerState) error
}

// SlotLengths returns the arrays of opt's update rule's state that a
// State holds (Adagrad's sums, Adam's moments, ...), by name, with their
// lengths; nil when the rule cannot save its state. For sizing a
// checkpoint's buffers before the first State comes.
func SlotLengths(opt Optimizer) map[string]int {
	r, ok := rule(opt).(stateful)
	if !ok {
		return nil
	}
	var st OptimizerState
	r.saveState(&st) // the rule's own arrays, not copies
	out := make(map[string]int, len(st.Slots))
	for k, v := range st.Slots {
		out[k] = len(v)
	}
	return out
}

// rule returns the update rule under opt's wrappers.
func rule(opt Optimizer) Optimizer {
	for {
		u, ok := opt.(interface{ Unwrap() Optimizer })
		if !ok {
			return opt
		}
		opt = u.Unwrap()
	}
}

// progress is the training loop's position and running sums, and the
// parts of the run State records beside them.
type progress struct {
	epoch, pos int
	shuffled   bool
	epochSteps int
	lossSum    float64
	correct    int
	lr         float64
	seconds    float64 // of the epoch, before a resume
	bestVal    float64
	wait       int
	convBest   float64
	convWait   int

	shuffle *rand.PCG
	n       int   // the examples of an epoch
	order   []int // their shuffled indices; nil when a RowSource orders them
	params  []float64
	best    *[]float64
	res     *Result
	opt     Optimizer
}

// capture fills st from the loop's state.
func (p *progress) capture(st *State) error {
	shuffle, err := p.shuffle.MarshalBinary()
	if err != nil {
		return err
	}
	*st = State{
		Epoch: p.epoch, Pos: p.pos, Shuffled: p.shuffled, Order: p.order, Shuffle: shuffle,
		EpochSteps: p.epochSteps, LossSum: p.lossSum, Correct: p.correct, LearningRate: p.lr, EpochSeconds: p.seconds,
		Steps: p.res.Steps, History: p.res.History, BestEpoch: p.res.BestEpoch, Best: p.res.Best,
		BestVal: p.bestVal, Wait: p.wait, ConvBest: p.convBest, ConvWait: p.convWait,
		Params: p.params, BestParams: *p.best,
	}
	r, ok := rule(p.opt).(stateful)
	if !ok {
		return fmt.Errorf("gd: the update rule %s cannot save its state", p.opt.Name())
	}
	r.saveState(&st.Optimizer)
	return nil
}

// restore puts the loop where st says, checking that st fits the run.
func (p *progress) restore(st *State, c Config) error {
	n := p.n
	if len(st.Params) != len(p.params) {
		return fmt.Errorf("the saved state has %d parameters, the network %d", len(st.Params), len(p.params))
	}
	if st.BestParams != nil && len(st.BestParams) != len(p.params) {
		return fmt.Errorf("the saved best weights are %d parameters, the network's %d", len(st.BestParams), len(p.params))
	}
	if len(st.Order) != len(p.order) {
		return fmt.Errorf("the saved order has %d examples, the data %d", len(st.Order), len(p.order))
	}
	seen := make([]bool, len(p.order))
	for _, i := range st.Order {
		if i < 0 || i >= n || seen[i] {
			return errors.New("the saved order is not a permutation of the examples")
		}
		seen[i] = true
	}
	if st.Epoch < 1 || st.Pos < 0 || st.Pos > n || (st.Pos > 0 && !st.Shuffled && !c.NoShuffle) {
		return fmt.Errorf("the saved position (epoch %d, example %d) is not one Train stops at", st.Epoch, st.Pos)
	}
	if st.Steps < 0 || len(st.History) != st.Epoch-1 {
		return fmt.Errorf("the saved state has %d epochs of history in epoch %d", len(st.History), st.Epoch)
	}
	if err := p.shuffle.UnmarshalBinary(st.Shuffle); err != nil {
		return fmt.Errorf("the saved shuffling source: %v", err)
	}
	r, ok := rule(p.opt).(stateful)
	if !ok {
		return fmt.Errorf("gd: the update rule %s cannot restore its state", p.opt.Name())
	}
	if st.Optimizer.Name != p.opt.Name() {
		return fmt.Errorf("the saved state is of the update rule %s, not %s", st.Optimizer.Name, p.opt.Name())
	}
	if err := r.loadState(&st.Optimizer); err != nil {
		return err
	}
	copy(p.order, st.Order)
	copy(p.params, st.Params)
	if st.BestParams != nil {
		*p.best = append((*p.best)[:0], st.BestParams...)
	}
	p.epoch, p.pos, p.shuffled = st.Epoch, st.Pos, st.Shuffled
	p.epochSteps, p.lossSum, p.correct, p.lr, p.seconds = st.EpochSteps, st.LossSum, st.Correct, st.LearningRate, st.EpochSeconds
	p.res.Steps, p.res.History = st.Steps, slices.Clone(st.History)
	p.res.BestEpoch, p.res.Best = st.BestEpoch, st.Best
	p.bestVal, p.wait, p.convBest, p.convWait = st.BestVal, st.Wait, st.ConvBest, st.ConvWait
	return nil
}

// slot checks that a saved array fits the rule's.
func slot(s *OptimizerState, name string, into []float64) error {
	v, ok := s.Slots[name]
	if !ok || len(v) != len(into) {
		return fmt.Errorf("the saved %s state lacks its %q of %d values", s.Name, name, len(into))
	}
	copy(into, v)
	return nil
}

func (r *rate) save(s *OptimizerState, name string) {
	*s = OptimizerState{Name: name, Steps: r.steps, Scale: 1, Slots: map[string][]float64{}}
}

func (r *rate) load(s *OptimizerState) error {
	if s.Steps < 0 {
		return fmt.Errorf("the saved %s state has made %d updates", s.Name, s.Steps)
	}
	r.steps = s.Steps
	return nil
}

func (o *SGD) saveState(s *OptimizerState)       { o.save(s, o.Name()) }
func (o *SGD) loadState(s *OptimizerState) error { return o.load(s) }

func (o *Adagrad) saveState(s *OptimizerState) {
	o.save(s, o.Name())
	s.Slots["acc"] = o.acc
}

func (o *Adagrad) loadState(s *OptimizerState) error {
	if err := o.load(s); err != nil {
		return err
	}
	return slot(s, "acc", o.acc)
}

func (o *Adam) saveState(s *OptimizerState) {
	o.settle() // a State holds no put-off step: it reads no gradient
	o.save(s, o.Name())
	s.Slots["m"], s.Slots["v"] = o.m, o.v
	saveBehind(s, &o.clock, o.decay, o.lag)
}

func (o *Adam) loadState(s *OptimizerState) error {
	o.init()
	if err := o.load(s); err != nil {
		return err
	}
	if err := slot(s, "m", o.m); err != nil {
		return err
	}
	if err := slot(s, "v", o.v); err != nil {
		return err
	}
	if s.Done == nil && o.clock.done != nil {
		// Before adam's lazy path followed the dense rule, it kept no row
		// counters: its m and v are lazyadam's, which this run cannot go
		// on from exactly.
		return fmt.Errorf("the saved adam state was written by a dlc whose lazy adam did not follow the dense rule (that rule is now optimizer.name lazyadam); start afresh without --resume")
	}
	clear(o.pend)
	// tick brings the series to the clock's step.
	return loadBehind(s, &o.clock, o.decay, o.lag)
}

func (o *LazyAdam) saveState(s *OptimizerState) {
	o.save(s, o.Name())
	s.Slots["m"], s.Slots["v"] = o.m, o.v
}

func (o *LazyAdam) loadState(s *OptimizerState) error {
	if err := o.load(s); err != nil {
		return err
	}
	if err := slot(s, "m", o.m); err != nil {
		return err
	}
	return slot(s, "v", o.v)
}

func (o *RMSprop) saveState(s *OptimizerState) {
	o.init()
	o.save(s, o.Name())
	s.Slots["avg"], s.Scale = o.avg, o.scale
}

func (o *RMSprop) loadState(s *OptimizerState) error {
	o.init()
	if err := o.load(s); err != nil {
		return err
	}
	if !(s.Scale > 0 && s.Scale <= 1) {
		return fmt.Errorf("the saved rmsprop state has the decay %v, not one in (0, 1]", s.Scale)
	}
	o.scale = s.Scale
	return slot(s, "avg", o.avg)
}

func (o *Momentum) saveState(s *OptimizerState) {
	o.save(s, o.Name())
	s.Slots["velocity"] = o.velocity
	saveBehind(s, &o.clock, o.decay, o.lag)
}

func (o *Momentum) loadState(s *OptimizerState) error {
	o.init()
	if err := o.load(s); err != nil {
		return err
	}
	if err := slot(s, "velocity", o.velocity); err != nil {
		return err
	}
	if err := loadBehind(s, &o.clock, o.decay, o.lag); err != nil {
		return err
	}
	if o.clock.done != nil {
		o.mu.grow(o.clock.now)
	}
	return nil
}

// saveBehind records a lazy rule's row clock and what each row put off
// (momentum's and Adam's decay and lag) in s.
func saveBehind(s *OptimizerState, clock *rowClock, decay []int64, lag []bool) {
	s.Now, s.Done = clock.now, clock.done
	if clock.done != nil {
		s.Behind = make([]int64, len(decay))
		for r, d := range decay {
			s.Behind[r] = 2 * d
			if lag[r] {
				s.Behind[r]++
			}
		}
	}
}

// loadBehind checks and restores what saveBehind recorded; a state
// without a clock (a dense run's) leaves the rule's as it is.
func loadBehind(s *OptimizerState, clock *rowClock, decay []int64, lag []bool) error {
	if s.Done == nil {
		return nil
	}
	if clock.done == nil || len(s.Done) != len(clock.done) {
		return fmt.Errorf("the saved %s state has %d row counters, the run %d", s.Name, len(s.Done), len(clock.done))
	}
	for _, d := range s.Done {
		if d < 0 || d > int64(s.Steps) {
			return fmt.Errorf("the saved %s state has a row at update %d of %d", s.Name, d, s.Steps)
		}
	}
	if s.Now < 0 || s.Now > int64(s.Steps) {
		return fmt.Errorf("the saved %s state's clock is at %d of %d updates", s.Name, s.Now, s.Steps)
	}
	if s.Behind != nil && len(s.Behind) != len(s.Done) {
		return fmt.Errorf("the saved %s state has %d rows put off, and %d row counters", s.Name, len(s.Behind), len(s.Done))
	}
	for r, b := range s.Behind {
		if b < 0 || b/2 > int64(s.Steps) {
			return fmt.Errorf("the saved %s state has row %d behind by %d updates of %d", s.Name, r, b/2, s.Steps)
		}
	}
	copy(clock.done, s.Done)
	clock.now = s.Now
	for r := range decay {
		decay[r], lag[r] = 0, false
		if s.Behind != nil {
			decay[r], lag[r] = s.Behind[r]/2, s.Behind[r]%2 == 1
		}
	}
	return nil
}
