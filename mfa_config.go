package auth

import (
	"errors"
	"time"
)

// MFAPolicy says who must use two-step verification.
type MFAPolicy int

const (
	// MFAOptional lets each user choose (the default). Organizations may
	// still require it of their members (see [Org].RequireMFA).
	MFAOptional MFAPolicy = iota
	// MFARequired makes every user set up two-step verification before
	// their session can be used: until then Middleware leaves requests
	// signed out, RequireUser sends browsers to the setup page and answers
	// API clients 403 "mfa_enrollment_required", and no tokens are minted.
	MFARequired
)

// MFAConfig configures two-step verification and reverification. The zero
// value makes two-step verification optional, offers the SMS code as a
// second factor when SMS codes are on, and asks users to confirm it's
// them before sensitive changes when their last proof is older than 10
// minutes.
type MFAConfig struct {
	// Policy is MFAOptional (default) or MFARequired.
	Policy MFAPolicy
	// ReverificationWindow is how long a proof of the user's factors (at
	// sign-in, or at the reverification page) allows sensitive changes:
	// changing email addresses, phone numbers or the password, adding or
	// removing passkeys and factors, deleting the account, deleting an
	// organization and changing members' roles. Default 10 minutes.
	ReverificationWindow time.Duration
	// DisableSMS stops offering a text message code as a second factor to
	// users with a verified phone number. (It is offered only when
	// Config.Methods includes MethodSMSCode and an SMS sender is set.)
	DisableSMS bool
}

func (s *settings) mfaDefaults() []error {
	if s.MFA.ReverificationWindow == 0 {
		s.MFA.ReverificationWindow = DefaultReverificationAge
	}
	var errs []error
	if s.MFA.ReverificationWindow < 0 {
		errs = append(errs, errors.New("MFA.ReverificationWindow must not be negative"))
	}
	if s.MFA.Policy != MFAOptional && s.MFA.Policy != MFARequired {
		errs = append(errs, errors.New("MFA.Policy must be MFAOptional or MFARequired"))
	}
	return errs
}
