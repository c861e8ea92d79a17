package mlp

import (
	"errors"
	"math"
	"testing"

	"github.com/dlc-dev/dlc/internal/option"
)

// TestSpecValidate: every option a config sets is refused with the
// *option.Error that names it as the config does; the shape, which comes
// from the data, with a plain error.
func TestSpecValidate(t *testing.T) {
	for _, c := range []struct {
		edit   func(*Spec)
		want   string
		option bool
	}{
		{func(*Spec) {}, "", false},
		{func(s *Spec) { s.Precision = "" }, "", false},
		{func(s *Spec) { s.Hidden[1].Units = 0 }, "layers[1].units must be at least 1, not 0", true},
		{func(s *Spec) { s.Hidden[0].Activation = "gelu" }, `layers[0].activation "gelu" is not one of [relu sigmoid tanh linear]`, true},
		{func(s *Spec) { s.Hidden[0].Activation = Softmax }, `layers[0].activation "softmax" is not one of [relu sigmoid tanh linear]`, true},
		{func(s *Spec) { s.Hidden[1].Dropout = 1 }, "layers[1].dropout must be a fraction of at least 0 and below 1, not 1", true},
		{func(s *Spec) { s.Output = ReLU }, `output "relu" is not one of [sigmoid softmax linear]`, true},
		{func(s *Spec) { s.Loss = "cross_entropy" }, `loss "cross_entropy" is not one of [mse binary_crossentropy categorical_crossentropy hinge squared_hinge]`, true},
		{func(s *Spec) { s.Output = Softmax; s.Outputs = 2 }, "loss binary_crossentropy needs output sigmoid, not softmax", true},
		{func(s *Spec) { s.Regression = true }, "loss binary_crossentropy cannot fit a numeric target: use loss mse with output linear", true},
		{func(s *Spec) { s.Regression, s.Loss, s.Output = true, MSE, Softmax }, "output softmax cannot predict a number: use output linear with loss mse", true},
		{func(s *Spec) { s.L2 = -0.1 }, "l2 must be at least 0, not -0.1", true},
		{func(s *Spec) { s.L2 = math.Inf(1) }, "l2 must be at least 0, not +Inf", true},
		{func(s *Spec) { s.Precision = "float16" }, `precision "float16" is not one of [float64 float32]`, true},
		{func(s *Spec) { s.Inputs = 0 }, "the network needs at least one input feature, not 0", false},
		{func(s *Spec) { s.Outputs = 0 }, "the network needs at least one output unit, not 0", false},
		{func(s *Spec) { s.Output, s.Loss = Softmax, CategoricalCrossEntropy }, "output softmax needs at least two classes: use sigmoid for one output", true},
		{func(s *Spec) { s.Outputs = 3 }, "loss binary_crossentropy needs two classes, not 3: use categorical_crossentropy with output softmax", true},
	} {
		s := Spec{
			Inputs:  4,
			Hidden:  []LayerSpec{{Units: 3, Activation: ReLU}, {Units: 2, Activation: Tanh, Dropout: 0.5}},
			Outputs: 1, Output: Sigmoid, Loss: BinaryCrossEntropy, Precision: Float32,
		}
		c.edit(&s)
		err := s.Validate()
		var e *option.Error
		switch {
		case c.want == "":
			if err != nil {
				t.Errorf("%+v: %v", s, err)
			}
		case err == nil || err.Error() != c.want:
			t.Errorf("got %v, want %q", err, c.want)
		case errors.As(err, &e) != c.option:
			t.Errorf("%q: is an *option.Error: %v, want %v", c.want, !c.option, c.option)
		}
	}
}
