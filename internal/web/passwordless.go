package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/mail"
	"github.com/embedauth/auth/passwordless"
	"github.com/embedauth/auth/store"
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
	tpl, err := mail.NewSMSTemplate(s.Passwordless.SMSTemplate)
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
		Outbox: smsOutbox{a.db, s.dev},
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
		t := time.NewTicker(time.Hour)
		defer t.Stop()
		for {
			if err := a.db.PrunePasswordless(ctx, 24*time.Hour); err != nil && ctx.Err() == nil {
				a.s.Logger.Error("embedauth: prune passwordless", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// FlushSMS delivers every queued text message that is due now and returns
// how many were sent, like [Auth.FlushMail].
func (a *Server) FlushSMS(ctx context.Context) (int, error) { return a.pwl.smsOut.Flush(ctx) }

// smsOutbox adapts the store's SMS outbox to mail.Outbox.
type smsOutbox struct {
	db       *store.DB
	keepBody bool
}

func (o smsOutbox) DueMail(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]mail.Envelope, error) {
	due, err := o.db.DueSMS(ctx, now, lease, limit)
	if err != nil {
		return nil, err
	}
	out := make([]mail.Envelope, len(due))
	for i, d := range due {
		out[i] = mail.Envelope{ID: d.ID, To: d.To, Body: d.Body, Attempts: d.Attempts}
	}
	return out, nil
}

func (o smsOutbox) MailSent(ctx context.Context, id int64, now time.Time) error {
	return o.db.SMSSent(ctx, id, now, o.keepBody)
}

func (o smsOutbox) MailFailed(ctx context.Context, id int64, attempts int, retryAt time.Time, lastErr string, giveUp bool) error {
	return o.db.SMSFailed(ctx, id, attempts, retryAt, lastErr, giveUp)
}

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
func (a *Server) renderEmail(template, address, name string) passwordless.Render {
	return func(sec passwordless.Secret) (*core.Outgoing, error) {
		d := mail.Data{Code: sec.Code, ExpiresIn: sec.ExpiresIn, Name: name}
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
func (a *Server) renderSMS(template, phone string) passwordless.Render {
	return func(sec passwordless.Secret) (*core.Outgoing, error) {
		text, err := a.pwl.smsTpl.Render(mail.SMSData{AppName: a.s.AppName, Host: a.s.base.Hostname(), Code: sec.Code, ExpiresIn: sec.ExpiresIn})
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

func itoa(n int) string {
	if n == 8 {
		return "8"
	}
	return "6"
}

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
	name, err := core.CleanName(in.Name)
	if err != nil {
		return sentBody{}, err
	}
	var address, channel, masked string
	if kind == core.ChallengeSMSCode {
		if address, err = cleanPhone(in.Phone); err != nil {
			return sentBody{}, err
		}
		channel, masked = core.IdentifierPhone, passwordless.MaskPhone(address)
	} else {
		if address, err = core.CleanEmail(in.Email); err != nil {
			return sentBody{}, err
		}
		channel, masked = core.IdentifierEmail, maskEmail(address)
	}
	ctx := r.Context()
	key := store.IdentifierKey(channel, address)
	user, _, err := a.db.UserByIdentifier(ctx, channel, address)
	known := err == nil
	if err != nil && !errors.Is(err, core.ErrNotFound) {
		return sentBody{}, err
	}
	var render passwordless.Render
	switch {
	case kind == core.ChallengeSMSCode:
		render = a.renderSMS("sms_code", address)
	case kind == core.ChallengeEmailCode && known:
		render = a.renderEmail(mail.MsgSignInCode, address, user.Name)
	case kind == core.ChallengeEmailCode:
		render = a.renderEmail(mail.MsgSignUpCode, address, name)
	case known:
		render = a.renderEmail(mail.MsgMagicLink, address, user.Name)
	default:
		render = a.renderEmail(mail.MsgMagicLinkSignUp, address, name)
	}
	c, err := a.pwl.svc.Start(ctx, passwordless.Request{
		Kind: kind, Purpose: core.PurposeSignIn, Address: address, AddressKey: key, Name: name,
		RedirectURL: a.safeRedirect(in.RedirectURL), AllowSignUp: true, SameDevice: a.s.Passwordless.SameDeviceLinks,
		Requester: describeDevice(r.UserAgent()) + " (" + a.s.ClientIP(r) + ")", Limits: a.sendLimits(r, channel, key),
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
	return sentBody{Status: "sent", Channel: channel, To: masked, ExpiresIn: int(c.ExpiresAt.Sub(c.CreatedAt) / time.Second)}, nil
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
		render, masked = a.renderSMS("sms_code", c.Address), passwordless.MaskPhone(c.Address)
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
		render = a.renderEmail(tpl, c.Address, name)
	}
	c, err = a.pwl.svc.Resend(ctx, id, a.sendLimits(r, c.Channel, c.AddressKey), render)
	if err != nil {
		return sentBody{}, err
	}
	a.wake()
	return sentBody{Status: "sent", Channel: c.Channel, To: masked, ExpiresIn: int(c.ExpiresAt.Sub(a.s.Now()).Round(time.Second) / time.Second)}, nil
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
	done, err := a.pwl.svc.VerifyCode(ctx, id, code, &sess)
	if err != nil {
		e := err
		if errors.Is(e, errFlowGone) {
			a.sm.Remove(ctx, keyCodeFlow)
		}
		return nil, "", e
	}
	a.sm.Remove(ctx, keyCodeFlow)
	st, err := a.completed(r, done)
	if errors.Is(err, errFactorTwoRequired) {
		return nil, a.factorTwoTarget(done.Challenge.RedirectURL), err
	}
	if errors.Is(err, errDeviceVerificationRequired) {
		return nil, a.deviceTarget(done.Challenge.RedirectURL), err
	}
	return st, a.passkeyNudge(r, st, a.afterSignIn(done.Challenge.RedirectURL)), err
}

// completed signs this browser in with the session a flow created.
func (a *Server) completed(r *http.Request, done core.Completion) (*authState, error) {
	if done.Claimed { // the account lost its password and sessions
		a.cache.forgetUser(done.User.ID)
	}
	if err := a.holdForSecondFactor(r, done.User, done.Session); err != nil {
		return nil, err // errFactorTwoRequired for a user with MFA (mfa.go)
	}
	sess, err := a.deviceSession(r, done.User, done.Session.AuthMethod, &done.Session, done.SignedUp, false)
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
func (a *Server) verifyLink(r *http.Request, token string) (*authState, string, error) {
	ctx := r.Context()
	if err := rateLimited(a.limits.codes, a.s.ClientIP(r)); err != nil {
		return nil, "", err
	}
	done, err := a.pwl.svc.VerifyLink(ctx, token, a.sm.GetString(ctx, keyLinkFlow), a.flowSession(r, "magic_link"))
	if err != nil {
		return nil, "", err
	}
	// The flow stays in the browser session: a waiting tab of this browser
	// sees it completed and moves on to its redirect.
	st, err := a.completed(r, done)
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
	st, err := a.completed(r, done)
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
