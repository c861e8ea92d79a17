#include "textflag.h"

// func lazyAdam4(p, g, m, v []float64, b1, k1, b2, k2, alpha, eps float64)
//
// The loop of LazyAdam.lazyChunk four entries at a time (len(g) a
// multiple of 4): for g[i] not +0, m[i] = b1·m[i] + k1·g,
// v[i] = b2·v[i] + (k2·g)·g, p[i] -= alpha·m[i] / (√v[i] + eps), each
// operation rounded as the Go code rounds it (no fused multiply-add); an
// entry whose g is +0 is left as it is (blended back).
TEXT ·lazyAdam4(SB), NOSPLIT, $0-144
	MOVQ p_base+0(FP), DI
	MOVQ g_base+24(FP), SI
	MOVQ g_len+32(FP), CX
	MOVQ m_base+48(FP), DX
	MOVQ v_base+72(FP), R8
	VBROADCASTSD b1+96(FP), Y10
	VBROADCASTSD k1+104(FP), Y11
	VBROADCASTSD b2+112(FP), Y12
	VBROADCASTSD k2+120(FP), Y13
	VBROADCASTSD alpha+128(FP), Y8
	VBROADCASTSD eps+136(FP), Y7
	VPXOR Y14, Y14, Y14
	XORQ AX, AX
	TESTQ CX, CX
	JE done

loop:
	VMOVUPD (SI)(AX*8), Y0      // g
	VMOVUPD (DX)(AX*8), Y1      // m
	VMOVUPD (R8)(AX*8), Y2      // v
	VPCMPEQQ Y14, Y0, Y9        // g is +0
	VMULPD Y1, Y10, Y3          // b1·m
	VMULPD Y0, Y11, Y4          // k1·g
	VADDPD Y4, Y3, Y3           // mi = b1·m + k1·g
	VMULPD Y2, Y12, Y4          // b2·v
	VMULPD Y0, Y13, Y5          // k2·g
	VMULPD Y0, Y5, Y5           // (k2·g)·g
	VADDPD Y5, Y4, Y4           // vi = b2·v + (k2·g)·g
	VSQRTPD Y4, Y5
	VADDPD Y7, Y5, Y5           // √vi + eps
	VMULPD Y3, Y8, Y6           // alpha·mi
	VDIVPD Y5, Y6, Y6           // alpha·mi / (√vi + eps)
	VMOVUPD (DI)(AX*8), Y15     // p
	VSUBPD Y6, Y15, Y6          // p - that
	VBLENDVPD Y9, Y1, Y3, Y3    // m where g is +0
	VBLENDVPD Y9, Y2, Y4, Y4    // v where g is +0
	VBLENDVPD Y9, Y15, Y6, Y6   // p where g is +0
	VMOVUPD Y3, (DX)(AX*8)
	VMOVUPD Y4, (R8)(AX*8)
	VMOVUPD Y6, (DI)(AX*8)
	ADDQ $4, AX
	CMPQ AX, CX
	JLT loop

done:
	VZEROUPPER
	RET

// func lazyAdam8(p, g, m, v []float64, b1, k1, b2, k2, alpha, eps float64)
//
// lazyAdam4 eight entries at a time in ZMM registers (AVX-512F, len(g) a
// multiple of 8): the same operations, each rounded alike; the entries
// whose g is +0 are masked out of the stores instead of blended.
TEXT ·lazyAdam8(SB), NOSPLIT, $0-144
	MOVQ p_base+0(FP), DI
	MOVQ g_base+24(FP), SI
	MOVQ g_len+32(FP), CX
	MOVQ m_base+48(FP), DX
	MOVQ v_base+72(FP), R8
	VBROADCASTSD b1+96(FP), Z10
	VBROADCASTSD k1+104(FP), Z11
	VBROADCASTSD b2+112(FP), Z12
	VBROADCASTSD k2+120(FP), Z13
	VBROADCASTSD alpha+128(FP), Z8
	VBROADCASTSD eps+136(FP), Z7
	VPXORQ Z14, Z14, Z14
	XORQ AX, AX
	TESTQ CX, CX
	JE done8

loop8:
	VMOVUPD (SI)(AX*8), Z0      // g
	VPCMPQ $4, Z14, Z0, K1      // g is not +0 (its bits differ from 0)
	VMOVUPD (DX)(AX*8), Z1      // m
	VMOVUPD (R8)(AX*8), Z2      // v
	VMULPD Z1, Z10, Z3          // b1·m
	VMULPD Z0, Z11, Z4          // k1·g
	VADDPD Z4, Z3, Z3           // mi = b1·m + k1·g
	VMULPD Z2, Z12, Z4          // b2·v
	VMULPD Z0, Z13, Z5          // k2·g
	VMULPD Z0, Z5, Z5           // (k2·g)·g
	VADDPD Z5, Z4, Z4           // vi = b2·v + (k2·g)·g
	VSQRTPD Z4, Z5
	VADDPD Z7, Z5, Z5           // √vi + eps
	VMULPD Z3, Z8, Z6           // alpha·mi
	VDIVPD Z5, Z6, Z6           // alpha·mi / (√vi + eps)
	VMOVUPD (DI)(AX*8), Z15     // p
	VSUBPD Z6, Z15, Z6          // p - that
	VMOVUPD Z3, K1, (DX)(AX*8)
	VMOVUPD Z4, K1, (R8)(AX*8)
	VMOVUPD Z6, K1, (DI)(AX*8)
	ADDQ $8, AX
	CMPQ AX, CX
	JLT loop8

done8:
	VZEROUPPER
	RET
