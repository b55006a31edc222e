// Package signup holds the one rule every way of creating an account
// obeys: who may sign up.
//
// # The rule
//
// [Gate.Check] takes an address (or none, for a phone number or a social
// identity without a verified email) and answers nil or a refusal, a
// [core.Error] with a stable code:
//
//   - an address or domain on the blocklist: "email_blocked";
//   - an address or domain on the allowlist may sign up in any mode, and
//     is never taken for disposable;
//   - an address at a disposable-email domain (the list shipped in this
//     package, or the one configured): "email_disposable";
//   - in restricted mode, an address without an invitation (a sign-up
//     invitation or a pending organization invitation):
//     "sign_up_restricted";
//   - in waitlist mode, the same: "sign_up_waitlist", whose message points
//     to the waitlist.
//
// The mode and the lists come from the settings an administrator saved
// ([Store.SignUpSettings]) and, when none were saved, from the
// configuration. Domains match their subdomains: "example.com" covers
// "mail.example.com".
//
// # Where it is called
//
// Password and passkey sign-up call it before a pending sign-up is
// stored; email codes, magic links and text message codes before a new
// address may create its user (the refusal is told once the address is
// proven, so the answer to a request never tells whether an address has
// an account); social sign-in before a new identity creates its user.
package signup
