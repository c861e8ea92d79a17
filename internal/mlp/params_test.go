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

// TestParamsChangedSpans: after an update of some first-layer rows (more
// than one task's worth of spans), ParamsChanged(spans) brings exactly
// those rows of the float32 copy up to date, on one core or several (the
// rows hold enough weights for parallel.Group to use every core), and
// ParamsChanged(nil) all of them.
func TestParamsChangedSpans(t *testing.T) {
	s := Spec{Inputs: 600, Hidden: []LayerSpec{{Units: 130, Activation: ReLU}}, Outputs: 3, Output: Softmax,
		Loss: CategoricalCrossEntropy, Precision: Float32}
	n, err := New(s, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	w := n.Layers[0].W
	width := n.Layers[0].Out
	var spans [][2]int
	for f := 0; f < s.Inputs; f += 2 {
		spans = append(spans, [2]int{f * width, (f + 1) * width})
	}
	spans = append(spans, [2]int{len(w), len(n.Params())}) // past the kernel: not mirrored
	before := append([]float32(nil), n.w32...)
	for i := range n.Params() {
		n.Params()[i] += 1
	}
	n.ParamsChanged(spans)
	for i, v := range w {
		f := i / width
		want := float32(v)
		if f%2 == 1 {
			want = before[i] // not in a span: the copy before the update
		}
		if n.w32[i] != want {
			t.Fatalf("weight %d (feature %d): float32 copy %v, want %v", i, f, n.w32[i], want)
		}
	}
	n.ParamsChanged(nil)
	for i, v := range w {
		if n.w32[i] != float32(v) {
			t.Fatalf("weight %d after ParamsChanged(nil): %v, want %v", i, n.w32[i], float32(v))
		}
	}
}
