package mlp

import (
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/dlc-dev/dlc/internal/sparse"
)

// BenchmarkFirstLayer measures the choices behind the first layer's
// kernels on the MNIST notebook's shapes (a batch of 128 digits, 784
// inputs, 512 units), on one goroutine:
//
//   - forward z = x·W and backward gW = xᵀ·d, with the sparse rows the
//     network uses (float64, gonum's axpy; the backward pass by feature,
//     and by row as it was first written), against gonum's Dgemm on the
//     densified batch, which itself is an axpy per non-zero of x;
//   - the same sparse kernels in float32 (gonum's Saxpy) and Sgemm, to
//     see what single precision would buy;
//   - all of it on real digits (19 % of the pixels non-zero) and on rows
//     with every pixel non-zero (as standardized columns would be).
//
// The dense BLAS calls run on every core (gonum shares Dgemm's blocks out),
// the sparse ones on one: divide the dense times by the cores to compare
// work. Run with -cpu 1 for a like-for-like comparison.
func BenchmarkFirstLayer(b *testing.B) {
	const batch, in, out = 128, 784, 512
	real, _ := mnistRows(b, batch)
	full := sparse.New(in, false)
	rng := rand.New(rand.NewPCG(1, 2))
	all := make([]int32, in)
	vals := make([]float64, in)
	for i := range all {
		all[i] = int32(i)
	}
	for range batch {
		for j := range vals {
			vals[j] = rng.Float64()
		}
		full.AppendRow(all, vals)
	}
	w := make([]float64, in*out)
	w32 := make([]float32, in*out)
	d := make([]float64, batch*out)
	d32 := make([]float32, batch*out)
	for i := range w {
		w[i] = rng.NormFloat64()
		w32[i] = float32(w[i])
	}
	for i := range d {
		d[i] = rng.NormFloat64()
		d32[i] = float32(d[i])
	}
	z, gW := make([]float64, batch*out), make([]float64, in*out)
	z32, gW32 := make([]float32, batch*out), make([]float32, in*out)
	xd, xd32 := make([]float64, batch*in), make([]float32, batch*in)
	rows := make([]int, batch)
	for i := range rows {
		rows[i] = i
	}
	s32 := blas32.Implementation()
	d64 := blas64.Implementation()
	for _, data := range []struct {
		name string
		x    *sparse.Matrix
	}{{"mnist", real}, {"dense-rows", full}} {
		x := data.x
		v32 := make([]float32, len(x.Values))
		for i, v := range x.Values {
			v32[i] = float32(v)
		}
		densify := func() {
			clear(xd)
			for r := range batch {
				idx, vals := x.Row(r)
				for k, f := range idx {
					xd[r*in+int(f)] = vals[k]
				}
			}
		}
		densify32 := func() {
			clear(xd32)
			for r := range batch {
				idx, _ := x.Row(r)
				for k, f := range idx {
					xd32[r*in+int(f)] = v32[x.Indptr[r]+k]
				}
			}
		}
		b.Run(data.name+"/forward/sparse64", func(b *testing.B) {
			for b.Loop() {
				for r := range batch {
					zr := z[r*out : (r+1)*out]
					clear(zr)
					idx, vals := x.Row(r)
					sparseAccumulate(zr, w, out, idx, vals)
				}
			}
		})
		b.Run(data.name+"/forward/sparse32", func(b *testing.B) {
			for b.Loop() {
				for r := range batch {
					zr := z32[r*out : (r+1)*out]
					clear(zr)
					idx, _ := x.Row(r)
					for k, f := range idx {
						s32.Saxpy(out, v32[x.Indptr[r]+k], w32[int(f)*out:int(f+1)*out], 1, zr, 1)
					}
				}
			}
		})
		b.Run(data.name+"/forward/dgemm", func(b *testing.B) {
			for b.Loop() {
				densify()
				d64.Dgemm(blas.NoTrans, blas.NoTrans, batch, out, in, 1, xd, in, w, out, 0, z, out)
			}
		})
		b.Run(data.name+"/forward/sgemm", func(b *testing.B) {
			for b.Loop() {
				densify32()
				s32.Sgemm(blas.NoTrans, blas.NoTrans, batch, out, in, 1, xd32, in, w32, out, 0, z32, out)
			}
		})
		b.Run(data.name+"/backward/sparse64", func(b *testing.B) {
			var c batchColumns
			for b.Loop() {
				clear(gW)
				c.build(x, rows, in)
				scatterFeatures(gW, out, &c, 0, len(c.feats), d, nil)
			}
		})
		// The same sums row by row, as dlc did before it regrouped the
		// batch by feature: a read and a write of a far weight row per entry.
		b.Run(data.name+"/backward/sparse64-by-row", func(b *testing.B) {
			for b.Loop() {
				clear(gW)
				for r := range batch {
					idx, vals := x.Row(r)
					for k, f := range idx {
						axpy(vals[k], d[r*out:(r+1)*out], gW[int(f)*out:int(f+1)*out])
					}
				}
			}
		})
		b.Run(data.name+"/backward/sparse32", func(b *testing.B) {
			for b.Loop() {
				clear(gW32)
				for r := range batch {
					idx, _ := x.Row(r)
					dr := d32[r*out : (r+1)*out]
					for k, f := range idx {
						s32.Saxpy(out, v32[x.Indptr[r]+k], dr, 1, gW32[int(f)*out:int(f+1)*out], 1)
					}
				}
			}
		})
		b.Run(data.name+"/backward/dgemm", func(b *testing.B) {
			for b.Loop() {
				densify()
				d64.Dgemm(blas.Trans, blas.NoTrans, in, out, batch, 1, xd, in, d, out, 0, gW, out)
			}
		})
		b.Run(data.name+"/backward/sgemm", func(b *testing.B) {
			for b.Loop() {
				densify32()
				s32.Sgemm(blas.Trans, blas.NoTrans, in, out, batch, 1, xd32, in, d32, out, 0, gW32, out)
			}
		})
	}
}
