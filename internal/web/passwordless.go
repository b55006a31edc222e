package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/mail"
	"github.com/embedauth/auth/passwordless"
	"github.com/embedauth/auth/store"
	"github.com/embedauth/auth/ui"
)

var _ passwordless.Store = (*store.DB)(nil)

// Keys of the browser-session data of passwordless flows.
const (
	keyCodeFlow  = "pwl_code"  // the code sign-in flow this browser waits on
	keyLinkFlow  = "pwl_link"  // the magic-link flow this browser asked for
	keyIdentFlow = "pwl_ident" // the address the signed-in user is verifying
)

// pwlState is the passwordless part of an Auth.
type pwlState struct {
	svc    *passwordless.Service
	sms    mail.SMSSender
	smsTpl *mail.SMSTemplate
	smsOut *mail.Dispatcher
}

// initPasswordless builds the passwordless service and the SMS outbox.
func (a *Server) initPasswordless() error {
	s := a.s
	svc, err := passwordless.New(a.db, passwordless.Config{
		Key: a.codeKey, CodeLength: s.Passwordless.CodeLength, CodeTTL: s.Passwordless.CodeTTL, LinkTTL: s.Passwordless.LinkTTL,
		MaxAttempts: s.Passwordless.MaxCodeAttempts, MaxFailures: s.LockoutThreshold, LockFor: s.LockoutDuration,
		MaxSends: s.Passwordless.MaxSendsPerFlow, Now: s.Now,
	})
	if err != nil {
		return err
	}
	tpl, err := mail.NewLocalizedSMSTemplate(s.Passwordless.SMSTemplate, a.msgs)
	if err != nil {
		return err
	}
	var sender mail.SMSSender = mail.DevSMS{}
	if s.SMS != nil {
		sender = s.SMS
	}
	backoff := []time.Duration{5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute, 30 * time.Minute}
	if n := s.Passwordless.SMSRetries; n >= 0 && n < len(backoff) {
		backoff = backoff[:n]
	}
	if len(backoff) == 0 {
		backoff = []time.Duration{time.Hour * 24 * 365} // no retry: the second attempt never comes due
	}
	a.pwl = &pwlState{svc: svc, sms: sender, smsTpl: tpl, smsOut: &mail.Dispatcher{
		Outbox: smsOutbox(a.db, s.dev),
		Sender: mail.SenderFunc(func(ctx context.Context, m mail.Message) error {
			return sender.SendSMS(ctx, mail.SMS{To: m.To, Body: m.Text})
		}),
		Open: a.openMail, Now: s.Now, Logger: s.Logger, Backoff: backoff, Name: "sms",
	}}
	return nil
}

// startPasswordless runs the SMS dispatcher and prunes old flows until
// ctx ends; Close waits for both.
func (a *Server) startPasswordless(ctx context.Context) {
	a.wg.Add(2)
	go func() { defer a.wg.Done(); a.pwl.smsOut.Run(ctx) }()
	go func() {
		defer a.wg.Done()
		hourly(ctx, func() {
			if err := a.db.PrunePasswordless(ctx, 24*time.Hour); err != nil && ctx.Err() == nil {
				a.s.Logger.Error("embedauth: prune passwordless", "err", err)
			}
		})
	}()
}

// FlushSMS delivers every queued text message that is due now and returns
// how many were sent, like [Auth.FlushMail].
func (a *Server) FlushSMS(ctx context.Context) (int, error) { return a.pwl.smsOut.Flush(ctx) }

// sendLimits are the caps on one message to address (a store key) for
// the client of r.
func (a *Server) sendLimits(r *http.Request, channel, addressKey string) []core.SendLimit {
	p := a.s.Passwordless
	if channel == core.IdentifierPhone {
		return []core.SendLimit{
			{Key: "sms:to:" + addressKey, Max: p.SMSPerNumberPerDay, Window: 24 * time.Hour},
			{Key: "sms:ip:" + a.s.ClientIP(r), Max: p.SMSPerIPPerDay, Window: 24 * time.Hour},
			{Key: "sms:all", Max: p.SMSPerDay, Window: 24 * time.Hour},
		}
	}
	return []core.SendLimit{{Key: "email:to:" + addressKey, Max: p.EmailsPerAddressPerHour, Window: time.Hour}}
}

// renderEmail returns a Render that mails template to address.
func (a *Server) renderEmail(lang, template, address, name string) passwordless.Render {
	return func(sec passwordless.Secret) (*core.Outgoing, error) {
		d := mail.Data{Code: sec.Code, ExpiresIn: sec.ExpiresIn, Name: name, Lang: lang}
		if sec.Token != "" {
			d.Link = a.s.origin + a.s.Path + "/magic-link?token=" + sec.Token
		}
		m, err := a.newMail(template, address, d)
		if err != nil {
			return nil, err
		}
		return &core.Outgoing{Channel: core.IdentifierEmail, To: m.To, Template: m.Template, Body: m.Body}, nil
	}
}

// renderSMS returns a Render that texts a code to phone.
func (a *Server) renderSMS(lang, template, phone string) passwordless.Render {
	return func(sec passwordless.Secret) (*core.Outgoing, error) {
		text, err := a.pwl.smsTpl.Render(mail.SMSData{AppName: a.s.AppName, Host: a.s.base.Hostname(), Code: sec.Code, ExpiresIn: sec.ExpiresIn, Lang: lang})
		if err != nil {
			return nil, err
		}
		b, err := json.Marshal(mail.Message{To: phone, Subject: "SMS", Text: text})
		if err != nil {
			return nil, err
		}
		return &core.Outgoing{Channel: core.IdentifierPhone, To: phone, Template: template, Body: a.box.Seal(b)}, nil
	}
}

// wake tells the dispatchers to deliver what was just queued.
func (a *Server) wake() {
	a.dispatcher.Wake()
	a.pwl.smsOut.Wake()
}

// Public errors of passwordless flows.
var (
	errFlowGone       = passwordless.ErrFlowGone
	errMethodDisabled = httpx.Errorf(http.StatusNotFound, "method_disabled", "This sign-in method is not enabled.")
)

// cleanPhone checks a phone number and returns it in E.164.
func cleanPhone(raw string) (string, error) {
	if raw == "" {
		return "", httpx.FieldError("phone", "phone_required", "Enter your phone number.")
	}
	p, err := passwordless.NormalizePhone(raw)
	if err != nil {
		return "", httpx.FieldError("phone", "invalid_phone", "Enter the number in international format, with its country code, like +44 20 7946 0958.")
	}
	return p, nil
}

// startInput is a request to start a passwordless sign-in or sign-up.
type startInput struct {
	Email       string `json:"email"`
	Phone       string `json:"phone"`
	Name        string `json:"name"`
	RedirectURL string `json:"redirect_url"`
}

// sentBody answers a started or resent flow. It is the same whether or
// not the address has an account.
type sentBody struct {
	Status    string `json:"status"`
	Channel   string `json:"channel"`
	To        string `json:"to"`
	ExpiresIn int    `json:"expires_in"`
	// MatchCode is, for a cross-device magic link, the code to show: the
	// device that opens the link must enter it.
	MatchCode string `json:"match_code,omitempty"`
}

// startSignIn starts a code or link flow for this browser. Whether or not
// the address has an account it does the same work and answers the same:
// an owner gets a sign-in message, a new address a sign-up message.
func (a *Server) startSignIn(r *http.Request, kind string, in startInput) (sentBody, error) {
	method := map[string]Method{core.ChallengeEmailCode: MethodEmailCode, core.ChallengeMagicLink: MethodMagicLink, core.ChallengeSMSCode: MethodSMSCode}[kind]
	if !a.enabled(method) {
		return sentBody{}, errMethodDisabled
	}
	if err := rateLimited(a.limits.codes, a.s.ClientIP(r)); err != nil {
		return sentBody{}, err
	}
	if err := a.checkCaptcha(r); err != nil {
		return sentBody{}, err
	}
	name, nameErr := core.CleanName(in.Name)
	var address, channel, masked string
	var addrErr error
	if kind == core.ChallengeSMSCode {
		address, addrErr = cleanPhone(in.Phone)
		channel, masked = core.IdentifierPhone, passwordless.MaskPhone(address)
	} else {
		address, addrErr = core.CleanEmail(in.Email)
		channel, masked = core.IdentifierEmail, maskEmail(address)
	}
	if err := core.Combine(addrErr, nameErr); err != nil {
		return sentBody{}, err
	}
	ctx := r.Context()
	key := store.IdentifierKey(channel, address)
	user, _, err := a.db.UserByIdentifier(ctx, channel, address)
	known := err == nil
	if err != nil && !errors.Is(err, core.ErrNotFound) {
		return sentBody{}, err
	}
	// A new address may create its account only as the sign-up rule
	// allows. Whatever it says, the answer now is the same; the refusal
	// is told once the address is proven (signUpRefusal).
	// The rule is read for every address, so that an answer costs the
	// same with or without an account.
	gated := address
	if channel != core.IdentifierEmail {
		gated = ""
	}
	ruleErr := a.gate.rule.Check(ctx, gated)
	if ruleErr != nil && !isRefusal(ruleErr) {
		return sentBody{}, ruleErr
	}
	allowSignUp := known || (ruleErr == nil && a.signUpVelocity(r) == nil)
	var render passwordless.Render
	lang := a.mailLang(ctx, nil)
	if known {
		lang = a.mailLang(ctx, &user)
	}
	switch {
	case kind == core.ChallengeSMSCode:
		render = a.renderSMS(lang, "sms_code", address)
	case kind == core.ChallengeEmailCode && known:
		render = a.renderEmail(lang, mail.MsgSignInCode, address, user.Name)
	case kind == core.ChallengeEmailCode:
		render = a.renderEmail(lang, mail.MsgSignUpCode, address, name)
	case known:
		render = a.renderEmail(lang, mail.MsgMagicLink, address, user.Name)
	default:
		render = a.renderEmail(lang, mail.MsgMagicLinkSignUp, address, name)
	}
	c, err := a.pwl.svc.Start(ctx, passwordless.Request{
		Kind: kind, Purpose: core.PurposeSignIn, Address: address, AddressKey: key, Name: name,
		RedirectURL: a.safeRedirect(in.RedirectURL), AllowSignUp: allowSignUp, CrossDevice: a.s.Passwordless.CrossDeviceLinks,
		Requester: describeDevice(a.locale(r), r.UserAgent()) + " (" + a.s.ClientIP(r) + ")", Limits: a.sendLimits(r, channel, key),
	}, render)
	if err != nil {
		return sentBody{}, err
	}
	a.wake()
	if kind == core.ChallengeMagicLink {
		a.sm.Put(ctx, keyLinkFlow, c.ID)
	} else {
		a.sm.Put(ctx, keyCodeFlow, c.ID)
	}
	return sentBody{Status: "sent", Channel: channel, To: masked, ExpiresIn: int(c.ExpiresAt.Sub(c.CreatedAt) / time.Second),
		MatchCode: c.MatchCode}, nil
}

// resendFlow sends a new code or link in the browser's flow (flowKey).
func (a *Server) resendFlow(r *http.Request, flowKey string) (sentBody, error) {
	ctx := r.Context()
	id := a.sm.GetString(ctx, flowKey)
	if id == "" {
		return sentBody{}, errFlowGone
	}
	if err := rateLimited(a.limits.codes, a.s.ClientIP(r)); err != nil {
		return sentBody{}, err
	}
	c, err := a.db.Challenge(ctx, id)
	if err != nil {
		return sentBody{}, err
	}
	var render passwordless.Render
	masked := maskEmail(c.Address)
	if c.Channel == core.IdentifierPhone {
		lang := a.mailLang(ctx, nil)
		if user, _, err := a.db.UserByIdentifier(ctx, c.Channel, c.Address); err == nil {
			lang = a.mailLang(ctx, &user)
		}
		render, masked = a.renderSMS(lang, "sms_code", c.Address), passwordless.MaskPhone(c.Address)
	} else {
		user, _, err := a.db.UserByIdentifier(ctx, c.Channel, c.Address)
		known := err == nil
		if err != nil && !errors.Is(err, core.ErrNotFound) {
			return sentBody{}, err
		}
		tpl := map[[2]bool]string{
			{false, true}: mail.MsgSignInCode, {false, false}: mail.MsgSignUpCode,
			{true, true}: mail.MsgMagicLink, {true, false}: mail.MsgMagicLinkSignUp,
		}[[2]bool{c.Kind == core.ChallengeMagicLink, known}]
		name := c.Name
		if known {
			name = user.Name
		}
		if c.Purpose == core.PurposeVerify {
			tpl = mail.MsgVerifyIdentifier
		}
		lang := a.mailLang(ctx, nil)
		if known {
			lang = a.mailLang(ctx, &user)
		}
		render = a.renderEmail(lang, tpl, c.Address, name)
	}
	c, err = a.pwl.svc.Resend(ctx, id, a.sendLimits(r, c.Channel, c.AddressKey), render)
	if err != nil {
		return sentBody{}, err
	}
	a.wake()
	return sentBody{Status: "sent", Channel: c.Channel, To: masked, ExpiresIn: int(c.ExpiresAt.Sub(a.s.Now()).Round(time.Second) / time.Second),
		MatchCode: c.MatchCode}, nil
}

// verifyCodeSignIn checks a code of the browser's code flow and, when it
// matches, signs the browser in (creating the user for a new address).
// It returns where to go next.
func (a *Server) verifyCodeSignIn(r *http.Request, code string) (*authState, string, error) {
	ctx := r.Context()
	id := a.sm.GetString(ctx, keyCodeFlow)
	if id == "" {
		return nil, "", errFlowGone
	}
	if err := rateLimited(a.limits.codes, a.s.ClientIP(r)); err != nil {
		return nil, "", err
	}
	sess := a.newSession(r, "", "")
	// The device, its log entry and its notice are recorded in the
	// transaction that uses the code and creates the session.
	dev := a.readDevice(r)
	done, err := a.pwl.svc.VerifyCodeAdmit(ctx, id, code, &sess, a.account.Admitter(dev.hash, a.deviceMessages(r)))
	if errors.Is(err, core.ErrSignUpClosed) {
		a.sm.Remove(ctx, keyCodeFlow)
		c, err := a.db.Challenge(ctx, id)
		return nil, "", a.closedFlowRefusal(ctx, c, err)
	}
	if err != nil {
		e := err
		if errors.Is(e, errFlowGone) {
			a.sm.Remove(ctx, keyCodeFlow)
		}
		return nil, "", e
	}
	a.sm.Remove(ctx, keyCodeFlow)
	st, err := a.completed(r, done, &dev)
	if errors.Is(err, errFactorTwoRequired) {
		return nil, a.factorTwoTarget(done.Challenge.RedirectURL), err
	}
	if errors.Is(err, errDeviceVerificationRequired) {
		return nil, a.deviceTarget(done.Challenge.RedirectURL), err
	}
	return st, a.passkeyNudge(r, st, a.afterSignIn(done.Challenge.RedirectURL)), err
}

// closedFlowRefusal explains why a proven address could not sign up,
// from the flow's challenge.
func (a *Server) closedFlowRefusal(ctx context.Context, c core.Challenge, err error) error {
	if err != nil {
		return err
	}
	if c.Channel != core.IdentifierEmail {
		return a.signUpRefusal(ctx, "")
	}
	return a.signUpRefusal(ctx, c.Address)
}

// completed signs this browser in with the session a flow created.
// dev is the browser's device cookie when the flow's transaction was
// given its hash (nil: not yet read).
func (a *Server) completed(r *http.Request, done core.Completion, dev *device) (*authState, error) {
	if done.Claimed { // the account lost its password and sessions
		a.cache.forgetUser(done.User.ID)
	}
	if done.Admitted { // the device was recorded with the session (account.Service.Admitter)
		if dev != nil {
			a.setDeviceCookie(r, *dev)
		}
		if done.NewDevice {
			a.dispatcher.Wake()
		}
		return a.attachSession(r, done.User, done.Session)
	}
	if err := a.holdForSecondFactor(r, done.User, done.Session); err != nil {
		return nil, err // errFactorTwoRequired for a user with MFA (factortwo.go)
	}
	sess, err := a.deviceSessionOf(r, dev, done.User, done.Session.AuthMethod, &done.Session, done.SignedUp, false)
	if err != nil {
		return nil, err // errDeviceVerificationRequired for a new device (device.go)
	}
	return a.attachSession(r, done.User, sess)
}

// newSession's method is set from the flow's kind: the store fills the
// session from this template.
func (a *Server) flowSession(r *http.Request, kind string) *core.Session {
	s := a.newSession(r, "", kind)
	return &s
}

// verifyLink uses a magic link (form or API) and signs this browser in.
// matchCode is what the person entered when the link is a cross-device
// link opened in another browser than the one that asked for it.
func (a *Server) verifyLink(r *http.Request, token, matchCode string) (*authState, string, error) {
	ctx := r.Context()
	if err := rateLimited(a.limits.codes, a.s.ClientIP(r)); err != nil {
		return nil, "", err
	}
	done, err := a.pwl.svc.VerifyLink(ctx, token, a.sm.GetString(ctx, keyLinkFlow), matchCode, a.flowSession(r, "magic_link"))
	if errors.Is(err, core.ErrSignUpClosed) {
		c, err := a.pwl.svc.Link(ctx, token)
		return nil, "", a.closedFlowRefusal(ctx, c, err)
	}
	if err != nil {
		return nil, "", err
	}
	// The flow stays in the browser session: a waiting tab of this browser
	// sees it completed and moves on to its redirect.
	st, err := a.completed(r, done, nil)
	if errors.Is(err, errFactorTwoRequired) {
		return nil, a.factorTwoTarget(done.Challenge.RedirectURL), err
	}
	if errors.Is(err, errDeviceVerificationRequired) {
		return nil, a.deviceTarget(done.Challenge.RedirectURL), err
	}
	return st, a.passkeyNudge(r, st, a.afterSignIn(done.Challenge.RedirectURL)), err
}

// linkStatus reports the browser's magic-link flow: pending, completed
// here, completed elsewhere (claimable) or expired.
func (a *Server) linkStatus(r *http.Request) (passwordless.Status, core.Challenge, error) {
	id := a.sm.GetString(r.Context(), keyLinkFlow)
	if id == "" {
		return "", core.Challenge{}, errFlowGone
	}
	st, c, err := a.pwl.svc.Status(r.Context(), id)
	if errors.Is(err, core.ErrNotFound) {
		return "", c, errFlowGone
	}
	return st, c, err
}

// continueLink signs in the browser that asked for a magic link after it
// was used on another device.
func (a *Server) continueLink(r *http.Request) (*authState, string, error) {
	ctx := r.Context()
	id := a.sm.GetString(ctx, keyLinkFlow)
	if id == "" {
		return nil, "", errFlowGone
	}
	done, err := a.pwl.svc.ClaimWaiting(ctx, id, *a.flowSession(r, "magic_link"))
	switch {
	case errors.Is(err, core.ErrNotFound):
		return nil, "", httpx.Errorf(http.StatusConflict, "link_pending", "The link has not been used yet. Open it from the email, then continue.")
	case errors.Is(err, core.ErrUsed), errors.Is(err, core.ErrExpired):
		a.sm.Remove(ctx, keyLinkFlow)
		return nil, "", errFlowGone
	case err != nil:
		return nil, "", err
	}
	a.sm.Remove(ctx, keyLinkFlow)
	st, err := a.completed(r, done, nil)
	if errors.Is(err, errFactorTwoRequired) {
		return nil, a.factorTwoTarget(done.Challenge.RedirectURL), err
	}
	if errors.Is(err, errDeviceVerificationRequired) {
		return nil, a.deviceTarget(done.Challenge.RedirectURL), err
	}
	return st, a.passkeyNudge(r, st, a.afterSignIn(done.Challenge.RedirectURL)), err
}

// queryWith appends redirect_url to path when set.
func queryWith(path, redirect string) string {
	if redirect == "" {
		return path
	}
	return path + "?redirect_url=" + url.QueryEscape(redirect)
}

// methodsView tells pages which methods to offer.
func (a *Server) methodsView() ui.Methods {
	return ui.Methods{Password: a.enabled(MethodPassword), Passkey: a.enabled(MethodPasskey) && a.passkeysOn(), EmailCode: a.enabled(MethodEmailCode),
		MagicLink: a.enabled(MethodMagicLink), SMSCode: a.enabled(MethodSMSCode)}
}

func (a *Server) titled(r *http.Request, name, title string) ui.Page {
	p := a.page(r, name)
	p.Title = title
	return p
}

// startForm starts a code or link flow from the sign-in or sign-up page
// (or the phone page) and moves on to the page that waits for it.
func (a *Server) startForm(kind string, signUp bool) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := httpx.ParseForm(w, r, maxBody); err != nil {
			return err
		}
		in := startInput{Email: r.PostFormValue("email"), Phone: r.PostFormValue("phone"), Name: r.PostFormValue("name"),
			RedirectURL: a.safeRedirect(formRedirect(r))}
		if _, err := a.startSignIn(r, kind, in); err != nil {
			page := "sign-in"
			build := func(p ui.Page) any {
				return ui.SignIn{Page: p, Email: in.Email, RedirectURL: in.RedirectURL, Methods: a.methodsView()}
			}
			switch {
			case kind == core.ChallengeSMSCode:
				page = "phone"
				build = func(p ui.Page) any {
					p.Title = phoneTitle(signUp)
					return ui.Phone{Page: p, Phone: in.Phone, Name: in.Name, SignUp: signUp, RedirectURL: in.RedirectURL, Methods: a.methodsView()}
				}
			case signUp:
				page = "sign-up"
				build = func(p ui.Page) any {
					return ui.SignUp{Page: p, Mode: a.signUpMode(r.Context()), Email: in.Email, Name: in.Name, RedirectURL: in.RedirectURL, MinLength: a.s.PasswordMinLength, Methods: a.methodsView()}
				}
			}
			return a.formFail(w, r, err, page, build)
		}
		target := a.s.Path + "/code"
		if kind == core.ChallengeMagicLink {
			target = a.s.Path + "/magic-link/sent"
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
		return nil
	}
}

func phoneTitle(signUp bool) string {
	if signUp {
		return "Sign up with your phone"
	}
	return "Sign in with your phone"
}

func (a *Server) phonePage(signUp bool) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if !a.enabled(MethodSMSCode) {
			return errMethodDisabled
		}
		return a.render(w, http.StatusOK, "phone", ui.Phone{Page: a.titled(r, "phone", phoneTitle(signUp)), SignUp: signUp,
			RedirectURL: a.safeRedirect(r.URL.Query().Get("redirect_url")), Methods: a.methodsView()})
	}
}

// codeData describes the browser's code flow for the code page.
func (a *Server) codeData(r *http.Request, p ui.Page, c core.Challenge) ui.Code {
	to := maskEmail(c.Address)
	if c.Channel == core.IdentifierPhone {
		to = passwordless.MaskPhone(c.Address)
	}
	if p.Title == "" {
		p.Title = "Check your email"
		if c.Channel == core.IdentifierPhone {
			p.Title = "Check your phone"
		}
	}
	d := ui.Code{Page: p, To: to, Channel: c.Channel, TTL: humanDuration(a.s.Passwordless.CodeTTL), Digits: a.s.Passwordless.CodeLength,
		Action: a.s.Path + "/code", ResendAction: a.s.Path + "/code/resend",
		BackURL: queryWith(a.s.Path+"/sign-in", c.RedirectURL), BackText: "Use another method"}
	if c.Purpose == core.PurposeVerify {
		d.Action, d.ResendAction = a.s.Path+"/profile/identifiers/verify", a.s.Path+"/profile/identifiers/resend"
		d.BackURL, d.BackText = a.s.Path+"/profile", "Back to your account"
	}
	return d
}

// flowOf returns the live flow the browser keeps under key.
func (a *Server) flowOf(r *http.Request, key string) (core.Challenge, bool) {
	id := a.sm.GetString(r.Context(), key)
	if id == "" {
		return core.Challenge{}, false
	}
	c, err := a.db.Challenge(r.Context(), id)
	if err != nil || c.ConsumedAt != nil || !a.s.Now().Before(c.FlowExpiresAt) {
		return core.Challenge{}, false
	}
	return c, true
}

func (a *Server) codePage(w http.ResponseWriter, r *http.Request) error {
	c, ok := a.flowOf(r, keyCodeFlow)
	if !ok {
		http.Redirect(w, r, a.s.Path+"/sign-in", http.StatusSeeOther)
		return nil
	}
	return a.render(w, http.StatusOK, "code", a.codeData(r, a.page(r, "code"), c))
}

// flowFail re-renders the code page of flow key with err, or goes back to
// sign-in when the flow is gone.
func (a *Server) flowFail(w http.ResponseWriter, r *http.Request, err error, key, back string) error {
	if errors.Is(err, errFlowGone) {
		a.notice(r, errFlowGone.Message)
		http.Redirect(w, r, back, http.StatusSeeOther)
		return nil
	}
	c, ok := a.flowOf(r, key)
	if !ok {
		if httpx.Status(httpx.Public(err)) >= 500 {
			return err
		}
		a.notice(r, httpx.Public(err).Message)
		http.Redirect(w, r, back, http.StatusSeeOther)
		return nil
	}
	return a.formFail(w, r, err, "code", func(p ui.Page) any { return a.codeData(r, p, c) })
}

func (a *Server) codeForm(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.ParseForm(w, r, maxBody); err != nil {
		return err
	}
	_, next, err := a.verifyCodeSignIn(r, r.PostFormValue("code"))
	if errors.Is(err, errFactorTwoRequired) || errors.Is(err, errDeviceVerificationRequired) {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	if err != nil {
		return a.flowFail(w, r, err, keyCodeFlow, a.s.Path+"/sign-in")
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

func (a *Server) codeResendForm(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.ParseForm(w, r, maxBody); err != nil {
		return err
	}
	if _, err := a.resendFlow(r, keyCodeFlow); err != nil {
		return a.flowFail(w, r, err, keyCodeFlow, a.s.Path+"/sign-in")
	}
	a.notice(r, "We sent a new code. Codes sent before it no longer work.")
	http.Redirect(w, r, a.s.Path+"/code", http.StatusSeeOther)
	return nil
}

// linkConfirmPage is what a magic link opens. It changes nothing, so a
// mail scanner's GET or HEAD cannot use the link: only the page's POST
// does.
func (a *Server) linkConfirmPage(w http.ResponseWriter, r *http.Request) error {
	d, status, err := a.linkConfirmData(r, a.titled(r, "magic-link", "Confirm sign-in"), r.URL.Query().Get("token"))
	if err != nil {
		return err
	}
	return a.render(w, status, "magic-link", d)
}

// linkConfirmData describes the confirmation page of a magic link for
// this browser, with the status to answer: in the browser that asked for
// it, a button; in another browser, the device that asked and, for a
// cross-device link, a field for the code that device shows; otherwise
// why it cannot be used here.
func (a *Server) linkConfirmData(r *http.Request, p ui.Page, token string) (ui.LinkConfirm, int, error) {
	c, err := a.pwl.svc.Link(r.Context(), token)
	if err != nil {
		e := httpx.Public(err)
		if httpx.Status(e) >= 500 {
			return ui.LinkConfirm{}, 0, err
		}
		p.Error, p.FieldErrors = e.Message, nil
		return ui.LinkConfirm{Page: p}, httpx.Status(e), nil
	}
	mine := a.sm.GetString(r.Context(), keyLinkFlow) == c.ID
	d := ui.LinkConfirm{Page: p, To: maskEmail(c.Address), Token: token}
	if !mine {
		d.Requester = c.Requester
		// Only a cross-device link, with its match code, completes here.
		d.Blocked = c.SameDevice || c.MatchCode == ""
		if !d.Blocked {
			d.MatchDigits = passwordless.MatchCodeDigits
		}
	}
	if d.Blocked {
		return d, http.StatusForbidden, nil
	}
	return d, http.StatusOK, nil
}

func (a *Server) linkConfirmForm(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.ParseForm(w, r, maxBody); err != nil {
		return err
	}
	token := r.PostFormValue("token")
	_, next, err := a.verifyLink(r, token, r.PostFormValue("match_code"))
	if errors.Is(err, errFactorTwoRequired) || errors.Is(err, errDeviceVerificationRequired) {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	if errors.Is(err, passwordless.ErrMatchCodeRequired) || errors.Is(err, passwordless.ErrMatchCodeIncorrect) {
		// The link still works: ask again.
		e := httpx.Public(err)
		p := a.titled(r, "magic-link", "Confirm sign-in")
		p.FieldErrors = map[string]string{e.Field: e.Message}
		d, _, derr := a.linkConfirmData(r, p, token)
		if derr != nil {
			return derr
		}
		return a.render(w, httpx.Status(e), "magic-link", d)
	}
	if err != nil {
		return a.formFail(w, r, err, "magic-link", func(p ui.Page) any {
			p.Title = "Confirm sign-in"
			return ui.LinkConfirm{Page: p}
		})
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// linkSentPage is the waiting tab: it refreshes itself (no script) until
// the link is used, here or on another device.
func (a *Server) linkSentPage(w http.ResponseWriter, r *http.Request) error {
	status, c, err := a.linkStatus(r)
	if errors.Is(err, errFlowGone) {
		http.Redirect(w, r, a.s.Path+"/sign-in", http.StatusSeeOther)
		return nil
	}
	if err != nil {
		return err
	}
	if status == passwordless.StatusCompleted {
		a.sm.Remove(r.Context(), keyLinkFlow)
		http.Redirect(w, r, a.afterSignIn(c.RedirectURL), http.StatusSeeOther)
		return nil
	}
	if status == passwordless.StatusExpired {
		a.sm.Remove(r.Context(), keyLinkFlow)
		a.notice(r, "That sign-in link has expired. Request a new one.")
		http.Redirect(w, r, queryWith(a.s.Path+"/sign-in", c.RedirectURL), http.StatusSeeOther)
		return nil
	}
	p := a.titled(r, "magic-link-sent", "Check your email")
	if status == passwordless.StatusPending {
		w.Header().Set("Refresh", strconv.Itoa(linkPollSeconds))
	} else {
		p.Title = "Signed in on another device"
	}
	return a.render(w, http.StatusOK, "magic-link-sent", ui.LinkSent{Page: p, To: maskEmail(c.Address),
		TTL: humanDuration(a.s.Passwordless.LinkTTL), Elsewhere: status == passwordless.StatusElsewhere,
		MatchCode: c.MatchCode, BackURL: queryWith(a.s.Path+"/sign-in", c.RedirectURL)})
}

// linkPollSeconds is how often the waiting tab looks again.
const linkPollSeconds = 3

func (a *Server) linkResendForm(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.ParseForm(w, r, maxBody); err != nil {
		return err
	}
	if _, err := a.resendFlow(r, keyLinkFlow); err != nil {
		e := httpx.Public(err)
		if httpx.Status(e) >= 500 {
			return err
		}
		a.notice(r, e.Message)
	} else {
		a.notice(r, "We sent a new link. Links sent before it no longer work.")
	}
	http.Redirect(w, r, a.s.Path+"/magic-link/sent", http.StatusSeeOther)
	return nil
}

func (a *Server) linkContinueForm(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.ParseForm(w, r, maxBody); err != nil {
		return err
	}
	_, next, err := a.continueLink(r)
	if errors.Is(err, errFactorTwoRequired) || errors.Is(err, errDeviceVerificationRequired) {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	if err != nil {
		e := httpx.Public(err)
		if httpx.Status(e) >= 500 {
			return err
		}
		a.notice(r, e.Message)
		if errors.Is(err, errFlowGone) {
			http.Redirect(w, r, a.s.Path+"/sign-in", http.StatusSeeOther)
		} else {
			http.Redirect(w, r, a.s.Path+"/magic-link/sent", http.StatusSeeOther)
		}
		return nil
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// devSMS lists the SMS outbox for the dev page.
func (a *Server) devSMS(r *http.Request) ([]ui.DevMessage, error) {
	list, err := a.db.ListSMS(r.Context(), 50)
	if err != nil {
		return nil, err
	}
	var out []ui.DevMessage
	for _, q := range list {
		dm := ui.DevMessage{ID: q.ID, To: q.To, Status: q.Status, Error: q.LastError, CreatedAt: q.CreatedAt, Subject: "SMS"}
		if q.Body != nil {
			if m, err := a.openMail(q.Body); err == nil {
				dm.Text = m.Text
			}
		}
		out = append(out, dm)
	}
	return out, nil
}

// The JSON API of passwordless sign-in and of the user's addresses. The
// routes are listed in apiRoutes (api.go) and documented in openapi.json.

// signedInBody answers a completed passwordless sign-in.
type signedInBody struct {
	User        userJSON     `json:"user"`
	Session     core.Session `json:"session"`
	RedirectURL string       `json:"redirect_url"`
}

func (a *Server) writeSignedIn(w http.ResponseWriter, st *authState, next string) error {
	return httpx.WriteJSON(w, http.StatusOK, signedInBody{User: a.userJSON(st.user), Session: st.session, RedirectURL: next})
}

func (a *Server) apiMethods(w http.ResponseWriter, r *http.Request) error {
	methods := make([]string, 0, len(a.s.Methods))
	for _, m := range a.s.Methods {
		methods = append(methods, string(m))
	}
	return httpx.WriteJSON(w, http.StatusOK, struct {
		Methods    []string       `json:"methods"`
		CodeLength int            `json:"code_length"`
		Social     []socialMethod `json:"social"`
	}{methods, a.s.Passwordless.CodeLength, a.socialMethods()})
}

// apiStart starts a flow of kind; signUp admits a name.
func (a *Server) apiStart(kind string, signUp bool) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var in startInput
		var err error
		switch {
		case kind == core.ChallengeSMSCode && signUp:
			var b struct {
				Phone        string `json:"phone"`
				Name         string `json:"name"`
				RedirectURL  string `json:"redirect_url"`
				CaptchaToken string `json:"captcha_token"`
			}
			err = httpx.DecodeJSON(w, r, maxBody, &b)
			in = startInput{Phone: b.Phone, Name: b.Name, RedirectURL: b.RedirectURL}
			r = withCaptchaToken(r, b.CaptchaToken)
		case kind == core.ChallengeSMSCode:
			var b struct {
				Phone        string `json:"phone"`
				RedirectURL  string `json:"redirect_url"`
				CaptchaToken string `json:"captcha_token"`
			}
			err = httpx.DecodeJSON(w, r, maxBody, &b)
			in = startInput{Phone: b.Phone, RedirectURL: b.RedirectURL}
			r = withCaptchaToken(r, b.CaptchaToken)
		case signUp:
			var b struct {
				Email        string `json:"email"`
				Name         string `json:"name"`
				RedirectURL  string `json:"redirect_url"`
				CaptchaToken string `json:"captcha_token"`
			}
			err = httpx.DecodeJSON(w, r, maxBody, &b)
			in = startInput{Email: b.Email, Name: b.Name, RedirectURL: b.RedirectURL}
			r = withCaptchaToken(r, b.CaptchaToken)
		default:
			var b struct {
				Email        string `json:"email"`
				RedirectURL  string `json:"redirect_url"`
				CaptchaToken string `json:"captcha_token"`
			}
			err = httpx.DecodeJSON(w, r, maxBody, &b)
			in = startInput{Email: b.Email, RedirectURL: b.RedirectURL}
			r = withCaptchaToken(r, b.CaptchaToken)
		}
		if err != nil {
			return err
		}
		sent, err := a.startSignIn(r, kind, in)
		if err != nil {
			return err
		}
		return httpx.WriteJSON(w, http.StatusAccepted, sent)
	}
}

type codeInput struct {
	Code string `json:"code"`
}

func (a *Server) apiCodeVerify(w http.ResponseWriter, r *http.Request) error {
	var in codeInput
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	st, next, err := a.verifyCodeSignIn(r, in.Code)
	if err != nil {
		return a.apiFactorTwoOr(w, r, err)
	}
	return a.writeSignedIn(w, st, next)
}

func (a *Server) apiFlowResend(key string) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := httpx.DecodeJSON(w, r, maxBody, &struct{}{}); err != nil {
			return err
		}
		if key == keyIdentFlow {
			st, err := a.apiUser(r)
			if err != nil {
				return err
			}
			if c, ok := a.flowOf(r, keyIdentFlow); !ok || c.UserID != st.user.ID {
				return errFlowGone
			}
		}
		sent, err := a.resendFlow(r, key)
		if err != nil {
			return err
		}
		return httpx.WriteJSON(w, http.StatusAccepted, sent)
	}
}

func (a *Server) apiLinkVerify(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Token     string `json:"token"`
		MatchCode string `json:"match_code"`
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	st, next, err := a.verifyLink(r, in.Token, in.MatchCode)
	if err != nil {
		return a.apiFactorTwoOr(w, r, err)
	}
	return a.writeSignedIn(w, st, next)
}

// linkStatusBody answers where a browser's magic-link flow stands.
type linkStatusBody struct {
	Status string `json:"status"`
	// MatchCode is, while a cross-device link is pending, the code to
	// show: the device that opens the link must enter it.
	MatchCode string `json:"match_code,omitempty"`
}

func (a *Server) apiLinkStatus(w http.ResponseWriter, r *http.Request) error {
	status, c, err := a.linkStatus(r)
	if err != nil {
		return err
	}
	body := linkStatusBody{Status: string(status)}
	if status == passwordless.StatusPending {
		body.MatchCode = c.MatchCode
	}
	return httpx.WriteJSON(w, http.StatusOK, body)
}

func (a *Server) apiLinkContinue(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.DecodeJSON(w, r, maxBody, &struct{}{}); err != nil {
		return err
	}
	st, next, err := a.continueLink(r)
	if err != nil {
		return a.apiFactorTwoOr(w, r, err)
	}
	return a.writeSignedIn(w, st, next)
}

// identifierJSON is one of the user's addresses.
type identifierJSON = core.Identifier

type identifiersBody struct {
	Identifiers []identifierJSON `json:"identifiers"`
}

type identifierChange struct {
	Password string `json:"password"`
}
