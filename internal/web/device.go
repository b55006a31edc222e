package web

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/embedauth/auth/account"
	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/internal/i18n"
	"github.com/embedauth/auth/internal/onetime"
	"github.com/embedauth/auth/mail"
	"github.com/embedauth/auth/passwordless"
	"github.com/embedauth/auth/store"
	"github.com/embedauth/auth/ui"
)

// deviceMessages renders the messages of a sign-in from a new device, for
// the client of r.
func (a *Server) deviceMessages(r *http.Request) account.DeviceMessages {
	return account.DeviceMessages{
		Notice: func(user core.User, method string) (*core.Outgoing, error) {
			m, err := a.newMail(mail.MsgNewDeviceSignIn, user.Email, a.deviceMailData(r, user, method))
			if err != nil {
				return nil, err
			}
			return &core.Outgoing{Channel: core.IdentifierEmail, To: m.To, Template: m.Template, Body: m.Body}, nil
		},
		Code: func(user core.User, method, code string) (*core.Outgoing, []core.SendLimit, error) {
			return a.deviceCodeMessage(r, user, method, code)
		},
	}
}

// deviceCodeMessage renders the message carrying a device code: mail to
// the primary email, or for an account without one (signed up with a
// phone number) a text message to the primary phone. It returns the send
// limits of that address.
func (a *Server) deviceCodeMessage(r *http.Request, user core.User, method, code string) (*core.Outgoing, []core.SendLimit, error) {
	if user.Email != "" {
		data := a.deviceMailData(r, user, method)
		data.Link, data.Code, data.ExpiresIn = "", code, account.DeviceCodeTTL
		m, err := a.newMail(mail.MsgDeviceVerificationCode, user.Email, data)
		if err != nil {
			return nil, nil, err
		}
		out := &core.Outgoing{Channel: core.IdentifierEmail, To: m.To, Template: m.Template, Body: m.Body}
		return out, a.sendLimits(r, core.IdentifierEmail, store.IdentifierKey(core.IdentifierEmail, user.Email)), nil
	}
	phone, err := a.account.PrimaryPhone(r.Context(), user.ID)
	if err != nil {
		return nil, nil, err
	}
	out, err := a.renderSMS(a.mailLang(r.Context(), &user), mail.MsgDeviceVerificationCode, phone)(passwordless.Secret{Code: code, ExpiresIn: account.DeviceCodeTTL})
	if err != nil {
		return nil, nil, err
	}
	return out, a.sendLimits(r, core.IdentifierPhone, store.IdentifierKey(core.IdentifierPhone, phone)), nil
}

// keyDeviceVerify holds the id of the device challenge this browser must
// answer before its sign-in gets a session (Config.VerifyNewDevices).
const keyDeviceVerify = "device_verify"

// deviceCookieLifetime is how long a browser keeps its device cookie
// (renewed at every sign-in), and how long a device unseen stays known:
// 400 days is the longest lifetime browsers allow a cookie.
const deviceCookieLifetime = 400 * 24 * time.Hour

// errDeviceVerificationRequired tells a sign-in handler that every factor
// was right but the device is new to the account: no session until the
// user enters the code mailed to them (it is never shown as an error).
var errDeviceVerificationRequired = errors.New("auth: device verification required")

// requestKey is the context key of the request's response header, which
// lets a sign-in deep in a flow set the device cookie.
type requestKey struct{}

// withClient puts the client (IP and user agent, for the security log) and
// the response header (for the device cookie) in the request's context.
func (a *Server) withClient(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := core.WithClient(r.Context(), core.Client{IP: a.s.ClientIP(r), UserAgent: cleanUserAgent(r.UserAgent())})
		ctx = context.WithValue(ctx, requestKey{}, w.Header())
		if al := r.Header.Get("Accept-Language"); al != "" {
			ctx = context.WithValue(ctx, acceptLanguageKey{}, al)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// cleanUserAgent bounds and repairs a User-Agent header for storage.
func cleanUserAgent(ua string) string {
	if len(ua) > 512 {
		ua = ua[:512]
	}
	if !utf8.ValidString(ua) {
		ua = strings.ToValidUTF8(ua, "")
	}
	return ua
}

// deviceCookieName is __Host- prefixed exactly when the session cookie is
// (everywhere but plain-http localhost in development).
func (a *Server) deviceCookieName() string {
	if a.s.secure {
		return "__Host-embedauth_device"
	}
	return "embedauth_device"
}

// device is a browser's device cookie: the token the browser holds (new
// when it had none) and its hash. The hash, never the cookie, is what the
// database holds.
type device struct{ token, hash string }

// readDevice reads this browser's device cookie, or makes a new one,
// without answering it yet (setDeviceCookie).
func (a *Server) readDevice(r *http.Request) device {
	token := ""
	if c, err := r.Cookie(a.deviceCookieName()); err == nil && onetime.ValidToken(c.Value) {
		token = c.Value
	}
	if token == "" {
		token = onetime.NewToken()
	}
	sum := sha256.Sum256([]byte(token))
	return device{token: token, hash: base64.RawURLEncoding.EncodeToString(sum[:])}
}

// setDeviceCookie gives the browser its device cookie d, its lifetime
// renewed.
func (a *Server) setDeviceCookie(r *http.Request, d device) {
	if h, ok := r.Context().Value(requestKey{}).(http.Header); ok {
		c := &http.Cookie{Name: a.deviceCookieName(), Value: d.token, Path: "/", MaxAge: int(deviceCookieLifetime / time.Second),
			HttpOnly: true, Secure: a.s.secure, SameSite: http.SameSiteLaxMode}
		h.Add("Set-Cookie", c.String())
	}
}

// deviceSession is the last step of every sign-in, after the first and
// any second factor: every sign-in method calls it right before the
// browser gets its session. account.Service.AdmitDevice remembers the
// device (a long-lived cookie) for the account, logs the sign-in, and for
// a device the account has not used before mails the user or holds the
// sign-in until the user enters a code sent to them
// (errDeviceVerificationRequired).
//
// When created is nil, the session is created there, in the same
// transaction as the device, the log entry and the mail. A flow whose
// store transaction already created the session passes it as created; it
// is ended when the device must be verified first. signUp marks the
// sign-in that created the account: its device is trusted without mail.
// resetAttempts clears the user's failed password attempts in the
// session's transaction (a password sign-in; see verifyPassword).
func (a *Server) deviceSession(r *http.Request, user core.User, method string, created *core.Session, signUp, resetAttempts bool) (core.Session, error) {
	return a.deviceSessionOf(r, nil, user, method, created, signUp, resetAttempts)
}

// deviceSessionOf is deviceSession for device d, when the request has
// read it already (nil: read it now).
func (a *Server) deviceSessionOf(r *http.Request, d *device, user core.User, method string, created *core.Session, signUp, resetAttempts bool) (core.Session, error) {
	ctx := r.Context()
	if d == nil {
		dev := a.readDevice(r)
		d = &dev
	}
	a.setDeviceCookie(r, *d)
	in := account.Arrival{User: user, DeviceHash: d.hash, SignUp: signUp, ResetAttempts: resetAttempts}
	if created != nil {
		in.Session, in.Created = *created, true
	} else {
		in.Session = a.newSession(r, user.ID, method)
	}
	adm, err := a.account.AdmitDevice(ctx, in, a.deviceMessages(r))
	if created != nil && adm.Session.ID == "" {
		a.cache.forgetSessions(created.ID) // ended, as the device must be verified first
	}
	if err != nil {
		return core.Session{}, err
	}
	if adm.Challenge != "" {
		a.wake()
		if err := a.sm.RenewToken(ctx); err != nil {
			return core.Session{}, err
		}
		a.sm.Remove(ctx, keyFactorTwo)
		a.sm.Put(ctx, keyDeviceVerify, adm.Challenge)
		return core.Session{}, errDeviceVerificationRequired
	}
	if adm.Queued {
		a.dispatcher.Wake()
	}
	return adm.Session, nil
}

// deviceMailData describes a sign-in for the new-device notice and the
// verification code mail.
func (a *Server) deviceMailData(r *http.Request, user core.User, method string) mail.Data {
	lang := a.mailLang(r.Context(), &user)
	return mail.Data{Name: user.Name, Device: describeDevice(a.msgs.Lookup(lang), r.UserAgent()), IP: a.s.ClientIP(r),
		Method: methodText(a.msgs.Lookup(lang), method), Link: a.s.origin + a.profileURL("devices"), Lang: lang}
}

// pendingDevice returns the device challenge this browser waits on and
// its user; a challenge that is over is forgotten.
func (a *Server) pendingDevice(r *http.Request) (core.DeviceChallenge, core.User, error) {
	ctx := r.Context()
	id := a.sm.GetString(ctx, keyDeviceVerify)
	if id == "" {
		return core.DeviceChallenge{}, core.User{}, account.ErrDeviceVerificationNotStarted
	}
	c, user, err := a.account.PendingDevice(ctx, id)
	var refusal *core.Error
	if errors.As(err, &refusal) {
		a.sm.Remove(ctx, keyDeviceVerify)
	}
	return c, user, err
}

// verifyDevice checks the code of this browser's device challenge and,
// when right, creates the session with the device remembered. It returns
// where to go next: redirect, or the default.
func (a *Server) verifyDevice(r *http.Request, code, redirect string) (*authState, string, error) {
	ctx := r.Context()
	c, user, err := a.pendingDevice(r)
	if err != nil {
		return nil, "", err
	}
	if err := rateLimited(a.limits.codes, a.s.ClientIP(r)); err != nil {
		return nil, "", err
	}
	sess, err := a.account.VerifyDevice(ctx, c, user, code, a.newSession(r, user.ID, c.Method), a.deviceMessages(r))
	if errors.Is(err, account.ErrDeviceVerificationExpired) {
		a.sm.Remove(ctx, keyDeviceVerify) // the held sign-in is over: the user signs in again for a new code
	}
	if err != nil {
		return nil, "", err
	}
	a.dispatcher.Wake()
	a.sm.Remove(ctx, keyDeviceVerify)
	st, err := a.attachSession(r, user, sess)
	if err != nil {
		return nil, "", err
	}
	return st, a.passkeyNudge(r, st, a.afterSignIn(a.safeRedirect(redirect))), nil
}

// methodText words an auth method in l's language (English when l is
// nil), with a capital first letter.
func methodText(l *i18n.Locale, method string) string {
	s := methodWords(l, method)
	if s == "" {
		return ""
	}
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// methodWords words an auth method in l's language as words in a
// sentence: "password and authenticator app".
func methodWords(l *i18n.Locale, method string) string {
	names := map[string]string{
		"password": "password", "passkey": "passkey", "email_code": "email code", "magic_link": "magic link",
		"sms_code": "text message code", "totp": "authenticator app", "backup_code": "backup code", "reset": "password reset",
	}
	s := ""
	for _, p := range strings.Split(method, "+") {
		w := ""
		if n, ok := names[p]; ok {
			w = trText(l, n)
		} else if p != "" {
			w = strings.ReplaceAll(p, "_", " ")
		}
		switch {
		case w == "":
		case s == "":
			s = w
		default:
			s = tr(l, "%s and %s", s, w)
		}
	}
	return s
}

// deviceTarget is where a sign-in form sends a browser whose device must
// be verified.
func (a *Server) deviceTarget(redirect string) string {
	return queryWith(a.s.Path+"/sign-in/verify-device", redirect)
}

// verifyDeviceData is the code page of the pending device verification.
func (a *Server) verifyDeviceData(r *http.Request, p ui.Page, user core.User, redirect string) ui.VerifyDevice {
	return ui.VerifyDevice{Page: p, To: a.deviceCodeTo(r, user), TTL: humanDuration(account.DeviceCodeTTL), RedirectURL: redirect}
}

// deviceCodeTo is where the device code went, masked: the primary email,
// or the primary phone of an account without one.
func (a *Server) deviceCodeTo(r *http.Request, user core.User) string {
	if user.Email != "" {
		return maskEmail(user.Email)
	}
	phone, err := a.account.PrimaryPhone(r.Context(), user.ID)
	if err != nil {
		return ""
	}
	return passwordless.MaskPhone(phone)
}

// verifyDevicePage asks for the code mailed for a sign-in from a new
// device.
func (a *Server) verifyDevicePage(w http.ResponseWriter, r *http.Request) error {
	redirect := a.safeRedirect(r.URL.Query().Get("redirect_url"))
	_, user, err := a.pendingDevice(r)
	if err != nil {
		if httpx.Status(httpx.Public(err)) >= 500 {
			return err
		}
		http.Redirect(w, r, queryWith(a.s.Path+"/sign-in", redirect), http.StatusSeeOther)
		return nil
	}
	return a.render(w, http.StatusOK, "verify-device", a.verifyDeviceData(r, a.page(r, "verify-device"), user, redirect))
}

// verifyDeviceForm checks the code and signs the browser in.
func (a *Server) verifyDeviceForm(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.ParseForm(w, r, maxBody); err != nil {
		return err
	}
	redirect := a.safeRedirect(formRedirect(r))
	_, next, err := a.verifyDevice(r, r.PostFormValue("code"), redirect)
	if err == nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	e := httpx.Public(err)
	if httpx.Status(e) >= 500 {
		return err
	}
	_, user, perr := a.pendingDevice(r)
	if perr != nil || e.Field == "" {
		// The sign-in is over (expired, used up, or never started): start
		// again from the sign-in page, with the reason.
		a.notice(r, e.Message)
		http.Redirect(w, r, queryWith(a.s.Path+"/sign-in", redirect), http.StatusSeeOther)
		return nil
	}
	return a.formFail(w, r, err, "verify-device", func(p ui.Page) any { return a.verifyDeviceData(r, p, user, redirect) })
}

// resendDeviceCode sends a new code for this browser's held sign-in: the
// earlier code stops working, and the count of wrong codes carries on.
// Sends count against the same cap as the first
// (Passwordless.EmailsPerAddressPerHour).
func (a *Server) resendDeviceCode(r *http.Request) error {
	ctx := r.Context()
	c, user, err := a.pendingDevice(r)
	if err != nil {
		return err
	}
	if err := rateLimited(a.limits.codes, a.s.ClientIP(r)); err != nil {
		return err
	}
	err = a.account.ResendDeviceCode(ctx, c, user, a.deviceMessages(r))
	if errors.Is(err, account.ErrDeviceVerificationNotStarted) {
		a.sm.Remove(ctx, keyDeviceVerify)
	}
	if err != nil {
		return err
	}
	a.wake()
	return nil
}

// verifyDeviceResendForm sends a new code and shows the code page again.
func (a *Server) verifyDeviceResendForm(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.ParseForm(w, r, maxBody); err != nil {
		return err
	}
	redirect := a.safeRedirect(formRedirect(r))
	err := a.resendDeviceCode(r)
	switch {
	case err == nil:
		a.notice(r, "We sent a new code. Only the newest one works.")
	case errors.Is(err, account.ErrDeviceVerificationNotStarted):
		a.notice(r, httpx.Public(err).Message)
		http.Redirect(w, r, queryWith(a.s.Path+"/sign-in", redirect), http.StatusSeeOther)
		return nil
	case httpx.Status(httpx.Public(err)) >= 500:
		return err
	default:
		a.notice(r, httpx.Public(err).Message)
	}
	http.Redirect(w, r, a.deviceTarget(redirect), http.StatusSeeOther)
	return nil
}

// apiVerifyDeviceResend sends a new code for the held sign-in.
func (a *Server) apiVerifyDeviceResend(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.DecodeJSON(w, r, maxBody, &struct{}{}); err != nil {
		return err
	}
	if err := a.resendDeviceCode(r); err != nil {
		return err
	}
	return a.apiDeviceVerificationRequired(w, r)
}

// deviceVerificationBody answers a JSON sign-in held for device
// verification.
type deviceVerificationBody struct {
	Status    string `json:"status"`
	To        string `json:"to"`
	ExpiresIn int    `json:"expires_in"`
	// Next is the page where a browser enters the code.
	Next string `json:"next"`
}

// apiDeviceVerificationRequired answers 202: every factor was right, and a
// code was mailed to let this device in.
func (a *Server) apiDeviceVerificationRequired(w http.ResponseWriter, r *http.Request) error {
	c, user, err := a.pendingDevice(r)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusAccepted, deviceVerificationBody{Status: "device_verification_required",
		To: a.deviceCodeTo(r, user), ExpiresIn: int(c.ExpiresAt.Sub(a.s.Now()).Round(time.Second) / time.Second),
		Next: a.s.Path + "/sign-in/verify-device"})
}

// apiDeviceStepOr answers 202 when err says the device must be verified,
// and returns err otherwise.
func (a *Server) apiDeviceStepOr(w http.ResponseWriter, r *http.Request, err error) error {
	if errors.Is(err, errDeviceVerificationRequired) {
		return a.apiDeviceVerificationRequired(w, r)
	}
	return err
}

// apiVerifyDevice completes a sign-in held for device verification.
func (a *Server) apiVerifyDevice(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Code string `json:"code"`
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	st, _, err := a.verifyDevice(r, in.Code, "")
	if err != nil {
		return err
	}
	return a.writeMe(w, st)
}
