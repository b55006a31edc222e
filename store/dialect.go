package store

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"math/rand/v2"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Engine names the database engine a [DB] runs on.
type Engine string

// The engines a [DB] runs on.
const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// Engine reports which engine db runs on.
func (db *DB) Engine() Engine {
	if db.db.pg {
		return Postgres
	}
	return SQLite
}

// The store's SQL is written once, for both engines: $n placeholders,
// BIGINT millisecond timestamps, INTEGER 0/1 flags, ON CONFLICT upserts,
// RETURNING. What still differs is kept here and in postgres.go:
//
//   - Write transactions: SQLite's run one at a time (BEGIN IMMEDIATE via
//     the DSN, waiting on the busy timeout). PostgreSQL's run SERIALIZABLE,
//     so the same read-then-write logic stays correct when they overlap,
//     and a transaction that loses a conflict (serialization failure,
//     deadlock) is run again from the start by [DB.tx]; no caller sees it.
//   - Flags: Go bools bound to a query become 0/1 on PostgreSQL, as the
//     SQLite driver stores them (the columns are INTEGER on both).
//   - Text comparisons: the store compares keys it has already folded
//     (EmailKey, lower(name)), never with LIKE, whose case rules differ.
//   - Insertion order: the two tables ordered by SQLite's rowid have a
//     rowid identity column on PostgreSQL.
//   - Migrations: migrations/postgres holds each migration of migrations/
//     with the same number, in PostgreSQL's syntax (BYTEA, identity
//     columns, PL/pgSQL triggers).
//   - Backups: VACUUM INTO on SQLite; pg_dump on PostgreSQL.

// pgArgs returns args as PostgreSQL binds them: bools as 0/1.
func pgArgs(args []any) []any {
	var out []any
	for i, a := range args {
		b, ok := a.(bool)
		if !ok {
			continue
		}
		if out == nil {
			out = append([]any(nil), args...)
		}
		if b {
			out[i] = int64(1)
		} else {
			out[i] = int64(0)
		}
	}
	if out == nil {
		return args
	}
	return out
}

// sqlLimit is limit for a LIMIT clause: a negative limit (none) becomes
// the largest one, which both engines take (PostgreSQL refuses a negative
// LIMIT).
func sqlLimit(limit int) int64 {
	if limit < 0 {
		return math.MaxInt64
	}
	return int64(limit)
}

// pgCode returns the SQLSTATE of a PostgreSQL error, or "".
func pgCode(err error) string {
	var pe interface{ SQLState() string } // pgconn.PgError
	if errors.As(err, &pe) {
		return pe.SQLState()
	}
	return ""
}

// isBusy reports whether err is SQLITE_BUSY (with any extended code).
func isBusy(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY
}

// isRetryable reports whether a PostgreSQL transaction failed only because
// it overlapped another one and may simply run again: a serialization
// failure or a deadlock.
func isRetryable(err error) bool {
	switch pgCode(err) {
	case "40001", "40P01":
		return true
	}
	return false
}

// isUnique reports whether err is a UNIQUE or PRIMARY KEY violation.
func isUnique(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code()
		return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return pgCode(err) == "23505"
}

// maxTxAttempts bounds how often [DB.tx] runs a PostgreSQL transaction
// that keeps losing conflicts.
const maxTxAttempts = 40

// txOptions are the options of the store's write transactions.
func (p *pool) txOptions() *sql.TxOptions {
	if p.pg {
		return &sql.TxOptions{Isolation: sql.LevelSerializable}
	}
	return nil
}

// skipLocked ends the SELECT of rows a dispatcher leases: on PostgreSQL
// the rows are locked, and rows another dispatcher has locked are skipped
// rather than waited for, so several instances lease different messages
// at once. SQLite's write transactions run one at a time: nothing to add.
func (p *pool) skipLocked() string {
	if p.pg {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}

// leaseTx runs fn, which leases rows with skipLocked, in one write
// transaction. On PostgreSQL it is READ COMMITTED rather than SERIALIZABLE:
// the row locks order the dispatchers, each statement sees what the
// others committed, and they do not fail each other's transactions.
func (db *DB) leaseTx(ctx context.Context, fn func(*txn) error) error {
	if !db.db.pg {
		return db.tx(ctx, fn)
	}
	for attempt := 1; ; attempt++ {
		err := db.txWith(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted}, fn)
		if err == nil || !isRetryable(err) || attempt >= maxTxAttempts {
			return err
		}
		if err := retryDelay(ctx, attempt); err != nil {
			return err
		}
	}
}

// retryDelay waits a little, longer with each attempt and at random, before
// a transaction that lost a conflict runs again.
func retryDelay(ctx context.Context, attempt int) error {
	d := time.Duration(1+rand.IntN(1<<min(attempt, 6))) * time.Millisecond
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
