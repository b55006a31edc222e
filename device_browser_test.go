package auth_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/embedauth/auth/authtest"
	"github.com/embedauth/auth/internal/browsertest"
	"github.com/embedauth/auth/internal/smtptest"
)

// TestBrowserNewDeviceVerification: in headless Chromium, a sign-in from a
// new browser context with VerifyNewDevices stops at the code page; the
// code arrives over real SMTP, is typed into the page, and the browser
// lands signed in, after which the new-device notice arrives. The same
// browser signs in again without a code, while another browser context
// is a new device again.
func TestBrowserNewDeviceVerification(t *testing.T) {
	tab := browsertest.Browser(t)
	srv := smtptest.Start(t)
	env := devSMTPEnv(t, srv, devVerify)
	const email = "browser-device@example.com"
	pw := authtest.Password()
	env.CreateUser(t, email, pw)

	signIn := func(tab *browsertest.Tab) {
		t.Helper()
		pkStatus(t, "sign-in page", tab.Navigate(env.URL+"/auth/sign-in?redirect_url=/app"), http.StatusOK)
		tab.Fill("#email", email)
		tab.Fill("#password", pw)
		tab.Submit("#password")
	}
	signIn(tab)
	if got := tab.Path(); !strings.HasPrefix(got, "/auth/sign-in/verify-device?") {
		t.Fatalf("after the password the page is %s, want the device code page", got)
	}
	if text := tab.Text("main"); !strings.Contains(text, "b***@example.com") {
		t.Errorf("the code page does not name the masked address:\n%s", text)
	}
	tab.Screenshot("verify-device.png")

	m := srv.Wait(t, email, 10*time.Second)
	code := devCodeRE.FindStringSubmatch(m.Text)
	if code == nil || !strings.Contains(m.Subject, code[1]) {
		t.Fatalf("no code in the mail %q:\n%s", m.Subject, m.Text)
	}
	if !strings.Contains(m.Text, "HeadlessChrome") && !strings.Contains(m.Text, "Chrome on") {
		t.Errorf("the code mail does not describe the browser:\n%s", m.Text)
	}
	tab.Fill("#code", code[1])
	pkStatus(t, "verify the device", tab.Submit("#code"), http.StatusOK)
	if got := tab.Path(); got != "/app" {
		t.Fatalf("after the code the page is %s, want /app", got)
	}
	if body := tab.Text("body"); !strings.HasPrefix(body, "user:") {
		t.Fatalf("not signed in: %q", body)
	}
	notice := srv.Wait(t, email, 10*time.Second)
	if !strings.Contains(notice.Subject, "New sign-in") || !strings.Contains(notice.Text, "127.0.0.1") ||
		!strings.Contains(notice.Text, env.URL+"/auth/profile?tab=devices") {
		t.Fatalf("new-device notice %q:\n%s", notice.Subject, notice.Text)
	}

	// Signed out and in again: this browser is known, no code.
	tab.Navigate(env.URL + "/auth/sign-out")
	tab.Submit("form[action='/auth/sign-out'] button")
	signIn(tab)
	if got := tab.Path(); got != "/app" {
		t.Fatalf("a known browser lands on %s, want /app", got)
	}

	// Another browser context has its own device cookie: a new device.
	other := browsertest.Browser(t)
	signIn(other)
	if got := other.Path(); !strings.HasPrefix(got, "/auth/sign-in/verify-device?") {
		t.Fatalf("a second browser lands on %s, want the device code page", got)
	}
	srv.Wait(t, email, 10*time.Second)
	if n := devMailsTo(t, env, srv, email, "New sign-in"); n != 1 {
		t.Errorf("%d new-device notices, want 1", n)
	}
}

// TestBrowserPasskeyNewDevice: a passkey sign-in from a browser whose
// device cookie is gone answers 202, and the page's script follows it to
// the device code page, which signs in with the mailed code.
func TestBrowserPasskeyNewDevice(t *testing.T) {
	tab := pkBrowser(t, false)
	env := authtest.New(t, devVerify)
	pw := authtest.Password()
	u := env.CreateUser(t, "pk-device@example.com", pw)

	pkStatus(t, "sign-in page", tab.Navigate(env.URL+"/auth/sign-in?redirect_url=%2Fauth%2Fprofile"), http.StatusOK)
	tab.Fill("#email", u.Email)
	tab.Fill("#password", pw)
	pkStatus(t, "password sign-in", tab.Submit("#password"), http.StatusOK)
	tab.wantPath("/auth/sign-in/verify-device")
	tab.Fill("#code", devMailCode(t, env, u.Email))
	pkStatus(t, "verify the device", tab.Submit("#code"), http.StatusOK)
	tab.wantPath("/auth/profile")
	pkStatus(t, "security section", tab.Navigate(env.URL+"/auth/profile?tab=security"), http.StatusOK)
	pkStatus(t, "add a passkey", tab.ClickAndWait("#add-passkey"), http.StatusOK)
	flWaitMail(t, env, u.Email) // passkey added
	pkStatus(t, "sign out", tab.ClickAndWait(".ea-signout button"), http.StatusOK)

	// The browser forgets its device cookie: it is a new device again.
	tab.call("delete the device cookie", func(ctx context.Context) error {
		_, err := chromedp.Call(ctx, network.DeleteCookies, network.DeleteCookiesParams{Name: "embedauth_device", URL: env.URL})
		return err
	})
	pkStatus(t, "sign-in page", tab.Navigate(env.URL+"/auth/sign-in?redirect_url=%2Fauth%2Fprofile"), http.StatusOK)
	pkStatus(t, "passkey sign-in", tab.ClickAndWait("#passkey-sign-in"), http.StatusOK)
	tab.wantPath("/auth/sign-in/verify-device?redirect_url=%2Fauth%2Fprofile")
	if got := tab.meStatus(); got != "401" {
		t.Fatalf("signed in before the code: %s", got)
	}
	tab.Fill("#code", devMailCode(t, env, u.Email))
	pkStatus(t, "verify the device", tab.Submit("#code"), http.StatusOK)
	tab.wantPath("/auth/profile")
}
