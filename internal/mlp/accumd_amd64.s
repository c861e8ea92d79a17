#include "textflag.h"

// func accumD32(z, from *float64, w *float64, width int, rows []int32, alphas []float64)
//
// z[0:32] = from[0:32] + alphas[k] · w[rows[k]·width : rows[k]·width+32]
// for k in order, each product rounded and then added (VMULPD, VADDPD: no
// fused multiply-add), as gonum's axpy does element by element, the 32
// sums held in Y0-Y7 between the terms. from is z itself to add to z, or
// 32 zeros to set it (the sums then start from +0, as on a cleared z).
TEXT ·accumD32(SB), NOSPLIT, $0-80
	MOVQ z+0(FP), DI
	MOVQ from+8(FP), BX
	MOVQ w+16(FP), SI
	MOVQ width+24(FP), DX
	SHLQ $3, DX
	MOVQ rows_base+32(FP), R8
	MOVQ rows_len+40(FP), CX
	MOVQ alphas_base+56(FP), R9
	VMOVUPD 0(BX), Y0
	VMOVUPD 32(BX), Y1
	VMOVUPD 64(BX), Y2
	VMOVUPD 96(BX), Y3
	VMOVUPD 128(BX), Y4
	VMOVUPD 160(BX), Y5
	VMOVUPD 192(BX), Y6
	VMOVUPD 224(BX), Y7
	XORQ AX, AX
	TESTQ CX, CX
	JE done

loop:
	MOVLQSX (R8)(AX*4), R10
	IMULQ DX, R10
	ADDQ SI, R10
	VBROADCASTSD (R9)(AX*8), Y8
	VMULPD 0(R10), Y8, Y9
	VMULPD 32(R10), Y8, Y10
	VMULPD 64(R10), Y8, Y11
	VMULPD 96(R10), Y8, Y12
	VADDPD Y9, Y0, Y0
	VADDPD Y10, Y1, Y1
	VADDPD Y11, Y2, Y2
	VADDPD Y12, Y3, Y3
	VMULPD 128(R10), Y8, Y13
	VMULPD 160(R10), Y8, Y14
	VMULPD 192(R10), Y8, Y15
	VMULPD 224(R10), Y8, Y9
	VADDPD Y13, Y4, Y4
	VADDPD Y14, Y5, Y5
	VADDPD Y15, Y6, Y6
	VADDPD Y9, Y7, Y7
	INCQ AX
	CMPQ AX, CX
	JLT loop

done:
	VMOVUPD Y0, 0(DI)
	VMOVUPD Y1, 32(DI)
	VMOVUPD Y2, 64(DI)
	VMOVUPD Y3, 96(DI)
	VMOVUPD Y4, 128(DI)
	VMOVUPD Y5, 160(DI)
	VMOVUPD Y6, 192(DI)
	VMOVUPD Y7, 224(DI)
	VZEROUPPER
	RET

// func accumD64(z, from *float64, w *float64, width int, rows []int32, alphas []float64)
//
// accumD32 for 64 columns in Z0-Z7 (AVX-512F): the same products and
// sums, element by element, so the same bits.
TEXT ·accumD64(SB), NOSPLIT, $0-80
	MOVQ z+0(FP), DI
	MOVQ from+8(FP), BX
	MOVQ w+16(FP), SI
	MOVQ width+24(FP), DX
	SHLQ $3, DX
	MOVQ rows_base+32(FP), R8
	MOVQ rows_len+40(FP), CX
	MOVQ alphas_base+56(FP), R9
	VMOVUPD 0(BX), Z0
	VMOVUPD 64(BX), Z1
	VMOVUPD 128(BX), Z2
	VMOVUPD 192(BX), Z3
	VMOVUPD 256(BX), Z4
	VMOVUPD 320(BX), Z5
	VMOVUPD 384(BX), Z6
	VMOVUPD 448(BX), Z7
	XORQ AX, AX
	TESTQ CX, CX
	JE done64

loop64:
	MOVLQSX (R8)(AX*4), R10
	IMULQ DX, R10
	ADDQ SI, R10
	VBROADCASTSD (R9)(AX*8), Z8
	VMULPD 0(R10), Z8, Z9
	VMULPD 64(R10), Z8, Z10
	VMULPD 128(R10), Z8, Z11
	VMULPD 192(R10), Z8, Z12
	VADDPD Z9, Z0, Z0
	VADDPD Z10, Z1, Z1
	VADDPD Z11, Z2, Z2
	VADDPD Z12, Z3, Z3
	VMULPD 256(R10), Z8, Z13
	VMULPD 320(R10), Z8, Z14
	VMULPD 384(R10), Z8, Z15
	VMULPD 448(R10), Z8, Z9
	VADDPD Z13, Z4, Z4
	VADDPD Z14, Z5, Z5
	VADDPD Z15, Z6, Z6
	VADDPD Z9, Z7, Z7
	INCQ AX
	CMPQ AX, CX
	JLT loop64

done64:
	VMOVUPD Z0, 0(DI)
	VMOVUPD Z1, 64(DI)
	VMOVUPD Z2, 128(DI)
	VMOVUPD Z3, 192(DI)
	VMOVUPD Z4, 256(DI)
	VMOVUPD Z5, 320(DI)
	VMOVUPD Z6, 384(DI)
	VMOVUPD Z7, 448(DI)
	VZEROUPPER
	RET

// func accumD16(z, from *float64, w *float64, width int, rows []int32, alphas []float64)
//
// accumD32 for 16 columns in Y0-Y3 (the IMDB notebook's 16-unit first
// layer): the same products and sums, element by element, so the same
// bits.
TEXT ·accumD16(SB), NOSPLIT, $0-80
	MOVQ z+0(FP), DI
	MOVQ from+8(FP), BX
	MOVQ w+16(FP), SI
	MOVQ width+24(FP), DX
	SHLQ $3, DX
	MOVQ rows_base+32(FP), R8
	MOVQ rows_len+40(FP), CX
	MOVQ alphas_base+56(FP), R9
	VMOVUPD 0(BX), Y0
	VMOVUPD 32(BX), Y1
	VMOVUPD 64(BX), Y2
	VMOVUPD 96(BX), Y3
	XORQ AX, AX
	TESTQ CX, CX
	JE done16

loop16:
	MOVLQSX (R8)(AX*4), R10
	IMULQ DX, R10
	ADDQ SI, R10
	VBROADCASTSD (R9)(AX*8), Y8
	VMULPD 0(R10), Y8, Y9
	VMULPD 32(R10), Y8, Y10
	VMULPD 64(R10), Y8, Y11
	VMULPD 96(R10), Y8, Y12
	VADDPD Y9, Y0, Y0
	VADDPD Y10, Y1, Y1
	VADDPD Y11, Y2, Y2
	VADDPD Y12, Y3, Y3
	INCQ AX
	CMPQ AX, CX
	JLT loop16

done16:
	VMOVUPD Y0, 0(DI)
	VMOVUPD Y1, 32(DI)
	VMOVUPD Y2, 64(DI)
	VMOVUPD Y3, 96(DI)
	VZEROUPPER
	RET

// func scatterD16(w *float64, d *float64, width int, rows []int32)
//
// w[rows[k]·width : rows[k]·width+16] += d[0:16] for k in order (a
// multi-hot batch row's delta added to the weight gradient's row of each
// of its features): d held in Y0-Y3, each gradient row read, added to and
// written back, element by element as gonum's floats.Add does, so the
// same bits.
TEXT ·scatterD16(SB), NOSPLIT, $0-48
	MOVQ w+0(FP), SI
	MOVQ d+8(FP), DI
	MOVQ width+16(FP), DX
	SHLQ $3, DX
	MOVQ rows_base+24(FP), R8
	MOVQ rows_len+32(FP), CX
	VMOVUPD 0(DI), Y0
	VMOVUPD 32(DI), Y1
	VMOVUPD 64(DI), Y2
	VMOVUPD 96(DI), Y3
	XORQ AX, AX
	TESTQ CX, CX
	JE doneS16

loopS16:
	MOVLQSX (R8)(AX*4), R10
	IMULQ DX, R10
	ADDQ SI, R10
	VADDPD 0(R10), Y0, Y4
	VADDPD 32(R10), Y1, Y5
	VADDPD 64(R10), Y2, Y6
	VADDPD 96(R10), Y3, Y7
	VMOVUPD Y4, 0(R10)
	VMOVUPD Y5, 32(R10)
	VMOVUPD Y6, 64(R10)
	VMOVUPD Y7, 96(R10)
	INCQ AX
	CMPQ AX, CX
	JLT loopS16

doneS16:
	VZEROUPPER
	RET

// func scatterAxpyD32(w *float64, d *float64, width int, rows []int32, alphas []float64)
//
// w[rows[k]·width : rows[k]·width+32] += alphas[k]·d[0:32] for k in order
// (a batch row's delta, scaled by each of its features' values, added to
// the weight gradient's rows of those features): d held in Y0-Y7, each
// product rounded and then added to the gradient row read from memory
// (VMULPD, VADDPD: no fused multiply-add), element by element as gonum's
// axpy does, so the same bits.
TEXT ·scatterAxpyD32(SB), NOSPLIT, $0-72
	MOVQ w+0(FP), SI
	MOVQ d+8(FP), DI
	MOVQ width+16(FP), DX
	SHLQ $3, DX
	MOVQ rows_base+24(FP), R8
	MOVQ rows_len+32(FP), CX
	MOVQ alphas_base+48(FP), R9
	VMOVUPD 0(DI), Y0
	VMOVUPD 32(DI), Y1
	VMOVUPD 64(DI), Y2
	VMOVUPD 96(DI), Y3
	VMOVUPD 128(DI), Y4
	VMOVUPD 160(DI), Y5
	VMOVUPD 192(DI), Y6
	VMOVUPD 224(DI), Y7
	XORQ AX, AX
	TESTQ CX, CX
	JE doneA32

loopA32:
	MOVLQSX (R8)(AX*4), R10
	IMULQ DX, R10
	ADDQ SI, R10
	VBROADCASTSD (R9)(AX*8), Y8
	VMULPD Y0, Y8, Y9
	VMULPD Y1, Y8, Y10
	VMULPD Y2, Y8, Y11
	VMULPD Y3, Y8, Y12
	VADDPD 0(R10), Y9, Y9
	VADDPD 32(R10), Y10, Y10
	VADDPD 64(R10), Y11, Y11
	VADDPD 96(R10), Y12, Y12
	VMOVUPD Y9, 0(R10)
	VMOVUPD Y10, 32(R10)
	VMOVUPD Y11, 64(R10)
	VMOVUPD Y12, 96(R10)
	VMULPD Y4, Y8, Y13
	VMULPD Y5, Y8, Y14
	VMULPD Y6, Y8, Y15
	VMULPD Y7, Y8, Y9
	VADDPD 128(R10), Y13, Y13
	VADDPD 160(R10), Y14, Y14
	VADDPD 192(R10), Y15, Y15
	VADDPD 224(R10), Y9, Y9
	VMOVUPD Y13, 128(R10)
	VMOVUPD Y14, 160(R10)
	VMOVUPD Y15, 192(R10)
	VMOVUPD Y9, 224(R10)
	INCQ AX
	CMPQ AX, CX
	JLT loopA32

doneA32:
	VZEROUPPER
	RET

// func scatterAxpyD16(w *float64, d *float64, width int, rows []int32, alphas []float64)
//
// scatterAxpyD32 for 16 columns, d held in Y0-Y3: the same products and
// sums, element by element, so the same bits.
TEXT ·scatterAxpyD16(SB), NOSPLIT, $0-72
	MOVQ w+0(FP), SI
	MOVQ d+8(FP), DI
	MOVQ width+16(FP), DX
	SHLQ $3, DX
	MOVQ rows_base+24(FP), R8
	MOVQ rows_len+32(FP), CX
	MOVQ alphas_base+48(FP), R9
	VMOVUPD 0(DI), Y0
	VMOVUPD 32(DI), Y1
	VMOVUPD 64(DI), Y2
	VMOVUPD 96(DI), Y3
	XORQ AX, AX
	TESTQ CX, CX
	JE doneA16

loopA16:
	MOVLQSX (R8)(AX*4), R10
	IMULQ DX, R10
	ADDQ SI, R10
	VBROADCASTSD (R9)(AX*8), Y8
	VMULPD Y0, Y8, Y4
	VMULPD Y1, Y8, Y5
	VMULPD Y2, Y8, Y6
	VMULPD Y3, Y8, Y7
	VADDPD 0(R10), Y4, Y4
	VADDPD 32(R10), Y5, Y5
	VADDPD 64(R10), Y6, Y6
	VADDPD 96(R10), Y7, Y7
	VMOVUPD Y4, 0(R10)
	VMOVUPD Y5, 32(R10)
	VMOVUPD Y6, 64(R10)
	VMOVUPD Y7, 96(R10)
	INCQ AX
	CMPQ AX, CX
	JLT loopA16

doneA16:
	VZEROUPPER
	RET
