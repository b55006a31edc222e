package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func openOwnPool(t *testing.T, conns int) (*DB, *sql.DB) {
	t.Helper()
	sqldb, err := sql.Open("sqlite", DSN(filepath.Join(t.TempDir(), "auth.db")))
	if err != nil {
		t.Fatal(err)
	}
	sqldb.SetMaxOpenConns(conns)
	t.Cleanup(func() { sqldb.Close() })
	db, err := OpenDB(sqldb)
	if err != nil {
		t.Fatal(err)
	}
	return db, sqldb
}

func (p *pool) settle() { p.prepared.Wait() }

func (p *pool) isPrepared(query string) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.stmts[query] != nil
}

// A query runs unprepared the first time (a query run only once, at
// start, is never prepared), is prepared in the background at its second
// run, and from then on runs the prepared statement, alone and inside
// transactions, with the same results.
func TestStatementsArePreparedOnceAndReused(t *testing.T) {
	db, _ := openOwnPool(t, 4)
	ctx := context.Background()
	const q = `SELECT COUNT(*) FROM auth_users WHERE email_key = $1`
	count := func(tx *txn) int {
		var n int
		var err error
		if tx != nil {
			err = tx.QueryRowContext(ctx, q, "a@example.com").Scan(&n)
		} else {
			err = db.db.QueryRowContext(ctx, q, "a@example.com").Scan(&n)
		}
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(nil); n != 0 {
		t.Fatalf("count %d", n)
	}
	db.db.settle()
	if db.db.isPrepared(q) {
		t.Fatal("query prepared after its first run")
	}
	if n := count(nil); n != 0 {
		t.Fatalf("count %d", n)
	}
	db.db.settle()
	if !db.db.isPrepared(q) {
		t.Fatal("query not prepared after its second run")
	}
	if _, err := db.CreateUser(ctx, NewUser{Email: "A@example.com"}); err != nil {
		t.Fatal(err)
	}
	if n := count(nil); n != 1 {
		t.Fatalf("prepared query sees %d users, want 1", n)
	}
	err := db.tx(ctx, func(tx *txn) error {
		if n := count(tx); n != 1 {
			t.Errorf("in a transaction: %d users, want 1", n)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE auth_users SET email_key = 'b@example.com'`); err != nil {
			return err
		}
		if n := count(tx); n != 0 { // the transaction sees its own write
			t.Errorf("after the update in the transaction: %d users, want 0", n)
		}
		return fmt.Errorf("roll back")
	})
	if err == nil {
		t.Fatal("transaction did not fail")
	}
	if n := count(nil); n != 1 {
		t.Fatalf("after rollback: %d users, want 1", n)
	}
}

// A transaction holding the only connection runs a query never seen
// before: preparing it needs a connection, so it must not wait for one.
func TestNewQueryInTransactionOnOneConnection(t *testing.T) {
	db, _ := openOwnPool(t, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := range 3 {
		err := db.tx(ctx, func(tx *txn) error {
			var n int
			return tx.QueryRowContext(ctx, fmt.Sprintf(`SELECT %d + COUNT(*) FROM auth_users`, i)).Scan(&n)
		})
		if err != nil {
			t.Fatalf("query %d: %v", i, err)
		}
	}
}

// Scripts and queries that do not compile are never kept prepared, and the
// latter keep failing with SQLite's error.
func TestScriptsAndBadQueriesRunUnprepared(t *testing.T) {
	db, _ := openOwnPool(t, 2)
	ctx := context.Background()
	script := `CREATE TABLE app_a (x INTEGER); CREATE TABLE app_b (y INTEGER);`
	if _, err := db.db.ExecContext(ctx, script); err != nil {
		t.Fatal(err)
	}
	bad := `SELECT nope FROM auth_users`
	for range 3 {
		if _, err := db.db.QueryContext(ctx, bad); err == nil {
			t.Fatal("bad query did not fail")
		}
		db.db.settle()
	}
	if db.db.isPrepared(script) || db.db.isPrepared(bad) {
		t.Fatal("script or bad query kept as a prepared statement")
	}
	if _, err := db.db.ExecContext(ctx, `INSERT INTO app_b (y) VALUES (1)`); err != nil {
		t.Fatalf("table from the script missing: %v", err)
	}
}

// No more than maxStatements queries are kept; the rest still run.
func TestPreparedStatementsAreBounded(t *testing.T) {
	db, _ := openOwnPool(t, 2)
	ctx := context.Background()
	for i := range maxStatements + 50 {
		for range 2 { // prepared at the second run
			var n int
			if err := db.db.QueryRowContext(ctx, fmt.Sprintf(`SELECT %d`, i)).Scan(&n); err != nil || n != i {
				t.Fatalf("query %d: %d, %v", i, n, err)
			}
		}
	}
	db.db.settle()
	db.db.mu.RLock()
	kept := len(db.db.stmts)
	db.db.mu.RUnlock()
	if kept == 0 {
		t.Error("no statement was prepared")
	}
	if kept > maxStatements {
		t.Fatalf("%d statements kept, bound %d", kept, maxStatements)
	}
}

// Many goroutines running the same new query at once prepare it once and
// all get right answers; closing the store while statements are being
// prepared leaves an app's own pool usable.
func TestConcurrentFirstUseAndClose(t *testing.T) {
	db, sqldb := openOwnPool(t, 4)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var n int
			q := fmt.Sprintf(`SELECT %d + COUNT(*) FROM auth_users`, i%5)
			if err := db.db.QueryRowContext(ctx, q).Scan(&n); err != nil || n != i%5 {
				t.Errorf("got %d, %v", n, err)
			}
		}()
	}
	wg.Wait()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db.db.mu.RLock()
	left := len(db.db.stmts)
	db.db.mu.RUnlock()
	if left != 0 {
		t.Fatalf("%d statements left open after Close", left)
	}
	var n int
	if err := sqldb.QueryRowContext(ctx, `SELECT COUNT(*) FROM auth_users`).Scan(&n); err != nil {
		t.Fatalf("app's pool after Close: %v", err)
	}
}

// Rows of a query read in a transaction while the same query runs again
// inside the loop are all read: one prepared statement on the
// transaction's connection would be started over under them.
func TestSameQueryNestedInTransaction(t *testing.T) {
	db, _ := openOwnPool(t, 2)
	ctx := context.Background()
	for _, e := range []string{"a@example.com", "b@example.com", "c@example.com"} {
		if _, err := db.CreateUser(ctx, NewUser{Email: e}); err != nil {
			t.Fatal(err)
		}
	}
	const q = `SELECT email_key FROM auth_users ORDER BY email_key`
	for range 2 { // prepared at the second run
		rows, err := db.db.QueryContext(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	db.db.settle()
	if !db.db.isPrepared(q) {
		t.Fatal("query not prepared")
	}
	err := db.tx(ctx, func(tx *txn) error {
		outer, err := tx.QueryContext(ctx, q)
		if err != nil {
			return err
		}
		defer outer.Close()
		var seen []string
		for outer.Next() {
			var e string
			if err := outer.Scan(&e); err != nil {
				return err
			}
			seen = append(seen, e)
			inner, err := tx.QueryContext(ctx, q)
			if err != nil {
				return err
			}
			for inner.Next() {
			}
			if err := inner.Close(); err != nil {
				return err
			}
		}
		if err := outer.Err(); err != nil {
			return err
		}
		if fmt.Sprint(seen) != "[a@example.com b@example.com c@example.com]" {
			t.Errorf("outer rows: %v", seen)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Close does not wait for a statement still waiting for a connection.
func TestCloseWhilePrepareWaitsForConnection(t *testing.T) {
	db, sqldb := openOwnPool(t, 1)
	ctx := context.Background()
	held, err := sqldb.Conn(ctx) // the only connection
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	db.db.stmt(`SELECT 42`) // the first run: not prepared
	db.db.stmt(`SELECT 42`) // starts a prepare that cannot get a connection
	db.db.mu.RLock()
	pending := db.db.pending[`SELECT 42`]
	db.db.mu.RUnlock()
	if !pending {
		t.Fatal("the second run started no prepare")
	}
	closed := make(chan error, 1)
	go func() { closed <- db.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close waited for a prepare that could not get a connection")
	}
	if db.db.isPrepared(`SELECT 42`) {
		t.Fatal("statement prepared after Close")
	}
}
