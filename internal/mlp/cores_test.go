package mlp

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
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
	for _, precision := range []string{Float64, Float32} {
		t.Run(precision, func(t *testing.T) {
			spec := Spec{Inputs: 300, Outputs: 10, Output: Softmax, Loss: CategoricalCrossEntropy, Precision: precision,
				Hidden: []LayerSpec{{Units: 256, Activation: ReLU}, {Units: 64, Activation: Tanh}}}
			net, err := New(spec, rand.New(rand.NewPCG(1, 1)))
			if err != nil {
				t.Fatal(err)
			}
			sameOnEveryCore(t, net, x, y, rng.Perm(200)[:150])
		})
	}
}

func sameOnEveryCore(t *testing.T, net *Network, x *sparse.Matrix, y Targets, rows []int) {
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

// TestFloat32NearFloat64: with model.precision float32 the first layer sums
// in single precision; the outputs, the loss and the gradient stay within
// single precision's reach of float64's (relative 1e-4 of the largest
// entry), on valued and multi-hot rows, wide (feature by feature) and
// narrow first layers.
func TestFloat32NearFloat64(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for _, binary := range []bool{false, true} {
		for _, units := range []int{8, 200} {
			x := randomRows(rng, 64, 120, binary)
			y := Targets{Class: make([]int32, 64)}
			for i := range y.Class {
				y.Class[i] = int32(rng.IntN(3))
			}
			spec := Spec{Inputs: 120, Outputs: 3, Output: Softmax, Loss: CategoricalCrossEntropy,
				Hidden: []LayerSpec{{Units: units, Activation: ReLU}}}
			n64, _ := New(spec, rand.New(rand.NewPCG(1, 2)))
			spec.Precision = Float32
			n32, err := FromParams(spec, n64.Params())
			if err != nil {
				t.Fatal(err)
			}
			rows := rng.Perm(64)[:40]
			g64, g32 := make([]float64, len(n64.Params())), make([]float64, len(n32.Params()))
			var w64, w32 Workspace
			l64, _ := n64.Gradient(x, y, rows, g64, &w64)
			l32, _ := n32.Gradient(x, y, rows, g32, &w32)
			near := func(what string, a, b []float64) {
				scale := 0.0
				for _, v := range a {
					scale = max(scale, math.Abs(v))
				}
				for i := range a {
					if d := math.Abs(a[i] - b[i]); d > 1e-4*scale {
						t.Fatalf("binary %v, %d units: %s entry %d is %v in float32, %v in float64", binary, units, what, i, b[i], a[i])
					}
				}
			}
			near("gradient", g64, g32)
			near("loss", []float64{l64}, []float64{l32})
			near("output", n64.Predict(x, rows, nil, &w64), n32.Predict(x, rows, nil, &w32))
			if slices.Equal(g64, g32) {
				t.Errorf("binary %v, %d units: float32 gave float64's very gradient; is it in use?", binary, units)
			}
		}
	}
}
