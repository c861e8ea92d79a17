package gd

import "golang.org/x/sys/cpu"

// haveRMSpropLazy4 says whether rmspropLazy4 can run here (AVX2: its
// 64-bit integer compare of the gradients with +0).
var haveRMSpropLazy4 = cpu.X86.HasAVX2

// rmspropLazy4 is RMSprop.lazyChunk's loop over p, g and avg (len(g) a
// multiple of 4, p and avg as long) four entries at a time, with the
// same bits (rmsprop_amd64.s).
//
//go:noescape
func rmspropLazy4(p, g, avg []float64, keep, d, lr, eps float64)

// haveRMSpropLazy8 says whether rmspropLazy8 can run here: AVX-512F,
// which x/sys/cpu reports only where the operating system saves its
// registers.
var haveRMSpropLazy8 = cpu.X86.HasAVX512F

// rmspropLazy8 is rmspropLazy4 eight entries at a time (len(g) a
// multiple of 8), with the same bits (rmsprop_amd64.s).
//
//go:noescape
func rmspropLazy8(p, g, avg []float64, keep, d, lr, eps float64)
