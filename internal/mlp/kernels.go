package mlp

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"
)

// sparseAccumulate adds x · W to z for one sparse row x (idx, vals; nil vals
// = all ones), W being row-major with width columns: only the rows of W that
// x names are read.
func sparseAccumulate(z, w []float64, width int, idx []int32, vals []float64) {
	if vals == nil {
		for _, f := range idx {
			floats.Add(z, w[int(f)*width:int(f+1)*width])
		}
		return
	}
	for k, f := range idx {
		floats.AddScaled(z, vals[k], w[int(f)*width:int(f+1)*width])
	}
}

// sparseScatter adds the outer product xᵀ d to gW for one sparse row x: the
// weight gradient of the first layer touches only the rows x names.
func sparseScatter(gW []float64, width int, idx []int32, vals []float64, d []float64) {
	if vals == nil {
		for _, f := range idx {
			floats.Add(gW[int(f)*width:int(f+1)*width], d)
		}
		return
	}
	for k, f := range idx {
		floats.AddScaled(gW[int(f)*width:int(f+1)*width], vals[k], d)
	}
}

// gemm computes c = op(a) · op(b) + beta·c for row-major dense matrices,
// c being m×n and the inner dimension k; ta/tb transpose a and b.
func gemm(ta, tb bool, m, n, k int, a, b []float64, beta float64, c []float64) {
	tA, tB := blas.NoTrans, blas.NoTrans
	lda, ldb := k, n
	if ta {
		tA, lda = blas.Trans, m
	}
	if tb {
		tB, ldb = blas.Trans, k
	}
	blas64.Implementation().Dgemm(tA, tB, m, n, k, 1, a, lda, b, ldb, beta, c, n)
}
