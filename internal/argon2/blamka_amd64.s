// Upstream's generated code (go run blamka_amd64.go -out ../blamka_amd64.s -pkg argon2)
// without blamkaSSE4, which ahead_amd64.s holds in two halves.

//go:build amd64 && gc && !purego

#include "textflag.h"

// func mixBlocksSSE2(out *block, a *block, b *block, c *block)
// Requires: SSE2
TEXT ·mixBlocksSSE2(SB), NOSPLIT, $0-32
	MOVQ out+0(FP), DX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), BX
	MOVQ c+24(FP), CX
	MOVQ $0x00000080, DI

loop:
	MOVOU (AX), X0
	MOVOU (BX), X1
	MOVOU (CX), X2
	PXOR  X1, X0
	PXOR  X2, X0
	MOVOU X0, (DX)
	ADDQ  $0x10, AX
	ADDQ  $0x10, BX
	ADDQ  $0x10, CX
	ADDQ  $0x10, DX
	SUBQ  $0x02, DI
	JA    loop
	RET

// func xorBlocksSSE2(out *block, a *block, b *block, c *block)
// Requires: SSE2
TEXT ·xorBlocksSSE2(SB), NOSPLIT, $0-32
	MOVQ out+0(FP), DX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), BX
	MOVQ c+24(FP), CX
	MOVQ $0x00000080, DI

loop:
	MOVOU (AX), X0
	MOVOU (BX), X1
	MOVOU (CX), X2
	MOVOU (DX), X3
	PXOR  X1, X0
	PXOR  X2, X0
	PXOR  X3, X0
	MOVOU X0, (DX)
	ADDQ  $0x10, AX
	ADDQ  $0x10, BX
	ADDQ  $0x10, CX
	ADDQ  $0x10, DX
	SUBQ  $0x02, DI
	JA    loop
	RET
