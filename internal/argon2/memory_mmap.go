//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package argon2

import (
	"syscall"
	"unsafe"
)

// allocBlocks maps n blocks of anonymous memory outside the Go heap (the
// heap is the fallback if mapping fails).
func allocBlocks(n uint32) ([]block, func()) {
	size := int(n) * blockLength * 8
	mem, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return make([]block, n), func() {}
	}
	return unsafe.Slice((*block)(unsafe.Pointer(&mem[0])), n), func() { syscall.Munmap(mem) }
}
