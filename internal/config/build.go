package config

import (
	"github.com/dlc-dev/dlc/internal/gd"
	"github.com/dlc-dev/dlc/internal/mlp"
)

// Regression reports whether data.task is regression.
func (c *Config) Regression() bool { return c.Data.Task == "regression" }

// Schedule is the optimizer's learning-rate schedule.
func (c *Config) Schedule() gd.Schedule {
	s := c.Optimizer.Schedule
	return gd.Schedule{Name: s.Name, DecayRate: s.DecayRate, DecaySteps: s.DecaySteps}
}

// OptimizerConfig is the optimizer section for gd.NewOptimizer.
func (c *Config) OptimizerConfig() gd.OptimizerConfig {
	o := c.Optimizer
	return gd.OptimizerConfig{
		Name: o.Name, LearningRate: o.LearningRate, Rho: o.Rho, Epsilon: o.Epsilon,
		Momentum: o.Momentum, Beta1: o.Beta1, Beta2: o.Beta2, InitialAccumulator: o.InitialAccumulator,
		Schedule: c.Schedule(),
	}
}

// TrainingConfig is the training section for gd.Train.
func (c *Config) TrainingConfig() gd.Config {
	t := c.Training
	g := gd.Config{
		Method: gd.Method(t.Method), BatchSize: t.BatchSize, Epochs: t.Epochs,
		NoShuffle: !t.Shuffle, Seed: uint64(t.Seed),
		Tolerance: t.Tolerance, Patience: t.Patience,
	}
	if m := t.EarlyStopping.Monitor; m != "" && m != "none" {
		g.EarlyStopping = gd.EarlyStopping{
			Monitor: m, Patience: t.EarlyStopping.Patience, Stop: true,
			MinDelta: t.EarlyStopping.MinDelta, RestoreBest: t.EarlyStopping.RestoreBestWeights,
		}
	}
	return g
}

// Hidden is model.layers as the network's hidden layers.
func (c *Config) Hidden() []mlp.LayerSpec {
	var out []mlp.LayerSpec
	for _, l := range c.Model.Layers {
		out = append(out, mlp.LayerSpec{Units: l.Units, Activation: mlp.Activation(l.Activation), Dropout: l.Dropout})
	}
	return out
}
