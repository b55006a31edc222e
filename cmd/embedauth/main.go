// Command embedauth administers the users of an app that uses embedauth,
// working on the app's SQLite file while the app runs:
//
//	embedauth [-db FILE] users list|show|create|ban|unban|unlock|delete
//	embedauth [-db FILE] admin grant|revoke USER
//	embedauth [-db FILE] sessions revoke USER
//	embedauth [-db FILE] keys rotate
//	embedauth [-db FILE] migrate
//	embedauth [-db FILE] backup OUT
//	embedauth [-db FILE] export [-o FILE]
//	embedauth [-db FILE] import FILE
//
// Install it with go install github.com/embedauth/auth/cmd/embedauth@latest,
// or run it with go run. Every command takes -help. USER is a user id
// (user_...) or an email address.
//
// Exit codes: 0 success, 1 the command failed (the message says why),
// 2 the command line is wrong (usage is printed).
package main

import (
	"context"
	"os"
	"os/signal"

	_ "github.com/embedauth/auth/postgres" // -db postgres://... and migrate-to
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
