package web

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"html/template"
	"image/png"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/mail"
	"github.com/embedauth/auth/mfa"
	"github.com/embedauth/auth/passwordless"
	"github.com/embedauth/auth/store"
	"github.com/embedauth/auth/ui"
	"github.com/pquerna/otp"
)

// Two-step verification settings: the profile page and JSON API that turn
// on an authenticator app or text message codes, show and regenerate
// backup codes and turn them off, and the policy (MFAConfig.Policy and
// organizations that require it) that decides who must enrol.

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
	lang := a.mailLang(r.Context(), &st.user)
	m, err := a.newMail(template, st.user.Email, mail.Data{Name: st.user.Name, Device: describeDevice(a.msgs.Lookup(lang), r.UserAgent()),
		IP: a.s.ClientIP(r), Link: a.s.origin + a.s.Path + "/profile/mfa", Address: phone, Lang: lang})
	if err != nil {
		return nil, err
	}
	return &core.Outgoing{Channel: core.IdentifierEmail, To: m.To, Template: m.Template, Body: m.Body}, nil
}

// mfaStatusBody is the answer of GET /api/me/mfa.
type mfaStatusBody struct {
	TOTP            bool     `json:"totp"`
	SMS             bool     `json:"sms"`
	BackupCodesLeft int      `json:"backup_codes_left"`
	Pending         bool     `json:"pending"`
	Required        bool     `json:"required"`
	SecondFactors   []string `json:"second_factors"`
}

// apiMFAStatus tells the signed-in user's two-step verification state.
func (a *Server) apiMFAStatus(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	s, err := a.mfa.Status(ctx, st.user.ID)
	if err != nil {
		return err
	}
	factors, err := a.secondFactors(ctx, st.user.ID)
	if err != nil {
		return err
	}
	required, err := a.mfaRequiredFor(ctx, st.user.ID)
	if err != nil {
		return err
	}
	body := mfaStatusBody{TOTP: s.TOTP, SMS: s.SMS, BackupCodesLeft: s.BackupCodesLeft, Required: required, SecondFactors: factors}
	if body.SecondFactors == nil {
		body.SecondFactors = []string{}
	}
	if !s.TOTP {
		_, perr := a.mfa.PendingTOTP(ctx, st.user.ID, a.totpAccount(st.user))
		body.Pending = perr == nil
	}
	return httpx.WriteJSON(w, http.StatusOK, body)
}

// passwordBody is a request that may carry the password for stepUp.
type passwordBody struct {
	Password string `json:"password"`
}

// apiMFABegin starts authenticator app enrolment: a new secret, its
// otpauth URI and a QR code, valid until confirmed or replaced.
func (a *Server) apiMFABegin(w http.ResponseWriter, r *http.Request) error {
	var in passwordBody
	st, err := a.apiSignedInJSON(w, r, &in)
	if err != nil {
		return err
	}
	e, err := a.mfaBegin(r, st, in.Password)
	if err != nil {
		return err
	}
	qr, err := qrDataURI(e.URL)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, struct {
		Secret string `json:"secret"`
		URI    string `json:"uri"`
		QR     string `json:"qr_code"`
	}{e.Secret, e.URL, string(qr)})
}

// backupCodesBody carries backup codes, shown once.
type backupCodesBody struct {
	BackupCodes []string `json:"backup_codes"`
}

// apiMFAConfirm completes enrolment with a code from the app and returns
// the backup codes.
func (a *Server) apiMFAConfirm(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Code string `json:"code"`
	}
	st, err := a.apiSignedInJSON(w, r, &in)
	if err != nil {
		return err
	}
	codes, err := a.mfaConfirm(r, st, in.Code)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, backupCodesBody{codes})
}

// apiMFABackupCodes replaces the backup codes.
func (a *Server) apiMFABackupCodes(w http.ResponseWriter, r *http.Request) error {
	var in passwordBody
	st, err := a.apiSignedInJSON(w, r, &in)
	if err != nil {
		return err
	}
	codes, err := a.mfaRegenerate(r, st, in.Password)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, backupCodesBody{codes})
}

// apiMFADisable turns two-step verification off.
func (a *Server) apiMFADisable(w http.ResponseWriter, r *http.Request) error {
	var in passwordBody
	st, err := a.apiSignedInJSON(w, r, &in)
	if err != nil {
		return err
	}
	if err := a.mfaDisable(r, st, in.Password); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, statusBody{Status: "disabled"})
}

// Text message codes as a second factor: sent to the user's verified
// phone number through the passwordless flows (PurposeReverify: nothing
// changes, the flow only proves the user holds the number), counted
// against the account like the other second factors.

// methodSMS names the text message second factor.
const methodSMS = "sms"

// keySMSFactorFlow is the text message flow of this browser's pending
// second factor or reverification.
const keySMSFactorFlow = "mfa_sms_flow"

var (
	errNoPhone = httpx.Errorf(http.StatusConflict, "no_verified_phone",
		"Add and verify a phone number in your profile first.")
	errSMSFactorOff = httpx.Errorf(http.StatusConflict, "sms_factor_not_enabled",
		"Text message codes are not on for your account.")
)

// smsFactorAvailable reports whether text message codes may be a second
// factor: SMS codes are on and MFA.DisableSMS is not set.
func (a *Server) smsFactorAvailable() bool { return !a.s.MFA.DisableSMS && a.enabled(MethodSMSCode) }

// smsFactorPhone returns the verified phone number codes go to (the
// primary one first), or "" when the user has none.
func (a *Server) smsFactorPhone(ctx context.Context, userID string) (string, error) {
	ids, err := a.db.Identifiers(ctx, userID)
	if err != nil {
		return "", err
	}
	for _, id := range ids { // primary first within each kind
		if id.Kind == core.IdentifierPhone && id.Verified {
			return id.Value, nil
		}
	}
	return "", nil
}

// sendSMSFactorCode texts a second-factor code to user's phone, for the
// pending sign-in or a reverification of this browser.
func (a *Server) sendSMSFactorCode(r *http.Request, user core.User) (sentBody, error) {
	ctx := r.Context()
	if !a.smsFactorAvailable() {
		return sentBody{}, errMethodDisabled
	}
	on, err := a.db.SMSFactor(ctx, user.ID)
	if err != nil {
		return sentBody{}, err
	}
	if !on {
		return sentBody{}, errSMSFactorOff
	}
	phone, err := a.smsFactorPhone(ctx, user.ID)
	if err != nil {
		return sentBody{}, err
	}
	if phone == "" {
		return sentBody{}, errNoPhone
	}
	if err := rateLimited(a.limits.codes, a.s.ClientIP(r)); err != nil {
		return sentBody{}, err
	}
	key := store.IdentifierKey(core.IdentifierPhone, phone)
	c, err := a.pwl.svc.Start(ctx, passwordless.Request{Kind: core.ChallengeSMSCode, Purpose: core.PurposeReverify,
		Address: phone, AddressKey: key, UserID: user.ID, Limits: a.sendLimits(r, core.IdentifierPhone, key)},
		a.renderSMS(a.mailLang(ctx, &user), "sms_second_factor", phone))
	if err != nil {
		return sentBody{}, err
	}
	a.wake()
	a.sm.Put(ctx, keySMSFactorFlow, c.ID)
	return sentBody{Status: "sent", Channel: core.IdentifierPhone, To: passwordless.MaskPhone(phone),
		ExpiresIn: int(a.s.Passwordless.CodeTTL / time.Second)}, nil
}

// checkSMSFactorCode uses the text message code of this browser's flow
// for user, counted against the account's second-factor failures. A
// sign-in passes its method as logAs, so that a wrong code is written to
// the security log.
func (a *Server) checkSMSFactorCode(r *http.Request, user core.User, code, logAs string) error {
	ctx := r.Context()
	c, ok := a.flowOf(r, keySMSFactorFlow)
	if !ok || c.UserID != user.ID || c.Purpose != core.PurposeReverify || c.Kind != core.ChallengeSMSCode {
		a.sm.Remove(ctx, keySMSFactorFlow)
		return httpx.FieldError("code", "code_not_sent", "Send yourself a code by text message first.")
	}
	err := a.mfa.Attempt(ctx, user.ID, func() error {
		_, err := a.pwl.svc.VerifyCode(ctx, c.ID, code, nil)
		return err
	})
	if err != nil {
		if logAs != "" {
			a.logSecondFactorFailure(ctx, user.ID, logAs, err) // security_log.go
		}
		var locked *mfa.LockedError
		if errors.As(err, &locked) {
			return err
		}
		e := err
		if errors.Is(e, errFlowGone) {
			a.sm.Remove(ctx, keySMSFactorFlow)
		}
		return e
	}
	a.sm.Remove(ctx, keySMSFactorFlow)
	return nil
}

// smsCodeMax is the longest text message code (Passwordless.CodeLength
// is 6 or 8); backup codes are longer and not only digits.
const smsCodeMax = 8

// smsFactorOn turns text message codes on as a second factor for the
// signed-in user, after stepUp; it returns backup codes to show when they
// are the user's first second factor.
func (a *Server) smsFactorOn(r *http.Request, st *authState, pw string) ([]string, error) {
	ctx := r.Context()
	if !a.smsFactorAvailable() {
		return nil, errMethodDisabled
	}
	if err := a.stepUp(r, st, pw, "password", "Enter your password."); err != nil {
		return nil, err
	}
	phone, err := a.smsFactorPhone(ctx, st.user.ID)
	if err != nil {
		return nil, err
	}
	if phone == "" {
		return nil, errNoPhone
	}
	notice, err := a.mfaNoticeAbout(r, st, mailMFAEnabled, passwordless.MaskPhone(phone))
	if err != nil {
		return nil, err
	}
	codes, err := a.mfa.EnableSMS(ctx, st.user.ID, notice)
	if err != nil {
		return nil, err
	}
	return codes, a.mfaChanged(r, st)
}

// smsFactorOff turns text message codes off as a second factor, after
// stepUp. Under MFARequired the last second factor cannot go.
func (a *Server) smsFactorOff(r *http.Request, st *authState, pw string) error {
	ctx := r.Context()
	if err := a.stepUp(r, st, pw, "password", "Enter your password."); err != nil {
		return err
	}
	s, err := a.mfa.Status(ctx, st.user.ID)
	if err != nil {
		return err
	}
	if !s.SMS {
		return errSMSFactorOff
	}
	if !s.TOTP {
		if err := a.mfaPolicyAllowsOff(); err != nil {
			return err
		}
	}
	about := "" // the last second factor: the notice says it is all off
	if s.TOTP {
		phone, err := a.smsFactorPhone(ctx, st.user.ID)
		if err != nil {
			return err
		}
		about = "your phone"
		if phone != "" {
			about = passwordless.MaskPhone(phone)
		}
	}
	notice, err := a.mfaNoticeAbout(r, st, mailMFADisabled, about)
	if err != nil {
		return err
	}
	if err := a.mfa.DisableSMS(ctx, st.user.ID, notice); err != nil {
		return err
	}
	return a.mfaChanged(r, st)
}

// mfaSMSForm turns text message codes on (showing first backup codes when
// they are the user's first second factor).
func (a *Server) mfaSMSForm(w http.ResponseWriter, r *http.Request) error {
	return a.mfaAction(w, r, func(st *authState) ([]string, string, error) {
		codes, err := a.smsFactorOn(r, st, r.PostFormValue("password"))
		if err != nil || codes != nil {
			return codes, "", err
		}
		return nil, "Text message codes are on.", nil
	})
}

// mfaSMSDisableForm turns text message codes off.
func (a *Server) mfaSMSDisableForm(w http.ResponseWriter, r *http.Request) error {
	return a.mfaAction(w, r, func(st *authState) ([]string, string, error) {
		if err := a.smsFactorOff(r, st, r.PostFormValue("password")); err != nil {
			return nil, "", err
		}
		return nil, "Text message codes are off.", nil
	})
}

// apiMFASMSOn turns text message codes on; backup_codes holds the first
// set when they are the user's first second factor (else it is empty).
func (a *Server) apiMFASMSOn(w http.ResponseWriter, r *http.Request) error {
	var in passwordBody
	st, err := a.apiSignedInJSON(w, r, &in)
	if err != nil {
		return err
	}
	codes, err := a.smsFactorOn(r, st, in.Password)
	if err != nil {
		return err
	}
	if codes == nil {
		codes = []string{}
	}
	return httpx.WriteJSON(w, http.StatusOK, backupCodesBody{codes})
}

// apiMFASMSOff turns text message codes off.
func (a *Server) apiMFASMSOff(w http.ResponseWriter, r *http.Request) error {
	var in passwordBody
	st, err := a.apiSignedInJSON(w, r, &in)
	if err != nil {
		return err
	}
	if err := a.smsFactorOff(r, st, in.Password); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, statusBody{Status: "disabled"})
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
		httpx.WriteError(w, a.translateError(r, errMFAEnrollmentRequired))
		return
	}
	http.Redirect(w, r, a.s.Path+"/profile/mfa?redirect_url="+queryEscape(r.URL.RequestURI()), http.StatusSeeOther)
}
