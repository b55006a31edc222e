package onetime

import (
	"errors"

	"github.com/embedauth/auth/core"
)

// Error is a refusal of a code by the rules: Kind is what it matches with
// errors.Is (a core sentinel), Code a stable identifier for programs and
// Message a sentence safe to show the user. Two Errors match with
// errors.Is when their Codes are equal, so a timed lock matches
// [ErrLocked].
type Error struct {
	Kind    error
	Code    string
	Message string
}

// Error names the refusal, for logs.
func (e *Error) Error() string { return "onetime: " + e.Code }

// Unwrap returns Kind.
func (e *Error) Unwrap() error { return e.Kind }

// Is reports whether target is a refusal with the same Code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// The refusals of a code presented. Every kind of code answers with these;
// a flow may word its own answer to a lock (Policy.LockedMessage).
var (
	// ErrIncorrect is a code that does not match: counted.
	ErrIncorrect = &Error{Kind: core.ErrInvalidCode, Code: "incorrect_code",
		Message: "That code is incorrect. Check the latest message and try again."}
	// ErrExpired is a code past its lifetime. It matches core.ErrExpired,
	// and core.ErrInvalidCode too: the code presented does not work.
	ErrExpired = &Error{Kind: errors.Join(core.ErrExpired, core.ErrInvalidCode), Code: "code_expired",
		Message: "That code has expired. Send a new one."}
	// ErrExhausted is a code that had its MaxAttempts wrong entries: a new
	// code works again (unless the subject is locked).
	ErrExhausted = &Error{Kind: core.ErrRateLimited, Code: "code_exhausted",
		Message: "Too many wrong tries with this code. Send a new one."}
	// ErrLocked is a subject locked after MaxFailures wrong codes. A timed
	// lock also matches *core.LockedError, which says until when.
	ErrLocked = &Error{Kind: core.ErrLocked, Code: "too_many_attempts",
		Message: defaultLockedMessage}
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
