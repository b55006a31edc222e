// Package passwordless issues and verifies the one-time secrets of
// passwordless sign-in: email magic links, email one-time codes and SMS
// one-time codes. It knows nothing of HTTP, cookies or mail transport: a
// [Service] draws secrets, stores only their keyed hashes through a
// consumer-side [Store], and says what a presented code or link proved.
// The caller (embedauth's root package) renders the messages, turns a
// [core.Completion] into a session cookie, and picks the redirects.
//
// # Flows
//
// Every code or link belongs to a flow (a [core.Challenge]) started by
// [Service.Start] for one address and one purpose: signing in (or up,
// when AllowSignUp is set and the address has no account) or verifying an
// address a signed-in user adds. [Service.Resend] replaces the flow's
// secret: the old code or link stops working at once, while the count of
// wrong codes for the address carries on, so asking for new codes never
// buys more guesses (SECURITY.md T18). Each flow sends at most
// Config.MaxSends secrets, and every send is counted against the
// [core.SendLimit]s the caller passes (per address, per client IP and,
// for SMS, per day overall), in the same transaction that stores the
// secret and queues the message.
//
// # Codes
//
// Codes are 6 or 8 digits from crypto/rand, valid for Config.CodeTTL
// (default 10 minutes). The store keeps HMAC-SHA-256(Key, flow id, code),
// so a code is bound to its flow (a code from flow A fails in flow B) and
// the database alone cannot be brute-forced for it. [Service.VerifyCode]
// allows Config.MaxAttempts wrong entries per code and
// Config.MaxFailures consecutive wrong codes per address, across codes
// and flows; past that the address is locked for Config.LockFor and even
// the right code fails. These are the rules every one-time code of
// embedauth follows (package internal/onetime, which a Service configures
// and the store applies): attempts are counted inside the same transaction
// that checks them, so parallel guesses cannot exceed the limits.
//
// # Magic links
//
// A link carries a 256-bit token, valid for Config.LinkTTL (default 15
// minutes) and stored as a keyed hash. Mail scanners fetch links, so
// opening one must change nothing: [Service.Link] only reads the flow for
// a confirmation page, and [Service.VerifyLink] (the page's POST) uses
// it, once: of two concurrent uses exactly one succeeds. The redirect is
// fixed when the flow starts.
//
// A link works only in the browser that asked for it
// ([core.ErrWrongDevice] elsewhere, without using it up): otherwise
// anyone could ask for a link to another person's address, wait, and be
// signed in when that person clicks it. A flow started with
// [Request].CrossDevice may be completed on another device, but only
// with the flow's [core.Challenge].MatchCode, MatchCodeDigits digits that
// the asking browser shows and the other device's user enters: none is
// [ErrMatchCodeRequired], a wrong one [ErrMatchCodeIncorrect], counted
// per flow across resends, and the Config.MaxMatchAttempts-th (default 3)
// ends the flow ([ErrLinkCancelled]). A link used on another device with
// the code lets the asking browser, which is waiting on [Service.Status],
// sign in too, once, through [Service.ClaimWaiting].
//
// # Account pre-hijacking
//
// The first sign-in proven by a code or link to an address that an
// account holds unverified (an account someone created for that address
// without proving it) verifies the address and removes that account's
// password and sessions in the same transaction: whoever set them up
// loses access. See store.DB.ConsumeChallenge.
//
// # Assurance
//
// NIST SP 800-63B does not accept email as an out-of-band authenticator,
// and restricts SMS: magic links and email codes are single-factor, low
// assurance sign-in, and SMS codes should have an alternative. Use a
// passkey or a second factor where more is at stake.
//
// # Storage
//
// [Store] is implemented by embedauth's store package on SQLite. A store
// of another kind must run each method in one transaction, serialise
// concurrent uses of one challenge, apply the [core.ChallengeRule] it is
// given to the challenge's code state and write back what the rule
// returns (also when the rule refuses), and keep failure counts per
// (channel, address) whoever owns the address, so that an address without
// an account locks like one with an account.
package passwordless
