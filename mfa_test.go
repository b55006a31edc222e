package auth_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/authtest"
	"github.com/embedauth/auth/passkey/passkeytest"
)

// mfaUser creates a user with a password and TOTP, and moves the clock
// past the enrolment step.
func mfaUser(t *testing.T, env *authtest.Env, email string) (pw, secret string, backup []string) {
	t.Helper()
	pw = authtest.Password()
	u := env.CreateUser(t, email, pw)
	secret, backup, err := env.Auth.EnrolTOTPForTest(context.Background(), u.ID, email)
	if err != nil {
		t.Fatal(err)
	}
	env.Clock.Advance(30 * time.Second)
	return pw, secret, backup
}

func mfaCode(t *testing.T, env *authtest.Env, secret string) string {
	t.Helper()
	c, err := auth.TOTPCodeForTest(secret, env.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// mfaFirstStep signs c in with the password and expects the second step.
func mfaFirstStep(t *testing.T, c *flClient, email, pw string) *flResp {
	t.Helper()
	r := c.postJSON("/auth/api/sign-in", map[string]string{"email": email, "password": pw}).want(http.StatusAccepted)
	var body struct {
		Status  string
		Factors []string
	}
	r.decode(&body)
	if body.Status != "second_factor_required" || len(body.Factors) == 0 || body.Factors[0] != "totp" {
		t.Fatalf("first step: %s", r.body)
	}
	return r
}

func TestT25_HalfAuthenticatedIsSignedOut(t *testing.T) {
	env := authtest.New(t)
	pw, secret, _ := mfaUser(t, env, "ann@example.com")
	c := flNew(t, env)
	first := mfaFirstStep(t, c, "ann@example.com", pw)
	if len(first.cookies) == 0 {
		t.Fatal("the first step set no cookie")
	}
	half := c.sessionCookie()

	// Every protected route sees a signed-out browser.
	c.get("/auth/api/me").wantError(http.StatusUnauthorized, "unauthenticated")
	c.get("/auth/api/sessions").wantError(http.StatusUnauthorized, "unauthenticated")
	if r := c.get("/auth/profile"); r.status != http.StatusSeeOther && r.status != http.StatusFound {
		t.Fatalf("profile with a half-authenticated cookie: %d", r.status)
	}
	u, err := env.Auth.Store().UserByEmail(context.Background(), "ann@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if ss, err := env.Auth.Store().ListSessions(context.Background(), u.ID); err != nil || len(ss) != 0 {
		t.Fatalf("%d device sessions before the second factor (%v)", len(ss), err)
	}

	// The second-factor endpoint without the first step: 401.
	other := flNew(t, env)
	other.postJSON("/auth/api/sign-in/factor-two", map[string]string{"method": "totp", "code": mfaCode(t, env, secret)}).
		wantError(http.StatusUnauthorized, "second_factor_not_started")

	// Completing it signs in with a new cookie token.
	done := c.postJSON("/auth/api/sign-in/factor-two", map[string]string{"method": "totp", "code": mfaCode(t, env, secret)}).want(http.StatusOK)
	var me flMe
	done.decode(&me)
	if me.User.Email != "ann@example.com" || !strings.Contains(me.Session.AuthMethod, "totp") {
		t.Fatalf("signed in as %+v", me)
	}
	if c.sessionCookie() == half {
		t.Fatal("the cookie token was not renewed when the session was created")
	}
	c.get("/auth/api/me").want(http.StatusOK)
	// The half-authenticated cookie is dead, and the step cannot be repeated.
	c.withCookie(half).get("/auth/api/me").wantError(http.StatusUnauthorized, "unauthenticated")
	env.Clock.Advance(30 * time.Second)
	c.postJSON("/auth/api/sign-in/factor-two", map[string]string{"method": "totp", "code": mfaCode(t, env, secret)}).
		wantError(http.StatusUnauthorized, "second_factor_not_started")
}

func TestFactorTwoExpires(t *testing.T) {
	env := authtest.New(t)
	pw, secret, _ := mfaUser(t, env, "ann@example.com")
	c := flNew(t, env)
	mfaFirstStep(t, c, "ann@example.com", pw)
	env.Clock.Advance(11 * time.Minute)
	c.postJSON("/auth/api/sign-in/factor-two", map[string]string{"method": "totp", "code": mfaCode(t, env, secret)}).
		wantError(http.StatusUnauthorized, "second_factor_not_started")
}

func TestT22_FactorTwoFailuresSurviveRestart(t *testing.T) {
	env := authtest.New(t, func(c *auth.Config) { c.LockoutThreshold = 4; c.LockoutDuration = time.Hour })
	pw, secret, _ := mfaUser(t, env, "ann@example.com")
	for i := range 4 {
		// Each attempt restarts the password step, in a new browser.
		c := flNew(t, env)
		mfaFirstStep(t, c, "ann@example.com", pw)
		c.postJSON("/auth/api/sign-in/factor-two", map[string]string{"method": "totp", "code": "000000"}).
			wantError(http.StatusUnprocessableEntity, "incorrect_code")
		_ = i
	}
	c := flNew(t, env)
	mfaFirstStep(t, c, "ann@example.com", pw)
	c.postJSON("/auth/api/sign-in/factor-two", map[string]string{"method": "totp", "code": mfaCode(t, env, secret)}).
		wantError(http.StatusTooManyRequests, "too_many_attempts")
	env.Clock.Advance(61 * time.Minute)
	c = flNew(t, env)
	mfaFirstStep(t, c, "ann@example.com", pw)
	c.postJSON("/auth/api/sign-in/factor-two", map[string]string{"method": "totp", "code": mfaCode(t, env, secret)}).want(http.StatusOK)
}

func TestT20_TOTPReplayAcrossBrowsers(t *testing.T) {
	env := authtest.New(t)
	pw, secret, _ := mfaUser(t, env, "ann@example.com")
	clients := make([]*flClient, 6)
	for i := range clients {
		clients[i] = flNew(t, env)
		mfaFirstStep(t, clients[i], "ann@example.com", pw)
	}
	code := mfaCode(t, env, secret)
	var mu sync.Mutex
	var wg sync.WaitGroup
	ok := 0
	for _, c := range clients {
		wg.Go(func() {
			r := c.postJSON("/auth/api/sign-in/factor-two", map[string]string{"method": "totp", "code": code})
			mu.Lock()
			defer mu.Unlock()
			if r.status == http.StatusOK {
				ok++
			} else if r.status != http.StatusUnprocessableEntity {
				t.Errorf("status %d: %s", r.status, r.body)
			}
		})
	}
	wg.Wait()
	if ok != 1 {
		t.Fatalf("%d browsers signed in with one code, want 1", ok)
	}
}

func TestT24_BackupCodeSignIn(t *testing.T) {
	env := authtest.New(t)
	pw, _, backup := mfaUser(t, env, "ann@example.com")
	c := flNew(t, env)
	mfaFirstStep(t, c, "ann@example.com", pw)
	c.postJSON("/auth/api/sign-in/factor-two", map[string]string{"method": "backup_code", "code": backup[0]}).want(http.StatusOK)
	c2 := flNew(t, env)
	mfaFirstStep(t, c2, "ann@example.com", pw)
	c2.postJSON("/auth/api/sign-in/factor-two", map[string]string{"method": "backup_code", "code": backup[0]}).
		wantError(http.StatusUnprocessableEntity, "incorrect_code")
	c2.postJSON("/auth/api/sign-in/factor-two", map[string]string{"method": "backup_code", "code": backup[1]}).want(http.StatusOK)
}

func TestFactorTwoBadInput(t *testing.T) {
	env := authtest.New(t)
	pw, secret, _ := mfaUser(t, env, "ann@example.com")
	c := flNew(t, env)
	mfaFirstStep(t, c, "ann@example.com", pw)
	for _, tc := range []struct{ method, code, want string }{
		{"totp", "", "code_required"},
		{"totp", "12345", "invalid_code_format"},
		{"totp", "1234567", "invalid_code_format"},
		{"totp", "12a456", "invalid_code_format"},
		{"sms", "123456", "invalid_method"},
		{"", "123456", "invalid_method"},
		{"backup_code", "short", "invalid_code_format"},
	} {
		c.postJSON("/auth/api/sign-in/factor-two", map[string]string{"method": tc.method, "code": tc.code}).
			wantError(http.StatusUnprocessableEntity, tc.want)
	}
	stale, err := auth.TOTPCodeForTest(secret, env.Clock.Now().Add(-3*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	c.postJSON("/auth/api/sign-in/factor-two", map[string]string{"method": "totp", "code": stale}).
		wantError(http.StatusUnprocessableEntity, "incorrect_code")
	c.postJSON("/auth/api/sign-in/factor-two", map[string]any{"method": "totp", "code": 123456}).want(http.StatusBadRequest)
	// A user without MFA signs in with the password alone.
	env.CreateUser(t, "bob@example.com", pw)
	flNew(t, env).signIn("bob@example.com", pw)
}

func TestFactorTwoPages(t *testing.T) {
	env := authtest.New(t)
	pw, secret, backup := mfaUser(t, env, "ann@example.com")
	c := flNew(t, env)
	// Without a pending sign-in the page sends the browser to sign in.
	if r := c.get("/auth/sign-in/factor-two"); r.status != http.StatusSeeOther || !strings.HasSuffix(r.header.Get("Location"), "/auth/sign-in") {
		t.Fatalf("page without first step: %d %s", r.status, r.header.Get("Location"))
	}
	r := c.postForm("/auth/sign-in", url.Values{"email": {"ann@example.com"}, "password": {pw}, "redirect_url": {"/app/x"}})
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/auth/sign-in/factor-two") {
		t.Fatalf("sign-in form: %d %s", r.status, r.header.Get("Location"))
	}
	page := c.get(r.header.Get("Location")).want(http.StatusOK)
	if !strings.Contains(string(page.body), `name="code"`) || !strings.Contains(string(page.body), "backup code") {
		t.Fatalf("factor-two page: %s", page.body)
	}
	c.get("/auth/sign-in/factor-two?method=backup_code").want(http.StatusOK)
	bad := c.postForm("/auth/sign-in/factor-two", url.Values{"method": {"totp"}, "code": {"000000"}}).want(http.StatusUnprocessableEntity)
	if !strings.Contains(string(bad.body), "aria-invalid") {
		t.Fatalf("wrong code page: %s", bad.body)
	}
	done := c.postForm("/auth/sign-in/factor-two", url.Values{"method": {"totp"}, "code": {mfaCode(t, env, secret)}, "redirect_url": {"/app/x"}})
	if done.status != http.StatusSeeOther {
		t.Fatalf("factor-two form: %d %s", done.status, done.body)
	}
	c.get("/auth/api/me").want(http.StatusOK)

	c2 := flNew(t, env)
	c2.postForm("/auth/sign-in", url.Values{"email": {"ann@example.com"}, "password": {pw}})
	if r := c2.postForm("/auth/sign-in/factor-two", url.Values{"method": {"backup_code"}, "code": {backup[3]}}); r.status != http.StatusSeeOther {
		t.Fatalf("backup code form: %d %s", r.status, r.body)
	}
	c2.get("/auth/api/me").want(http.StatusOK)
}

// oaMFAAnswers drives the second-factor routes for TestOpenAPIAnswersMatch.
func oaMFAAnswers(t *testing.T, check func(t *testing.T, op string, r *flResp)) {
	env := authtest.New(t)
	pw, secret, _ := mfaUser(t, env, "oa-mfa@example.com")
	c := flNew(t, env)
	check(t, "POST /api/sign-in/factor-two", c.postJSON("/auth/api/sign-in/factor-two", map[string]string{"method": "totp", "code": "123456"}))
	check(t, "POST /api/sign-in", c.postJSON("/auth/api/sign-in", map[string]string{"email": "oa-mfa@example.com", "password": pw}))
	check(t, "POST /api/sign-in/factor-two", c.postJSON("/auth/api/sign-in/factor-two", map[string]string{"method": "totp", "code": "12"}))
	check(t, "POST /api/sign-in/factor-two", c.postJSON("/auth/api/sign-in/factor-two", map[string]string{"method": "x", "code": "123456"}))
	check(t, "POST /api/sign-in/factor-two", c.postJSON("/auth/api/sign-in/factor-two", map[string]string{"method": "totp", "code": ""}))
	check(t, "POST /api/sign-in/factor-two", c.postJSON("/auth/api/sign-in/factor-two", map[string]string{"method": "backup_code", "code": "aaaaa-aaaaa"}))
	check(t, "POST /api/sign-in/factor-two", c.postJSON("/auth/api/sign-in/factor-two", map[string]string{"method": "totp", "code": mfaCode(t, env, secret)}))

	// Passwordless first factors of a user with MFA answer 202 too.
	penv, _ := pwEnv(t, pwCrossDevice)
	mfaUser(t, penv, "oa-mfa-pl@example.com")
	si := flNew(t, penv)
	si.postJSON("/auth/api/sign-in/email-code", map[string]string{"email": "oa-mfa-pl@example.com"}).want(http.StatusAccepted)
	check(t, "POST /api/code/verify", si.postJSON("/auth/api/code/verify", map[string]string{"code": pwMailCode(t, penv, "oa-mfa-pl@example.com")}))
	ml := flNew(t, penv)
	match := pwAskLink(ml, "oa-mfa-pl@example.com")
	token := pwLink(t, penv, "oa-mfa-pl@example.com")
	check(t, "POST /api/magic-link/verify", flNew(t, penv).postJSON("/auth/api/magic-link/verify", map[string]string{"token": token, "match_code": match}))
	check(t, "POST /api/magic-link/continue", ml.postJSON("/auth/api/magic-link/continue", map[string]any{}))

	// Reverification.
	rv := flNew(t, env)
	check(t, "POST /api/reverify", rv.postJSON("/auth/api/reverify", map[string]string{"password": pw}))
	rv.postJSON("/auth/api/sign-in", map[string]string{"email": "oa-mfa@example.com", "password": pw}).want(http.StatusAccepted)
	env.Clock.Advance(30 * time.Second)
	rv.postJSON("/auth/api/sign-in/factor-two", map[string]string{"method": "totp", "code": mfaCode(t, env, secret)}).want(http.StatusOK)
	check(t, "POST /api/reverify", rv.postJSON("/auth/api/reverify", map[string]string{"password": pw}))
	check(t, "POST /api/reverify", rv.postJSON("/auth/api/reverify", map[string]string{"password": "wrong-password-123", "code": "123456"}))
	check(t, "POST /api/reverify", rv.postJSON("/auth/api/reverify", map[string]string{"password": pw, "code": "12"}))
	env.Clock.Advance(30 * time.Second)
	check(t, "POST /api/reverify", rv.postJSON("/auth/api/reverify", map[string]string{"password": pw, "code": mfaCode(t, env, secret)}))

	// Enrolment, backup codes and turning off through the API.
	en := flNew(t, env)
	enPW := authtest.Password()
	env.CreateUser(t, "oa-mfa-api@example.com", enPW)
	en.signIn("oa-mfa-api@example.com", enPW)
	check(t, "GET /api/me/mfa", en.get("/auth/api/me/mfa"))
	check(t, "POST /api/me/mfa/totp/confirm", en.postJSON("/auth/api/me/mfa/totp/confirm", map[string]string{"code": "123456"}))
	check(t, "POST /api/me/mfa/totp", en.postJSON("/auth/api/me/mfa/totp", map[string]string{"password": "wrong-password-123"}))
	check(t, "DELETE /api/me/mfa", en.deleteJSON("/auth/api/me/mfa", map[string]any{}))
	check(t, "POST /api/me/mfa/backup-codes", en.postJSON("/auth/api/me/mfa/backup-codes", map[string]any{}))
	var enrol struct{ Secret string }
	r := en.postJSON("/auth/api/me/mfa/totp", map[string]any{})
	check(t, "POST /api/me/mfa/totp", r)
	r.decode(&enrol)
	check(t, "POST /api/me/mfa/totp/confirm", en.postJSON("/auth/api/me/mfa/totp/confirm", map[string]string{"code": "12"}))
	check(t, "POST /api/me/mfa/totp/confirm", en.postJSON("/auth/api/me/mfa/totp/confirm", map[string]string{"code": mfaCode(t, env, enrol.Secret)}))
	check(t, "POST /api/me/mfa/totp", en.postJSON("/auth/api/me/mfa/totp", map[string]any{}))
	check(t, "GET /api/me/mfa", en.get("/auth/api/me/mfa"))
	check(t, "POST /api/me/mfa/backup-codes", en.postJSON("/auth/api/me/mfa/backup-codes", map[string]any{}))
	env.Clock.Advance(auth.DefaultReverificationAge + time.Second)
	check(t, "POST /api/me/mfa/backup-codes", en.postJSON("/auth/api/me/mfa/backup-codes", map[string]string{"password": enPW}))
	check(t, "DELETE /api/me/mfa", en.deleteJSON("/auth/api/me/mfa", map[string]string{"password": enPW}))
	en.postJSON("/auth/api/reverify", map[string]string{"password": enPW, "code": mfaCode(t, env, enrol.Secret)}).want(http.StatusOK)
	check(t, "DELETE /api/me/mfa", en.deleteJSON("/auth/api/me/mfa", map[string]any{}))
	check(t, "GET /api/me/mfa", flNew(t, env).get("/auth/api/me/mfa"))

	// Text message codes.
	senv, ssms := pwEnv(t)
	sc, spw := mfaPhoneUser(t, senv, ssms, "oa-sms@example.com", "+14155550173")
	check(t, "DELETE /api/me/mfa/sms", sc.deleteJSON("/auth/api/me/mfa/sms", map[string]any{}))
	check(t, "POST /api/reverify/sms-code", sc.postJSON("/auth/api/reverify/sms-code", map[string]any{}))
	check(t, "POST /api/me/mfa/sms", sc.postJSON("/auth/api/me/mfa/sms", map[string]string{"password": "wrong-password-123"}))
	check(t, "POST /api/me/mfa/sms", sc.postJSON("/auth/api/me/mfa/sms", map[string]any{}))
	check(t, "GET /api/me/mfa", sc.get("/auth/api/me/mfa"))
	ss := flNew(t, senv)
	check(t, "POST /api/sign-in/factor-two/sms", ss.postJSON("/auth/api/sign-in/factor-two/sms", map[string]any{}))
	check(t, "POST /api/sign-in", ss.postJSON("/auth/api/sign-in", map[string]string{"email": "oa-sms@example.com", "password": spw}))
	check(t, "POST /api/sign-in/factor-two", ss.postJSON("/auth/api/sign-in/factor-two", map[string]string{"method": "sms", "code": "123456"}))
	check(t, "POST /api/sign-in/factor-two/sms", ss.postJSON("/auth/api/sign-in/factor-two/sms", map[string]any{}))
	check(t, "POST /api/sign-in/factor-two", ss.postJSON("/auth/api/sign-in/factor-two", map[string]string{"method": "sms", "code": pwSMSCode(t, senv, ssms, "+14155550173")}))
	check(t, "POST /api/reverify/sms-code", sc.postJSON("/auth/api/reverify/sms-code", map[string]any{}))
	pwSMSCode(t, senv, ssms, "+14155550173")
	check(t, "DELETE /api/me/mfa/sms", sc.deleteJSON("/auth/api/me/mfa/sms", map[string]any{}))

	// Reverification of a user without a password, by email code.
	ec := flNew(t, penv)
	check(t, "POST /api/reverify/email-code", ec.postJSON("/auth/api/reverify/email-code", map[string]any{}))
	ec.postJSON("/auth/api/sign-up/email-code", map[string]string{"email": "oa-rv@example.com"}).want(http.StatusAccepted)
	ec.postJSON("/auth/api/code/verify", map[string]string{"code": pwMailCode(t, penv, "oa-rv@example.com")}).want(http.StatusOK)
	check(t, "POST /api/reverify", ec.postJSON("/auth/api/reverify", map[string]string{"email_code": "123456"}))
	check(t, "POST /api/reverify/email-code", ec.postJSON("/auth/api/reverify/email-code", map[string]any{}))
	rvCode := pwMailCode(t, penv, "oa-rv@example.com")
	check(t, "POST /api/reverify", ec.postJSON("/auth/api/reverify", map[string]string{"email_code": "12"}))
	check(t, "POST /api/reverify", ec.postJSON("/auth/api/reverify", map[string]string{"email_code": pwOtherCode(rvCode)}))
	check(t, "POST /api/reverify", ec.postJSON("/auth/api/reverify", map[string]string{"email_code": rvCode}))

	// A passkey as the second factor.
	kenv := authtest.New(t)
	kpw, key := mfaPasskeyUser(t, kenv, "oa-mfa-pk@example.com")
	k := flNew(t, kenv)
	check(t, "POST /api/sign-in/factor-two/passkey/begin", k.postJSON("/auth/api/sign-in/factor-two/passkey/begin", map[string]any{}))
	check(t, "POST /api/sign-in/factor-two/passkey/finish", k.postJSON("/auth/api/sign-in/factor-two/passkey/finish", map[string]any{}))
	k.postJSON("/auth/api/sign-in", map[string]string{"email": "oa-mfa-pk@example.com", "password": kpw}).want(http.StatusAccepted)
	begin := k.postJSON("/auth/api/sign-in/factor-two/passkey/begin", map[string]any{})
	check(t, "POST /api/sign-in/factor-two/passkey/begin", begin)
	resp, err := key.Get(begin.body)
	if err != nil {
		t.Fatal(err)
	}
	check(t, "POST /api/sign-in/factor-two/passkey/finish", k.postJSON("/auth/api/sign-in/factor-two/passkey/finish", resp))
}

func TestMFAPasswordlessSignIn(t *testing.T) {
	env, _ := pwEnv(t, pwCrossDevice) // a link is used in another browser below
	_, secret, _ := mfaUser(t, env, "ann@example.com")

	// An email code is a first factor only.
	c := flNew(t, env)
	c.postJSON("/auth/api/sign-in/email-code", map[string]string{"email": "ann@example.com"}).want(http.StatusAccepted)
	c.postJSON("/auth/api/code/verify", map[string]string{"code": pwMailCode(t, env, "ann@example.com")}).want(http.StatusAccepted)
	c.get("/auth/api/me").wantError(http.StatusUnauthorized, "unauthenticated")
	u, err := env.Auth.Store().UserByEmail(context.Background(), "ann@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if ss, err := env.Auth.Store().ListSessions(context.Background(), u.ID); err != nil || len(ss) != 0 {
		t.Fatalf("%d live sessions before the second factor (%v)", len(ss), err)
	}
	var me flMe
	c.postJSON("/auth/api/sign-in/factor-two", map[string]string{"method": "totp", "code": mfaCode(t, env, secret)}).want(http.StatusOK).decode(&me)
	if me.Session.AuthMethod != "email_code+totp" {
		t.Fatalf("auth method %q", me.Session.AuthMethod)
	}

	// A magic link used in another browser, with the match code: both wait
	// for the second factor.
	env.Clock.Advance(30 * time.Second)
	ml := flNew(t, env)
	match := pwAskLink(ml, "ann@example.com")
	token := pwLink(t, env, "ann@example.com")
	other := flNew(t, env)
	other.postJSON("/auth/api/magic-link/verify", map[string]string{"token": token, "match_code": match}).want(http.StatusAccepted)
	other.get("/auth/api/me").wantError(http.StatusUnauthorized, "unauthenticated")
	ml.postJSON("/auth/api/magic-link/continue", map[string]any{}).want(http.StatusAccepted)
	ml.get("/auth/api/me").wantError(http.StatusUnauthorized, "unauthenticated")
	ml.postJSON("/auth/api/sign-in/factor-two", map[string]string{"method": "totp", "code": mfaCode(t, env, secret)}).want(http.StatusOK)

	// The code page form sends the browser to the second step.
	env.Clock.Advance(30 * time.Second)
	f := flNew(t, env)
	f.postJSON("/auth/api/sign-in/email-code", map[string]string{"email": "ann@example.com"}).want(http.StatusAccepted)
	r := f.postForm("/auth/code", url.Values{"code": {pwMailCode(t, env, "ann@example.com")}})
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/auth/sign-in/factor-two") {
		t.Fatalf("code form: %d %s", r.status, r.header.Get("Location"))
	}
	f.get("/auth/api/me").wantError(http.StatusUnauthorized, "unauthenticated")
}

// mfaPasskeyUser creates a user with a password, a passkey and TOTP.
func mfaPasskeyUser(t *testing.T, env *authtest.Env, email string) (pw string, key *passkeytest.Authenticator) {
	t.Helper()
	u, _, key, pw := pkUser(t, env, email)
	if _, _, err := env.Auth.EnrolTOTPForTest(context.Background(), u.ID, email); err != nil {
		t.Fatal(err)
	}
	env.Clock.Advance(30 * time.Second)
	return pw, key
}

func TestFactorTwoPasskey(t *testing.T) {
	env := authtest.New(t)
	pw, key := mfaPasskeyUser(t, env, "ann@example.com")
	c := flNew(t, env)
	r := c.postJSON("/auth/api/sign-in", map[string]string{"email": "ann@example.com", "password": pw}).want(http.StatusAccepted)
	if !strings.Contains(string(r.body), `"passkey"`) {
		t.Fatalf("factors: %s", r.body)
	}
	// Not without a pending sign-in.
	flNew(t, env).postJSON("/auth/api/sign-in/factor-two/passkey/begin", map[string]any{}).wantError(http.StatusUnauthorized, "second_factor_not_started")
	page := c.get("/auth/sign-in/factor-two").want(http.StatusOK)
	if !strings.Contains(string(page.body), `data-passkey="verify"`) {
		t.Fatalf("no passkey button: %s", page.body)
	}
	begin := c.postJSON("/auth/api/sign-in/factor-two/passkey/begin", map[string]any{}).want(http.StatusOK)
	resp, err := key.Get(begin.body)
	if err != nil {
		t.Fatal(err)
	}
	var me flMe
	c.postJSON("/auth/api/sign-in/factor-two/passkey/finish", resp).want(http.StatusOK).decode(&me)
	if me.Session.AuthMethod != "password+passkey" {
		t.Fatalf("auth method %q", me.Session.AuthMethod)
	}
	c.get("/auth/api/me").want(http.StatusOK)
	// The assertion cannot be replayed.
	c2 := flNew(t, env)
	mfaFirstStep(t, c2, "ann@example.com", pw)
	if r := c2.postJSON("/auth/api/sign-in/factor-two/passkey/finish", resp); r.status == http.StatusOK {
		t.Fatal("replayed assertion accepted")
	}
	c2.get("/auth/api/me").wantError(http.StatusUnauthorized, "unauthenticated")
	// The refused passkey is in the user's security log.
	if !mfaLogHas(t, c, "sign_in_failed", "password+passkey") {
		t.Fatal("refused passkey not logged")
	}
}

// mfaLogHas reports whether c's user has a security log entry of kind
// with method.
func mfaLogHas(t *testing.T, c *flClient, kind, method string) bool {
	t.Helper()
	var log struct {
		Entries []struct {
			Kind, Method, Detail string
		}
	}
	c.get("/auth/api/me/security-log").want(http.StatusOK).decode(&log)
	for _, e := range log.Entries {
		if e.Kind == kind && e.Method == method {
			return true
		}
	}
	return false
}

func TestFactorTwoClearedBySignIn(t *testing.T) {
	env := authtest.New(t)
	pw, secret, _ := mfaUser(t, env, "ann@example.com")
	env.CreateUser(t, "bob@example.com", pw)
	c := flNew(t, env)
	mfaFirstStep(t, c, "ann@example.com", pw)
	// Another account signs in on this browser: Ann's pending step is gone.
	c.signIn("bob@example.com", pw)
	c.postJSON("/auth/api/sign-in/factor-two", map[string]string{"method": "totp", "code": mfaCode(t, env, secret)}).
		wantError(http.StatusUnauthorized, "second_factor_not_started")
	var me flMe
	c.get("/auth/api/me").want(http.StatusOK).decode(&me)
	if me.User.Email != "bob@example.com" {
		t.Fatalf("signed in as %s", me.User.Email)
	}
	// Signing out also drops a pending step.
	mfaFirstStep(t, c, "ann@example.com", pw)
	c.postJSON("/auth/api/sign-out", nil).want(http.StatusOK)
	c.postJSON("/auth/api/sign-in/factor-two", map[string]string{"method": "totp", "code": mfaCode(t, env, secret)}).
		wantError(http.StatusUnauthorized, "second_factor_not_started")
}
