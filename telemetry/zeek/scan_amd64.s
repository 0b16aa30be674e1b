//go:build !purego

#include "textflag.h"

// func eqMasks16(b []byte, c byte, masks []uint64)
TEXT ·eqMasks16(SB), NOSPLIT, $0-56
	MOVQ    b_base+0(FP), SI
	MOVQ    b_len+8(FP), BX
	MOVBQZX c+24(FP), AX
	MOVQ    masks_base+32(FP), DI

	// X0 = c in all 16 bytes.
	MOVQ      AX, X0
	PUNPCKLBW X0, X0
	PSHUFLW   $0, X0, X0
	PSHUFD    $0, X0, X0

	// Whole 64-byte words.
	MOVQ BX, R8
	SHRQ $6, R8

chunk:
	TESTQ    R8, R8
	JZ       tail
	MOVOU    0(SI), X1
	MOVOU    16(SI), X2
	MOVOU    32(SI), X3
	MOVOU    48(SI), X4
	PCMPEQB  X0, X1
	PCMPEQB  X0, X2
	PCMPEQB  X0, X3
	PCMPEQB  X0, X4
	PMOVMSKB X1, AX
	PMOVMSKB X2, DX
	PMOVMSKB X3, R9
	PMOVMSKB X4, R10
	SHLQ     $16, DX
	SHLQ     $32, R9
	SHLQ     $48, R10
	ORQ      DX, AX
	ORQ      R9, AX
	ORQ      R10, AX
	MOVQ     AX, (DI)
	ADDQ     $64, SI
	ADDQ     $8, DI
	DECQ     R8
	JMP      chunk

tail:
	// The 0-3 blocks of 16 left, into one last word.
	MOVQ BX, R8
	ANDQ $63, R8
	SHRQ $4, R8
	XORQ DX, DX
	XORQ CX, CX

block:
	TESTQ    R8, R8
	JZ       done
	MOVOU    (SI), X1
	PCMPEQB  X0, X1
	PMOVMSKB X1, AX
	SHLQ     CX, AX
	ORQ      AX, DX
	ADDQ     $16, SI
	ADDQ     $16, CX
	DECQ     R8
	JMP      block

done:
	MOVQ DX, (DI)
	RET
