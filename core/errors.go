package core

import "errors"

// Sentinel errors shared by every layer. Wrap them with the operation that
// failed (fmt.Errorf("store: create user: %w", ErrConflict)) and compare with
// errors.Is.
var (
	// ErrNotFound means the record asked for does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict means a unique value (an email address, a token) is taken.
	ErrConflict = errors.New("conflict")
	// ErrInvalidCode means a one-time code or token did not match.
	ErrInvalidCode = errors.New("invalid code")
	// ErrExpired means a code, token or session is past its lifetime.
	ErrExpired = errors.New("expired")
	// ErrUsed means a single-use token was already consumed.
	ErrUsed = errors.New("already used")
	// ErrRateLimited means too many attempts were made in a short time.
	ErrRateLimited = errors.New("rate limited")
	// ErrLocked means an account or flow is temporarily locked after
	// repeated failures.
	ErrLocked = errors.New("locked")
	// ErrInvalidCredentials means an identifier and secret did not match.
	ErrInvalidCredentials = errors.New("invalid credentials")
	// ErrInvalidInput means a value was malformed (for example metadata
	// that is not a JSON object).
	ErrInvalidInput = errors.New("invalid input")
	// ErrBanned means the user is banned and may not sign in.
	ErrBanned = errors.New("banned")
)
