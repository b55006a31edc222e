package auth_test

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
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
			b.ResetTimer()
			for i := range b.N {
				h.ServeHTTP(w, reqs[i%len(reqs)])
			}
			b.StopTimer()
			if anon > 0 {
				b.Fatalf("%d requests were not authenticated", anon)
			}
		})
	}
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
