// Package account holds the rules of password accounts: checking a
// password with per-account lockout, signing in with an email and
// password, resetting a forgotten password, changing the password, name or
// nothing at all (deleting the account), and the per-user security log
// those steps write.
//
// It knows nothing of HTTP: a [Service] takes values (an email, a
// password, a token hash) and returns results or a [*core.Error] that says
// why not, with a stable code and a message a person may read. The caller
// (embedauth's HTTP layer) turns results into sessions, cookies and pages.
//
// Storage is whatever implements [Store]; embedauth passes its SQLite
// store. Messages to send (a reset link, a "your password changed" notice)
// are built by the caller and handed in as values of the type parameter M,
// so they are queued in the same transaction as the change they report.
//
// # Lockout
//
// Every password check reserves an attempt before the hash runs, so
// parallel guesses cannot pass the threshold ([Config.LockoutThreshold]
// failures lock the account for [Config.LockoutDuration]); a right password
// clears the count. An address without an account runs the same statements
// and the same hash and locks through [Config.UnknownEmail], so neither the
// answer nor its timing tells the two apart.
package account
