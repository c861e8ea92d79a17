//go:build !amd64

package gd

// haveLazyAdam4 is false where lazyAdam4 has no assembly.
var haveLazyAdam4 = false

func lazyAdam4(p, g, m, v []float64, b1, k1, b2, k2, alpha, eps float64) {
	panic("gd: lazyAdam4 without its assembly")
}

// haveLazyAdam8 is false where lazyAdam8 has no assembly.
var haveLazyAdam8 = false

func lazyAdam8(p, g, m, v []float64, b1, k1, b2, k2, alpha, eps float64) {
	panic("gd: lazyAdam8 without its assembly")
}
