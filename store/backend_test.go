package store_test

import (
	"strings"
	"testing"

	"github.com/embedauth/auth/internal/pgtest"
	"github.com/embedauth/auth/store"
)

// backends are the engines every store test runs against. A test runs its
// body once per engine, as subtests named after them; mustOpen and
// mustOpenPath open the engine of the subtest they are given.
var backends = []string{"sqlite", "postgres"}

// forEachBackend runs fn as a subtest per engine.
func forEachBackend(t *testing.T, fn func(t *testing.T)) {
	t.Helper()
	for _, b := range backends {
		t.Run(b, fn)
	}
}

// isPostgres reports whether tb is (inside) a subtest of forEachBackend's
// postgres run.
func isPostgres(tb testing.TB) bool {
	return strings.Contains(tb.Name(), "/postgres")
}

// openBackend opens the store of tb's engine: the SQLite file at path, or
// a schema of the test PostgreSQL server that stands for that path.
func openBackend(tb testing.TB, path string) (*store.DB, error) {
	tb.Helper()
	if isPostgres(tb) {
		return store.Open(pgtest.URLFor(tb, path))
	}
	return store.Open(path)
}

// flag is b as the store keeps flags (INTEGER 0 or 1), for raw SQL in
// tests: PostgreSQL binds no Go bool to an INTEGER column.
func flag(b bool) int {
	if b {
		return 1
	}
	return 0
}
