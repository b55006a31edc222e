//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package argon2

// allocBlocks allocates n blocks on the Go heap; the garbage collector
// frees them once released.
func allocBlocks(n uint32) ([]block, func()) {
	return make([]block, n), func() {}
}
