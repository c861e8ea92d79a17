package gd_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/dlc-dev/dlc/internal/dist"
	"github.com/dlc-dev/dlc/internal/gd"
	"github.com/dlc-dev/dlc/internal/mlp"
)

// avgRecorder is an Averager of one process that notes, for every average,
// the epoch's update it followed and the lengths of what it averaged.
type avgRecorder struct {
	step    *int
	at      []int
	lengths [][]int
}

func (r *avgRecorder) Average(vs ...[]float64) error {
	r.at = append(r.at, *r.step)
	var ls []int
	for _, v := range vs {
		ls = append(ls, len(v))
	}
	r.lengths = append(r.lengths, ls)
	return nil
}

// syncProblem is a small logistic regression on n dense examples.
func syncProblem(n int, seed uint64) (*mlp.Objective, int) {
	x, y := leastSquares(n, seed)
	class := make([]int32, n)
	for i, v := range y {
		if v > 3 {
			class[i] = 1
		}
	}
	net, _ := mlp.New(mlp.Spec{Inputs: 3, Outputs: 1, Output: mlp.Sigmoid, Loss: mlp.BinaryCrossEntropy}, rand.New(rand.NewPCG(1, 1)))
	return &mlp.Objective{Net: net, X: denseRows(x), Y: mlp.Targets{Class: class}}, len(net.Params())
}

// The averages come every Every updates of an epoch, counted afresh each
// epoch, only while every process still has updates to make (the
// fewest examples' updates), and once at every epoch's end; they carry
// the weights, the rule's state when asked (its arrays in name order)
// and the epoch's sums.
func TestSyncSchedule(t *testing.T) {
	for _, c := range []struct {
		name     string
		examples int // the fewest of any process
		every    int
		opt      bool
		rule     string
		want     []int // the update of an epoch each average follows; -1: its end
		lengths  []int
	}{
		{"every 3 of 10", 100, 3, false, gd.NameSGD, []int{3, 6, 9, -1}, []int{4, 4}},
		{"every 5 of 10", 100, 5, false, gd.NameSGD, []int{5, -1}, []int{4, 4}},
		{"fewer updates elsewhere", 85, 3, false, gd.NameSGD, []int{3, 6, -1}, []int{4, 4}},
		{"epoch ends only", 100, 0, false, gd.NameSGD, []int{-1}, []int{4, 4}},
		{"adam's state", 100, 0, true, gd.NameAdam, []int{-1}, []int{4, 4, 4, 4}},
		{"sgd has none", 100, 0, true, gd.NameSGD, []int{-1}, []int{4, 4}},
	} {
		t.Run(c.name, func(t *testing.T) {
			obj, _ := syncProblem(100, 5)
			opt, _ := gd.NewOptimizer(gd.OptimizerConfig{Name: c.rule, LearningRate: 0.1}, len(obj.Params()))
			step := 0
			rec := &avgRecorder{step: &step}
			res, err := gd.Train(context.Background(), obj, opt, gd.Config{Method: gd.MiniBatch, BatchSize: 10, Epochs: 2, Seed: 1}, gd.Callbacks{
				OnStep: func(done, total int) { step = (done + 9) / 10 }, // the epoch's update
				Sync:   &gd.Sync{Averager: rec, Every: c.every, Examples: c.examples, Optimizer: c.opt},
			})
			if err != nil {
				t.Fatal(err)
			}
			var want []int
			for range res.History {
				for _, w := range c.want {
					if w < 0 {
						w = 10 // the epoch's last update
					}
					want = append(want, w)
				}
			}
			if !slices.Equal(rec.at, want) {
				t.Errorf("averages after updates %v, want %v", rec.at, want)
			}
			for _, ls := range rec.lengths {
				wantLs := append([]int{len(obj.Params())}, c.lengths[2:]...)
				wantLs = append(wantLs, 4)
				if !slices.Equal(ls, wantLs) {
					t.Errorf("averaged vectors of lengths %v, want %v", ls, wantLs)
					break
				}
			}
		})
	}
}

// Processes interrupted at different moments stop together at the next
// average, with the same weights: the one interrupted with its context's
// error, the others with ErrPeerStopped.
func TestSyncStopsTogether(t *testing.T) {
	comms := dist.Local(3)
	params := make([][]float64, 3)
	errs := make([]error, 3)
	steps := make([]int, 3)
	var wg sync.WaitGroup
	for r := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			obj, _ := syncProblem(300, uint64(r+1))
			opt, _ := gd.NewOptimizer(gd.OptimizerConfig{Name: gd.NameAdagrad, LearningRate: 0.1}, len(obj.Params()))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			cb := gd.Callbacks{Sync: &gd.Sync{Averager: dist.Averager{Comm: comms[r], What: "the weights"}, Every: 4, Examples: 300, Optimizer: true}}
			if r == 1 {
				n := 0
				cb.OnStep = func(int, int) {
					if n++; n == 45 { // at update 15 of epoch 2 (30 an epoch)
						cancel()
					}
				}
			}
			res, err := gd.Train(ctx, obj, opt, gd.Config{Method: gd.MiniBatch, BatchSize: 10, Epochs: 5, Seed: 1}, cb)
			params[r], errs[r], steps[r] = slices.Clone(obj.Params()), err, res.Steps
		}()
	}
	wg.Wait()
	for r, err := range errs {
		want := gd.ErrPeerStopped
		if r == 1 {
			want = context.Canceled
		}
		if !errors.Is(err, want) || (r != 1 && !errors.Is(err, gd.ErrPeerStopped)) {
			t.Errorf("rank %d: %v, want %v", r, err, want)
		}
		if steps[r] != 46 {
			t.Errorf("rank %d stopped after %d updates, want 46 (the average after update 16 of epoch 2)", r, steps[r])
		}
		if !slices.Equal(params[r], params[0]) {
			t.Errorf("rank %d stopped with other weights than rank 0", r)
		}
	}
}
