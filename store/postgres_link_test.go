package store

import (
	"errors"
	"testing"

	"github.com/embedauth/auth/internal/pgdriver"
)

// TestOpenPostgresNotLinked: without package postgres, a PostgreSQL URL
// (through Open or OpenPostgres) fails with ErrPostgresNotLinked, whose
// message names the import. Not parallel: it unlinks the driver the
// test binary links.
func TestOpenPostgresNotLinked(t *testing.T) {
	saved := pgdriver.Linked
	pgdriver.Linked = nil
	defer func() { pgdriver.Linked = saved }()
	if PostgresLinked() {
		t.Fatal("PostgresLinked with no driver")
	}
	for _, open := range []func() (*DB, error){
		func() (*DB, error) { return Open("postgres://127.0.0.1:1/x") },
		func() (*DB, error) { return OpenPostgres(t.Context(), "postgresql://127.0.0.1:1/x") },
	} {
		db, err := open()
		if err == nil {
			db.Close()
			t.Fatal("opened a PostgreSQL URL without the driver")
		}
		if !errors.Is(err, ErrPostgresNotLinked) {
			t.Fatalf("error %v, want ErrPostgresNotLinked", err)
		}
	}
}

func TestQuoteIdent(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{`a`: `"a"`, `we"ird`: `"we""ird"`, "nu\x00l": `"nul"`} {
		if got := quoteIdent(in); got != want {
			t.Errorf("quoteIdent(%q) = %s, want %s", in, got, want)
		}
	}
}
