package core

import "time"

// Signup is a sign-up waiting for its email to be verified: no user exists
// until its code is entered (and, for a passkey sign-up, its passkey
// made).
type Signup struct {
	ID    string
	Email string
	Name  string
	// PasswordHash is the password's PHC string; empty for a passkey
	// sign-up.
	PasswordHash string
	// CodeHash is the keyed hash of the current code, valid until
	// CodeExpiresAt.
	CodeHash      string
	CodeExpiresAt time.Time
	// Attempts counts the wrong codes of the sign-up, across resends.
	Attempts int
	// Sends counts the codes mailed, the first included.
	Sends     int
	CreatedAt time.Time
	// ExpiresAt is when the pending sign-up is forgotten.
	ExpiresAt time.Time
}

// PasskeySignup is a pending sign-up that will get a passkey instead of a
// password.
type PasskeySignup struct {
	Signup
	// UserHandle is the WebAuthn user handle the new user will get.
	UserHandle []byte
	// VerifiedAt is when the email code was entered, nil before.
	VerifiedAt *time.Time
}
