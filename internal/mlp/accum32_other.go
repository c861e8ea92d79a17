//go:build !amd64

package mlp

// haveAccum64 is false where accum64 has no assembly.
var haveAccum64 = false

// haveAccum128 is false where accum128 has no assembly.
var haveAccum128 = false

func accum64(z *float32, w *float32, width int, rows []int32, alphas []float32) {
	panic("mlp: accum64 without its assembly")
}

func accum128(z *float32, w *float32, width int, rows []int32, alphas []float32) {
	panic("mlp: accum128 without its assembly")
}
