package mlp_test

import (
	"context"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/dlc-dev/dlc/internal/gd"
	"github.com/dlc-dev/dlc/internal/mlp"
	"github.com/dlc-dev/dlc/internal/sparse"
)

var _ gd.RowKeeper = (*mlp.Objective)(nil)

// twoPass is an Objective that is no gd.RowKeeper: lazy Adam trains it
// with a step of its own over each touched row, as before rows were kept.
type twoPass struct{ o *mlp.Objective }

func (t twoPass) Params() []float64                                  { return t.o.Params() }
func (t twoPass) Len() int                                           { return t.o.Len() }
func (t twoPass) Gradient(rows []int, grad []float64) (float64, int) { return t.o.Gradient(rows, grad) }
func (t twoPass) Support() [][2]int                                  { return t.o.Support() }
func (t twoPass) RowWidth() int                                      { return t.o.RowWidth() }
func (t twoPass) Touches(rows []int) [][2]int                        { return t.o.Touches(rows) }
func (t twoPass) ParamsChanged(spans [][2]int)                       { t.o.ParamsChanged(spans) }
func (t twoPass) SpanChanged(lo, hi int)                             { t.o.SpanChanged(lo, hi) }

// stateHashes is a gd.Checkpointer that keeps, at every update, a hash of
// the saved weights and of Adam's saved state (moments, row clock and
// what each row put off).
type stateHashes struct{ sums []uint64 }

func (*stateHashes) Due(bool) bool { return true }

func (s *stateHashes) Save(st *gd.State) error {
	h := fnv.New64a()
	put := func(xs []float64) {
		var b [8]byte
		for _, x := range xs {
			u := math.Float64bits(x)
			for i := range b {
				b[i] = byte(u >> (8 * i))
			}
			h.Write(b[:])
		}
	}
	put(st.Params)
	put(st.Optimizer.Slots["m"])
	put(st.Optimizer.Slots["v"])
	for _, xs := range [][]int64{st.Optimizer.Done, st.Optimizer.Behind} {
		for _, x := range xs {
			put([]float64{float64(x)})
		}
	}
	s.sums = append(s.sums, h.Sum64())
	return nil
}

// sparseRows returns n rows over cols features, each with a few of them
// (the first ones more often than the last, as words), with random values.
func sparseRows(rng *rand.Rand, n, cols int) *sparse.Matrix {
	m := sparse.New(cols, false)
	for range n {
		var idx []int32
		var vals []float64
		for f := range cols {
			if rng.Float64() < 3/float64(f+3) {
				idx = append(idx, int32(f))
				vals = append(vals, rng.Float64())
			}
		}
		m.AppendRow(idx, vals)
	}
	return m
}

// TestKeptRowsSameWeights: lazy Adam on an mlp.Objective, which keeps its
// gradients' rows (gd.RowKeeper) so that each touched row is updated in
// one pass when it comes back, leaves the weights and the saved state at
// every update, and the final weights, byte for byte where the two passes
// over each row (the objective hidden behind one that keeps nothing)
// leave them: for a narrow layer (its gradient row by row), a wide one
// (by feature) and a float32 one, with dropout.
func TestKeptRowsSameWeights(t *testing.T) {
	for _, tc := range []struct {
		name      string
		units     int
		precision string
	}{{"narrow", 6, mlp.Float64}, {"wide", 130, mlp.Float64}, {"float32", 6, mlp.Float32}} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(13, 6))
			const rows, cols, classes = 90, 60, 3
			x := sparseRows(rng, rows, cols)
			y := mlp.Targets{Class: make([]int32, rows)}
			for i := range y.Class {
				y.Class[i] = int32(rng.IntN(classes))
			}
			spec := mlp.Spec{Inputs: cols, Hidden: []mlp.LayerSpec{{Units: tc.units, Activation: mlp.ReLU, Dropout: 0.2}},
				Outputs: classes, Output: mlp.Softmax, Loss: mlp.CategoricalCrossEntropy, Precision: tc.precision}
			var params [2][]float64
			var sums [2][]uint64
			for k, keep := range []bool{false, true} {
				net, err := mlp.New(spec, rand.New(rand.NewPCG(1, 2)))
				if err != nil {
					t.Fatal(err)
				}
				o := &mlp.Objective{Net: net, X: x, Y: y, Dropout: rand.New(rand.NewPCG(3, 4))}
				var obj gd.Objective = twoPass{o}
				if keep {
					obj = o
				}
				opt, err := gd.NewOptimizer(gd.OptimizerConfig{Name: gd.NameAdam, LearningRate: 0.01}, len(net.Params()))
				if err != nil {
					t.Fatal(err)
				}
				ck := &stateHashes{}
				c := gd.Config{Method: gd.MiniBatch, BatchSize: 7, Epochs: 3, Seed: 5}
				if _, err := gd.Train(context.Background(), obj, opt, c, gd.Callbacks{Checkpoint: ck}); err != nil {
					t.Fatal(err)
				}
				params[k], sums[k] = append([]float64(nil), net.Params()...), ck.sums
			}
			for i := range sums[0] {
				if sums[0][i] != sums[1][i] {
					t.Fatalf("the state saved at update %d differs: two passes over a row and one do not agree", i+1)
				}
			}
			for i := range params[0] {
				if math.Float64bits(params[0][i]) != math.Float64bits(params[1][i]) {
					t.Fatalf("weight %d: %v with two passes over a row, %v with one", i, params[0][i], params[1][i])
				}
			}
			if len(sums[0]) != len(sums[1]) || len(sums[0]) < 30 {
				t.Fatalf("%d and %d states saved", len(sums[0]), len(sums[1]))
			}
		})
	}
}
