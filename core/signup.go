package core

import (
	"errors"
	"time"
)

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

// SignUpMode says who may create an account.
type SignUpMode string

// Sign-up modes.
const (
	// SignUpPublic lets anyone sign up (the default).
	SignUpPublic SignUpMode = "public"
	// SignUpRestricted lets only invited addresses sign up: those with a
	// pending sign-up or organization invitation, or on the allowlist.
	SignUpRestricted SignUpMode = "restricted"
	// SignUpWaitlist is SignUpRestricted where everyone else may join a
	// waitlist; approving an entry mails the address an invitation.
	SignUpWaitlist SignUpMode = "waitlist"
)

// Valid reports whether m is one of the sign-up modes.
func (m SignUpMode) Valid() bool {
	return m == SignUpPublic || m == SignUpRestricted || m == SignUpWaitlist
}

// SignUpSettings are the sign-up restrictions administrators edit at run
// time; once saved they replace the configured ones.
type SignUpSettings struct {
	Mode SignUpMode `json:"mode"`
	// Allowlist holds addresses and domains that may sign up whatever the
	// mode ("ada@example.com", "example.com", which also covers its
	// subdomains).
	Allowlist []string `json:"allowlist"`
	// Blocklist holds addresses and domains that may never sign up.
	Blocklist []string `json:"blocklist"`
	// UpdatedAt is when an administrator saved them; zero for the
	// configured settings.
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// States of a [WaitlistEntry].
const (
	WaitlistPending  = "pending"
	WaitlistApproved = "approved"
	WaitlistRejected = "rejected"
)

// WaitlistEntry is one person waiting to be let in.
type WaitlistEntry struct {
	ID        string     `json:"id"`
	Email     string     `json:"email"`
	Name      string     `json:"name,omitempty"`
	Status    string     `json:"status"`
	CreatedAt time.Time  `json:"created_at"`
	DecidedAt *time.Time `json:"decided_at,omitempty"`
}

// ErrSignUpClosed means a flow proved an address that has no account and
// was not allowed to create one (see SignUpMode).
var ErrSignUpClosed = errors.New("sign-up closed")
