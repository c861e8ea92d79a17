package mlp

import "golang.org/x/sys/cpu"

// haveAccum64 says whether accum64 can run here: its 256-bit AVX
// instructions (no AVX2, no FMA needed).
var haveAccum64 = cpu.X86.HasAVX

// haveAccum128 says whether accum128 can run here: AVX-512F, which
// x/sys/cpu reports only where the operating system saves its registers.
var haveAccum128 = cpu.X86.HasAVX512F

// accum64 adds alphas[k] · w's row rows[k] (rows width float32s apart) to
// z, 64 columns of each, the terms in the order of k (accum32_amd64.s).
//
//go:noescape
func accum64(z *float32, w *float32, width int, rows []int32, alphas []float32)

// accum128 is accum64 for 128 columns, in AVX-512 registers.
//
//go:noescape
func accum128(z *float32, w *float32, width int, rows []int32, alphas []float32)
