//go:build !amd64

package gd

// haveRMSpropLazy4 is false where rmspropLazy4 has no assembly.
var haveRMSpropLazy4 = false

func rmspropLazy4(p, g, avg []float64, keep, d, lr, eps float64) {
	panic("gd: rmspropLazy4 without its assembly")
}

// haveRMSpropLazy8 is false where rmspropLazy8 has no assembly.
var haveRMSpropLazy8 = false

func rmspropLazy8(p, g, avg []float64, keep, d, lr, eps float64) {
	panic("gd: rmspropLazy8 without its assembly")
}
