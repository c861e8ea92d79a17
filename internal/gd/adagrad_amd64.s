#include "textflag.h"

// func adagrad4(p, g, acc []float64, lr, eps float64)
//
// The loop of Adagrad.chunk four entries at a time (len(g) a multiple of
// 4): for g[i] not +0, a = acc[i] + g·g, acc[i] = a,
// p[i] -= lr·g / (√a + eps), each operation rounded as the Go code rounds
// it (no fused multiply-add); an entry whose g is +0 is left as it is
// (blended back), and four of them together are skipped without reading
// acc and p: once most of a hinge-loss batch meets its margins, most
// gradient rows of its features are +0 throughout, which the Go loop
// skips entry by entry.
TEXT ·adagrad4(SB), NOSPLIT, $0-88
	MOVQ p_base+0(FP), DI
	MOVQ g_base+24(FP), SI
	MOVQ g_len+32(FP), CX
	MOVQ acc_base+48(FP), R8
	VBROADCASTSD lr+72(FP), Y12
	VBROADCASTSD eps+80(FP), Y13
	VPXOR Y14, Y14, Y14
	XORQ AX, AX
	TESTQ CX, CX
	JE done

loop:
	VMOVUPD (SI)(AX*8), Y0      // g
	VPCMPEQQ Y14, Y0, Y9        // g is +0
	VMOVMSKPD Y9, R11
	CMPQ R11, $15
	JEQ next                    // all four: nothing to do, nothing to read
	VMOVUPD (R8)(AX*8), Y1      // acc
	VMOVUPD (DI)(AX*8), Y2      // p
	VMULPD Y0, Y0, Y3           // g·g
	VADDPD Y3, Y1, Y3           // a = acc + g·g
	VSQRTPD Y3, Y4
	VADDPD Y13, Y4, Y4          // √a + eps
	VMULPD Y0, Y12, Y5          // lr·g
	VDIVPD Y4, Y5, Y5           // lr·g / (√a + eps)
	VSUBPD Y5, Y2, Y5           // p - that
	VBLENDVPD Y9, Y1, Y3, Y3    // acc where g is +0
	VBLENDVPD Y9, Y2, Y5, Y5    // p where g is +0
	VMOVUPD Y3, (R8)(AX*8)
	VMOVUPD Y5, (DI)(AX*8)

next:
	ADDQ $4, AX
	CMPQ AX, CX
	JLT loop

done:
	VZEROUPPER
	RET

// func adagrad8(p, g, acc []float64, lr, eps float64)
//
// adagrad4 eight entries at a time in ZMM registers (AVX-512F, len(g) a
// multiple of 8): the same operations, each rounded alike; the entries
// whose g is +0 are masked out of the stores instead of blended.
TEXT ·adagrad8(SB), NOSPLIT, $0-88
	MOVQ p_base+0(FP), DI
	MOVQ g_base+24(FP), SI
	MOVQ g_len+32(FP), CX
	MOVQ acc_base+48(FP), R8
	VBROADCASTSD lr+72(FP), Z12
	VBROADCASTSD eps+80(FP), Z13
	VPXORQ Z14, Z14, Z14
	XORQ AX, AX
	TESTQ CX, CX
	JE done8

loop8:
	VMOVUPD (SI)(AX*8), Z0      // g
	VPCMPQ $4, Z14, Z0, K1      // g is not +0 (its bits differ from 0)
	KORTESTW K1, K1
	JEQ next8                   // all eight +0: nothing to do, nothing to read
	VMULPD Z0, Z0, Z3           // g·g
	VMOVUPD (R8)(AX*8), Z1      // acc
	VADDPD Z3, Z1, Z3           // a = acc + g·g
	VSQRTPD Z3, Z4
	VADDPD Z13, Z4, Z4          // √a + eps
	VMULPD Z0, Z12, Z5          // lr·g
	VDIVPD Z4, Z5, Z5           // lr·g / (√a + eps)
	VMOVUPD (DI)(AX*8), Z2      // p
	VSUBPD Z5, Z2, Z5           // p - that
	VMOVUPD Z3, K1, (R8)(AX*8)
	VMOVUPD Z5, K1, (DI)(AX*8)

next8:
	ADDQ $8, AX
	CMPQ AX, CX
	JLT loop8

done8:
	VZEROUPPER
	RET
