package gd

import "golang.org/x/sys/cpu"

// haveLazyAdam4 says whether lazyAdam4 can run here (AVX2: its 64-bit
// integer compare of the gradients with +0).
var haveLazyAdam4 = cpu.X86.HasAVX2

// lazyAdam4 is LazyAdam.lazyChunk's loop over p, g, m and v (len(g) a
// multiple of 4, the others as long) four entries at a time, with the
// same bits (lazyadam_amd64.s): the square root, the division and the
// branch on +0 gradients, which relu and dropout make unpredictable, are
// most of the step's update.
//
//go:noescape
func lazyAdam4(p, g, m, v []float64, b1, k1, b2, k2, alpha, eps float64)

// haveLazyAdam8 says whether lazyAdam8 can run here: AVX-512F, which
// x/sys/cpu reports only where the operating system saves its registers.
var haveLazyAdam8 = cpu.X86.HasAVX512F

// lazyAdam8 is lazyAdam4 eight entries at a time (len(g) a multiple of
// 8), with the same bits (lazyadam_amd64.s).
//
//go:noescape
func lazyAdam8(p, g, m, v []float64, b1, k1, b2, k2, alpha, eps float64)
