// Copyright 2017 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

//go:build !amd64 || purego || !gc

package argon2

func processBlock(out, in1, in2 *block) {
	processBlockGeneric(out, in1, in2, false)
}

// processBlockAhead computes a block (xor false) or XORs it into out (xor
// true); next, a prefetch hint for the amd64 assembly, is not needed here.
func processBlockAhead(out, in1, in2 *block, xor bool, _ func(uint64) *block) {
	processBlockGeneric(out, in1, in2, xor)
}
