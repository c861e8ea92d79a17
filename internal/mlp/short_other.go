//go:build !amd64

package mlp

// haveShortAVX is false where the short-layer kernels have no assembly.
var haveShortAVX = false

func axpy2x12(s0, s1 *float64, n int, x *float64, xnext, xstride int, b *float64, bstride, terms int) {
	panic("mlp: axpy2x12 without its assembly")
}

func dotCols8(c *float64, a *float64, k int, bT *float64, ldb, cols int) {
	panic("mlp: dotCols8 without its assembly")
}

func reluBackprop4(d, z *float64, n int) {
	panic("mlp: reluBackprop4 without its assembly")
}

func narrow4(dst *float32, src *float64, n int) {
	panic("mlp: narrow4 without its assembly")
}

func widen4(dst *float64, src *float32, n int) {
	panic("mlp: widen4 without its assembly")
}

func widenAdd4(dst, b *float64, src *float32, n int) {
	panic("mlp: widenAdd4 without its assembly")
}
