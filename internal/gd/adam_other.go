//go:build !amd64

package gd

// haveAdamMove4 is false where adamMove4 has no assembly.
var haveAdamMove4 = false

func adamMove4(p, m, v []float64, a, eps float64) {
	panic("gd: adamMove4 without its assembly")
}

func adamMoments4(g, m, v []float64, f1, f2, b1, b2 float64) {
	panic("gd: adamMoments4 without its assembly")
}

func adamStepMove4(g, p, m, v []float64, f1, f2, b1, b2, a, eps float64) {
	panic("gd: adamStepMove4 without its assembly")
}
