#include "textflag.h"

// func rmspropLazy4(p, g, avg []float64, keep, d, lr, eps float64)
//
// The loop of RMSprop.lazyChunk four entries at a time (len(g) a multiple
// of 4): for g[i] not +0, a = avg[i] + keep·g·g, avg[i] = a,
// p[i] -= lr·g / (√(d·a) + eps), each operation rounded as the Go code
// rounds it (no fused multiply-add); an entry whose g is +0 is left as
// it is (blended back).
TEXT ·rmspropLazy4(SB), NOSPLIT, $0-104
	MOVQ p_base+0(FP), DI
	MOVQ g_base+24(FP), SI
	MOVQ g_len+32(FP), CX
	MOVQ avg_base+48(FP), R8
	VBROADCASTSD keep+72(FP), Y10
	VBROADCASTSD d+80(FP), Y11
	VBROADCASTSD lr+88(FP), Y12
	VBROADCASTSD eps+96(FP), Y13
	VPXOR Y14, Y14, Y14
	XORQ AX, AX
	TESTQ CX, CX
	JE done

loop:
	VMOVUPD (SI)(AX*8), Y0      // g
	VMOVUPD (R8)(AX*8), Y1      // avg
	VMOVUPD (DI)(AX*8), Y2      // p
	VPCMPEQQ Y14, Y0, Y9        // g is +0
	VMULPD Y0, Y10, Y3          // keep·g
	VMULPD Y0, Y3, Y3           // ·g
	VADDPD Y3, Y1, Y3           // a = avg + keep·g·g
	VMULPD Y3, Y11, Y4          // d·a
	VSQRTPD Y4, Y4
	VADDPD Y13, Y4, Y4          // √(d·a) + eps
	VMULPD Y0, Y12, Y5          // lr·g
	VDIVPD Y4, Y5, Y5           // lr·g / (√(d·a) + eps)
	VSUBPD Y5, Y2, Y5           // p - that
	VBLENDVPD Y9, Y1, Y3, Y3    // avg where g is +0
	VBLENDVPD Y9, Y2, Y5, Y5    // p where g is +0
	VMOVUPD Y3, (R8)(AX*8)
	VMOVUPD Y5, (DI)(AX*8)
	ADDQ $4, AX
	CMPQ AX, CX
	JLT loop

done:
	VZEROUPPER
	RET
