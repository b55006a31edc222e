package core

import (
	"errors"
	"slices"
	"time"
)

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
	// ErrLastIdentifier means removing an address would leave its user with
	// no way to sign in by address, or it is the primary email (choose
	// another primary first).
	ErrLastIdentifier = errors.New("last sign-in identifier")
)

// Kinds of refusal that only the answer to a person or program needs, beside
// the sentinels above. They are the Kind of an [Error].
var (
	// ErrBadRequest means a request was malformed: unreadable JSON or form,
	// a missing parameter.
	ErrBadRequest = errors.New("bad request")
	// ErrUnauthenticated means the action needs a signed-in user.
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrForbidden means the signed-in user may not do this: their role
	// lacks a permission, or a check they have not passed is required.
	ErrForbidden = errors.New("forbidden")
	// ErrTooLarge means a request body is over its limit.
	ErrTooLarge = errors.New("too large")
	// ErrUnsupported means a request body is not in a format accepted.
	ErrUnsupported = errors.New("unsupported media type")
	// ErrUnavailable means a service embedauth depends on (an identity
	// provider, a mail server) did not answer as it should.
	ErrUnavailable = errors.New("unavailable")
)

// Error is a refusal whose Message may be shown to a person and whose Code
// is a stable identifier for programs. It is the one error type every layer
// uses to say "no, and here is why": feature packages return it, and the
// HTTP layer renders it as a form message or a JSON error, with a status
// that follows from Kind. Any other error is internal: logged, and shown
// as a generic failure.
type Error struct {
	// Kind is the sentinel the refusal is an instance of (ErrNotFound,
	// ErrInvalidInput, ErrRateLimited, ...); errors.Is(err, Kind) holds.
	Kind error
	// Code is a stable snake_case identifier, such as "incorrect_code".
	Code string
	// Field is the input at fault, if any ("email", "code").
	Field string
	// Message is a sentence safe to show the person who made the request.
	Message string
	// Fields names every field at fault when one input had several (the
	// first of them is this Error's own Field, Code and Message), so that a
	// form can mark each at once. Nil when one field or none is at fault.
	Fields []FieldError
	// Format and Args, when Format is set, are Message before its values
	// were put in (Message is fmt.Sprintf(Format, Args...)): a translation
	// looks Format up and puts the values into the translated text.
	Format string
	Args   []any
	// RetryAfter tells a rate-limited client when to try again.
	RetryAfter time.Duration
	// Err is the cause: logged, never shown.
	Err error
}

// Error describes the refusal for logs, its cause included.
func (e *Error) Error() string {
	if e.Err != nil {
		return e.Code + ": " + e.Message + ": " + e.Err.Error()
	}
	return e.Code + ": " + e.Message
}

// Unwrap returns Kind and the cause, so errors.Is finds either.
func (e *Error) Unwrap() []error {
	switch {
	case e.Kind == nil:
		return []error{e.Err}
	case e.Err == nil:
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// Refuse returns a refusal of kind with a stable code and a message.
func Refuse(kind error, code, message string) *Error {
	return &Error{Kind: kind, Code: code, Message: message}
}

// Invalid returns a refusal of one input field ([ErrInvalidInput]).
func Invalid(field, code, message string) *Error {
	return &Error{Kind: ErrInvalidInput, Code: code, Field: field, Message: message}
}

// FieldError is one field's refusal, in an [Error] that names several.
type FieldError struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Combine returns the refusals found in the fields of one input as one
// error, so that a person sees every field's problem at once rather than
// one per try: nil when every err is nil; the refusal itself when only one
// is not; otherwise a copy of the first with [Error.Fields] naming each
// field refused (one entry a field, the first refusal of each). An error
// that is not a refusal of a field (an internal error, or a refusal of the
// input as a whole) is returned as it is, ahead of any field's.
func Combine(errs ...error) error {
	var first *Error
	var fields []FieldError
	for _, err := range errs {
		if err == nil {
			continue
		}
		var e *Error
		if !errors.As(err, &e) || e.Field == "" {
			return err
		}
		if first == nil {
			first = e
		}
		if !slices.ContainsFunc(fields, func(f FieldError) bool { return f.Field == e.Field }) {
			fields = append(fields, FieldError{Field: e.Field, Code: e.Code, Message: e.Message})
		}
	}
	switch {
	case first == nil:
		return nil
	case len(fields) == 1:
		return first
	}
	c := *first
	c.Fields = fields
	return &c
}

// With returns a copy of e with cause err, for the log.
func (e *Error) With(err error) *Error {
	c := *e
	c.Err = err
	return &c
}

// Is reports whether target is a refusal with the same Kind and Code, so a
// copy made by [Error.With] still matches the value it was made from.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Kind == e.Kind
}

// ErrUserBanned is the refusal of anything a banned user tries.
var ErrUserBanned = &Error{Kind: ErrForbidden, Code: "user_banned", Message: "This account has been disabled.", Err: ErrBanned}

// ErrTooManyMessages is the refusal of a message over a send cap (per
// flow, address, number or client): codes and links are not sent without
// end to one address.
var ErrTooManyMessages = Refuse(ErrRateLimited, "too_many_messages",
	"We've sent several messages already. Check your inbox (and spam folder) or your phone, or try again later.")

// ErrIdentifierTaken is the refusal of an email address or phone number
// that another account already has.
var ErrIdentifierTaken = Refuse(ErrConflict, "identifier_taken", "This address belongs to another account.")

// LockedOut is the refusal of a sign-in factor locked after repeated
// failures (a password, a second factor), retry being the time left and
// cause what the log should say (core.ErrLocked, or an error that matches
// it).
func LockedOut(retry time.Duration, cause error) *Error {
	return &Error{Kind: ErrRateLimited, Code: "too_many_attempts",
		Message:    "Too many failed attempts. Try again later, or reset your password.",
		RetryAfter: retry, Err: cause}
}
