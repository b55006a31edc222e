// Copyright 2017 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

//go:build amd64 && gc && !purego

package argon2

// blamkaHeadSSE4 and blamkaTailSSE4 are blamkaSSE4 cut in two: the eight
// row rounds and the first column round, then the other seven column
// rounds. After the head, word 0 of the block is final.
//
//go:noescape
func blamkaHeadSSE4(b *block)

//go:noescape
func blamkaTailSSE4(b *block)

// prefetchBlock asks the CPU to start loading the block's 16 cache lines.
//
//go:noescape
func prefetchBlock(b *block)

// processBlockAhead computes a block as processBlock does (xor false) or
// XORs it into out (xor true, the passes after the first) and, as soon as
// the new block's first word is known, passes it to next and prefetches the
// block next returns (if any) while the last seven of the sixteen rounds
// run. In Argon2's data-dependent passes that word picks the next
// reference block, a random block of the 19 MiB working memory, which is
// otherwise loaded only when the next block starts and waited for; two
// hashes on two cores do not fit the shared cache together, so the wait is
// longest exactly when the server is busiest.
func processBlockAhead(out, in1, in2 *block, xor bool, next func(w0 uint64) *block) {
	if !useSSE4 || !usePrefetch {
		processBlockSSE(out, in1, in2, xor)
		return
	}
	var t block
	mixBlocksSSE2(&t, in1, in2, &t)
	blamkaHeadSSE4(&t)
	w0 := in1[0] ^ in2[0] ^ t[0]
	if xor {
		w0 ^= out[0]
	}
	if b := next(w0); b != nil {
		prefetchBlock(b)
	}
	blamkaTailSSE4(&t)
	if xor {
		xorBlocksSSE2(out, in1, in2, &t)
	} else {
		mixBlocksSSE2(out, in1, in2, &t)
	}
}
