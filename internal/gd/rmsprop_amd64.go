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
