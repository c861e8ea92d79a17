package gd

import (
	"math"
	"math/rand/v2"
	"testing"
)

// skipCase is the input of one comparison of a step entry by entry with
// the same step in a kernel: gradients of +0 (skipped), -0 (not skipped),
// tiny and huge values; parameters of -0; states (accumulators, moments)
// of -0 and NaN, which a skipped entry keeps as they are and which reach
// its parameter unless it is skipped.
type skipCase struct {
	grad, params []float64
	state        [2][]float64
}

func newSkipCase(rng *rand.Rand, n int) skipCase {
	c := skipCase{grad: make([]float64, n), params: make([]float64, n)}
	for i := range c.grad {
		switch rng.IntN(6) {
		case 0:
			c.grad[i] = 0
		case 1:
			c.grad[i] = math.Copysign(0, -1)
		case 2:
			c.grad[i] = rng.NormFloat64() * 1e-160
		case 3:
			c.grad[i] = rng.NormFloat64() * 1e150
		default:
			c.grad[i] = rng.NormFloat64()
		}
		c.params[i] = rng.NormFloat64()
		if rng.IntN(4) == 0 {
			c.params[i] = math.Copysign(0, -1)
		}
	}
	for k := range c.state {
		c.state[k] = make([]float64, n)
		for i := range c.state[k] {
			switch c.state[k][i] = rng.ExpFloat64(); rng.IntN(8) {
			case 0:
				c.state[k][i] = math.Copysign(0, -1)
			case 1:
				c.state[k][i] = math.NaN()
			}
		}
	}
	return c
}

// sameBits fails the test where any of got's slices differs in its bits
// from want's.
func sameBits(t *testing.T, what string, n int, grad []float64, want, got [][]float64) {
	t.Helper()
	for s := range want {
		for i := range want[s] {
			if math.Float64bits(want[s][i]) != math.Float64bits(got[s][i]) {
				t.Fatalf("%s, n %d, entry %d (gradient %v): slice %d is %v entry by entry and %v in the kernels", what, n, i, grad[i], s, want[s][i], got[s][i])
			}
		}
	}
}

// skipWays are the kernel switches each comparison runs: none, four at a
// time, eight (where the processor has AVX-512) then four.
func skipWays(have8 bool) [][2]bool {
	ways := [][2]bool{{false, false}, {true, false}}
	if have8 {
		ways = append(ways, [2]bool{true, true})
	}
	return ways
}

var skipLengths = []int{0, 1, 3, 4, 5, 8, 12, 15, 103, 1024}

// TestLazyAdam4Matches: LazyAdam's step gives the same bits four and
// eight entries at a time (where this processor can) as entry by entry,
// on the inputs of newSkipCase, for lengths with and without a remainder.
func TestLazyAdam4Matches(t *testing.T) {
	if !haveLazyAdam4 {
		t.Skip("no AVX2 here: the step runs entry by entry only")
	}
	defer func(was4, was8 bool) { haveLazyAdam4, haveLazyAdam8 = was4, was8 }(haveLazyAdam4, haveLazyAdam8)
	rng := rand.New(rand.NewPCG(7, 7))
	ways := skipWays(haveLazyAdam8)
	for _, n := range skipLengths {
		c := newSkipCase(rng, n)
		var want [][]float64
		for k, way := range ways {
			haveLazyAdam4, haveLazyAdam8 = way[0], way[1]
			o := &LazyAdam{Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7,
				m: append([]float64(nil), c.state[0]...), v: append([]float64(nil), c.state[1]...)}
			p := append([]float64(nil), c.params...)
			o.lazyChunk(&chunks{params: p, grad: c.grad, lr: 0.00063}, 0, n)
			if k == 0 {
				want = [][]float64{p, o.m, o.v}
				continue
			}
			sameBits(t, "lazyadam", n, c.grad, want, [][]float64{p, o.m, o.v})
		}
	}
}

// TestAdagrad4Matches: Adagrad's step gives the same bits four and eight
// entries at a time (where this processor can) as entry by entry, on the
// inputs of newSkipCase (gradients of +0, which are skipped, and -0,
// which are not; accumulators of -0 and NaN) with a run of +0 gradients
// long enough to skip whole vectors, for lengths with and without a
// remainder.
func TestAdagrad4Matches(t *testing.T) {
	if !haveAdagrad4 {
		t.Skip("no AVX2 here: the step runs entry by entry only")
	}
	defer func(was4, was8 bool) { haveAdagrad4, haveAdagrad8 = was4, was8 }(haveAdagrad4, haveAdagrad8)
	rng := rand.New(rand.NewPCG(9, 9))
	ways := skipWays(haveAdagrad8)
	for _, n := range skipLengths {
		c := newSkipCase(rng, n)
		if n > 24 {
			// A run of +0 gradients, which the kernels skip four and
			// eight at a time, and with them accumulators of NaN.
			for i := 4; i < 24; i++ {
				c.grad[i], c.state[0][i] = 0, math.NaN()
			}
		}
		var want [][]float64
		for k, way := range ways {
			haveAdagrad4, haveAdagrad8 = way[0], way[1]
			o := &Adagrad{Epsilon: 1e-7, acc: append([]float64(nil), c.state[0]...)}
			p := append([]float64(nil), c.params...)
			o.chunk(&chunks{params: p, grad: c.grad, lr: 0.03}, 0, n)
			if k == 0 {
				want = [][]float64{p, o.acc}
				continue
			}
			sameBits(t, "adagrad", n, c.grad, want, [][]float64{p, o.acc})
		}
	}
}
