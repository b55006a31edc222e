package store_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/pgtest"
	"github.com/embedauth/auth/store"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// versions lists the migration versions of dir (the NNNN of NNNN_name.sql).
func versions(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		out = append(out, strings.SplitN(e.Name(), "_", 2)[0])
	}
	sort.Strings(out)
	return out
}

func TestMigrations_SameVersionsOnBothEngines(t *testing.T) {
	t.Parallel()
	sqlite, pg := versions(t, "migrations"), versions(t, filepath.Join("migrations", "postgres"))
	if len(sqlite) == 0 || !equalStrings(sqlite, pg) {
		t.Fatalf("migrations/ has versions %v, migrations/postgres/ has %v: each migration needs both", sqlite, pg)
	}
	// Same names too, so the applied migrations read the same.
	names := func(dir string) []string {
		var out []string
		fs.WalkDir(os.DirFS(dir), ".", func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".sql") && !strings.Contains(p, "/") {
				out = append(out, p)
			}
			if d != nil && d.IsDir() && p != "." {
				return fs.SkipDir
			}
			return nil
		})
		sort.Strings(out)
		return out
	}
	if a, b := names("migrations"), names(filepath.Join("migrations", "postgres")); !equalStrings(a, b) {
		t.Fatalf("migration names differ: %v vs %v", a, b)
	}
}

func TestOpenPostgres(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("MigratesAndReopens", func(t *testing.T) {
		t.Parallel()
		dsn := pgtest.URL(t)
		db, err := store.Open(dsn)
		if err != nil {
			t.Fatal(err)
		}
		if db.Engine() != store.Postgres {
			t.Fatalf("engine = %s", db.Engine())
		}
		got, err := db.Migrations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		files, _ := filepath.Glob(filepath.Join("migrations", "postgres", "*.sql"))
		if len(got) != len(files) || len(got) == 0 {
			t.Fatalf("migrations = %v, want %d", got, len(files))
		}
		u := mustCreateUser(t, db, "keep@example.com")
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		db2, err := store.Open(dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db2.Close()
		if again, _ := db2.Migrations(ctx); !equalStrings(again, got) {
			t.Fatalf("migrations after reopen = %v, want %v", again, got)
		}
		if u2, err := db2.User(ctx, u.ID); err != nil || u2.Email != "keep@example.com" {
			t.Fatalf("user after reopen = %+v, %v", u2, err)
		}
		if n := countRows(t, db2, "auth_events", "type = $1", core.EventUserCreated); n != 1 {
			t.Fatalf("user.created events = %d, want 1", n)
		}
	})

	t.Run("ConcurrentFirstOpen", func(t *testing.T) {
		t.Parallel()
		// Several instances starting at once on one empty database apply
		// each migration once.
		dsn := pgtest.URL(t)
		const n = 6
		dbs := make([]*store.DB, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				dbs[i], errs[i] = store.Open(dsn)
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("open %d: %v", i, err)
			}
			defer dbs[i].Close()
		}
		files, _ := filepath.Glob(filepath.Join("migrations", "postgres", "*.sql"))
		if c := countRows(t, dbs[0], "auth_migrations", ""); c != len(files) {
			t.Fatalf("auth_migrations has %d rows, want %d", c, len(files))
		}
	})

	t.Run("OpenDB", func(t *testing.T) {
		t.Parallel()
		// An app's own pgx database/sql pool is used as PostgreSQL and
		// stays open after Close.
		// (pool_max_conns is pgxpool's, not a server parameter.)
		u, err := url.Parse(pgtest.URL(t))
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Del("pool_max_conns")
		u.RawQuery = q.Encode()
		sqldb, err := sql.Open("pgx", u.String())
		if err != nil {
			t.Fatal(err)
		}
		defer sqldb.Close()
		db, err := store.OpenDB(sqldb)
		if err != nil {
			t.Fatal(err)
		}
		if db.Engine() != store.Postgres {
			t.Fatalf("engine = %s", db.Engine())
		}
		mustCreateUser(t, db, "own@example.com")
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		if err := sqldb.Ping(); err != nil {
			t.Fatalf("app's pool closed: %v", err)
		}
	})

	t.Run("ErrBadURL", func(t *testing.T) {
		t.Parallel()
		if _, err := store.Open("postgres://127.0.0.1:1/nothing?connect_timeout=2"); err == nil {
			t.Fatal("open of an unreachable server succeeded")
		}
	})
}

func TestNotifyListen(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "auth.db")
		a, _ := mustOpenPath(t, path)
		b, _ := mustOpenPath(t, path)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		if !isPostgres(t) {
			if err := b.Listen(ctx, nil, func(string) {}); !errors.Is(err, store.ErrNotifyUnsupported) {
				t.Fatalf("Listen on SQLite = %v", err)
			}
			if err := a.Notify(ctx, "x"); err != nil {
				t.Fatalf("Notify on SQLite = %v", err)
			}
			return
		}
		got := make(chan string, 10)
		ready := make(chan struct{})
		done := make(chan error)
		go func() { done <- b.Listen(ctx, ready, func(p string) { got <- p }) }()
		<-ready
		// Another database (schema) on the same server does not hear it.
		other, _ := mustOpenPath(t, path+".other")
		if err := other.Notify(ctx, "elsewhere"); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{"one", "two"} {
			if err := a.Notify(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
		for _, want := range []string{"one", "two"} {
			select {
			case p := <-got:
				if p != want {
					t.Fatalf("got %q, want %q", p, want)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("no notification %q", want)
			}
		}
		if err := a.Notify(ctx, strings.Repeat("x", 8000)); err == nil {
			t.Fatal("an oversized payload was sent")
		}
		// The listening connection dies: Listen connects again and says
		// so with an empty payload (what was sent meanwhile is lost), then
		// hears the next notifications.
		var schema string
		if err := b.SQL().QueryRow(`SELECT current_schema()`).Scan(&schema); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(schema))
		channel := "embedauth_" + hex.EncodeToString(sum[:8])
		var killed int
		if err := a.SQL().QueryRow(`SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE query = 'LISTEN "' || $1 || '"'`, channel).Scan(&killed); err != nil || killed != 1 {
			t.Fatalf("terminated %d listeners, %v", killed, err)
		}
		select {
		case p := <-got:
			if p != "" {
				t.Fatalf("after the connection died: %q, want the empty payload", p)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Listen did not connect again")
		}
		if err := a.Notify(ctx, "three"); err != nil {
			t.Fatal(err)
		}
		select {
		case p := <-got:
			if p != "three" {
				t.Fatalf("got %q, want three", p)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("nothing heard after reconnecting")
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("Listen returned %v", err)
		}
	})
}
