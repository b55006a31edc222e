package auth_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/authtest"
	"github.com/embedauth/auth/mail"
)

// mfaPhoneUser creates a user with a password and a verified phone number
// (added through the API) and returns a client signed in as them.
func mfaPhoneUser(t *testing.T, env *authtest.Env, sms *mail.SMSCapture, email, phone string) (*flClient, string) {
	t.Helper()
	pw := authtest.Password()
	env.CreateUser(t, email, pw)
	c := flNew(t, env)
	c.signIn(email, pw)
	c.postJSON("/auth/api/me/identifiers", map[string]string{"type": "phone", "value": phone, "password": pw}).want(http.StatusAccepted)
	c.postJSON("/auth/api/me/identifiers/verify", map[string]string{"code": pwSMSCode(t, env, sms, phone)}).want(http.StatusOK)
	return c, pw
}

// TestMFASMSFactor: text message codes as the only second factor, from
// turning them on to signing in, reverifying and turning them off.
func TestMFASMSFactor(t *testing.T) {
	t.Parallel()
	env, sms := pwEnv(t)
	const phone = "+14155550171"
	c, pw := mfaPhoneUser(t, env, sms, "texts@example.com", phone)

	var on struct {
		BackupCodes []string `json:"backup_codes"`
	}
	c.postJSON("/auth/api/me/mfa/sms", map[string]any{}).want(http.StatusOK).decode(&on)
	if len(on.BackupCodes) != 10 {
		t.Fatalf("first factor without backup codes: %v", on.BackupCodes)
	}
	var st struct {
		TOTP          bool     `json:"totp"`
		SecondFactors []string `json:"second_factors"`
	}
	c.get("/auth/api/me/mfa").want(http.StatusOK).decode(&st)
	if st.TOTP || strings.Join(st.SecondFactors, ",") != "sms,backup_code" {
		t.Fatalf("status: %+v", st)
	}
	mfaWaitSubject(t, env, "texts@example.com", "turned on")
	if s := mfaMailSubjects(env, "texts@example.com"); len(s) != 1 || !strings.Contains(s[0], "turned on") {
		t.Fatalf("mails: %v", s)
	}
	if m := flMailTo(env, "texts@example.com"); !strings.Contains(m[len(m)-1].Text, "a code texted to") {
		t.Fatalf("notice: %s", m[len(m)-1].Text)
	}

	// Sign-in: the code must be asked for, is single use, and wrong codes fail.
	s := flNew(t, env)
	var need struct{ Factors []string }
	s.postJSON("/auth/api/sign-in", map[string]string{"email": "texts@example.com", "password": pw}).want(http.StatusAccepted).decode(&need)
	if strings.Join(need.Factors, ",") != "sms,backup_code" {
		t.Fatalf("factors: %v", need.Factors)
	}
	s.postJSON("/auth/api/sign-in/factor-two", map[string]string{"method": "sms", "code": "123456"}).wantError(http.StatusUnprocessableEntity, "code_not_sent")
	var sent struct{ To string }
	s.postJSON("/auth/api/sign-in/factor-two/sms", map[string]any{}).want(http.StatusOK).decode(&sent)
	if sent.To == phone || !strings.HasSuffix(sent.To, "71") {
		t.Fatalf("sent to %q", sent.To)
	}
	code := pwSMSCode(t, env, sms, phone)
	s.postJSON("/auth/api/sign-in/factor-two", map[string]string{"method": "sms", "code": pwOtherCode(code)}).wantError(http.StatusUnprocessableEntity, "incorrect_code")
	s.get("/auth/api/me").wantError(http.StatusUnauthorized, "unauthenticated")
	var me struct {
		Session struct {
			AuthMethod string `json:"auth_method"`
		}
	}
	s.postJSON("/auth/api/sign-in/factor-two", map[string]string{"method": "sms", "code": code}).want(http.StatusOK).decode(&me)
	if me.Session.AuthMethod != "password+sms" {
		t.Fatalf("auth method %q", me.Session.AuthMethod)
	}
	if !mfaLogHas(t, s, "sign_in_failed", "password+sms") {
		t.Fatal("the wrong text message code is not in the security log")
	}
	// The code does not work for a second sign-in.
	s2 := flNew(t, env)
	s2.postJSON("/auth/api/sign-in", map[string]string{"email": "texts@example.com", "password": pw}).want(http.StatusAccepted)
	s2.postJSON("/auth/api/sign-in/factor-two", map[string]string{"method": "sms", "code": code}).wantError(http.StatusUnprocessableEntity, "code_not_sent")

	// Reverification asks for a text message code as the second step.
	env.Clock.Advance(auth.DefaultReverificationAge + time.Second)
	c.deleteJSON("/auth/api/me/mfa/sms", map[string]string{"password": pw}).wantError(http.StatusForbidden, "reverification_required")
	c.postJSON("/auth/api/reverify", map[string]string{"password": pw}).wantError(http.StatusUnprocessableEntity, "code_required")
	c.postJSON("/auth/api/reverify", map[string]string{"password": pw, "code": "123456"}).wantError(http.StatusUnprocessableEntity, "code_not_sent")
	c.postJSON("/auth/api/reverify/sms-code", map[string]any{}).want(http.StatusOK)
	rv := pwSMSCode(t, env, sms, phone)
	c.postJSON("/auth/api/reverify", map[string]string{"password": pw, "code": rv}).want(http.StatusOK)
	// A backup code also works as the second step.
	env.Clock.Advance(auth.DefaultReverificationAge + time.Second)
	c.postJSON("/auth/api/reverify", map[string]string{"password": pw, "code": on.BackupCodes[0]}).want(http.StatusOK)

	// Turning the last factor off turns two-step verification off.
	c.deleteJSON("/auth/api/me/mfa/sms", map[string]any{}).want(http.StatusOK)
	c.deleteJSON("/auth/api/me/mfa/sms", map[string]any{}).wantError(http.StatusConflict, "sms_factor_not_enabled")
	c.get("/auth/api/me/mfa").want(http.StatusOK).decode(&st)
	if len(st.SecondFactors) != 0 {
		t.Fatalf("factors after off: %v", st.SecondFactors)
	}
	flNew(t, env).signIn("texts@example.com", pw)
	mfaWaitSubject(t, env, "texts@example.com", "turned off")
	if s := mfaMailSubjects(env, "texts@example.com"); len(s) != 2 || !strings.Contains(s[1], "Two-step verification was turned off") {
		t.Fatalf("mails: %v", s)
	}
}

// TestMFASMSPages walks the factor-two and profile pages with text
// message codes beside an authenticator app.
func TestMFASMSPages(t *testing.T) {
	t.Parallel()
	env, sms := pwEnv(t)
	const phone = "+14155550172"
	c, pw := mfaPhoneUser(t, env, sms, "pages@example.com", phone)
	secret, _ := mfaEnrolAPI(t, env, c, pw)
	page := c.get("/auth/profile/mfa").want(http.StatusOK)
	page.contains("Turn on text message codes", "Your authenticator app is set up.")
	if loc := c.postForm("/auth/profile/mfa/sms", url.Values{}).want(http.StatusSeeOther).location(); loc != "/auth/profile/mfa" {
		t.Fatalf("turning on went to %q", loc)
	}
	c.get("/auth/profile/mfa").want(http.StatusOK).contains("Turn off text message codes", "a code from your authenticator app, a code texted to your phone")

	s := flNew(t, env)
	s.postForm("/auth/sign-in", url.Values{"email": {"pages@example.com"}, "password": {pw}, "redirect_url": {"/app/x"}}).want(http.StatusSeeOther)
	s.get("/auth/sign-in/factor-two?redirect_url=%2Fapp%2Fx").want(http.StatusOK).contains("Use a text message instead", "Authentication code")
	s.get("/auth/sign-in/factor-two?method=sms&redirect_url=%2Fapp%2Fx").want(http.StatusOK).contains("Text me a code", "Use your authenticator app instead")
	loc := s.postForm("/auth/sign-in/factor-two/sms", url.Values{"redirect_url": {"/app/x"}}).want(http.StatusSeeOther).location()
	if loc != "/auth/sign-in/factor-two?method=sms&redirect_url=%2Fapp%2Fx" {
		t.Fatalf("after sending: %q", loc)
	}
	s.get(loc).want(http.StatusOK).contains("Enter the code we texted to", "Code from the text message")
	code := pwSMSCode(t, env, sms, phone)
	s.postForm("/auth/sign-in/factor-two", url.Values{"method": {"sms"}, "code": {"12"}, "redirect_url": {"/app/x"}}).want(http.StatusUnprocessableEntity).fieldError("code")
	if loc := s.postForm("/auth/sign-in/factor-two", url.Values{"method": {"sms"}, "code": {code}, "redirect_url": {"/app/x"}}).want(http.StatusSeeOther).location(); loc != "/app/x" {
		t.Fatalf("signed in to %q", loc)
	}
	// With an authenticator app, reverification asks for its code, not a text.
	env.Clock.Advance(auth.DefaultReverificationAge + time.Second)
	c.get("/auth/reverify").want(http.StatusOK).contains("Code from your authenticator app, or a backup code").notContains("Text me a code")
	c.postJSON("/auth/api/reverify", map[string]string{"password": pw, "code": mfaCode(t, env, secret)}).want(http.StatusOK)
	if loc := c.postForm("/auth/profile/mfa/sms/disable", url.Values{}).want(http.StatusSeeOther).location(); loc != "/auth/profile/mfa" {
		t.Fatalf("turning off went to %q", loc)
	}
	mfaWaitSubject(t, env, "pages@example.com", "Text message codes were turned off")
	if s := mfaMailSubjects(env, "pages@example.com"); len(s) != 3 || !strings.Contains(s[2], "Text message codes were turned off") {
		t.Fatalf("mails: %v", s)
	}
}

// TestMFASMSReverifyEightDigits: with 8-digit codes, a text message code
// at the second step of a reverification is not taken for a backup code.
func TestMFASMSReverifyEightDigits(t *testing.T) {
	t.Parallel()
	env, sms := pwEnv(t, func(c *auth.Config) { c.Passwordless.CodeLength = 8 })
	const phone = "+14155550174"
	c, pw := mfaPhoneUser(t, env, sms, "eight@example.com", phone)
	c.postJSON("/auth/api/me/mfa/sms", map[string]any{}).want(http.StatusOK)
	env.Clock.Advance(auth.DefaultReverificationAge + time.Second)
	c.postJSON("/auth/api/reverify/sms-code", map[string]any{}).want(http.StatusOK)
	code := pwSMSCode(t, env, sms, phone)
	if len(code) != 8 {
		t.Fatalf("code %q", code)
	}
	c.postJSON("/auth/api/reverify", map[string]string{"password": pw, "code": code}).want(http.StatusOK)
	// The method field is for the pages' forms only.
	c.postJSON("/auth/api/reverify", map[string]string{"password": pw, "method": "passkey"}).wantError(http.StatusBadRequest, "unknown_field")
}
