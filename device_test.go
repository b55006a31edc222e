package auth_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/embedauth/auth"
	"github.com/embedauth/auth/authtest"
	"github.com/embedauth/auth/internal/smtptest"
	"github.com/embedauth/auth/mail"
)

// devVerify turns device verification on.
func devVerify(c *auth.Config) { c.VerifyNewDevices = true }

// devCodeRE finds the code of a device verification mail.
var devCodeRE = regexp.MustCompile(`enter this code:\s+(\d{6})\s`)

// devMailCode waits for the device verification mail to `to` and returns
// its code.
func devMailCode(t testing.TB, env *authtest.Env, to string) string {
	t.Helper()
	m := flWaitMail(t, env, to)
	match := devCodeRE.FindStringSubmatch(m.Text)
	if match == nil {
		t.Fatalf("mail to %s has no device code:\n%s", to, m.Text)
	}
	if !strings.Contains(m.Subject, match[1]) || !strings.Contains(m.HTML, match[1]) || !strings.Contains(m.Text, "expires in 10 minutes") {
		t.Errorf("device code mail: subject %q\n%s", m.Subject, m.Text)
	}
	return match[1]
}

// devSignIn signs c in with a password on a device verified with the
// mailed code.
func devSignIn(t testing.TB, env *authtest.Env, c *flClient, email, pw string) flMe {
	t.Helper()
	c.postJSON("/auth/api/sign-in", map[string]string{"email": email, "password": pw}).want(http.StatusAccepted)
	var me flMe
	c.postJSON("/auth/api/sign-in/verify-device", map[string]string{"code": devMailCode(t, env, email)}).want(http.StatusOK).decode(&me)
	return me
}

// devOtherCode is a 6-digit code other than code.
func devOtherCode(code string) string { return flOtherCode(code) }

// oaDeviceAnswers drives the device verification answers of the JSON API
// for TestOpenAPIAnswersMatch.
func oaDeviceAnswers(t *testing.T, check func(t *testing.T, op string, r *flResp)) {
	env := authtest.New(t, devVerify)
	pw := authtest.Password()
	env.CreateUser(t, "oa-dev@example.com", pw)
	c := flNew(t, env)
	check(t, "POST /api/sign-in/verify-device", c.postJSON("/auth/api/sign-in/verify-device", map[string]string{"code": "123456"}))
	check(t, "POST /api/sign-in/verify-device/resend", c.postJSON("/auth/api/sign-in/verify-device/resend", map[string]any{}))
	check(t, "POST /api/sign-in", c.postJSON("/auth/api/sign-in", map[string]string{"email": "oa-dev@example.com", "password": pw}))
	devMailCode(t, env, "oa-dev@example.com")
	check(t, "POST /api/sign-in/verify-device/resend", c.postJSON("/auth/api/sign-in/verify-device/resend", map[string]any{}))
	code := devMailCode(t, env, "oa-dev@example.com")
	check(t, "POST /api/sign-in/verify-device", c.postJSON("/auth/api/sign-in/verify-device", map[string]string{"code": "12"}))
	check(t, "POST /api/sign-in/verify-device", c.postJSON("/auth/api/sign-in/verify-device", map[string]string{"code": ""}))
	check(t, "POST /api/sign-in/verify-device", c.postJSON("/auth/api/sign-in/verify-device", map[string]string{"code": devOtherCode(code)}))
	check(t, "POST /api/sign-in/verify-device", c.postJSON("/auth/api/sign-in/verify-device", map[string]string{"code": code}))
	check(t, "GET /api/me/security-log", c.get("/auth/api/me/security-log?limit=0"))
	check(t, "GET /api/me/security-log", c.get("/auth/api/me/security-log?before=x"))
	check(t, "GET /api/me/security-log", c.get("/auth/api/me/security-log?limit=1"))
	x := flNew(t, env)
	x.postJSON("/auth/api/sign-in", map[string]string{"email": "oa-dev@example.com", "password": pw}).want(http.StatusAccepted)
	devMailCode(t, env, "oa-dev@example.com")
	env.Clock.Advance(11 * time.Minute)
	check(t, "POST /api/sign-in/verify-device", x.postJSON("/auth/api/sign-in/verify-device", map[string]string{"code": "123456"}))

	// A passkey as the only factor, and as the second (adding it, past the
	// sign-in's reverification window, needs the password again).
	c.postJSON("/auth/api/reverify", map[string]string{"password": pw}).want(http.StatusOK)
	key := pkKey(env)
	pkRegister(t, c, key)
	flWaitMail(t, env, "oa-dev@example.com") // passkey added
	check(t, "POST /api/passkeys/sign-in/finish", pkSignIn(t, flNew(t, env), key, "oa-dev@example.com"))
	devMailCode(t, env, "oa-dev@example.com")
	u := c.me().User
	if _, _, err := env.Auth.EnrolTOTPForTest(context.Background(), u.ID, u.Email); err != nil {
		t.Fatal(err)
	}
	env.Clock.Advance(30 * time.Second)
	k := flNew(t, env)
	k.postJSON("/auth/api/sign-in", map[string]string{"email": "oa-dev@example.com", "password": pw}).want(http.StatusAccepted)
	begin := k.postJSON("/auth/api/sign-in/factor-two/passkey/begin", map[string]any{}).want(http.StatusOK)
	resp, err := key.Get(begin.body)
	if err != nil {
		t.Fatal(err)
	}
	check(t, "POST /api/sign-in/factor-two/passkey/finish", k.postJSON("/auth/api/sign-in/factor-two/passkey/finish", resp))
	devMailCode(t, env, "oa-dev@example.com")

	// A TOTP second factor.
	menv := authtest.New(t, devVerify)
	mpw, secret, _ := mfaUser(t, menv, "oa-dev-mfa@example.com")
	m := flNew(t, menv)
	m.postJSON("/auth/api/sign-in", map[string]string{"email": "oa-dev-mfa@example.com", "password": mpw}).want(http.StatusAccepted)
	check(t, "POST /api/sign-in/factor-two", m.postJSON("/auth/api/sign-in/factor-two", map[string]string{"method": "totp", "code": mfaCode(t, menv, secret)}))
}

// devSMTPEnv is an env whose mail goes over real SMTP to srv, with the
// new-device notice on.
func devSMTPEnv(t *testing.T, srv *smtptest.Server, opts ...authtest.Option) *authtest.Env {
	t.Helper()
	return authtest.New(t, append([]authtest.Option{func(c *auth.Config) {
		c.Mailer = nil
		c.SMTP = &mail.SMTPConfig{Host: srv.Host(), Port: srv.Port(), From: "Test <no-reply@example.com>", TLS: mail.TLSNone}
		c.DisableNewDeviceEmails = false
	}}, opts...)...)
}

// devMailsTo counts the messages srv received for `to` with subject
// containing subject, after the outbox is flushed.
func devMailsTo(t testing.TB, env *authtest.Env, srv *smtptest.Server, to, subject string) int {
	t.Helper()
	if _, err := env.Auth.FlushMail(context.Background()); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range srv.Messages() {
		for _, r := range m.To {
			if strings.EqualFold(r, to) && strings.Contains(m.Subject, subject) {
				n++
			}
		}
	}
	return n
}

func TestNewDeviceMail_SMTP(t *testing.T) {
	srv := smtptest.Start(t)
	env := devSMTPEnv(t, srv)
	const newSignIn = "New sign-in"

	// Sign-up on the first browser: no notice.
	a := flNew(t, env)
	a.userAgent = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
	pw := authtest.Password()
	a.postJSON("/auth/api/sign-up", map[string]string{"email": "ann@example.com", "password": pw}).want(http.StatusAccepted)
	m := srv.Wait(t, "ann@example.com", 10*time.Second)
	code := regexp.MustCompile(`\b(\d{6})\b`).FindString(m.Subject)
	a.postJSON("/auth/api/sign-up/verify", map[string]string{"code": code}).want(http.StatusOK)
	if n := devMailsTo(t, env, srv, "ann@example.com", newSignIn); n != 0 {
		t.Fatalf("sign-up sent %d new-device notices", n)
	}
	// The same browser again, after signing out: still no notice.
	a.postJSON("/auth/api/sign-out", nil).want(http.StatusOK)
	a.signIn("ann@example.com", pw)
	if n := devMailsTo(t, env, srv, "ann@example.com", newSignIn); n != 0 {
		t.Fatalf("the sign-up browser got %d notices", n)
	}

	// A second browser: one notice, over SMTP, with what, where and how.
	b := flNew(t, env)
	b.userAgent = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1"
	b.signIn("ann@example.com", pw)
	got := srv.Wait(t, "ann@example.com", 10*time.Second)
	if !strings.Contains(got.Subject, newSignIn) {
		t.Fatalf("subject %q", got.Subject)
	}
	for _, want := range []string{"Safari on iOS", "127.0.0.1", "Signed in with: Password", env.URL + "/auth/profile?tab=devices", "When: "} {
		if !strings.Contains(got.Text, want) {
			t.Errorf("notice lacks %q:\n%s", want, got.Text)
		}
	}
	if !strings.Contains(got.HTML, "Safari on iOS") {
		t.Error("HTML notice lacks the device")
	}
	// The second browser again, and the first: no more notices.
	b.postJSON("/auth/api/sign-out", nil).want(http.StatusOK)
	b.signIn("ann@example.com", pw)
	a.postJSON("/auth/api/sign-out", nil).want(http.StatusOK)
	a.signIn("ann@example.com", pw)
	if n := devMailsTo(t, env, srv, "ann@example.com", newSignIn); n != 1 {
		t.Fatalf("%d notices in all, want 1", n)
	}
	// The log says which sign-in came from a new device.
	list := slLog(t, a)
	var kinds []string
	for _, e := range list {
		if e.Kind == "sign_in" {
			kinds = append(kinds, e.Detail)
		}
	}
	if strings.Join(kinds, ",") != ",,new_device,,sign_up" {
		t.Errorf("sign-ins newest first: %q", kinds)
	}
}

func TestNewDeviceMail_Disabled(t *testing.T) {
	env := authtest.New(t) // authtest turns the notice off
	pw := authtest.Password()
	env.CreateUser(t, "ann@example.com", pw)
	c := flNew(t, env)
	c.signIn("ann@example.com", pw)
	if msgs := flMailTo(env, "ann@example.com"); len(msgs) != 0 {
		t.Fatalf("mail sent with the notice off: %q", msgs[0].Subject)
	}
	if got := slLog(t, c)[0]; got.Detail != "new_device" {
		t.Errorf("log = %+v", got)
	}
}

func TestNewDeviceMail_EveryMethod(t *testing.T) {
	env, _ := pwEnv(t, func(c *auth.Config) { c.DisableNewDeviceEmails = false })
	pw := authtest.Password()
	env.CreateUser(t, "ann@example.com", pw)
	// Email code, on a new browser.
	c := flNew(t, env)
	c.postJSON("/auth/api/sign-in/email-code", map[string]string{"email": "ann@example.com"}).want(http.StatusAccepted)
	c.postJSON("/auth/api/code/verify", map[string]string{"code": pwMailCode(t, env, "ann@example.com")}).want(http.StatusOK)
	m := flWaitMail(t, env, "ann@example.com")
	if !strings.Contains(m.Subject, "New sign-in") || !strings.Contains(m.Text, "Signed in with: Email code") {
		t.Fatalf("notice: %q\n%s", m.Subject, m.Text)
	}
	// The same browser with a password: known.
	c.postJSON("/auth/api/sign-out", nil).want(http.StatusOK)
	c.signIn("ann@example.com", pw)
	if msgs := flMailTo(env, "ann@example.com"); len(msgs) != 2 {
		t.Errorf("%d messages, want the code and one notice", len(msgs))
	}
}

func TestDeviceVerification_Password(t *testing.T) {
	env := authtest.New(t, devVerify)
	pw := authtest.Password()
	env.CreateUser(t, "ann@example.com", pw)
	c := flNew(t, env)
	r := c.postJSON("/auth/api/sign-in", map[string]string{"email": "ann@example.com", "password": pw}).want(http.StatusAccepted)
	var body struct {
		Status, To, Next string
		ExpiresIn        int `json:"expires_in"`
	}
	r.decode(&body)
	if body.Status != "device_verification_required" || body.To != "a***@example.com" || body.ExpiresIn != 600 || body.Next != "/auth/sign-in/verify-device" {
		t.Fatalf("202 body = %+v", body)
	}
	// No session yet, anywhere.
	c.get("/auth/api/me").wantError(http.StatusUnauthorized, "unauthenticated")
	code := devMailCode(t, env, "ann@example.com")
	pre := c.sessionCookie()

	// Wrong code: counted, logged, still pending.
	c.postJSON("/auth/api/sign-in/verify-device", map[string]string{"code": devOtherCode(code)}).wantError(http.StatusUnprocessableEntity, "incorrect_code")
	c.postJSON("/auth/api/sign-in/verify-device", map[string]string{"code": code}).want(http.StatusOK)
	if c.sessionCookie() == pre {
		t.Error("the cookie token was not renewed")
	}
	// The code is used: replaying it with the pending cookie fails.
	c.withCookie(pre).postJSON("/auth/api/sign-in/verify-device", map[string]string{"code": code}).
		wantError(http.StatusUnauthorized, "device_verification_not_started")
	list := slLog(t, c)
	if !slHas(list, "sign_in_failed", "wrong_device_code") || list[0].Kind != "sign_in" || list[0].Detail != "new_device" {
		t.Errorf("log = %v", slKinds(list))
	}
	// The device is known now: no code.
	c.postJSON("/auth/api/sign-out", nil).want(http.StatusOK)
	c.signIn("ann@example.com", pw)
	if msgs := flMailTo(env, "ann@example.com"); len(msgs) != 1 {
		t.Errorf("%d messages, want only the one code", len(msgs))
	}
}

func TestDeviceVerification_ExpiredCode(t *testing.T) {
	env := authtest.New(t, devVerify)
	pw := authtest.Password()
	env.CreateUser(t, "ann@example.com", pw)
	c := flNew(t, env)
	c.postJSON("/auth/api/sign-in", map[string]string{"email": "ann@example.com", "password": pw}).want(http.StatusAccepted)
	code := devMailCode(t, env, "ann@example.com")
	env.Clock.Advance(9*time.Minute + 59*time.Second)
	c.postJSON("/auth/api/sign-in/verify-device", map[string]string{"code": devOtherCode(code)}).wantError(http.StatusUnprocessableEntity, "incorrect_code")
	env.Clock.Advance(2 * time.Second)
	c.postJSON("/auth/api/sign-in/verify-device", map[string]string{"code": code}).wantError(http.StatusUnauthorized, "device_verification_not_started")
	c.get("/auth/api/me").wantError(http.StatusUnauthorized, "unauthenticated")
	// A new sign-in gets a new code, which works.
	c.postJSON("/auth/api/sign-in", map[string]string{"email": "ann@example.com", "password": pw}).want(http.StatusAccepted)
	c.postJSON("/auth/api/sign-in/verify-device", map[string]string{"code": devMailCode(t, env, "ann@example.com")}).want(http.StatusOK)
}

func TestDeviceVerification_TooManyAttempts(t *testing.T) {
	env := authtest.New(t, devVerify)
	pw := authtest.Password()
	env.CreateUser(t, "ann@example.com", pw)
	c := flNew(t, env)
	c.postJSON("/auth/api/sign-in", map[string]string{"email": "ann@example.com", "password": pw}).want(http.StatusAccepted)
	code := devMailCode(t, env, "ann@example.com")
	for range 5 {
		c.postJSON("/auth/api/sign-in/verify-device", map[string]string{"code": devOtherCode(code)}).wantError(http.StatusUnprocessableEntity, "incorrect_code")
	}
	// The right code no longer helps, and the sign-in is over.
	c.postJSON("/auth/api/sign-in/verify-device", map[string]string{"code": code}).wantError(http.StatusGone, "device_verification_expired")
	c.postJSON("/auth/api/sign-in/verify-device", map[string]string{"code": code}).wantError(http.StatusUnauthorized, "device_verification_not_started")
	c.get("/auth/api/me").wantError(http.StatusUnauthorized, "unauthenticated")
}

func TestDeviceVerification_CodeFromAnotherFlow(t *testing.T) {
	env := authtest.New(t, devVerify)
	pw := authtest.Password()
	env.CreateUser(t, "ann@example.com", pw)
	a, b := flNew(t, env), flNew(t, env)
	a.postJSON("/auth/api/sign-in", map[string]string{"email": "ann@example.com", "password": pw}).want(http.StatusAccepted)
	codeA := devMailCode(t, env, "ann@example.com")
	b.postJSON("/auth/api/sign-in", map[string]string{"email": "ann@example.com", "password": pw}).want(http.StatusAccepted)
	codeB := devMailCode(t, env, "ann@example.com")
	if codeA != codeB {
		b.postJSON("/auth/api/sign-in/verify-device", map[string]string{"code": codeA}).wantError(http.StatusUnprocessableEntity, "incorrect_code")
	}
	b.postJSON("/auth/api/sign-in/verify-device", map[string]string{"code": codeB}).want(http.StatusOK)
	// A's flow is untouched by B's, and B's code does not work in it.
	if codeA != codeB {
		a.postJSON("/auth/api/sign-in/verify-device", map[string]string{"code": codeB}).wantError(http.StatusUnprocessableEntity, "incorrect_code")
	}
	a.postJSON("/auth/api/sign-in/verify-device", map[string]string{"code": codeA}).want(http.StatusOK)
	// Verifying B did not make A known: they are two devices.
	if a.me().Session.ID == b.me().Session.ID {
		t.Error("two browsers share a session")
	}
}

func TestDeviceVerification_EveryMethod(t *testing.T) {
	env, _ := pwEnv(t, devVerify)
	pw, secret, _ := mfaUser(t, env, "ann@example.com")

	// Password and TOTP: the device step comes after the second factor.
	c := flNew(t, env)
	c.postJSON("/auth/api/sign-in", map[string]string{"email": "ann@example.com", "password": pw}).want(http.StatusAccepted).contains("second_factor_required")
	c.postJSON("/auth/api/sign-in/factor-two", map[string]string{"method": "totp", "code": mfaCode(t, env, secret)}).
		want(http.StatusAccepted).contains("device_verification_required")
	c.get("/auth/api/me").wantError(http.StatusUnauthorized, "unauthenticated")
	var me flMe
	c.postJSON("/auth/api/sign-in/verify-device", map[string]string{"code": devMailCode(t, env, "ann@example.com")}).want(http.StatusOK).decode(&me)
	if me.Session.AuthMethod != "password+totp" {
		t.Errorf("session method %q", me.Session.AuthMethod)
	}

	// An email code on a new browser: the session the flow made is ended.
	env.Clock.Advance(30 * time.Second)
	e := flNew(t, env)
	e.postJSON("/auth/api/sign-in/email-code", map[string]string{"email": "ann@example.com"}).want(http.StatusAccepted)
	e.postJSON("/auth/api/code/verify", map[string]string{"code": pwMailCode(t, env, "ann@example.com")}).want(http.StatusAccepted)
	e.postJSON("/auth/api/sign-in/factor-two", map[string]string{"method": "totp", "code": mfaCode(t, env, secret)}).
		want(http.StatusAccepted).contains("device_verification_required")
	e.get("/auth/api/me").wantError(http.StatusUnauthorized, "unauthenticated")
	e.postJSON("/auth/api/sign-in/verify-device", map[string]string{"code": devMailCode(t, env, "ann@example.com")}).want(http.StatusOK)
	if got := e.me().Session.AuthMethod; got != "email_code+totp" {
		t.Errorf("session method %q", got)
	}
}

func TestDeviceVerification_PasswordlessAndPasskey(t *testing.T) {
	env, _ := pwEnv(t, devVerify)
	pw := authtest.Password()
	env.CreateUser(t, "ann@example.com", pw)
	// A magic link on a new browser.
	c := flNew(t, env)
	c.postJSON("/auth/api/sign-in/magic-link", map[string]string{"email": "ann@example.com"}).want(http.StatusAccepted)
	token := pwLink(t, env, "ann@example.com")
	c.postJSON("/auth/api/magic-link/verify", map[string]string{"token": token}).want(http.StatusAccepted).contains("device_verification_required")
	c.get("/auth/api/me").wantError(http.StatusUnauthorized, "unauthenticated")
	c.postJSON("/auth/api/sign-in/verify-device", map[string]string{"code": devMailCode(t, env, "ann@example.com")}).want(http.StatusOK)

	// A passkey, on another new browser.
	kenv := authtest.New(t, devVerify)
	kenv.CreateUser(t, "ann@example.com", pw)
	c = flNew(t, kenv)
	devSignIn(t, kenv, c, "ann@example.com", pw)
	key := pkKey(kenv)
	pkRegister(t, c, key)
	flWaitMail(t, kenv, "ann@example.com") // passkey added
	k := flNew(t, kenv)
	pkSignIn(t, k, key, "ann@example.com").want(http.StatusAccepted).contains("device_verification_required")
	k.get("/auth/api/me").wantError(http.StatusUnauthorized, "unauthenticated")
	k.postJSON("/auth/api/sign-in/verify-device", map[string]string{"code": devMailCode(t, kenv, "ann@example.com")}).want(http.StatusOK)
	if got := k.me().Session.AuthMethod; got != "passkey" {
		t.Errorf("session method %q", got)
	}
	// Known now: the passkey signs in at once.
	k.postJSON("/auth/api/sign-out", nil).want(http.StatusOK)
	pkSignIn(t, k, key, "ann@example.com").want(http.StatusOK)
}

func TestDeviceVerification_SignUpIsTrusted(t *testing.T) {
	env := authtest.New(t, devVerify)
	c := flNew(t, env)
	pw := authtest.Password()
	c.postJSON("/auth/api/sign-up", map[string]string{"email": "new@example.com", "password": pw}).want(http.StatusAccepted)
	c.postJSON("/auth/api/sign-up/verify", map[string]string{"code": flVerificationCode(t, env, "new@example.com")}).want(http.StatusOK)
	c.postJSON("/auth/api/sign-out", nil).want(http.StatusOK)
	c.signIn("new@example.com", pw)
	// Another browser needs the code.
	devSignIn(t, env, flNew(t, env), "new@example.com", pw)
}

func TestDeviceVerification_Pages(t *testing.T) {
	env := authtest.New(t, devVerify)
	pw := authtest.Password()
	env.CreateUser(t, "ann@example.com", pw)
	c := flNew(t, env)
	// Without a pending sign-in the page sends the browser to sign in.
	if loc := c.get("/auth/sign-in/verify-device").want(http.StatusSeeOther).location(); loc != "/auth/sign-in" {
		t.Errorf("redirect to %q", loc)
	}
	r := c.postForm("/auth/sign-in", url.Values{"email": {"ann@example.com"}, "password": {pw}, "redirect_url": {"/app/settings"}}).want(http.StatusSeeOther)
	target := r.location()
	if !strings.HasPrefix(target, "/auth/sign-in/verify-device?redirect_url=") {
		t.Fatalf("sign-in form redirects to %q", target)
	}
	c.get(target).want(http.StatusOK).contains("a***@example.com", "hasn't signed in to your account before", `name="code"`, `value="/app/settings"`)
	code := devMailCode(t, env, "ann@example.com")
	c.postForm("/auth/sign-in/verify-device", url.Values{"code": {devOtherCode(code)}, "redirect_url": {"/app/settings"}}).
		want(http.StatusUnprocessableEntity).fieldError("code")
	c.postForm("/auth/sign-in/verify-device", url.Values{"code": {"abc"}}).want(http.StatusUnprocessableEntity).fieldError("code")
	if loc := c.postForm("/auth/sign-in/verify-device", url.Values{"code": {code}, "redirect_url": {"/app/settings"}}).
		want(http.StatusSeeOther).location(); loc != "/app/settings" {
		t.Errorf("after verification: %q", loc)
	}
	c.me()
	c.get("/auth/profile/security").want(http.StatusOK).contains("Failed sign-in: wrong new-device code", "Signed in with password from a new device")
}

func TestDeviceVerification_BadInputNever500(t *testing.T) {
	env := authtest.New(t, devVerify)
	pw := authtest.Password()
	env.CreateUser(t, "ann@example.com", pw)
	c := flNew(t, env)
	c.postJSON("/auth/api/sign-in", map[string]string{"email": "ann@example.com", "password": pw}).want(http.StatusAccepted)
	for _, body := range []string{`{"code":123456}`, `{"code":null}`, `{"code":"` + strings.Repeat("9", 5000) + `"}`, `{"code":"１２３４５６"}`,
		`{"code":"12 34 56 78"}`, `{"code":"\u0000"}`, `[]`, `{`, `{"code":"123456","x":1}`} {
		r := c.do("POST", "/auth/api/sign-in/verify-device", "application/json", strings.NewReader(body))
		if r.status >= 500 || r.status == http.StatusOK {
			t.Errorf("%.40s: %d %s", body, r.status, r.body)
		}
	}
	for _, v := range []url.Values{{"code": {strings.Repeat("x", 10000)}}, {"code": {"%00"}}, {}} {
		if r := c.postForm("/auth/sign-in/verify-device", v); r.status >= 500 {
			t.Errorf("form %v: %d", v, r.status)
		}
	}
	for _, q := range []string{"?redirect_url=//evil.com", "?redirect_url=%00"} {
		if r := c.get("/auth/sign-in/verify-device" + q); r.status >= 500 || strings.Contains(string(r.body), "evil.com") {
			t.Errorf("%s: %d", q, r.status)
		}
	}
	// A forged device cookie is just an unknown device.
	f := flNew(t, env)
	u, _ := url.Parse(env.URL)
	f.hc.Jar.SetCookies(u, []*http.Cookie{{Name: "embedauth_device", Value: "not-a-device-token", Path: "/"}})
	f.postJSON("/auth/api/sign-in", map[string]string{"email": "ann@example.com", "password": pw}).want(http.StatusAccepted)
}

func TestDeviceVerification_FormsOfEveryStep(t *testing.T) {
	env, _ := pwEnv(t, devVerify)
	pw, secret, _ := mfaUser(t, env, "ann@example.com")
	// Password, then the second-factor form: on to the device code page.
	c := flNew(t, env)
	if loc := c.postForm("/auth/sign-in", url.Values{"email": {"ann@example.com"}, "password": {pw}, "redirect_url": {"/app"}}).
		want(http.StatusSeeOther).location(); !strings.HasPrefix(loc, "/auth/sign-in/factor-two") {
		t.Fatalf("sign-in form redirects to %q", loc)
	}
	loc := c.postForm("/auth/sign-in/factor-two", url.Values{"method": {"totp"}, "code": {mfaCode(t, env, secret)}, "redirect_url": {"/app"}}).
		want(http.StatusSeeOther).location()
	if loc != "/auth/sign-in/verify-device?redirect_url=%2Fapp" {
		t.Fatalf("factor-two form redirects to %q", loc)
	}
	c.get(loc).want(http.StatusOK).contains("a***@example.com")
	c.postForm("/auth/sign-in/verify-device", url.Values{"code": {devMailCode(t, env, "ann@example.com")}, "redirect_url": {"/app"}}).
		want(http.StatusSeeOther)
	c.me()

	// An email code typed on the code page, on another browser.
	env.Clock.Advance(30 * time.Second)
	e := flNew(t, env)
	e.postJSON("/auth/api/sign-in/email-code", map[string]string{"email": "ann@example.com"}).want(http.StatusAccepted)
	if loc := e.postForm("/auth/code", url.Values{"code": {pwMailCode(t, env, "ann@example.com")}}).want(http.StatusSeeOther).location(); !strings.HasPrefix(loc, "/auth/sign-in/factor-two") {
		t.Fatalf("code form redirects to %q", loc)
	}
	if loc := e.postForm("/auth/sign-in/factor-two", url.Values{"method": {"totp"}, "code": {mfaCode(t, env, secret)}}).
		want(http.StatusSeeOther).location(); loc != "/auth/sign-in/verify-device" {
		t.Fatalf("factor-two form redirects to %q", loc)
	}
	// Used up: the form sends the browser back to sign in, with the reason.
	code := devMailCode(t, env, "ann@example.com")
	for range 5 {
		e.postForm("/auth/sign-in/verify-device", url.Values{"code": {devOtherCode(code)}}).want(http.StatusUnprocessableEntity)
	}
	if loc := e.postForm("/auth/sign-in/verify-device", url.Values{"code": {code}}).want(http.StatusSeeOther).location(); loc != "/auth/sign-in" {
		t.Fatalf("a used-up code redirects to %q", loc)
	}
	e.get("/auth/sign-in").want(http.StatusOK).contains("Too many wrong codes")
	e.get("/auth/api/me").wantError(http.StatusUnauthorized, "unauthenticated")
}

func TestDeviceVerification_PhoneOnlyAccountGetsATextMessage(t *testing.T) {
	env, sms := pwEnv(t, devVerify, func(c *auth.Config) { c.DisableNewDeviceEmails = false })
	const phone = "+14155550123"
	// Sign-up by text message: this device is trusted.
	a := flNew(t, env)
	a.postJSON("/auth/api/sign-up/sms", map[string]string{"phone": phone, "name": "Pat"}).want(http.StatusAccepted)
	a.postJSON("/auth/api/code/verify", map[string]string{"code": pwSMSCode(t, env, sms, phone)}).want(http.StatusOK)
	// Another browser: the device code goes by text message too.
	b := flNew(t, env)
	b.postJSON("/auth/api/sign-in/sms", map[string]string{"phone": phone}).want(http.StatusAccepted)
	var held struct{ Status, To string }
	b.postJSON("/auth/api/code/verify", map[string]string{"code": pwSMSCode(t, env, sms, phone)}).want(http.StatusAccepted).decode(&held)
	if held.Status != "device_verification_required" || held.To == "" || strings.Contains(held.To, "5550123") {
		t.Fatalf("202 body = %+v", held)
	}
	b.get("/auth/sign-in/verify-device").want(http.StatusOK).contains(held.To)
	b.postJSON("/auth/api/sign-in/verify-device", map[string]string{"code": pwSMSCode(t, env, sms, phone)}).want(http.StatusOK)
	if got := b.me().Session.AuthMethod; got != "sms_code" {
		t.Errorf("session method %q", got)
	}
}

func TestDeviceVerification_SendsCapped(t *testing.T) {
	env := authtest.New(t, devVerify, func(c *auth.Config) { c.Passwordless.EmailsPerAddressPerHour = 2 })
	pw := authtest.Password()
	env.CreateUser(t, "ann@example.com", pw)
	for range 2 {
		flNew(t, env).postJSON("/auth/api/sign-in", map[string]string{"email": "ann@example.com", "password": pw}).want(http.StatusAccepted)
		devMailCode(t, env, "ann@example.com")
	}
	c := flNew(t, env)
	c.postJSON("/auth/api/sign-in", map[string]string{"email": "ann@example.com", "password": pw}).wantError(http.StatusTooManyRequests, "too_many_messages")
	c.get("/auth/api/me").wantError(http.StatusUnauthorized, "unauthenticated")
	c.postJSON("/auth/api/sign-in/verify-device", map[string]string{"code": "123456"}).wantError(http.StatusUnauthorized, "device_verification_not_started")
	env.Clock.Advance(time.Hour)
	devSignIn(t, env, c, "ann@example.com", pw)
}

// TestDeviceVerification_Resend: a new code replaces the first for this
// sign-in, through the API and the page, and the sends are capped.
func TestDeviceVerification_Resend(t *testing.T) {
	t.Parallel()
	env := authtest.New(t, devVerify, func(c *auth.Config) { c.Passwordless.EmailsPerAddressPerHour = 3 })
	pw := authtest.Password()
	env.CreateUser(t, "res@example.com", pw)
	flNew(t, env).postJSON("/auth/api/sign-in/verify-device/resend", map[string]any{}).wantError(http.StatusUnauthorized, "device_verification_not_started")

	c := flNew(t, env)
	c.postJSON("/auth/api/sign-in", map[string]string{"email": "res@example.com", "password": pw}).want(http.StatusAccepted)
	first := devMailCode(t, env, "res@example.com")
	c.postJSON("/auth/api/sign-in/verify-device/resend", map[string]any{}).want(http.StatusAccepted)
	second := devMailCode(t, env, "res@example.com")
	if loc := c.postForm("/auth/sign-in/verify-device/resend", url.Values{"redirect_url": {"/app/x"}}).want(http.StatusSeeOther).location(); loc != "/auth/sign-in/verify-device?redirect_url=%2Fapp%2Fx" {
		t.Fatalf("resend form went to %q", loc)
	}
	third := devMailCode(t, env, "res@example.com")
	c.get("/auth/sign-in/verify-device").want(http.StatusOK).contains("We sent a new code")
	// The fourth send in the hour is refused.
	c.postJSON("/auth/api/sign-in/verify-device/resend", map[string]any{}).wantError(http.StatusTooManyRequests, "too_many_messages")
	// Only the newest code works.
	for _, old := range []string{first, second} {
		if old != third {
			c.postJSON("/auth/api/sign-in/verify-device", map[string]string{"code": old}).wantError(http.StatusUnprocessableEntity, "incorrect_code")
		}
	}
	c.postJSON("/auth/api/sign-in/verify-device", map[string]string{"code": third}).want(http.StatusOK)
}

// TestDeviceVerification_ResendKeepsWrongCodes: a new code buys no more
// tries: after 4 wrong codes and a resend, one more wrong code ends the
// sign-in, and even the new code is refused (SECURITY.md R5).
func TestDeviceVerification_ResendKeepsWrongCodes(t *testing.T) {
	t.Parallel()
	env := authtest.New(t, devVerify)
	pw := authtest.Password()
	env.CreateUser(t, "ann@example.com", pw)
	c := flNew(t, env)
	c.postJSON("/auth/api/sign-in", map[string]string{"email": "ann@example.com", "password": pw}).want(http.StatusAccepted)
	code := devMailCode(t, env, "ann@example.com")
	for range 4 {
		c.postJSON("/auth/api/sign-in/verify-device", map[string]string{"code": devOtherCode(code)}).wantError(http.StatusUnprocessableEntity, "incorrect_code")
	}
	c.postJSON("/auth/api/sign-in/verify-device/resend", map[string]any{}).want(http.StatusAccepted)
	fresh := devMailCode(t, env, "ann@example.com")
	c.postJSON("/auth/api/sign-in/verify-device", map[string]string{"code": devOtherCode(fresh)}).wantError(http.StatusUnprocessableEntity, "incorrect_code")
	c.postJSON("/auth/api/sign-in/verify-device", map[string]string{"code": fresh}).wantError(http.StatusGone, "device_verification_expired")
	c.get("/auth/api/me").wantError(http.StatusUnauthorized, "unauthenticated")
}
