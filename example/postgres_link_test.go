package main

import (
	"os/exec"
	"strings"
	"testing"

	auth "github.com/embedauth/auth"
)

// TestDatabaseURLNeedsPostgresImport: this program does not import
// github.com/embedauth/auth/postgres, so a DatabaseURL is refused at New
// with an error that names the import, before any connection is tried.
func TestDatabaseURLNeedsPostgresImport(t *testing.T) {
	t.Parallel()
	a, err := auth.New(auth.Config{DatabaseURL: "postgres://127.0.0.1:1/x", EncryptionKey: make([]byte, 32)})
	if err == nil {
		a.Close()
		t.Fatal("auth.New succeeded without PostgreSQL linked")
	}
	if want := `import _ "github.com/embedauth/auth/postgres"`; !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q does not name %s", err, want)
	}
}

// TestExampleLinksNoPgx: an app that uses SQLite links no PostgreSQL
// driver (it is about 6 MiB of binary).
func TestExampleLinksNoPgx(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, "github.com/jackc/") {
			t.Errorf("the example links %s", p)
		}
	}
}
