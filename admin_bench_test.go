package auth_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/authtest"
)

// BenchmarkAdminUsersPage measures the admin users page, as an
// administrator's browser loads it over HTTP, at 100,000 users: the first
// page, a page deep in the table, and searches whose matches lie at the
// start and far along the order. Each answer must be 200 and list the
// users it should.
//
//	go test -run XXX -bench AdminUsersPage -benchtime 50x .
func BenchmarkAdminUsersPage(b *testing.B) {
	// The seeding transaction holds the write lock for seconds, which the
	// outboxes' rounds report: keep the log quiet.
	env := authtest.New(b, secQuietLog)
	cookie := signedInCookie(b, env)
	ctx := context.Background()
	me, err := env.Auth.GetUserByEmail(ctx, "bench@example.com")
	if err != nil {
		b.Fatal(err)
	}
	if err := env.Auth.SetAdmin(ctx, auth.AdminActor{Email: "bench"}, me.ID, true); err != nil {
		b.Fatal(err)
	}
	const n = 100_000
	db := env.Auth.Store().SQL()
	tx, err := db.Begin()
	if err != nil {
		b.Fatal(err)
	}
	st, err := tx.Prepare(`INSERT INTO auth_users (id, email, email_key, email_verified, name, created_at, updated_at)
		VALUES ($1, $2, $2, $3, $4, $5, $5)`)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now().Add(-n * time.Second)
	for i := range n {
		at := start.Add(time.Duration(i) * time.Second).UnixMilli()
		if _, err := st.Exec(fmt.Sprintf("user_seed%08d", i), fmt.Sprintf("user%d@example.com", i), i%3 != 0,
			fmt.Sprintf("Person %d", i), at); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}

	srv := httptest.NewServer(env.Auth.Handler())
	defer srv.Close()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(b *testing.B, path string) string {
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+path, nil)
		req.Header.Set("Cookie", cookie)
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
		return string(body)
	}
	// The link to the next page of the first one, as the page gives it.
	first := get(b, "/auth/admin/users")
	i := strings.Index(first, `rel="next"`)
	j := strings.LastIndex(first[:max(i, 0)], `href="`)
	if i < 0 || j < 0 {
		b.Fatal("the first page has no next page")
	}
	next := strings.ReplaceAll(first[j+len(`href="`):strings.Index(first[j+len(`href="`):], `"`)+j+len(`href="`)], "&amp;", "&")

	for _, c := range []struct {
		name, path string
		want       string // a user the page must list
	}{
		{"FirstPage", "/auth/admin/users", "user99999@example.com"},
		{"NextPage", next, "user99949@example.com"},
		{"SearchEmail", "/auth/admin/users?q=user4242", "user42429@example.com"},
		{"SearchBroadNear", "/auth/admin/users?q=user9", "user99999@example.com"},
		{"SearchBroadFar", "/auth/admin/users?q=user1", "user19999@example.com"},
		{"SearchBroadFarUnverified", "/auth/admin/users?q=user1&filter=unverified", "user19998@example.com"},
		{"SearchAll", "/auth/admin/users?q=user", "user99999@example.com"},
	} {
		b.Run(c.name, func(b *testing.B) {
			if body := get(b, c.path); !strings.Contains(body, c.want) {
				b.Fatalf("GET %s does not list %s", c.path, c.want)
			}
			for b.Loop() {
				get(b, c.path)
			}
		})
	}
}
