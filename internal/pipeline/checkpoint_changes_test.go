package pipeline

import (
	"bytes"
	"context"
	"math/rand/v2"
	"testing"

	"github.com/dlc-dev/dlc/internal/checkpoint"
	"github.com/dlc-dev/dlc/internal/gd"
	"github.com/dlc-dev/dlc/internal/mlp"
	"github.com/dlc-dev/dlc/internal/parallel"
	"github.com/dlc-dev/dlc/internal/sparse"
)

// takeChecker is a Checkpointer (due every few updates and after every
// epoch) that takes each State into a snapshot kept from one save to the
// next, as the saver does (copying only what changed), and into a fresh
// one (copying everything): the two checkpoints' bytes must be the same.
type takeChecker struct {
	t              *testing.T
	kept           snapshot
	n, saves, took int // took: saves copied by the tracker's ranges
}

func (c *takeChecker) Due(epochEnd bool) bool { c.n++; return epochEnd || c.n%3 == 0 }

func (c *takeChecker) Save(st *gd.State) error {
	ck := checkpoint.Checkpoint{Seq: 1, Stage: checkpoint.Training, State: st}
	if st.Changed != nil && !st.Changed.All() && c.kept.from == st.Changed {
		c.took++
	}
	var fresh snapshot
	var got, want bytes.Buffer
	if err := checkpoint.Encode(&got, c.kept.take(&ck)); err != nil {
		return err
	}
	if err := checkpoint.Encode(&want, fresh.take(&ck)); err != nil {
		return err
	}
	c.saves++
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		c.t.Fatalf("save %d: the checkpoint of the snapshot taken by changes differs from a whole copy's", c.saves)
	}
	return nil
}

// TestSnapshotOfChangesIsExact: training a sparse-text MLP with SGD and
// Adagrad (whose States come with a tracker of the weights they changed),
// every checkpoint of the snapshot the saver keeps, which copies only the
// changed ranges over the last take, is byte for byte that of a copy of
// everything; and most of the saves were taken by changes.
func TestSnapshotOfChangesIsExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	x := sparse.New(400, true)
	y := make([]int32, 150)
	for i := range y {
		var idx []int32
		for f := range 400 {
			if rng.Float64() < 0.2/float64(1+f/20) {
				idx = append(idx, int32(f))
			}
		}
		x.AppendRow(idx, nil)
		y[i] = int32(rng.IntN(2))
	}
	spec := mlp.Spec{Inputs: 400, Outputs: 1, Output: mlp.Sigmoid, Loss: mlp.BinaryCrossEntropy,
		Hidden: []mlp.LayerSpec{{Units: 5, Activation: mlp.ReLU, Dropout: 0.2}}}
	for _, name := range []string{gd.NameSGD, gd.NameAdagrad} {
		net, err := mlp.New(spec, rand.New(rand.NewPCG(1, 1)))
		if err != nil {
			t.Fatal(err)
		}
		o, err := gd.NewOptimizer(gd.OptimizerConfig{Name: name, LearningRate: 0.05}, len(net.Params()))
		if err != nil {
			t.Fatal(err)
		}
		tc := &takeChecker{t: t}
		obj := &mlp.Objective{Net: net, X: x, Y: mlp.Targets{Class: y}, Dropout: rand.New(rand.NewPCG(2, 2))}
		cfg := gd.Config{Method: gd.MiniBatch, BatchSize: 8, Epochs: 3, Seed: 3}
		if _, err := gd.Train(context.Background(), obj, o, cfg, gd.Callbacks{Checkpoint: tc}); err != nil {
			t.Fatal(err)
		}
		if tc.took != tc.saves-1 {
			t.Errorf("%s: %d of %d saves after the first taken by changes", name, tc.took, tc.saves)
		}
	}
}

// TestRangeCopyAcrossPieces: ranges that start and end inside pieces and
// span several of them are copied exactly, into every destination, by
// tasks run in parallel, and nothing outside them.
func TestRangeCopyAcrossPieces(t *testing.T) {
	n := 2*pieceValues + 1234
	src := [][]float64{make([]float64, n), make([]float64, n)}
	for k, v := range src {
		for i := range v {
			v[i] = float64(i + k)
		}
	}
	dst := [][]float64{make([]float64, n), make([]float64, n)}
	ranges := [][2]int{{0, 3}, {100, pieceValues + 5}, {pieceValues + 7, pieceValues + 8}, {2*pieceValues - 1, n}}
	c := &rangeCopy{dst: dst, src: src, ranges: ranges}
	var g parallel.Group
	g.Run((n+pieceValues-1)/pieceValues, 2*n, c)
	for k := range dst {
		r := 0
		for i, x := range dst[k] {
			for r < len(ranges) && ranges[r][1] <= i {
				r++
			}
			want := 0.0
			if r < len(ranges) && ranges[r][0] <= i {
				want = src[k][i]
			}
			if x != want {
				t.Fatalf("destination %d, value %d: %v, want %v", k, i, x, want)
			}
		}
	}
}
