package postgres_test

import (
	"context"
	"fmt"
	"log"

	"github.com/embedauth/auth/postgres"
	"github.com/embedauth/auth/store"
)

// Moving an app's SQLite database to PostgreSQL from Go, as
// `embedauth migrate-to` does: copy while the app serves, then, once it
// has stopped, copy again with Finish (only the last changes are written).
func ExampleCopyDatabase() {
	ctx := context.Background()
	src, err := store.Open("app.db")
	if err != nil {
		log.Fatal(err)
	}
	defer src.Close()
	dst, err := store.OpenCopyTarget(ctx, "postgres://app@db.internal/app")
	if err != nil {
		log.Fatal(err)
	}
	defer dst.Close()

	// While the app serves.
	if _, err := postgres.CopyDatabase(ctx, src, dst, postgres.CopyOptions{}); err != nil {
		log.Fatal(err)
	}
	// ... stop the app ...
	report, err := postgres.CopyDatabase(ctx, src, dst, postgres.CopyOptions{Finish: true})
	if err != nil {
		log.Fatal(err)
	}
	for _, t := range report {
		fmt.Println(t.Table, t.Rows, t.Inserted+t.Updated+t.Deleted)
	}
	// Now start the app with Config.DatabaseURL.
}
