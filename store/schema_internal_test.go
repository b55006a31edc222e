package store

import (
	"database/sql"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
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
