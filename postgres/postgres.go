// Package postgres links PostgreSQL support (the pgx driver) into a
// program. Import it for its side effect to use Config.DatabaseURL (or
// store.OpenPostgres, or store.OpenDB with a pgx pool):
//
//	import _ "github.com/embedauth/auth/postgres"
//
// Without it a program links no pgx (about 6 MiB of binary), and
// auth.New refuses a DatabaseURL with an error naming this import.
//
// It also moves an SQLite database to PostgreSQL ([CopyDatabase], which
// the embedauth command's migrate-to runs), while the app serves.
package postgres

import (
	"context"
	"database/sql"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/embedauth/auth/internal/pgdriver"
)

func init() {
	pgdriver.Linked = &pgdriver.Driver{Open: open, Listen: listen}
}

func open(ctx context.Context, url string, defaultConns int) (*sql.DB, func(), error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, nil, err
	}
	if !strings.Contains(url, "pool_max_conns") {
		// pgxpool's default is the number of CPUs (at least 4); one
		// connection listens for the other instances' notifications.
		cfg.MaxConns = max(cfg.MaxConns, int32(defaultConns))
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	return stdlib.OpenDBFromPool(pool), pool.Close, nil
}

func listen(ctx context.Context, driverConn any, channel string, listening func(), fn func(string)) error {
	pc := driverConn.(*stdlib.Conn).Conn()
	if _, err := pc.Exec(ctx, `LISTEN `+pgx.Identifier{channel}.Sanitize()); err != nil {
		return err
	}
	// A connection back in the pool must not keep listening.
	defer pc.Exec(context.Background(), `UNLISTEN *`)
	listening()
	for {
		n, err := pc.WaitForNotification(ctx)
		if err != nil {
			if ctx.Err() != nil {
				// The wait was cut short mid-read: the connection cannot
				// be reused.
				pc.Close(context.Background())
			}
			return err
		}
		fn(n.Payload)
	}
}
