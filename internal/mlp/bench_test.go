package mlp

import (
	"math/rand/v2"
	"testing"

	"github.com/dlc-dev/dlc/internal/data"
	"github.com/dlc-dev/dlc/internal/sparse"
	"github.com/dlc-dev/dlc/internal/testenv"
)

// mnistRows returns the first n training digits of MNIST as the notebook
// feeds them (pixels/255, zeros not stored) with their labels; it skips
// the benchmark when ../shared/datasets is missing.
func mnistRows(b testing.TB, n int) (*sparse.Matrix, []int32) {
	set, err := data.ReadImageSet(testenv.Dataset(b, "mnist/train-images-idx3-ubyte.gz"), testenv.Dataset(b, "mnist/train-labels-idx1-ubyte.gz"))
	if err != nil {
		b.Fatal(err)
	}
	x := sparse.New(784, false)
	var idx []int32
	var vals []float64
	y := make([]int32, n)
	for i := range n {
		idx, vals = idx[:0], vals[:0]
		for j, v := range set.Images.Image(i) {
			if v != 0 {
				idx = append(idx, int32(j))
				vals = append(vals, float64(v)/255)
			}
		}
		x.AppendRow(idx, vals)
		y[i] = int32(set.Labels[i])
	}
	return x, y
}

// multiHotRows is a multi-hot matrix shaped like the IMDB notebook's:
// 10,000 features, about 130 distinct words per review, frequent words
// frequent.
func multiHotRows(n int) (*sparse.Matrix, []int32) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := sparse.New(10000, true)
	y := make([]int32, n)
	seen := make([]bool, 10000)
	for i := range n {
		var idx []int32
		for range 130 {
			seen[int(10000*rng.Float64()*rng.Float64())] = true
		}
		for f, s := range seen {
			if s {
				idx = append(idx, int32(f))
				seen[f] = false
			}
		}
		x.AppendRow(idx, nil)
		y[i] = int32(rng.IntN(2))
	}
	return x, y
}

// BenchmarkGradient is one training step's forward and backward pass of
// the two notebooks: MNIST (in float64, and as its config has it with
// the first layer in float32; a batch of 128 digits, 784 → 512 relu → 10
// softmax, 407,050 parameters) and IMDB (a batch of 512 reviews,
// 10000 → 16 relu → 16 relu → 1 sigmoid, 160,305 parameters).
func BenchmarkGradient(b *testing.B) {
	b.Run("mnist", func(b *testing.B) {
		x, y := mnistRows(b, 1024)
		net, _ := New(Spec{Inputs: 784, Hidden: []LayerSpec{{Units: 512, Activation: ReLU}}, Outputs: 10, Output: Softmax, Loss: CategoricalCrossEntropy}, rand.New(rand.NewPCG(1, 1)))
		benchGradient(b, net, x, y, 128)
	})
	b.Run("mnist32", func(b *testing.B) { // the notebook's config: model.precision float32
		x, y := mnistRows(b, 1024)
		net, _ := New(Spec{Inputs: 784, Hidden: []LayerSpec{{Units: 512, Activation: ReLU}}, Outputs: 10, Output: Softmax, Loss: CategoricalCrossEntropy, Precision: Float32}, rand.New(rand.NewPCG(1, 1)))
		benchGradient(b, net, x, y, 128)
	})
	b.Run("imdb", func(b *testing.B) {
		x, y := multiHotRows(2048)
		net, _ := New(Spec{Inputs: 10000, Hidden: []LayerSpec{{Units: 16, Activation: ReLU}, {Units: 16, Activation: ReLU}}, Outputs: 1, Output: Sigmoid, Loss: BinaryCrossEntropy}, rand.New(rand.NewPCG(1, 1)))
		benchGradient(b, net, x, y, 512)
	})
}

func benchGradient(b *testing.B, net *Network, x *sparse.Matrix, y []int32, batch int) {
	obj := &Objective{Net: net, X: x, Y: Targets{Class: y}}
	grad := make([]float64, len(net.Params()))
	rows := make([]int, batch)
	b.ReportAllocs()
	lo := 0
	for b.Loop() {
		for i := range rows {
			rows[i] = (lo + i) % x.Rows
		}
		lo += batch
		obj.Gradient(rows, grad)
	}
}
