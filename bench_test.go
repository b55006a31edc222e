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
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

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
// a.Middleware with the same handler bare, in process.
func BenchmarkMiddleware(b *testing.B) {
	env := authtest.New(b)
	cookie := signedInCookie(b, env)
	bare := http.HandlerFunc(writeUserID)
	wrapped := env.Auth.Middleware(bare)
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{{"bare", bare}, {"authenticated", wrapped}} {
		b.Run(bc.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", "/app", nil)
			req.Header.Set("Cookie", "theme=dark; "+cookie)
			w := &discard{h: http.Header{}}
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				w := &discard{h: http.Header{}}
				for pb.Next() {
					bc.h.ServeHTTP(w, req)
				}
			})
			_ = w
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
