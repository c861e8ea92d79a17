#include "textflag.h"

// func accum64(z *float32, w *float32, width int, rows []int32, alphas []float32)
//
// z[0:64] += alphas[k] · w[rows[k]·width : rows[k]·width+64] for k in
// order, each product rounded to float32 and then added (VMULPS, VADDPS:
// no fused multiply-add), the 64 sums held in Y0-Y7 between the terms.
TEXT ·accum64(SB), NOSPLIT, $0-72
	MOVQ z+0(FP), DI
	MOVQ w+8(FP), SI
	MOVQ width+16(FP), DX
	SHLQ $2, DX
	MOVQ rows_base+24(FP), R8
	MOVQ rows_len+32(FP), CX
	MOVQ alphas_base+48(FP), R9
	VMOVUPS 0(DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3
	VMOVUPS 128(DI), Y4
	VMOVUPS 160(DI), Y5
	VMOVUPS 192(DI), Y6
	VMOVUPS 224(DI), Y7
	XORQ AX, AX
	TESTQ CX, CX
	JE done

loop:
	MOVLQSX (R8)(AX*4), R10
	IMULQ DX, R10
	ADDQ SI, R10
	VBROADCASTSS (R9)(AX*4), Y8
	VMULPS 0(R10), Y8, Y9
	VMULPS 32(R10), Y8, Y10
	VMULPS 64(R10), Y8, Y11
	VMULPS 96(R10), Y8, Y12
	VADDPS Y9, Y0, Y0
	VADDPS Y10, Y1, Y1
	VADDPS Y11, Y2, Y2
	VADDPS Y12, Y3, Y3
	VMULPS 128(R10), Y8, Y13
	VMULPS 160(R10), Y8, Y14
	VMULPS 192(R10), Y8, Y15
	VMULPS 224(R10), Y8, Y9
	VADDPS Y13, Y4, Y4
	VADDPS Y14, Y5, Y5
	VADDPS Y15, Y6, Y6
	VADDPS Y9, Y7, Y7
	INCQ AX
	CMPQ AX, CX
	JLT loop

done:
	VMOVUPS Y0, 0(DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VMOVUPS Y4, 128(DI)
	VMOVUPS Y5, 160(DI)
	VMOVUPS Y6, 192(DI)
	VMOVUPS Y7, 224(DI)
	VZEROUPPER
	RET
