package web

import (
	"bytes"
	"encoding/base64"
	"errors"
	"html/template"
	"image/png"
	"net/http"
	"net/url"
	"strings"

	"github.com/pquerna/otp"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/mail"
	"github.com/embedauth/auth/mfa"
	"github.com/embedauth/auth/passwordless"
	"github.com/embedauth/auth/ui"
)

// Names of the MFA notices (R6).
const (
	mailMFAEnabled     = mail.MsgMFAEnabled
	mailMFADisabled    = mail.MsgMFADisabled
	mailMFABackupCodes = mail.MsgMFABackupCodes
)

// qrDataURI renders the otpauth:// URI as a PNG QR code in a data URI,
// server-side: no third party sees the secret.
func qrDataURI(keyURL string) (template.URL, error) {
	key, err := otp.NewKeyFromURL(keyURL)
	if err != nil {
		return "", err
	}
	img, err := key.Image(200, 200)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return "", err
	}
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())), nil
}

func (a *Server) mfaData(r *http.Request, st *authState, p ui.Page) (ui.MFA, error) {
	ctx := r.Context()
	status, err := a.mfa.Status(ctx, st.user.ID)
	if err != nil {
		return ui.MFA{}, err
	}
	recent, err := a.recentlyVerified(ctx, st, a.s.MFA.ReverificationWindow)
	if err != nil {
		return ui.MFA{}, err
	}
	d := ui.MFA{Page: p, TOTP: status.TOTP, SMS: status.SMS, On: status.On(), SMSAvailable: a.smsFactorAvailable(),
		BackupCodesLeft: status.BackupCodesLeft, HasPassword: st.user.HasPassword && !recent,
		RequiredByPolicy: a.s.MFA.Policy == MFARequired, RedirectURL: a.safeRedirect(formRedirect(r))}
	if d.SMSAvailable || d.SMS {
		phone, err := a.smsFactorPhone(ctx, st.user.ID)
		if err != nil {
			return ui.MFA{}, err
		}
		if phone != "" {
			d.Phone = passwordless.MaskPhone(phone)
		}
	}
	if !d.RequiredByPolicy {
		if d.RequiredBy, err = a.orgsRequiringMFA(ctx, st.user.ID); err != nil {
			return ui.MFA{}, err
		}
	}
	d.Required = d.RequiredByPolicy || len(d.RequiredBy) > 0
	if !status.TOTP {
		e, err := a.mfa.PendingTOTP(ctx, st.user.ID, st.user.Email)
		switch {
		case err == nil:
			qr, err := qrDataURI(e.URL)
			if err != nil {
				return ui.MFA{}, err
			}
			d.Pending = &ui.MFAEnrolment{QR: qr, URL: e.URL, Secret: e.Secret}
		case !errors.Is(err, mfa.ErrNoPending):
			return ui.MFA{}, err
		}
	}
	return d, nil
}

func (a *Server) mfaPage(w http.ResponseWriter, r *http.Request) error {
	st, ok, err := a.signedIn(w, r)
	if !ok {
		return err
	}
	d, err := a.mfaData(r, st, a.page(r, "mfa"))
	if err != nil {
		return err
	}
	return a.render(w, http.StatusOK, "mfa", d)
}

// mfaAction runs an MFA form: fn either redirects (returns nil codes) or
// returns backup codes to show once.
func (a *Server) mfaAction(w http.ResponseWriter, r *http.Request, fn func(st *authState) (codes []string, notice string, err error)) error {
	st, ok, err := a.signedIn(w, r)
	if !ok {
		return err
	}
	if err := httpx.ParseForm(w, r, maxBody); err != nil {
		return err
	}
	codes, notice, err := fn(st)
	if err != nil {
		if httpx.Status(httpx.Public(err)) >= 500 {
			return err
		}
		d, derr := a.mfaData(r, st, a.page(r, "mfa"))
		if derr != nil {
			return derr
		}
		return a.formFail(w, r, err, "mfa", func(p ui.Page) any { d.Page = p; return d })
	}
	if codes != nil {
		text := "Backup codes for " + a.s.AppName + " (" + st.user.Email + "). Each works once.\n\n" + strings.Join(codes, "\n") + "\n"
		return a.render(w, http.StatusOK, "mfa-backup-codes", ui.MFABackupCodes{Page: a.page(r, "mfa-backup-codes"), Codes: codes,
			Download: template.URL("data:text/plain;charset=utf-8," + url.PathEscape(text)), RedirectURL: a.safeRedirect(formRedirect(r))})
	}
	if notice != "" {
		a.notice(r, notice)
	}
	http.Redirect(w, r, queryWith(a.s.Path+"/profile/mfa", a.safeRedirect(formRedirect(r))), http.StatusSeeOther)
	return nil
}

// mfaBeginForm draws a pending TOTP secret, after the password.
func (a *Server) mfaBeginForm(w http.ResponseWriter, r *http.Request) error {
	return a.mfaAction(w, r, func(st *authState) ([]string, string, error) {
		_, err := a.mfaBegin(r, st, r.PostFormValue("password"))
		if errors.Is(err, errMFAAlreadyOn) {
			err = nil // a second tab: the page shows it is on
		}
		return nil, "", err
	})
}

// mfaConfirmForm completes enrolment with a valid code and shows the
// backup codes once.
func (a *Server) mfaConfirmForm(w http.ResponseWriter, r *http.Request) error {
	return a.mfaAction(w, r, func(st *authState) ([]string, string, error) {
		codes, err := a.mfaConfirm(r, st, r.PostFormValue("code"))
		return codes, "", err
	})
}

// mfaBackupCodesForm replaces the backup codes, after the password.
func (a *Server) mfaBackupCodesForm(w http.ResponseWriter, r *http.Request) error {
	return a.mfaAction(w, r, func(st *authState) ([]string, string, error) {
		codes, err := a.mfaRegenerate(r, st, r.PostFormValue("password"))
		return codes, "", err
	})
}

// mfaDisableForm turns MFA off, after the password.
func (a *Server) mfaDisableForm(w http.ResponseWriter, r *http.Request) error {
	return a.mfaAction(w, r, func(st *authState) ([]string, string, error) {
		if err := a.mfaDisable(r, st, r.PostFormValue("password")); err != nil {
			return nil, "", err
		}
		return nil, "Two-step verification is off.", nil
	})
}

var (
	errMFAAlreadyOn = httpx.Errorf(http.StatusConflict, "mfa_already_enabled", "Two-step verification is already on.")
	errMFAOff       = httpx.Errorf(http.StatusConflict, "mfa_not_enabled", "Two-step verification is off.")
)

// mfaBegin draws a pending TOTP secret for the user, after stepUp.
func (a *Server) mfaBegin(r *http.Request, st *authState, pw string) (mfa.Enrolment, error) {
	ctx := r.Context()
	if err := a.stepUp(r, st, pw, "password", "Enter your password."); err != nil {
		return mfa.Enrolment{}, err
	}
	on, err := a.mfa.Enabled(ctx, st.user.ID)
	if err != nil {
		return mfa.Enrolment{}, err
	}
	if on {
		return mfa.Enrolment{}, errMFAAlreadyOn
	}
	return a.mfa.BeginTOTP(ctx, st.user.ID, a.totpAccount(st.user))
}

// totpAccount names the account in authenticator apps.
func (a *Server) totpAccount(u core.User) string {
	if u.Email != "" {
		return u.Email
	}
	return u.ID
}

// mfaConfirm completes enrolment with a valid code and returns the backup
// codes to show once; the notice mail is queued with the change.
func (a *Server) mfaConfirm(r *http.Request, st *authState, code string) ([]string, error) {
	if strings.TrimSpace(code) == "" {
		return nil, httpx.FieldError("code", "code_required", "Enter the code from your app.")
	}
	notice, err := a.mfaNotice(r, st, mailMFAEnabled)
	if err != nil {
		return nil, err
	}
	codes, err := a.mfa.ConfirmTOTP(r.Context(), st.user.ID, code, notice)
	if err != nil {
		return nil, err
	}
	return codes, a.mfaChanged(r, st)
}

// mfaRegenerate replaces the backup codes, after stepUp.
func (a *Server) mfaRegenerate(r *http.Request, st *authState, pw string) ([]string, error) {
	ctx := r.Context()
	if err := a.stepUp(r, st, pw, "password", "Enter your password."); err != nil {
		return nil, err
	}
	status, err := a.mfa.Status(ctx, st.user.ID)
	if err != nil {
		return nil, err
	}
	if !status.On() {
		return nil, errMFAOff
	}
	notice, err := a.mfaNotice(r, st, mailMFABackupCodes)
	if err != nil {
		return nil, err
	}
	codes, err := a.mfa.RegenerateBackupCodes(ctx, st.user.ID, notice)
	if err != nil {
		return nil, err
	}
	return codes, a.mfaChanged(r, st)
}

// mfaDisable turns two-step verification off, after stepUp.
func (a *Server) mfaDisable(r *http.Request, st *authState, pw string) error {
	ctx := r.Context()
	if err := a.stepUp(r, st, pw, "password", "Enter your password."); err != nil {
		return err
	}
	if err := a.mfaPolicyAllowsOff(); err != nil {
		return err
	}
	status, err := a.mfa.Status(ctx, st.user.ID)
	if err != nil {
		return err
	}
	if !status.On() {
		return errMFAOff
	}
	notice, err := a.mfaNotice(r, st, mailMFADisabled)
	if err != nil {
		return err
	}
	if err := a.mfa.Disable(ctx, st.user.ID, notice); err != nil {
		return err
	}
	return a.mfaChanged(r, st)
}

// mfaChanged follows a change of the user's second factors: their other
// devices are signed out (R10) and this one gets a new cookie token,
// cached sessions are forgotten (User.TwoFactorEnabled) and the notice
// mail goes out.
func (a *Server) mfaChanged(r *http.Request, st *authState) error {
	ctx := r.Context()
	a.cache.forgetUser(st.user.ID)
	a.dispatcher.Wake()
	if _, err := a.db.EndUserSessions(ctx, st.user.ID, st.session.ID, "factors_changed"); err != nil {
		return err
	}
	return a.sm.RenewToken(ctx)
}

// mfaNotice is the mail telling the user about an MFA change (R6), queued
// in the change's transaction; nil for a user without an email address.
func (a *Server) mfaNotice(r *http.Request, st *authState, template string) (*core.Outgoing, error) {
	return a.mfaNoticeAbout(r, st, template, "")
}

// mfaNoticeAbout is mfaNotice for a change of the text message factor to
// phone (masked).
func (a *Server) mfaNoticeAbout(r *http.Request, st *authState, template, phone string) (*core.Outgoing, error) {
	if st.user.Email == "" {
		return nil, nil
	}
	m, err := a.newMail(template, st.user.Email, mail.Data{Name: st.user.Name, Device: describeDevice(r.UserAgent()),
		IP: a.s.ClientIP(r), Link: a.s.origin + a.s.Path + "/profile/mfa", Address: phone})
	if err != nil {
		return nil, err
	}
	return &core.Outgoing{Channel: core.IdentifierEmail, To: m.To, Template: m.Template, Body: m.Body}, nil
}
