package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
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
	// Checksum is the SHA-256 of the table's rows, read back from the
	// target, each row's values encoded alike whatever the engine (so
	// the order of rows and of engines does not matter); it matched the
	// source's.
	Checksum string
}

// CopyOptions says how [CopyDatabase] leaves the target.
type CopyOptions struct {
	// Finish makes the copy the final one: the target loses its mark of
	// an unfinished copy, so apps may open it, and later copies into it
	// are refused. Run it while no app writes to the source.
	Finish bool
}

// ErrUnfinishedCopy is returned by [OpenPostgres] and [OpenDB] for a
// PostgreSQL database that [CopyDatabase] filled without
// [CopyOptions.Finish]: an app writing to it would lose its writes to the
// next copy.
var ErrUnfinishedCopy = errors.New("store: the PostgreSQL database is an unfinished copy of an SQLite database; " +
	"finish it (embedauth migrate-to -finish) before starting the app on it")

// copyMark is the comment on a target's auth_migrations table while it is
// an unfinished copy.
const copyMark = "embedauth: unfinished copy of an SQLite database"

// unfinishedCopy reports whether the PostgreSQL database q reaches is an
// unfinished copy.
func unfinishedCopy(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (bool, error) {
	var c string
	err := q.QueryRowContext(ctx, `SELECT COALESCE(obj_description('auth_migrations'::regclass, 'pg_class'), '')`).Scan(&c)
	return c == copyMark, err
}

// refuseUnfinishedCopy returns [ErrUnfinishedCopy] for an unfinished copy.
func (db *DB) refuseUnfinishedCopy(ctx context.Context) error {
	u, err := unfinishedCopy(ctx, db.db.DB)
	if err != nil {
		return fmt.Errorf("store: open: %w", err)
	}
	if u {
		return ErrUnfinishedCopy
	}
	return nil
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
// open ([ErrUnfinishedCopy]), until a copy with [CopyOptions.Finish].
//
// The way to move a serving app: copy while it serves, copy again to
// shorten the last step, stop it, copy with Finish (which writes only
// what changed since), start it on dst.
//
// Tables are written in an order their foreign keys accept, with dst's
// triggers off (the rows they would derive are copied too), and identity
// columns continue after the largest id copied.
func CopyDatabase(ctx context.Context, src, dst *DB, opts CopyOptions) ([]TableCopy, error) {
	if src.db.pg || !dst.db.pg {
		return nil, errors.New("store: copy: copies an SQLite database into a PostgreSQL one")
	}
	a, err := src.Migrations(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: copy: %w", err)
	}
	b, err := dst.Migrations(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: copy: %w", err)
	}
	if !slices.Equal(a, b) {
		return nil, fmt.Errorf("store: copy: the databases are at different migrations (%d and %d applied); run the same embedauth version on both", len(a), len(b))
	}

	// Read-only: a deferred transaction, whose snapshot is taken at its
	// first read; the store's immediate transactions would hold the write
	// lock for the whole copy.
	stx, err := src.db.DB.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("store: copy: %w", err)
	}
	defer stx.Rollback()
	tables, err := sqliteTablesInOrder(ctx, stx)
	if err != nil {
		return nil, fmt.Errorf("store: copy: %w", err)
	}
	dtx, err := dst.db.DB.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: copy: %w", err)
	}
	defer dtx.Rollback()

	update, err := unfinishedCopy(ctx, dtx)
	if err != nil {
		return nil, fmt.Errorf("store: copy: %w", err)
	}
	if !update {
		for _, t := range tables {
			var n int
			if err := dtx.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+t).Scan(&n); err != nil {
				return nil, fmt.Errorf("store: copy: %s: %w", t, err)
			}
			if n > 0 {
				return nil, fmt.Errorf("store: copy: %s already has %d rows; the target must be a new, empty database or an unfinished copy", t, n)
			}
		}
	}
	for _, t := range tables {
		if _, err := dtx.ExecContext(ctx, `ALTER TABLE `+t+` DISABLE TRIGGER USER`); err != nil {
			return nil, fmt.Errorf("store: copy: %s: %w", t, err)
		}
	}
	deleted := map[string]int{}
	if update {
		// Rows gone from src go first, children before parents, so that
		// a row added in their place (the same address, say) fits.
		for _, t := range slices.Backward(tables) {
			if deleted[t], err = deleteGone(ctx, stx, dtx, t); err != nil {
				return nil, fmt.Errorf("store: copy: %s: %w", t, err)
			}
		}
	}
	var out []TableCopy
	for _, t := range tables {
		c, err := copyTable(ctx, stx, dtx, t, update)
		if err != nil {
			return nil, fmt.Errorf("store: copy: %s: %w", t, err)
		}
		c.Deleted = deleted[t]
		out = append(out, c)
	}
	for _, t := range tables {
		if _, err := dtx.ExecContext(ctx, `ALTER TABLE `+t+` ENABLE TRIGGER USER`); err != nil {
			return nil, fmt.Errorf("store: copy: %s: %w", t, err)
		}
	}
	mark := `'` + copyMark + `'`
	if opts.Finish {
		mark = `NULL`
	}
	if _, err := dtx.ExecContext(ctx, `COMMENT ON TABLE auth_migrations IS `+mark); err != nil {
		return nil, fmt.Errorf("store: copy: %w", err)
	}
	if err := dtx.Commit(); err != nil {
		return nil, fmt.Errorf("store: copy: %w", err)
	}
	return out, nil
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

func pgColumns(ctx context.Context, tx *sql.Tx, table string) (map[string]pgColumn, error) {
	rows, err := tx.QueryContext(ctx, `SELECT column_name, data_type, is_identity FROM information_schema.columns
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

// primaryKey lists the columns of table's primary key in the SQLite
// database, in the key's order.
func primaryKey(ctx context.Context, stx *sql.Tx, table string) ([]string, error) {
	rows, err := stx.QueryContext(ctx, `SELECT name FROM pragma_table_info($1) WHERE pk > 0 ORDER BY pk`, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, errors.New("no primary key")
	}
	return out, nil
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

// deleteGone deletes from dst the rows of table whose key src no longer
// has, and returns how many.
func deleteGone(ctx context.Context, stx, dtx *sql.Tx, table string) (int, error) {
	key, err := primaryKey(ctx, stx, table)
	if err != nil {
		return 0, err
	}
	cols := strings.Join(quoteAll(key), ", ")
	have := map[[32]byte]bool{}
	sc := newRowBuf(len(key))
	rows, err := stx.QueryContext(ctx, `SELECT `+cols+` FROM `+table)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(sc.ptrs...); err != nil {
			return 0, err
		}
		have[rowSum(sc.vals)] = true
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	rows.Close()
	var gone [][]any
	back, err := dtx.QueryContext(ctx, `SELECT `+cols+` FROM `+table)
	if err != nil {
		return 0, err
	}
	defer back.Close()
	for back.Next() {
		if err := back.Scan(sc.ptrs...); err != nil {
			return 0, err
		}
		if !have[rowSum(sc.vals)] {
			gone = append(gone, slices.Clone(sc.vals))
		}
	}
	if err := back.Err(); err != nil {
		return 0, err
	}
	back.Close()
	if len(gone) == 0 {
		return 0, nil
	}
	del, err := dtx.PrepareContext(ctx, `DELETE FROM `+table+` WHERE `+keyWhere(key, 1))
	if err != nil {
		return 0, err
	}
	defer del.Close()
	for _, k := range gone {
		if _, err := del.ExecContext(ctx, k...); err != nil {
			return 0, err
		}
	}
	return len(gone), nil
}

// pendingWrite is an insert or update of one row that a unique or foreign
// key constraint refused for now.
type pendingWrite struct {
	stmt *sql.Stmt
	args []any
	err  error
}

// copyTable copies one table and checks the copy. With update, dst may
// already hold rows of it (as src had them at an earlier copy, less those
// [deleteGone] removed): rows src changed are updated, rows it added
// inserted, the rest left alone.
func copyTable(ctx context.Context, stx, dtx *sql.Tx, table string, update bool) (TableCopy, error) {
	c := TableCopy{Table: table}
	dcols, err := pgColumns(ctx, dtx, table)
	if err != nil {
		return c, err
	}
	if len(dcols) == 0 {
		return c, errors.New("missing in the target")
	}
	key, err := primaryKey(ctx, stx, table)
	if err != nil {
		return c, err
	}
	rows, err := stx.QueryContext(ctx, `SELECT * FROM `+table+` ORDER BY rowid`)
	if err != nil {
		// WITHOUT ROWID tables have none; their order does not matter.
		rows, err = stx.QueryContext(ctx, `SELECT * FROM `+table)
	}
	if err != nil {
		return c, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return c, err
	}
	for _, col := range cols {
		if _, ok := dcols[col]; !ok {
			return c, fmt.Errorf("column %s missing in the target", col)
		}
	}
	keyAt := make([]int, len(key))
	for i, k := range key {
		keyAt[i] = slices.Index(cols, k)
	}
	var others []string
	for _, col := range cols {
		if !slices.Contains(key, col) {
			others = append(others, col)
		}
	}
	quoted := quoteAll(cols)
	marks := make([]string, len(cols))
	for i := range cols {
		marks[i] = "$" + strconv.Itoa(i+1)
	}
	ins, err := dtx.PrepareContext(ctx, `INSERT INTO `+table+` (`+strings.Join(quoted, ", ")+`) OVERRIDING SYSTEM VALUE VALUES (`+strings.Join(marks, ", ")+`)`)
	if err != nil {
		return c, err
	}
	defer ins.Close()

	// With update: the key and row checksums dst has now.
	var there map[[32]byte][32]byte
	var upd *sql.Stmt
	if update {
		there = map[[32]byte][32]byte{}
		back, err := dtx.QueryContext(ctx, `SELECT `+strings.Join(quoted, ", ")+` FROM `+table)
		if err != nil {
			return c, err
		}
		sc := newRowBuf(len(cols))
		for back.Next() {
			if err := back.Scan(sc.ptrs...); err != nil {
				back.Close()
				return c, err
			}
			there[keySum(sc.vals, keyAt)] = rowSum(sc.vals)
		}
		back.Close()
		if err := back.Err(); err != nil {
			return c, err
		}
		if len(others) > 0 {
			set := make([]string, len(others))
			for i, q := range quoteAll(others) {
				set[i] = q + " = $" + strconv.Itoa(i+1)
			}
			upd, err = dtx.PrepareContext(ctx, `UPDATE `+table+` SET `+strings.Join(set, ", ")+` WHERE `+keyWhere(key, len(others)+1))
			if err != nil {
				return c, err
			}
			defer upd.Close()
		}
	}

	var srcSums [][32]byte
	var pending []pendingWrite
	sc := newRowBuf(len(cols))
	for rows.Next() {
		if err := rows.Scan(sc.ptrs...); err != nil {
			return c, err
		}
		sum := rowSum(sc.vals)
		srcSums = append(srcSums, sum)
		args := make([]any, len(cols))
		for i, v := range sc.vals {
			args[i] = pgValue(v, dcols[cols[i]].typ)
		}
		if !update {
			if _, err := ins.ExecContext(ctx, args...); err != nil {
				return c, err
			}
			c.Inserted++
			continue
		}
		old, ok := there[keySum(sc.vals, keyAt)]
		switch {
		case !ok:
			pending = append(pending, pendingWrite{stmt: ins, args: args})
			c.Inserted++
		case old != sum:
			// Only other columns can differ: the key is the same.
			var uargs []any
			for i, col := range cols {
				if !slices.Contains(key, col) {
					uargs = append(uargs, args[i])
				}
			}
			for _, i := range keyAt {
				uargs = append(uargs, args[i])
			}
			pending = append(pending, pendingWrite{stmt: upd, args: uargs})
			c.Updated++
		}
	}
	if err := rows.Err(); err != nil {
		return c, err
	}
	rows.Close()
	if err := writeAll(ctx, dtx, pending); err != nil {
		return c, err
	}
	for _, col := range cols {
		if dcols[col].identity {
			if _, err := dtx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence($1, $2), COALESCE((SELECT MAX(`+pgx.Identifier{col}.Sanitize()+`) FROM `+table+`), 0) + 1, false)`, table, col); err != nil {
				return c, err
			}
		}
	}

	// Read the copy back.
	back, err := dtx.QueryContext(ctx, `SELECT `+strings.Join(quoted, ", ")+` FROM `+table)
	if err != nil {
		return c, err
	}
	defer back.Close()
	var dstSums [][32]byte
	for back.Next() {
		if err := back.Scan(sc.ptrs...); err != nil {
			return c, err
		}
		dstSums = append(dstSums, rowSum(sc.vals))
	}
	if err := back.Err(); err != nil {
		return c, err
	}
	if len(dstSums) != len(srcSums) {
		return c, fmt.Errorf("%d rows in the source, %d in the copy", len(srcSums), len(dstSums))
	}
	a, b := tableSum(srcSums), tableSum(dstSums)
	if a != b {
		return c, fmt.Errorf("checksums differ: source %s, copy %s", a, b)
	}
	c.Rows, c.Checksum = len(srcSums), a
	return c, nil
}

// writeAll runs the inserts and updates of one table's differences. One
// that a unique or foreign key constraint refuses (a row whose address
// another row still holds until its own update, say) is tried again after
// the others, as long as each round writes some; each write runs in a
// savepoint so that a refusal leaves the transaction usable.
func writeAll(ctx context.Context, dtx *sql.Tx, pending []pendingWrite) error {
	for len(pending) > 0 {
		var again []pendingWrite
		for _, w := range pending {
			if _, err := dtx.ExecContext(ctx, `SAVEPOINT copy_row`); err != nil {
				return err
			}
			if _, err := w.stmt.ExecContext(ctx, w.args...); err != nil {
				if code := pgCode(err); code != "23505" && code != "23503" {
					return err
				}
				if _, err := dtx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT copy_row`); err != nil {
					return err
				}
				w.err = err
				again = append(again, w)
				continue
			}
			if _, err := dtx.ExecContext(ctx, `RELEASE SAVEPOINT copy_row`); err != nil {
				return err
			}
		}
		if len(again) == len(pending) {
			return again[0].err
		}
		pending = again
	}
	return nil
}

// keySum hashes the key columns (at keyAt) of a row.
func keySum(vals []any, keyAt []int) [32]byte {
	k := make([]any, len(keyAt))
	for i, at := range keyAt {
		k[i] = vals[at]
	}
	return rowSum(k)
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

// rowSum hashes one row's values, encoded alike on both engines: NULL,
// an integer, or bytes (text and blobs alike).
func rowSum(vals []any) [32]byte {
	h := sha256.New()
	var buf [8]byte
	for _, v := range vals {
		switch x := v.(type) {
		case nil:
			h.Write([]byte{0})
		case int64:
			h.Write([]byte{1})
			binary.BigEndian.PutUint64(buf[:], uint64(x))
			h.Write(buf[:])
		case int32:
			h.Write([]byte{1})
			binary.BigEndian.PutUint64(buf[:], uint64(int64(x)))
			h.Write(buf[:])
		case bool:
			h.Write([]byte{1})
			binary.BigEndian.PutUint64(buf[:], map[bool]uint64{false: 0, true: 1}[x])
			h.Write(buf[:])
		case string:
			h.Write([]byte{2})
			binary.BigEndian.PutUint64(buf[:], uint64(len(x)))
			h.Write(buf[:])
			h.Write([]byte(x))
		case []byte:
			h.Write([]byte{2})
			binary.BigEndian.PutUint64(buf[:], uint64(len(x)))
			h.Write(buf[:])
			h.Write(x)
		default:
			fmt.Fprintf(h, "\x03%T:%v", x, x)
		}
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// tableSum hashes a table's row hashes in sorted order.
func tableSum(sums [][32]byte) string {
	slices.SortFunc(sums, func(a, b [32]byte) int { return bytes.Compare(a[:], b[:]) })
	h := sha256.New()
	for _, s := range sums {
		h.Write(s[:])
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}
