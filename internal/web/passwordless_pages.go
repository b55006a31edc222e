package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/passwordless"
	"github.com/embedauth/auth/ui"
)

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
					return ui.SignUp{Page: p, Email: in.Email, Name: in.Name, RedirectURL: in.RedirectURL, MinLength: a.s.PasswordMinLength, Methods: a.methodsView()}
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
	token := r.URL.Query().Get("token")
	p := a.titled(r, "magic-link", "Confirm sign-in")
	c, err := a.pwl.svc.Link(r.Context(), token)
	if err != nil {
		e := httpx.Public(err)
		if httpx.Status(e) >= 500 {
			return err
		}
		p.Error = e.Message
		return a.render(w, httpx.Status(e), "magic-link", ui.LinkConfirm{Page: p})
	}
	mine := a.sm.GetString(r.Context(), keyLinkFlow) == c.ID
	d := ui.LinkConfirm{Page: p, To: maskEmail(c.Address), Token: token, Blocked: c.SameDevice && !mine}
	if !mine {
		d.Requester = c.Requester
	}
	status := http.StatusOK
	if d.Blocked {
		status = http.StatusForbidden
	}
	return a.render(w, status, "magic-link", d)
}

func (a *Server) linkConfirmForm(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.ParseForm(w, r, maxBody); err != nil {
		return err
	}
	_, next, err := a.verifyLink(r, r.PostFormValue("token"))
	if errors.Is(err, errFactorTwoRequired) || errors.Is(err, errDeviceVerificationRequired) {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
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
		BackURL: queryWith(a.s.Path+"/sign-in", c.RedirectURL)})
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
