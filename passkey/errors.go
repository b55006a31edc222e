package passkey

import (
	"errors"
	"fmt"

	"github.com/embedauth/auth/core"
)

// Errors of the ceremonies. Each failure has its own, so callers and tests
// can tell them apart; none of their texts is meant for end users.
var (
	// ErrMalformed means the response could not be parsed: not JSON,
	// bad base64url, a truncated attestation or authenticator data, or
	// larger than MaxResponseSize.
	ErrMalformed = errors.New("passkey: malformed response")
	// ErrCredentialIDTooLong means the credential id is longer than 1023
	// bytes (WebAuthn L3 §7.1 step 25).
	ErrCredentialIDTooLong = errors.New("passkey: credential id longer than 1023 bytes")
	// ErrChallengeUnknown means the response answers no challenge we
	// issued (or one pruned long ago).
	ErrChallengeUnknown = errors.New("passkey: unknown challenge")
	// ErrChallengeUsed means the challenge was already used: a replay.
	ErrChallengeUsed = errors.New("passkey: challenge already used")
	// ErrChallengeExpired means the ceremony took longer than the
	// challenge's lifetime.
	ErrChallengeExpired = errors.New("passkey: challenge expired")
	// ErrChallengeMismatch means the challenge was issued for another
	// flow, another user or another browser session.
	ErrChallengeMismatch = errors.New("passkey: challenge issued for another ceremony")
	// ErrWrongCeremony means the client data's type is not the one of this
	// ceremony ("webauthn.create" or "webauthn.get").
	ErrWrongCeremony = errors.New("passkey: wrong ceremony type")
	// ErrOriginNotAllowed means the client-reported origin is not on the
	// configured list (or the ceremony ran cross-origin).
	ErrOriginNotAllowed = errors.New("passkey: origin not allowed")
	// ErrRPIDMismatch means the authenticator data's rpIdHash is not the
	// hash of our relying party id.
	ErrRPIDMismatch = errors.New("passkey: rpIdHash mismatch")
	// ErrUserNotPresent means the UP flag is not set.
	ErrUserNotPresent = errors.New("passkey: user not present")
	// ErrUserNotVerified means the UV flag is not set while user
	// verification is required.
	ErrUserNotVerified = errors.New("passkey: user not verified")
	// ErrBackupStateWithoutEligibility means BS is set without BE.
	ErrBackupStateWithoutEligibility = errors.New("passkey: backup state set without backup eligibility")
	// ErrBackupEligibilityChanged means an assertion's BE flag differs from
	// the one recorded at registration.
	ErrBackupEligibilityChanged = errors.New("passkey: backup eligibility changed since registration")
	// ErrUnknownCredential means no passkey has the credential id.
	ErrUnknownCredential = errors.New("passkey: unknown credential")
	// ErrCredentialNotAllowed means the credential belongs to another
	// user than the one the ceremony is for.
	ErrCredentialNotAllowed = errors.New("passkey: credential belongs to another user")
	// ErrUserHandleMissing means a username-less sign-in came without a
	// user handle.
	ErrUserHandleMissing = errors.New("passkey: user handle missing")
	// ErrUserHandleMismatch means the user handle is not the one of the
	// credential's owner.
	ErrUserHandleMismatch = errors.New("passkey: user handle does not belong to the credential's owner")
	// ErrSignCountRegressed means the signature counter did not grow: the
	// passkey may have been cloned. The error is a *SignCountError.
	ErrSignCountRegressed = errors.New("passkey: signature counter went backwards")
	// ErrCredentialExists means the credential id is already registered
	// (to this user or another).
	ErrCredentialExists = errors.New("passkey: credential already registered")
	// ErrNoPasskeys means a ceremony for one user was asked for a user
	// without passkeys.
	ErrNoPasskeys = errors.New("passkey: the user has no passkeys")
	// ErrVerificationFailed means a check the WebAuthn library makes
	// failed, most often the signature or the attestation statement.
	ErrVerificationFailed = errors.New("passkey: verification failed")
)

// SignCountError is a verified assertion refused because its signature
// counter (Observed) did not grow past the stored one. The caller records
// it and warns the user.
type SignCountError struct {
	Passkey  core.Passkey // as stored, with the stored counter
	Observed uint32
}

// Error names the stored and the observed counters.
func (e *SignCountError) Error() string {
	return fmt.Sprintf("%v: stored %d, observed %d", ErrSignCountRegressed, e.Passkey.SignCount, e.Observed)
}

// Is reports whether target is ErrSignCountRegressed.
func (e *SignCountError) Is(target error) bool { return target == ErrSignCountRegressed }

// wrap names the cause of a sentinel error for logs.
func wrap(sentinel, cause error) error {
	if cause == nil {
		return sentinel
	}
	return fmt.Errorf("%w: %w", sentinel, cause)
}

// Refuse turns one of the package's errors into the refusal a person
// reads: a *core.Error with a stable code and message whose cause is err.
// A sign-in style ceremony's (assertion) failure is a refusal of
// credentials (core.ErrUnauthenticated), a registration's a bad request.
// Any other error is returned as it is. BeginLogin, FinishLogin and
// FinishRegistration return their failures through it.
func Refuse(err error, assertion bool) error {
	var ce *core.Error
	if errors.As(err, &ce) {
		return err
	}
	rejected := core.ErrBadRequest
	if assertion {
		rejected = core.ErrUnauthenticated
	}
	pub := func(kind error, code, msg string) error {
		return &core.Error{Kind: kind, Code: code, Message: msg, Err: err}
	}
	switch {
	case errors.Is(err, ErrMalformed), errors.Is(err, ErrCredentialIDTooLong):
		return pub(core.ErrBadRequest, "invalid_credential", "The passkey response could not be read. Try again.")
	case errors.Is(err, ErrChallengeExpired):
		return pub(core.ErrBadRequest, "passkey_expired", "This passkey request expired. Try again.")
	case errors.Is(err, ErrChallengeUnknown), errors.Is(err, ErrChallengeUsed), errors.Is(err, ErrChallengeMismatch):
		return pub(core.ErrBadRequest, "passkey_request_invalid", "This passkey request is no longer valid. Try again.")
	case errors.Is(err, ErrUnknownCredential):
		return pub(rejected, "passkey_unknown", "This passkey isn't registered here. Use another passkey, or sign in another way.")
	case errors.Is(err, ErrCredentialExists):
		return pub(core.ErrConflict, "passkey_exists", "This passkey is already registered.")
	case errors.Is(err, ErrSignCountRegressed):
		return pub(core.ErrForbidden, "passkey_blocked",
			"This passkey was blocked because it may have been copied. We've sent you an email. Sign in another way.")
	case errors.Is(err, ErrNoPasskeys):
		return pub(core.ErrBadRequest, "no_passkeys", "You have no passkeys yet.")
	case errors.Is(err, ErrUserNotVerified):
		return pub(rejected, "user_verification_required",
			"Your device didn't confirm it's you (PIN, fingerprint or face). Try again.")
	case errors.Is(err, ErrOriginNotAllowed), errors.Is(err, ErrWrongCeremony), errors.Is(err, ErrRPIDMismatch),
		errors.Is(err, ErrUserNotPresent), errors.Is(err, ErrBackupStateWithoutEligibility),
		errors.Is(err, ErrBackupEligibilityChanged), errors.Is(err, ErrCredentialNotAllowed),
		errors.Is(err, ErrUserHandleMissing), errors.Is(err, ErrUserHandleMismatch),
		errors.Is(err, ErrVerificationFailed):
		return pub(rejected, "passkey_rejected", "We couldn't verify that  Try again.")
	}
	return err
}
