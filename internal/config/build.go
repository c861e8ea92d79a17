package config

import (
	"github.com/dlc-dev/dlc/internal/calibrate"
	"github.com/dlc-dev/dlc/internal/gd"
	"github.com/dlc-dev/dlc/internal/mlp"
	"github.com/dlc-dev/dlc/internal/vectorize"
)

// This file is the one place that turns config sections into the
// components' option structs. validate.go checks the config by asking each
// component to validate what these return, so a range is written once, in
// the component.

// Regression reports whether data.task is regression.
func (c *Config) Regression() bool { return c.Data.Task == "regression" }

// MultiLabel reports whether data.task is multilabel: any number of labels
// per text.
func (c *Config) MultiLabel() bool { return c.Data.Task == "multilabel" }

// VectorizerOptions is the vectorizer section for vectorize.Fit.
func (c *Config) VectorizerOptions() vectorize.Options {
	v := c.Vectorizer
	o := vectorize.Options{
		Mode:      vectorize.Mode(v.Mode),
		MaxTokens: v.MaxTokens,
		NGrams:    v.NGrams,
		Tokenizer: vectorize.Tokenizer{
			Lowercase: v.Lowercase, StripHTML: v.StripHTML,
			StopWords: v.StopWords, MinLength: v.MinTokenLength,
		},
		SublinearTF: v.SublinearTF,
		MinDF:       v.MinDF,
		MaxDF:       v.MaxDF,
		Hashing:     v.Hashing,
	}
	if len(v.CharNGrams) == 2 {
		o.CharNGrams = vectorize.CharGrams{v.CharNGrams[0], v.CharNGrams[1]}
	}
	if o.CharNGrams.On() || v.CharAnalyzer != string(vectorize.CharWB) {
		// Left at its default without char_ngrams, the analyzer is not
		// asked for; set to char, vectorize says it needs char_ngrams.
		o.CharAnalyzer = vectorize.CharAnalyzer(v.CharAnalyzer)
	}
	if v.Weighting != string(vectorize.NoWeighting) {
		o.Weighting = vectorize.Weighting(v.Weighting)
		o.NBAlpha = v.NBAlpha
	}
	if o.MaxDF == vectorize.Docs(0) {
		// A config spells out its max_df (default 1.0), so a 0 there is a
		// bound of no document, where vectorize reads the zero DFBound as
		// no bound at all. The fraction 0 is the same bound in the form
		// vectorize takes as written, and refuses: it would keep nothing.
		o.MaxDF = vectorize.Fraction(0)
	}
	return o
}

// Scaling is vectorizer.scale and vectorizer.divisor for vectorize.FitDense.
func (c *Config) Scaling() vectorize.Scaling {
	return vectorize.Scaling{Scale: vectorize.Scale(c.Vectorizer.Scale), Divisor: c.Vectorizer.Divisor}
}

// Hidden is model.layers as the network's hidden layers.
func (c *Config) Hidden() []mlp.LayerSpec {
	var out []mlp.LayerSpec
	for _, l := range c.Model.Layers {
		out = append(out, mlp.LayerSpec{Units: l.Units, Activation: mlp.Activation(l.Activation), Dropout: l.Dropout})
	}
	return out
}

// Spec is the network the model section and the loss describe, for inputs
// features and the given number of classes (ignored for a regression).
func (c *Config) Spec(inputs, classes int) mlp.Spec {
	out := mlp.Activation(c.Model.Output)
	regression := c.Regression()
	s := mlp.Spec{
		Inputs:     inputs,
		Hidden:     c.Hidden(),
		Output:     out,
		Loss:       mlp.Loss(c.Loss),
		Outputs:    mlp.OutputsFor(classes, out, regression),
		Regression: regression,
		L2:         c.Model.L2,
		Precision:  c.Model.Precision,
	}
	if c.MultiLabel() {
		s.MultiLabel, s.Outputs = true, classes // an output per label, even of two
	}
	return s
}

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
		Schedule: c.Schedule(), Dense: !bool(o.Lazy),
	}
}

// TrainingConfig is the training section for gd.Train. Early stopping is
// on when a monitor is named; its patience and min_delta are passed either
// way, so that Validate checks them as the config gives them.
func (c *Config) TrainingConfig() gd.Config {
	t := c.Training
	es := t.EarlyStopping
	g := gd.Config{
		Method: gd.Method(t.Method), BatchSize: t.BatchSize, Epochs: t.Epochs,
		NoShuffle: !t.Shuffle, Seed: uint64(t.Seed),
		Tolerance: t.Tolerance, Patience: t.Patience,
		EarlyStopping: gd.EarlyStopping{Patience: es.Patience, MinDelta: es.MinDelta},
	}
	if m := es.Monitor; m != "" && m != "none" {
		g.EarlyStopping.Monitor, g.EarlyStopping.Stop = m, true
		g.EarlyStopping.RestoreBest = es.RestoreBestWeights
	}
	return g
}

// CalibrationOptions is the calibration section; a regression has no
// probabilities to calibrate, and its auto method means none.
func (c *Config) CalibrationOptions() calibrate.Options {
	o := calibrate.Options{Method: c.Calibration.Method, Holdout: c.Calibration.Holdout, Folds: c.Calibration.Folds}
	if c.Regression() && o.Method == calibrate.Auto {
		o.Method = calibrate.None
	}
	return o
}
