// Package pgtest gives each test its own empty PostgreSQL schema on the
// server named by EMBEDAUTH_POSTGRES_URL, so tests against PostgreSQL run in
// parallel without seeing each other's rows.
//
// Without EMBEDAUTH_POSTGRES_URL the tests that need PostgreSQL skip, unless
// CI=true or EMBEDAUTH_POSTGRES=required, when they fail instead. .ci/run
// starts a throwaway server and sets the variable.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	_ "github.com/embedauth/auth/postgres" // tests that use a server open it through the store
)

// EnvURL is the environment variable that names the test server.
const EnvURL = "EMBEDAUTH_POSTGRES_URL"

// Required reports whether a missing server fails the tests that need one
// instead of skipping them.
func Required() bool {
	return os.Getenv("CI") == "true" || os.Getenv("EMBEDAUTH_POSTGRES") == "required"
}

var (
	adminOnce sync.Once
	admin     *pgxpool.Pool
	adminErr  error

	mu      sync.Mutex
	schemas = map[string]string{} // key -> URL, for URLFor
)

func server(tb testing.TB) (*pgxpool.Pool, string) {
	tb.Helper()
	base := os.Getenv(EnvURL)
	if base == "" {
		if Required() {
			tb.Fatalf("PostgreSQL is required (CI=true or EMBEDAUTH_POSTGRES=required) but %s is not set", EnvURL)
		}
		tb.Skipf("PostgreSQL not available: set %s (see .ci/postgres) to run this test against it", EnvURL)
	}
	adminOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin, adminErr = pgxpool.New(ctx, base)
		if adminErr == nil {
			adminErr = admin.Ping(ctx)
		}
	})
	if adminErr != nil {
		if Required() {
			tb.Fatalf("PostgreSQL at %s: %v", EnvURL, adminErr)
		}
		tb.Skipf("PostgreSQL at %s not reachable: %v", EnvURL, adminErr)
	}
	return admin, base
}

// URL creates an empty schema for tb, dropped when tb ends, and returns a
// URL of the test server whose connections use it.
func URL(tb testing.TB) string {
	tb.Helper()
	pool, base := server(tb)
	var b [8]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		if _, err := pool.Exec(context.Background(), `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return withSearchPath(tb, base, schema)
}

// URLFor returns the same URL for the same key (a test's file path, say)
// for as long as the test that first asked for it runs, so a test can open
// "the same database" twice.
func URLFor(tb testing.TB, key string) string {
	tb.Helper()
	mu.Lock()
	u, ok := schemas[key]
	mu.Unlock()
	if ok {
		return u
	}
	u = URL(tb)
	mu.Lock()
	schemas[key] = u
	mu.Unlock()
	tb.Cleanup(func() {
		mu.Lock()
		delete(schemas, key)
		mu.Unlock()
	})
	return u
}

func withSearchPath(tb testing.TB, base, schema string) string {
	tb.Helper()
	if !strings.Contains(base, "://") {
		return base + " search_path=" + schema
	}
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("%s: %v", EnvURL, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	// Each test has its own small pool; many run at once.
	if q.Get("pool_max_conns") == "" {
		q.Set("pool_max_conns", "4")
	}
	u.RawQuery = q.Encode()
	return u.String()
}
