//go:build !purego

#include "textflag.h"

// func chunkIndexes(b []byte, c byte, out []int, base int) (int, bool)
TEXT ·chunkIndexes(SB), NOSPLIT, $0-73
	MOVQ    b_base+0(FP), SI
	MOVQ    b_len+8(FP), BX
	MOVBQZX c+24(FP), R13
	MOVQ    out_base+32(FP), DI
	MOVQ    base+56(FP), R8
	MOVQ    DI, R11           // out start, for the count
	XORQ    R12, R12          // a backslash was seen (tail and short path)

	// X0 = c, X5 = '\\' in all 16 bytes; X6 collects backslash hits.
	MOVQ      R13, X0
	PUNPCKLBW X0, X0
	PSHUFLW   $0, X0, X0
	PSHUFD    $0, X0, X0
	MOVQ      $0x5c, AX
	MOVQ      AX, X5
	PUNPCKLBW X5, X5
	PSHUFLW   $0, X5, X5
	PSHUFD    $0, X5, X5
	PXOR      X6, X6

	CMPQ BX, $16
	JB   short
	MOVQ BX, R9
	SHRQ $4, R9               // whole blocks of 16

block:
	MOVOU    (SI), X1
	MOVO     X1, X2
	PCMPEQB  X0, X1
	PCMPEQB  X5, X2
	POR      X2, X6
	PMOVMSKB X1, AX
	TESTL    AX, AX
	JZ       next

bits:
	BSFL AX, DX
	ADDQ R8, DX
	MOVQ DX, (DI)
	ADDQ $8, DI
	LEAL -1(AX), CX
	ANDL CX, AX
	JNZ  bits

next:
	ADDQ $16, SI
	ADDQ $16, R8
	DECQ R9
	JNZ  block

	// The last 1-15 bytes: the 16 that end at the end of b, shifted
	// right by the 16-rest already seen, so that bit 0 is at R8.
	MOVQ     BX, CX
	ANDQ     $15, CX
	JZ       done
	MOVOU    -16(SI)(CX*1), X1
	MOVO     X1, X2
	PCMPEQB  X0, X1
	PCMPEQB  X5, X2
	PMOVMSKB X1, AX
	PMOVMSKB X2, DX
	NEGQ     CX
	ADDQ     $16, CX
	SHRL     CX, AX
	SHRL     CX, DX
	ORL      DX, R12
	TESTL    AX, AX
	JZ       done

tailbits:
	BSFL AX, DX
	ADDQ R8, DX
	MOVQ DX, (DI)
	ADDQ $8, DI
	LEAL -1(AX), CX
	ANDL CX, AX
	JNZ  tailbits
	JMP  done

short:
	// Fewer than 16 bytes: one at a time.
	TESTQ BX, BX
	JZ    done

byte:
	MOVBLZX (SI), AX
	CMPB    AX, R13
	JNE     notc
	MOVQ    R8, (DI)
	ADDQ    $8, DI

notc:
	CMPB AX, $0x5c
	JNE  notesc
	MOVL $1, R12

notesc:
	INCQ SI
	INCQ R8
	DECQ BX
	JNZ  byte

done:
	PMOVMSKB X6, AX
	ORL      AX, R12
	SUBQ     R11, DI
	SHRQ     $3, DI
	MOVQ     DI, ret+64(FP)
	TESTL    R12, R12
	SETNE    ret1+72(FP)
	RET
