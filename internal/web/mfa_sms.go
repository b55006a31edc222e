package web

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/mfa"
	"github.com/embedauth/auth/passwordless"
	"github.com/embedauth/auth/store"
	"github.com/embedauth/auth/ui"
)

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
		a.renderSMS("sms_second_factor", phone))
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

// factorTwoSMSForm texts a code for the pending sign-in and shows the
// page that asks for it.
func (a *Server) factorTwoSMSForm(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.ParseForm(w, r, maxBody); err != nil {
		return err
	}
	redirect := a.safeRedirect(formRedirect(r))
	user, _, err := a.pendingFactorTwo(r)
	if err != nil {
		return err
	}
	sent, err := a.sendSMSFactorCode(r, user)
	if err != nil {
		if httpx.Status(httpx.Public(err)) >= 500 {
			return err
		}
		return a.formFail(w, r, err, "factor-two", func(p ui.Page) any {
			d, _ := a.factorTwoData(r, p, user.ID, redirect, methodSMS)
			return d
		})
	}
	a.notice(r, "We texted a code to "+sent.To+".")
	target := a.s.Path + "/sign-in/factor-two?method=sms"
	if redirect != "" {
		target += "&redirect_url=" + queryEscape(redirect)
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

// apiFactorTwoSMS texts a code for the pending sign-in, to send back to
// POST /api/sign-in/factor-two with method "sms".
func (a *Server) apiFactorTwoSMS(w http.ResponseWriter, r *http.Request) error {
	user, _, err := a.pendingFactorTwo(r)
	if err != nil {
		return err
	}
	sent, err := a.sendSMSFactorCode(r, user)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, sent)
}

// apiReverifySMSCode texts a code for the second step of a reverification
// (users whose second factor is text messages).
func (a *Server) apiReverifySMSCode(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	sent, err := a.sendSMSFactorCode(r, st.user)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, sent)
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
