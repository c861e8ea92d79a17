//go:build !amd64

package gd

// haveAdagrad4 is false where adagrad4 has no assembly.
var haveAdagrad4 = false

func adagrad4(p, g, acc []float64, lr, eps float64) {
	panic("gd: adagrad4 without its assembly")
}

// haveAdagrad8 is false where adagrad8 has no assembly.
var haveAdagrad8 = false

func adagrad8(p, g, acc []float64, lr, eps float64) {
	panic("gd: adagrad8 without its assembly")
}
