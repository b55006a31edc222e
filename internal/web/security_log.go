package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/mfa"
	"github.com/embedauth/auth/ui"
)

// securityLogLimit caps the entries the page and the API show at once.
const securityLogLimit = 100

// securityEntryJSON is one entry of GET /api/me/security-log.
type securityEntryJSON struct {
	core.SecurityEvent
	Description string `json:"description"`
	Device      string `json:"device"`
}

func (a *Server) securityLogPage(w http.ResponseWriter, r *http.Request) error {
	st, ok, err := a.signedIn(w, r)
	if !ok {
		return err
	}
	list, more, err := a.account.SecurityLog(r.Context(), st.user.ID, 0, securityLogLimit)
	if err != nil {
		return err
	}
	d := ui.SecurityLog{Page: a.page(r, "security-log"), More: more}
	for _, e := range list {
		d.Entries = append(d.Entries, ui.SecurityEntry{When: e.CreatedAt, Description: describeSecurityEvent(e),
			Device: deviceSummary(e.UserAgent), IP: e.IP,
			Warning: e.Kind == core.SecuritySignInFailed || e.Kind == core.SecuritySignInLocked})
	}
	return a.render(w, http.StatusOK, "security-log", d)
}

// apiSecurityLog lists the signed-in user's security log, newest first:
// up to limit (default and most 100) entries before the entry id before.
func (a *Server) apiSecurityLog(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	limit := securityLogLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > securityLogLimit {
			return httpx.FieldError("limit", "invalid_limit", "limit must be a number from 1 to 100.")
		}
		limit = n
	}
	var before int64
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return httpx.FieldError("before", "invalid_cursor", "before must be the id of a log entry.")
		}
		before = n
	}
	list, more, err := a.account.SecurityLog(r.Context(), st.user.ID, before, limit)
	if err != nil {
		return err
	}
	out := make([]securityEntryJSON, 0, len(list))
	for _, e := range list {
		out = append(out, securityEntryJSON{SecurityEvent: e, Description: describeSecurityEvent(e), Device: deviceSummary(e.UserAgent)})
	}
	return httpx.WriteJSON(w, http.StatusOK, struct {
		Entries []securityEntryJSON `json:"entries"`
		HasMore bool                `json:"has_more"`
	}{out, more})
}

// deviceSummary is describeDevice, empty for an empty user agent (a change
// made by the app or in the background).
func deviceSummary(ua string) string {
	if ua == "" {
		return ""
	}
	return describeDevice(ua)
}

// describeSecurityEvent words a log entry for its owner.
func describeSecurityEvent(e core.SecurityEvent) string {
	idKind := "Email address"
	if e.Method == core.IdentifierPhone {
		idKind = "Phone number"
	}
	with := ""
	if m := describeMethod(e.Method); m != "" {
		with = " with " + lowerFirst(m)
	}
	switch e.Kind {
	case core.SecuritySignIn:
		switch e.Detail {
		case "sign_up":
			return "Account created and signed in" + with
		case "new_device":
			return "Signed in" + with + " from a new device"
		}
		return "Signed in" + with
	case core.SecuritySignInFailed:
		switch e.Detail {
		case core.SecurityFailureWrongPassword:
			return "Failed sign-in: wrong password"
		case core.SecurityFailureWrongSecondFactor:
			return "Failed sign-in: wrong two-step verification code"
		case core.SecurityFailureWrongDeviceCode:
			return "Failed sign-in: wrong new-device code"
		}
		return "Failed sign-in"
	case core.SecuritySignInLocked:
		return "Sign-in blocked after too many failed attempts"
	case core.SecurityPasswordChanged:
		if e.Detail == "reset" {
			return "Password reset with an email link"
		}
		return "Password changed"
	case core.SecurityMFAEnabled:
		if e.Detail == "sms" {
			return "Text message codes turned on"
		}
		return "Two-step verification turned on"
	case core.SecurityMFADisabled:
		if e.Detail == "sms" {
			return "Text message codes turned off"
		}
		return "Two-step verification turned off"
	case core.SecurityBackupCodesRegenerated:
		return "New backup codes created"
	case core.SecurityPasskeyAdded:
		return "Passkey added: " + e.Detail
	case core.SecurityPasskeyRemoved:
		return "Passkey removed: " + e.Detail
	case core.SecurityIdentifierAdded:
		return idKind + " added: " + e.Detail
	case core.SecurityIdentifierRemoved:
		return idKind + " removed: " + e.Detail
	case core.SecurityPrimaryChanged:
		return "Primary " + lowerFirst(idKind) + " changed to " + e.Detail
	case core.SecurityImpersonationStarted:
		return "An administrator (" + e.Detail + ") started acting as you"
	case core.SecurityImpersonationEnded:
		return "An administrator (" + e.Detail + ") stopped acting as you"
	case core.SecuritySessionRevoked:
		switch e.Detail {
		case "revoked":
			return "A device was signed out"
		case "password_changed":
			return "A device was signed out after a password change"
		case "banned":
			return "A device was signed out: the account was disabled"
		case "revoked_by_admin":
			return "A device was signed out by an administrator"
		case "address_verified":
			return "A device was signed out when the email address was claimed"
		}
		return "A device was signed out"
	}
	return e.Kind
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]|0x20) + s[1:]
}

// housekeepSecurity is the security part of the hourly housekeeping.
func (a *Server) housekeepSecurity(ctx context.Context) {
	if err := a.account.PruneSecurityLog(ctx); err != nil && ctx.Err() == nil {
		a.s.Logger.Error("embedauth: prune security log", "err", err)
	}
}

// logSecondFactorFailure records a wrong or locked second factor.
func (a *Server) logSecondFactorFailure(ctx context.Context, userID, method string, err error) {
	var locked *mfa.LockedError
	switch {
	case errors.As(err, &locked):
		a.account.LogLocked(ctx, userID, method)
	case errors.Is(err, core.ErrInvalidCode):
		a.account.LogFailure(ctx, userID, method, core.SecurityFailureWrongSecondFactor)
	}
}
