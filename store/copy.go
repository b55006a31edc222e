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
)

// TableCopy is what [CopyDatabase] did to one table.
type TableCopy struct {
	Table string
	Rows  int
	// Checksum is the SHA-256 of the table's rows, read back from the
	// target, each row's values encoded alike whatever the engine (so
	// the order of rows and of engines does not matter); it matched the
	// source's.
	Checksum string
}

// CopyDatabase copies every embedauth table of the SQLite database src
// into the PostgreSQL database dst, which must be empty and at the same
// migration, in one transaction on each side: src is read from one
// snapshot (its writers wait meanwhile), and dst gets all of it or none.
// Then it reads dst back and compares each table's row count and checksum
// with src's; any difference fails the copy and rolls it back. Tables are
// copied in an order their foreign keys accept, with dst's triggers off
// (the rows they would derive are copied too), and identity columns
// continue after the largest id copied.
func CopyDatabase(ctx context.Context, src, dst *DB) ([]TableCopy, error) {
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

	stx, err := src.db.DB.BeginTx(ctx, nil)
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

	var out []TableCopy
	for _, t := range tables {
		var n int
		if err := dtx.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+t).Scan(&n); err != nil {
			return nil, fmt.Errorf("store: copy: %s: %w", t, err)
		}
		if n > 0 {
			return nil, fmt.Errorf("store: copy: %s already has %d rows; the target must be a new, empty database", t, n)
		}
	}
	for _, t := range tables {
		if _, err := dtx.ExecContext(ctx, `ALTER TABLE `+t+` DISABLE TRIGGER USER`); err != nil {
			return nil, fmt.Errorf("store: copy: %s: %w", t, err)
		}
	}
	for _, t := range tables {
		c, err := copyTable(ctx, stx, dtx, t)
		if err != nil {
			return nil, fmt.Errorf("store: copy: %s: %w", t, err)
		}
		out = append(out, c)
	}
	for _, t := range tables {
		if _, err := dtx.ExecContext(ctx, `ALTER TABLE `+t+` ENABLE TRIGGER USER`); err != nil {
			return nil, fmt.Errorf("store: copy: %s: %w", t, err)
		}
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

// copyTable copies one table and checks the copy.
func copyTable(ctx context.Context, stx, dtx *sql.Tx, table string) (TableCopy, error) {
	c := TableCopy{Table: table}
	dcols, err := pgColumns(ctx, dtx, table)
	if err != nil {
		return c, err
	}
	if len(dcols) == 0 {
		return c, errors.New("missing in the target")
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
	quoted := make([]string, len(cols))
	marks := make([]string, len(cols))
	for i, col := range cols {
		quoted[i] = quoteIdent(col)
		marks[i] = "$" + strconv.Itoa(i+1)
	}
	ins, err := dtx.PrepareContext(ctx, `INSERT INTO `+table+` (`+strings.Join(quoted, ", ")+`) OVERRIDING SYSTEM VALUE VALUES (`+strings.Join(marks, ", ")+`)`)
	if err != nil {
		return c, err
	}
	defer ins.Close()
	var srcSums [][32]byte
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return c, err
		}
		args := make([]any, len(cols))
		for i, v := range vals {
			args[i] = pgValue(v, dcols[cols[i]].typ)
		}
		if _, err := ins.ExecContext(ctx, args...); err != nil {
			return c, err
		}
		srcSums = append(srcSums, rowSum(vals))
	}
	if err := rows.Err(); err != nil {
		return c, err
	}
	rows.Close()
	for _, col := range cols {
		if dcols[col].identity {
			if _, err := dtx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence($1, $2), COALESCE((SELECT MAX(`+quoteIdent(col)+`) FROM `+table+`), 0) + 1, false)`, table, col); err != nil {
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
		if err := back.Scan(ptrs...); err != nil {
			return c, err
		}
		dstSums = append(dstSums, rowSum(vals))
	}
	if err := back.Err(); err != nil {
		return c, err
	}
	if len(dstSums) != len(srcSums) {
		return c, fmt.Errorf("%d rows copied, %d read back", len(srcSums), len(dstSums))
	}
	a, b := tableSum(srcSums), tableSum(dstSums)
	if a != b {
		return c, fmt.Errorf("checksums differ: source %s, copy %s", a, b)
	}
	c.Rows, c.Checksum = len(srcSums), a
	return c, nil
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
