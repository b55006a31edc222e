package postgres

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"math/bits"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/embedauth/auth/internal/pgdriver"
	"github.com/embedauth/auth/store"
)

// TableCopy is what [CopyDatabase] did to one table.
type TableCopy struct {
	Table string
	// Rows is the number of rows the table has on both sides now.
	Rows int
	// Inserted, Updated and Deleted count the rows the copy wrote to the
	// target: on a first copy every row is inserted; on a later one only
	// the differences are written.
	Inserted, Updated, Deleted int
	// Checksum is the sum, modulo 2^256 and in hex, of the SHA-256 of
	// each of the table's rows, each row's values encoded alike whatever
	// the engine (so the order of rows and of engines does not matter).
	// The copy's rows, read back, gave the source's.
	Checksum string
}

// CopyOptions says how [CopyDatabase] leaves the target.
type CopyOptions struct {
	// Finish makes the copy the final one: the target loses its mark of
	// an unfinished copy, so apps may open it, and later copies into it
	// are refused. Run it while no app writes to the source.
	Finish bool
}

// CopyDatabase copies every embedauth table of the SQLite database src
// into the PostgreSQL database dst, which must be at the same migration,
// and may run while apps use src: src is read from one snapshot (in WAL
// mode its writers go on meanwhile), and dst is written in one
// transaction, all of it or none.
//
// dst must be new and empty, or an unfinished copy of src (one that an
// earlier CopyDatabase filled): then only the differences are written,
// rows deleted, changed and added since, so a later copy is short. After
// either, it reads dst back and compares each table's row count and
// checksum with src's; any difference fails the copy and rolls it back.
// The target stays marked as an unfinished copy, which apps refuse to
// open ([store.ErrUnfinishedCopy]), until a copy with [CopyOptions.Finish].
//
// The way to move a serving app: copy while it serves, copy again to
// shorten the last step, stop it, copy with Finish (which writes only
// what changed since), start it on dst.
//
// Tables are written in an order their foreign keys accept, with dst's
// triggers off (the rows they would derive are copied too), and identity
// columns continue after the largest id copied.
func CopyDatabase(ctx context.Context, src, dst *store.DB, opts CopyOptions) ([]TableCopy, error) {
	if src.Engine() != store.SQLite || dst.Engine() != store.Postgres {
		return nil, errors.New("postgres: copy: copies an SQLite database into a PostgreSQL one")
	}
	a, err := src.Migrations(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgres: copy: %w", err)
	}
	b, err := dst.Migrations(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgres: copy: %w", err)
	}
	if !slices.Equal(a, b) {
		return nil, fmt.Errorf("postgres: copy: the databases are at different migrations (%d and %d applied); run the same embedauth version on both", len(a), len(b))
	}

	// Read-only: a deferred transaction, whose snapshot is taken at its
	// first read; the store's immediate transactions would hold the write
	// lock for the whole copy.
	stx, err := src.SQL().BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("postgres: copy: %w", err)
	}
	defer stx.Rollback()
	tables, err := sqliteTablesInOrder(ctx, stx)
	if err != nil {
		return nil, fmt.Errorf("postgres: copy: %w", err)
	}
	conn, err := dst.SQL().Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgres: copy: %w", err)
	}
	defer conn.Close()
	var out []TableCopy
	err = conn.Raw(func(dc any) error {
		var err error
		out, err = copyInto(ctx, stx, dc.(*stdlib.Conn).Conn(), tables, opts)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: copy: %w", err)
	}
	return out, nil
}

// copyInto does [CopyDatabase]'s work on dst, in one transaction on
// its connection.
func copyInto(ctx context.Context, stx *sql.Tx, conn *pgx.Conn, tables []string, opts CopyOptions) ([]TableCopy, error) {
	dtx, err := conn.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer dtx.Rollback(ctx)
	// One copy at a time into a database.
	if _, err := dtx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext(current_schema() || ' embedauth copy'))`); err != nil {
		return nil, err
	}
	var update bool
	if err := dtx.QueryRow(ctx, pgdriver.IsUnfinishedCopy).Scan(&update); err != nil {
		return nil, err
	}
	if !update {
		for _, t := range tables {
			var n int
			if err := dtx.QueryRow(ctx, `SELECT COUNT(*) FROM `+t).Scan(&n); err != nil {
				return nil, fmt.Errorf("%s: %w", t, err)
			}
			if n > 0 {
				return nil, fmt.Errorf("%s already has %d rows; the target must be a new, empty database or an unfinished copy", t, n)
			}
		}
	}
	for _, t := range tables {
		if _, err := dtx.Exec(ctx, `ALTER TABLE `+t+` DISABLE TRIGGER USER`); err != nil {
			return nil, fmt.Errorf("%s: %w", t, err)
		}
	}
	var out []TableCopy
	if update {
		out, err = updateTables(ctx, stx, dtx, tables)
	} else {
		for _, t := range tables {
			c, err := copyTable(ctx, stx, dtx, t)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", t, err)
			}
			out = append(out, c)
		}
	}
	if err != nil {
		return nil, err
	}
	for _, t := range tables {
		if _, err := dtx.Exec(ctx, `ALTER TABLE `+t+` ENABLE TRIGGER USER`); err != nil {
			return nil, fmt.Errorf("%s: %w", t, err)
		}
	}
	mark := `'` + pgdriver.CopyMark + `'`
	if opts.Finish {
		mark = `NULL`
	}
	if _, err := dtx.Exec(ctx, `COMMENT ON TABLE auth_migrations IS `+mark); err != nil {
		return nil, err
	}
	return out, dtx.Commit(ctx)
}

// sqliteTablesInOrder lists the embedauth tables of an SQLite database,
// each after the tables its foreign keys reference.
func sqliteTablesInOrder(ctx context.Context, tx *sql.Tx) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'auth\_%' ESCAPE '\' AND name <> 'auth_migrations' ORDER BY name`)
	if err != nil {
		return nil, err
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, err
		}
		names = append(names, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	deps := map[string][]string{}
	for _, n := range names {
		r, err := tx.QueryContext(ctx, `SELECT DISTINCT "table" FROM pragma_foreign_key_list($1)`, n)
		if err != nil {
			return nil, err
		}
		for r.Next() {
			var ref string
			if err := r.Scan(&ref); err != nil {
				r.Close()
				return nil, err
			}
			if ref != n {
				deps[n] = append(deps[n], ref)
			}
		}
		r.Close()
		if err := r.Err(); err != nil {
			return nil, err
		}
	}
	var order []string
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(string) error
	visit = func(n string) error {
		switch state[n] {
		case 1:
			return fmt.Errorf("foreign keys form a cycle at %s", n)
		case 2:
			return nil
		}
		state[n] = 1
		for _, d := range deps[n] {
			if err := visit(d); err != nil {
				return err
			}
		}
		state[n] = 2
		order = append(order, n)
		return nil
	}
	for _, n := range names {
		if err := visit(n); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// pgColumn is a column of a PostgreSQL table.
type pgColumn struct {
	typ      string // data_type
	identity bool
}

func pgColumns(ctx context.Context, tx pgx.Tx, table string) (map[string]pgColumn, error) {
	rows, err := tx.Query(ctx, `SELECT column_name, data_type, is_identity FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1`, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]pgColumn{}
	for rows.Next() {
		var name, typ, ident string
		if err := rows.Scan(&name, &typ, &ident); err != nil {
			return nil, err
		}
		out[name] = pgColumn{typ: typ, identity: ident == "YES"}
	}
	return out, rows.Err()
}

// quoteAll quotes column names for either engine.
func quoteAll(cols []string) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = pgx.Identifier{c}.Sanitize()
	}
	return out
}

// keyWhere is "a = $n AND b = $n+1 ..." for the key's columns, numbered
// from first.
func keyWhere(key []string, first int) string {
	parts := make([]string, len(key))
	for i, q := range quoteAll(key) {
		parts[i] = q + " = $" + strconv.Itoa(first+i)
	}
	return strings.Join(parts, " AND ")
}

// rowBuf reads rows of n columns into one reused slice.
type rowBuf struct {
	vals, ptrs []any
}

func newRowBuf(n int) *rowBuf {
	s := &rowBuf{vals: make([]any, n), ptrs: make([]any, n)}
	for i := range s.vals {
		s.ptrs[i] = &s.vals[i]
	}
	return s
}

// write is an insert or update of one row.
type write struct {
	sql  string
	args []any
}

// table is what the copy knows of one table: its columns in src's order
// and their types in dst, its primary key, and the statements that write
// a row.
type table struct {
	name   string
	cols   []string
	typs   []string // dst's data_type of each column
	ident  []string // dst's identity columns
	key    []string
	keyAt  []int // the key's columns' places in cols
	others []string
	insert string
	update string // the row written whole over the one with its key
	selKey string // the row with a key
}

// srcQuery reads the table's rows from src, in insertion order where
// there is one.
func (t *table) srcQuery(ctx context.Context, stx *sql.Tx) (*sql.Rows, error) {
	rows, err := stx.QueryContext(ctx, `SELECT * FROM `+t.name+` ORDER BY rowid`)
	if err != nil {
		// WITHOUT ROWID tables have none; their order does not matter.
		rows, err = stx.QueryContext(ctx, `SELECT * FROM `+t.name)
	}
	return rows, err
}

// describe reads a table's description from both databases.
func describe(ctx context.Context, stx *sql.Tx, dtx pgx.Tx, name string) (*table, error) {
	t := &table{name: name}
	dcols, err := pgColumns(ctx, dtx, name)
	if err != nil {
		return nil, err
	}
	if len(dcols) == 0 {
		return nil, errors.New("missing in the target")
	}
	// The columns in order, each with its place in the primary key (0:
	// not in it).
	rows, err := stx.QueryContext(ctx, `SELECT name, pk FROM pragma_table_info($1) ORDER BY cid`, name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	keyPlace := map[string]int{}
	for rows.Next() {
		var col string
		var pk int
		if err := rows.Scan(&col, &pk); err != nil {
			return nil, err
		}
		dc, ok := dcols[col]
		if !ok {
			return nil, fmt.Errorf("column %s missing in the target", col)
		}
		t.cols = append(t.cols, col)
		t.typs = append(t.typs, dc.typ)
		if dc.identity {
			t.ident = append(t.ident, col)
		}
		if pk > 0 {
			keyPlace[col] = pk
			t.key = append(t.key, col)
		} else {
			t.others = append(t.others, col)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(t.key) == 0 {
		return nil, errors.New("no primary key")
	}
	slices.SortFunc(t.key, func(a, b string) int { return keyPlace[a] - keyPlace[b] })
	for _, k := range t.key {
		t.keyAt = append(t.keyAt, slices.Index(t.cols, k))
	}
	quoted := quoteAll(t.cols)
	marks := make([]string, len(t.cols))
	for i := range t.cols {
		marks[i] = "$" + strconv.Itoa(i+1)
	}
	t.insert = `INSERT INTO ` + name + ` (` + strings.Join(quoted, ", ") + `) OVERRIDING SYSTEM VALUE VALUES (` + strings.Join(marks, ", ") + `)`
	// A changed row is written whole, inserted when it is not there: a
	// foreign key's ON DELETE CASCADE may have taken it with a row deleted
	// before it (a cookie token moved from a session that is now gone).
	t.update = t.insert + ` ON CONFLICT (` + strings.Join(quoteAll(t.key), ", ") + `) DO NOTHING`
	if len(t.others) > 0 {
		set := make([]string, len(t.others))
		for i, q := range quoteAll(t.others) {
			set[i] = q + " = EXCLUDED." + q
		}
		t.update = t.insert + ` ON CONFLICT (` + strings.Join(quoteAll(t.key), ", ") + `) DO UPDATE SET ` + strings.Join(set, ", ")
	}
	t.selKey = `SELECT ` + strings.Join(quoted, ", ") + ` FROM ` + name + ` WHERE ` + keyWhere(t.key, 1)
	return t, nil
}

// keyOf returns the key's values of a row.
func (t *table) keyOf(vals []any) []any {
	k := make([]any, len(t.keyAt))
	for i, at := range t.keyAt {
		k[i] = vals[at]
	}
	return k
}

// resetIdentity makes dst's identity columns continue after the largest
// value copied.
func (t *table) resetIdentity(ctx context.Context, dtx pgx.Tx) error {
	for _, col := range t.ident {
		if _, err := dtx.Exec(ctx, `SELECT setval(pg_get_serial_sequence($1, $2), COALESCE((SELECT MAX(`+pgx.Identifier{col}.Sanitize()+`) FROM `+t.name+`), 0) + 1, false)`, t.name, col); err != nil {
			return err
		}
	}
	return nil
}

// srcRows streams a table's rows from SQLite, converting each value for
// its column in dst and hashing each row; it is also PostgreSQL COPY's
// source.
type srcRows struct {
	rows *sql.Rows
	buf  *rowBuf
	typs []string
	args []any
	sum  [32]byte // of the current row
	all  checksum
	h    rowHasher
	err  error
}

func newSrcRows(rows *sql.Rows, t *table) *srcRows {
	return &srcRows{rows: rows, buf: newRowBuf(len(t.cols)), typs: t.typs, args: make([]any, len(t.cols))}
}

func (r *srcRows) Next() bool {
	if !r.rows.Next() {
		return false
	}
	if r.err = r.rows.Scan(r.buf.ptrs...); r.err != nil {
		return false
	}
	r.sum = r.h.sum(r.buf.vals)
	r.all.add(r.sum)
	for i, v := range r.buf.vals {
		r.args[i] = pgValue(v, r.typs[i])
	}
	return true
}

func (r *srcRows) Values() ([]any, error) { return r.args, nil }

func (r *srcRows) Err() error {
	if r.err != nil {
		return r.err
	}
	return r.rows.Err()
}

// readDst reads the given columns of every row of a table in dst and
// calls fn with each row's values (valid only during the call).
func readDst(ctx context.Context, dtx pgx.Tx, table string, cols []string, fn func(vals []any)) error {
	rows, err := dtx.Query(ctx, `SELECT `+strings.Join(quoteAll(cols), ", ")+` FROM `+table)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return err
		}
		fn(vals)
	}
	return rows.Err()
}

// dstChecksum reads a whole table of dst back and returns its checksum.
func dstChecksum(ctx context.Context, dtx pgx.Tx, t *table) (checksum, error) {
	var c checksum
	var h rowHasher
	err := readDst(ctx, dtx, t.name, t.cols, func(vals []any) { c.add(h.sum(vals)) })
	return c, err
}

// copyTable copies one table into an empty one with PostgreSQL's COPY
// (which writes identity columns' values as given), reads it back and
// checks the copy.
func copyTable(ctx context.Context, stx *sql.Tx, dtx pgx.Tx, name string) (TableCopy, error) {
	c := TableCopy{Table: name}
	t, err := describe(ctx, stx, dtx, name)
	if err != nil {
		return c, err
	}
	rows, err := t.srcQuery(ctx, stx)
	if err != nil {
		return c, err
	}
	defer rows.Close()
	src := newSrcRows(rows, t)
	n, err := dtx.CopyFrom(ctx, pgx.Identifier{name}, t.cols, src)
	if err != nil {
		return c, err
	}
	rows.Close()
	c.Inserted = int(n)
	if err := t.resetIdentity(ctx, dtx); err != nil {
		return c, err
	}
	back, err := dstChecksum(ctx, dtx, t)
	if err != nil {
		return c, err
	}
	if err := src.all.compare(back); err != nil {
		return c, err
	}
	c.Rows, c.Checksum = src.all.n, src.all.String()
	return c, nil
}

// tableDiff is how one table of dst differs from src.
type tableDiff struct {
	*table
	c       TableCopy
	src     checksum              // src's rows
	expect  checksum              // dst's rows, less those to be deleted or overwritten
	gone    map[[32]byte][32]byte // key sum -> row sum of dst's rows src does not have
	writes  []write               // inserts and updates
	written [][]any               // the keys of the rows written, for the read back
}

// diffTable compares a table of dst with src's: one read of each.
func diffTable(ctx context.Context, stx *sql.Tx, dtx pgx.Tx, name string) (*tableDiff, error) {
	t, err := describe(ctx, stx, dtx, name)
	if err != nil {
		return nil, err
	}
	d := &tableDiff{table: t, c: TableCopy{Table: name}}
	there := map[[32]byte][32]byte{} // key sum -> row sum
	var h rowHasher
	err = readDst(ctx, dtx, name, t.cols, func(vals []any) {
		sum := h.sum(vals)
		there[h.sum(t.keyOf(vals))] = sum
		d.expect.add(sum)
	})
	if err != nil {
		return nil, err
	}
	rows, err := t.srcQuery(ctx, stx)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	src := newSrcRows(rows, t)
	for src.Next() {
		k := h.sum(t.keyOf(src.buf.vals))
		old, ok := there[k]
		delete(there, k)
		switch {
		case !ok:
			d.writes = append(d.writes, write{t.insert, slices.Clone(src.args)})
			d.c.Inserted++
		case old != src.sum:
			d.writes = append(d.writes, write{t.update, slices.Clone(src.args)})
			d.expect.sub(old)
			d.c.Updated++
		default:
			continue
		}
		d.written = append(d.written, t.keyOf(slices.Clone(src.args)))
	}
	if err := src.Err(); err != nil {
		return nil, err
	}
	d.src = src.all
	d.gone = there
	for _, sum := range there {
		d.expect.sub(sum)
	}
	d.c.Deleted = len(there)
	return d, nil
}

// deleteGone deletes the rows of dst that src does not have.
func (d *tableDiff) deleteGone(ctx context.Context, dtx pgx.Tx) error {
	if len(d.gone) == 0 {
		return nil
	}
	var b pgx.Batch
	del := `DELETE FROM ` + d.name + ` WHERE ` + keyWhere(d.key, 1)
	var h rowHasher
	err := readDst(ctx, dtx, d.name, d.key, func(vals []any) {
		if _, ok := d.gone[h.sum(vals)]; ok {
			b.Queue(del, slices.Clone(vals)...)
		}
	})
	if err != nil {
		return err
	}
	if b.Len() != len(d.gone) {
		return fmt.Errorf("%d rows to delete, %d found", len(d.gone), b.Len())
	}
	return dtx.SendBatch(ctx, &b).Close()
}

// verify reads back the rows written (all of the table when they are
// many) and checks that the table now has src's rows.
func (d *tableDiff) verify(ctx context.Context, dtx pgx.Tx) error {
	var n int
	if err := dtx.QueryRow(ctx, `SELECT COUNT(*) FROM `+d.name).Scan(&n); err != nil {
		return err
	}
	if n != d.src.n {
		return fmt.Errorf("%d rows in the source, %d in the copy", d.src.n, n)
	}
	got := d.expect
	if len(d.written) > 1000 {
		var err error
		if got, err = dstChecksum(ctx, dtx, d.table); err != nil {
			return err
		}
	} else if len(d.written) > 0 {
		var b pgx.Batch
		var h rowHasher
		var readErr error
		for _, k := range d.written {
			b.Queue(d.selKey, k...).Query(func(rows pgx.Rows) error {
				found := false
				for rows.Next() {
					vals, err := rows.Values()
					if err != nil {
						return err
					}
					got.add(h.sum(vals))
					found = true
				}
				if !found && readErr == nil {
					readErr = fmt.Errorf("a row written with key %v is missing", k)
				}
				return rows.Err()
			})
		}
		if err := dtx.SendBatch(ctx, &b).Close(); err != nil {
			return err
		}
		if readErr != nil {
			return readErr
		}
	}
	got.n = n
	return d.src.compare(got)
}

// updateTables brings the tables of dst, an unfinished copy, up to src:
// each table is compared first (one read of each side), then rows gone
// from src are deleted, children before parents, so that a row added in
// their place (the same address, say) fits; then changed and new rows
// are written, parents before children, and read back.
func updateTables(ctx context.Context, stx *sql.Tx, dtx pgx.Tx, tables []string) ([]TableCopy, error) {
	diffs := make([]*tableDiff, len(tables))
	for i, name := range tables {
		d, err := diffTable(ctx, stx, dtx, name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		diffs[i] = d
	}
	for _, d := range slices.Backward(diffs) {
		if err := d.deleteGone(ctx, dtx); err != nil {
			return nil, fmt.Errorf("%s: %w", d.name, err)
		}
	}
	out := make([]TableCopy, len(diffs))
	for _, d := range diffs {
		if err := writeAll(ctx, dtx, d.writes); err != nil {
			return nil, fmt.Errorf("%s: %w", d.name, err)
		}
		if d.c.Inserted > 0 {
			if err := d.resetIdentity(ctx, dtx); err != nil {
				return nil, fmt.Errorf("%s: %w", d.name, err)
			}
		}
	}
	for i, d := range diffs {
		if err := d.verify(ctx, dtx); err != nil {
			return nil, fmt.Errorf("%s: %w", d.name, err)
		}
		d.c.Rows, d.c.Checksum = d.src.n, d.src.String()
		out[i] = d.c
	}
	return out, nil
}

// writeAll runs the inserts and updates of one table's differences, at
// once in one batch. When a unique or foreign key constraint refuses one
// (a row whose address another row holds until its own update, say), the
// batch is undone and the writes run one at a time, each in a savepoint,
// a refused one tried again after the others as long as each round
// writes some.
func writeAll(ctx context.Context, dtx pgx.Tx, writes []write) error {
	if len(writes) == 0 {
		return nil
	}
	err := pgx.BeginFunc(ctx, dtx, func(sp pgx.Tx) error {
		var b pgx.Batch
		for _, w := range writes {
			b.Queue(w.sql, w.args...)
		}
		return sp.SendBatch(ctx, &b).Close()
	})
	if code := sqlState(err); code != "23505" && code != "23503" {
		return err
	}
	for len(writes) > 0 {
		var again []write
		for _, w := range writes {
			err = pgx.BeginFunc(ctx, dtx, func(sp pgx.Tx) error {
				_, err := sp.Exec(ctx, w.sql, w.args...)
				return err
			})
			if code := sqlState(err); code == "23505" || code == "23503" {
				again = append(again, w)
			} else if err != nil {
				return err
			}
		}
		if len(again) == len(writes) {
			return err
		}
		writes = again
	}
	return nil
}

// pgValue converts a value read from SQLite for a PostgreSQL column of
// type typ: bytes for BYTEA, text for TEXT.
func pgValue(v any, typ string) any {
	switch typ {
	case "bytea":
		if s, ok := v.(string); ok {
			return []byte(s)
		}
	case "text":
		if b, ok := v.([]byte); ok {
			return string(b)
		}
	}
	return v
}

// rowHasher hashes rows' values, encoded alike on both engines: NULL, an
// integer, or bytes (text and blobs alike). Its zero value is ready.
type rowHasher struct {
	h   hash.Hash
	buf []byte
}

// sum returns the SHA-256 of one row's values.
func (r *rowHasher) sum(vals []any) [32]byte {
	if r.h == nil {
		r.h = sha256.New()
	}
	b := r.buf[:0]
	for _, v := range vals {
		switch x := v.(type) {
		case nil:
			b = append(b, 0)
		case int64:
			b = binary.BigEndian.AppendUint64(append(b, 1), uint64(x))
		case int32:
			b = binary.BigEndian.AppendUint64(append(b, 1), uint64(int64(x)))
		case bool:
			n := uint64(0)
			if x {
				n = 1
			}
			b = binary.BigEndian.AppendUint64(append(b, 1), n)
		case string:
			b = append(binary.BigEndian.AppendUint64(append(b, 2), uint64(len(x))), x...)
		case []byte:
			b = append(binary.BigEndian.AppendUint64(append(b, 2), uint64(len(x))), x...)
		default:
			b = fmt.Appendf(append(b, 3), "%T:%v", x, x)
		}
	}
	r.buf = b
	r.h.Reset()
	r.h.Write(b)
	var out [32]byte
	r.h.Sum(out[:0])
	return out
}

// checksum is an order-free checksum of a table's rows: their number and
// the sum, modulo 2^256, of their SHA-256 hashes, so rows can be added
// and taken away in any order.
type checksum struct {
	n   int
	acc [4]uint64 // most significant first
}

func (c *checksum) add(h [32]byte) {
	c.n++
	var carry uint64
	for i := 3; i >= 0; i-- {
		c.acc[i], carry = bits.Add64(c.acc[i], binary.BigEndian.Uint64(h[i*8:]), carry)
	}
}

func (c *checksum) sub(h [32]byte) {
	c.n--
	var borrow uint64
	for i := 3; i >= 0; i-- {
		c.acc[i], borrow = bits.Sub64(c.acc[i], binary.BigEndian.Uint64(h[i*8:]), borrow)
	}
}

// String is the checksum in hex.
func (c checksum) String() string {
	return fmt.Sprintf("%016x%016x%016x%016x", c.acc[0], c.acc[1], c.acc[2], c.acc[3])
}

// compare returns an error when the copy's checksum got differs from the
// source's c.
func (c checksum) compare(got checksum) error {
	if got.n != c.n {
		return fmt.Errorf("%d rows in the source, %d in the copy", c.n, got.n)
	}
	if got.acc != c.acc {
		return fmt.Errorf("checksums differ: source %s, copy %s", c, got)
	}
	return nil
}

// sqlState returns the SQLSTATE of a PostgreSQL error, or "".
func sqlState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}
