package mlp

import "golang.org/x/sys/cpu"

// haveShortAVX says whether the short-layer kernels of short_amd64.s can
// run here: 256-bit AVX (lane masks, blends), no AVX2 and no FMA needed.
var haveShortAVX = cpu.X86.HasAVX

// axpy2x12 adds, for each term t in order, x's two factors of t (unless
// ±0) times the n ≤ 12 float64s of b's t-th row to the rows s0 and s1
// (short_amd64.s gives the layout).
//
//go:noescape
func axpy2x12(s0, s1 *float64, n int, x *float64, xnext, xstride int, b *float64, bstride, terms int)

// dotCols8 sets c[j] = 0 + dot(a[:k], column j of bT) for j < cols (a
// multiple of 8), the bits of gemmNT's dot.
//
//go:noescape
func dotCols8(c *float64, a *float64, k int, bT *float64, ldb, cols int)

// reluBackprop4 zeroes d[i] where z[i] <= 0, for i < n (a multiple of 4).
//
//go:noescape
func reluBackprop4(d, z *float64, n int)

// narrow4 sets dst[i] = float32(src[i]) for i < n (a multiple of 4).
//
//go:noescape
func narrow4(dst *float32, src *float64, n int)

// widen4 sets dst[i] = float64(src[i]) for i < n (a multiple of 4).
//
//go:noescape
func widen4(dst *float64, src *float32, n int)

// widenAdd4 sets dst[i] = b[i] + float64(src[i]) for i < n (a multiple
// of 4).
//
//go:noescape
func widenAdd4(dst, b *float64, src *float32, n int)
