package mlp

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/floats"

	"github.com/dlc-dev/dlc/internal/sparse"
)

// TestDotMatchesGonum: the short dot product sums in the order of gonum's
// assembly, so that a model trained before and after the switch is the
// same to the bit.
func TestDotMatchesGonum(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	for n := range 40 {
		for range 50 {
			x, y := make([]float64, n), make([]float64, n)
			for i := range x {
				x[i], y[i] = rng.NormFloat64()*1e3, rng.NormFloat64()*1e-3
			}
			if got, want := dot(x, y), floats.Dot(x, y); got != want {
				t.Fatalf("n=%d: dot %v, gonum %v", n, got, want)
			}
		}
	}
}

// TestShortKernelsMatchAxpy: the stack-summed short rows of gemmNN and
// gemmTNRows, and the register-summed wide ones (accumNonZero), add the
// same terms in the same order as the axpy loops.
func TestShortKernelsMatchAxpy(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	const m, k = 7, 9
	for _, n := range []int{1, 3, 10, 16, 20, 40, 52, 70} {
		a, b := make([]float64, m*k), make([]float64, k*n)
		for i := range a {
			if rng.Float64() < 0.7 {
				a[i] = rng.NormFloat64()
			}
		}
		for i := range b {
			b[i] = rng.NormFloat64()
		}
		c := make([]float64, m*n)
		want := make([]float64, m*n)
		for i := range c {
			c[i] = rng.NormFloat64()
		}
		copy(want, c)
		gemmNN(m, n, k, a, b, c)
		for i := range m {
			for l := range k {
				if v := a[i*k+l]; v != 0 {
					for j := range n {
						want[i*n+j] += float64(v * b[l*n+j])
					}
				}
			}
		}
		if !floats.Equal(c, want) {
			t.Errorf("gemmNN n=%d: %v, want %v", n, c, want)
		}
		// aᵀ·d for a m×k and d m×n.
		d := make([]float64, m*n)
		for i := range d {
			d[i] = rng.NormFloat64()
		}
		g, wantG := make([]float64, k*n), make([]float64, k*n)
		gemmTNRows(0, k, m, n, k, a, d, g)
		for r := range m {
			for i := range k {
				if v := a[r*k+i]; v != 0 {
					for j := range n {
						wantG[i*n+j] += float64(v * d[r*n+j])
					}
				}
			}
		}
		if !floats.Equal(g, wantG) {
			t.Errorf("gemmTNRows n=%d: %v, want %v", n, g, wantG)
		}
	}
}

// TestScatterFeaturesMatchesRows: the first layer's weight gradient
// computed feature by feature, in any split of the features, has the very
// bits of the row-by-row pass (signed zeros included), for valued and
// multi-hot batches, with repeated rows and rows without entries, for
// rows narrower than the register kernels' blocks (accumRows) and rows
// of whole blocks with and without columns past them.
func TestScatterFeaturesMatchesRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	const inputs = 500
	for _, c := range []struct {
		width  int
		binary bool
	}{{24, false}, {24, true}, {136, false}, {136, true}, {256, false}, {256, true}} {
		scatterMatchesRows(t, rng, inputs, c.width, c.binary)
	}
}

// scatterMatchesRows is one case of TestScatterFeaturesMatchesRows.
func scatterMatchesRows(t *testing.T, rng *rand.Rand, inputs, width int, binary bool) {
	t.Helper()
	x := randomRows(rng, 60, inputs, binary)
	x.AppendRow(nil, valuesOrNil(binary))
	rows := []int{3, 60, 7, 3, 59, 0, 12, 12, 41}
	d := make([]float64, len(rows)*width)
	for i := range d {
		switch rng.IntN(4) {
		case 0:
			d[i] = 0
		case 1:
			d[i] = math.Copysign(0, -1)
		default:
			d[i] = rng.NormFloat64()
		}
	}
	want := make([]float64, inputs*width)
	scatterRows(want, width, x, rows, d, nil)
	var c batchColumns
	for _, blocks := range []int{1, 2, 5} {
		c.build(x, rows, inputs)
		got := make([]float64, inputs*width)
		for b := range blocks {
			scatterFeatures(got, width, &c, b*len(c.feats)/blocks, (b+1)*len(c.feats)/blocks, d, nil)
		}
		for i := range want {
			if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
				t.Fatalf("width %d, binary %v, %d blocks: entry %d is %v by feature, %v by row", width, binary, blocks, i, got[i], want[i])
			}
		}
	}
}

// TestScatterFeatures32MatchesSaxpy: the float32 first layer's weight
// gradient by feature (its values converted to float32 as the batch is
// regrouped, val32; all 1 for a multi-hot batch) gives the bits of a
// Saxpy per entry in batch order, widened to float64, also for features
// in more rows than one termChunk, split into blocks of features or not.
func TestScatterFeatures32MatchesSaxpy(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	const inputs, width = 300, 136
	for _, binary := range []bool{false, true} {
		x := randomRows(rng, 60, inputs, binary)
		rows := make([]int, 400) // repeated rows: features in more than termChunk of them
		for i := range rows {
			rows[i] = rng.IntN(x.Rows)
		}
		d := make([]float32, len(rows)*width)
		for i := range d {
			d[i] = float32(rng.NormFloat64())
		}
		want32 := make([]float32, inputs*width)
		for r, row := range rows {
			idx, vals := x.Row(row)
			for k, f := range idx {
				a := float32(1)
				if vals != nil {
					a = float32(vals[k])
				}
				sblas.Saxpy(width, a, d[r*width:(r+1)*width], 1, want32[int(f)*width:int(f+1)*width], 1)
			}
		}
		c := batchColumns{f32: true}
		c.build(x, rows, inputs)
		for _, blocks := range []int{1, 3} {
			got := make([]float64, inputs*width)
			acc := make([]float32, width)
			for b := range blocks {
				scatterFeatures32(got, width, &c, b*len(c.feats)/blocks, (b+1)*len(c.feats)/blocks, d, acc)
			}
			for i, w := range want32 {
				if math.Float64bits(got[i]) != math.Float64bits(float64(w)) {
					t.Fatalf("binary %v, %d blocks: entry %d is %v by feature, %v by Saxpy", binary, blocks, i, got[i], w)
				}
			}
		}
	}
}

func valuesOrNil(binary bool) []float64 {
	if binary {
		return nil
	}
	return []float64{}
}

// TestAccumRows32MatchesSaxpy: the float32 first layer's kernel gives the
// bits of a gonum Saxpy per term, term by term in order, for widths with
// and without a remainder past the 64-column blocks, rows of up to 600
// terms (more than one chunk of termChunk for scatterFeatures32), an
// empty row and a repeated one, with accum64 (where this processor can
// run it), accum128 (where it has AVX-512) and without.
func TestAccumRows32MatchesSaxpy(t *testing.T) {
	type path struct{ avx, avx512 bool }
	paths := []path{{}}
	if haveAccum64 {
		paths = append(paths, path{true, false})
	}
	if haveAccum128 {
		paths = append(paths, path{true, true})
	}
	defer func(was, was512 bool) { haveAccum64, haveAccum128 = was, was512 }(haveAccum64, haveAccum128)
	rng := rand.New(rand.NewPCG(32, 32))
	const inputs = 50
	for _, width := range []int{1, 8, 63, 64, 100, 128, 200, 512, 520, 704} {
		m := make([]float32, inputs*width)
		for i := range m {
			m[i] = float32(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(7)-3)))
		}
		x := sparse.New(inputs, false)
		for _, terms := range []int{0, 1, 7, 150, 600} {
			idx := make([]int32, terms)
			vals := make([]float64, terms)
			for k := range idx {
				idx[k] = int32(rng.IntN(inputs)) // repeated features too: the kernel does not care
				vals[k] = rng.NormFloat64()
			}
			x.Indices = append(x.Indices, idx...)
			x.Values = append(x.Values, vals...)
			x.Indptr = append(x.Indptr, len(x.Indices))
			x.Rows++
		}
		rows := []int{3, 0, 4, 1, 3, 2}
		z := make([]float32, len(rows)*width)
		for i := range z {
			z[i] = float32(rng.NormFloat64())
		}
		want := append([]float32(nil), z...)
		for r, row := range rows {
			idx, vals := x.Row(row)
			for k, f := range idx {
				sblas.Saxpy(width, float32(vals[k]), m[int(f)*width:int(f+1)*width], 1, want[r*width:(r+1)*width], 1)
			}
		}
		for _, p := range paths {
			haveAccum64, haveAccum128 = p.avx, p.avx512
			got := append([]float32(nil), z...)
			sparseAccumulateRows32(got, m, width, x, rows, make([]float32, len(x.Indices)*2))
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("width %d (%+v), row %d, column %d: %v, Saxpy %v", width, p, rows[i/width], i%width, got[i], want[i])
				}
			}
			// The weight gradient's kernel, one row's terms.
			idx, vals := x.Row(4)
			a := make([]float32, len(idx))
			for k, v := range vals {
				a[k] = float32(v)
			}
			got = append(got[:0], z[:width]...)
			accumRows32(got, m, width, idx, a)
			wantRow := append([]float32(nil), z[:width]...)
			for k, f := range idx {
				sblas.Saxpy(width, a[k], m[int(f)*width:int(f+1)*width], 1, wantRow, 1)
			}
			for i := range wantRow {
				if math.Float32bits(got[i]) != math.Float32bits(wantRow[i]) {
					t.Fatalf("accumRows32 width %d (%+v), column %d: %v, Saxpy %v", width, p, i, got[i], wantRow[i])
				}
			}
		}
	}
}

// shortValue draws a test factor: often ±0 (what ReLU and a zeroed delta
// give, and what the AVX kernels must skip or keep as Go does), else of
// any magnitude from 1e-300 to 1e3.
func shortValue(rng *rand.Rand) float64 {
	switch rng.IntN(5) {
	case 0:
		return 0
	case 1:
		return math.Copysign(0, -1)
	}
	return rng.NormFloat64() * math.Pow(10, float64(rng.IntN(9)-6)) * (1 + float64(rng.IntN(2))*1e-294)
}

func sameBits(x, y []float64) int {
	for i := range x {
		if math.Float64bits(x[i]) != math.Float64bits(y[i]) {
			return i
		}
	}
	return -1
}

// TestShortAVXMatchesGo: the AVX kernels of the output layer (axpy2x12 in
// gemmNN and gemmTNRows, dotCols8 in gemmNT, reluBackprop4) give the very
// bits of the Go loops (signed zeros included: a ±0 factor is skipped,
// not added, and a -0 sum stays -0), for every row width up to 16, odd
// and even numbers of rows, and widths of c with and without a remainder
// past the 8 columns dotCols8 takes at a time.
func TestShortAVXMatchesGo(t *testing.T) {
	if !haveShortAVX {
		t.Skip("this processor has no AVX: only the Go loops run")
	}
	defer func(was bool) { haveShortAVX = was }(haveShortAVX)
	rng := rand.New(rand.NewPCG(12, 12))
	fill := func(n int) []float64 {
		x := make([]float64, n)
		for i := range x {
			x[i] = shortValue(rng)
		}
		return x
	}
	both := func(f func() []float64) (avx, plain []float64) {
		haveShortAVX = true
		avx = f()
		haveShortAVX = false
		plain = f()
		return avx, plain
	}
	for n := 1; n <= 16; n++ {
		for _, m := range []int{1, 2, 3, 7, 16} {
			for _, k := range []int{1, 2, 5, 10, 33} {
				a, b, c0 := fill(m*k), fill(k*n), fill(m*n)
				avx, plain := both(func() []float64 {
					c := append([]float64(nil), c0...)
					gemmNN(m, n, k, a, b, c)
					return c
				})
				if i := sameBits(avx, plain); i >= 0 {
					t.Fatalf("gemmNN m=%d n=%d k=%d: element %d is %v in AVX, %v in Go", m, n, k, i, avx[i], plain[i])
				}
				d, g0 := fill(m*n), fill(k*n)
				for _, span := range [][2]int{{0, k}, {1, k}, {0, k - 1}, {k / 2, k}} {
					if span[0] >= span[1] {
						continue
					}
					avx, plain = both(func() []float64 {
						g := append([]float64(nil), g0...) // rows outside the span stay as they are
						gemmTNRows(span[0], span[1], m, n, k, a, d, g)
						return g
					})
					if i := sameBits(avx, plain); i >= 0 {
						t.Fatalf("gemmTNRows %v m=%d n=%d k=%d: element %d is %v in AVX, %v in Go", span, m, n, k, i, avx[i], plain[i])
					}
				}
			}
		}
	}
	for _, n := range []int{1, 7, 8, 9, 16, 23, 40, 512} {
		for _, m := range []int{1, 3, 16} {
			for _, k := range []int{1, 2, 3, 4, 5, 9, 10, 13, 32, 52} {
				a, b := fill(m*k), fill(n*k)
				bT := make([]float64, k*n)
				for j := range n {
					for o := range k {
						bT[o*n+j] = b[j*k+o]
					}
				}
				avx, plain := both(func() []float64 {
					c := fill(m * n)
					gemmNT(m, n, k, a, b, bT, c)
					return c
				})
				if i := sameBits(avx, plain); i >= 0 {
					t.Fatalf("gemmNT m=%d n=%d k=%d: element %d is %v in AVX, %v in Go", m, n, k, i, avx[i], plain[i])
				}
			}
		}
	}
	for _, n := range []int{0, 1, 3, 4, 5, 8, 31, 512} {
		z, d0 := fill(n), fill(n)
		for i := range z {
			if rng.IntN(8) == 0 {
				z[i] = math.NaN()
			}
		}
		avx, plain := both(func() []float64 {
			d := append([]float64(nil), d0...)
			ReLU.backprop(d, z, nil, n)
			return d
		})
		if i := sameBits(avx, plain); i >= 0 {
			t.Fatalf("ReLU backprop n=%d: element %d is %v in AVX, %v in Go", n, i, avx[i], plain[i])
		}
	}
}

// TestNarrowMatchesConversion: the float32 copy of the first layer's
// weights has the bits of Go's float32 conversion, with AVX or without:
// halfway cases, values that round to ±Inf or to subnormals, ±0, NaN.
func TestNarrowMatchesConversion(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	src := []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(), 1e39, -1e39, 1e-46, -1e-46, 3e-39,
		1 + 0x1p-24, 1 + 0x1p-24 + 0x1p-52, 1 + 3*0x1p-24, math.MaxFloat32, math.SmallestNonzeroFloat32 / 2}
	for range 1000 {
		src = append(src, rng.NormFloat64()*math.Pow(2, float64(rng.IntN(300)-150)))
	}
	defer func(was bool) { haveShortAVX = was }(haveShortAVX)
	for _, avx := range []bool{false, haveShortAVX} {
		haveShortAVX = avx
		for _, n := range []int{0, 3, 4, 7, len(src)} {
			dst := make([]float32, n)
			narrow(dst, src[:n])
			for i, v := range src[:n] {
				if want := float32(v); math.Float32bits(dst[i]) != math.Float32bits(want) && !(v != v && dst[i] != dst[i]) {
					t.Fatalf("AVX %v: float32(%v) is %v, want %v", avx, v, dst[i], want)
				}
			}
		}
	}
}

// TestWidenMatchesConversion: the float32 first layer's sums go to
// float64 (the weight gradient's rows; with the bias added, the forward
// sums) with the bits of Go's conversion and addition, with AVX or
// without: ±0 (-0 + +0 is +0), ±Inf, NaN, subnormals, sums that round.
func TestWidenMatchesConversion(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	src := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()),
		math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32, 1, -1, 3e-39}
	for range 1000 {
		src = append(src, float32(rng.NormFloat64()*math.Pow(2, float64(rng.IntN(200)-100))))
	}
	b := make([]float64, len(src))
	for i := range b {
		b[i] = rng.NormFloat64() * math.Pow(2, float64(rng.IntN(200)-100))
	}
	b[0], b[1], b[2], b[3] = 0, 0, math.Inf(-1), 1
	same := func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) || (x != x && y != y) }
	defer func(was bool) { haveShortAVX = was }(haveShortAVX)
	for _, avx := range []bool{false, haveShortAVX} {
		haveShortAVX = avx
		for _, n := range []int{0, 3, 4, 7, 8, 13, len(src)} {
			dst := make([]float64, n+1)
			dst[n] = 42 // past the end: left alone
			widen(dst, src[:n])
			for i, v := range src[:n] {
				if want := float64(v); !same(dst[i], want) {
					t.Fatalf("AVX %v n=%d: float64(%v) is %v, want %v", avx, n, v, dst[i], want)
				}
			}
			widenAdd(dst, b, src[:n])
			for i, v := range src[:n] {
				if want := b[i] + float64(v); !same(dst[i], want) {
					t.Fatalf("AVX %v n=%d: %v + float64(%v) is %v, want %v", avx, n, b[i], v, dst[i], want)
				}
			}
			if dst[n] != 42 {
				t.Fatalf("AVX %v n=%d: the element past the end was written (%v)", avx, n, dst[n])
			}
		}
	}
}

// TestAccumRowsMatchesAxpy: the register kernels of accumRows (where this
// processor has them) give the bits of one gonum axpy per term in order,
// onto sums that are not zero to start with, for factors of every size,
// zero and -0, widths with and without columns past the blocks, and
// multi-hot terms (accumOnes) longer than one termChunk; and
// sparseAccumulate, which goes through them for rows of 32 or more
// columns, gives the bits of its axpy loop.
func TestAccumRowsMatchesAxpy(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 10))
	const inputs = 300
	for _, width := range []int{8, 15, 16, 17, 24, 31, 32, 40, 48, 64, 96, 112, 136, 256} {
		m := make([]float64, inputs*width)
		for i := range m {
			m[i] = anyMagnitude(rng)
			if rng.IntN(10) == 0 {
				m[i] = math.Copysign(0, -1)
			}
		}
		for _, terms := range []int{0, 1, 7, termChunk + 3} {
			rows := make([]int32, terms)
			alphas := make([]float64, terms)
			ones := make([]float64, terms)
			for k := range rows {
				rows[k] = int32(rng.IntN(inputs))
				ones[k] = 1
				switch rng.IntN(5) {
				case 0:
					alphas[k] = 0
				case 1:
					alphas[k] = math.Copysign(0, -1)
				default:
					alphas[k] = anyMagnitude(rng)
				}
			}
			for _, binary := range []bool{false, true} {
				a := alphas
				if binary {
					a = ones
				}
				z0 := make([]float64, width)
				for i := range z0 {
					z0[i] = rng.NormFloat64()
				}
				want := append([]float64(nil), z0...)
				for k, r := range rows {
					floats.AddScaled(want, a[k], m[int(r)*width:int(r+1)*width])
				}
				got := append([]float64(nil), z0...)
				if binary {
					accumOnes(got, m, width, rows)
				} else {
					accumRows(got, m, width, rows, a)
				}
				sameFloats(t, "accumRows", width, terms, binary, got, want)
				got = append(got[:0], z0...)
				var vals []float64
				if !binary {
					vals = a
				}
				sparseAccumulate(got, m, width, rows, vals)
				sameFloats(t, "sparseAccumulate", width, terms, binary, got, want)
			}
		}
	}
}

func sameFloats(t *testing.T, what string, width, terms int, binary bool, got, want []float64) {
	t.Helper()
	for i := range want {
		if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
			t.Fatalf("%s, width %d, %d terms, binary %v: column %d is %v, one axpy a term gives %v", what, width, terms, binary, i, got[i], want[i])
		}
	}
}

// TestScatterOnesMatchesAdd: a multi-hot row's delta added to the
// gradient rows of its features has the bits of floats.Add per feature,
// in order (signed zeros and repeated features included), for rows
// narrower than the register kernel's block of 16, of whole blocks, and
// of blocks with columns past them.
func TestScatterOnesMatchesAdd(t *testing.T) {
	paths := d32Paths(t)
	rng := rand.New(rand.NewPCG(11, 11))
	const inputs = 200
	for _, width := range []int{8, 15, 16, 17, 24, 32, 40, 64} {
		for _, terms := range []int{0, 1, 7, 300} {
			rows := make([]int32, terms)
			for k := range rows {
				rows[k] = int32(rng.IntN(inputs)) // repeated features too
			}
			d := make([]float64, width)
			for i := range d {
				switch rng.IntN(4) {
				case 0:
					d[i] = math.Copysign(0, -1)
				default:
					d[i] = anyMagnitude(rng)
				}
			}
			m0 := make([]float64, inputs*width)
			for i := range m0 {
				if rng.IntN(5) > 0 {
					m0[i] = anyMagnitude(rng)
				}
			}
			want := append([]float64(nil), m0...)
			for _, r := range rows {
				floats.Add(want[int(r)*width:int(r+1)*width], d)
			}
			for _, avx := range paths {
				haveAccumD32 = avx
				got := append([]float64(nil), m0...)
				scatterOnes(got, width, rows, d)
				sameFloats(t, fmt.Sprintf("scatterOnes (avx %v)", avx), width, terms, true, got, want)
			}
		}
	}
}

// TestSetRowsMatchesClearedAxpy: setRows leaves in a row that held
// anything (NaN included) the bits of one gonum axpy per term onto a
// cleared row, in order, for the register kernels (where the processor
// has them) and without them, widths with and without columns past the
// blocks, and no terms at all (a cleared row).
func TestSetRowsMatchesClearedAxpy(t *testing.T) {
	paths := d32Paths(t)
	rng := rand.New(rand.NewPCG(12, 12))
	const inputs = 300
	for _, width := range []int{8, 16, 17, 32, 40, 64, 136, 256} {
		m := make([]float64, inputs*width)
		for i := range m {
			m[i] = anyMagnitude(rng)
			if rng.IntN(10) == 0 {
				m[i] = math.Copysign(0, -1)
			}
		}
		for _, terms := range []int{0, 1, 7, 300} {
			rows := make([]int32, terms)
			alphas := make([]float64, terms)
			for k := range rows {
				rows[k] = int32(rng.IntN(inputs))
				switch rng.IntN(5) {
				case 0:
					alphas[k] = 0
				case 1:
					alphas[k] = math.Copysign(0, -1)
				default:
					alphas[k] = rng.NormFloat64()
				}
			}
			want := make([]float64, width)
			for k, r := range rows {
				floats.AddScaled(want, alphas[k], m[int(r)*width:int(r+1)*width])
			}
			for _, avx := range paths {
				haveAccumD32 = avx
				got := make([]float64, width)
				for i := range got {
					got[i] = math.NaN()
				}
				setRows(got, m, width, rows, alphas)
				sameFloats(t, fmt.Sprintf("setRows (avx %v)", avx), width, terms, false, got, want)
			}
		}
	}
}

// TestScatterScaledMatchesAxpy: a valued row's delta, scaled by each of
// its features' values, added to the gradient rows of those features has
// the bits of one gonum axpy per feature, in order (factors of 0 and -0,
// signed zeros in the delta, repeated features included), for rows
// narrower than the register kernels' block of 16, of whole blocks of 32
// and 16, and of blocks with columns past them.
func TestScatterScaledMatchesAxpy(t *testing.T) {
	paths := d32Paths(t)
	rng := rand.New(rand.NewPCG(13, 13))
	const inputs = 200
	for _, width := range []int{8, 15, 16, 17, 24, 32, 40, 48, 64, 72} {
		for _, terms := range []int{0, 1, 7, 300} {
			rows := make([]int32, terms)
			alphas := make([]float64, terms)
			for k := range rows {
				rows[k] = int32(rng.IntN(inputs)) // repeated features too
				switch rng.IntN(5) {
				case 0:
					alphas[k] = 0
				case 1:
					alphas[k] = math.Copysign(0, -1)
				default:
					alphas[k] = anyMagnitude(rng)
				}
			}
			d := make([]float64, width)
			for i := range d {
				switch rng.IntN(4) {
				case 0:
					d[i] = math.Copysign(0, -1)
				default:
					d[i] = anyMagnitude(rng)
				}
			}
			m0 := make([]float64, inputs*width)
			for i := range m0 {
				if rng.IntN(5) > 0 {
					m0[i] = anyMagnitude(rng)
				}
			}
			want := append([]float64(nil), m0...)
			for k, r := range rows {
				floats.AddScaled(want[int(r)*width:int(r+1)*width], alphas[k], d)
			}
			for _, avx := range paths {
				haveAccumD32 = avx
				got := append([]float64(nil), m0...)
				scatterScaled(got, width, rows, alphas, d)
				sameFloats(t, fmt.Sprintf("scatterScaled (avx %v)", avx), width, terms, false, got, want)
			}
		}
	}
}

// TestQuietRowsLeftOut: leaving out the batch rows whose deltas are all
// ±0 (quiet) gives the first layer's weight gradient the very bits of
// adding their terms, by row and by feature, valued and multi-hot, for
// widths through the register kernels and past them, with repeated rows,
// features in more rows than one gather chunk, and every row quiet.
func TestQuietRowsLeftOut(t *testing.T) {
	paths := d32Paths(t)
	rng := rand.New(rand.NewPCG(14, 14))
	const inputs = 50
	for _, width := range []int{8, 24, 32, 136, 256} {
		for _, binary := range []bool{false, true} {
			x := randomRows(rng, 40, inputs, binary)
			rows := make([]int, 500) // a feature in 300 of them or so: more than gatherChunk
			for i := range rows {
				rows[i] = rng.IntN(40)
			}
			for _, allQuiet := range []bool{false, true} {
				d := make([]float64, len(rows)*width)
				quiet := make([]bool, len(rows))
				for r := range rows {
					quiet[r] = allQuiet || rng.IntN(3) > 0
					for i := r * width; i < (r+1)*width; i++ {
						switch {
						case quiet[r] && rng.IntN(2) == 0:
							d[i] = math.Copysign(0, -1)
						case quiet[r]:
							d[i] = 0
						default:
							d[i] = rng.NormFloat64()
						}
					}
				}
				for _, avx := range paths {
					haveAccumD32 = avx
					want := make([]float64, inputs*width)
					scatterRows(want, width, x, rows, d, nil)
					got := make([]float64, inputs*width)
					scatterRows(got, width, x, rows, d, quiet)
					sameFloats(t, fmt.Sprintf("scatterRows quiet (avx %v, all %v)", avx, allQuiet), width, len(rows), binary, got, want)
					var c batchColumns
					c.build(x, rows, inputs)
					got = make([]float64, inputs*width)
					for i := range got {
						got[i] = math.NaN() // rows of the batch are written whole
					}
					scatterFeatures(got, width, &c, 0, len(c.feats), d, quiet)
					for f := range inputs {
						if c.slot[f].gen != c.gen {
							clear(got[f*width : (f+1)*width])
						}
					}
					sameFloats(t, fmt.Sprintf("scatterFeatures quiet (avx %v, all %v)", avx, allQuiet), width, len(rows), binary, got, want)
				}
			}
		}
	}
}

// d32Paths is the paths a kernel test runs, by the value it sets
// haveAccumD32 to: the Go loop always, the register kernels where this
// processor has them; haveAccumD32 is restored when the test ends.
func d32Paths(t *testing.T) []bool {
	was := haveAccumD32
	t.Cleanup(func() { haveAccumD32 = was })
	if was {
		return []bool{false, true}
	}
	return []bool{false}
}

// anyMagnitude is a normal draw scaled by 10^k, k in [-10, 10): values
// whose sums round differently in another order.
func anyMagnitude(rng *rand.Rand) float64 {
	return rng.NormFloat64() * math.Pow(10, float64(rng.IntN(20)-10))
}
