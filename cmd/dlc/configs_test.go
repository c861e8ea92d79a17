package main

import (
	"path/filepath"
	"testing"

	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/testenv"
)

// configs/reuters-notebook.yaml is the Reuters notebook as ../shared/BENCHMARKS.md
// runs it: multi-hot 10,000 → Dense(64, relu) → Dense(64, relu) → softmax,
// categorical cross-entropy, RMSprop 0.001, batch 512, 9 epochs.
func TestReutersConfigIsTheNotebook(t *testing.T) {
	c, err := config.Load(filepath.Join(testenv.Root(t), "configs", "reuters-notebook.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	l := c.Model.Layers
	switch {
	case c.Data.Dataset != "reuters":
		t.Errorf("data.dataset = %q, want reuters", c.Data.Dataset)
	case c.Vectorizer.Mode != "multi_hot" || c.Vectorizer.MaxTokens != 10000 || c.Vectorizer.NGrams != 1:
		t.Errorf("vectorizer %+v, want multi_hot over 10000 words", c.Vectorizer)
	case len(l) != 2 || l[0] != (config.Layer{Units: 64, Activation: "relu"}) || l[1] != l[0]:
		t.Errorf("hidden layers %v, want two of 64 relu", l)
	case c.Model.Output != "softmax" || c.Loss != "categorical_crossentropy":
		t.Errorf("output %s, loss %s; want softmax, categorical_crossentropy", c.Model.Output, c.Loss)
	case c.Optimizer.Name != "rmsprop" || c.Optimizer.LearningRate != 0.001:
		t.Errorf("optimizer %s lr %v, want rmsprop 0.001", c.Optimizer.Name, c.Optimizer.LearningRate)
	case c.Training.Method != "minibatch" || c.Training.BatchSize != 512 || c.Training.Epochs != 9:
		t.Errorf("training %+v, want minibatch 512 × 9 epochs", c.Training)
	}
}
