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
	for _, name := range []string{gd.NameSGD, gd.NameAdagrad} {
		tc := &takeChecker{t: t}
		trainSparseTexts(t, name, tc)
		if tc.took != tc.saves-1 {
			t.Errorf("%s: %d of %d saves after the first taken by changes", name, tc.took, tc.saves)
		}
	}
}

// trainSparseTexts trains a small sparse-text MLP (400 features, 5 relu
// units with dropout, sigmoid) with the update rule name for 3 epochs of
// batches of 8, saving checkpoints through cp: the same run for each
// checkpointer the tests hold against a whole copy.
func trainSparseTexts(t *testing.T, name string, cp gd.Checkpointer) {
	t.Helper()
	x, y := sparseTexts(150, 400)
	spec := mlp.Spec{Inputs: 400, Outputs: 1, Output: mlp.Sigmoid, Loss: mlp.BinaryCrossEntropy,
		Hidden: []mlp.LayerSpec{{Units: 5, Activation: mlp.ReLU, Dropout: 0.2}}}
	net, err := mlp.New(spec, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	o, err := gd.NewOptimizer(gd.OptimizerConfig{Name: name, LearningRate: 0.05}, len(net.Params()))
	if err != nil {
		t.Fatal(err)
	}
	obj := &mlp.Objective{Net: net, X: x, Y: mlp.Targets{Class: y}, Dropout: rand.New(rand.NewPCG(2, 2))}
	cfg := gd.Config{Method: gd.MiniBatch, BatchSize: 8, Epochs: 3, Seed: 3}
	if _, err := gd.Train(context.Background(), obj, o, cfg, gd.Callbacks{Checkpoint: cp}); err != nil {
		t.Fatal(err)
	}
}

// sparseTexts are rows examples of a sparse text-like matrix of
// features columns (the first ones common, later ones rare) with random
// binary labels.
func sparseTexts(rows, features int) (*sparse.Matrix, []int32) {
	rng := rand.New(rand.NewPCG(9, 9))
	x := sparse.New(features, true)
	y := make([]int32, rows)
	for i := range y {
		var idx []int32
		for f := range features {
			if rng.Float64() < 0.2/float64(1+f/20) {
				idx = append(idx, int32(f))
			}
		}
		x.AppendRow(idx, nil)
		y[i] = int32(rng.IntN(2))
	}
	return x, y
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

// deferChecker is takeChecker as a gd.DeferredCopier: its kept snapshot's
// weights are copied after Save returned, on a goroutine, while training
// goes on, as the saver's writer does. Each checkpoint, encoded once that
// copy is done, must be byte for byte that of a whole copy made in Save.
type deferChecker struct {
	t                  *testing.T
	kept               snapshot
	n, saves, deferred int
	checked            chan struct{} // closed once the last save is compared
}

func (c *deferChecker) Due(epochEnd bool) bool { c.n++; return epochEnd || c.n%3 == 0 }

func (c *deferChecker) Save(st *gd.State) error {
	c.wait()
	whole := *st
	whole.Deferred = false
	var fresh snapshot
	var want bytes.Buffer
	if err := checkpoint.Encode(&want, fresh.take(&checkpoint.Checkpoint{Seq: 1, Stage: checkpoint.Training, State: &whole})); err != nil {
		return err
	}
	snap := c.kept.take(&checkpoint.Checkpoint{Seq: 1, Stage: checkpoint.Training, State: st})
	later := c.kept.copying
	if later != nil {
		c.deferred++
	}
	c.saves++
	save, done := c.saves, make(chan struct{})
	c.checked = done
	go func() {
		defer close(done)
		if later != nil {
			later.run()
		}
		var got bytes.Buffer
		if err := checkpoint.Encode(&got, snap); err != nil {
			c.t.Error(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			c.t.Errorf("save %d: the checkpoint whose weights were copied after Save differs from a whole copy's", save)
		}
	}()
	return nil
}

func (c *deferChecker) Protect(spans [][2]int) {
	if c.kept.copying != nil {
		c.kept.copying.protect(spans)
	}
}

func (c *deferChecker) Settle() {
	if c.kept.copying != nil {
		c.kept.copying.settle()
	}
}

// wait waits for the last save's comparison.
func (c *deferChecker) wait() {
	if c.checked != nil {
		<-c.checked
	}
}

// TestDeferredSnapshotIsExact: with SGD and Adagrad, Train tells a
// DeferredCopier its States may be copied after Save, protects the spans
// it writes until then, and every checkpoint so made is byte for byte a
// whole copy's of the State at its Save.
func TestDeferredSnapshotIsExact(t *testing.T) {
	for _, name := range []string{gd.NameSGD, gd.NameAdagrad} {
		dc := &deferChecker{t: t}
		trainSparseTexts(t, name, dc)
		dc.wait()
		if dc.saves == 0 || dc.deferred != dc.saves {
			t.Errorf("%s: %d of %d saves copied after Save", name, dc.deferred, dc.saves)
		}
	}
}

// TestDeferredCopyRacesWrites: while the writer's goroutine copies the
// ranges, the other writes spans of the source, protecting each first;
// the copy holds the source as it stood when the copy started, and
// nothing outside the ranges.
func TestDeferredCopyRacesWrites(t *testing.T) {
	const n = 5000
	rng := rand.New(rand.NewPCG(4, 4))
	ranges := [][2]int{{0, 96}, {640, 2112}, {2144, 2176}, {4992, n}}
	for round := range 20 {
		src := [][]float64{make([]float64, n), make([]float64, n)}
		dst := [][]float64{make([]float64, n), make([]float64, n)}
		want := [][]float64{make([]float64, n), make([]float64, n)}
		for k := range src {
			for i := range src[k] {
				src[k][i], dst[k][i], want[k][i] = float64(i+k*n), -1, -1
			}
			for _, r := range ranges {
				copy(want[k][r[0]:r[1]], src[k][r[0]:r[1]])
			}
		}
		var d deferredCopy
		d.start(dst, src, n, ranges)
		go d.run()
		for range 300 {
			lo := rng.IntN(n)
			span := [2]int{lo, min(n, lo+1+rng.IntN(80))}
			d.protect([][2]int{span})
			for k := range src {
				for i := span[0]; i < span[1]; i++ {
					src[k][i] += 0.5
				}
			}
		}
		d.settle()
		for k := range dst {
			for i := range dst[k] {
				if dst[k][i] != want[k][i] {
					t.Fatalf("round %d, array %d, value %d: %v, want %v", round, k, i, dst[k][i], want[k][i])
				}
			}
		}
	}
}
