package web

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
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

// mfaPolicyAllowsOff refuses to turn the last second factor off under
// MFARequired. (A member of an organization that requires two-step
// verification may: the organization then stops being active for them.)
func (a *Server) mfaPolicyAllowsOff() error {
	if a.s.MFA.Policy == MFARequired {
		return errMFARequiredHere
	}
	return nil
}

var errMFARequiredHere = httpx.Errorf(http.StatusConflict, "mfa_required",
	"Two-step verification is required for your account and cannot be turned off.")

// mfaRequiredFor reports whether userID must use two-step verification:
// under MFARequired, or as a member of an organization that requires it.
func (a *Server) mfaRequiredFor(ctx context.Context, userID string) (bool, error) {
	if a.s.MFA.Policy == MFARequired {
		return true, nil
	}
	names, err := a.orgsRequiringMFA(ctx, userID)
	return len(names) > 0, err
}

// orgsRequiringMFA names the user's organizations that require two-step
// verification.
func (a *Server) orgsRequiringMFA(ctx context.Context, userID string) ([]string, error) {
	ms, err := a.db.UserOrgs(ctx, userID)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, m := range ms {
		if m.Org.RequireMFA {
			names = append(names, m.Org.Name)
		}
	}
	return names, nil
}

// codeMFAEnrollmentRequired is the error code of a request refused until
// the user sets up two-step verification.
const codeMFAEnrollmentRequired = "mfa_enrollment_required"

var errMFAEnrollmentRequired = httpx.Errorf(http.StatusForbidden, codeMFAEnrollmentRequired,
	"Set up two-step verification to continue.")

// errOrgRequiresMFA refuses entering org to a member without two-step
// verification.
func errOrgRequiresMFA(org core.Org) error {
	return httpx.Errorf(http.StatusForbidden, codeMFAEnrollmentRequired,
		"%s requires two-step verification. Set it up in your profile to enter it.", org.Name)
}

// mustEnrol reports whether st's user must set up two-step verification
// before the session can be used (MFARequired).
func (a *Server) mustEnrol(st *authState) bool {
	return a.s.MFA.Policy == MFARequired && !st.user.TwoFactorEnabled
}

// enrolmentRequired answers a request of a user who must set up two-step
// verification first: browsers go to the setup page, which comes back,
// API clients get 403 "mfa_enrollment_required".
func (a *Server) enrolmentRequired(w http.ResponseWriter, r *http.Request) {
	if httpx.WantsJSON(r) || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		httpx.WriteError(w, errMFAEnrollmentRequired)
		return
	}
	http.Redirect(w, r, a.s.Path+"/profile/mfa?redirect_url="+queryEscape(r.URL.RequestURI()), http.StatusSeeOther)
}
