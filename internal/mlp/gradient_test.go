package mlp

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/internal/option"
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

// trainingLoss is the objective Gradient differentiates: the mean weighted
// data loss over rows plus the L2 penalty, without dropout.
func trainingLoss(n *Network, x *sparse.Matrix, y Targets, rows []int) float64 {
	var ws Workspace
	var sum float64
	n.Predict(x, rows, nil, &ws)
	last := len(n.Layers) - 1
	k := n.Layers[last].Out
	for r, row := range rows {
		s := r * k
		l := n.lossOf(y, row, ws.z[last][s:s+k], ws.a[last][s:s+k], ws.d[last][s:s+k])
		if y.Weight != nil {
			l *= y.Weight[row]
		}
		sum += l
	}
	return sum/float64(len(rows)) + n.Penalty()
}

type task struct {
	name       string
	classes    int
	regression bool
	multi      bool
}

var tasks = []task{{"binary", 2, false, false}, {"3-class", 3, false, false}, {"regression", 0, true, false}, {"4-label", 4, false, true}}

// TestGradientMatchesFiniteDifferences checks every hidden activation ×
// output × loss the package accepts against central differences, without
// and with an L2 penalty and class weights (dropout off: the masks are
// random; TestDropoutGradient checks them with a fixed mask).
func TestGradientMatchesFiniteDifferences(t *testing.T) {
	hiddens := [][]LayerSpec{nil}
	for _, a := range HiddenActivations {
		hiddens = append(hiddens, []LayerSpec{{Units: 4, Activation: a}, {Units: 3, Activation: a}})
	}
	checked := 0
	pairs := map[string]bool{}
	for _, tk := range tasks {
		for _, out := range OutputActivations {
			for _, loss := range Losses {
				for _, hidden := range hiddens {
					for _, binary := range []bool{false, true} {
						for _, l2 := range []float64{0, 0.01} {
							spec := Spec{Inputs: 6, Hidden: hidden, Output: out, Loss: loss, Regression: tk.regression, L2: l2, MultiLabel: tk.multi}
							spec.Outputs = OutputsFor(tk.classes, out, tk.regression)
							if tk.multi {
								spec.Outputs = tk.classes
							}
							if spec.Validate() != nil {
								continue
							}
							pair := string(loss) + "/" + string(out)
							if tk.multi {
								pair = "multilabel " + pair
							}
							pairs[pair] = true
							name := fmt.Sprintf("%s/%s/%s/%d-hidden/binary=%v/l2=%v", tk.name, out, loss, len(hidden), binary, l2)
							if len(hidden) > 0 {
								name += "/" + string(hidden[0].Activation)
							}
							weighted := l2 > 0 && !tk.regression
							t.Run(name, func(t *testing.T) {
								checkGradient(t, spec, tk.classes, binary, weighted)
							})
							checked++
						}
					}
				}
			}
		}
	}
	// Every loss must have been checked with every output it accepts.
	want := []string{
		"mse/sigmoid", "mse/softmax", "mse/linear",
		"binary_crossentropy/sigmoid", "categorical_crossentropy/softmax",
		"hinge/linear", "hinge/sigmoid", "squared_hinge/linear", "squared_hinge/sigmoid",
		"multilabel binary_crossentropy/sigmoid", "multilabel mse/sigmoid", "multilabel mse/linear",
		"multilabel hinge/linear", "multilabel hinge/sigmoid", "multilabel squared_hinge/linear", "multilabel squared_hinge/sigmoid",
	}
	for _, p := range want {
		if !pairs[p] {
			t.Errorf("the pair %s was never checked", p)
		}
	}
	if len(pairs) != len(want) {
		t.Errorf("checked the pairs %v, want exactly %v", pairs, want)
	}
	if checked < 300 {
		t.Fatalf("only %d combinations were checked; the table of valid pairs shrank", checked)
	}
}

// fixture is a small network with data to differentiate.
type fixture struct {
	net  *Network
	x    *sparse.Matrix
	y    Targets
	rows []int
}

func newFixture(t *testing.T, spec Spec, classes int, binary, weighted bool) fixture {
	t.Helper()
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
	if spec.MultiLabel {
		// Every row some of the labels: the first none, the second all.
		y.Multi = sparse.New(classes, true)
		for i := range rowsN {
			var set []int32
			for c := range classes {
				if i == 1 || i > 1 && rng.IntN(2) == 1 {
					set = append(set, int32(c))
				}
			}
			y.Multi.AppendRow(set, nil)
		}
	}
	if weighted {
		y.Weight = make([]float64, rowsN)
		for i := range y.Weight {
			y.Weight[i] = 0.5 + rng.Float64()
		}
	}
	// A repeated row counts twice, as in a sampled batch.
	return fixture{n, x, y, []int{0, 2, 3, 5, 6, 2}}
}

func checkGradient(t *testing.T, spec Spec, classes int, binary, weighted bool) {
	f := newFixture(t, spec, classes, binary, weighted)
	grad := make([]float64, len(f.net.Params()))
	var ws Workspace
	lossSum, _ := f.net.Gradient(f.x, f.y, f.rows, grad, &ws)
	if got, want := lossSum/float64(len(f.rows)), trainingLoss(f.net, f.x, f.y, f.rows); math.Abs(got-want) > 1e-12*math.Max(1, math.Abs(want)) {
		t.Errorf("Gradient reports a mean loss of %v, the loss is %v", got, want)
	}
	compare(t, f.net.Params(), grad, func() float64 { return trainingLoss(f.net, f.x, f.y, f.rows) })
}

// compare checks grad against central differences of loss over p.
func compare(t *testing.T, p, grad []float64, loss func() float64) {
	t.Helper()
	const h = 1e-6
	var diff2, gn2, fd2 float64
	for i := range p {
		orig := p[i]
		p[i] = orig + h
		up := loss()
		p[i] = orig - h
		down := loss()
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

// TestDropoutGradient differentiates the training loss with dropout on: a
// source reseeded before every pass draws the same mask each time, so the
// loss Gradient reports is a smooth function of the weights.
func TestDropoutGradient(t *testing.T) {
	for _, act := range HiddenActivations {
		t.Run(string(act), func(t *testing.T) {
			spec := Spec{Inputs: 6, Outputs: 3, Output: Softmax, Loss: CategoricalCrossEntropy,
				Hidden: []LayerSpec{{Units: 5, Activation: act, Dropout: 0.4}, {Units: 4, Activation: act, Dropout: 0.25}}}
			f := newFixture(t, spec, 3, false, false)
			scratch := make([]float64, len(f.net.Params()))
			pass := func(grad []float64) float64 {
				ws := Workspace{Dropout: rand.New(rand.NewPCG(7, 7))}
				l, _ := f.net.Gradient(f.x, f.y, f.rows, grad, &ws)
				return l / float64(len(f.rows))
			}
			grad := make([]float64, len(scratch))
			masked := pass(grad)
			compare(t, f.net.Params(), grad, func() float64 { return pass(scratch) })
			// The mask must matter (some units dropped) and be off at predict time.
			var ws Workspace
			_, plain := f.net.Evaluate(f.x, f.y, f.rows, nil, &ws)
			if plain/float64(len(f.rows)) == masked {
				t.Error("dropout changed nothing in training")
			}
			var ws2 Workspace
			a := f.net.Predict(f.x, f.rows, nil, &ws2)
			b := f.net.Predict(f.x, f.rows, nil, &ws2)
			for i := range a {
				if a[i] != b[i] {
					t.Fatal("Predict is not deterministic: dropout leaked into prediction")
				}
			}
		})
	}
}

// TestDropoutRate checks inverted dropout's bookkeeping: about p of the
// units are dropped and the kept ones are scaled by 1/(1−p), so the mean
// activation is unchanged.
func TestDropoutRate(t *testing.T) {
	const p = 0.3
	spec := Spec{Inputs: 4, Outputs: 1, Output: Sigmoid, Loss: BinaryCrossEntropy,
		Hidden: []LayerSpec{{Units: 200, Activation: Linear, Dropout: p}}}
	n, err := New(spec, rand.New(rand.NewPCG(3, 3)))
	if err != nil {
		t.Fatal(err)
	}
	x := sparse.New(4, true)
	rows := make([]int, 50)
	for i := range rows {
		x.AppendRow([]int32{0, 1, 2, 3}, nil)
		rows[i] = i
	}
	ws := Workspace{Dropout: rand.New(rand.NewPCG(5, 5))}
	grad := make([]float64, len(n.Params()))
	n.Gradient(x, Targets{Class: make([]int32, 50)}, rows, grad, &ws)
	dropped, sumA, sumH := 0, 0.0, 0.0
	for i, m := range ws.mask[0][:50*200] {
		switch m {
		case 0:
			dropped++
		case 1 / (1 - p):
		default:
			t.Fatalf("mask value %v is neither 0 nor 1/(1-p)", m)
		}
		sumA += math.Abs(ws.a[0][i])
		sumH += math.Abs(ws.h[0][i])
	}
	if frac := float64(dropped) / (50 * 200); math.Abs(frac-p) > 0.02 {
		t.Errorf("dropped %.3f of the units, want %.2f", frac, p)
	}
	if r := sumH / sumA; math.Abs(r-1) > 0.05 {
		t.Errorf("the kept activations sum to %.3f of the undropped ones, want ~1", r)
	}
}

// TestRejectedPairs: a loss with an output it cannot work with is refused
// with a sentence that names the output to use.
func TestRejectedPairs(t *testing.T) {
	cases := []struct {
		loss       Loss
		out        Activation
		regression bool
		want       string
	}{
		{BinaryCrossEntropy, Linear, false, "needs output sigmoid"},
		{BinaryCrossEntropy, Softmax, false, "needs output sigmoid"},
		{CategoricalCrossEntropy, Sigmoid, false, "needs output softmax"},
		{CategoricalCrossEntropy, Linear, false, "needs output softmax"},
		{Hinge, Softmax, false, "needs output linear"},
		{SquaredHinge, Softmax, false, "needs output linear"},
		{Hinge, Linear, true, "use loss mse with output linear"},
		{BinaryCrossEntropy, Sigmoid, true, "use loss mse with output linear"},
		{MSE, Softmax, true, "use output linear"},
	}
	for _, c := range cases {
		err := CheckLoss(c.loss, c.out, c.regression)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("CheckLoss(%s, %s, regression=%v) = %v, want an error saying %q", c.loss, c.out, c.regression, err, c.want)
		}
	}
	spec := Spec{Inputs: 3, Outputs: 3, Output: Sigmoid, Loss: BinaryCrossEntropy}
	if err := spec.Validate(); err == nil || !strings.Contains(err.Error(), "use categorical_crossentropy with output softmax") {
		t.Errorf("3 sigmoid outputs with binary_crossentropy: %v", err)
	}
	spec.MultiLabel = true
	if err := spec.Validate(); err != nil {
		t.Errorf("3 labels, a sigmoid and binary_crossentropy each: %v", err)
	}
	// Several labels of one text cannot compete for one unit of
	// probability: the option.Error names the key to change.
	for _, c := range []struct {
		out  Activation
		loss Loss
		name string
		want string
	}{
		{Softmax, CategoricalCrossEntropy, "output", "softmax makes the labels share one unit of probability, so a text could not have several: use output sigmoid (with binary_crossentropy) or linear (with hinge)"},
		{Linear, CategoricalCrossEntropy, "loss", "categorical_crossentropy picks one label per text: for several, use binary_crossentropy with output sigmoid (a probability per label) or hinge with output linear (a margin per label)"},
		{Linear, BinaryCrossEntropy, "loss", "binary_crossentropy needs output sigmoid, not linear"},
	} {
		spec := Spec{Inputs: 3, Outputs: 3, Output: c.out, Loss: c.loss, MultiLabel: true}
		var e *option.Error
		if err := spec.Validate(); !errors.As(err, &e) || e.Name != c.name || e.Msg != c.want {
			t.Errorf("multi-label %s with %s: got %v, want %s %s", c.out, c.loss, err, c.name, c.want)
		}
	}
}

// TestSparseGradientMatchesDense runs a sequence of batches through the
// sparse bookkeeping of Objective and checks every gradient, and the
// support it reports, against a dense recomputation; Touches, asked
// before each gradient, names the same ranges as the support after it —
// also when the objective trains on a subset of X's rows (Objective.Rows,
// as calibration's held-out training does), whose batch indices both must
// map. It runs the three kernels of the first layer's weight gradient:
// row by row (5 units), by feature (128 units), and by feature in float32,
// whose rows of a batch's features are written whole and only the rows of
// the batch before that the batch lacks are cleared.
func TestSparseGradientMatchesDense(t *testing.T) {
	subset := make([]int, 0, 20)
	for r := 29; r >= 10; r-- {
		subset = append(subset, r)
	}
	for _, c := range []struct {
		l2        float64
		rows      []int
		units     int
		precision string
	}{{0, nil, 5, ""}, {0.1, nil, 5, ""}, {0, subset, 5, ""}, {0, nil, 128, ""}, {0, subset, 128, Float32}, {0.1, nil, 128, Float32}} {
		l2 := c.l2
		spec := Spec{Inputs: 40, Outputs: 1, Output: Sigmoid, Loss: BinaryCrossEntropy, L2: l2,
			Hidden: []LayerSpec{{Units: c.units, Activation: ReLU}}, Precision: c.precision}
		rng := rand.New(rand.NewPCG(9, 9))
		n, err := New(spec, rng)
		if err != nil {
			t.Fatal(err)
		}
		x := sparse.New(40, true)
		for range 30 {
			var idx []int32
			for f := range 40 {
				if rng.Float64() < 0.1 {
					idx = append(idx, int32(f))
				}
			}
			x.AppendRow(idx, nil)
		}
		y := Targets{Class: make([]int32, 30)}
		for i := range y.Class {
			y.Class[i] = int32(rng.IntN(2))
		}
		obj := &Objective{Net: n, X: x, Y: y, Rows: c.rows}
		grad := make([]float64, len(n.Params()))
		want := make([]float64, len(grad))
		var ws Workspace
		for step, rows := range [][]int{{0}, {1, 2, 3}, {4}, {5, 6, 7, 8, 9, 10}, {11}, {0}} {
			// Move the weights a little so the gradients differ from step to step.
			for i := range n.Params() {
				n.Params()[i] += 0.01 * rng.NormFloat64()
			}
			n.ParamsChanged(nil)
			touches := slices.Clone(obj.Touches(rows))
			obj.Gradient(rows, grad)
			xRows := rows
			if c.rows != nil {
				xRows = nil
				for _, r := range rows {
					xRows = append(xRows, c.rows[r])
				}
			}
			n.Gradient(x, y, xRows, want, &ws)
			inSupport := make([]bool, len(grad))
			for _, s := range obj.Support() {
				for i := s[0]; i < s[1]; i++ {
					inSupport[i] = true
				}
			}
			if got := obj.Support(); !slices.Equal(touches, got) {
				t.Fatalf("l2=%v step %d: Touches said %v before the gradient, Support %v after it", l2, step, touches, got)
			}
			for i := range grad {
				if grad[i] != want[i] {
					t.Fatalf("l2=%v units %d %s step %d: gradient entry %d is %v, the dense gradient says %v", l2, c.units, c.precision, step, i, grad[i], want[i])
				}
				if want[i] != 0 && !inSupport[i] {
					t.Fatalf("l2=%v step %d: entry %d is non-zero but outside the reported support", l2, step, i)
				}
			}
		}
	}
}
