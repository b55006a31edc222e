package web

// Who may sign up, and bot protection: the sign-up rule (package signup)
// with its run-time settings, the per-IP sign-up velocity limit, and the
// challenge verifier (package captcha) of the sign-in and sign-up forms.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/embedauth/auth/captcha"
	"github.com/embedauth/auth/config"
	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/ratelimit"
	"github.com/embedauth/auth/mail"
	"github.com/embedauth/auth/signup"
	"github.com/embedauth/auth/store"
)

var _ signup.Store = (*store.DB)(nil)

// gateState is the sign-up rule and bot protection of a Server.
type gateState struct {
	rule     *signup.Gate
	velocity *ratelimit.Limiter // accounts started per IP per hour
	verifier captcha.Verifier   // nil when bot protection is off
	widget   captcha.Widget
}

// gateDefaults fills the defaults of SignUp, BotProtection and
// Impersonation and reports what is wrong with them.
func (s *settings) gateDefaults() []error {
	var errs []error
	su := &s.SignUp
	su.Allowlist = append([]string(nil), su.Allowlist...)
	su.Blocklist = append([]string(nil), su.Blocklist...)
	su.DisposableDomains = append([]string(nil), su.DisposableDomains...)
	if su.InvitationTTL == 0 {
		su.InvitationTTL = 14 * 24 * time.Hour
	}
	if su.InvitationTTL < 0 {
		errs = append(errs, fmt.Errorf("SignUp.InvitationTTL %v must not be negative", su.InvitationTTL))
	}
	clean, err := signup.Clean(core.SignUpSettings{Mode: su.Mode, Allowlist: su.Allowlist, Blocklist: su.Blocklist})
	if err != nil {
		errs = append(errs, fmt.Errorf("SignUp: %w", err))
	} else {
		su.Mode, su.Allowlist, su.Blocklist = clean.Mode, clean.Allowlist, clean.Blocklist
	}
	if s.RateLimits.SignUpsPerHour == 0 {
		s.RateLimits.SignUpsPerHour = 20
	}

	bp := &s.BotProtection
	bp.Hostnames = append([]string(nil), bp.Hostnames...)
	switch bp.Provider {
	case "":
		if bp.Verifier != nil || bp.SiteKey != "" || bp.SecretKey != "" {
			errs = append(errs, errors.New(`BotProtection.Provider must be "turnstile" or "hcaptcha" when keys or a Verifier are set`))
		}
	case config.BotProtectionTurnstile, config.BotProtectionHCaptcha:
		if bp.SiteKey == "" {
			errs = append(errs, errors.New("BotProtection.SiteKey is required"))
		}
		if bp.SecretKey == "" && bp.Verifier == nil {
			errs = append(errs, errors.New("BotProtection.SecretKey is required"))
		}
		if len(bp.Hostnames) == 0 && s.base != nil {
			bp.Hostnames = []string{s.base.Hostname()}
		}
	default:
		errs = append(errs, fmt.Errorf(`BotProtection.Provider %q is unknown: use "turnstile" or "hcaptcha"`, bp.Provider))
	}

	im := &s.Impersonation
	if im.MaxDuration == 0 {
		im.MaxDuration = time.Hour
	}
	if im.MaxDuration < 0 || im.MaxDuration > 12*time.Hour {
		errs = append(errs, fmt.Errorf("Impersonation.MaxDuration %v must be between 0 and 12h", im.MaxDuration))
	}
	return errs
}

// initGate sets up the sign-up rule and bot protection.
func (a *Server) initGate() {
	s := a.s
	g := &gateState{velocity: a.limiter("sign_ups_per_hour", s.RateLimits.SignUpsPerHour, time.Hour)}
	var disposable signup.DomainSet
	if !s.SignUp.AllowDisposable {
		if s.SignUp.ReplaceDisposableDomains {
			disposable = signup.NewDomainSet(s.SignUp.DisposableDomains)
		} else {
			disposable = signup.NewDomainSet(signup.DisposableDomains(), s.SignUp.DisposableDomains)
		}
	}
	g.rule = signup.New(a.db, signup.Config{
		Defaults:   core.SignUpSettings{Mode: s.SignUp.Mode, Allowlist: s.SignUp.Allowlist, Blocklist: s.SignUp.Blocklist},
		Disposable: disposable,
	})
	bp := s.BotProtection
	switch bp.Provider {
	case config.BotProtectionTurnstile:
		g.widget, g.verifier = captcha.TurnstileWidget, captcha.Turnstile(bp.SecretKey, bp.VerifyURL, bp.Hostnames...)
	case config.BotProtectionHCaptcha:
		g.widget, g.verifier = captcha.HCaptchaWidget, captcha.HCaptcha(bp.SecretKey, bp.VerifyURL, bp.Hostnames...)
	}
	if bp.Verifier != nil {
		g.verifier = bp.Verifier
	}
	a.gate = g
}

// signUpAllowed reports whether a new account of email (empty for a phone
// number or an identity without a verified address) may be created from
// this request: the sign-up rule, then the per-IP velocity limit, counted
// only for sign-ups the rule lets through.
func (a *Server) signUpAllowed(r *http.Request, email string) error {
	if err := a.gate.rule.Check(r.Context(), email); err != nil {
		return err
	}
	return a.signUpVelocity(r)
}

// signUpVelocity counts one sign-up of the request's client IP against
// RateLimits.SignUpsPerHour.
func (a *Server) signUpVelocity(r *http.Request) error {
	if ok, retry := a.gate.velocity.Allow(a.s.ClientIP(r)); !ok {
		e := *signup.ErrTooManySignUps
		e.RetryAfter = retry
		return &e
	}
	return nil
}

// isRefusal reports whether err is a refusal (a *core.Error), not a
// fault.
func isRefusal(err error) bool {
	var refusal *core.Error
	return errors.As(err, &refusal)
}

// signUpRefusal explains why a flow that proved email could not create
// its account (core.ErrSignUpClosed from the store): the rule's refusal,
// or else the velocity limit that was over when the flow started.
func (a *Server) signUpRefusal(ctx context.Context, email string) error {
	if err := a.gate.rule.Check(ctx, email); err != nil {
		return err
	}
	return signup.ErrTooManySignUps
}

type captchaKey struct{}

// withCaptchaToken carries the challenge token a JSON request sent to
// checkCaptcha.
func withCaptchaToken(r *http.Request, token string) *http.Request {
	if token == "" {
		return r
	}
	return r.WithContext(context.WithValue(r.Context(), captchaKey{}, token))
}

// checkCaptcha verifies the request's challenge token when bot protection
// is on: the JSON field captcha_token (withCaptchaToken), or the form
// field the widget fills.
func (a *Server) checkCaptcha(r *http.Request) error {
	if a.gate.verifier == nil {
		return nil
	}
	token, _ := r.Context().Value(captchaKey{}).(string)
	if token == "" {
		token = r.PostForm.Get(a.gate.widget.Field)
	}
	if token == "" {
		token = r.PostForm.Get("captcha_token")
	}
	return a.gate.verifier.Verify(r.Context(), token, a.s.ClientIP(r))
}

// SignUpSettings returns the sign-up restrictions in force: those an
// administrator saved, or else Config.SignUp's.
func (a *Server) SignUpSettings(ctx context.Context) (core.SignUpSettings, error) {
	return a.gate.rule.Settings(ctx)
}

// UpdateSignUpSettings saves sign-up restrictions that override
// Config.SignUp until [Server.ResetSignUpSettings]. Lists are cleaned
// (trimmed, lower-cased, deduplicated); a bad mode or entry is a
// core.Error with Kind core.ErrInvalidInput.
func (a *Server) UpdateSignUpSettings(ctx context.Context, s core.SignUpSettings) (core.SignUpSettings, error) {
	s, err := signup.Clean(s)
	if err != nil {
		return s, err
	}
	return a.db.PutSignUpSettings(ctx, s)
}

// ResetSignUpSettings drops the saved sign-up restrictions: Config.SignUp
// applies again.
func (a *Server) ResetSignUpSettings(ctx context.Context) error { return a.db.ResetSignUpSettings(ctx) }

// InviteToSignUp lets email sign up whatever the sign-up mode, for
// Config.SignUp.InvitationTTL, and mails it an invitation.
func (a *Server) InviteToSignUp(ctx context.Context, email string) error {
	email, err := core.CleanEmail(email)
	if err != nil {
		return err
	}
	m, err := a.signUpInvitationMail(ctx, email, "")
	if err != nil {
		return err
	}
	if err := a.db.InviteToSignUp(ctx, email, a.s.Now().Add(a.s.SignUp.InvitationTTL), m); err != nil {
		return err
	}
	a.dispatcher.Wake()
	return nil
}

// Waitlist returns the waitlist's entries in status ("pending",
// "approved", "rejected"; all when empty), oldest first.
func (a *Server) Waitlist(ctx context.Context, status string) ([]core.WaitlistEntry, error) {
	return a.db.Waitlist(ctx, status, 1000)
}

// ApproveWaitlistEntry lets a waiting person in: their address is invited
// to sign up and mailed the invitation, in one transaction. An entry
// decided already is a core.Error of Kind core.ErrConflict.
func (a *Server) ApproveWaitlistEntry(ctx context.Context, id string) (core.WaitlistEntry, error) {
	return a.decideWaitlist(ctx, id, true)
}

// RejectWaitlistEntry turns a waiting person away; nothing is mailed.
func (a *Server) RejectWaitlistEntry(ctx context.Context, id string) (core.WaitlistEntry, error) {
	return a.decideWaitlist(ctx, id, false)
}

var (
	errWaitlistUnknown = core.Refuse(core.ErrNotFound, "waitlist_entry_not_found", "This waitlist entry does not exist.")
	errWaitlistDecided = core.Refuse(core.ErrConflict, "waitlist_entry_decided", "This waitlist entry was approved or rejected already.")
)

func (a *Server) decideWaitlist(ctx context.Context, id string, approve bool) (core.WaitlistEntry, error) {
	e, err := a.db.DecideWaitlist(ctx, id, approve, a.s.Now().Add(a.s.SignUp.InvitationTTL), func(e core.WaitlistEntry) (*store.OutMail, error) {
		return a.signUpInvitationMail(ctx, e.Email, e.Name)
	})
	switch {
	case errors.Is(err, core.ErrNotFound):
		return e, errWaitlistUnknown.With(err)
	case errors.Is(err, core.ErrConflict):
		return e, errWaitlistDecided.With(err)
	case err != nil:
		return e, err
	}
	if approve {
		a.dispatcher.Wake()
	}
	return e, nil
}

// signUpInvitationMail invites email to sign up, with a link to the
// sign-up page.
func (a *Server) signUpInvitationMail(ctx context.Context, email, name string) (*store.OutMail, error) {
	return a.newMail(mail.MsgSignUpInvitation, email, mail.Data{Name: name, Lang: a.mailLang(ctx, nil),
		Link: a.s.origin + a.s.Path + "/sign-up?email=" + queryEscape(email), ExpiresIn: a.s.SignUp.InvitationTTL})
}
