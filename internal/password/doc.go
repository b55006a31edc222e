// Package password hashes and verifies passwords and enforces the password
// policy, following NIST SP 800-63B-4 (section 3.1.1, memorized secrets /
// passwords) and the OWASP Password Storage and Authentication cheat sheets.
//
// # Hashing
//
// Passwords are hashed with argon2id (RFC 9106), the first choice of the
// OWASP Password Storage Cheat Sheet, via golang.org/x/crypto/argon2 (vendored in internal/argon2 with pooled working memory).
// [DefaultParams] is OWASP's minimum configuration for argon2id: 19 MiB of
// memory, 2 iterations, 1 lane, a 16-byte salt from crypto/rand and a
// 32-byte tag. Hashes are stored as PHC strings in exactly the form that
// libsodium's crypto_pwhash_str and the reference argon2 CLI produce:
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<tag>
//
// with salt and tag in standard base64 without padding. The parser is strict
// (one canonical spelling per hash) and refuses parameters that are absurd
// for a stored hash (more than 4 GiB of memory, more than 100 iterations),
// so a tampered or corrupt row in the database cannot be used to make the
// server burn memory or CPU.
//
// Before hashing, a password is normalised to Unicode NFKC ([Normalize]), as
// SP 800-63B-4 recommends, so that the same password typed on different
// keyboards or operating systems (composed "Å" vs "A" + combining ring)
// verifies. Passwords are never truncated: unlike bcrypt's 72-byte limit,
// argon2id uses every byte.
//
// A [Hasher] bounds how many argon2 computations run at once with a
// semaphore, because each one holds Memory KiB: without a bound, a burst
// of sign-in attempts could exhaust memory. A caller that cannot get a slot
// within the configured wait receives [ErrBusy], which a server should
// map to "503, try again". The slot is held only for the argon2 computation
// itself. [Hasher.Verify] reports when a stored hash was made with weaker
// parameters than the Hasher's, so callers can re-hash on a successful
// sign-in (OWASP "upgrading the work factor"). [Hasher.Dummy] spends one
// hash of the same cost so that a sign-in for an unknown account takes as
// long as one for a known account and does not reveal which accounts exist
// (OWASP Authentication Cheat Sheet, "authentication responses").
//
// # Policy
//
// [Policy.Check] implements the SP 800-63B-4 rules for passwords chosen by
// a user:
//
//   - at least 15 characters by default (the minimum when a password is
//     the only authenticator; never below 8, the minimum when it is part of
//     multi-factor authentication), and a generous maximum (1024 by default;
//     NIST asks for at least 64);
//   - length is counted in Unicode code points after NFKC, and every
//     character is allowed, spaces and emoji included;
//   - no composition rules (no "one upper case, one digit, one symbol"),
//     no hints and no forced periodic changes;
//   - the password is compared against a blocklist of values that are
//     commonly used, expected, or known to be compromised: context-specific
//     words (the user's email and name, the service's name), a list of
//     about 47,000 passwords from public breaches, and trivially
//     repetitive or sequential strings.
//
// The blocklist is embedded from blocklist.txt (see blocklist_NOTICE.txt
// for its origin and licence) and loaded into a map the first time it is
// needed. Rejections carry a [PolicyError] with a stable Code for APIs and a
// Reason a user can read, which says why the password was rejected, as
// NIST requires.
package password
