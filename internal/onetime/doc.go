// Package onetime holds the rules of every one-time code and magic link
// embedauth sends: passwordless sign-in codes and links, sign-up codes,
// new-device codes and organization domain codes. Each purpose keeps its
// codes in its own table; this package alone decides how a code is drawn,
// hashed, expired, counted, locked and used.
//
// # The record and the rules
//
// A code's state is a [core.OneTimeCode]. A [Policy] describes one kind of
// code (length, lifetime, how many wrong entries it allows, how a subject
// locks) and turns an action into a [core.CodeRule]: [Policy.Issue] draws
// the first code, [Policy.Reissue] a new one in the same flow,
// [Policy.Check] checks a code presented. The rules are plain functions
// over the record: [Policy.Decide] and [Policy.Usable] take the time as an
// argument, so they are tested with a table and a fake clock, without a
// database.
//
// # Persisting atomically
//
// A store applies a rule inside the transaction that loads the record
// (BEGIN IMMEDIATE on SQLite) and writes the returned record back, even
// when the rule refuses: a wrong code stays counted, and of two correct
// codes presented at once exactly one is accepted. The store decides
// nothing itself.
//
// # The rules
//
//   - A code is CodeLength digits from the CSPRNG ([NewCode]), a magic
//     link 256 random bits ([NewToken]). Only a keyed HMAC is stored, bound
//     to the flow's id (a code of one flow fails in another) and to the
//     kind of code (Policy.Binding); hashes are compared in constant time.
//   - A code works until its ExpiresAt, TTL after it was issued: see
//     [Expired], the one expiry rule of every kind of code.
//   - A used code is [core.ErrUsed]; a locked subject [ErrLocked]; an
//     expired code [ErrExpired]; a code whose MaxAttempts wrong entries
//     were made [ErrExhausted]; a wrong code [ErrIncorrect]. Refusals that
//     come before the comparison count nothing.
//   - A wrong code counts one attempt on the code and one failure on the
//     subject. At MaxFailures the subject locks: for LockFor, or, when
//     LockFor is zero, until the flow ends. A new code keeps the failure
//     count (NIST SP 800-63B §3.1.3, SECURITY.md R5); only an accepted
//     code clears it.
//   - An accepted code is used once: it records UsedAt, and every later
//     try is [core.ErrUsed].
package onetime
