package mlp

import "golang.org/x/sys/cpu"

// haveAccumD32 says whether accumD32 can run here: its 256-bit AVX
// instructions (no AVX2, no FMA needed).
var haveAccumD32 = cpu.X86.HasAVX

// haveAccumD64 says whether accumD64 can run here: AVX-512F, which
// x/sys/cpu reports only where the operating system saves its registers.
var haveAccumD64 = cpu.X86.HasAVX512F

// accumD32 adds alphas[k] · w's row rows[k] (rows width float64s apart)
// to from and stores the sums in z, 32 columns of each, the terms in the
// order of k (accumd_amd64.s): from is z to add to it, zeroBlock to set
// it.
//
//go:noescape
func accumD32(z, from *float64, w *float64, width int, rows []int32, alphas []float64)

// accumD64 is accumD32 for 64 columns, in AVX-512 registers.
//
//go:noescape
func accumD64(z, from *float64, w *float64, width int, rows []int32, alphas []float64)

// accumD16 is accumD32 for 16 columns, in four AVX registers.
//
//go:noescape
func accumD16(z, from *float64, w *float64, width int, rows []int32, alphas []float64)

// scatterD16 adds d[0:16] to the 16 columns of w's row rows[k] (rows width
// float64s apart) for every k in order (accumd_amd64.s).
//
//go:noescape
func scatterD16(w *float64, d *float64, width int, rows []int32)

// scatterAxpyD32 adds alphas[k] · d[0:32] to the 32 columns of w's row
// rows[k] (rows width float64s apart) for every k in order
// (accumd_amd64.s).
//
//go:noescape
func scatterAxpyD32(w *float64, d *float64, width int, rows []int32, alphas []float64)

// scatterAxpyD16 is scatterAxpyD32 for 16 columns.
//
//go:noescape
func scatterAxpyD16(w *float64, d *float64, width int, rows []int32, alphas []float64)
