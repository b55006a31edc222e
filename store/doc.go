// Package store keeps all of embedauth's state in one SQLite file
// (modernc.org/sqlite, pure Go).
//
// # Opening
//
// [Open] opens or creates a file with the settings every pooled connection
// needs (WAL, foreign keys, a busy timeout, immediate write transactions so
// concurrent writers queue rather than fail) and applies the embedded
// migrations, one transaction each, recording them in auth_migrations. An
// app that keeps its own tables in the same file may open the pool itself
// with [DSN] and pass it to [OpenDB].
//
// # Data rules
//
// Tables are prefixed auth_. Session tokens, codes and reset tokens are
// stored as SHA-256 hashes only; passwords as argon2id PHC strings. Every
// public method that writes runs in one transaction, and the events a
// change causes (user.created, session.ended, ...) and the mail it sends
// are written in that same transaction, so they exist exactly when the
// change does. So is the entry of the user's security log
// (auth_security_log) that a sign-in or a change of how the user signs in
// writes, with the client the request's context carries
// ([core.WithClient]).
//
// Emails are unique per user, compared after NFKC normalisation and case
// folding ([EmailKey]).
package store
