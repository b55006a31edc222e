package main

import (
	"crypto/rand"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/internal/browsertest"
	"github.com/embedauth/auth/internal/smtptest"
	"github.com/embedauth/auth/mail"
)

// TestMain shares one Chromium among the package's browser tests and
// closes it at the end. Tests that need no browser never start it.
func TestMain(m *testing.M) { browsertest.Main(m) }

var codePattern = regexp.MustCompile(`verification code is (\d{6})`)

// TestBrowserAccountJourney walks the example app in Chromium the way a
// person would: sign up, verify the email with the code that arrived over
// SMTP, keep a note, sign out through the user button and sign in again.
// On the way it saves screenshots of the sign-in page, the sign-up page
// with a field error and the profile page to the artifacts directory.
func TestBrowserAccountJourney(t *testing.T) {
	tab := browsertest.Browser(t) // first, so a missing browser skips before any setup
	smtp := smtptest.Start(t)
	key := make([]byte, 32)
	rand.Read(key)
	base := startExample(t, func(c *auth.Config) {
		c.SMTP = &mail.SMTPConfig{Host: smtp.Host(), Port: smtp.Port(), From: "Notes <no-reply@example.com>", TLS: mail.TLSNone}
		devMode := false // production look: no dev outbox footer; mail goes over SMTP
		c.DevMode = &devMode
		c.EncryptionKey = key
		c.Logger = slog.New(slog.NewTextHandler(t.Output(), nil))
	})
	const (
		name     = "Violet Tractor"
		email    = "violet@example.com"
		password = "violet tractor umbrella 42"
		note     = "Buy milk and a new umbrella"
	)
	wantPath := func(want string) {
		t.Helper()
		if got := tab.Path(); got != want {
			t.Fatalf("page is %s, want %s", got, want)
		}
	}
	wantStatus := func(what string, got int) {
		t.Helper()
		if got != http.StatusOK {
			t.Fatalf("%s: HTTP status %d, want 200 (page %s)", what, got, tab.URL())
		}
	}

	// The landing page, signed out.
	wantStatus("landing page", tab.Navigate(base+"/"))
	if got := tab.Text("main h1"); got != "Your notes, private to you." {
		t.Fatalf("landing page heading = %q", got)
	}

	// Sign up, first with a password that is too short.
	wantStatus("open sign-up", tab.ClickAndWait(`nav a[href^="/auth/sign-up"]`))
	wantPath("/auth/sign-up?redirect_url=/dashboard")
	tab.Fill("#name", name)
	tab.Fill("#email", email)
	tab.Fill("#password", "short")
	if got := tab.ClickAndWait(`form[action="/auth/sign-up"] button[type="submit"]`); got != http.StatusUnprocessableEntity && got != http.StatusBadRequest {
		t.Fatalf("sign-up with a short password: HTTP status %d, want 422 or 400", got)
	}
	if got := tab.Text("#password-error"); !strings.Contains(got, "15") {
		t.Errorf("password error = %q, want it to give the minimum length", got)
	}
	tab.Screenshot("sign-up-error.png")

	tab.Fill("#password", password)
	wantStatus("sign up", tab.ClickAndWait(`form[action="/auth/sign-up"] button[type="submit"]`))
	if got := tab.Path(); !strings.HasPrefix(got, "/auth/verify") {
		t.Fatalf("after sign-up the page is %s, want /auth/verify", got)
	}
	// The page names the address just typed, in full: it is the person's
	// own input, in their own browser.
	if got, want := tab.Text(".ea-subtitle strong"), "violet@example.com"; got != want {
		t.Errorf("verify page names %q, want %s", got, want)
	}

	tab.Screenshot("verify.png")

	// The code arrives over real SMTP.
	msg := smtp.Wait(t, email, 10*time.Second)
	m := codePattern.FindStringSubmatch(msg.Text)
	if m == nil {
		t.Fatalf("no verification code in the mail %q:\n%s", msg.Subject, msg.Text)
	}
	code := m[1]
	if !strings.Contains(msg.Subject, code) {
		t.Errorf("subject %q lacks the code %s", msg.Subject, code)
	}
	tab.Fill("#code", code)
	wantStatus("verify", tab.ClickAndWait(`form[action="/auth/verify"] button[type="submit"]`))
	wantPath("/dashboard")
	if got := tab.Text("#welcome"); got != "Hello, "+name {
		t.Fatalf("dashboard heading = %q, want %q", got, "Hello, "+name)
	}
	tab.WaitVisible(".ea-userbutton summary")
	if got := tab.Text(".ea-userbutton summary .ea-avatar"); got != "VT" {
		t.Errorf("user button initials = %q, want VT", got)
	}

	// Keep a note.
	tab.Fill("#body", note)
	wantStatus("add note", tab.ClickAndWait(`form[action="/notes"] button[type="submit"]`))
	if got := tab.Text(".note"); !strings.Contains(got, note) {
		t.Fatalf("note list = %q, want it to hold %q", got, note)
	}

	// The profile, through the user button's menu.
	tab.Click(".ea-userbutton summary")
	tab.WaitVisible(".ea-menu")
	wantStatus("open profile", tab.ClickAndWait(`.ea-menu a[href="/auth/profile"]`))
	wantPath("/auth/profile")
	if got := tab.Text(".ea-profile-header h1"); got != name {
		t.Errorf("profile heading = %q, want %q", got, name)
	}
	tab.Screenshot("profile.png")
	tab.PreferColorScheme("dark")
	tab.Screenshot("profile-dark.png")
	tab.PreferColorScheme("")

	// Sign out through the user button.
	wantStatus("back to the dashboard", tab.Navigate(base+"/dashboard"))
	tab.Click(".ea-userbutton summary")
	tab.WaitVisible(".ea-menu")
	tab.Screenshot("dashboard-menu.png")
	wantStatus("sign out", tab.ClickAndWait(`.ea-menu form[action="/auth/sign-out"] button`))
	wantPath("/")
	if got := tab.Text(`nav a[href^="/auth/sign-in"]`); got != "Sign in" {
		t.Fatalf("signed-out landing page: sign-in link text = %q", got)
	}
	tab.Screenshot("landing.png")

	// Sign in again.
	wantStatus("open sign-in", tab.ClickAndWait(`nav a[href^="/auth/sign-in"]`))
	wantPath("/auth/sign-in?redirect_url=/dashboard")
	tab.Screenshot("sign-in.png")
	tab.Fill("#email", email)
	tab.Fill("#password", password)
	wantStatus("sign in", tab.ClickAndWait(`form[action="/auth/sign-in"] button[type="submit"]`))
	wantPath("/dashboard")
	if got := tab.Text("#welcome"); got != "Hello, "+name {
		t.Fatalf("dashboard heading after sign-in = %q", got)
	}
	if got := tab.Text(".note"); !strings.Contains(got, note) {
		t.Fatalf("note list after sign-in = %q, want it to hold %q", got, note)
	}
}
