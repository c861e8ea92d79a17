#include "textflag.h"

// func adamMove4(p, m, v []float64, a, eps float64)
//
// The loop of Adam.move four entries at a time (len(p) a multiple of 4,
// m and v as long): p[i] -= a·m[i] / (√v[i] + eps), each operation
// rounded as the Go code rounds it (no fused multiply-add).
TEXT ·adamMove4(SB), NOSPLIT, $0-88
	MOVQ p_base+0(FP), DI
	MOVQ p_len+8(FP), CX
	MOVQ m_base+24(FP), SI
	MOVQ v_base+48(FP), R8
	VBROADCASTSD a+72(FP), Y10
	VBROADCASTSD eps+80(FP), Y11
	XORQ AX, AX
	TESTQ CX, CX
	JE done

loop:
	VMOVUPD (SI)(AX*8), Y0      // m
	VMOVUPD (R8)(AX*8), Y1      // v
	VMOVUPD (DI)(AX*8), Y2      // p
	VMULPD Y0, Y10, Y0          // a·m
	VSQRTPD Y1, Y1
	VADDPD Y11, Y1, Y1          // √v + eps
	VDIVPD Y1, Y0, Y0           // a·m / (√v + eps)
	VSUBPD Y0, Y2, Y2           // p - that
	VMOVUPD Y2, (DI)(AX*8)
	ADDQ $4, AX
	CMPQ AX, CX
	JLT loop

done:
	VZEROUPPER
	RET

// func adamMoments4(g, m, v []float64, f1, f2, b1, b2 float64)
//
// The loop of adamMoments four entries at a time (len(g) a multiple of
// 4, m and v as long): m[i] = b1·(f1·m[i]) + (1−b1)·g[i] and v[i] =
// b2·(f2·v[i]) + ((1−b2)·g[i])·g[i], each operation rounded as the Go code
// rounds it (no fused multiply-add).
TEXT ·adamMoments4(SB), NOSPLIT, $0-104
	MOVQ g_base+0(FP), DI
	MOVQ g_len+8(FP), CX
	MOVQ m_base+24(FP), SI
	MOVQ v_base+48(FP), R8
	VBROADCASTSD f1+72(FP), Y10
	VBROADCASTSD f2+80(FP), Y11
	VBROADCASTSD b1+88(FP), Y12
	VBROADCASTSD b2+96(FP), Y13
	MOVSD $1.0, X14
	SUBSD b1+88(FP), X14        // 1 − b1, as Go rounds it
	VBROADCASTSD X14, Y14
	MOVSD $1.0, X15
	SUBSD b2+96(FP), X15        // 1 − b2
	VBROADCASTSD X15, Y15
	XORQ AX, AX
	TESTQ CX, CX
	JE done

loop:
	VMOVUPD (DI)(AX*8), Y0      // g
	VMOVUPD (SI)(AX*8), Y1      // m
	VMOVUPD (R8)(AX*8), Y2      // v
	VMULPD Y1, Y10, Y1          // f1·m
	VMULPD Y1, Y12, Y1          // b1·(f1·m)
	VMULPD Y0, Y14, Y3          // (1−b1)·g
	VADDPD Y3, Y1, Y1           // m
	VMULPD Y2, Y11, Y2          // f2·v
	VMULPD Y2, Y13, Y2          // b2·(f2·v)
	VMULPD Y0, Y15, Y4          // (1−b2)·g
	VMULPD Y0, Y4, Y4           // ((1−b2)·g)·g
	VADDPD Y4, Y2, Y2           // v
	VMOVUPD Y1, (SI)(AX*8)
	VMOVUPD Y2, (R8)(AX*8)
	ADDQ $4, AX
	CMPQ AX, CX
	JLT loop

done:
	VZEROUPPER
	RET

// func adamStepMove4(g, p, m, v []float64, f1, f2, b1, b2, a, eps float64)
//
// The loop of adamStepMove four entries at a time (len(g) a multiple of
// 4, the others as long): adamMoments4's update of m and v, then
// adamMove4's move of p by them, each operation rounded as the Go code
// rounds it (no fused multiply-add).
TEXT ·adamStepMove4(SB), NOSPLIT, $0-144
	MOVQ g_base+0(FP), DI
	MOVQ g_len+8(FP), CX
	MOVQ p_base+24(FP), DX
	MOVQ m_base+48(FP), SI
	MOVQ v_base+72(FP), R8
	VBROADCASTSD f1+96(FP), Y10
	VBROADCASTSD f2+104(FP), Y11
	VBROADCASTSD b1+112(FP), Y12
	VBROADCASTSD b2+120(FP), Y13
	MOVSD $1.0, X14
	SUBSD b1+112(FP), X14       // 1 − b1, as Go rounds it
	VBROADCASTSD X14, Y14
	MOVSD $1.0, X15
	SUBSD b2+120(FP), X15       // 1 − b2
	VBROADCASTSD X15, Y15
	VBROADCASTSD a+128(FP), Y8
	VBROADCASTSD eps+136(FP), Y9
	XORQ AX, AX
	TESTQ CX, CX
	JE done

loop:
	VMOVUPD (DI)(AX*8), Y0      // g
	VMOVUPD (SI)(AX*8), Y1      // m
	VMOVUPD (R8)(AX*8), Y2      // v
	VMULPD Y1, Y10, Y1          // f1·m
	VMULPD Y1, Y12, Y1          // b1·(f1·m)
	VMULPD Y0, Y14, Y3          // (1−b1)·g
	VADDPD Y3, Y1, Y1           // m
	VMULPD Y2, Y11, Y2          // f2·v
	VMULPD Y2, Y13, Y2          // b2·(f2·v)
	VMULPD Y0, Y15, Y4          // (1−b2)·g
	VMULPD Y0, Y4, Y4           // ((1−b2)·g)·g
	VADDPD Y4, Y2, Y2           // v
	VMOVUPD Y1, (SI)(AX*8)
	VMOVUPD Y2, (R8)(AX*8)
	VMULPD Y1, Y8, Y1           // a·m
	VSQRTPD Y2, Y2
	VADDPD Y9, Y2, Y2           // √v + eps
	VDIVPD Y2, Y1, Y1           // a·m / (√v + eps)
	VMOVUPD (DX)(AX*8), Y5      // p
	VSUBPD Y1, Y5, Y5           // p - that
	VMOVUPD Y5, (DX)(AX*8)
	ADDQ $4, AX
	CMPQ AX, CX
	JLT loop

done:
	VZEROUPPER
	RET
