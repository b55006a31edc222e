package auth_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/authtest"
)

// ogBenchEnv runs an Auth with a configured permission and returns it with
// the cookie header of a session whose active organization is one where
// the user's role is role.
func ogBenchEnv(b *testing.B, role string) (*authtest.Env, string) {
	env := authtest.New(b, func(c *auth.Config) {
		c.Organizations.Permissions = []auth.OrgPermission{{Key: "org:invoices:write", Name: "Write invoices"}, {Key: "org:invoices:read", Name: "Read invoices"}}
		c.Organizations.Roles = []auth.OrgRole{{Key: "org:billing", Name: "Billing",
			Permissions: []string{"org:invoices:read", "org:invoices:write", "org:sys_memberships:read"}}}
	})
	admin := ogSignIn(b, env, "admin@example.com")
	org := ogCreate(b, admin, "Acme", "acme").Organization
	if role == "org:admin" {
		return env, "embedauth_session=" + admin.sessionCookie()
	}
	u := ogJoin(b, env, admin, org.ID, "member@example.com", role)
	return env, "embedauth_session=" + u.sessionCookie()
}

// ogContext returns the context a handler behind Middleware gets for a
// request with cookie.
func ogContext(b *testing.B, env *authtest.Env, cookie string) context.Context {
	var ctx context.Context
	h := env.Auth.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ctx = r.Context() }))
	req := httptest.NewRequest("GET", "/app", nil)
	req.Header.Set("Cookie", cookie)
	h.ServeHTTP(httptest.NewRecorder(), req)
	if _, _, ok := auth.OrgFrom(ctx); !ok {
		b.Fatal("no active organization")
	}
	return ctx
}

// BenchmarkHas is the cost of a permission check in a request: the
// session's permission set was built when it was loaded, so a check is a
// context lookup and a map lookup, with no database read.
func BenchmarkHas(b *testing.B) {
	for _, bc := range []struct{ name, role, perm string }{
		{"configured-role/granted", "org:billing", "org:invoices:write"},
		{"configured-role/denied", "org:billing", "org:sys_profile:delete"},
		{"admin", "org:admin", "org:invoices:write"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			env, cookie := ogBenchEnv(b, bc.role)
			ctx := ogContext(b, env, cookie)
			want := bc.name != "configured-role/denied"
			if auth.Has(ctx, bc.perm) != want {
				b.Fatalf("Has(%s) != %v", bc.perm, want)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if auth.Has(ctx, bc.perm) != want {
					b.Fatal("wrong answer")
				}
			}
		})
	}
}

// BenchmarkHasRole is HasRole's cost, for comparison.
func BenchmarkHasRole(b *testing.B) {
	env, cookie := ogBenchEnv(b, "org:billing")
	ctx := ogContext(b, env, cookie)
	b.ReportAllocs()
	for b.Loop() {
		if !auth.HasRole(ctx, "org:billing") {
			b.Fatal("wrong answer")
		}
	}
}

// orgHandler is the handler every side of BenchmarkMiddlewareOrg runs: it
// writes the user's id and checks a permission, as an app's handler would.
func orgHandler(w http.ResponseWriter, r *http.Request) {
	id := "anonymous"
	if u, ok := auth.UserFrom(r.Context()); ok {
		id = u.ID
	}
	io.WriteString(w, id)
	if auth.Has(r.Context(), "org:invoices:write") {
		w.Write(mayWrite)
	}
}

var mayWrite = []byte(" may write invoices")

// BenchmarkMiddlewareOrg compares, in one run, the bare handler, a
// request through Middleware signed in without an organization, and one
// with an active organization whose role's permission the handler checks.
func BenchmarkMiddlewareOrg(b *testing.B) {
	env, orgCookie := ogBenchEnv(b, "org:billing")
	personal := ogSignIn(b, env, "personal@example.com")
	bare := http.HandlerFunc(orgHandler)
	wrapped := env.Auth.Middleware(bare)
	for _, bc := range []struct {
		name   string
		h      http.Handler
		cookie string
	}{
		{"bare", bare, orgCookie},
		{"no-org", wrapped, "embedauth_session=" + personal.sessionCookie()},
		{"active-org", wrapped, orgCookie},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", "/app", nil)
			req.Header.Set("Cookie", "theme=dark; "+bc.cookie)
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

// BenchmarkMiddlewareOrgHTTP compares throughput over real loopback HTTP,
// in one run: the bare handler, and the middleware with a session whose
// active organization's role the handler checks (as
// BenchmarkMiddlewareHTTP does for a session without one).
func BenchmarkMiddlewareOrgHTTP(b *testing.B) {
	env, cookie := ogBenchEnv(b, "org:billing")
	bare := http.HandlerFunc(orgHandler)
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{{"bare", bare}, {"active-org", env.Auth.Middleware(bare)}} {
		b.Run(bc.name, func(b *testing.B) {
			srv := httptest.NewServer(bc.h)
			defer srv.Close()
			tr := &http.Transport{MaxIdleConnsPerHost: 64}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr}
			var wrong atomic.Int64
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
					if bc.name == "active-org" && !strings.HasSuffix(string(body), " may write invoices") {
						wrong.Add(1)
					}
				}
			})
			if wrong.Load() > 0 {
				b.Fatalf("%d requests lacked the organization's permission", wrong.Load())
			}
		})
	}
}
