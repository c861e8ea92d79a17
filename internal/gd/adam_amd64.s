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
