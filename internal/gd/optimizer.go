package gd

import (
	"fmt"
	"math"

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

// SparseOptimizer is an update rule for which a zero gradient entry changes
// neither its parameter nor the rule's state (plain SGD, Adagrad). It can
// then update only the ranges where the gradient may be non-zero, with
// exactly the result of Update: one example of a sparse text then costs
// O(its features) instead of O(parameters).
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
	NameAdagrad  = "adagrad"
)

// OptimizerNames lists the rules NewOptimizer knows.
var OptimizerNames = []string{NameSGD, NameMomentum, NameNesterov, NameRMSprop, NameAdam, NameAdagrad}

// OptimizerConfig selects and tunes an update rule. The zero value of a
// field means the rule's default, which is Keras' (tf.keras 2) default.
type OptimizerConfig struct {
	Name         string
	LearningRate float64 // required, > 0
	// Rho is RMSprop's decay of the squared-gradient average; default 0.9.
	Rho float64
	// Epsilon guards RMSprop, Adam and Adagrad against division by zero;
	// default 1e-7.
	Epsilon float64
	// Momentum is the velocity's decay for momentum and nesterov; default 0.9.
	Momentum float64
	// Beta1 and Beta2 are Adam's decays of the gradient's first and second
	// moments; defaults 0.9 and 0.999.
	Beta1, Beta2 float64
	// InitialAccumulator starts Adagrad's sum of squared gradients; default 0.1.
	InitialAccumulator float64
	// Schedule changes the learning rate with the step count; the zero value
	// keeps it constant.
	Schedule Schedule
}

// NewOptimizer returns the rule c names, for n parameters.
func NewOptimizer(c OptimizerConfig, n int) (Optimizer, error) {
	if !(c.LearningRate > 0) || math.IsInf(c.LearningRate, 0) {
		return nil, fmt.Errorf("learning rate must be a positive number, not %v", c.LearningRate)
	}
	if err := c.Schedule.Validate(); err != nil {
		return nil, err
	}
	def := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.Rho, 0.9)
	def(&c.Epsilon, 1e-7)
	def(&c.Momentum, 0.9)
	def(&c.Beta1, 0.9)
	def(&c.Beta2, 0.999)
	def(&c.InitialAccumulator, 0.1)
	for _, p := range []struct {
		name string
		v    float64
	}{{"rho", c.Rho}, {"momentum", c.Momentum}, {"beta_1", c.Beta1}, {"beta_2", c.Beta2}} {
		if !(p.v > 0 && p.v < 1) {
			return nil, fmt.Errorf("%s %s must be between 0 and 1, not %v", c.Name, p.name, p.v)
		}
	}
	if !(c.Epsilon > 0) || !(c.InitialAccumulator >= 0) {
		return nil, fmt.Errorf("%s epsilon must be above 0 and initial_accumulator at least 0", c.Name)
	}
	r := rate{base: c.LearningRate, schedule: c.Schedule}
	switch c.Name {
	case NameSGD:
		return &SGD{rate: r}, nil
	case NameMomentum, NameNesterov:
		return &Momentum{rate: r, Momentum: c.Momentum, Nesterov: c.Name == NameNesterov, velocity: make([]float64, n)}, nil
	case NameRMSprop:
		return &RMSprop{rate: r, Rho: c.Rho, Epsilon: c.Epsilon, avg: make([]float64, n)}, nil
	case NameAdam:
		return &Adam{rate: r, Beta1: c.Beta1, Beta2: c.Beta2, Epsilon: c.Epsilon, m: make([]float64, n), v: make([]float64, n)}, nil
	case NameAdagrad:
		acc := make([]float64, n)
		for i := range acc {
			acc[i] = c.InitialAccumulator
		}
		return &Adagrad{rate: r, Epsilon: c.Epsilon, acc: acc}, nil
	}
	return nil, fmt.Errorf("optimizer %q is not one of %v", c.Name, OptimizerNames)
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
	}
}

// next returns the rate of the step being made and counts it.
func (r *rate) next() float64 {
	lr := r.LearningRate()
	r.steps++
	return lr
}

// SGD is plain gradient descent, the lecture's update:
//
//	θ ← θ − η g
type SGD struct {
	rate
	chunks
}

// Name implements Optimizer.
func (*SGD) Name() string { return NameSGD }

// Update implements Optimizer.
func (o *SGD) Update(params, grad []float64) {
	o.rule = sgdChunk
	o.run(params, grad, o.next(), 1)
}

func sgdChunk(c *chunks, lo, hi int) {
	lr := c.lr
	p, g := c.params[lo:hi], c.grad[lo:hi]
	p = p[:len(g)]
	for i, gi := range g {
		p[i] -= lr * gi
	}
}

// UpdateSpans implements SparseOptimizer: θ − η·0 = θ, so the entries
// outside spans would not move.
func (o *SGD) UpdateSpans(params, grad []float64, spans [][2]int) {
	o.rule = sgdChunk
	o.runSpans(params, grad, spans, o.next(), 1)
}

// Momentum is gradient descent with a velocity (Keras' SGD with momentum μ,
// default 0.9):
//
//	v ← μ v − η g;  θ ← θ + v
//
// and with Nesterov's look-ahead (Keras' nesterov=True):
//
//	v ← μ v − η g;  θ ← θ + μ v − η g
type Momentum struct {
	rate
	chunks
	Momentum float64
	Nesterov bool
	velocity []float64
}

// Name implements Optimizer.
func (o *Momentum) Name() string {
	if o.Nesterov {
		return NameNesterov
	}
	return NameMomentum
}

// Update implements Optimizer.
func (o *Momentum) Update(params, grad []float64) {
	if o.rule == nil { // once: a method value allocates
		o.rule = o.chunk
	}
	o.run(params, grad, o.next(), 3)
}

func (o *Momentum) chunk(c *chunks, lo, hi int) {
	lr, mu := c.lr, o.Momentum
	p, g, vel := c.params[lo:hi], c.grad[lo:hi], o.velocity[lo:hi]
	p, vel = p[:len(g)], vel[:len(g)]
	for i, gi := range g {
		v := mu*vel[i] - lr*gi
		vel[i] = v
		if o.Nesterov {
			p[i] += mu*v - lr*gi
		} else {
			p[i] += v
		}
	}
}

// RMSprop divides each step by a running root mean square of the gradient,
// as Keras does (ρ = 0.9, ε = 1e-7 by default):
//
//	s ← ρ s + (1−ρ) g²;  θ ← θ − η g / (√s + ε)
type RMSprop struct {
	rate
	chunks
	Rho, Epsilon float64
	avg          []float64
}

// Name implements Optimizer.
func (*RMSprop) Name() string { return NameRMSprop }

// Update implements Optimizer.
func (o *RMSprop) Update(params, grad []float64) {
	if o.rule == nil { // once: a method value allocates
		o.rule = o.chunk
	}
	o.run(params, grad, o.next(), 8) // a square root and a division
}

func (o *RMSprop) chunk(c *chunks, lo, hi int) {
	rho, keep, lr, eps := o.Rho, 1-o.Rho, c.lr, o.Epsilon
	p, g, avg := c.params[lo:hi], c.grad[lo:hi], o.avg[lo:hi]
	p, avg = p[:len(g)], avg[:len(g)]
	for i, gi := range g {
		if math.Float64bits(gi) == 0 {
			// A gradient of +0 (the weights of the pixels or words a
			// batch lacks) leaves the parameter as it is and only decays
			// the average, exactly as the full formula would, without
			// the square root and the division that make this loop slow.
			avg[i] *= rho
			continue
		}
		v := rho*avg[i] + keep*gi*gi
		avg[i] = v
		p[i] -= lr * gi / (math.Sqrt(v) + eps)
	}
}

// Adam keeps running averages of the gradient and its square with bias
// correction, in Keras' form (β₁ = 0.9, β₂ = 0.999, ε = 1e-7; t counts
// steps from 1):
//
//	m ← β₁ m + (1−β₁) g;  v ← β₂ v + (1−β₂) g²
//	θ ← θ − η √(1−β₂ᵗ)/(1−β₁ᵗ) · m / (√v + ε)
type Adam struct {
	rate
	chunks
	Beta1, Beta2, Epsilon float64
	m, v                  []float64
}

// Name implements Optimizer.
func (*Adam) Name() string { return NameAdam }

// Update implements Optimizer.
func (o *Adam) Update(params, grad []float64) {
	t := float64(o.steps + 1)
	lr := o.next()
	b1, b2 := o.Beta1, o.Beta2
	if o.rule == nil {
		o.rule = o.chunk
	}
	o.run(params, grad, lr*math.Sqrt(1-math.Pow(b2, t))/(1-math.Pow(b1, t)), 10)
}

// chunk is Adam's step with c.lr holding the bias-corrected rate α.
func (o *Adam) chunk(c *chunks, lo, hi int) {
	b1, b2, eps, alpha := o.Beta1, o.Beta2, o.Epsilon, c.lr
	k1, k2 := 1-b1, 1-b2
	p, g, m, v := c.params[lo:hi], c.grad[lo:hi], o.m[lo:hi], o.v[lo:hi]
	p, m, v = p[:len(g)], m[:len(g)], v[:len(g)]
	for i, gi := range g {
		mi := b1*m[i] + k1*gi
		vi := b2*v[i] + k2*gi*gi
		m[i], v[i] = mi, vi
		p[i] -= alpha * mi / (math.Sqrt(vi) + eps)
	}
}

// Adagrad divides each step by the root of the sum of all squared gradients
// so far, as Keras does (accumulator starting at 0.1, ε = 1e-7):
//
//	G ← G + g²;  θ ← θ − η g / (√G + ε)
type Adagrad struct {
	rate
	chunks
	Epsilon float64
	acc     []float64
}

// Name implements Optimizer.
func (*Adagrad) Name() string { return NameAdagrad }

// Update implements Optimizer.
func (o *Adagrad) Update(params, grad []float64) {
	if o.rule == nil { // once: a method value allocates
		o.rule = o.chunk
	}
	o.run(params, grad, o.next(), 8)
}

func (o *Adagrad) chunk(c *chunks, lo, hi int) {
	lr, eps := c.lr, o.Epsilon
	p, g, acc := c.params[lo:hi], c.grad[lo:hi], o.acc[lo:hi]
	p, acc = p[:len(g)], acc[:len(g)]
	for i, gi := range g {
		if math.Float64bits(gi) == 0 { // +0 changes nothing (see RMSprop)
			continue
		}
		a := acc[i] + gi*gi
		acc[i] = a
		p[i] -= lr * gi / (math.Sqrt(a) + eps)
	}
}

// UpdateSpans implements SparseOptimizer: a zero gradient adds nothing to
// G and moves nothing.
func (o *Adagrad) UpdateSpans(params, grad []float64, spans [][2]int) {
	if o.rule == nil { // once: a method value allocates
		o.rule = o.chunk
	}
	o.runSpans(params, grad, spans, o.next(), 8)
}
