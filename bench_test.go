package auth_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/authtest"
)

// discard is a ResponseWriter that keeps nothing, so the benchmark measures
// the middleware and not a recorder.
type discard struct {
	h    http.Header
	code int
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(code int)        { d.code = code }

// writeUserID is the handler both sides of the comparison run.
func writeUserID(w http.ResponseWriter, r *http.Request) {
	id := "anonymous"
	if u, ok := auth.UserFrom(r.Context()); ok {
		id = u.ID
	}
	io.WriteString(w, id)
}

// signedInCookie returns a "name=value" cookie header of a signed-in
// session.
func signedInCookie(b *testing.B, env *authtest.Env) string {
	client := env.Client()
	env.SignIn(b, client, "bench@example.com")
	u, _ := url.Parse(env.URL)
	for _, c := range client.Jar.Cookies(u) {
		if strings.HasSuffix(c.Name, "embedauth_session") {
			return c.Name + "=" + c.Value
		}
	}
	b.Fatal("no session cookie")
	return ""
}

// BenchmarkMiddleware compares an authenticated request through
// a.Middleware with the same handler bare, in process. Every request
// through the middleware must be authenticated.
func BenchmarkMiddleware(b *testing.B) {
	env := authtest.New(b)
	cookie := signedInCookie(b, env)
	var anon atomic.Int64
	bare := http.HandlerFunc(writeUserID)
	counted := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := auth.UserFrom(r.Context()); !ok {
			anon.Add(1)
		}
		writeUserID(w, r)
	})
	wrapped := env.Auth.Middleware(counted)
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{{"bare", bare}, {"authenticated", wrapped}} {
		b.Run(bc.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", "/app", nil)
			req.Header.Set("Cookie", "theme=dark; "+cookie)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				w := &discard{h: http.Header{}}
				for pb.Next() {
					bc.h.ServeHTTP(w, req)
				}
			})
			if n := anon.Load(); n > 0 {
				b.Fatalf("%d requests through the middleware were not authenticated", n)
			}
		})
	}
}

// BenchmarkMiddlewareHTTP compares throughput over real loopback HTTP:
// many keep-alive clients against a server with the bare handler and one
// with the middleware, in the same run.
func BenchmarkMiddlewareHTTP(b *testing.B) {
	env := authtest.New(b)
	cookie := signedInCookie(b, env)
	bare := http.HandlerFunc(writeUserID)
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{{"bare", bare}, {"authenticated", env.Auth.Middleware(bare)}} {
		b.Run(bc.name, func(b *testing.B) {
			srv := httptest.NewServer(bc.h)
			defer srv.Close()
			tr := &http.Transport{MaxIdleConnsPerHost: 64}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr}
			var anon atomic.Int64
			b.ReportAllocs()
			b.SetParallelism(4)
			b.RunParallel(func(pb *testing.PB) {
				req, _ := http.NewRequestWithContext(context.Background(), "GET", srv.URL+"/app", nil)
				req.Header.Set("Cookie", cookie)
				for pb.Next() {
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if string(body) == "anonymous" && bc.name == "authenticated" {
						anon.Add(1)
					}
				}
			})
			if anon.Load() > 0 {
				b.Fatalf("%d authenticated requests were not signed in", anon.Load())
			}
		})
	}
}

// BenchmarkMe measures GET /auth/api/me, the library's own who-am-I, in
// process through Handler, against a bare handler that writes the user's
// id. Every answer must be the signed-in user's.
//
//	go test -run XXX -bench 'BenchmarkMe$' -benchtime 2s -count 3 .
func BenchmarkMe(b *testing.B) {
	env := authtest.New(b)
	cookie := signedInCookie(b, env)
	h := env.Auth.Handler()
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{{"bare", http.HandlerFunc(writeUserID)}, {"me", h}} {
		b.Run(bc.name, func(b *testing.B) {
			var bad atomic.Int64
			var badCode atomic.Int64
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req := httptest.NewRequest("GET", "/auth/api/me", nil)
					req.Header.Set("Cookie", cookie)
					w := &discard{h: http.Header{}}
					bc.h.ServeHTTP(w, req)
					if bc.name == "me" && w.code != http.StatusOK {
						bad.Add(1)
						badCode.Store(int64(w.code))
					}
				}
			})
			if bad.Load() > 0 {
				b.Fatalf("%d answers were not the user (status %d)", bad.Load(), badCode.Load())
			}
		})
	}
}

// BenchmarkMeHTTP compares GET /auth/api/me over loopback HTTP (Handler
// mounted behind Middleware, as an app mounts it) with a bare handler that
// writes the user's id, from the same keep-alive clients in the same run.
//
//	go test -run XXX -bench 'MeHTTP' -benchtime 2s -count 3 .
func BenchmarkMeHTTP(b *testing.B) {
	env := authtest.New(b)
	cookie := signedInCookie(b, env)
	mux := http.NewServeMux()
	mux.Handle("/auth/", env.Auth.Handler())
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{{"bare", http.HandlerFunc(writeUserID)}, {"me", env.Auth.Middleware(mux)}} {
		b.Run(bc.name, func(b *testing.B) {
			srv := httptest.NewServer(bc.h)
			defer srv.Close()
			tr := &http.Transport{MaxIdleConnsPerHost: 64}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr}
			var bad atomic.Int64
			b.ReportAllocs()
			b.SetParallelism(4)
			b.RunParallel(func(pb *testing.PB) {
				req, _ := http.NewRequestWithContext(context.Background(), "GET", srv.URL+"/auth/api/me", nil)
				req.Header.Set("Cookie", cookie)
				for pb.Next() {
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						bad.Add(1)
					}
				}
			})
			if bad.Load() > 0 {
				b.Fatalf("%d requests were not answered as the user", bad.Load())
			}
		})
	}
}
