package web

import (
	"bytes"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/ui"
)

// maxBody bounds every form and JSON body. A 1 MB password is refused with
// 413 before anything reads it whole.
const maxBody = 64 << 10

var pageTitles = map[string]string{
	"sign-in":       "Sign in",
	"sign-up":       "Create your account",
	"waitlist":      "Join the waitlist",
	"admin-sign-up": "Sign-up",
	"verify":        "Check your email",
	"forgot":        "Reset your password",
	"reset":         "Choose a new password",
	"profile":       "Your account",
	"dev-mail":      "Dev outbox",
	"message":       "",
	"error":         "Something went wrong",
	"sign-out":      "Sign out",

	"factor-two":       "Two-step verification",
	"mfa":              "Two-step verification",
	"mfa-backup-codes": "Your backup codes",
	"mfa-reverify":     "Confirm it's you",

	"security-log":  "Security log",
	"verify-device": "Check your email",
}

// page returns the frame every page shows, taking any one-time notice.
func (a *Server) page(r *http.Request, name string) ui.Page {
	p := ui.Page{AppName: a.s.AppName, LogoURL: a.s.Appearance.LogoURL, Base: a.s.Path, Title: pageTitles[name], DevMode: a.s.dev,
		Passkeys: a.passkeysOn(), Social: a.socialButtons(), Lang: a.msgs.Default().Tag()}
	if r != nil {
		p.Lang = a.locale(r).Tag()
		p.Notice = a.sm.PopString(r.Context(), keyNotice)
		p.Impersonation = a.impersonationView(r)
	}
	if a.gate.verifier != nil && captchaPages[name] {
		p.Captcha = &ui.Captcha{ScriptURL: a.gate.widget.ScriptURL, Class: a.gate.widget.Class, SiteKey: a.s.BotProtection.SiteKey}
	}
	return p
}

// render writes a page with status. It renders into a buffer first so a
// template error becomes a clean 500, not half a page.
func (a *Server) render(w http.ResponseWriter, status int, name string, data any) error {
	var buf bytes.Buffer
	if err := a.ui.Render(&buf, name, data); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, err := buf.WriteTo(w)
	return err
}

// formFail re-renders a form page with the error when it is one the user
// can act on; other errors go to the adapter (a logged 500).
func (a *Server) formFail(w http.ResponseWriter, r *http.Request, err error, name string, build func(ui.Page) any) error {
	if errors.Is(err, errReverificationRequired) {
		back := a.profileURL(a.profileTab(r))
		if name == "mfa" {
			back = a.s.Path + "/profile/mfa"
		}
		http.Redirect(w, r, a.reverifyTarget(back), http.StatusSeeOther)
		return nil
	}
	e := httpx.Public(err)
	if httpx.Status(e) >= 500 {
		return err
	}
	e = a.translateError(r, e)
	p := a.page(r, name)
	if e.Field != "" && e.Field != "captcha_token" { // the widget has no field of its own on the page
		p.FieldErrors = fieldErrors(e, "")
	} else {
		p.Error = e.Message
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(e.RetryAfter.Seconds()+0.999)))
	}
	return a.render(w, httpx.Status(e), name, build(p))
}

// fieldErrors is what a form shows beside its inputs for a refusal of
// one or several fields (core.Combine): each field's message, under its
// input's name (prefix, then the field).
func fieldErrors(e *core.Error, prefix string) map[string]string {
	out := map[string]string{prefix + e.Field: e.Message}
	for _, f := range e.Fields {
		out[prefix+f.Field] = f.Message
	}
	return out
}

// captchaPages are the pages whose form carries the bot-protection
// widget when it is on.
var captchaPages = map[string]bool{"sign-in": true, "sign-up": true, "passkey-sign-up": true, "phone": true, "waitlist": true}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// errorPage is the adapter's HTML answer.
func (a *Server) errorPage(w http.ResponseWriter, r *http.Request, e *core.Error) {
	e = a.translateError(r, e)
	p := ui.Page{AppName: a.s.AppName, LogoURL: a.s.Appearance.LogoURL, Base: a.s.Path, Title: pageTitles["error"], DevMode: a.s.dev,
		Lang: a.locale(r).Tag()}
	if err := a.render(w, httpx.Status(e), "error", ui.Error{Page: p, Status: httpx.Status(e), Message: e.Message}); err != nil {
		http.Error(w, e.Message, httpx.Status(e))
	}
}

// notice leaves a one-time message for the next page this browser shows.
func (a *Server) notice(r *http.Request, msg string) { a.sm.Put(r.Context(), keyNotice, msg) }

// unauthenticated answers a request that needs a signed-in user.
func (a *Server) unauthenticated(w http.ResponseWriter, r *http.Request) {
	if httpx.WantsJSON(r) || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		w.Header().Set("Cache-Control", "no-store")
		httpx.WriteError(w, a.translateError(r, httpx.Errorf(http.StatusUnauthorized, "unauthenticated", "Sign in to continue.")))
		return
	}
	target := a.s.Path + "/sign-in?redirect_url=" + url.QueryEscape(r.URL.RequestURI())
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// noStoreValue is the shared value of Cache-Control: no-store, set without
// an allocation (its capacity is its length, so a later Add appends to a
// copy).
var noStoreValue = []string{"no-store"}[:1:1]

// SecureHeaders marks the answers of next with the headers of embedauth's
// own pages (see the root package's Auth.SecureHeaders).
func (a *Server) SecureHeaders(next http.Handler) http.Handler { return a.securityHeaders(next) }

// securityHeaders marks every answer of ours: no caching, no framing, no
// referrer (reset links carry tokens), a strict CSP with no inline script.
// Auth.SecureHeaders documents the exact headers: change both together.
func (a *Server) securityHeaders(next http.Handler) http.Handler {
	formAction := "'self'"
	for o := range a.s.redirects {
		formAction += " " + o
	}
	// A "Continue with" form's answer redirects to the provider, and
	// form-action covers redirects.
	for _, o := range a.social.origins {
		formAction += " " + o
	}
	// Images: ours, the QR code (data:) and the app's logo.
	img := "'self' data:"
	if a.s.Appearance.LogoURL != "" {
		if u, err := url.Parse(a.s.Appearance.LogoURL); err == nil && u.Host != "" {
			img += " " + u.Scheme + "://" + u.Host
		}
	}
	policy := func(img string) string {
		return strings.Join([]string{
			"default-src 'none'", "style-src 'self'", "img-src " + img, "script-src 'self'", "connect-src 'self'",
			"form-action " + formAction, "frame-ancestors 'none'", "base-uri 'none'",
		}, "; ")
	}
	csp := policy(img)
	// The pages with a bot-protection widget load the provider's script,
	// which shows its challenge in a frame and styles it.
	captchaCSP := ""
	if a.gate.verifier != nil {
		o := " " + strings.Join(a.gate.widget.Origins, " ")
		captchaCSP = strings.Join([]string{
			"default-src 'none'", "style-src 'self'" + o, "img-src " + img, "script-src 'self'" + o, "connect-src 'self'" + o,
			"frame-src" + o, "form-action " + formAction, "frame-ancestors 'none'", "base-uri 'none'",
		}, "; ")
	}
	captchaPaths := []string{a.s.Path + "/sign-in", a.s.Path + "/sign-up", a.s.Path + "/waitlist"}
	// Organizations' logos are https URLs their admins chose. Only the
	// organization pages show them, so only those pages load https images:
	// every other page (a reset link's above all) loads nothing from
	// elsewhere.
	orgCSP, orgPages := policy(img+" https:"), a.s.Path+"/orgs"
	// The values are set as shared one-element slices (what Header.Set
	// would allocate on every request): a later Add appends to a copy,
	// since each slice's capacity is its length.
	one := func(v string) []string { return []string{v}[:1:1] }
	cspV, orgCSPV := one(csp), one(orgCSP)
	nosniff, noReferrer, deny, sameOrigin := one("nosniff"), one("no-referrer"), one("DENY"), one("same-origin")
	hsts := one("max-age=63072000; includeSubDomains")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		switch {
		case strings.HasPrefix(r.URL.Path, orgPages):
			h["Content-Security-Policy"] = orgCSPV
		case captchaCSP != "" && hasAnyPrefix(r.URL.Path, captchaPaths):
			h.Set("Content-Security-Policy", captchaCSP)
		default:
			h["Content-Security-Policy"] = cspV
		}
		h["X-Content-Type-Options"] = nosniff
		h["Referrer-Policy"] = noReferrer
		h["X-Frame-Options"] = deny
		h["Cross-Origin-Opener-Policy"] = sameOrigin
		h["Cache-Control"] = noStoreValue
		if a.s.secure {
			h["Strict-Transport-Security"] = hsts
		}
		next.ServeHTTP(w, r)
	})
}
