package argon2

import (
	"bytes"
	"crypto/rand"
	"testing"

	upstream "golang.org/x/crypto/argon2"
)

// TestSameAsUpstream compares this copy with golang.org/x/crypto/argon2 at
// embedauth's default cost and around it, with random passwords and salts,
// with and without the prefetch, and with the pooled memory reused between
// calls of different sizes.
func TestSameAsUpstream(t *testing.T) {
	defer func(p bool) { usePrefetch = p }(usePrefetch)
	for _, prefetch := range []bool{usePrefetch, false} {
		usePrefetch = prefetch
		for _, c := range []struct {
			time, memory uint32
			threads      uint8
		}{{2, 19 * 1024, 1}, {1, 8 * 1024, 1}, {3, 4 * 1024, 2}, {2, 19 * 1024, 1}} {
			pw, salt := make([]byte, 20), make([]byte, 16)
			rand.Read(pw)
			rand.Read(salt)
			got := IDKey(pw, salt, c.time, c.memory, c.threads, 32)
			want := upstream.IDKey(pw, salt, c.time, c.memory, c.threads, 32)
			if !bytes.Equal(got, want) {
				t.Errorf("prefetch=%v t=%d m=%d p=%d: got %x, upstream %x", prefetch, c.time, c.memory, c.threads, got, want)
			}
			if got, want := Key(pw, salt, c.time, c.memory, c.threads, 32), upstream.Key(pw, salt, c.time, c.memory, c.threads, 32); !bytes.Equal(got, want) {
				t.Errorf("argon2i prefetch=%v t=%d m=%d p=%d: got %x, upstream %x", prefetch, c.time, c.memory, c.threads, got, want)
			}
		}
	}
}
