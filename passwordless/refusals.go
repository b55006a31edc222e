package passwordless

import (
	"errors"

	"github.com/embedauth/auth/core"
)

// Refusals of the flows, as a person reads them. The refusals of a code or
// link presented (wrong, expired, no tries left, locked) are the
// one-time-code rules' own; these are the flow's.
var (
	// ErrFlowGone is a flow that ended, was used, or never existed.
	ErrFlowGone = core.Refuse(core.ErrExpired, "flow_expired", "This sign-in has expired or was already completed. Start again.")
	// ErrTooManySends is a send cap reached (per flow, address, number or
	// client).
	ErrTooManySends = core.ErrTooManyMessages
	// ErrIdentifierTaken is an address proven for an account that another
	// account already has.
	ErrIdentifierTaken = core.ErrIdentifierTaken
	// ErrLinkInvalid is a link token that is malformed or unknown.
	ErrLinkInvalid = core.Refuse(core.ErrBadRequest, "link_invalid", "This link is not valid. Request a new one.")
	// ErrLinkUsed is a link used already.
	ErrLinkUsed = core.Refuse(core.ErrUsed, "link_used", "This link was already used. Request a new one.")
	// ErrLinkExpired is a link past its lifetime.
	ErrLinkExpired = core.Refuse(core.ErrExpired, "link_expired", "This link has expired. Request a new one.")
	// ErrOtherDevice is a same-device link opened in another browser.
	ErrOtherDevice = core.Refuse(core.ErrForbidden, "other_device",
		"For your security this link works only in the browser where you asked for it. Open it there, or request a new link here.")
	// ErrMatchCodeRequired is a cross-device link confirmed in another
	// browser without its match code, or with one that is not two digits.
	// Nothing is counted.
	ErrMatchCodeRequired = core.Invalid("match_code", "match_code_required",
		"Enter the 2-digit code shown where you asked to sign in. If you did not ask to sign in, close this page.")
	// ErrMatchCodeIncorrect is a wrong match code: counted.
	ErrMatchCodeIncorrect = &core.Error{Kind: core.ErrInvalidCode, Code: "incorrect_match_code", Field: "match_code",
		Message: "That is not the code shown where you asked to sign in. If you did not ask to sign in, close this page."}
	// ErrLinkCancelled is a magic link whose flow ended after too many
	// wrong match codes.
	ErrLinkCancelled = core.Refuse(core.ErrExpired, "link_cancelled",
		"This link no longer works: the code was entered wrong too many times. To sign in, request a new link.")
)

// sendRefusal names why a message was not sent.
func sendRefusal(err error) error {
	var refusal *core.Error
	switch {
	case err == nil, errors.As(err, &refusal):
		return err
	case errors.Is(err, core.ErrRateLimited):
		return ErrTooManySends.With(err)
	case errors.Is(err, core.ErrNotFound):
		return ErrFlowGone.With(err)
	}
	return err
}

// codeRefusal names why a code, or the flow it belongs to, was refused.
func codeRefusal(err error) error {
	var refusal *core.Error
	switch {
	case err == nil, errors.As(err, &refusal):
		return err
	case errors.Is(err, core.ErrUsed), errors.Is(err, core.ErrNotFound):
		return ErrFlowGone.With(err)
	case errors.Is(err, core.ErrBanned):
		return core.ErrUserBanned.With(err)
	case errors.Is(err, core.ErrConflict):
		return ErrIdentifierTaken.With(err)
	}
	return err
}

// linkRefusal names why a magic link was refused. A link's expiry is told
// as a link's, not a code's.
func linkRefusal(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrMatchCodeRequired), errors.Is(err, ErrMatchCodeIncorrect), errors.Is(err, ErrLinkCancelled):
		return err
	case errors.Is(err, ErrMalformedToken), errors.Is(err, core.ErrNotFound):
		return ErrLinkInvalid.With(err)
	case errors.Is(err, core.ErrUsed):
		return ErrLinkUsed.With(err)
	case errors.Is(err, core.ErrExpired):
		return ErrLinkExpired.With(err)
	case errors.Is(err, core.ErrWrongDevice):
		return ErrOtherDevice.With(err)
	case errors.Is(err, core.ErrBanned):
		return core.ErrUserBanned.With(err)
	}
	return err
}
