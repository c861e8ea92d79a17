package mlp

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/dlc-dev/dlc/internal/sparse"
)

// randomRows returns n sparse rows over cols features with random values,
// or all ones when binary.
func randomRows(rng *rand.Rand, n, cols int, binary bool) *sparse.Matrix {
	m := sparse.New(cols, binary)
	for range n {
		var idx []int32
		var vals []float64
		for f := range cols {
			if rng.Float64() < 0.6 {
				idx = append(idx, int32(f))
				vals = append(vals, rng.NormFloat64())
			}
		}
		if binary {
			vals = nil
		}
		m.AppendRow(idx, vals)
	}
	return m
}

// meanLoss is the objective the gradient is of: the mean loss over rows.
func meanLoss(n *Network, x *sparse.Matrix, y Targets, rows []int) float64 {
	var ws Workspace
	_, sum := n.Evaluate(x, y, rows, nil, &ws)
	return sum / float64(len(rows))
}

// TestGradientMatchesFiniteDifferences checks every hidden activation ×
// output × loss the package accepts against central differences.
func TestGradientMatchesFiniteDifferences(t *testing.T) {
	type task struct {
		name       string
		classes    int
		regression bool
	}
	tasks := []task{{"binary", 2, false}, {"3-class", 3, false}, {"regression", 0, true}}
	hiddens := [][]LayerSpec{nil}
	for _, a := range HiddenActivations {
		hiddens = append(hiddens, []LayerSpec{{4, a}, {3, a}})
	}
	checked := 0
	for _, tk := range tasks {
		for _, out := range OutputActivations {
			for _, loss := range Losses {
				for _, hidden := range hiddens {
					for _, binary := range []bool{false, true} {
						spec := Spec{Inputs: 6, Hidden: hidden, Output: out, Loss: loss, Regression: tk.regression}
						spec.Outputs = OutputsFor(tk.classes, out, tk.regression)
						if spec.Validate() != nil {
							continue
						}
						name := fmt.Sprintf("%s/%s/%s/%d-hidden/binary=%v", tk.name, out, loss, len(hidden), binary)
						if len(hidden) > 0 {
							name += "/" + string(hidden[0].Activation)
						}
						t.Run(name, func(t *testing.T) {
							checkGradient(t, spec, tk.classes, binary)
						})
						checked++
					}
				}
			}
		}
	}
	if checked < 50 {
		t.Fatalf("only %d combinations were checked; the table of valid pairs shrank", checked)
	}
}

func checkGradient(t *testing.T, spec Spec, classes int, binary bool) {
	rng := rand.New(rand.NewPCG(1, 2))
	n, err := New(spec, rng)
	if err != nil {
		t.Fatal(err)
	}
	// Non-zero biases so that every parameter is exercised away from 0.
	for _, l := range n.Layers {
		for i := range l.B {
			l.B[i] = 0.1 * rng.NormFloat64()
		}
	}
	const rowsN = 7
	x := randomRows(rng, rowsN, spec.Inputs, binary)
	y := Targets{Class: make([]int32, rowsN), Value: make([]float64, rowsN)}
	for i := range rowsN {
		if classes > 0 {
			y.Class[i] = int32(rng.IntN(classes))
		}
		y.Value[i] = rng.NormFloat64()
	}
	rows := []int{0, 2, 3, 5, 6, 2} // a repeated row counts twice, as in a sampled batch
	grad := make([]float64, len(n.Params()))
	var ws Workspace
	n.Gradient(x, y, rows, grad, &ws)

	const h = 1e-6
	p := n.Params()
	var diff2, gn2, fd2 float64
	for i := range p {
		orig := p[i]
		p[i] = orig + h
		up := meanLoss(n, x, y, rows)
		p[i] = orig - h
		down := meanLoss(n, x, y, rows)
		p[i] = orig
		fd := (up - down) / (2 * h)
		diff2 += (grad[i] - fd) * (grad[i] - fd)
		gn2 += grad[i] * grad[i]
		fd2 += fd * fd
	}
	if gn2 == 0 {
		t.Fatal("the gradient is zero: nothing was checked")
	}
	rel := math.Sqrt(diff2) / math.Max(math.Sqrt(gn2), math.Sqrt(fd2))
	if rel > 1e-6 {
		t.Errorf("relative error %.3g between backprop and finite differences (limit 1e-6)", rel)
	}
}
