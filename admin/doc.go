// Package admin holds the rules of user administration: reading the users
// table's search, filters, sort and cursor; what an administrator may do
// to a user (never ban, lock or delete themselves, never leave the app
// without an administrator); and the admin audit entry every action
// writes in the same transaction as its change.
//
// Like every feature package it knows nothing of HTTP: the handlers in
// internal/web and the command-line tool call [Service] with an [Actor]
// and a user id, and turn its refusals ([core.Error]) into pages, JSON or
// exit codes. Storage is the small [Store] interface, which *store.DB
// implements.
package admin
