package main

import (
	"path/filepath"
	"testing"

	"github.com/dlc-dev/dlc/internal/config"
	"github.com/dlc-dev/dlc/internal/testenv"
)

// configs/mnist.yaml is the MNIST notebook as ../shared/BENCHMARKS.md runs
// it: 784 pixels / 255 → Dense(512, relu) → softmax, categorical
// cross-entropy, RMSprop 0.001, batch 128, 5 epochs.
func TestMNISTConfigIsTheNotebook(t *testing.T) {
	c, err := config.Load(filepath.Join(testenv.Root(t), "configs", "mnist.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	l := c.Model.Layers
	switch {
	case c.Data.Dataset != "mnist":
		t.Errorf("data.dataset = %q, want mnist", c.Data.Dataset)
	case c.Vectorizer.Mode != "dense" || c.Vectorizer.Scale != "fixed" || c.Vectorizer.Divisor != 255:
		t.Errorf("vectorizer %+v, want dense pixels divided by 255", c.Vectorizer)
	case len(l) != 1 || l[0] != (config.Layer{Units: 512, Activation: "relu"}):
		t.Errorf("hidden layers %v, want one of 512 relu", l)
	case c.Model.Output != "softmax" || c.Loss != "categorical_crossentropy":
		t.Errorf("output %s, loss %s; want softmax, categorical_crossentropy", c.Model.Output, c.Loss)
	case c.Optimizer.Name != "rmsprop" || c.Optimizer.LearningRate != 0.001 || c.Optimizer.Rho != 0.9 || c.Optimizer.Epsilon != 1e-7:
		t.Errorf("optimizer %+v, want rmsprop 0.001 with Keras' rho 0.9 and epsilon 1e-7", c.Optimizer)
	case c.Training.Method != "minibatch" || c.Training.BatchSize != 128 || c.Training.Epochs != 5 || !c.Training.Shuffle:
		t.Errorf("training %+v, want minibatch 128 × 5 epochs, reshuffled", c.Training)
	}
}
