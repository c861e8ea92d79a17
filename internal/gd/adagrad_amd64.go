package gd

import "golang.org/x/sys/cpu"

// haveAdagrad4 says whether adagrad4 can run here (AVX2: its 64-bit
// integer compare of the gradients with +0).
var haveAdagrad4 = cpu.X86.HasAVX2

// adagrad4 is Adagrad.chunk's loop over p, g and acc (len(g) a multiple
// of 4, p and acc as long) four entries at a time, with the same bits
// (adagrad_amd64.s).
//
//go:noescape
func adagrad4(p, g, acc []float64, lr, eps float64)

// haveAdagrad8 says whether adagrad8 can run here: AVX-512F, which
// x/sys/cpu reports only where the operating system saves its registers.
var haveAdagrad8 = cpu.X86.HasAVX512F

// adagrad8 is adagrad4 eight entries at a time (len(g) a multiple of 8),
// with the same bits (adagrad_amd64.s).
//
//go:noescape
func adagrad8(p, g, acc []float64, lr, eps float64)
