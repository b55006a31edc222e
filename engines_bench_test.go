package auth_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/authtest"
	"github.com/embedauth/auth/core"
)

// BenchmarkEngines compares SQLite and PostgreSQL (the server named by
// EMBEDAUTH_POSTGRES_URL) on the two database paths every app runs most:
// an authenticated request whose session is not in the cache (the cache
// off; one of 200 signed-in sessions each request), and creating and
// ending a session (the writes of a sign-in and a sign-out, without the
// password hash), one at a time and from 8 goroutines at once.
//
//	go test -run XXX -bench Engines -benchtime 3s -count 2 .
func BenchmarkEngines(b *testing.B) {
	for _, engine := range engines {
		b.Run(engine, func(b *testing.B) {
			opts := []authtest.Option{func(c *auth.Config) { c.SessionCacheTTL = -1 }, secQuietLog}
			if engine == "postgres" {
				opts = append(opts, withPostgres(b))
			}
			env := authtest.New(b, opts...)
			ctx := context.Background()
			const n = 200
			pw := authtest.Password()
			var cookies []string
			var users []string
			for i := range n {
				email := fmt.Sprintf("u%d@example.com", i)
				users = append(users, env.CreateUser(b, email, pw).ID)
				c := env.Client()
				env.SignInWithPassword(b, c, email, pw)
				base, _ := url.Parse(env.URL)
				var cookie []string
				for _, k := range c.Jar.Cookies(base) {
					cookie = append(cookie, k.Name+"="+k.Value)
				}
				cookies = append(cookies, strings.Join(cookie, "; "))
			}
			h := env.Auth.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if _, ok := auth.UserFrom(r.Context()); !ok {
					w.WriteHeader(http.StatusUnauthorized)
				}
			}))

			b.Run("SessionLookup", func(b *testing.B) {
				w := &discard{h: http.Header{}}
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					r := httptest.NewRequest("GET", "/app", nil)
					r.Header.Set("Cookie", cookies[i%n])
					h.ServeHTTP(w, r)
					if w.code == http.StatusUnauthorized {
						b.Fatal("not authenticated")
					}
				}
			})
			db := env.Auth.Store()
			session := func(i int) error {
				s, err := db.CreateSession(ctx, core.Session{UserID: users[i%n], AuthMethod: "password", ExpiresAt: time.Now().Add(time.Hour)})
				if err != nil {
					return err
				}
				return db.EndSession(ctx, s.ID, "signed_out")
			}
			b.Run("CreateAndEndSession", func(b *testing.B) {
				for i := 0; b.Loop(); i++ {
					if err := session(i); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("CreateAndEndSessionParallel8", func(b *testing.B) {
				b.SetParallelism(8)
				b.RunParallel(func(pb *testing.PB) {
					i := 0
					for pb.Next() {
						i++
						if err := session(i); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		})
	}
}
