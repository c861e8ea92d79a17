//go:build !amd64

package mlp

// haveAccumD32 is false where accumD32 has no assembly.
var haveAccumD32 = false

// haveAccumD64 is false where accumD64 has no assembly.
var haveAccumD64 = false

func accumD32(z, from *float64, w *float64, width int, rows []int32, alphas []float64) {
	panic("mlp: accumD32 without its assembly")
}

func accumD64(z, from *float64, w *float64, width int, rows []int32, alphas []float64) {
	panic("mlp: accumD64 without its assembly")
}

func accumD16(z, from *float64, w *float64, width int, rows []int32, alphas []float64) {
	panic("mlp: accumD16 without its assembly")
}

func scatterD16(w *float64, d *float64, width int, rows []int32) {
	panic("mlp: scatterD16 without its assembly")
}

func scatterAxpyD32(w *float64, d *float64, width int, rows []int32, alphas []float64) {
	panic("mlp: scatterAxpyD32 without its assembly")
}

func scatterAxpyD16(w *float64, d *float64, width int, rows []int32, alphas []float64) {
	panic("mlp: scatterAxpyD16 without its assembly")
}
