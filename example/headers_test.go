package main

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"regexp"
	"strings"
	"testing"
	"time"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/mail"
)

// TestExamplePagesCarrySecurityHeaders: the app's own pages, signed out and
// signed in, and its stylesheet carry the headers of embedauth's pages.
func TestExamplePagesCarrySecurityHeaders(t *testing.T) {
	capture := &mail.Capture{}
	base := startExample(t, func(c *auth.Config) {
		c.Mailer = capture
		c.PasswordHashing = auth.Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	})
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) (*http.Response, string) {
		t.Helper()
		resp, err := hc.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	check := func(what string, h http.Header) {
		t.Helper()
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: Content-Security-Policy %q lacks %q", what, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: Content-Security-Policy %q allows inline code", what, csp)
		}
		for name, want := range map[string]string{
			"Referrer-Policy":        "no-referrer",
			"Cache-Control":          "no-store",
			"X-Frame-Options":        "DENY",
			"X-Content-Type-Options": "nosniff",
		} {
			if got := h.Get(name); got != want {
				t.Errorf("%s: %s = %q, want %q", what, name, got, want)
			}
		}
	}

	resp, _ := get("/")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET / = %d", resp.StatusCode)
	}
	check("GET / signed out", resp.Header)
	resp, _ = get("/dashboard")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("GET /dashboard signed out = %d, want 303", resp.StatusCode)
	}
	check("GET /dashboard signed out", resp.Header)
	resp, css := get("/static/notes.css")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") || !strings.Contains(css, ".bar-link") {
		t.Fatalf("GET /static/notes.css = %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	check("GET /static/notes.css", resp.Header)

	post := func(path, body string) {
		t.Helper()
		resp, err := hc.Post(base+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			t.Fatalf("POST %s = %d", path, resp.StatusCode)
		}
	}
	post("/auth/api/sign-up", `{"name":"Hedy","email":"hedy@example.com","password":"a long enough password 123"}`)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m, err := capture.Wait(ctx, "hedy@example.com")
	if err != nil {
		t.Fatal(err)
	}
	code := regexp.MustCompile(`verification code is (\d{6})`).FindStringSubmatch(m.Text)
	if code == nil {
		t.Fatalf("no code in:\n%s", m.Text)
	}
	post("/auth/api/sign-up/verify", `{"code":"`+code[1]+`"}`)
	post("/auth/api/orgs", `{"name":"Headers Inc"}`) // the header then shows the organization switcher too

	for _, path := range []string{"/", "/dashboard"} {
		resp, body := get(path)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s signed in = %d", path, resp.StatusCode)
		}
		check("GET "+path+" signed in", resp.Header)
		if !strings.Contains(body, "ea-orgswitcher") || !strings.Contains(body, "ea-userbutton") {
			t.Fatalf("GET %s signed in shows no components:\n%s", path, body)
		}
		checkCSPClean(t, "GET "+path+" signed in", body)
	}
}

var (
	inlineStyleAttr = regexp.MustCompile(`(?i)<[^>]*\sstyle\s*=`)
	styleElement    = regexp.MustCompile(`(?i)<style[\s>]`)
	scriptElement   = regexp.MustCompile(`(?i)<script[^>]*>`)
	eventAttr       = regexp.MustCompile(`(?i)<[^>]*\son[a-z]+\s*=`)
	externalRef     = regexp.MustCompile(`(?i)\s(?:src|href)\s*=\s*"(?:https?:)?//`)
)

// checkCSPClean fails if a page holds what its Content-Security-Policy
// would block: inline styles or scripts, event handler attributes, or
// stylesheets, scripts and images from another origin.
func checkCSPClean(t *testing.T, what, body string) {
	t.Helper()
	if m := inlineStyleAttr.FindString(body); m != "" {
		t.Errorf("%s: inline style attribute: %s", what, m)
	}
	if styleElement.MatchString(body) {
		t.Errorf("%s: a <style> element", what)
	}
	for _, s := range scriptElement.FindAllString(body, -1) {
		if !strings.Contains(s, " src=") {
			t.Errorf("%s: an inline script: %s", what, s)
		}
	}
	if m := eventAttr.FindString(body); m != "" {
		t.Errorf("%s: an event handler attribute: %s", what, m)
	}
	if m := externalRef.FindString(body); m != "" {
		t.Errorf("%s: a reference to another origin: %s", what, m)
	}
}
