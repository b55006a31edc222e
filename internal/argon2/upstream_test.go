package argon2

import (
	"bytes"
	"crypto/rand"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

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

// BenchmarkUpstreamDefaultCost is BenchmarkDefaultCost's measure of
// golang.org/x/crypto/argon2 as it is (its API takes no working memory:
// each hash allocates its 19 MiB on the Go heap).
func BenchmarkUpstreamDefaultCost(b *testing.B) {
	password, salt := []byte("violet tractor umbrella 42"), []byte("0123456789abcdef")
	b.Run("one", func(b *testing.B) {
		for b.Loop() {
			upstream.IDKey(password, salt, 2, 19*1024, 1, 32)
		}
	})
	b.Run("every-core", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				upstream.IDKey(password, salt, 2, 19*1024, 1, 32)
			}
		})
	})
}

// BenchmarkForkVsUpstream settles whether this fork earns its keep: in
// short alternating rounds (so that a neighbour's load hits every side
// alike), two hashes at once at the default cost (every core of the
// reference machine) with this package's prefetch, without it (upstream's
// code with reused working memory), and with golang.org/x/crypto/argon2
// itself. It reports the median over rounds of each side's time against
// upstream's.
//
//	go test -run XXX -bench ForkVsUpstream -benchtime 15x ./internal/argon2
func BenchmarkForkVsUpstream(b *testing.B) {
	defer func(p bool) { usePrefetch = p }(usePrefetch)
	password, salt := []byte("violet tractor umbrella 42"), []byte("0123456789abcdef")
	const perCore = 3
	cores := runtime.GOMAXPROCS(0)
	round := func(hash func()) time.Duration {
		start := time.Now()
		var wg sync.WaitGroup
		for range cores {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range perCore {
					hash()
				}
			}()
		}
		wg.Wait()
		return time.Since(start)
	}
	fork := func(prefetch bool) func() {
		return func() {
			usePrefetch = prefetch
			IDKey(password, salt, 2, 19*1024, 1, 32)
		}
	}
	up := func() { upstream.IDKey(password, salt, 2, 19*1024, 1, 32) }
	withPrefetch := usePrefetch
	var pre, noPre, ups []float64
	for b.Loop() {
		u := round(up)
		n := round(fork(false))
		ups = append(ups, float64(u))
		noPre = append(noPre, float64(n)/float64(u))
		if withPrefetch {
			p := round(fork(true))
			pre = append(pre, float64(p)/float64(u))
		}
	}
	med := func(v []float64) float64 {
		if len(v) == 0 {
			return 0
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	b.ReportMetric(med(ups)/float64(cores*perCore)/1e6, "upstream-ms/hash/core")
	b.ReportMetric(med(noPre), "no-prefetch/upstream")
	b.ReportMetric(med(pre), "prefetch/upstream")
}
