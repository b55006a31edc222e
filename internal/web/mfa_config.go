package web

import (
	"context"
	"errors"
	"net/http"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
)

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
