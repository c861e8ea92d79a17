package gd

import (
	"fmt"
	"math"
)

// Optimizer is an update rule: it moves params against grad, keeping
// whatever running state it needs between steps.
type Optimizer interface {
	// Update applies one step; grad is the gradient of the mean batch loss.
	Update(params, grad []float64)
	// Name is the rule's config name.
	Name() string
}

// The update rules' config names.
const (
	NameSGD     = "sgd"
	NameRMSprop = "rmsprop"
)

// OptimizerNames lists the rules NewOptimizer knows.
var OptimizerNames = []string{NameSGD, NameRMSprop}

// OptimizerConfig selects and tunes an update rule. The zero value of a
// field means the rule's default (Keras' defaults).
type OptimizerConfig struct {
	Name         string
	LearningRate float64 // required, > 0
	Rho          float64 // RMSprop's decay of the squared-gradient average; default 0.9
	Epsilon      float64 // RMSprop's guard against division by zero; default 1e-7
}

// NewOptimizer returns the rule c names, for n parameters.
func NewOptimizer(c OptimizerConfig, n int) (Optimizer, error) {
	if !(c.LearningRate > 0) || math.IsInf(c.LearningRate, 0) {
		return nil, fmt.Errorf("learning rate must be a positive number, not %v", c.LearningRate)
	}
	switch c.Name {
	case NameSGD:
		return &SGD{LearningRate: c.LearningRate}, nil
	case NameRMSprop:
		r := &RMSprop{LearningRate: c.LearningRate, Rho: c.Rho, Epsilon: c.Epsilon, avg: make([]float64, n)}
		if r.Rho == 0 {
			r.Rho = 0.9
		}
		if r.Epsilon == 0 {
			r.Epsilon = 1e-7
		}
		if r.Rho <= 0 || r.Rho >= 1 {
			return nil, fmt.Errorf("rmsprop rho must be between 0 and 1, not %v", r.Rho)
		}
		return r, nil
	}
	return nil, fmt.Errorf("optimizer %q is not one of %v", c.Name, OptimizerNames)
}

// SGD is plain gradient descent: θ ← θ − η g.
type SGD struct{ LearningRate float64 }

// Name implements Optimizer.
func (*SGD) Name() string { return NameSGD }

// Update implements Optimizer.
func (o *SGD) Update(params, grad []float64) {
	lr := o.LearningRate
	for i, g := range grad {
		params[i] -= lr * g
	}
}

// RMSprop divides each step by a running root mean square of the gradient,
// as Keras does: v ← ρ v + (1−ρ) g²; θ ← θ − η g / (√v + ε).
type RMSprop struct {
	LearningRate, Rho, Epsilon float64
	avg                        []float64
}

// Name implements Optimizer.
func (*RMSprop) Name() string { return NameRMSprop }

// Update implements Optimizer.
func (o *RMSprop) Update(params, grad []float64) {
	rho, lr, eps := o.Rho, o.LearningRate, o.Epsilon
	avg := o.avg[:len(params)]
	for i, g := range grad {
		v := rho*avg[i] + (1-rho)*g*g
		avg[i] = v
		params[i] -= lr * g / (math.Sqrt(v) + eps)
	}
}
