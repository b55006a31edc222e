package store

import (
	"bytes"
	"compress/gzip"
	"database/sql"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite schema.sql from the migrations")

// masterOf returns the schema of the database at path: every entry of
// sqlite_master but SQLite's own, and the recorded migrations.
func masterOf(t *testing.T, path string) (entries, migrations []string) {
	t.Helper()
	db, err := sql.Open("sqlite", DSN(path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT type, name, tbl_name, COALESCE(sql, '') FROM sqlite_master ORDER BY type, name`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var typ, name, tbl, sqlText string
		if err := rows.Scan(&typ, &name, &tbl, &sqlText); err != nil {
			t.Fatal(err)
		}
		entries = append(entries, fmt.Sprintf("%s %s on %s: %s", typ, name, tbl, sqlText))
	}
	rows.Close()
	rows, err = db.Query(`SELECT name FROM auth_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name string
		rows.Scan(&name)
		migrations = append(migrations, name)
	}
	rows.Close()
	return entries, migrations
}

// TestSchemaIsTheMigrations checks that a new database created from
// schema.sql (and the migrations after it) has exactly the schema that
// replaying every migration gives. With -update, it writes schema.sql
// from the migrations.
func TestSchemaIsTheMigrations(t *testing.T) {
	dir := t.TempDir()
	replayed := filepath.Join(dir, "replayed.db")
	useSchema = false
	db, err := Open(replayed)
	useSchema = true
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if *update {
		writeSchema(t, replayed)
	}
	fromSchema := filepath.Join(dir, "schema.db")
	db, err = Open(fromSchema)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	wantEntries, wantMigrations := masterOf(t, replayed)
	gotEntries, gotMigrations := masterOf(t, fromSchema)
	if !slices.Equal(gotMigrations, wantMigrations) {
		t.Errorf("migrations recorded: %v, want %v", gotMigrations, wantMigrations)
	}
	for _, e := range wantEntries {
		if !slices.Contains(gotEntries, e) {
			t.Errorf("created from schema.sql, the database lacks %s", e)
		}
	}
	for _, e := range gotEntries {
		if !slices.Contains(wantEntries, e) {
			t.Errorf("created from schema.sql, the database has %s, which the migrations do not make", e)
		}
	}
	if t.Failed() {
		t.Log("rewrite schema.sql: go test ./store -run TestSchemaIsTheMigrations -update")
	}
}

// writeSchema writes schema.sql from the database at path.
func writeSchema(t *testing.T, path string) {
	db, err := sql.Open("sqlite", DSN(path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var b strings.Builder
	b.WriteString("-- The schema of a new database: what the migrations listed below build,\n")
	b.WriteString("-- as one script. Written by `go test ./store -run TestSchemaIsTheMigrations -update`;\n")
	b.WriteString("-- do not edit. Migrations added after these still apply one by one.\n")
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	for _, n := range names {
		b.WriteString("-- migration: " + strings.TrimPrefix(n, "migrations/") + "\n")
	}
	b.WriteString("\n")
	// In creation order (rowid), so that what an entry refers to exists.
	rows, err := db.Query(`SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY rowid`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		rows.Scan(&s)
		b.WriteString(s + ";\n\n")
	}
	if err := os.WriteFile("schema.sql", []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestSchemaImage checks that a new database written from the schema image
// has exactly what schema.sql creates: the same schema table, migrations
// and header settings, its migrations stamped with the time of creation.
// With -update, it rewrites schema.db.gz from schema.sql as it is on disk
// (so after TestSchemaIsTheMigrations -update rewrote it). Not parallel:
// it switches the image off for a while.
func TestSchemaImage(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile("schema.sql")
	if err != nil {
		t.Fatal(err)
	}
	savedSQL, savedImage := schemaSQL, schemaImage
	defer func() { schemaSQL, schemaImage, useImage = savedSQL, savedImage, true }()
	schemaSQL, useImage = string(src), false
	fromSchema := filepath.Join(dir, "schema.db")
	db, err := Open(fromSchema)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if *update {
		writeImage(t, fromSchema, filepath.Join(dir, "image-source.db"))
	}
	disk, err := os.ReadFile("schema.db.gz")
	if err != nil {
		t.Fatal(err)
	}
	if !*update && !bytes.Equal(disk, savedImage) {
		t.Fatal("the embedded image is not schema.db.gz")
	}
	schemaImage, useImage = disk, true
	if !createFromImage(filepath.Join(dir, "probe.db")) {
		t.Fatal("the image is not written to a new path")
	}

	fromImage := filepath.Join(dir, "image.db")
	before := time.Now().UnixMilli()
	db, err = Open(fromImage)
	if err != nil {
		t.Fatal(err)
	}
	var unstamped int
	if err := db.SQL().QueryRow(`SELECT COUNT(*) FROM auth_migrations WHERE applied_at < $1`, before).Scan(&unstamped); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if unstamped != 0 {
		t.Errorf("%d migrations not stamped with the time of creation", unstamped)
	}
	wantEntries, wantMigrations := masterOf(t, fromSchema)
	gotEntries, gotMigrations := masterOf(t, fromImage)
	if !slices.Equal(gotMigrations, wantMigrations) {
		t.Errorf("migrations recorded: %v, want %v", gotMigrations, wantMigrations)
	}
	if !slices.Equal(gotEntries, wantEntries) {
		t.Errorf("written from the image, the schema is\n%s\nwant\n%s", strings.Join(gotEntries, "\n"), strings.Join(wantEntries, "\n"))
	}
	for _, p := range []string{"page_size", "journal_mode", "auto_vacuum", "encoding", "user_version", "application_id", "freelist_count"} {
		if got, want := pragma(t, fromImage, p), pragma(t, fromSchema, p); got != want {
			t.Errorf("PRAGMA %s: %s from the image, %s from schema.sql", p, got, want)
		}
	}
	if t.Failed() {
		t.Log("rewrite the image: go test ./store -run TestSchema -update")
	}
}

// TestSchemaImageNeverReplaces: the image is written only where there is
// no database yet, nor what is left of one.
func TestSchemaImageNeverReplaces(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, left := range []string{"", "-wal", "-journal"} {
		path := filepath.Join(dir, "db"+left+".db")
		if err := os.WriteFile(path+left, []byte("not a database"), 0o644); err != nil {
			t.Fatal(err)
		}
		if createFromImage(path) {
			t.Errorf("the image was written over %s", path+left)
		}
		if b, _ := os.ReadFile(path + left); string(b) != "not a database" {
			t.Errorf("%s was changed", path+left)
		}
	}
	if createFromImage(filepath.Join(dir, "no such dir", "x.db")) {
		t.Error("the image was written into a directory that does not exist")
	}
	ok := filepath.Join(dir, "new.db")
	if !createFromImage(ok) {
		t.Fatal("the image was not written to a new path")
	}
	files, _ := filepath.Glob(filepath.Join(dir, ".*"))
	if len(files) != 0 {
		t.Errorf("temporary files left: %v", files)
	}
}

func pragma(t *testing.T, path, name string) string {
	t.Helper()
	db, err := sql.Open("sqlite", DSN(path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v string
	if err := db.QueryRow(`PRAGMA ` + name).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// writeImage writes schema.db.gz from a copy of the new database at path:
// its migrations' times zeroed, its WAL checkpointed into the file.
func writeImage(t *testing.T, path, work string) {
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if wal, err := os.ReadFile(path + "-wal"); err == nil {
		os.WriteFile(work+"-wal", wal, 0o644)
	}
	if err := os.WriteFile(work, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", DSN(work))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`UPDATE auth_migrations SET applied_at = 0`, `VACUUM`, `PRAGMA wal_checkpoint(TRUNCATE)`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	img, err := os.ReadFile(work)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(img)
	zw.Close()
	if err := os.WriteFile("schema.db.gz", buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
