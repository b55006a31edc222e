package main

import (
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/internal/browsertest"
	"github.com/embedauth/auth/internal/smtptest"
	"github.com/embedauth/auth/mail"
)

var (
	plCodePattern = regexp.MustCompile(`(?:sign-in code is|create your account is|add this address to your account is) (\d{6})\.`)
	plLinkPattern = regexp.MustCompile(`http://localhost:\d+/auth/magic-link\?token=[A-Za-z0-9_-]{43}`)
	plSMSPattern  = regexp.MustCompile(`^(\d{6}) is your `)
)

// plSMSServer is a local server speaking the Twilio Messages API.
type plSMSServer struct {
	mu      sync.Mutex
	bodies  map[string][]string
	arrived chan string
}

func startSMSServer(t *testing.T) (*plSMSServer, mail.SMSSender) {
	s := &plSMSServer{bodies: map[string][]string{}, arrived: make(chan string, 100)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, _ := r.BasicAuth(); u != "AC1" || p != "token" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		r.ParseForm()
		s.mu.Lock()
		s.bodies[r.PostForm.Get("To")] = append(s.bodies[r.PostForm.Get("To")], r.PostForm.Get("Body"))
		s.mu.Unlock()
		s.arrived <- r.PostForm.Get("To")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, `{"sid":"SM1","status":"queued"}`)
	}))
	t.Cleanup(srv.Close)
	sender, err := mail.NewTwilioSender(mail.TwilioConfig{BaseURL: srv.URL, AccountSID: "AC1", Password: "token", From: "+15005550006"})
	if err != nil {
		t.Fatal(err)
	}
	return s, sender
}

// code waits for the next text to `to` and returns its code.
func (s *plSMSServer) code(t *testing.T, to string) string {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		s.mu.Lock()
		if b := s.bodies[to]; len(b) > 0 {
			s.bodies[to] = b[1:]
			s.mu.Unlock()
			m := plSMSPattern.FindStringSubmatch(b[0])
			if m == nil {
				t.Fatalf("text without a code: %q", b[0])
			}
			return m[1]
		}
		s.mu.Unlock()
		select {
		case <-s.arrived:
		case <-timeout:
			t.Fatalf("no text to %s", to)
		}
	}
}

// startPasswordless runs the example app with mail over real SMTP, SMS
// through a Twilio-compatible server, and every method on.
func startPasswordless(t *testing.T, edit func(*auth.Config)) (base string, smtp *smtptest.Server, sms *plSMSServer) {
	smtp = smtptest.Start(t)
	sms, sender := startSMSServer(t)
	key := make([]byte, 32)
	rand.Read(key)
	base = startExample(t, func(c *auth.Config) {
		c.SMTP = &mail.SMTPConfig{Host: smtp.Host(), Port: smtp.Port(), From: "Notes <no-reply@example.com>", TLS: mail.TLSNone}
		devMode := false
		c.DevMode = &devMode
		c.EncryptionKey = key
		c.Logger = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
		c.Methods = []auth.Method{auth.MethodPassword, auth.MethodEmailCode, auth.MethodMagicLink, auth.MethodSMSCode}
		c.SMS = sender
		if edit != nil {
			edit(c)
		}
	})
	return base, smtp, sms
}

func plWant(t *testing.T, tab *browsertest.Tab, what string, status int, path string) {
	t.Helper()
	if status != http.StatusOK {
		t.Fatalf("%s: HTTP status %d, want 200 (page %s)", what, status, tab.URL())
	}
	if path != "" && !strings.HasPrefix(tab.Path(), path) {
		t.Fatalf("%s: page is %s, want %s", what, tab.Path(), path)
	}
}

func plMailCode(t *testing.T, smtp *smtptest.Server, to string) string {
	t.Helper()
	m := smtp.Wait(t, to, 10*time.Second)
	c := plCodePattern.FindStringSubmatch(m.Text)
	if c == nil {
		t.Fatalf("no code in %q:\n%s", m.Subject, m.Text)
	}
	return c[1]
}

func plMailLink(t *testing.T, smtp *smtptest.Server, to string) string {
	t.Helper()
	m := smtp.Wait(t, to, 10*time.Second)
	link := plLinkPattern.FindString(m.Text)
	if link == "" {
		t.Fatalf("no link in %q:\n%s", m.Subject, m.Text)
	}
	return link
}

// TestBrowserMagicLinkSignUpAndSignIn signs up and then signs in with
// magic links, opening each link from the mail (received over SMTP) in the
// same browser.
func TestBrowserMagicLinkSignUpAndSignIn(t *testing.T) {
	tab := browsertest.Browser(t)
	base, smtp, _ := startPasswordless(t, nil)
	const email = "mila@example.com"

	plWant(t, tab, "landing", tab.Navigate(base+"/"), "/")
	plWant(t, tab, "sign-up page", tab.ClickAndWait(`nav a[href^="/auth/sign-up"]`), "/auth/sign-up")
	tab.Fill("#name", "Mila Link")
	tab.Fill("#email", email)
	plWant(t, tab, "ask for a link", tab.ClickAndWait("#method-magic-link"), "/auth/magic-link/sent")
	if got := tab.Text(".ea-subtitle"); !strings.Contains(got, "m***@example.com") {
		t.Errorf("waiting page says %q", got)
	}
	tab.Screenshot("magic-link-sent.png")
	link := plMailLink(t, smtp, email)
	plWant(t, tab, "open the link", tab.Navigate(link), "/auth/magic-link")
	if got := tab.Text(".ea-subtitle"); !strings.Contains(got, "Continue as m***@example.com") {
		t.Errorf("confirmation page says %q", got)
	}
	tab.Screenshot("magic-link-confirm.png")
	plWant(t, tab, "confirm", tab.ClickAndWait("#confirm-link"), "/dashboard")
	if got := tab.Text("#welcome"); got != "Hello, Mila Link" {
		t.Fatalf("dashboard heading = %q", got)
	}

	// Sign out, then sign in with a link.
	tab.Click(".ea-userbutton summary")
	tab.WaitVisible(".ea-menu")
	plWant(t, tab, "sign out", tab.ClickAndWait(`.ea-menu form[action="/auth/sign-out"] button`), "/")
	plWant(t, tab, "sign-in page", tab.ClickAndWait(`nav a[href^="/auth/sign-in"]`), "/auth/sign-in")
	tab.Screenshot("sign-in-methods.png")
	tab.Fill("#email", email)
	plWant(t, tab, "ask for a link", tab.ClickAndWait("#method-magic-link"), "/auth/magic-link/sent")
	plWant(t, tab, "open the link", tab.Navigate(plMailLink(t, smtp, email)), "/auth/magic-link")
	plWant(t, tab, "confirm", tab.ClickAndWait("#confirm-link"), "/dashboard")
	if got := tab.Text("#welcome"); got != "Hello, Mila Link" {
		t.Fatalf("dashboard heading after sign-in = %q", got)
	}
}

// TestBrowserMagicLinkSameDeviceRefusesOtherBrowser: by default a link
// opened in another browser context is refused; the browser that asked
// can still use it.
func TestBrowserMagicLinkSameDeviceRefusesOtherBrowser(t *testing.T) {
	mine := browsertest.Browser(t)
	other := browsertest.Browser(t) // another browser context: its own cookies
	base, smtp, _ := startPasswordless(t, nil)
	const email = "sam@example.com"

	plWant(t, mine, "sign-in page", mine.Navigate(base+"/auth/sign-in?redirect_url=/dashboard"), "/auth/sign-in")
	mine.Fill("#email", email)
	plWant(t, mine, "ask for a link", mine.ClickAndWait("#method-magic-link"), "/auth/magic-link/sent")
	link := plMailLink(t, smtp, email)

	if st := other.Navigate(link); st != http.StatusForbidden {
		t.Fatalf("the other browser got %d, want 403", st)
	}
	if got := other.Text(".ea-subtitle"); !strings.Contains(got, "only in the browser where you asked") {
		t.Errorf("other browser sees %q", got)
	}
	other.Screenshot("magic-link-other-device.png")
	plWant(t, mine, "open the link in the asking browser", mine.Navigate(link), "/auth/magic-link")
	plWant(t, mine, "confirm", mine.ClickAndWait("#confirm-link"), "/dashboard")
	plWant(t, other, "other browser still signed out", other.Navigate(base+"/"), "/")
	if got := other.Text(`nav a[href^="/auth/sign-in"]`); got != "Sign in" {
		t.Errorf("the other browser is signed in (%q)", got)
	}
}

// TestBrowserEmailCodeSignIn signs up and then signs in with a code from
// the mail.
func TestBrowserEmailCodeSignIn(t *testing.T) {
	tab := browsertest.Browser(t)
	base, smtp, _ := startPasswordless(t, nil)
	const email = "cody@example.com"
	for i, what := range []string{"sign up", "sign in"} {
		plWant(t, tab, what+": sign-in page", tab.Navigate(base+"/auth/sign-in?redirect_url=/dashboard"), "/auth/sign-in")
		tab.Fill("#email", email)
		plWant(t, tab, what+": ask for a code", tab.ClickAndWait("#method-email-code"), "/auth/code")
		if i == 0 {
			tab.Screenshot("email-code.png")
		}
		code := plMailCode(t, smtp, email)
		tab.Fill("#code", code)
		plWant(t, tab, what+": enter the code", tab.Submit("#code"), "/dashboard")
		tab.Click(".ea-userbutton summary")
		tab.WaitVisible(".ea-menu")
		plWant(t, tab, "sign out", tab.ClickAndWait(`.ea-menu form[action="/auth/sign-out"] button`), "/")
	}
}

// TestBrowserSMSCodeSignIn signs up and in with codes texted through a
// Twilio-compatible server.
func TestBrowserSMSCodeSignIn(t *testing.T) {
	tab := browsertest.Browser(t)
	base, _, sms := startPasswordless(t, nil)
	plWant(t, tab, "sign-up page", tab.Navigate(base+"/auth/sign-up?redirect_url=/dashboard"), "/auth/sign-up")
	plWant(t, tab, "use a phone", tab.ClickAndWait("#method-sms"), "/auth/sign-up/phone")
	tab.Fill("#name", "Tex Ting")
	tab.Fill("#phone", "+1 415 555 0134")
	plWant(t, tab, "text me", tab.Submit("#phone"), "/auth/code")
	tab.Fill("#code", sms.code(t, "+14155550134"))
	plWant(t, tab, "enter the code", tab.Submit("#code"), "/dashboard")
	if got := tab.Text("#welcome"); got != "Hello, Tex Ting" {
		t.Fatalf("dashboard heading = %q", got)
	}
	tab.Click(".ea-userbutton summary")
	tab.WaitVisible(".ea-menu")
	plWant(t, tab, "sign out", tab.ClickAndWait(`.ea-menu form[action="/auth/sign-out"] button`), "/")

	plWant(t, tab, "sign-in page", tab.Navigate(base+"/auth/sign-in?redirect_url=/dashboard"), "/auth/sign-in")
	plWant(t, tab, "use a phone", tab.ClickAndWait("#method-sms"), "/auth/sign-in/phone")
	tab.Fill("#phone", "+14155550134")
	plWant(t, tab, "text me", tab.Submit("#phone"), "/auth/code")
	tab.Screenshot("sms-code.png")
	tab.Fill("#code", sms.code(t, "+14155550134"))
	plWant(t, tab, "enter the code", tab.Submit("#code"), "/dashboard")
	if got := tab.Text("#welcome"); got != "Hello, Tex Ting" {
		t.Fatalf("dashboard heading after sign-in = %q", got)
	}
}

// TestBrowserProfileAddsEmailAndPhone adds and verifies a second email
// address and a phone number from the profile page.
func TestBrowserProfileAddsEmailAndPhone(t *testing.T) {
	tab := browsertest.Browser(t)
	base, smtp, sms := startPasswordless(t, nil)
	const email = "prof@example.com"
	plWant(t, tab, "sign-in page", tab.Navigate(base+"/auth/sign-in?redirect_url=/auth/profile"), "/auth/sign-in")
	tab.Fill("#email", email)
	plWant(t, tab, "ask for a code", tab.ClickAndWait("#method-email-code"), "/auth/code")
	tab.Fill("#code", plMailCode(t, smtp, email))
	plWant(t, tab, "enter the code", tab.Submit("#code"), "/auth/profile")

	tab.Fill("#new_email", "prof@work.example")
	plWant(t, tab, "add an email", tab.Submit("#new_email"), "/auth/profile/identifiers/verify")
	tab.Fill("#code", plMailCode(t, smtp, "prof@work.example"))
	plWant(t, tab, "verify it", tab.Submit("#code"), "/auth/profile")
	if got := tab.Text("#identifier-list"); !strings.Contains(got, "prof@work.example") {
		t.Fatalf("addresses: %q", got)
	}
	if m := smtp.Wait(t, email, 10*time.Second); !strings.Contains(m.Subject, "prof@work.example was added") {
		t.Errorf("the primary address was told %q", m.Subject)
	}

	tab.Fill("#new_phone", "+44 20 7946 0958")
	plWant(t, tab, "add a phone", tab.Submit("#new_phone"), "/auth/profile/identifiers/verify")
	tab.Fill("#code", sms.code(t, "+442079460958"))
	plWant(t, tab, "verify it", tab.Submit("#code"), "/auth/profile")
	list := tab.Text("#identifier-list")
	if !strings.Contains(list, "+442079460958") || !strings.Contains(list, "prof@work.example") {
		t.Fatalf("addresses: %q", list)
	}
	tab.Screenshot("profile-addresses.png")

	// Make the second email primary.
	plWant(t, tab, "make primary", tab.ClickAndWait(`button[aria-label="Make prof@work.example primary"]`), "/auth/profile")
	if got := tab.Text(".ea-profile-header .ea-muted"); !strings.Contains(got, "prof@work.example") {
		t.Errorf("profile header %q", got)
	}
}
