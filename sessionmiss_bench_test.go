package auth_test

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/authtest"
)

// BenchmarkSessionCacheMiss measures an authenticated request through
// Middleware when the session is not in the cache (the cache is off), in
// a database of 1,000 and of 100,000 live sessions with their cookie
// tokens, each request with the cookie of a session picked at random.
// Every request must be authenticated. The two sizes run in the same
// process, one after the other; compare their ns/op.
//
//	go test -run XXX -bench SessionCacheMiss -benchtime 20000x -count 3 .
func BenchmarkSessionCacheMiss(b *testing.B) {
	for _, n := range []int{1_000, 100_000} {
		b.Run(fmt.Sprintf("sessions=%dk", n/1000), func(b *testing.B) {
			env := authtest.New(b, func(c *auth.Config) { c.SessionCacheTTL = -1 }, secQuietLog)
			cookies := seedSessions(b, env, n)
			var anon int
			h := env.Auth.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if _, ok := auth.UserFrom(r.Context()); !ok {
					anon++
				}
			}))
			rng := rand.New(rand.NewPCG(1, 2))
			reqs := make([]*http.Request, 4096)
			for i := range reqs {
				reqs[i] = httptest.NewRequest("GET", "/app", nil)
				reqs[i].Header.Set("Cookie", cookies[rng.IntN(n)])
			}
			w := &discard{h: http.Header{}}
			b.ReportAllocs()
			c0 := processCPU()
			b.ResetTimer()
			for i := range b.N {
				h.ServeHTTP(w, reqs[i%len(reqs)])
			}
			b.StopTimer()
			b.ReportMetric(float64((processCPU()-c0).Nanoseconds())/float64(b.N), "cpu-ns/op")
			if anon > 0 {
				b.Fatalf("%d requests were not authenticated", anon)
			}
		})
	}
}

// BenchmarkSessionMissInterleaved is BenchmarkSessionCacheMiss's
// comparison made robust to a shared machine: the 1,000- and
// 100,000-session databases are both open, and requests alternate between
// them in chunks of 500, each chunk timed by its thread's CPU time, so
// that both sizes run under the same load. It reports the median, over
// the chunks, of the 100k chunk's CPU per request over the 1k chunk's
// just before it ("ratio", the figure the target bounds), and the medians
// of each side's CPU per request. The first pass over the sessions
// (page cache and OS reads warming up) is in the chunks too; b.N is the
// number of chunk pairs.
//
//	go test -run XXX -bench SessionMissInterleaved -benchtime 40x -count 3 .
func BenchmarkSessionMissInterleaved(b *testing.B) {
	type side struct {
		h    http.Handler
		reqs []*http.Request
		anon int
		next int
		cpu  []float64 // µs a request, per chunk
	}
	open := func(n int) *side {
		env := authtest.New(b, func(c *auth.Config) { c.SessionCacheTTL = -1 }, secQuietLog)
		cookies := seedSessions(b, env, n)
		s := &side{}
		s.h = env.Auth.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, ok := auth.UserFrom(r.Context()); !ok {
				s.anon++
			}
		}))
		rng := rand.New(rand.NewPCG(1, 2))
		s.reqs = make([]*http.Request, 4096)
		for i := range s.reqs {
			s.reqs[i] = httptest.NewRequest("GET", "/app", nil)
			s.reqs[i].Header.Set("Cookie", cookies[rng.IntN(n)])
		}
		return s
	}
	small, big := open(1_000), open(100_000)
	runtime.LockOSThread() // threadCPU measures this goroutine's thread
	defer runtime.UnlockOSThread()
	w := &discard{h: http.Header{}}
	const chunk = 500
	var ratios []float64
	b.ResetTimer()
	for range b.N {
		for _, s := range []*side{small, big} {
			c0 := threadCPU()
			for range chunk {
				s.h.ServeHTTP(w, s.reqs[s.next%len(s.reqs)])
				s.next++
			}
			s.cpu = append(s.cpu, float64((threadCPU()-c0).Nanoseconds())/chunk/1e3)
		}
		ratios = append(ratios, big.cpu[len(big.cpu)-1]/small.cpu[len(small.cpu)-1])
	}
	b.StopTimer()
	if small.anon+big.anon > 0 {
		b.Fatalf("%d requests were not authenticated", small.anon+big.anon)
	}
	median := func(x []float64) float64 { x = slices.Clone(x); slices.Sort(x); return x[len(x)/2] }
	b.ReportMetric(median(ratios), "ratio")
	b.ReportMetric(median(small.cpu), "1k-cpu-µs/req")
	b.ReportMetric(median(big.cpu), "100k-cpu-µs/req")
}

// processCPU is the CPU time (user and system) of this process so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// threadCPU is the CPU time (user and system) of the calling thread so
// far; the caller locks its goroutine to the thread.
func threadCPU() time.Duration {
	const rusageThread = 1 // RUSAGE_THREAD (Linux)
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return processCPU()
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// seedSessions writes n live sessions of n users, each with a cookie
// token, straight into the database, and returns their cookie headers.
func seedSessions(b *testing.B, env *authtest.Env, n int) []string {
	db := env.Auth.Store().SQL()
	tx, err := db.Begin()
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().UnixMilli()
	exp := time.Now().Add(24 * time.Hour).UnixMilli()
	// Users and sessions in two statements; the tokens, whose hashes Go
	// computes, through one prepared statement.
	if _, err := tx.Exec(`WITH RECURSIVE i(n) AS (SELECT 0 UNION ALL SELECT n+1 FROM i WHERE n+1 < $1)
		INSERT INTO auth_users (id, email, email_key, email_verified, created_at, updated_at)
		SELECT printf('user_seed%07d', n), printf('seed%d@example.com', n), printf('seed%d@example.com', n), 1, $2, $2 FROM i`, n, now); err != nil {
		b.Fatal(err)
	}
	if _, err := tx.Exec(`WITH RECURSIVE i(n) AS (SELECT 0 UNION ALL SELECT n+1 FROM i WHERE n+1 < $1)
		INSERT INTO auth_sessions (id, user_id, auth_method, created_at, last_active_at, expires_at)
		SELECT printf('sess_seed%07d', n), printf('user_seed%07d', n), 'password', $2, $2, $3 FROM i`, n, now, exp); err != nil {
		b.Fatal(err)
	}
	stmt, err := tx.Prepare(`INSERT INTO auth_session_tokens (token_hash, data, expiry, session_id) VALUES ($1, $2, $3, $4)`)
	if err != nil {
		b.Fatal(err)
	}
	cookies := make([]string, n)
	for i := range n {
		sid := fmt.Sprintf("sess_seed%07d", i)
		token := base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "seed-token-%07d-padding-to-32b", i))
		sum := sha256.Sum256([]byte(token))
		data := fmt.Sprintf(`{"d":"%s","v":{"sid":"%s"}}`, time.UnixMilli(exp).UTC().Format(time.RFC3339Nano), sid)
		if _, err := stmt.Exec(base64.RawURLEncoding.EncodeToString(sum[:]), []byte(data), exp, sid); err != nil {
			b.Fatal(err)
		}
		cookies[i] = "embedauth_session=" + token
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	return cookies
}
