package auth_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/embedauth/auth/authtest"
)

// bearerBenchSetup signs a user in and returns its cookie header and a
// session token.
func bearerBenchSetup(b *testing.B) (*authtest.Env, string, string) {
	env := authtest.New(b)
	c := flNew(b, env)
	pw := authtest.Password()
	env.CreateUser(b, "bench@example.com", pw)
	c.signIn("bench@example.com", pw)
	return env, "embedauth_session=" + c.sessionCookie(), jwtMint(b, c, "")
}

// BenchmarkBearerMiddleware compares, in process, a request through
// a.Middleware authenticated by a bearer session token with the same
// handler bare and with a cookie session, in one run. The token is the
// same on every request, as a client reuses it for its minute.
func BenchmarkBearerMiddleware(b *testing.B) {
	env, cookie, tok := bearerBenchSetup(b)
	bare := http.HandlerFunc(writeUserID)
	wrapped := env.Auth.Middleware(bare)
	for _, bc := range []struct {
		name, header, value string
		h                   http.Handler
	}{{"bare", "", "", bare}, {"cookie", "Cookie", cookie, wrapped}, {"bearer", "Authorization", "Bearer " + tok, wrapped}} {
		b.Run(bc.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", "/app", nil)
			if bc.header != "" {
				req.Header.Set(bc.header, bc.value)
			}
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				w := &discard{h: http.Header{}}
				for pb.Next() {
					bc.h.ServeHTTP(w, req)
				}
			})
		})
	}
}

// BenchmarkBearerMiddlewareHTTP compares throughput over real loopback
// HTTP: keep-alive clients against a server with the bare handler and one
// with the middleware, authenticated by cookie and by bearer token, in the
// same run.
func BenchmarkBearerMiddlewareHTTP(b *testing.B) {
	env, cookie, tok := bearerBenchSetup(b)
	bare := http.HandlerFunc(writeUserID)
	wrapped := env.Auth.Middleware(bare)
	for _, bc := range []struct {
		name, header, value string
		h                   http.Handler
	}{{"bare", "", "", bare}, {"cookie", "Cookie", cookie, wrapped}, {"bearer", "Authorization", "Bearer " + tok, wrapped}} {
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
				if bc.header != "" {
					req.Header.Set(bc.header, bc.value)
				}
				for pb.Next() {
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if string(body) == "anonymous" && bc.name != "bare" {
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
