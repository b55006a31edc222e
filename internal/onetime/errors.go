package onetime

import (
	"errors"

	"github.com/embedauth/auth/core"
)

// The refusals of a code presented. Every kind of code answers with these;
// a flow may word its own answer to a lock (Policy.LockedMessage).
var (
	// ErrIncorrect is a code that does not match: counted.
	ErrIncorrect = &core.Error{Kind: core.ErrInvalidCode, Code: "incorrect_code", Field: "code",
		Message: "That code is incorrect. Check the latest message and try again."}
	// ErrExpired is a code past its lifetime. It matches core.ErrExpired,
	// and core.ErrInvalidCode too: the code presented does not work.
	ErrExpired = &core.Error{Kind: core.ErrInvalidCode, Code: "code_expired", Field: "code",
		Message: "That code has expired. Send a new one.", Err: core.ErrExpired}
	// ErrExhausted is a code that had its MaxAttempts wrong entries: a new
	// code works again (unless the subject is locked).
	ErrExhausted = &core.Error{Kind: core.ErrRateLimited, Code: "code_exhausted",
		Message: "Too many wrong tries with this code. Send a new one."}
	// ErrLocked is a subject locked after MaxFailures wrong codes. A timed
	// lock also matches *core.LockedError, which says until when.
	ErrLocked = &core.Error{Kind: core.ErrRateLimited, Code: "too_many_attempts",
		Message: defaultLockedMessage, Err: core.ErrLocked}
)

const defaultLockedMessage = "Too many wrong codes. Try again later."

// Errors of malformed input, before anything is looked up or counted.
var (
	// ErrMalformedCode is a code that is not the policy's number of
	// digits.
	ErrMalformedCode = errors.New("onetime: malformed code")
	// ErrMalformedToken is a link token that cannot be one [NewToken]
	// made.
	ErrMalformedToken = errors.New("onetime: malformed link token")
)
