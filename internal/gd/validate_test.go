package gd

import (
	"errors"
	"math"
	"testing"

	"github.com/dlc-dev/dlc/internal/option"
)

// checkOption fails unless err is an *option.Error that reads want.
func checkOption(t *testing.T, what string, err error, want string) {
	t.Helper()
	var e *option.Error
	switch {
	case want == "" && err != nil:
		t.Errorf("%s: %v, want no error", what, err)
	case want == "":
	case !errors.As(err, &e):
		t.Errorf("%s: %v, want an *option.Error %q", what, err, want)
	case err.Error() != want:
		t.Errorf("%s: %q, want %q", what, err, want)
	}
}

func TestOptimizerConfigValidate(t *testing.T) {
	for _, c := range []struct {
		edit func(*OptimizerConfig)
		want string
	}{
		{func(*OptimizerConfig) {}, ""},
		{func(c *OptimizerConfig) { c.Name = "adamw" }, `name "adamw" is not one of [sgd momentum nesterov rmsprop adam lazyadam adagrad]`},
		{func(c *OptimizerConfig) { c.LearningRate = -1 }, "learning_rate must be above 0, not -1"},
		{func(c *OptimizerConfig) { c.LearningRate = math.Inf(1) }, "learning_rate must be above 0, not +Inf"},
		// A config that spells its values out means 0 as 0.
		{func(c *OptimizerConfig) { c.Rho = 0 }, "rho must be between 0 and 1, not 0"},
		{func(c *OptimizerConfig) { c.Rho = 1 }, "rho must be between 0 and 1, not 1"},
		{func(c *OptimizerConfig) { c.Epsilon = 0 }, "epsilon must be above 0, not 0"},
		{func(c *OptimizerConfig) { c.Momentum = 1 }, "momentum must be between 0 and 1, not 1"},
		{func(c *OptimizerConfig) { c.Beta1 = -0.5 }, "beta_1 must be between 0 and 1, not -0.5"},
		{func(c *OptimizerConfig) { c.Beta2 = math.NaN() }, "beta_2 must be between 0 and 1, not NaN"},
		{func(c *OptimizerConfig) { c.Name, c.Beta1, c.Beta2 = NameAdam, 0.99, 0.995 }, ""},
		{func(c *OptimizerConfig) { c.Name, c.Beta1, c.Beta2 = NameAdam, 0.999, 0.999 },
			"beta_1 must be below beta_2 × 0.9952 (0.9942) for adam's lazy updates, not 0.999: their catch-up sums a series in beta_1/beta_2 that must fall off within 8192 steps; set lazy: false to update densely with these betas"},
		{func(c *OptimizerConfig) { c.Name, c.Beta1, c.Beta2, c.Dense = NameAdam, 0.999, 0.999, true }, ""},
		{func(c *OptimizerConfig) { c.Name, c.Beta1, c.Beta2 = NameLazyAdam, 0.999, 0.999 }, ""},
		{func(c *OptimizerConfig) { c.Name, c.Dense = NameLazyAdam, true },
			"lazy is false, but lazyadam is Adam's lazy approximation and has no dense form of its own; use name: adam for the dense rule"},
		{func(c *OptimizerConfig) { c.InitialAccumulator = 0 }, ""},
		{func(c *OptimizerConfig) { c.InitialAccumulator = -1 }, "initial_accumulator must be at least 0, not -1"},
		{func(c *OptimizerConfig) { c.Schedule = Schedule{} }, ""},
		{func(c *OptimizerConfig) { c.Schedule.Name = "cosine" }, `schedule.name "cosine" is not one of [constant step exponential inverse_time]`},
		{func(c *OptimizerConfig) { c.Schedule = Schedule{Name: Step, DecayRate: 0.5} }, "schedule.decay_steps must be at least 1 for schedule step, not 0"},
		{func(c *OptimizerConfig) { c.Schedule = Schedule{Name: Exponential, DecaySteps: 10} }, "schedule.decay_rate must be above 0 and at most 1 for schedule exponential, not 0"},
		{func(c *OptimizerConfig) { c.Schedule = Schedule{Name: Step, DecayRate: 2, DecaySteps: 10} }, "schedule.decay_rate must be above 0 and at most 1 for schedule step, not 2"},
		{func(c *OptimizerConfig) { c.Schedule = Schedule{Name: InverseTime, DecaySteps: 10} }, ""},
		{func(c *OptimizerConfig) { c.Schedule = Schedule{Name: InverseTime, DecayRate: -1, DecaySteps: 10} }, "schedule.decay_rate must be at least 0 for schedule inverse_time, not -1"},
	} {
		o := DefaultOptimizer()
		c.edit(&o)
		checkOption(t, c.want, o.Validate(), c.want)
	}
}

// TestNewOptimizerDefaults: NewOptimizer reads a zero field as its default
// and names the option it refuses.
func TestNewOptimizerDefaults(t *testing.T) {
	opt, err := NewOptimizer(OptimizerConfig{Name: NameAdam, LearningRate: 0.01}, 1)
	if err != nil {
		t.Fatal(err)
	}
	d := DefaultOptimizer()
	if a := opt.(*Adam); a.Beta1 != d.Beta1 || a.Beta2 != d.Beta2 || a.Epsilon != d.Epsilon {
		t.Errorf("adam with zero parameters got %v, %v, %v; want the defaults", a.Beta1, a.Beta2, a.Epsilon)
	}
	opt, _ = NewOptimizer(OptimizerConfig{Name: NameAdagrad, LearningRate: 0.01}, 1)
	if a := opt.(*Adagrad); a.acc[0] != d.InitialAccumulator {
		t.Errorf("adagrad's accumulator starts at %v, want %v", a.acc[0], d.InitialAccumulator)
	}
	_, err = NewOptimizer(OptimizerConfig{Name: NameRMSprop, LearningRate: 0.01, Rho: 1.5}, 1)
	var e *option.Error
	if err == nil || err.Error() != "optimizer rho must be between 0 and 1, not 1.5" || !errors.As(err, &e) || e.Name != "rho" {
		t.Errorf("rho 1.5: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{Method: Stochastic, Epochs: 1, Patience: 1, EarlyStopping: EarlyStopping{Patience: 1}}, ""},
		{Config{Method: "full", Epochs: 1}, `method "full" is not one of [batch minibatch sgd]`},
		{Config{Method: MiniBatch, Epochs: 1, Patience: 1}, "batch_size must be at least 1, not 0"},
		{Config{Method: Batch, Epochs: 0}, "epochs must be at least 1, not 0"},
		{Config{Method: Batch, Epochs: 1, Tolerance: -1}, "tolerance must be at least 0 (0 = off), not -1"},
		{Config{Method: Batch, Epochs: 1, Tolerance: math.Inf(1)}, "tolerance must be at least 0 (0 = off), not +Inf"},
		// Validate takes a 0 as written; Train reads it as 1 (below).
		{Config{Method: Batch, Epochs: 1}, "patience must be at least 1, not 0"},
		{Config{Method: Batch, Epochs: 1, Patience: 1, EarlyStopping: EarlyStopping{Monitor: "val_f1", Patience: 1}}, `early_stopping.monitor "val_f1" is not one of [val_loss val_accuracy loss accuracy]`},
		{Config{Method: Batch, Epochs: 1, Patience: 1, EarlyStopping: EarlyStopping{Monitor: "loss", Patience: -1}}, "early_stopping.patience must be at least 1, not -1"},
		{Config{Method: Batch, Epochs: 1, Patience: 1, EarlyStopping: EarlyStopping{Patience: 1, MinDelta: -0.1}}, "early_stopping.min_delta must be at least 0, not -0.1"},
	} {
		checkOption(t, c.want, c.cfg.Validate(), c.want)
	}
	// Train reads a Patience of 0 as 1, and names the option it refuses.
	if err := (Config{Method: Batch, Epochs: 1}).withDefaults().Validate(); err != nil {
		t.Errorf("zero patience with its default: %v", err)
	}
	_, err := Train(t.Context(), nil, nil, Config{Method: Batch}, Callbacks{})
	if err == nil || err.Error() != "training epochs must be at least 1, not 0" {
		t.Errorf("Train with no epochs: %v", err)
	}
}
