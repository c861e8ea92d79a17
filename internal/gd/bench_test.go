package gd_test

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/dlc-dev/dlc/internal/gd"
	"github.com/dlc-dev/dlc/internal/mlp"
	"github.com/dlc-dev/dlc/internal/sparse"
)

// imdbLike is a multi-hot matrix shaped like the IMDB notebook's: 10,000
// features, about 130 distinct words per review.
func imdbLike(rows int) (*sparse.Matrix, []int32) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := sparse.New(10000, true)
	y := make([]int32, rows)
	for i := range rows {
		seen := map[int32]bool{}
		for range 130 {
			// Zipf-like: frequent words are frequent.
			f := int32(float64(10000) * rng.Float64() * rng.Float64())
			seen[f] = true
		}
		var idx []int32
		for f := range int32(10000) {
			if seen[f] {
				idx = append(idx, f)
			}
		}
		x.AppendRow(idx, nil)
		y[i] = int32(rng.IntN(2))
	}
	return x, y
}

// denseOnly hides UpdateSpans, forcing the dense update of every parameter.
type denseOnly struct{ gd.Optimizer }

// BenchmarkSGDEpoch is one epoch of one-example SGD on 2,000 IMDB-like
// reviews with the notebook's 10000 → 16 → 16 → 1 network: through the
// sparse update path (only the rows of the review's words move) and
// through the dense one (all 160,305 parameters every update); the
// results are bit-for-bit the same (TestSparsePathMatchesDense).
func BenchmarkSGDEpoch(b *testing.B) {
	x, y := imdbLike(2000)
	for _, path := range []string{"sparse", "dense"} {
		b.Run(path, func(b *testing.B) {
			net, _ := mlp.New(mlp.Spec{Inputs: 10000, Outputs: 1, Output: mlp.Sigmoid, Loss: mlp.BinaryCrossEntropy,
				Hidden: []mlp.LayerSpec{{Units: 16, Activation: mlp.ReLU}, {Units: 16, Activation: mlp.ReLU}}}, rand.New(rand.NewPCG(1, 1)))
			obj := &mlp.Objective{Net: net, X: x, Y: mlp.Targets{Class: y}}
			opt, _ := gd.NewOptimizer(gd.OptimizerConfig{Name: gd.NameSGD, LearningRate: 0.01}, len(net.Params()))
			if path == "dense" {
				opt = denseOnly{opt}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := gd.Train(context.Background(), obj, opt, gd.Config{Method: gd.Stochastic, Epochs: 1, Seed: 1}, gd.Callbacks{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/2000, "ns/update")
		})
	}
}

// BenchmarkUpdate is one update of each rule over the parameters of the
// IMDB notebook's network (160,305) and the MNIST notebook's (407,050): it
// must allocate nothing.
func BenchmarkUpdate(b *testing.B) {
	for _, size := range []struct {
		name string
		n    int
	}{{"imdb", 160305}, {"mnist", 407050}} {
		g := make([]float64, size.n)
		for i := range g {
			g[i] = float64(i%7) - 3
		}
		for _, name := range gd.OptimizerNames {
			b.Run(size.name+"/"+name, func(b *testing.B) {
				p := make([]float64, size.n)
				opt, _ := gd.NewOptimizer(gd.OptimizerConfig{Name: name, LearningRate: 1e-6}, size.n)
				b.ReportAllocs()
				for b.Loop() {
					opt.Update(p, g)
				}
			})
			if s, ok := opt0(name, size.n).(gd.SparseOptimizer); ok {
				// The step as sparse training takes it (MNIST: every row
				// a batch touches), over all the parameters.
				b.Run(size.name+"/"+name+"/lazy", func(b *testing.B) {
					p := make([]float64, size.n)
					spans := [][2]int{{0, size.n}}
					b.ReportAllocs()
					for b.Loop() {
						s.UpdateSpans(p, g, spans)
					}
				})
			}
		}
	}
}

// opt0 is the update rule name for n parameters, with a small step.
func opt0(name string, n int) gd.Optimizer {
	opt, _ := gd.NewOptimizer(gd.OptimizerConfig{Name: name, LearningRate: 1e-6}, n)
	return opt
}

// bigVocab is a tf-idf-like matrix shaped like the IMDB words-and-pairs
// recipe's, scaled down: 100,000 features, Zipf-like, about 200 distinct
// features per row, values 1/√200.
func bigVocab(rows int) (*sparse.Matrix, []int32) {
	rng := rand.New(rand.NewPCG(3, 4))
	const features = 100000
	x := sparse.New(features, false)
	y := make([]int32, rows)
	for i := range rows {
		seen := map[int32]bool{}
		for range 200 {
			seen[int32(features*rng.Float64()*rng.Float64()*rng.Float64())] = true
		}
		var idx []int32
		for f := range seen {
			idx = append(idx, f)
		}
		slices.Sort(idx)
		vals := make([]float64, len(idx))
		for k := range vals {
			vals[k] = 1 / math.Sqrt(float64(len(idx)))
		}
		x.AppendRow(idx, vals)
		y[i] = int32(rng.IntN(2))
	}
	return x, y
}

// BenchmarkLazyEpoch is one epoch of mini-batches of 32 over 2,000 rows of
// a 100,000-feature vocabulary into 32 relu units and a hinge output, for
// every rule, on the lazy path (each step updates the rows of its batch's
// features) and the dense one (all 3.2 million weights every step). The
// lazy rules must allocate nothing per step either.
func BenchmarkLazyEpoch(b *testing.B) {
	x, y := bigVocab(2000)
	for _, name := range gd.OptimizerNames {
		for _, dense := range []bool{false, true} {
			path := "lazy"
			if dense {
				path = "dense"
			}
			b.Run(name+"/"+path, func(b *testing.B) {
				net, _ := mlp.New(mlp.Spec{Inputs: x.Cols, Outputs: 1, Output: mlp.Linear, Loss: mlp.Hinge,
					Hidden: []mlp.LayerSpec{{Units: 32, Activation: mlp.ReLU}}}, rand.New(rand.NewPCG(1, 1)))
				obj := &mlp.Objective{Net: net, X: x, Y: mlp.Targets{Class: y}}
				opt, _ := gd.NewOptimizer(gd.OptimizerConfig{Name: name, LearningRate: 1e-3, Dense: dense}, len(net.Params()))
				c := gd.Config{Method: gd.MiniBatch, BatchSize: 32, Epochs: 1, Seed: 1}
				if _, err := gd.Train(context.Background(), obj, opt, c, gd.Callbacks{}); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					if _, err := gd.Train(context.Background(), obj, opt, c, gd.Callbacks{}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
