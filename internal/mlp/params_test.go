package mlp

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSpecParams: the count is that of the network built, and a count
// that does not fit in an int is reported, not wrapped round (which made
// New allocate a negative or absurd slice).
func TestSpecParams(t *testing.T) {
	s := Spec{Inputs: 7, Hidden: []LayerSpec{{Units: 5, Activation: ReLU}, {Units: 3, Activation: Tanh}}, Outputs: 4, Output: Softmax, Loss: CategoricalCrossEntropy}
	n, err := New(s, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := s.Params(); !ok || got != len(n.Params()) || got != 8*5+6*3+4*4 {
		t.Errorf("Params() = %d, %v; the network has %d", got, ok, len(n.Params()))
	}
	for _, c := range []Spec{
		{Inputs: math.MaxInt, Outputs: 1},
		{Inputs: 1 << 40, Hidden: []LayerSpec{{Units: 1 << 30}}, Outputs: 1},
		{Inputs: 3, Hidden: []LayerSpec{{Units: 1 << 62}, {Units: 4}}, Outputs: 1},
		{Inputs: 3, Hidden: []LayerSpec{{Units: -1}}, Outputs: 1},
	} {
		if got, ok := c.Params(); ok {
			t.Errorf("%+v: Params() = %d, true", c, got)
		}
	}
	big := Spec{Inputs: 3, Hidden: []LayerSpec{{Units: 1 << 62, Activation: ReLU}}, Outputs: 1, Output: Sigmoid, Loss: BinaryCrossEntropy}
	want := "the network has more parameters than a count of 9223372036854775807 can hold; use fewer units or inputs"
	if _, err := New(big, nil); err == nil || err.Error() != want {
		t.Errorf("New: %v", err)
	}
	if _, err := FromParams(big, nil); err == nil || err.Error() != want {
		t.Errorf("FromParams: %v", err)
	}
}
