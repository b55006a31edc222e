package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/embedauth/auth/internal/pgdriver"
)

//go:embed migrations/postgres/*.sql
var pgMigrationFS embed.FS

// DefaultPostgresConns bounds the pool [OpenPostgres] creates when the URL
// sets no pool_max_conns (when the machine has fewer CPUs).
const DefaultPostgresConns = 10

// IsPostgresURL reports whether s names a PostgreSQL database
// (postgres://... or postgresql://...) rather than a SQLite file.
func IsPostgresURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// ErrPostgresNotLinked is returned when a PostgreSQL database is asked
// for in a program that does not import github.com/embedauth/auth/postgres.
var ErrPostgresNotLinked = errors.New("store: PostgreSQL is not linked into this program: add " + pgdriver.Import)

// PostgresLinked reports whether the program imports
// github.com/embedauth/auth/postgres, which PostgreSQL needs.
func PostgresLinked() bool { return pgdriver.Linked != nil }

// OpenPostgres connects to the PostgreSQL database at url (a postgres://
// URL or any connection string pgx accepts, pool_max_conns included; by
// default [DefaultPostgresConns] connections) with a pgxpool, and migrates
// it. Several processes may open the same database
// at once: migrations run one process at a time, and every write
// transaction is serializable. The tables live in the connection's
// current schema (search_path=... in the URL chooses another). The
// program must import github.com/embedauth/auth/postgres; without it
// OpenPostgres returns [ErrPostgresNotLinked].
//
// A database that a copy from SQLite filled and has not finished
// (embedauth migrate-to without -finish) is refused with
// [ErrUnfinishedCopy]: the app must not write to it while later changes
// may still be copied over its rows.
func OpenPostgres(ctx context.Context, url string) (*DB, error) {
	return openPostgres(ctx, url, true)
}

// OpenCopyTarget opens the PostgreSQL database at url as [OpenPostgres]
// does, but also when it is an unfinished copy: it is how the copy from
// SQLite (package github.com/embedauth/auth/postgres) opens its target.
func OpenCopyTarget(ctx context.Context, url string) (*DB, error) {
	return openPostgres(ctx, url, false)
}

// openPostgres opens and migrates the database at url; checkCopy refuses
// an unfinished copy.
func openPostgres(ctx context.Context, url string, checkCopy bool) (*DB, error) {
	if pgdriver.Linked == nil {
		return nil, ErrPostgresNotLinked
	}
	sqldb, closePool, err := pgdriver.Linked.Open(ctx, url, DefaultPostgresConns)
	if err != nil {
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	db, err := openDB(sqldb, checkCopy)
	if err != nil {
		sqldb.Close()
		closePool()
		return nil, err
	}
	db.owned = true
	db.closePool = closePool
	return db, nil
}

// isPostgresDriver reports whether sqldb is a pool of pgx's database/sql
// driver (github.com/jackc/pgx/v5/stdlib), told by its package's path so
// that a program that opened one without linking package postgres is
// told what is missing instead of being taken for SQLite.
func isPostgresDriver(sqldb *sql.DB) bool {
	t := reflect.TypeOf(sqldb.Driver())
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t != nil && strings.HasPrefix(t.PkgPath(), "github.com/jackc/pgx/v5/")
}

// quoteIdent quotes a PostgreSQL identifier, as pgx.Identifier.Sanitize
// does.
func quoteIdent(s string) string {
	s = strings.ReplaceAll(s, "\x00", "")
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// migrationFiles lists the migrations of dir in fsys by version.
func migrationFiles(fsys fs.FS, dir string) (map[int]string, error) {
	names, err := fs.Glob(fsys, dir+"/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := map[int]string{}
	for _, name := range names {
		base := strings.TrimPrefix(name, dir+"/")
		version, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("bad migration name %q", base)
		}
		out[version] = name
	}
	return out, nil
}

// migratePostgres applies the migrations of migrations/postgres not yet
// applied, holding an advisory lock (one per schema) so that processes
// starting together apply each migration once.
func (db *DB) migratePostgres(ctx context.Context) error {
	conn, err := db.db.DB.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	defer conn.Close()
	const lockKey = `hashtext('embedauth migrate ' || current_schema())`
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(`+lockKey+`)`); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	defer conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock(`+lockKey+`)`)
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS auth_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	applied := map[int]bool{}
	rows, err := conn.QueryContext(ctx, `SELECT version FROM auth_migrations`)
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
	files, err := migrationFiles(pgMigrationFS, "migrations/postgres")
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	versions := make([]int, 0, len(files))
	for v := range files {
		versions = append(versions, v)
	}
	sort.Ints(versions)
	for _, version := range versions {
		if applied[version] {
			continue
		}
		name := files[version]
		base := strings.TrimPrefix(name, "migrations/postgres/")
		body, err := pgMigrationFS.ReadFile(name)
		if err != nil {
			return fmt.Errorf("store: migrate: %w", err)
		}
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("store: migrate %s: %w", base, err)
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			tx.Rollback()
			return fmt.Errorf("store: migrate %s: %w", base, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO auth_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
			version, base, ms(db.Now())); err != nil {
			tx.Rollback()
			return fmt.Errorf("store: migrate %s: %w", base, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("store: migrate %s: %w", base, err)
		}
	}
	return nil
}
