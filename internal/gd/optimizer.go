package gd

import (
	"fmt"
	"math"

	"github.com/dlc-dev/dlc/internal/option"
	"github.com/dlc-dev/dlc/internal/parallel"
)

// Optimizer is an update rule: it moves params against grad, keeping
// whatever running state it needs between steps.
type Optimizer interface {
	// Update applies one step; grad is the gradient of the mean batch loss.
	Update(params, grad []float64)
	// Name is the rule's config name.
	Name() string
	// LearningRate is the rate the next step will use (after the schedule).
	LearningRate() float64
}

// SparseOptimizer is an update rule that can update only the ranges where
// the gradient may be non-zero: one example of a sparse text then costs
// O(its features) instead of O(parameters). For plain SGD and Adagrad a
// zero gradient entry changes neither its parameter nor the rule's state,
// so that is exactly Update; the other rules are LazyOptimizers, which
// catch the rows they skip up later.
type SparseOptimizer interface {
	Optimizer
	// UpdateSpans is Update for a grad that is zero outside spans ([lo, hi)
	// index ranges that do not overlap).
	UpdateSpans(params, grad []float64, spans [][2]int)
}

// The update rules' config names.
const (
	NameSGD      = "sgd"
	NameMomentum = "momentum"
	NameNesterov = "nesterov"
	NameRMSprop  = "rmsprop"
	NameAdam     = "adam"
	NameLazyAdam = "lazyadam"
	NameAdagrad  = "adagrad"
)

// OptimizerNames lists the rules NewOptimizer knows.
var OptimizerNames = []string{NameSGD, NameMomentum, NameNesterov, NameRMSprop, NameAdam, NameLazyAdam, NameAdagrad}

// OptimizerConfig selects and tunes an update rule. NewOptimizer reads a
// zero field as its default, the value in DefaultOptimizer, which is
// Keras' (tf.keras 2); Name and LearningRate have no default.
type OptimizerConfig struct {
	// Name is the rule, one of OptimizerNames.
	Name string
	// LearningRate is the step size η (the schedule's initial rate), above 0.
	LearningRate float64
	// Rho is RMSprop's decay of the squared-gradient average, between 0 and
	// 1; default 0.9.
	Rho float64
	// Epsilon guards RMSprop, Adam and Adagrad against division by zero,
	// above 0; default 1e-7.
	Epsilon float64
	// Momentum is the velocity's decay for momentum and nesterov, between 0
	// and 1; default 0.9.
	Momentum float64
	// Beta1 and Beta2 are Adam's (and LazyAdam's) decays of the gradient's
	// first and second moments, between 0 and 1; defaults 0.9 and 0.999.
	// Adam's lazy path needs Beta1 below about 0.995 Beta2 (see
	// adamWindow).
	Beta1, Beta2 float64
	// InitialAccumulator starts Adagrad's sum of squared gradients, at least
	// 0; default 0.1 (so a zero here starts it at 0.1, not 0).
	InitialAccumulator float64
	// Schedule changes the learning rate with the step count; the zero value
	// keeps it constant.
	Schedule Schedule
	// Dense makes Train update every parameter at every step, the rule as
	// its formula reads. By default (false) Train updates, on an objective
	// whose gradients are sparse, only the rows a batch touches: exactly
	// the same for SGD and Adagrad, the same within rounding for RMSprop
	// and momentum (LazyOptimizer), and for Adam within rounding and a
	// second-order approximation in ε (see Adam). LazyAdam is a lazy rule
	// of its own and takes no Dense.
	Dense bool
}

// DefaultOptimizer is RMSprop at Keras' default learning rate 0.001 (the
// IMDB notebook compiles with optimizer="rmsprop"), every other rule's
// parameters at their defaults, and a constant rate. NewOptimizer takes a
// zero field of its config, other than Name and LearningRate, from here.
func DefaultOptimizer() OptimizerConfig {
	return OptimizerConfig{
		Name: NameRMSprop, LearningRate: 0.001,
		Rho: 0.9, Epsilon: 1e-7, Momentum: 0.9, Beta1: 0.9, Beta2: 0.999,
		InitialAccumulator: 0.1,
		Schedule:           Schedule{Name: Constant},
	}
}

// withDefaults returns c with its zero rule parameters set to their
// defaults.
func (c OptimizerConfig) withDefaults() OptimizerConfig {
	d := DefaultOptimizer()
	for _, p := range []struct{ v, def *float64 }{
		{&c.Rho, &d.Rho}, {&c.Epsilon, &d.Epsilon}, {&c.Momentum, &d.Momentum},
		{&c.Beta1, &d.Beta1}, {&c.Beta2, &d.Beta2}, {&c.InitialAccumulator, &d.InitialAccumulator},
	} {
		if *p.v == 0 {
			*p.v = *p.def
		}
	}
	return c
}

// Validate reports the first field of c out of its range, as an
// *option.Error named as the config's optimizer section names it. It takes
// every field as it is: NewOptimizer gives the zero ones their defaults
// before it validates, but to a config that spells every value out (dlc's
// YAML) a 0 is a 0, which rho, epsilon, momentum and the betas cannot be.
func (c OptimizerConfig) Validate() error {
	if err := option.OneOf("name", c.Name, OptimizerNames); err != nil {
		return err
	}
	if !(c.LearningRate > 0) || math.IsInf(c.LearningRate, 0) {
		return option.Errorf("learning_rate", "must be above 0, not %v", c.LearningRate)
	}
	if !(c.Rho > 0 && c.Rho < 1) {
		return option.Errorf("rho", "must be between 0 and 1, not %v", c.Rho)
	}
	if !(c.Epsilon > 0) {
		return option.Errorf("epsilon", "must be above 0, not %v", c.Epsilon)
	}
	for _, p := range []struct {
		name string
		v    float64
	}{{"momentum", c.Momentum}, {"beta_1", c.Beta1}, {"beta_2", c.Beta2}} {
		if !(p.v > 0 && p.v < 1) {
			return option.Errorf(p.name, "must be between 0 and 1, not %v", p.v)
		}
	}
	if c.Name == NameAdam && !c.Dense && adamWindow(c.Beta1, c.Beta2) > maxAdamWindow {
		return option.Errorf("beta_1", "must be below beta_2 × %.4g (%.4g) for adam's lazy updates, not %v: their catch-up sums a series in beta_1/beta_2 that must fall off within %d steps; set lazy: false to update densely with these betas",
			maxAdamRatio, c.Beta2*maxAdamRatio, c.Beta1, maxAdamWindow)
	}
	if c.Name == NameLazyAdam && c.Dense {
		return option.Errorf("lazy", "is false, but lazyadam is Adam's lazy approximation and has no dense form of its own; use name: adam for the dense rule")
	}
	if !(c.InitialAccumulator >= 0) {
		return option.Errorf("initial_accumulator", "must be at least 0, not %v", c.InitialAccumulator)
	}
	return c.Schedule.Validate()
}

// NewOptimizer returns the rule c names, for n parameters, with c's zero
// fields at their defaults.
func NewOptimizer(c OptimizerConfig, n int) (Optimizer, error) {
	c = c.withDefaults()
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("optimizer %w", err)
	}
	o := newRule(c, n)
	if c.Dense {
		return dense{o}, nil
	}
	return o, nil
}

// dense hides an update rule's sparse and lazy paths, so that Train
// updates every parameter at every step (OptimizerConfig.Dense).
type dense struct{ Optimizer }

// Unwrap returns the update rule itself.
func (d dense) Unwrap() Optimizer { return d.Optimizer }

// newRule builds the rule c names.
func newRule(c OptimizerConfig, n int) Optimizer {
	r := rate{base: c.LearningRate, schedule: c.Schedule}
	switch c.Name {
	case NameSGD:
		return &SGD{rate: r}
	case NameMomentum, NameNesterov:
		return &Momentum{rate: r, Momentum: c.Momentum, Nesterov: c.Name == NameNesterov, velocity: make([]float64, n)}
	case NameRMSprop:
		return &RMSprop{rate: r, Rho: c.Rho, Epsilon: c.Epsilon, avg: make([]float64, n)}
	case NameAdam:
		return &Adam{rate: r, Beta1: c.Beta1, Beta2: c.Beta2, Epsilon: c.Epsilon, m: make([]float64, n), v: make([]float64, n)}
	case NameLazyAdam:
		return &LazyAdam{rate: r, Beta1: c.Beta1, Beta2: c.Beta2, Epsilon: c.Epsilon, m: make([]float64, n), v: make([]float64, n)}
	case NameAdagrad:
		acc := make([]float64, n)
		for i := range acc {
			acc[i] = c.InitialAccumulator
		}
		return &Adagrad{rate: r, Epsilon: c.Epsilon, acc: acc}
	}
	panic("gd: OptimizerNames has " + c.Name + ", which NewOptimizer does not build")
}

// rate is the learning rate of an update rule and the steps it has made.
type rate struct {
	base     float64
	schedule Schedule
	steps    int // updates made so far (Keras' optimizer.iterations)
}

// LearningRate implements Optimizer.
func (r *rate) LearningRate() float64 { return r.schedule.Rate(r.base, r.steps) }

// updateChunk is how many parameters one task of an update takes. Every
// rule updates each parameter from its own gradient and state alone, so
// the split, and the number of cores, change nothing in the result.
const updateChunk = 1 << 14

// chunks runs an element-wise update rule over all parameters on every
// core, in chunks of updateChunk.
type chunks struct {
	group        parallel.Group
	params, grad []float64
	lr           float64 // the step's learning rate
	rule         func(c *chunks, lo, hi int)
	spans        [][2]int // runSpans: the ranges to update
	// told, when not nil, hears of each span runSpans updated, from the
	// task that updated it (see SpanWatcher); only rules that write
	// nothing else in UpdateSpans set it (tellSpans).
	told func(lo, hi int)
}

// run applies rule to params and grad; cost is the rule's work per
// parameter, in multiply-adds or so.
func (c *chunks) run(params, grad []float64, lr float64, cost int) {
	c.params, c.grad, c.lr = params, grad[:len(params)], lr
	c.group.Run((len(params)+updateChunk-1)/updateChunk, len(params)*cost, c)
	c.params, c.grad = nil, nil
}

// Do implements parallel.Tasks.
func (c *chunks) Do(t int) {
	c.rule(c, t*updateChunk, min(len(c.params), (t+1)*updateChunk))
}

// spansPerTask is how many spans (first-layer rows, typically a few
// hundred parameters each) one task of runSpans updates.
const spansPerTask = 64

// runSpans applies rule to the parameters in spans only (SparseOptimizer),
// on every core: the spans do not overlap, so the result is the same
// whatever runs them.
func (c *chunks) runSpans(params, grad []float64, spans [][2]int, lr float64, cost int) {
	c.params, c.grad, c.lr, c.spans = params, grad[:len(params)], lr, spans
	work := 0
	for _, s := range spans {
		work += s[1] - s[0]
	}
	c.group.Run((len(spans)+spansPerTask-1)/spansPerTask, work*cost, (*spanTasks)(c))
	c.params, c.grad, c.spans = nil, nil, nil
}

// spanTasks is chunks seen as the tasks of runSpans.
type spanTasks chunks

// Do implements parallel.Tasks.
func (s *spanTasks) Do(t int) {
	c := (*chunks)(s)
	for _, sp := range c.spans[t*spansPerTask : min(len(c.spans), (t+1)*spansPerTask)] {
		c.rule(c, sp[0], sp[1])
		if c.told != nil {
			c.told(sp[0], sp[1])
		}
	}
}

// next returns the rate of the step being made and counts it.
func (r *rate) next() float64 {
	lr := r.LearningRate()
	r.steps++
	return lr
}
