package gd_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/dlc-dev/dlc/internal/gd"
	"github.com/dlc-dev/dlc/internal/mlp"
	"github.com/dlc-dev/dlc/internal/sparse"
)

// denseRows stores a dense n×d matrix as sparse rows with values.
func denseRows(x [][]float64) *sparse.Matrix {
	m := sparse.New(len(x[0]), false)
	idx := make([]int32, len(x[0]))
	for i := range idx {
		idx[i] = int32(i)
	}
	for _, row := range x {
		m.AppendRow(idx, row)
	}
	return m
}

// leastSquares draws y = 3 + 2 x₁ − x₂ + 0.5 x₃ + noise.
func leastSquares(n int, seed uint64) ([][]float64, []float64) {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := make([][]float64, n)
	y := make([]float64, n)
	for i := range x {
		x[i] = []float64{rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()}
		y[i] = 3 + 2*x[i][0] - x[i][1] + 0.5*x[i][2] + 0.3*rng.NormFloat64()
	}
	return x, y
}

// TestBatchGDReachesNormalEquations: linear regression (no hidden layer,
// linear output, MSE) trained by batch gradient descent with plain SGD
// stops by itself at convergence, at the least-squares solution that the
// normal equations XᵀX w = Xᵀy give (solved with gonum).
func TestBatchGDReachesNormalEquations(t *testing.T) {
	x, y := leastSquares(200, 3)
	// Normal equations with a column of ones for the intercept.
	a := mat.NewDense(len(x), 4, nil)
	for i, row := range x {
		a.Set(i, 0, 1)
		for j, v := range row {
			a.Set(i, j+1, v)
		}
	}
	var ata mat.Dense
	ata.Mul(a.T(), a)
	var aty mat.VecDense
	aty.MulVec(a.T(), mat.NewVecDense(len(y), y))
	var w mat.VecDense
	if err := w.SolveVec(&ata, &aty); err != nil {
		t.Fatal(err)
	}

	net, err := mlp.New(mlp.Spec{Inputs: 3, Outputs: 1, Output: mlp.Linear, Loss: mlp.MSE, Regression: true}, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	obj := &mlp.Objective{Net: net, X: denseRows(x), Y: mlp.Targets{Value: y}}
	opt, _ := gd.NewOptimizer(gd.OptimizerConfig{Name: gd.NameSGD, LearningRate: 0.2}, len(net.Params()))
	res, err := gd.Train(context.Background(), obj, opt, gd.Config{Method: gd.Batch, Epochs: 100000, Tolerance: 1e-16, Patience: 5}, gd.Callbacks{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stopped != gd.StopConverged {
		t.Fatalf("training ended by %q after %d steps, want convergence", res.Stopped, res.Steps)
	}
	if res.Steps != len(res.History) {
		t.Errorf("batch gradient descent made %d updates in %d epochs; want one per epoch", res.Steps, len(res.History))
	}
	got := []float64{net.Layers[0].B[0], net.Layers[0].W[0], net.Layers[0].W[1], net.Layers[0].W[2]}
	for i, g := range got {
		if d := math.Abs(g - w.AtVec(i)); d > 1e-6 {
			t.Errorf("coefficient %d: gradient descent %.9f, normal equations %.9f (off by %.2g)", i, g, w.AtVec(i), d)
		}
	}
	t.Logf("converged after %d steps to %v; normal equations %v", res.Steps, got, mat.Formatted(w.T()))
}

// separable draws two clouds of points on either side of a plane.
func separable(n int) (*sparse.Matrix, []int32) {
	rng := rand.New(rand.NewPCG(5, 5))
	var x [][]float64
	var y []int32
	for len(x) < n {
		p := []float64{rng.NormFloat64() * 3, rng.NormFloat64() * 3}
		s := p[0] - 2*p[1] + 1
		if math.Abs(s) < 0.5 { // keep a margin
			continue
		}
		x = append(x, p)
		y = append(y, int32(max(0, math.Copysign(1, s))))
	}
	return denseRows(x), y
}

// TestLogisticRegressionSeparable: logistic regression (sigmoid + binary
// cross-entropy, no hidden layer) reaches zero training error on linearly
// separable data, with each of the three descents.
func TestLogisticRegressionSeparable(t *testing.T) {
	x, y := separable(300)
	for _, m := range gd.Methods {
		net, _ := mlp.New(mlp.Spec{Inputs: 2, Outputs: 1, Output: mlp.Sigmoid, Loss: mlp.BinaryCrossEntropy}, rand.New(rand.NewPCG(1, 1)))
		obj := &mlp.Objective{Net: net, X: x, Y: mlp.Targets{Class: y}}
		opt, _ := gd.NewOptimizer(gd.OptimizerConfig{Name: gd.NameSGD, LearningRate: 0.5}, len(net.Params()))
		res, err := gd.Train(context.Background(), obj, opt, gd.Config{Method: m, BatchSize: 16, Epochs: 300, Seed: 1}, gd.Callbacks{})
		if err != nil {
			t.Fatal(err)
		}
		// Count errors with the final weights, not the epoch's running tally.
		var ws mlp.Workspace
		rows := make([]int, x.Rows)
		for i := range rows {
			rows[i] = i
		}
		out := net.Predict(x, rows, nil, &ws)
		wrong := 0
		for i, o := range out {
			if net.Decide([]float64{o}) != int(y[i]) {
				wrong++
			}
		}
		if wrong != 0 {
			t.Errorf("%s: %d of %d training examples misclassified after %d epochs", m, wrong, x.Rows, len(res.History))
		}
	}
}

// counting wraps an objective and counts what the loop asks of it.
type counting struct {
	gd.Objective
	calls int
	seen  map[int]int
}

func (c *counting) Gradient(rows []int, grad []float64) (float64, int) {
	c.calls++
	for _, r := range rows {
		c.seen[r]++
	}
	if len(rows) != 1 {
		panic("sgd asked for a batch of more than one example")
	}
	return c.Objective.Gradient(rows, grad)
}

type countingOpt struct {
	gd.Optimizer
	updates int
}

func (c *countingOpt) Update(p, g []float64) { c.updates++; c.Optimizer.Update(p, g) }

// TestSGDOneUpdatePerExample: stochastic gradient descent makes exactly
// one update per example per epoch, each on one example, and visits every
// example once per epoch.
func TestSGDOneUpdatePerExample(t *testing.T) {
	x, y := separable(37)
	net, _ := mlp.New(mlp.Spec{Inputs: 2, Outputs: 1, Output: mlp.Sigmoid, Loss: mlp.BinaryCrossEntropy}, rand.New(rand.NewPCG(1, 1)))
	obj := &counting{Objective: &mlp.Objective{Net: net, X: x, Y: mlp.Targets{Class: y}}, seen: map[int]int{}}
	sgd, _ := gd.NewOptimizer(gd.OptimizerConfig{Name: gd.NameRMSprop, LearningRate: 0.01}, len(net.Params()))
	opt := &countingOpt{Optimizer: sgd}
	updates := 0
	res, err := gd.Train(context.Background(), obj, opt, gd.Config{Method: gd.Stochastic, Epochs: 3, Seed: 2}, gd.Callbacks{
		OnUpdate: func(u *gd.UpdateStats) {
			updates++
			if u.Examples != 1 || u.Step != updates {
				t.Fatalf("update %d looked at %d examples (step %d)", updates, u.Examples, u.Step)
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if opt.updates != 3*37 || obj.calls != 3*37 || updates != 3*37 || res.Steps != 3*37 {
		t.Errorf("3 epochs of 37 examples: %d updates, %d gradients, %d callbacks, %d steps reported; want 111 each", opt.updates, obj.calls, updates, res.Steps)
	}
	for _, st := range res.History {
		if st.Steps != 37 {
			t.Errorf("epoch %d made %d updates, want 37", st.Epoch, st.Steps)
		}
	}
	for r := range 37 {
		if obj.seen[r] != 3 {
			t.Errorf("example %d was used %d times in 3 epochs", r, obj.seen[r])
		}
	}
}

// trajectory trains a small MLP with dropout and returns the loss of every update.
func trajectory(t *testing.T, seed uint64, method gd.Method, opt string) []float64 {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 9))
	x, y := separable(64)
	net, _ := mlp.New(mlp.Spec{Inputs: 2, Outputs: 1, Output: mlp.Sigmoid, Loss: mlp.BinaryCrossEntropy,
		Hidden: []mlp.LayerSpec{{Units: 8, Activation: mlp.ReLU, Dropout: 0.2}}}, rng)
	obj := &mlp.Objective{Net: net, X: x, Y: mlp.Targets{Class: y}, Dropout: rand.New(rand.NewPCG(seed, 10))}
	o, _ := gd.NewOptimizer(gd.OptimizerConfig{Name: opt, LearningRate: 0.05}, len(net.Params()))
	var losses []float64
	_, err := gd.Train(context.Background(), obj, o, gd.Config{Method: method, BatchSize: 10, Epochs: 3, Seed: seed},
		gd.Callbacks{OnUpdate: func(u *gd.UpdateStats) { losses = append(losses, u.Loss) }})
	if err != nil {
		t.Fatal(err)
	}
	return losses
}

// TestSameSeedSameTrajectory: the same seed gives the same loss at every
// update (shuffling, initial weights and dropout masks all come from it);
// another seed gives another trajectory.
func TestSameSeedSameTrajectory(t *testing.T) {
	for _, m := range gd.Methods {
		for _, opt := range gd.OptimizerNames {
			a, b := trajectory(t, 42, m, opt), trajectory(t, 42, m, opt)
			if !slices.Equal(a, b) {
				t.Errorf("%s/%s: two runs with seed 42 gave different losses", m, opt)
			}
			if c := trajectory(t, 43, m, opt); slices.Equal(a, c) {
				t.Errorf("%s/%s: seeds 42 and 43 gave the same losses", m, opt)
			}
		}
	}
}

// scripted is an objective whose parameter counts the updates, so that the
// weights of every epoch are known: after epoch e, θ = e·steps.
type scripted struct{ p []float64 }

func (s *scripted) Params() []float64 { return s.p }
func (s *scripted) Len() int          { return 4 }
func (s *scripted) Gradient(rows []int, g []float64) (float64, int) {
	g[0] = -1 // SGD with rate 1 adds 1 per update
	return float64(len(rows)), 0
}

// TestEarlyStoppingRestoresBest: the weights of the best epoch come back
// when early stopping ends training, when the epoch cap does (Keras only
// restores in the first case, keras-team/keras#12511), and on interruption.
func TestEarlyStoppingRestoresBest(t *testing.T) {
	valLoss := []float64{5, 3, 2.5, 4, 6, 7, 8, 9}
	run := func(c gd.Config, cancelAt int) (*gd.Result, float64, error) {
		obj := &scripted{p: []float64{0}}
		opt, _ := gd.NewOptimizer(gd.OptimizerConfig{Name: gd.NameSGD, LearningRate: 1}, 1)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		res, err := gd.Train(ctx, obj, opt, c, gd.Callbacks{
			OnEpoch: func(st *gd.EpochStats) error {
				st.ValLoss = valLoss[st.Epoch-1]
				if st.Epoch == cancelAt {
					cancel()
				}
				return nil
			},
		})
		return res, obj.p[0], err
	}
	es := gd.EarlyStopping{Monitor: "val_loss", Patience: 2, Stop: true, RestoreBest: true}
	// Stopped by early stopping at epoch 5 (epochs 4 and 5 not better than 3).
	res, theta, err := run(gd.Config{Method: gd.MiniBatch, BatchSize: 2, Epochs: 8, EarlyStopping: es}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stopped != gd.StopEarly || len(res.History) != 5 || res.BestEpoch != 3 || !res.Restored || theta != 6 {
		t.Errorf("early stop: stopped %q after %d epochs, best epoch %d, restored %v, θ = %v; want early_stopping, 5, 3, true, 6 (the weights after epoch 3)",
			res.Stopped, len(res.History), res.BestEpoch, res.Restored, theta)
	}
	// Ended by the epoch cap before patience ran out: still restored.
	res, theta, _ = run(gd.Config{Method: gd.MiniBatch, BatchSize: 2, Epochs: 4, EarlyStopping: es}, 0)
	if res.Stopped != gd.StopEpochs || !res.Restored || theta != 6 {
		t.Errorf("epoch cap: stopped %q, restored %v, θ = %v; want epochs, true, 6", res.Stopped, res.Restored, theta)
	}
	// Monitoring without stopping: runs all epochs, ends on the best.
	keep := es
	keep.Stop = false
	res, theta, _ = run(gd.Config{Method: gd.MiniBatch, BatchSize: 2, Epochs: 8, EarlyStopping: keep}, 0)
	if len(res.History) != 8 || theta != 6 {
		t.Errorf("monitor only: %d epochs, θ = %v; want 8 epochs and θ = 6", len(res.History), theta)
	}
	// Interrupted during epoch 5: the best weights so far are restored.
	res, theta, err = run(gd.Config{Method: gd.MiniBatch, BatchSize: 2, Epochs: 8, EarlyStopping: keep}, 4)
	if !errors.Is(err, context.Canceled) || res.Stopped != gd.StopInterrupted || theta != 6 || !res.Restored {
		t.Errorf("interrupted: err %v, stopped %q, θ = %v, restored %v; want context.Canceled, interrupted, 6, true", err, res.Stopped, theta, res.Restored)
	}
	// Without restore_best the last weights stay.
	noRestore := es
	noRestore.RestoreBest = false
	_, theta, _ = run(gd.Config{Method: gd.MiniBatch, BatchSize: 2, Epochs: 8, EarlyStopping: noRestore}, 0)
	if theta != 10 {
		t.Errorf("without restore_best_weights θ = %v, want 10 (after epoch 5)", theta)
	}
	// Accuracy-like monitors prefer higher values; min_delta ignores small gains.
	obj := &scripted{p: []float64{0}}
	opt, _ := gd.NewOptimizer(gd.OptimizerConfig{Name: gd.NameSGD, LearningRate: 1}, 1)
	acc := []float64{0.5, 0.7, 0.705, 0.71, 0.6}
	res, err = gd.Train(context.Background(), obj, opt, gd.Config{Method: gd.Batch, Epochs: 5,
		EarlyStopping: gd.EarlyStopping{Monitor: "val_accuracy", Patience: 2, Stop: true, MinDelta: 0.02, RestoreBest: true}},
		gd.Callbacks{OnEpoch: func(st *gd.EpochStats) error { st.ValAccuracy = acc[st.Epoch-1]; return nil }})
	if err != nil || res.BestEpoch != 2 || len(res.History) != 4 || obj.p[0] != 2 {
		t.Errorf("val_accuracy with min_delta 0.02: best epoch %d after %d epochs, θ = %v (err %v); want 2, 4, 2", res.BestEpoch, len(res.History), obj.p[0], err)
	}
}

// TestInterruptFinishesTheBatch: a cancelled context stops the loop before
// the next update, never in the middle of one.
func TestInterruptFinishesTheBatch(t *testing.T) {
	obj := &scripted{p: []float64{0}}
	opt, _ := gd.NewOptimizer(gd.OptimizerConfig{Name: gd.NameSGD, LearningRate: 1}, 1)
	ctx, cancel := context.WithCancel(context.Background())
	res, err := gd.Train(ctx, obj, opt, gd.Config{Method: gd.Stochastic, Epochs: 100}, gd.Callbacks{
		OnUpdate: func(u *gd.UpdateStats) {
			if u.Step == 6 {
				cancel()
			}
		},
	})
	if !errors.Is(err, context.Canceled) || res.Steps != 6 || obj.p[0] != 6 || len(res.History) != 1 {
		t.Errorf("cancelled at update 6: err %v, %d steps, θ = %v, %d whole epochs; want Canceled, 6, 6, 1", err, res.Steps, obj.p[0], len(res.History))
	}
}

// TestDivergence: a NaN loss stops training with a DivergedError.
func TestDivergence(t *testing.T) {
	x, y := leastSquares(20, 1)
	for i := range y {
		y[i] *= 1e3
	}
	net, _ := mlp.New(mlp.Spec{Inputs: 3, Outputs: 1, Output: mlp.Linear, Loss: mlp.MSE, Regression: true}, rand.New(rand.NewPCG(1, 1)))
	opt, _ := gd.NewOptimizer(gd.OptimizerConfig{Name: gd.NameSGD, LearningRate: 50}, len(net.Params()))
	_, err := gd.Train(context.Background(), &mlp.Objective{Net: net, X: denseRows(x), Y: mlp.Targets{Value: y}}, opt, gd.Config{Method: gd.Batch, Epochs: 10000}, gd.Callbacks{})
	var de *gd.DivergedError
	if !errors.As(err, &de) {
		t.Fatalf("err = %v, want a DivergedError", err)
	}
}

// TestSparsePathMatchesDense trains the same sparse-text model twice with
// plain SGD, one example per update: once through the sparse update path
// and once with the optimizer hidden behind a wrapper that only offers the
// dense Update. The weights must be bit-for-bit equal.
func TestSparsePathMatchesDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	x := sparse.New(300, true)
	y := make([]int32, 200)
	for i := range 200 {
		var idx []int32
		for f := range 300 {
			if rng.Float64() < 0.03 {
				idx = append(idx, int32(f))
			}
		}
		x.AppendRow(idx, nil)
		y[i] = int32(rng.IntN(2))
	}
	for _, name := range []string{gd.NameSGD, gd.NameAdagrad} {
		train := func(hide bool) []float64 {
			net, _ := mlp.New(mlp.Spec{Inputs: 300, Outputs: 1, Output: mlp.Sigmoid, Loss: mlp.BinaryCrossEntropy,
				Hidden: []mlp.LayerSpec{{Units: 4, Activation: mlp.ReLU}}}, rand.New(rand.NewPCG(1, 1)))
			o, _ := gd.NewOptimizer(gd.OptimizerConfig{Name: name, LearningRate: 0.05}, len(net.Params()))
			if hide {
				o = &countingOpt{Optimizer: o}
			}
			if _, err := gd.Train(context.Background(), &mlp.Objective{Net: net, X: x, Y: mlp.Targets{Class: y}}, o,
				gd.Config{Method: gd.Stochastic, Epochs: 2, Seed: 3}, gd.Callbacks{}); err != nil {
				t.Fatal(err)
			}
			return net.Params()
		}
		if a, b := train(false), train(true); !slices.Equal(a, b) {
			t.Errorf("%s: the sparse and dense update paths gave different weights", name)
		}
	}
}

// watched is scripted that also hears of every change to its parameter,
// and says (Support) that each gradient touches only it.
type watched struct {
	scripted
	heard [][][2]int
}

func (w *watched) ParamsChanged(spans [][2]int) { w.heard = append(w.heard, spans) }
func (w *watched) Support() [][2]int            { return [][2]int{{0, 1}} }

// TestParamsWatcherHearsEveryChange: an objective that keeps a copy of its
// parameters hears of every update (with the ranges a sparse update wrote,
// nil for a dense one) and of the restoring of the best weights.
func TestParamsWatcherHearsEveryChange(t *testing.T) {
	for _, name := range []string{gd.NameSGD, gd.NameRMSprop} {
		obj := &watched{scripted: scripted{p: []float64{0}}}
		opt, _ := gd.NewOptimizer(gd.OptimizerConfig{Name: name, LearningRate: 1, Rho: 0.9, Epsilon: 1e-7}, 1)
		valLoss := []float64{3, 1, 2}
		res, err := gd.Train(context.Background(), obj, opt, gd.Config{Method: gd.MiniBatch, BatchSize: 2, Epochs: 3,
			EarlyStopping: gd.EarlyStopping{Monitor: "val_loss", Patience: 5, RestoreBest: true}},
			gd.Callbacks{OnEpoch: func(st *gd.EpochStats) error { st.ValLoss = valLoss[st.Epoch-1]; return nil }})
		if err != nil || !res.Restored {
			t.Fatalf("%s: err %v, restored %v", name, err, res.Restored)
		}
		// 3 epochs of 2 updates, then the restore.
		if len(obj.heard) != 7 {
			t.Fatalf("%s: heard of %d changes, want 6 updates and 1 restore", name, len(obj.heard))
		}
		for i, spans := range obj.heard[:6] {
			sparse := name == gd.NameSGD // SGD takes the sparse path
			if sparse && !slices.Equal(spans, [][2]int{{0, 1}}) || !sparse && spans != nil {
				t.Errorf("%s: update %d reported %v", name, i+1, spans)
			}
		}
		if obj.heard[6] != nil {
			t.Errorf("%s: the restore reported %v, want nil (anything)", name, obj.heard[6])
		}
	}
}

// spanWatched is watched that can also hear of a sparse update span by
// span (gd.SpanWatcher), and says which rows a gradient reads
// (gd.LazyObjective), so that RMSprop takes its sparse path.
type spanWatched struct {
	watched
	spans [][2]int
}

func (w *spanWatched) SpanChanged(lo, hi int) { w.spans = append(w.spans, [2]int{lo, hi}) }
func (w *spanWatched) RowWidth() int          { return 1 }
func (w *spanWatched) Touches([]int) [][2]int { return [][2]int{{0, 1}} }

// TestSpanWatcherHearsEverySpan: RMSprop's sparse updates tell a
// SpanWatcher of each span they wrote themselves, instead of Train telling
// ParamsChanged; a rule that cannot (SGD) leaves it to Train; dense
// changes (the restore) still go to ParamsChanged.
func TestSpanWatcherHearsEverySpan(t *testing.T) {
	for _, name := range []string{gd.NameSGD, gd.NameRMSprop} {
		obj := &spanWatched{watched: watched{scripted: scripted{p: []float64{0}}}}
		opt, _ := gd.NewOptimizer(gd.OptimizerConfig{Name: name, LearningRate: 1, Rho: 0.9, Epsilon: 1e-7}, 1)
		valLoss := []float64{3, 1, 2}
		res, err := gd.Train(context.Background(), obj, opt, gd.Config{Method: gd.MiniBatch, BatchSize: 2, Epochs: 3,
			EarlyStopping: gd.EarlyStopping{Monitor: "val_loss", Patience: 5, RestoreBest: true}},
			gd.Callbacks{OnEpoch: func(st *gd.EpochStats) error { st.ValLoss = valLoss[st.Epoch-1]; return nil }})
		if err != nil || !res.Restored {
			t.Fatalf("%s: err %v, restored %v", name, err, res.Restored)
		}
		told, heard := 0, 6 // SGD: every update through ParamsChanged
		if name == gd.NameRMSprop {
			told, heard = 6, 0
		}
		if len(obj.spans) != told {
			t.Errorf("%s: SpanChanged heard %v, want %d spans", name, obj.spans, told)
		}
		for _, sp := range obj.spans {
			if sp != [2]int{0, 1} {
				t.Errorf("%s: SpanChanged heard %v, want [0 1]", name, sp)
			}
		}
		// Then the restore, always through ParamsChanged.
		if len(obj.heard) != heard+1 || obj.heard[heard] != nil {
			t.Errorf("%s: ParamsChanged heard %v, want %d updates and the restore (nil)", name, obj.heard, heard)
		}
	}
}

// TestFloat32CopyFollowsTraining: a network whose first layer runs in
// float32 reads a float32 copy of its weights; after training (sparse
// Adagrad updates, dense RMSprop ones, scoring in between, the best epoch
// restored) it predicts exactly as a network built afresh from its
// weights, whose copy cannot be stale.
func TestFloat32CopyFollowsTraining(t *testing.T) {
	x, y := separable(60)
	for _, name := range []string{gd.NameAdagrad, gd.NameRMSprop} {
		spec := mlp.Spec{Inputs: 2, Outputs: 1, Output: mlp.Sigmoid, Loss: mlp.BinaryCrossEntropy, Precision: mlp.Float32,
			Hidden: []mlp.LayerSpec{{Units: 8, Activation: mlp.ReLU}}}
		net, _ := mlp.New(spec, rand.New(rand.NewPCG(1, 1)))
		opt, _ := gd.NewOptimizer(gd.OptimizerConfig{Name: name, LearningRate: 0.05, Rho: 0.9, Epsilon: 1e-7, InitialAccumulator: 0.1}, len(net.Params()))
		rows := make([]int, x.Rows)
		for i := range rows {
			rows[i] = i
		}
		var ws mlp.Workspace
		valLoss := []float64{3, 1, 2, 2.5}
		res, err := gd.Train(context.Background(), &mlp.Objective{Net: net, X: x, Y: mlp.Targets{Class: y}}, opt,
			gd.Config{Method: gd.MiniBatch, BatchSize: 7, Epochs: 4, Seed: 2,
				EarlyStopping: gd.EarlyStopping{Monitor: "val_loss", Patience: 5, RestoreBest: true}},
			gd.Callbacks{OnEpoch: func(st *gd.EpochStats) error {
				// Scoring between epochs reads the copy: it must be current.
				fresh, _ := mlp.FromParams(spec, net.Params())
				var ws2 mlp.Workspace
				if got, want := net.Predict(x, rows, nil, &ws), fresh.Predict(x, rows, nil, &ws2); !slices.Equal(got, want) {
					t.Errorf("%s, epoch %d: the network predicts %v, one built from its weights %v: its float32 copy is stale", name, st.Epoch, got[:3], want[:3])
				}
				st.ValLoss = valLoss[st.Epoch-1]
				return nil
			}})
		if err != nil || !res.Restored {
			t.Fatalf("%s: err %v, restored %v", name, err, res.Restored)
		}
		fresh, err := mlp.FromParams(spec, net.Params())
		if err != nil {
			t.Fatal(err)
		}
		var ws2 mlp.Workspace
		if got, want := net.Predict(x, rows, nil, &ws), fresh.Predict(x, rows, nil, &ws2); !slices.Equal(got, want) {
			t.Errorf("%s: the trained network predicts %v, one built from its weights %v: its float32 copy is stale", name, got[:3], want[:3])
		}
	}
}

// sparseTexts draws n multi-hot rows over 300 features, about 9 words a
// row, labelled by the sign of a fixed score of their words: sparse data a
// linear model can separate.
func sparseTexts(n int, seed uint64) (*sparse.Matrix, []int32) {
	rng := rand.New(rand.NewPCG(seed, 4))
	x := sparse.New(300, true)
	y := make([]int32, n)
	for i := range n {
		var idx []int32
		score := 0.0
		for f := range 300 {
			// Zipf-like: low features are frequent, high ones rare, so
			// that rows are skipped for one step and for hundreds.
			if rng.Float64() < 0.3/float64(1+f/10) {
				idx = append(idx, int32(f))
				score += math.Sin(float64(f))
			}
		}
		x.AppendRow(idx, nil)
		if score > 0 {
			y[i] = 1
		}
	}
	return x, y
}

// TestLazyTrainingMatchesDense trains a sparse-text MLP (relu, dropout,
// mini-batches) with each rule that has an exact lazy form, once lazily
// and once with OptimizerConfig.Dense: the weights must agree within 1e-12
// (the catch-ups reorder a few roundings), Adam's within 1e-10 (its
// catch-up is exact but for a second-order term in ε: 2.8e-12 here).
// lazyadam is a rule of its own, held only to learning the data
// (TestLazyRulesLearn).
func TestLazyTrainingMatchesDense(t *testing.T) {
	x, y := sparseTexts(200, 1)
	for _, name := range []string{gd.NameRMSprop, gd.NameMomentum, gd.NameNesterov, gd.NameAdagrad, gd.NameSGD, gd.NameAdam} {
		train := func(dense bool) ([]float64, *gd.Result) {
			net, _ := mlp.New(mlp.Spec{Inputs: 300, Outputs: 1, Output: mlp.Sigmoid, Loss: mlp.BinaryCrossEntropy,
				Hidden: []mlp.LayerSpec{{Units: 6, Activation: mlp.ReLU, Dropout: 0.2}}}, rand.New(rand.NewPCG(1, 1)))
			o, _ := gd.NewOptimizer(gd.OptimizerConfig{Name: name, LearningRate: 0.01, Dense: dense}, len(net.Params()))
			obj := &mlp.Objective{Net: net, X: x, Y: mlp.Targets{Class: y}, Dropout: rand.New(rand.NewPCG(2, 2))}
			res, err := gd.Train(context.Background(), obj, o, gd.Config{Method: gd.MiniBatch, BatchSize: 8, Epochs: 3, Seed: 3}, gd.Callbacks{})
			if err != nil {
				t.Fatal(err)
			}
			return net.Params(), res
		}
		a, ra := train(true)
		b, rb := train(false)
		worst := 0.0
		for i := range a {
			if d := math.Abs(a[i] - b[i]); !(d <= worst) {
				worst = d // NaN too
			}
		}
		tol := 1e-12
		if name == gd.NameAdam {
			tol = 1e-10
		}
		if !(worst <= tol) {
			t.Errorf("%s: lazy and dense training differ by up to %.3g in a weight", name, worst)
		}
		if (name == gd.NameAdagrad || name == gd.NameSGD) && !slices.Equal(a, b) {
			t.Errorf("%s: lazy and dense weights are not bit for bit equal", name)
		}
		for e := range ra.History {
			if d := math.Abs(ra.History[e].Loss - rb.History[e].Loss); !(d <= tol) {
				t.Errorf("%s epoch %d: loss %v lazily, %v densely", name, e+1, rb.History[e].Loss, ra.History[e].Loss)
			}
		}
	}
}

// TestLazyRulesLearn: logistic regression on separable sparse data,
// trained by mini-batch gradient descent with every rule on the lazy
// path, classifies all its training rows right.
func TestLazyRulesLearn(t *testing.T) {
	x, y := sparseTexts(300, 2)
	for _, name := range gd.OptimizerNames {
		net, _ := mlp.New(mlp.Spec{Inputs: 300, Outputs: 1, Output: mlp.Sigmoid, Loss: mlp.BinaryCrossEntropy}, rand.New(rand.NewPCG(1, 1)))
		lr := 0.1
		if name == gd.NameSGD || name == gd.NameMomentum || name == gd.NameNesterov {
			lr = 1
		}
		o, _ := gd.NewOptimizer(gd.OptimizerConfig{Name: name, LearningRate: lr}, len(net.Params()))
		res, err := gd.Train(context.Background(), &mlp.Objective{Net: net, X: x, Y: mlp.Targets{Class: y}}, o,
			gd.Config{Method: gd.MiniBatch, BatchSize: 16, Epochs: 200, Seed: 1}, gd.Callbacks{})
		if err != nil {
			t.Fatal(err)
		}
		if acc := res.History[len(res.History)-1].Accuracy; acc < 1 {
			t.Errorf("%s: training accuracy %v after %d epochs, want 1", name, acc, len(res.History))
		}
	}
}

// TestLazyFloat32CopyFollows: with a float32 first layer, the rows that
// lazy momentum catches up before a gradient reads them, and the flush at
// the end of every epoch, reach the float32 copy: between epochs and
// after training the network predicts exactly as one built afresh from
// its weights, and its training follows the dense rule's (within what a
// float32 rounding of a weight that differs in its last float64 bits can
// change).
func TestLazyFloat32CopyFollows(t *testing.T) {
	x, y := sparseTexts(120, 3)
	spec := mlp.Spec{Inputs: 300, Outputs: 1, Output: mlp.Sigmoid, Loss: mlp.BinaryCrossEntropy, Precision: mlp.Float32,
		Hidden: []mlp.LayerSpec{{Units: 8, Activation: mlp.ReLU}}}
	rows := make([]int, x.Rows)
	for i := range rows {
		rows[i] = i
	}
	train := func(dense bool) []float64 {
		net, _ := mlp.New(spec, rand.New(rand.NewPCG(1, 1)))
		opt, _ := gd.NewOptimizer(gd.OptimizerConfig{Name: gd.NameMomentum, LearningRate: 0.05, Dense: dense}, len(net.Params()))
		check := func(when string) {
			fresh, _ := mlp.FromParams(spec, net.Params())
			var ws, ws2 mlp.Workspace
			if got, want := net.Predict(x, rows, nil, &ws), fresh.Predict(x, rows, nil, &ws2); !slices.Equal(got, want) {
				t.Errorf("dense=%v, %s: the network predicts %v, one built from its weights %v: its float32 copy is stale", dense, when, got[:3], want[:3])
			}
		}
		_, err := gd.Train(context.Background(), &mlp.Objective{Net: net, X: x, Y: mlp.Targets{Class: y}}, opt,
			gd.Config{Method: gd.MiniBatch, BatchSize: 5, Epochs: 3, Seed: 2},
			gd.Callbacks{OnEpoch: func(st *gd.EpochStats) error { check(fmt.Sprintf("epoch %d", st.Epoch)); return nil }})
		if err != nil {
			t.Fatal(err)
		}
		check("after training")
		return net.Params()
	}
	a, b := train(true), train(false)
	for i := range a {
		if d := math.Abs(a[i] - b[i]); !(d <= 1e-6) {
			t.Fatalf("weight %d: %v lazily, %v densely: the forward pass read stale float32 weights", i, b[i], a[i])
		}
	}
}
