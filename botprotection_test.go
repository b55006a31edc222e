package auth_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/authtest"
)

// bpSiteverify is a local server of the providers' siteverify protocol:
// the token "pass" solved on localhost succeeds, "elsewhere" succeeds for
// another host, anything else fails. It counts the calls.
func bpSiteverify(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.Method != http.MethodPost || r.ParseForm() != nil || r.PostForm.Get("secret") != "test-secret" || r.PostForm.Get("remoteip") == "" {
			json.NewEncoder(w).Encode(map[string]any{"success": false, "error-codes": []string{"bad-request"}})
			return
		}
		switch r.PostForm.Get("response") {
		case "pass":
			json.NewEncoder(w).Encode(map[string]any{"success": true, "hostname": "localhost"})
		case "elsewhere":
			json.NewEncoder(w).Encode(map[string]any{"success": true, "hostname": "evil.example"})
		default:
			json.NewEncoder(w).Encode(map[string]any{"success": false, "error-codes": []string{"invalid-input-response"}})
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func bpEnv(t *testing.T, provider string) (*authtest.Env, *atomic.Int32) {
	srv, calls := bpSiteverify(t)
	env, _ := pwEnv(t, func(c *auth.Config) {
		c.BotProtection = auth.BotProtection{Provider: provider, SiteKey: "site-key-1", SecretKey: "test-secret", VerifyURL: srv.URL}
		c.Methods = append(c.Methods, auth.MethodPasskey)
	})
	return env, calls
}

func TestBotProtection_Turnstile(t *testing.T) {
	t.Parallel()
	env, calls := bpEnv(t, auth.BotProtectionTurnstile)
	pw := authtest.Password()
	c := flNew(t, env)

	// The widget and its CSP are on the sign-in and sign-up pages only.
	for _, path := range []string{"/auth/sign-in", "/auth/sign-up", "/auth/sign-up/phone"} {
		r := c.get(path).want(http.StatusOK).contains(`class="ea-captcha cf-turnstile" data-sitekey="site-key-1"`,
			`<script src="https://challenges.cloudflare.com/turnstile/v0/api.js" async defer></script>`)
		csp := r.header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self' https://challenges.cloudflare.com") || !strings.Contains(csp, "frame-src https://challenges.cloudflare.com") {
			t.Errorf("%s CSP: %s", path, csp)
		}
	}
	if csp := c.get("/auth/forgot").want(http.StatusOK).notContains("cf-turnstile").header.Get("Content-Security-Policy"); strings.Contains(csp, "cloudflare") {
		t.Errorf("forgot page CSP allows the provider: %s", csp)
	}

	// JSON clients send the token in captcha_token.
	c.postJSON("/auth/api/sign-up", map[string]string{"email": "ann@example.com", "password": pw}).
		wantError(http.StatusUnprocessableEntity, "captcha_required").wantField("captcha_token")
	c.postJSON("/auth/api/sign-up", map[string]string{"email": "ann@example.com", "password": pw, "captcha_token": "wrong"}).
		wantError(http.StatusUnprocessableEntity, "captcha_failed")
	c.postJSON("/auth/api/sign-up", map[string]string{"email": "ann@example.com", "password": pw, "captcha_token": "elsewhere"}).
		wantError(http.StatusUnprocessableEntity, "captcha_failed")
	c.postJSON("/auth/api/sign-up", map[string]string{"email": "ann@example.com", "password": pw, "captcha_token": "pass"}).
		want(http.StatusAccepted)
	c.postJSON("/auth/api/sign-up/verify", map[string]string{"code": flVerificationCode(t, env, "ann@example.com")}).want(http.StatusOK)

	// Sign-in: the JSON API and the form (the widget's own field).
	c2 := flNew(t, env)
	c2.postJSON("/auth/api/sign-in", map[string]string{"email": "ann@example.com", "password": pw}).wantError(http.StatusUnprocessableEntity, "captcha_required")
	c2.postForm("/auth/sign-in", url.Values{"email": {"ann@example.com"}, "password": {pw}, "cf-turnstile-response": {"wrong"}}).
		want(http.StatusUnprocessableEntity).alert().contains("not a robot failed")
	c2.postForm("/auth/sign-in", url.Values{"email": {"ann@example.com"}, "password": {pw}, "cf-turnstile-response": {"pass"}}).
		want(http.StatusSeeOther)
	if me := c2.me(); me.User.Email != "ann@example.com" {
		t.Errorf("me = %+v", me.User)
	}
	// Email codes and passkey sign-up ask for it too.
	flNew(t, env).postJSON("/auth/api/sign-in/email-code", map[string]string{"email": "ann@example.com"}).wantError(http.StatusUnprocessableEntity, "captcha_required")
	flNew(t, env).postJSON("/auth/api/sign-in/email-code", map[string]string{"email": "ann@example.com", "captcha_token": "pass"}).want(http.StatusAccepted)
	flNew(t, env).postJSON("/auth/api/passkeys/sign-up", map[string]string{"email": "bob@example.com"}).wantError(http.StatusUnprocessableEntity, "captcha_required")
	if calls.Load() == 0 {
		t.Fatal("siteverify was never called")
	}
}

func TestBotProtection_HCaptchaForm(t *testing.T) {
	t.Parallel()
	env, _ := bpEnv(t, auth.BotProtectionHCaptcha)
	c := flNew(t, env)
	r := c.get("/auth/sign-up").want(http.StatusOK).contains(`class="ea-captcha h-captcha"`, "https://js.hcaptcha.com/1/api.js")
	if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "https://*.hcaptcha.com") {
		t.Errorf("CSP: %s", csp)
	}
	pw := authtest.Password()
	c.postForm("/auth/sign-up", url.Values{"email": {"ann@example.com"}, "password": {pw}}).
		want(http.StatusUnprocessableEntity).alert().contains("Complete the check that you're not a robot")
	c.postForm("/auth/sign-up", url.Values{"email": {"ann@example.com"}, "password": {pw}, "h-captcha-response": {"pass"}}).
		want(http.StatusSeeOther)
}

func TestBotProtection_ProviderDownIsNot500(t *testing.T) {
	t.Parallel()
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", http.StatusBadGateway) }))
	t.Cleanup(down.Close)
	env := authtest.New(t, func(c *auth.Config) {
		c.BotProtection = auth.BotProtection{Provider: auth.BotProtectionTurnstile, SiteKey: "k", SecretKey: "s", VerifyURL: down.URL}
	})
	flNew(t, env).postJSON("/auth/api/sign-up", map[string]string{"email": "ann@example.com", "password": authtest.Password(), "captcha_token": "pass"}).
		wantError(http.StatusBadGateway, "captcha_unavailable")
}

func TestBotProtection_OffByDefault(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	r := flNew(t, env).get("/auth/sign-in").want(http.StatusOK).notContains("ea-captcha", "<script src=\"https://")
	if csp := r.header.Get("Content-Security-Policy"); strings.Contains(csp, "frame-src") {
		t.Errorf("CSP with bot protection off: %s", csp)
	}
}
