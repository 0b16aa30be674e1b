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

// func ipv4Bits(b []byte) (uint32, bool)
TEXT ·ipv4Bits(SB), NOSPLIT, $0-29
	MOVQ b_base+0(FP), SI
	MOVQ b_len+8(FP), BX
	CMPQ BX, $7
	JB   fail
	CMPQ BX, $15
	JA   fail
	LEAQ (SI)(BX*1), DI       // end
	XORL R8, R8               // the address so far
	MOVL $4, R10              // parts left

part:
	// A part: one digit, then up to two more (none after a leading 0).
	CMPQ    SI, DI
	JAE     fail
	MOVBLZX (SI), CX
	SUBL    $48, CX
	CMPL    CX, $9
	JA      fail
	INCQ    SI
	CMPQ    SI, DI
	JAE     endpart
	MOVBLZX (SI), DX
	SUBL    $48, DX
	CMPL    DX, $9
	JA      endpart
	TESTL   CX, CX
	JZ      fail              // a leading zero
	LEAL    (CX)(CX*4), CX
	LEAL    (DX)(CX*2), CX
	INCQ    SI
	CMPQ    SI, DI
	JAE     endpart
	MOVBLZX (SI), DX
	SUBL    $48, DX
	CMPL    DX, $9
	JA      endpart
	LEAL    (CX)(CX*4), CX
	LEAL    (DX)(CX*2), CX
	INCQ    SI
	CMPL    CX, $255
	JA      fail

endpart:
	// A fourth digit fails below, where a dot or the end must follow.
	SHLL $8, R8
	ORL  CX, R8
	DECL R10
	JZ   last
	CMPQ SI, DI
	JAE  fail
	CMPB (SI), $0x2e          // '.'
	JNE  fail
	INCQ SI
	JMP  part

last:
	CMPQ SI, DI
	JNE  fail
	MOVL R8, ret+24(FP)
	MOVB $1, ret1+28(FP)
	RET

fail:
	MOVL $0, ret+24(FP)
	MOVB $0, ret1+28(FP)
	RET
