package store_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/store"
)

// epoch is where every fake clock starts. It is far from the wall clock on
// purpose, so a method that mixes up db.Now and time.Now shows.
var epoch = time.Date(2031, time.March, 4, 5, 6, 7, 0, time.UTC)

// fakeClock is a controllable db.Now.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: epoch} }

// Now returns the current fake time.
func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// mustOpen opens a fresh store in a temporary directory, with a fake clock.
// The store is closed when the test ends.
func mustOpen(tb testing.TB) (*store.DB, *fakeClock) {
	tb.Helper()
	return mustOpenPath(tb, filepath.Join(tb.TempDir(), "auth.db"))
}

// mustOpenPath opens (or re-opens) the store at path with a fake clock, on
// the engine of tb (see forEachBackend).
func mustOpenPath(tb testing.TB, path string) (*store.DB, *fakeClock) {
	tb.Helper()
	db, err := openBackend(tb, path)
	if err != nil {
		tb.Fatalf("open %s: %v", path, err)
	}
	clock := newFakeClock()
	db.Now = clock.Now
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("close: %v", err)
		}
	})
	return db, clock
}

// ms truncates t to what the store keeps (Unix milliseconds, UTC).
func ms(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

// countRows counts the rows of table matching where (may be empty).
func countRows(tb testing.TB, db *store.DB, table, where string, args ...any) int {
	tb.Helper()
	q := "SELECT COUNT(*) FROM " + table
	if where != "" {
		q += " WHERE " + where
	}
	var n int
	if err := db.SQL().QueryRow(q, args...).Scan(&n); err != nil {
		tb.Fatalf("count %s: %v", table, err)
	}
	return n
}

// events returns all events of typ (all events when typ is empty).
func events(tb testing.TB, db *store.DB, typ string) []core.Event {
	tb.Helper()
	evs, err := db.Events(context.Background(), typ, -1)
	if err != nil {
		tb.Fatalf("events %q: %v", typ, err)
	}
	return evs
}

// eventData decodes the data of an event into a map.
func eventData(tb testing.TB, e core.Event) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal(e.Data, &m); err != nil {
		tb.Fatalf("event %s data %s: %v", e.Type, e.Data, err)
	}
	return m
}

// eventIDs returns the "id" field of each event's data, sorted.
func eventIDs(tb testing.TB, evs []core.Event) []string {
	tb.Helper()
	var ids []string
	for _, e := range evs {
		id, _ := eventData(tb, e)["id"].(string)
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// mustCreateUser creates a user with email and a password hash.
func mustCreateUser(tb testing.TB, db *store.DB, email string) core.User {
	tb.Helper()
	u, err := db.CreateUser(context.Background(), store.NewUser{Email: email, Name: "Test User", PasswordHash: "$argon2id$v=19$m=65536,t=1,p=1$c2FsdA$aGFzaA"})
	if err != nil {
		tb.Fatalf("create user %q: %v", email, err)
	}
	return u
}

// mustCreateSession creates a session for userID that expires in a day.
func mustCreateSession(tb testing.TB, db *store.DB, clock *fakeClock, userID string) core.Session {
	tb.Helper()
	s, err := db.CreateSession(context.Background(), core.Session{
		UserID: userID, AuthMethod: "password", UserAgent: "test", IP: "192.0.2.1",
		ExpiresAt: clock.Now().Add(24 * time.Hour),
	})
	if err != nil {
		tb.Fatalf("create session: %v", err)
	}
	return s
}

// mustCommitToken stores a live cookie token signed in as sessionID.
func mustCommitToken(tb testing.TB, db *store.DB, hash, sessionID string) {
	tb.Helper()
	if err := db.CommitToken(context.Background(), hash, []byte("data-"+hash), time.Now().Add(time.Hour), sessionID); err != nil {
		tb.Fatalf("commit token %s: %v", hash, err)
	}
}

// assertNoLockError fails when err reports SQLite contention, which the
// store promises to absorb (immediate transactions and a busy timeout).
func assertNoLockError(tb testing.TB, err error) {
	tb.Helper()
	if err == nil {
		return
	}
	s := strings.ToLower(err.Error())
	if strings.Contains(s, "locked") || strings.Contains(s, "busy") {
		tb.Errorf("contention error leaked: %v", err)
	}
}

func TestOpen(t *testing.T) {
	t.Parallel()

	// Names of the migration files shipped with the package.
	wantMigrations := func(tb testing.TB) []string {
		tb.Helper()
		files, err := filepath.Glob(filepath.Join("migrations", "*.sql"))
		if err != nil || len(files) == 0 {
			tb.Fatalf("glob migrations: %v (%d files)", err, len(files))
		}
		var names []string
		for _, f := range files {
			names = append(names, filepath.Base(f))
		}
		sort.Strings(names)
		return names
	}

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		db, _ := mustOpen(t)
		ctx := context.Background()

		got, err := db.Migrations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := wantMigrations(t); !equalStrings(got, want) {
			t.Fatalf("migrations = %v, want %v", got, want)
		}
		if n := countRows(t, db, "auth_migrations", ""); n != len(got) {
			t.Fatalf("auth_migrations has %d rows, want %d", n, len(got))
		}
		for _, table := range []string{"auth_users", "auth_passwords", "auth_sessions", "auth_session_tokens",
			"auth_signups", "auth_tokens", "auth_mail_outbox", "auth_events"} {
			if n := countRows(t, db, "sqlite_master", "type = 'table' AND name = $1", table); n != 1 {
				t.Errorf("table %s missing", table)
			}
		}
	})

	t.Run("EveryConnectionConfigured", func(t *testing.T) {
		t.Parallel()
		db, _ := mustOpen(t)
		ctx := context.Background()
		// Hold several connections at once so the pool has to open new ones.
		var conns []*sql.Conn
		for range 4 {
			c, err := db.SQL().Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, c)
		}
		for i, c := range conns {
			var fk, busy int
			var mode string
			if err := c.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
				t.Fatal(err)
			}
			if err := c.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy); err != nil {
				t.Fatal(err)
			}
			if err := c.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
				t.Fatal(err)
			}
			var ckpt int
			if err := c.QueryRowContext(ctx, "PRAGMA wal_autocheckpoint").Scan(&ckpt); err != nil {
				t.Fatal(err)
			}
			if fk != 1 || busy < 1000 || !strings.EqualFold(mode, "wal") || ckpt != 4000 {
				t.Errorf("conn %d: foreign_keys=%d busy_timeout=%d journal_mode=%s wal_autocheckpoint=%d", i, fk, busy, mode, ckpt)
			}
		}
		for _, c := range conns {
			c.Close()
		}
	})

	t.Run("Reopen", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		path := filepath.Join(t.TempDir(), "auth.db")

		db, err := store.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		u, err := db.CreateUser(ctx, store.NewUser{Email: "keep@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		type row struct {
			version   int
			name      string
			appliedAt int64
		}
		readRows := func(db *store.DB) []row {
			t.Helper()
			rows, err := db.SQL().Query(`SELECT version, name, applied_at FROM auth_migrations ORDER BY version`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var out []row
			for rows.Next() {
				var r row
				if err := rows.Scan(&r.version, &r.name, &r.appliedAt); err != nil {
					t.Fatal(err)
				}
				out = append(out, r)
			}
			return out
		}
		before := readRows(db)
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}

		for range 2 {
			db2, err := store.Open(path)
			if err != nil {
				t.Fatalf("reopen: %v", err)
			}
			after := readRows(db2)
			if len(after) != len(before) {
				t.Fatalf("migrations after reopen = %v, want %v", after, before)
			}
			for i := range after {
				if after[i] != before[i] {
					t.Fatalf("migration row %d changed: %v -> %v", i, before[i], after[i])
				}
			}
			if got, err := db2.User(ctx, u.ID); err != nil || got.Email != "keep@example.com" {
				t.Fatalf("user after reopen = %+v, %v", got, err)
			}
			if n := countRows(t, db2, "auth_events", "type = $1", core.EventUserCreated); n != 1 {
				t.Fatalf("user.created events after reopen = %d, want 1", n)
			}
			if err := db2.Close(); err != nil {
				t.Fatal(err)
			}
		}
	})

	t.Run("ConcurrentFirstOpen", func(t *testing.T) {
		t.Parallel()
		// Several processes (here: pools) opening one fresh file at once
		// must apply each migration exactly once.
		path := filepath.Join(t.TempDir(), "auth.db")
		const n = 8
		dbs := make([]*store.DB, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				dbs[i], errs[i] = store.Open(path)
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("open %d: %v", i, err)
				continue
			}
			defer dbs[i].Close()
		}
		if t.Failed() {
			return
		}
		if got, want := countRows(t, dbs[0], "auth_migrations", ""), len(wantMigrations(t)); got != want {
			t.Fatalf("auth_migrations rows = %d, want %d", got, want)
		}
	})

	t.Run("ErrEmptyPath", func(t *testing.T) {
		t.Parallel()
		if _, err := store.Open(""); err == nil {
			t.Fatal("Open(\"\") succeeded")
		}
	})

	t.Run("ErrForeignKeysOff", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "app.db")
		sqldb, err := sql.Open("sqlite", "file:"+path)
		if err != nil {
			t.Fatal(err)
		}
		defer sqldb.Close()
		if db, err := store.OpenDB(sqldb); err == nil {
			db.Close()
			t.Fatal("OpenDB accepted a pool without foreign keys")
		}
		// Refused before touching the file, and the app's pool is still usable.
		var n int
		if err := sqldb.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'auth_%'`).Scan(&n); err != nil {
			t.Fatalf("app pool unusable after refusal: %v", err)
		}
		if n != 0 {
			t.Fatalf("refused OpenDB created %d auth_ objects", n)
		}
	})

	t.Run("OpenDB", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		path := filepath.Join(t.TempDir(), "app.db")
		sqldb, err := sql.Open("sqlite", store.DSN(path))
		if err != nil {
			t.Fatal(err)
		}
		defer sqldb.Close()
		if _, err := sqldb.Exec(`CREATE TABLE app_notes (id INTEGER PRIMARY KEY, body TEXT)`); err != nil {
			t.Fatal(err)
		}

		db, err := store.OpenDB(sqldb)
		if err != nil {
			t.Fatalf("OpenDB: %v", err)
		}
		if db.SQL() != sqldb {
			t.Fatal("SQL() is not the app's pool")
		}
		if _, err := db.CreateUser(ctx, store.NewUser{Email: "app@example.com"}); err != nil {
			t.Fatal(err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		// The app's pool stays open, with its own table and ours.
		if err := sqldb.Ping(); err != nil {
			t.Fatalf("app pool closed by DB.Close: %v", err)
		}
		if _, err := sqldb.Exec(`INSERT INTO app_notes (body) VALUES ('x')`); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := sqldb.QueryRow(`SELECT COUNT(*) FROM auth_users`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("auth_users via app pool = %d, %v", n, err)
		}
		// And it can be handed to OpenDB again: nothing is applied twice.
		db2, err := store.OpenDB(sqldb)
		if err != nil {
			t.Fatal(err)
		}
		if got := countRows(t, db2, "auth_migrations", ""); got != len(wantMigrations(t)) {
			t.Fatalf("auth_migrations rows = %d", got)
		}
	})

	t.Run("CloseOwnedPool", func(t *testing.T) {
		t.Parallel()
		db, err := store.Open(filepath.Join(t.TempDir(), "auth.db"))
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		if err := db.SQL().Ping(); err == nil {
			t.Fatal("pool opened by Open still usable after Close")
		}
	})

	t.Run("PathWithSpacesAndQuestionMark", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		dir := filepath.Join(t.TempDir(), "my données?x=1&y #2 100%")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "auth db?mode=ro.sqlite")

		db, err := store.Open(path)
		if err != nil {
			t.Fatalf("open %q: %v", path, err)
		}
		u, err := db.CreateUser(ctx, store.NewUser{Email: "space@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		var fk int
		var mode string
		if err := db.SQL().QueryRow("PRAGMA foreign_keys").Scan(&fk); err != nil {
			t.Fatal(err)
		}
		if err := db.SQL().QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
			t.Fatal(err)
		}
		if fk != 1 || !strings.EqualFold(mode, "wal") {
			t.Fatalf("settings not applied: foreign_keys=%d journal_mode=%s", fk, mode)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}

		// The file is exactly at path, and nothing was created elsewhere.
		if _, err := os.Stat(path); err != nil {
			t.Fatalf("database file not at %q: %v", path, err)
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if !strings.HasPrefix(e.Name(), filepath.Base(path)) {
				t.Errorf("stray file %q in %q", e.Name(), dir)
			}
		}
		parent, err := os.ReadDir(filepath.Dir(dir))
		if err != nil {
			t.Fatal(err)
		}
		if len(parent) != 1 {
			t.Errorf("stray files next to %q: %v", dir, parent)
		}

		db2, _ := mustOpenPath(t, path)
		if got, err := db2.User(ctx, u.ID); err != nil || got.Email != "space@example.com" {
			t.Fatalf("user after reopen = %+v, %v", got, err)
		}
	})

}

func TestEmailKey(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ a, b string }{
		{"Bob@Example.com", "bob@example.com"},
		{"ＢＯＢ＠ＥＸＡＭＰＬＥ．ＣＯＭ", "bob@example.com"},
		{"  bob@example.com\t", "bob@example.com"},
		{"\u212Aate@x.io", "kate@x.io"}, // KELVIN SIGN
		{"\uFB01nn@x.io", "finn@x.io"},  // LATIN SMALL LIGATURE FI
	} {
		if ka, kb := store.EmailKey(tt.a), store.EmailKey(tt.b); ka != kb {
			t.Errorf("EmailKey(%q) = %q, EmailKey(%q) = %q", tt.a, ka, tt.b, kb)
		}
	}
	if store.EmailKey("bob@example.com") == store.EmailKey("rob@example.com") {
		t.Error("distinct emails share a key")
	}
}

// runAll calls fn(0), ..., fn(n-1) in n goroutines that are all released at
// the same moment, and returns their errors by index.
func runAll(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	ready.Add(n)
	for i := range n {
		done.Go(func() {
			ready.Done()
			<-start
			errs[i] = fn(i)
		})
	}
	ready.Wait()
	close(start)
	done.Wait()
	return errs
}

func TestDB_Events(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()

		t.Run("OK", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			u1 := mustCreateUser(t, db, "e1@example.com")
			clock.Advance(time.Second)
			s := mustCreateSession(t, db, clock, u1.ID)
			clock.Advance(time.Second)
			u2 := mustCreateUser(t, db, "e2@example.com")

			all, err := db.Events(ctx, "", 10)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range all {
				got = append(got, e.Type+":"+eventData(t, e)["id"].(string))
				if e.ID == "" || !json.Valid(e.Data) {
					t.Errorf("event = %+v", e)
				}
			}
			want := []string{core.EventUserCreated + ":" + u1.ID, core.EventSessionCreated + ":" + s.ID, core.EventUserCreated + ":" + u2.ID}
			if !equalStrings(got, want) {
				t.Fatalf("events = %v, want %v (oldest first)", got, want)
			}
			if !all[0].CreatedAt.Equal(epoch) || !all[2].CreatedAt.Equal(epoch.Add(2*time.Second)) {
				t.Fatalf("times = %v, %v", all[0].CreatedAt, all[2].CreatedAt)
			}
			if only, _ := db.Events(ctx, core.EventUserCreated, 10); len(only) != 2 {
				t.Fatalf("filtered events = %d", len(only))
			}
			if limited, _ := db.Events(ctx, "", 1); len(limited) != 1 || limited[0].ID != all[0].ID {
				t.Fatalf("limited events = %+v", limited)
			}
		})
	})
}
