package store

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// schemaImage is an empty database created from schemaSQL (its migrations
// recorded with applied_at 0), gzip-compressed: a new SQLite file is this
// image written to disk, which takes a fraction of the CPU that running
// schemaSQL does (SQLite parses every CREATE and rewrites its schema
// table once per statement). TestSchemaImage checks that it holds
// exactly what schemaSQL creates; `go test ./store -run TestSchema -update`
// rewrites schema.sql and then the image.
//
//go:embed schema.db.gz
var schemaImage []byte

// useImage is false where a test creates databases from schemaSQL.
var useImage = true

// createFromImage writes the schema image at path when nothing is there
// (no database, no WAL or journal left of one), and reports whether it
// did. It never replaces a file: the image is written to a new file beside
// path and linked to path, which fails if another process created path in
// the meantime. When the image cannot be written (a directory that does
// not exist, a file system without hard links), it reports false and
// SQLite creates the database as before, reporting its own errors.
func createFromImage(path string) bool {
	if !useImage || !useSchema {
		return false
	}
	for _, p := range []string{path, path + "-wal", path + "-journal"} {
		if _, err := os.Lstat(p); !errors.Is(err, fs.ErrNotExist) {
			return false
		}
	}
	var b [8]byte
	rand.Read(b[:])
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".new-"+hex.EncodeToString(b[:]))
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return false
	}
	defer os.Remove(tmp)
	zr, err := gzip.NewReader(bytes.NewReader(schemaImage))
	if err == nil {
		_, err = io.Copy(f, zr)
	}
	if err == nil {
		err = f.Sync() // on disk before it has a name: a crash leaves no half-written database
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return false
	}
	return os.Link(tmp, path) == nil
}

// stampMigrations records the time of the migrations a database created
// from the image holds (the image has 0).
func (db *DB) stampMigrations(ctx context.Context) error {
	if _, err := db.db.ExecContext(ctx, `UPDATE auth_migrations SET applied_at = $1 WHERE applied_at = 0`, ms(db.Now())); err != nil {
		return fmt.Errorf("store: open: %w", err)
	}
	return nil
}
