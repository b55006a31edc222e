// Package passkey runs WebAuthn ceremonies (passkey registration and
// sign-in) with github.com/go-webauthn/webauthn, over a [Store] its caller
// provides, and closes the gaps the library leaves to its caller.
//
// It knows nothing of HTTP: a [Service] takes the JSON a browser produced
// and returns what was proven ("this user holds this passkey"). The caller
// turns that into sessions, cookies and pages.
//
// # Ceremonies
//
// Every ceremony is a Begin and a Finish with the same [Ceremony]: a
// [Flow] (sign-in, register, sign-up, second factor, re-authentication),
// its Subject (the user, or the pending sign-up) and a Binding (a random
// value kept in the browser session that began it).
//
//   - [Service.BeginRegistration] / [Service.FinishRegistration] create a
//     passkey. Options ask for a discoverable credential, the configured
//     user verification and no attestation, and list the user's passkeys in
//     excludeCredentials. Finish returns a [Registration] that the caller
//     stores (for a sign-up, in one transaction with the new user).
//   - [Service.BeginLogin] / [Service.FinishLogin] verify an assertion:
//     username-less (discoverable, for a button or the email field's
//     autofill) when the Subject is empty, else for one user's passkeys.
//     [Service.BeginDecoyLogin] answers a username-first sign-in for an
//     address without passkeys in the same shape, so the answer does not
//     reveal accounts.
//
// Begin returns {"publicKey": ...} with the standard JSON options, for
// PublicKeyCredential.parseCreationOptionsFromJSON or
// parseRequestOptionsFromJSON; Finish takes what
// PublicKeyCredential.toJSON() gives.
//
// # What the library leaves to us
//
//   - Challenges are stored server-side ([Store.CreatePasskeyChallenge]),
//     used at most once ([Store.UsePasskeyChallenge]), expire after
//     Config.ChallengeTTL (5 minutes) on every path, the discoverable one
//     included, and are refused by any other flow, user or browser
//     session ([ErrChallengeMismatch]).
//   - The origin a browser reports is checked against Config.Origins only;
//     the request's Host never matters.
//   - Credential ids are at most 1023 bytes ([ErrCredentialIDTooLong]) and
//     unique across all users ([ErrCredentialExists]).
//   - The user handle is 32 random bytes per user, never the email or the
//     user id, and a username-less sign-in must carry the handle of the
//     credential's owner ([ErrUserHandleMismatch]): it is not signed.
//   - A signature counter that does not grow blocks the sign-in with a
//     [*SignCountError] (the library only sets a warning), which the caller
//     records and mails to the user. It is returned only after the
//     signature verified, so a forger cannot make us raise the alarm.
//   - The backup-eligible flag is fixed at registration
//     ([ErrBackupEligibilityChanged]); backup state without eligibility is
//     refused ([ErrBackupStateWithoutEligibility]).
//
// Each failure has its own error; none is meant to be shown to users as is.
//
// # Storage
//
// A [Store] keeps, per user, the random handle and the passkeys
// ([core.Passkey]: credential id, COSE public key, AAGUID, counter,
// transports, BE and BS flags, name, dates), and the challenges
// ([core.PasskeyChallenge]) with the library's session data as an opaque
// blob. Nothing stored is secret: the private keys never leave the
// authenticators. *store.DB implements Store on SQLite.
//
// # Testing
//
// Package passkeytest is a software authenticator that crafts the responses
// browsers will not: replays, foreign origins and RP IDs, missing UP or UV,
// flipped flags, counters that go backwards, foreign user handles.
package passkey
