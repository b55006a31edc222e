package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"unicode"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/pgdriver"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// The SQLite migrations; migrations/postgres holds the same ones for
// PostgreSQL.
//
//go:embed migrations/*.sql
var migrationFS embed.FS

// DB is embedauth's storage. It is safe for concurrent use.
type DB struct {
	db        *pool
	owned     bool
	closePool func() // of a PostgreSQL DB that OpenPostgres opened

	chanOnce sync.Once // the notification channel (notify.go)
	chanName string
	chanErr  error

	// Now is the clock used for every timestamp the store writes and every
	// expiry it checks. Tests replace it; it defaults to time.Now.
	Now func() time.Time

	planLimits *userPlanLimits // nil: the users table's usual limits
}

// DSN returns the connection string that opens path with the settings
// embedauth relies on: WAL journal, foreign keys, a 5 s busy timeout,
// synchronous=NORMAL, immediate write transactions, and a checkpoint every
// 4000 pages of WAL (16 MB; SQLite's default is 1000, and every sign-in
// writes a few transactions, so checkpoints ran often enough to cost a
// tenth of a sign-in's CPU outside the password hash). Every connection the
// pool opens gets them, because they are part of the DSN.
func DSN(path string) string {
	return "file:" + (&url.URL{Path: path}).EscapedPath() +
		"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)" +
		"&_pragma=synchronous(NORMAL)&_pragma=wal_autocheckpoint(4000)&_txlock=immediate"
}

// MaxOpenConns bounds the pool [Open] creates for reads; its writes use
// one connection more, of their own. Apps that pass their own pool to
// [OpenDB] should bound it too (there, reads and writes share it).
const MaxOpenConns = 8

// Open opens (creating if needed) the SQLite file at path and migrates it.
// A path that is a PostgreSQL URL (postgres:// or postgresql://) opens
// that database instead, as [OpenPostgres] does.
func Open(path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("store: open: empty path")
	}
	if IsPostgresURL(path) {
		return OpenPostgres(context.Background(), path)
	}
	fromImage := createFromImage(path)
	sqldb, err := sql.Open("sqlite", DSN(path))
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	// Each SQLite connection has its own page cache outside the Go heap; an
	// unbounded pool under a burst of requests costs hundreds of MB. Writers
	// queue on one lock anyway, and WAL readers are fast.
	sqldb.SetMaxOpenConns(MaxOpenConns)
	sqldb.SetMaxIdleConns(MaxOpenConns)
	db, err := OpenDB(sqldb)
	if err == nil && fromImage {
		err = db.stampMigrations(context.Background())
	}
	if err != nil {
		sqldb.Close()
		return nil, err
	}
	db.owned = true
	// Write transactions and other writes take one connection of their
	// own. SQLite runs one writer at a time anyway; queued on this
	// connection, writers take their turn as soon as it is free, instead of
	// polling the file lock with sleeps (busy_timeout), and the connection
	// keeps its page cache from one write to the next (in WAL mode a
	// connection drops its cache whenever another connection has written).
	w, err := sql.Open("sqlite", DSN(path))
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	db.db.w = newPool(w)
	return db, nil
}

// OpenDB uses a pool the app opened itself, which must have been opened
// with the settings of [DSN]: foreign keys are checked here, and without
// _txlock=immediate concurrent writers can fail with SQLITE_BUSY. A pool of
// PostgreSQL connections opened through pgx's database/sql driver
// (github.com/jackc/pgx/v5/stdlib) is used as PostgreSQL (the program must
// import github.com/embedauth/auth/postgres; without it OpenDB returns
// [ErrPostgresNotLinked]). The app keeps
// ownership: [DB.Close] does not close it.
//
// A PostgreSQL database that is an unfinished copy of an SQLite one is
// refused with [ErrUnfinishedCopy].
func OpenDB(sqldb *sql.DB) (*DB, error) {
	return openDB(sqldb, true)
}

// openDB is [OpenDB]; checkCopy false opens an unfinished copy too.
func openDB(sqldb *sql.DB, checkCopy bool) (*DB, error) {
	db := &DB{db: newPool(sqldb), Now: time.Now}
	ctx := context.Background()
	if isPostgresDriver(sqldb) {
		if pgdriver.Linked == nil {
			return nil, ErrPostgresNotLinked
		}
		db.db.pg = true
		// Before migrating: a newer app must not migrate an unfinished
		// copy away from the SQLite database it copies.
		if checkCopy {
			if err := db.refuseUnfinishedCopy(ctx); err != nil {
				return nil, err
			}
		}
		if err := db.migratePostgres(ctx); err != nil {
			return nil, err
		}
		return db, nil
	}
	var fk int
	err := sqldb.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk)
	// The first connections to a new file switch it to WAL, which takes a
	// lock SQLite does not wait for (busy_timeout does not cover a journal
	// mode change): when several processes open a new file at once, the
	// losers retry instead of failing to start.
	for delay := 5 * time.Millisecond; isBusy(err) && delay <= 2560*time.Millisecond; delay *= 2 {
		time.Sleep(delay)
		err = sqldb.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk)
	}
	if err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	if fk != 1 {
		return nil, errors.New("store: open: foreign keys are off; open the pool with store.DSN")
	}
	if err := db.migrate(ctx); err != nil {
		return nil, err
	}
	return db, nil
}

// Close closes the statements the store prepared, and the pool if [Open]
// opened it.
func (db *DB) Close() error {
	db.db.close()
	if !db.owned {
		return nil
	}
	err := db.db.DB.Close()
	if db.closePool != nil {
		db.closePool()
	}
	return err
}

// SQL returns the underlying pool, for an app's own tables in the same file.
func (db *DB) SQL() *sql.DB { return db.db.DB }

func (db *DB) migrate(ctx context.Context) error {
	if useSchema {
		if err := db.createFromSchema(ctx); err != nil {
			return err
		}
	}
	if _, err := db.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS auth_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	applied := map[int]bool{}
	rows, err := db.db.QueryContext(ctx, `SELECT version FROM auth_migrations`)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return fmt.Errorf("store: migrate: %w", err)
		}
		applied[v] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	sort.Strings(names)
	for _, name := range names {
		base := strings.TrimPrefix(name, "migrations/")
		version, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("store: migrate: bad migration name %q", base)
		}
		if applied[version] {
			continue
		}
		body, err := migrationFS.ReadFile(name)
		if err != nil {
			return fmt.Errorf("store: migrate: %w", err)
		}
		err = db.tx(ctx, func(tx *txn) error {
			// Another process may have applied it since the read above.
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM auth_migrations WHERE version = $1`, version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO auth_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
				version, base, ms(db.Now()))
			return err
		})
		if err != nil {
			return fmt.Errorf("store: migrate %s: %w", base, err)
		}
	}
	return nil
}

// schemaSQL is the schema the migrations it lists build, as one script
// (store/schema.sql, written by `go test ./store -run TestSchemaIsTheMigrations -update`).
// A new database is created from it in one transaction instead of
// replaying those migrations one by one (whose ALTER TABLEs each make
// SQLite parse the whole schema again); migrations after them are then
// applied as usual. TestSchemaIsTheMigrations checks that both ways give
// the same schema.
//
//go:embed schema.sql
var schemaSQL string

// useSchema is false in the test that compares schemaSQL with the
// migrations.
var useSchema = true

// createFromSchema creates a new, empty database from schemaSQL and
// records the migrations it covers. A database with any table is left
// alone.
func (db *DB) createFromSchema(ctx context.Context) error {
	err := db.tx(ctx, func(tx *txn) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master`).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, schemaSQL); err != nil {
			return err
		}
		now := ms(db.Now())
		for _, line := range strings.Split(schemaSQL, "\n") {
			name, ok := strings.CutPrefix(line, "-- migration: ")
			if !ok {
				continue
			}
			version, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
			if err != nil {
				return fmt.Errorf("bad migration name %q", name)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO auth_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
				version, name, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: create from schema: %w", err)
	}
	return nil
}

// Migrations returns the names of the applied migrations, oldest first.
func (db *DB) Migrations(ctx context.Context) ([]string, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT name FROM auth_migrations ORDER BY version`)
	if err != nil {
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// tx runs fn in one write transaction. On SQLite it is BEGIN IMMEDIATE
// through the DSN, so concurrent writers wait on the busy timeout instead of
// failing midway. On PostgreSQL it is SERIALIZABLE, and a transaction that
// loses a conflict with another one runs again from the start (fn must only
// set what it returns), so callers never see the conflict.
func (db *DB) tx(ctx context.Context, fn func(*txn) error) error {
	for attempt := 1; ; attempt++ {
		err := db.txWith(ctx, db.db.txOptions(), fn)
		if err == nil || !db.db.pg || !isRetryable(err) || attempt >= maxTxAttempts {
			return err
		}
		if err := retryDelay(ctx, attempt); err != nil {
			return err
		}
	}
}

func (db *DB) txWith(ctx context.Context, opts *sql.TxOptions, fn func(*txn) error) error {
	tx, err := db.db.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	slot, err := db.auditTx(ctx, tx)
	if err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	if slot != nil {
		slot.mu.Lock()
		slot.done = true
		slot.mu.Unlock()
	}
	return nil
}

// execer is a pool or a transaction.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// execOne runs a statement that must change a row: none is
// [core.ErrNotFound].
func execOne(ctx context.Context, x execer, query string, args ...any) error {
	res, err := x.ExecContext(ctx, query, args...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return core.ErrNotFound
	}
	return nil
}

// EmailKey is the form in which emails are compared: NFKC with Unicode
// case folding (so "STRASSE" and "straße" or "Σ" and "ς" meet), without
// invisible format characters or surrounding space.
func EmailKey(email string) string {
	s := norm.NFKC.String(strings.TrimSpace(email))
	s = strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, s)
	return norm.NFKC.String(cases.Fold().String(s))
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

func fromNullMS(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMS(v.Int64)
	return &t
}
