// Package pgdriver is where package postgres plugs PostgreSQL (pgx) into
// the store. The store uses PostgreSQL only through Linked, so a program
// that does not import github.com/embedauth/auth/postgres links no pgx.
package pgdriver

import (
	"context"
	"database/sql"
)

// Driver is what package postgres provides.
type Driver struct {
	// Open connects to url (pool_max_conns in it sizes the pool; by
	// default at least defaultConns) and returns a database/sql pool over
	// it and a function that closes what Open opened besides that pool.
	Open func(ctx context.Context, url string, defaultConns int) (*sql.DB, func(), error)
	// Listen runs LISTEN channel on driverConn (the connection
	// sql.Conn.Raw gives), calls listening once it is in place, then fn
	// with each notification's payload until the connection fails or ctx
	// ends.
	Listen func(ctx context.Context, driverConn any, channel string, listening func(), fn func(payload string)) error
}

// Linked is set by package postgres's init; nil when it is not linked.
var Linked *Driver

// Import is the import that links PostgreSQL, for error messages.
const Import = `import _ "github.com/embedauth/auth/postgres"`

// CopyMark is the comment on a database's auth_migrations table while it
// is an unfinished copy of an SQLite database (package postgres's
// CopyDatabase without Finish).
const CopyMark = "embedauth: unfinished copy of an SQLite database"

// IsUnfinishedCopy is the query that reports whether a database is an
// unfinished copy (false for a new database, without the table).
const IsUnfinishedCopy = `SELECT COALESCE(obj_description(to_regclass('auth_migrations'), 'pg_class'), '') = '` + CopyMark + `'`
