package auth

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

	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/mail"
	"github.com/embedauth/auth/mfa"
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

func (a *Auth) mfaData(r *http.Request, st *authState, p ui.Page) (ui.MFA, error) {
	ctx := r.Context()
	status, err := a.mfa.Status(ctx, st.user.ID)
	if err != nil {
		return ui.MFA{}, err
	}
	d := ui.MFA{Page: p, TOTP: status.TOTP, BackupCodesLeft: status.BackupCodesLeft, HasPassword: st.user.HasPassword}
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

func (a *Auth) mfaPage(w http.ResponseWriter, r *http.Request) error {
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
func (a *Auth) mfaAction(w http.ResponseWriter, r *http.Request, fn func(st *authState) (codes []string, notice string, err error)) error {
	st, ok, err := a.signedIn(w, r)
	if !ok {
		return err
	}
	if err := httpx.ParseForm(w, r, maxBody); err != nil {
		return err
	}
	codes, notice, err := fn(st)
	a.cache.forgetUser(st.user.ID) // User.TwoFactorEnabled may have changed
	if err != nil {
		if httpx.Public(err).Status >= 500 {
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
			Download: template.URL("data:text/plain;charset=utf-8," + url.PathEscape(text))})
	}
	if notice != "" {
		a.notice(r, notice)
	}
	http.Redirect(w, r, a.s.Path+"/profile/mfa", http.StatusSeeOther)
	return nil
}

// mfaBeginForm draws a pending TOTP secret, after the password.
func (a *Auth) mfaBeginForm(w http.ResponseWriter, r *http.Request) error {
	return a.mfaAction(w, r, func(st *authState) ([]string, string, error) {
		ctx := r.Context()
		if err := a.stepUp(r, st, r.PostFormValue("password"), "password", "Enter your password."); err != nil {
			return nil, "", err
		}
		if on, err := a.mfa.Enabled(ctx, st.user.ID); err != nil || on {
			return nil, "", err
		}
		_, err := a.mfa.BeginTOTP(ctx, st.user.ID, st.user.Email)
		return nil, "", err
	})
}

// mfaConfirmForm completes enrolment with a valid code and shows the
// backup codes once.
func (a *Auth) mfaConfirmForm(w http.ResponseWriter, r *http.Request) error {
	return a.mfaAction(w, r, func(st *authState) ([]string, string, error) {
		code := r.PostFormValue("code")
		if strings.TrimSpace(code) == "" {
			return nil, "", httpx.FieldError("code", "code_required", "Enter the code from your app.")
		}
		codes, err := a.mfa.ConfirmTOTP(r.Context(), st.user.ID, code)
		if err != nil {
			return nil, "", a.mfaError(err)
		}
		a.mfaNotice(r, st, mailMFAEnabled)
		return codes, "", nil
	})
}

// mfaBackupCodesForm replaces the backup codes, after the password.
func (a *Auth) mfaBackupCodesForm(w http.ResponseWriter, r *http.Request) error {
	return a.mfaAction(w, r, func(st *authState) ([]string, string, error) {
		ctx := r.Context()
		if err := a.stepUp(r, st, r.PostFormValue("password"), "password", "Enter your password."); err != nil {
			return nil, "", err
		}
		if on, err := a.mfa.Enabled(ctx, st.user.ID); err != nil || !on {
			return nil, "", err
		}
		codes, err := a.mfa.RegenerateBackupCodes(ctx, st.user.ID)
		if err != nil {
			return nil, "", err
		}
		a.mfaNotice(r, st, mailMFABackupCodes)
		return codes, "", nil
	})
}

// mfaDisableForm turns MFA off, after the password.
func (a *Auth) mfaDisableForm(w http.ResponseWriter, r *http.Request) error {
	return a.mfaAction(w, r, func(st *authState) ([]string, string, error) {
		ctx := r.Context()
		if err := a.stepUp(r, st, r.PostFormValue("password"), "password", "Enter your password."); err != nil {
			return nil, "", err
		}
		if err := a.mfa.Disable(ctx, st.user.ID); err != nil {
			return nil, "", err
		}
		a.mfaNotice(r, st, mailMFADisabled)
		return nil, "Two-step verification is off.", nil
	})
}

// mfaNotice mails the user about an MFA change. A failure is logged: the
// change is made either way.
func (a *Auth) mfaNotice(r *http.Request, st *authState, template string) {
	m, err := a.newMail(template, st.user.Email, mail.Data{Name: st.user.Name, Device: describeDevice(r.UserAgent()),
		IP: a.s.ClientIP(r), Link: a.s.origin + a.s.Path + "/profile/mfa"})
	if err == nil {
		err = a.db.EnqueueMail(r.Context(), *m)
	}
	if err != nil {
		a.s.Logger.Error("embedauth: mfa notice", "template", template, "err", err)
		return
	}
	a.dispatcher.Wake()
}
