package store

import (
	"context"
	"database/sql"
	"strings"
	"sync"
)

// maxStatements bounds how many distinct queries pool keeps prepared. The
// store's queries are fixed strings, a few hundred at most; anything past
// the bound runs unprepared.
const maxStatements = 512

// pool is the *sql.DB every query of the store goes through. It prepares
// each query once and reuses the statement on every connection of the pool:
// SQLite parses and plans SQL on every prepare, which otherwise costs as
// much CPU as running a small query does. A query is prepared at its
// second run, not its first: many queries run once, at start (reading the
// keys, the settings), and preparing them would only slow the start down.
// That second run is unprepared while it is prepared in the background: preparing needs a
// connection of its own, and waiting for one inside a transaction could
// wait forever when every connection is in a transaction. Scripts (several
// statements) and queries that fail to prepare always run unprepared, which
// reports their errors as before.
type pool struct {
	*sql.DB
	pg bool // PostgreSQL: pgx prepares and caches statements itself

	mu       sync.RWMutex
	stmts    map[string]*sql.Stmt
	pending  map[string]bool
	seen     map[string]bool // run once, not prepared yet
	closed   bool
	prepared sync.WaitGroup
	ctx      context.Context // of the background prepares; close cancels it
	cancel   context.CancelFunc

	// w, when set, is the pool of one connection that every write
	// transaction and every statement run by ExecContext use (see Open).
	w *pool
}

func newPool(db *sql.DB) *pool {
	ctx, cancel := context.WithCancel(context.Background())
	return &pool{DB: db, stmts: map[string]*sql.Stmt{}, pending: map[string]bool{}, seen: map[string]bool{}, ctx: ctx, cancel: cancel}
}

// stmt returns the prepared statement for query, or nil when there is
// none (yet).
func (p *pool) stmt(query string) *sql.Stmt {
	if p.pg {
		return nil
	}
	p.mu.RLock()
	s, ok := p.stmts[query]
	p.mu.RUnlock()
	if ok || strings.Contains(query, ";") { // a script, as migrations are
		return s
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if s, ok := p.stmts[query]; ok || p.closed || p.pending[query] || len(p.stmts)+len(p.pending) >= maxStatements {
		return s
	}
	if !p.seen[query] {
		if len(p.seen) < maxStatements {
			p.seen[query] = true
		}
		return nil
	}
	delete(p.seen, query)
	p.pending[query] = true
	p.prepared.Add(1)
	go p.prepare(query)
	return nil
}

func (p *pool) prepare(query string) {
	defer p.prepared.Done()
	s, err := p.DB.PrepareContext(p.ctx, query)
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.pending, query)
	switch {
	case err != nil:
		p.stmts[query] = nil // does not prepare: always unprepared
	case p.closed:
		s.Close()
	default:
		p.stmts[query] = s
	}
}

// close closes the prepared statements (not the pool, which an app may
// own), once those being prepared are done or given up.
func (p *pool) close() {
	if p.w != nil {
		p.w.close()
		p.w.DB.Close()
	}
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.cancel() // a prepare waiting for a connection stops waiting
	p.prepared.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	for q, s := range p.stmts {
		if s != nil {
			s.Close()
		}
		delete(p.stmts, q)
	}
}

func (p *pool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if p.w != nil {
		return p.w.ExecContext(ctx, query, args...)
	}
	if p.pg {
		return p.DB.ExecContext(ctx, query, pgArgs(args)...)
	}
	if s := p.stmt(query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return p.DB.ExecContext(ctx, query, args...)
}

// writes reports whether query changes rows (INSERT, UPDATE or DELETE
// ... RETURNING, run as a query): it runs on the pool's writer.
func writes(query string) bool {
	q := strings.TrimLeft(query, " \t\n")
	return len(q) > 6 && (strings.EqualFold(q[:6], "INSERT") || strings.EqualFold(q[:6], "UPDATE") || strings.EqualFold(q[:6], "DELETE"))
}

func (p *pool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if p.w != nil && writes(query) {
		return p.w.QueryContext(ctx, query, args...)
	}
	if p.pg {
		return p.DB.QueryContext(ctx, query, pgArgs(args)...)
	}
	if s := p.stmt(query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return p.DB.QueryContext(ctx, query, args...)
}

func (p *pool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if p.w != nil && writes(query) {
		return p.w.QueryRowContext(ctx, query, args...)
	}
	if p.pg {
		return p.DB.QueryRowContext(ctx, query, pgArgs(args)...)
	}
	if s := p.stmt(query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return p.DB.QueryRowContext(ctx, query, args...)
}

// BeginTx starts a transaction whose queries use the prepared statements.
func (p *pool) BeginTx(ctx context.Context, opts *sql.TxOptions) (*txn, error) {
	if p.w != nil {
		return p.w.BeginTx(ctx, opts)
	}
	tx, err := p.DB.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &txn{Tx: tx, p: p}, nil
}

// txn is a transaction of a pool: its queries run the pool's prepared
// statements on the transaction's connection.
type txn struct {
	*sql.Tx
	p *pool
}

func (t *txn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if t.p.pg {
		return t.Tx.ExecContext(ctx, query, pgArgs(args)...)
	}
	if s := t.p.stmt(query); s != nil {
		return t.Tx.StmtContext(ctx, s).ExecContext(ctx, args...)
	}
	return t.Tx.ExecContext(ctx, query, args...)
}

// QueryContext runs unprepared: every statement of a transaction runs on
// its one connection, where the same prepared statement run again while
// the first one's rows are still being read would start over under them.
func (t *txn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if t.p.pg {
		return t.Tx.QueryContext(ctx, query, pgArgs(args)...)
	}
	return t.Tx.QueryContext(ctx, query, args...)
}

func (t *txn) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if t.p.pg {
		return t.Tx.QueryRowContext(ctx, query, pgArgs(args)...)
	}
	if s := t.p.stmt(query); s != nil {
		return t.Tx.StmtContext(ctx, s).QueryRowContext(ctx, args...)
	}
	return t.Tx.QueryRowContext(ctx, query, args...)
}
