package mlp

import (
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/dlc-dev/dlc/internal/sparse"
)

// TestGradientIndependentOfCores: the passes split their work over every
// core, and the gradient, the loss and the predictions must come out bit
// for bit the same whatever the number of cores.
func TestGradientIndependentOfCores(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	// Pixel-like rows: 300 inputs, about a fifth of them non-zero.
	x := sparse.New(300, false)
	y := Targets{Class: make([]int32, 200)}
	for i := range 200 {
		var idx []int32
		var vals []float64
		for f := range 300 {
			if rng.Float64() < 0.2 {
				idx = append(idx, int32(f))
				vals = append(vals, rng.Float64())
			}
		}
		x.AppendRow(idx, vals)
		y.Class[i] = int32(rng.IntN(10))
	}
	spec := Spec{Inputs: 300, Outputs: 10, Output: Softmax, Loss: CategoricalCrossEntropy,
		Hidden: []LayerSpec{{Units: 256, Activation: ReLU}, {Units: 64, Activation: Tanh}}}
	net, err := New(spec, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	rows := rng.Perm(200)[:150]
	type result struct {
		grad, out []float64
		loss      float64
		correct   int
	}
	pass := func(procs int) result {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		var r result
		r.grad = make([]float64, len(net.Params()))
		var ws Workspace
		r.loss, r.correct = net.Gradient(x, y, rows, r.grad, &ws)
		r.out = net.Predict(x, rows, nil, &ws)
		return r
	}
	want := pass(1)
	for _, procs := range []int{2, 3, 8} {
		got := pass(procs)
		if got.loss != want.loss || got.correct != want.correct {
			t.Fatalf("GOMAXPROCS=%d: loss %v, %d correct; with one core %v, %d", procs, got.loss, got.correct, want.loss, want.correct)
		}
		for i := range want.grad {
			if got.grad[i] != want.grad[i] {
				t.Fatalf("GOMAXPROCS=%d: gradient entry %d is %v; with one core %v", procs, i, got.grad[i], want.grad[i])
			}
		}
		for i := range want.out {
			if got.out[i] != want.out[i] {
				t.Fatalf("GOMAXPROCS=%d: output %d is %v; with one core %v", procs, i, got.out[i], want.out[i])
			}
		}
	}
}
