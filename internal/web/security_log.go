package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/internal/i18n"
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
		d.Entries = append(d.Entries, ui.SecurityEntry{When: e.CreatedAt, Description: securityEventText(a.locale(r), e),
			Device: deviceSummary(a.locale(r), e.UserAgent), IP: e.IP,
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
	l := a.locale(r)
	for _, e := range list {
		out = append(out, securityEntryJSON{SecurityEvent: e, Description: securityEventText(l, e), Device: deviceSummary(l, e.UserAgent)})
	}
	return httpx.WriteJSON(w, http.StatusOK, struct {
		Entries []securityEntryJSON `json:"entries"`
		HasMore bool                `json:"has_more"`
	}{out, more})
}

// deviceSummary is describeDevice, empty for an empty user agent (a change
// made by the app or in the background).
func deviceSummary(l *i18n.Locale, ua string) string {
	if ua == "" {
		return ""
	}
	return describeDevice(l, ua)
}

// describeSecurityEvent words a log entry for its owner, in English.
func describeSecurityEvent(e core.SecurityEvent) string { return securityEventText(nil, e) }

// securityEventText words a log entry for its owner in l's language
// (English when l is nil).
func securityEventText(l *i18n.Locale, e core.SecurityEvent) string {
	m := methodWords(l, e.Method)
	with := func(plain, withMethod string) string {
		if m == "" {
			return trText(l, plain)
		}
		return tr(l, withMethod, m)
	}
	phone := e.Method == core.IdentifierPhone
	pick := func(email, phoneText string) string {
		if phone {
			return tr(l, phoneText, e.Detail)
		}
		return tr(l, email, e.Detail)
	}
	switch e.Kind {
	case core.SecuritySignIn:
		switch e.Detail {
		case "sign_up":
			return with("Account created and signed in", "Account created and signed in with %s")
		case "new_device":
			return with("Signed in from a new device", "Signed in with %s from a new device")
		}
		return with("Signed in", "Signed in with %s")
	case core.SecuritySignInFailed:
		switch e.Detail {
		case core.SecurityFailureWrongPassword:
			return tr(l, "Failed sign-in: wrong password")
		case core.SecurityFailureWrongSecondFactor:
			return tr(l, "Failed sign-in: wrong two-step verification code")
		case core.SecurityFailureWrongDeviceCode:
			return tr(l, "Failed sign-in: wrong new-device code")
		}
		return tr(l, "Failed sign-in")
	case core.SecuritySignInLocked:
		return tr(l, "Sign-in blocked after too many failed attempts")
	case core.SecurityPasswordChanged:
		if e.Detail == "reset" {
			return tr(l, "Password reset with an email link")
		}
		return tr(l, "Password changed")
	case core.SecurityMFAEnabled:
		if e.Detail == "sms" {
			return tr(l, "Text message codes turned on")
		}
		return tr(l, "Two-step verification turned on")
	case core.SecurityMFADisabled:
		if e.Detail == "sms" {
			return tr(l, "Text message codes turned off")
		}
		return tr(l, "Two-step verification turned off")
	case core.SecurityBackupCodesRegenerated:
		return tr(l, "New backup codes created")
	case core.SecurityPasskeyAdded:
		return tr(l, "Passkey added: %s", e.Detail)
	case core.SecurityPasskeyRemoved:
		return tr(l, "Passkey removed: %s", e.Detail)
	case core.SecurityIdentifierAdded:
		return pick("Email address added: %s", "Phone number added: %s")
	case core.SecurityIdentifierRemoved:
		return pick("Email address removed: %s", "Phone number removed: %s")
	case core.SecurityPrimaryChanged:
		return pick("Primary email address changed to %s", "Primary phone number changed to %s")
	case core.SecurityImpersonationStarted:
		return tr(l, "An administrator (%s) started acting as you", e.Detail)
	case core.SecurityImpersonationEnded:
		return tr(l, "An administrator (%s) stopped acting as you", e.Detail)
	case core.SecuritySessionRevoked:
		switch e.Detail {
		case "password_changed":
			return tr(l, "A device was signed out after a password change")
		case "banned":
			return tr(l, "A device was signed out: the account was disabled")
		case "revoked_by_admin":
			return tr(l, "A device was signed out by an administrator")
		case "address_verified":
			return tr(l, "A device was signed out when the email address was claimed")
		}
		return tr(l, "A device was signed out")
	}
	return e.Kind
}

// trText is the message key, without arguments, in l's language; l nil
// is English.
func trText(l *i18n.Locale, key string) string {
	if l == nil {
		return key
	}
	return l.T(key)
}

// tr is message key in l's language, formatted with args; l nil is
// English.
func tr(l *i18n.Locale, key string, args ...any) string {
	if l == nil {
		if len(args) == 0 {
			return key
		}
		return fmt.Sprintf(key, args...)
	}
	return l.T(key, args...)
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
