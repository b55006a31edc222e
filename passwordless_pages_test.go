package auth_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/authtest"
	"github.com/embedauth/auth/internal/smtptest"
	"github.com/embedauth/auth/mail"
)

// TestPasswordlessPages_EmailCodeForms walks the HTML forms: the method
// buttons of the sign-in page, the code page with an error, a resend and
// the right code.
func TestPasswordlessPages_EmailCodeForms(t *testing.T) {
	t.Parallel()
	env, _ := pwEnv(t)
	env.CreateUser(t, "rae@example.com", authtest.Password())
	c := flNew(t, env)
	c.postForm("/auth/sign-in/email-code", url.Values{"email": {"rae@"}}).want(http.StatusUnprocessableEntity).fieldError("email")
	r := c.postForm("/auth/sign-in/email-code", url.Values{"email": {"rae@example.com"}, "redirect_url": {"/notes"}}).want(http.StatusSeeOther)
	if r.location() != "/auth/code" {
		t.Fatalf("went to %q", r.location())
	}
	page := c.get("/auth/code").want(http.StatusOK)
	page.contains("r***@example.com", "expires in 10 minutes", "Use another method")
	code := pwMailCode(t, env, "rae@example.com")
	c.postForm("/auth/code", url.Values{"code": {"12ab56"}}).want(http.StatusUnprocessableEntity).fieldError("code")
	c.postForm("/auth/code", url.Values{"code": {pwOtherCode(code)}}).want(http.StatusUnprocessableEntity).fieldError("code")
	c.postForm("/auth/code/resend", nil).want(http.StatusSeeOther)
	c.get("/auth/code").want(http.StatusOK).notice()
	code = pwMailCode(t, env, "rae@example.com")
	r = c.postForm("/auth/code", url.Values{"code": {code}}).want(http.StatusSeeOther)
	if r.location() != "/notes" {
		t.Errorf("signed in to %q, want the redirect chosen at the start (/notes)", r.location())
	}
	c.me()
	// The flow is gone: the code page sends the browser back to sign-in.
	if r := c.get("/auth/code").want(http.StatusSeeOther); r.location() != "/auth/sign-in" {
		t.Errorf("code page after use went to %q", r.location())
	}
}

// TestPasswordlessPages_PhoneAndDevOutbox: the phone pages, and texts in
// the dev outbox beside the mail.
func TestPasswordlessPages_PhoneAndDevOutbox(t *testing.T) {
	t.Parallel()
	env, _ := pwEnv(t)
	c := flNew(t, env)
	c.get("/auth/sign-in/phone").want(http.StatusOK).contains(`name="phone"`, "Use another method")
	c.get("/auth/sign-up/phone").want(http.StatusOK).contains(`name="name"`, `name="phone"`)
	c.postForm("/auth/sign-up/sms", url.Values{"phone": {"555"}}).want(http.StatusUnprocessableEntity).fieldError("phone")
	c.postForm("/auth/sign-up/sms", url.Values{"phone": {"+1 415 555 0177"}, "name": {"Dee"}}).want(http.StatusSeeOther)
	c.get("/auth/code").want(http.StatusOK).contains("Check your phone", "+1******0177")
	env.Auth.FlushSMS(context.Background())
	dev := c.get("/auth/dev/mail").want(http.StatusOK)
	dev.contains("Text messages", "+14155550177", "is your Test App code")
}

// TestPasswordlessPages_MagicLinkWaitingTab: the waiting page refreshes
// itself while pending and moves on once the link is used in this
// browser.
func TestPasswordlessPages_MagicLinkWaitingTab(t *testing.T) {
	t.Parallel()
	env, _ := pwEnv(t)
	env.CreateUser(t, "sol@example.com", authtest.Password())
	c := flNew(t, env)
	c.postForm("/auth/sign-in/magic-link", url.Values{"email": {"sol@example.com"}, "redirect_url": {"/inbox"}}).want(http.StatusSeeOther)
	w := c.get("/auth/magic-link/sent").want(http.StatusOK)
	if w.header.Get("Refresh") != "3" {
		t.Errorf("Refresh %q", w.header.Get("Refresh"))
	}
	w.contains("s***@example.com", "expires in 15 minutes")
	token := pwLink(t, env, "sol@example.com")
	c.get("/auth/magic-link?token=" + token).want(http.StatusOK).notContains("requested from another browser")
	c.postForm("/auth/magic-link", url.Values{"token": {token}}).want(http.StatusSeeOther)
	if r := c.get("/auth/magic-link/sent").want(http.StatusSeeOther); r.location() != "/inbox" {
		t.Errorf("waiting tab went to %q", r.location())
	}
	c.get("/auth/magic-link?token=nope").want(http.StatusBadRequest).alert()
	// An expired flow sends the waiting tab back to sign-in with a notice.
	c2 := flNew(t, env)
	c2.postForm("/auth/sign-in/magic-link", url.Values{"email": {"sol@example.com"}}).want(http.StatusSeeOther)
	env.Clock.Advance(16 * time.Minute)
	if r := c2.get("/auth/magic-link/sent").want(http.StatusSeeOther); !strings.HasPrefix(r.location(), "/auth/sign-in") {
		t.Errorf("expired waiting tab went to %q", r.location())
	}
}

// TestPasswordless_EmailCodeOverRealSMTP delivers the code through a real
// SMTP server in-process.
func TestPasswordless_EmailCodeOverRealSMTP(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t)
	env := authtest.New(t, func(c *auth.Config) {
		c.Mailer = nil
		c.SMTP = &mail.SMTPConfig{Host: srv.Host(), Port: srv.Port(), From: "Test <no-reply@example.com>", TLS: mail.TLSNone}
	})
	c := flNew(t, env)
	c.postJSON("/auth/api/sign-up/email-code", map[string]string{"email": "smtp@example.com"}).want(http.StatusAccepted)
	m := srv.Wait(t, "smtp@example.com", 10*time.Second)
	code := pwCodeRE.FindStringSubmatch(m.Text)
	if code == nil || !strings.Contains(m.Subject, code[1]) || !strings.Contains(m.HTML, code[1]) || !strings.Contains(m.Text, "expires in 10 minutes") {
		t.Fatalf("mail %q:\n%s", m.Subject, m.Text)
	}
	c.postJSON("/auth/api/code/verify", map[string]string{"code": code[1]}).want(http.StatusOK)
}
