package core

import (
	"errors"
	"time"
)

// Passkey event types, written to the events outbox in the same transaction
// as the change they describe.
const (
	EventPasskeyCreated = "passkey.created"
	EventPasskeyDeleted = "passkey.deleted"
	// EventPasskeyCloneSuspected records a sign-in refused because the
	// passkey's signature counter went backwards: two copies of its private
	// key may exist.
	EventPasskeyCloneSuspected = "passkey.clone_suspected"
)

// ErrLastSignInMethod means a change would leave a user with no way to sign
// in (for example deleting the only passkey of a user without a password).
var ErrLastSignInMethod = errors.New("last sign-in method")

// Passkey is a WebAuthn credential registered to a user.
type Passkey struct {
	// ID is the record's own random id ("pk_..."), used in URLs. It is not
	// the WebAuthn credential id.
	ID     string `json:"id"`
	UserID string `json:"user_id"`
	// CredentialID is the WebAuthn credential id (1 to 1023 bytes), unique
	// across all users.
	CredentialID []byte `json:"-"`
	// PublicKey is the COSE-encoded public key.
	PublicKey []byte `json:"-"`
	// AAGUID identifies the authenticator model (16 bytes, all zero when
	// the authenticator does not say).
	AAGUID []byte `json:"-"`
	// SignCount is the last signature counter seen; 0 for authenticators
	// without one (most synced passkeys).
	SignCount uint32 `json:"-"`
	// Transports are the authenticator's transport hints ("internal",
	// "hybrid", "usb", ...), passed back in allowCredentials.
	Transports []string `json:"-"`
	// AttestationFormat is the attestation statement format at
	// registration ("none" unless an authenticator insists).
	AttestationFormat string `json:"-"`
	// BackupEligible (BE) is fixed at registration: the credential can be
	// synced to other devices. An assertion that flips it is refused.
	BackupEligible bool `json:"backup_eligible"`
	// BackupState (BS) is whether the credential is currently backed up
	// (synced), as of the last use.
	BackupState bool `json:"backed_up"`
	// Name is what the user sees: defaulted from the authenticator model
	// or the browser, and renameable.
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

// PasskeyChallenge is a WebAuthn ceremony in progress: the challenge sent
// to the browser, what it was issued for, and the library's session data.
// It is used at most once and expires.
type PasskeyChallenge struct {
	// Challenge is the base64url challenge, unique.
	Challenge string
	// Flow names the ceremony ("sign_in", "register", ...).
	Flow string
	// Subject is who the ceremony is for: a user id, a pending sign-up id,
	// or empty for a username-less sign-in.
	Subject string
	// Binding ties the ceremony to the browser session that began it.
	Binding string
	// UserHandle is the WebAuthn user handle offered at registration.
	UserHandle []byte
	// Session is the WebAuthn library's session data, opaque to storage.
	Session   []byte
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}
