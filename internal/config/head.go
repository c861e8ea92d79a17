package config

import (
	"fmt"
	"maps"
)

// The output layer (model.output) and the loss go together, and which pair
// fits depends on the data: a config that leaves them out gets them from
// the data, and one that sets only one of them gets the other that it
// needs. Each choice is reported (Chosen) and can be overridden by setting
// the key.

// outputFor is the output each loss needs when the config names only the
// loss.
var outputFor = map[string]string{
	"binary_crossentropy":      "sigmoid",
	"categorical_crossentropy": "softmax",
	"hinge":                    "linear",
	"squared_hinge":            "linear",
}

// completeHead fills in the half of the output layer the config left out,
// and both halves for a regression, which needs no data to choose them.
func (c *Config) completeHead() {
	lossSet, outSet := c.IsSet("loss"), c.IsSet("model.output")
	switch {
	case lossSet && outSet:
	case lossSet:
		out, ok := outputFor[c.Loss]
		if c.Loss == "mse" && c.Regression() {
			out, ok = "linear", true
		}
		if ok {
			c.Model.Output = out
			c.derive("model.output", "loss")
		}
	case outSet:
		loss := map[string]string{"sigmoid": "binary_crossentropy", "softmax": "categorical_crossentropy", "linear": "hinge"}[c.Model.Output]
		if c.Regression() {
			loss = "mse"
		}
		if loss != "" {
			c.Loss = loss
			c.derive("loss", "model.output")
		}
	case c.Regression():
		c.Model.Output, c.Loss = "linear", "mse"
		c.derive("model.output", "a regression (data.task)")
		c.derive("loss", "a regression (data.task)")
	}
}

func (c *Config) derive(key, why string) {
	if c.derived == nil {
		c.derived = map[string]string{}
	}
	c.derived[key] = why
}

// ForClasses returns the config to train a classifier of k labels with:
// when the config set neither model.output nor loss, two labels get a
// sigmoid and binary cross-entropy, more get a softmax and categorical
// cross-entropy, and any number of labels per text (data.task
// multilabel) a sigmoid per label with binary cross-entropy; a config
// given the general recipe keeps the recipe's linear output and hinge
// loss, which fit any number of labels. c itself is not changed. Only a config read by Load
// chooses: one decoded from a model file or made in Go keeps its output
// and loss as they are.
func (c *Config) ForClasses(k int) *Config {
	if !c.loaded || c.general || c.IsSet("loss") || c.IsSet("model.output") || c.Regression() || len(c.derived) > 0 {
		return c
	}
	out := *c
	out.derived = maps.Clone(c.derived)
	out.Model.Output, out.Loss = "sigmoid", "binary_crossentropy"
	why := fmt.Sprintf("%d labels", k)
	switch {
	case c.MultiLabel():
		// A sigmoid per label, each a probability of its own.
		why = fmt.Sprintf("%d labels, any number per text", k)
	case k > 2:
		out.Model.Output, out.Loss = "softmax", "categorical_crossentropy"
	}
	out.derive("model.output", why)
	out.derive("loss", why)
	return &out
}

// Chosen says what the config chose for the keys it was not given, one
// sentence each, for the user to see (and override).
func (c *Config) Chosen() []string {
	if c.general {
		return []string{"the general recipe, for a config that names only its data: tf_idf of the 10000 most frequent words → 256 relu, dropout 0.3 → linear, loss hinge, adagrad 0.03 (set a vectorizer, model, loss or optimizer key to choose your own)"}
	}
	out, okOut := c.derived["model.output"]
	loss, okLoss := c.derived["loss"]
	switch {
	case okOut && okLoss:
		return []string{fmt.Sprintf("model.output %s and loss %s, chosen for %s (set model.output and loss to choose others)", c.Model.Output, c.Loss, out)}
	case okOut:
		return []string{fmt.Sprintf("model.output %s, chosen for %s %s (set model.output to choose another)", c.Model.Output, out, c.Loss)}
	case okLoss:
		return []string{fmt.Sprintf("loss %s, chosen for %s %s (set loss to choose another)", c.Loss, loss, c.Model.Output)}
	}
	return nil
}

// HeadOf returns c with model.output and loss taken from other, the config
// of the model a run continues from, when c set neither: its weights were
// trained for that output. c itself is not changed.
func (c *Config) HeadOf(other *Config) *Config {
	if c.IsSet("loss") || c.IsSet("model.output") || c.Model.Output == other.Model.Output && c.Loss == other.Loss {
		return c
	}
	out := *c
	out.derived = nil
	out.Model.Output, out.Loss = other.Model.Output, other.Loss
	out.derive("model.output", "the model to continue from")
	out.derive("loss", "the model to continue from")
	return &out
}
