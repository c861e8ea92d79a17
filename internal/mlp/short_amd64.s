#include "textflag.h"

// shortMask is 12 quadwords of all ones and then 12 of zeros: the three
// vectors from quadword 12-n hold n lanes of ones, then zeros, the mask of
// a row of n ≤ 12 float64s.
DATA shortMask<>+0(SB)/8, $-1
DATA shortMask<>+8(SB)/8, $-1
DATA shortMask<>+16(SB)/8, $-1
DATA shortMask<>+24(SB)/8, $-1
DATA shortMask<>+32(SB)/8, $-1
DATA shortMask<>+40(SB)/8, $-1
DATA shortMask<>+48(SB)/8, $-1
DATA shortMask<>+56(SB)/8, $-1
DATA shortMask<>+64(SB)/8, $-1
DATA shortMask<>+72(SB)/8, $-1
DATA shortMask<>+80(SB)/8, $-1
DATA shortMask<>+88(SB)/8, $-1
DATA shortMask<>+96(SB)/8, $0
DATA shortMask<>+104(SB)/8, $0
DATA shortMask<>+112(SB)/8, $0
DATA shortMask<>+120(SB)/8, $0
DATA shortMask<>+128(SB)/8, $0
DATA shortMask<>+136(SB)/8, $0
DATA shortMask<>+144(SB)/8, $0
DATA shortMask<>+152(SB)/8, $0
DATA shortMask<>+160(SB)/8, $0
DATA shortMask<>+168(SB)/8, $0
DATA shortMask<>+176(SB)/8, $0
DATA shortMask<>+184(SB)/8, $0
GLOBL shortMask<>(SB), RODATA|NOPTR, $192

// func axpy2x12(s0, s1 *float64, n int, x *float64, xnext, xstride int, b *float64, bstride, terms int)
//
// For t = 0 .. terms-1 in order, with v0 = x[t·xstride] and v1 =
// x[t·xstride + xnext] (byte offsets), and B the n ≤ 12 float64s at
// b + t·bstride: s0[0:n] += v0·B unless v0 == 0, and s1[0:n] += v1·B
// unless v1 == 0. Each product is rounded and then added (VMULPD, VADDPD:
// no fused multiply-add) and a term whose factor is ±0 is blended away,
// not added, so every element gets the bits of the Go loop that skips it.
// The rows are read and written through lane masks, never past n.
TEXT ·axpy2x12(SB), NOSPLIT, $0-72
	MOVQ s0+0(FP), DI
	MOVQ s1+8(FP), R9
	MOVQ n+16(FP), AX
	MOVQ $12, BX
	SUBQ AX, BX
	LEAQ shortMask<>(SB), R10
	LEAQ (R10)(BX*8), R10
	VMOVDQU 0(R10), Y6
	VMOVDQU 32(R10), Y7
	VMOVDQU 64(R10), Y8
	VMASKMOVPD 0(DI), Y6, Y0
	VMASKMOVPD 32(DI), Y7, Y1
	VMASKMOVPD 64(DI), Y8, Y2
	VMASKMOVPD 0(R9), Y6, Y3
	VMASKMOVPD 32(R9), Y7, Y4
	VMASKMOVPD 64(R9), Y8, Y5
	VXORPD Y9, Y9, Y9
	MOVQ x+24(FP), SI
	MOVQ xnext+32(FP), R8
	MOVQ xstride+40(FP), R11
	MOVQ b+48(FP), DX
	MOVQ bstride+56(FP), R12
	MOVQ terms+64(FP), CX
	TESTQ CX, CX
	JE done

loop:
	VBROADCASTSD (SI), Y10       // v0
	VBROADCASTSD (SI)(R8*1), Y11 // v1
	VCMPPD $4, Y9, Y10, Y12      // v0 != 0 (NaN too, as in Go)
	VCMPPD $4, Y9, Y11, Y13      // v1 != 0
	VMASKMOVPD 0(DX), Y6, Y14
	VMULPD Y14, Y10, Y15
	VADDPD Y0, Y15, Y15
	VBLENDVPD Y12, Y15, Y0, Y0
	VMULPD Y14, Y11, Y15
	VADDPD Y3, Y15, Y15
	VBLENDVPD Y13, Y15, Y3, Y3
	VMASKMOVPD 32(DX), Y7, Y14
	VMULPD Y14, Y10, Y15
	VADDPD Y1, Y15, Y15
	VBLENDVPD Y12, Y15, Y1, Y1
	VMULPD Y14, Y11, Y15
	VADDPD Y4, Y15, Y15
	VBLENDVPD Y13, Y15, Y4, Y4
	VMASKMOVPD 64(DX), Y8, Y14
	VMULPD Y14, Y10, Y15
	VADDPD Y2, Y15, Y15
	VBLENDVPD Y12, Y15, Y2, Y2
	VMULPD Y14, Y11, Y15
	VADDPD Y5, Y15, Y15
	VBLENDVPD Y13, Y15, Y5, Y5
	ADDQ R11, SI
	ADDQ R12, DX
	DECQ CX
	JNE loop

done:
	VMASKMOVPD Y0, Y6, 0(DI)
	VMASKMOVPD Y1, Y7, 32(DI)
	VMASKMOVPD Y2, Y8, 64(DI)
	VMASKMOVPD Y3, Y6, 0(R9)
	VMASKMOVPD Y4, Y7, 32(R9)
	VMASKMOVPD Y5, Y8, 64(R9)
	VZEROUPPER
	RET

// func dotCols8(c *float64, a *float64, k int, bT *float64, ldb, cols int)
//
// c[j] = 0 + dot(a[0:k], column j of bT) for j = 0 .. cols-1 (cols a
// multiple of 8; bT's rows ldb float64s apart), eight columns at a time,
// each lane summed as dot sums: four running sums from +0 (term t into
// sum t mod 4 while a whole group of four is left, the 1-3 left over into
// the first), then (s0+s2) + (s1+s3). Products are rounded and then added
// (no fused multiply-add). gemmNT's own 0 + dot is left out: sums that
// start from +0 are never -0, so adding +0 changes no bit.
TEXT ·dotCols8(SB), NOSPLIT, $0-48
	MOVQ c+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ k+16(FP), CX
	MOVQ bT+24(FP), DX
	MOVQ ldb+32(FP), R8
	SHLQ $3, R8
	MOVQ cols+40(FP), R9
	MOVQ CX, R10
	ANDQ $-4, R10 // the terms in whole groups of four

block:
	CMPQ R9, $8
	JLT done
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	MOVQ DX, R11
	XORQ AX, AX

quad:
	CMPQ AX, R10
	JGE tail
	VBROADCASTSD 0(SI)(AX*8), Y8
	VMULPD 0(R11), Y8, Y9
	VMULPD 32(R11), Y8, Y10
	VADDPD Y9, Y0, Y0
	VADDPD Y10, Y4, Y4
	ADDQ R8, R11
	VBROADCASTSD 8(SI)(AX*8), Y8
	VMULPD 0(R11), Y8, Y9
	VMULPD 32(R11), Y8, Y10
	VADDPD Y9, Y1, Y1
	VADDPD Y10, Y5, Y5
	ADDQ R8, R11
	VBROADCASTSD 16(SI)(AX*8), Y8
	VMULPD 0(R11), Y8, Y9
	VMULPD 32(R11), Y8, Y10
	VADDPD Y9, Y2, Y2
	VADDPD Y10, Y6, Y6
	ADDQ R8, R11
	VBROADCASTSD 24(SI)(AX*8), Y8
	VMULPD 0(R11), Y8, Y9
	VMULPD 32(R11), Y8, Y10
	VADDPD Y9, Y3, Y3
	VADDPD Y10, Y7, Y7
	ADDQ R8, R11
	ADDQ $4, AX
	JMP quad

tail:
	CMPQ AX, CX
	JGE sum
	VBROADCASTSD 0(SI)(AX*8), Y8
	VMULPD 0(R11), Y8, Y9
	VMULPD 32(R11), Y8, Y10
	VADDPD Y9, Y0, Y0
	VADDPD Y10, Y4, Y4
	ADDQ R8, R11
	INCQ AX
	JMP tail

sum:
	VADDPD Y2, Y0, Y0  // s0 + s2
	VADDPD Y3, Y1, Y1  // s1 + s3
	VADDPD Y1, Y0, Y0  // (s0+s2) + (s1+s3)
	VADDPD Y6, Y4, Y4
	VADDPD Y7, Y5, Y5
	VADDPD Y5, Y4, Y4
	VMOVUPD Y0, 0(DI)
	VMOVUPD Y4, 32(DI)
	ADDQ $64, DI
	ADDQ $64, DX
	SUBQ $8, R9
	JMP block

done:
	VZEROUPPER
	RET

// func reluBackprop4(d, z *float64, n int)
//
// d[i] = +0 where z[i] <= 0 (an ordered compare: a NaN z keeps its d),
// for i < n, n a multiple of 4: ReLU's backprop without a branch.
TEXT ·reluBackprop4(SB), NOSPLIT, $0-24
	MOVQ d+0(FP), DI
	MOVQ z+8(FP), SI
	MOVQ n+16(FP), CX
	VXORPD Y15, Y15, Y15
	XORQ AX, AX

relu:
	CMPQ AX, CX
	JGE reludone
	VMOVUPD 0(SI)(AX*8), Y0
	VMOVUPD 0(DI)(AX*8), Y1
	VCMPPD $2, Y15, Y0, Y2 // z <= 0, ordered
	VANDNPD Y1, Y2, Y1     // d where not, +0 where so
	VMOVUPD Y1, 0(DI)(AX*8)
	ADDQ $4, AX
	JMP relu

reludone:
	VZEROUPPER
	RET

// func narrow4(dst *float32, src *float64, n int)
//
// dst[i] = float32(src[i]) for i < n, n a multiple of 4: VCVTPD2PS rounds
// to nearest even, as Go's conversion does.
TEXT ·narrow4(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	XORQ AX, AX

narrow:
	CMPQ AX, CX
	JGE narrowdone
	VCVTPD2PSY 0(SI)(AX*8), X0
	VMOVUPS X0, 0(DI)(AX*4)
	ADDQ $4, AX
	JMP narrow

narrowdone:
	VZEROUPPER
	RET

// func widen4(dst *float64, src *float32, n int)
//
// dst[i] = float64(src[i]) for i < n, n a multiple of 4: VCVTPS2PD is
// exact, as Go's conversion is (a NaN is quieted by both).
TEXT ·widen4(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	XORQ AX, AX

widen:
	CMPQ AX, CX
	JGE widendone
	VCVTPS2PD 0(SI)(AX*4), Y0
	VMOVUPD Y0, 0(DI)(AX*8)
	ADDQ $4, AX
	JMP widen

widendone:
	VZEROUPPER
	RET

// func widenAdd4(dst, b *float64, src *float32, n int)
//
// dst[i] = b[i] + float64(src[i]) for i < n, n a multiple of 4: the
// exact widening, then one rounded addition (VADDPD), as in Go.
TEXT ·widenAdd4(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ b+8(FP), BX
	MOVQ src+16(FP), SI
	MOVQ n+24(FP), CX
	XORQ AX, AX

widenadd:
	CMPQ AX, CX
	JGE widenadddone
	VMOVUPD 0(BX)(AX*8), Y1
	VCVTPS2PD 0(SI)(AX*4), Y0
	VADDPD Y0, Y1, Y0 // b first, as in the Go expression
	VMOVUPD Y0, 0(DI)(AX*8)
	ADDQ $4, AX
	JMP widenadd

widenadddone:
	VZEROUPPER
	RET
