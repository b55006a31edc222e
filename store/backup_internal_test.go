package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// A backup runs beside an open write transaction: it reads, and must
// neither wait for the writer nor hold it.
func TestBackupBesideAWriteTransaction(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db, err := Open(filepath.Join(dir, "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	hold, held, done := make(chan struct{}), make(chan struct{}), make(chan error)
	go func() {
		done <- db.tx(context.Background(), func(tx *txn) error { close(held); <-hold; return nil })
	}()
	<-held
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = db.Backup(ctx, filepath.Join(dir, "b.db"))
	close(hold)
	if err != nil {
		t.Fatalf("backup while a write transaction is open: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
