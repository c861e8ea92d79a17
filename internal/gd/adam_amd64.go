package gd

import "golang.org/x/sys/cpu"

// haveAdamMove4 says whether adamMove4 can run here (AVX).
var haveAdamMove4 = cpu.X86.HasAVX

// adamMove4 is Adam.move's loop over p, m and v (len(p) a multiple of 4,
// m and v as long) four entries at a time, with the same bits
// (adam_amd64.s): the square root and the division are most of a
// catch-up's time.
//
//go:noescape
func adamMove4(p, m, v []float64, a, eps float64)

// adamMoments4 is adamMoments's loop over g, m and v (len(g) a multiple
// of 4, m and v as long) four entries at a time, with the same bits
// (adam_amd64.s): lazy Adam's step is this update of the moments alone.
//
//go:noescape
func adamMoments4(g, m, v []float64, f1, f2, b1, b2 float64)

// adamStepMove4 is adamStepMove's loop over g, p, m and v (len(g) a
// multiple of 4, the others as long) four entries at a time, with the
// same bits (adam_amd64.s): lazy Adam's step and catch-up of a row in one
// pass, when the objective keeps the row's gradient.
//
//go:noescape
func adamStepMove4(g, p, m, v []float64, f1, f2, b1, b2, a, eps float64)
