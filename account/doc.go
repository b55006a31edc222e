// Package account holds the rules of password accounts: signing up (with
// a password, or the email step of a passkey-only sign-up), checking a
// password with per-account lockout, signing in with an email and
// password, admitting a sign-in's device (new-device notices and
// verification codes), resetting a forgotten password, changing the
// password, name or nothing at all (deleting the account), and the
// per-user security log those steps write.
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
// parallel guesses cannot pass the threshold. One rule, [Lockout], decides:
// [Config.LockoutThreshold] failures within [Config.LockoutDuration] lock,
// first for a minute, then twice as long each time up to LockoutDuration;
// a right password clears the count. The store applies it to an account in
// one transaction. An address without an account runs the same statements
// and the same hash and locks through [Config.UnknownEmail] (by default an
// [AddressLockout] with the same rule and clock), so neither the answer,
// its Retry-After nor its timing tells the two apart.
//
// # Sign-up
//
// [Service.StartSignup] keeps a pending sign-up and mails a code; no user
// exists until [Service.CompleteSignup] gets the code right. An address
// that has an account gets a notice to its owner instead, after the same
// work, so the answer never tells whether an address has an account. A
// passkey-only sign-up ([Service.StartPasskeySignup]) shares the pending
// record and its code rule; once [Service.VerifyPasskeySignup] proves
// the email, the caller's passkey ceremony completes it.
//
// # New devices
//
// Every sign-in ends in [Service.AdmitDevice], which remembers the device
// and logs the sign-in. A device the account has not used before gets the
// user a notice or, with [Config.VerifyNewDevices], holds the sign-in
// until [Service.VerifyDevice] gets the code sent to the user right.
package account
