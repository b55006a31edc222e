package auth_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/authtest"
)

var (
	mfaSecretPattern = regexp.MustCompile(`<code id="totp-secret">([A-Z2-7]+)</code>`)
	mfaBackupPattern = regexp.MustCompile(`<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>`)
)

// mfaWaitSubject waits until a mail to `to` whose subject contains s
// has arrived (the notices are delivered in the background).
func mfaWaitSubject(t *testing.T, env *authtest.Env, to, s string) {
	t.Helper()
	for !strings.Contains(flWaitMail(t, env, to).Subject, s) {
	}
}

// mfaMailSubjects lists the subjects of the mail to `to` that mention
// two-step verification or backup codes.
func mfaMailSubjects(env *authtest.Env, to string) []string {
	var out []string
	for _, m := range flMailTo(env, to) {
		if strings.Contains(m.Subject, "Two-step") || strings.Contains(m.Subject, "backup codes") || strings.Contains(m.Subject, "Text message codes") {
			out = append(out, m.Subject)
		}
	}
	return out
}

func TestT23_EnrolFromProfile(t *testing.T) {
	env := authtest.New(t)
	pw := authtest.Password()
	env.CreateUser(t, "ann@example.com", pw)
	c := flNew(t, env)
	c.signIn("ann@example.com", pw)

	page := c.get("/auth/profile/mfa").want(http.StatusOK)
	if !strings.Contains(string(page.body), "Set up an authenticator app") {
		t.Fatalf("mfa page: %s", page.body)
	}
	// Confirming without a pending secret fails cleanly.
	c.postForm("/auth/profile/mfa/totp/confirm", url.Values{"code": {"123456"}}).want(http.StatusConflict)
	// Starting needs the password once the sign-in is older than the
	// reverification window.
	env.Clock.Advance(auth.DefaultReverificationAge + time.Second)
	c.postForm("/auth/profile/mfa/totp", url.Values{"password": {"wrong-password-123"}}).want(http.StatusUnprocessableEntity)
	c.postForm("/auth/profile/mfa/totp", url.Values{}).want(http.StatusUnprocessableEntity)
	c.postForm("/auth/profile/mfa/totp", url.Values{"password": {pw}}).want(http.StatusSeeOther)

	page = c.get("/auth/profile/mfa").want(http.StatusOK)
	m := mfaSecretPattern.FindSubmatch(page.body)
	if m == nil || !strings.Contains(string(page.body), `src="data:image/png;base64,`) {
		t.Fatalf("enrolment page without secret or QR: %s", page.body)
	}
	secret := string(m[1])
	if len(secret) < 32 { // 160 bits in base32
		t.Fatalf("secret %q is short", secret)
	}
	// A wrong or malformed code does not enable MFA.
	stale, _ := auth.TOTPCodeForTest(secret, env.Clock.Now().Add(-5*time.Minute))
	for _, code := range []string{stale, "12345", "abcdef", ""} {
		c.postForm("/auth/profile/mfa/totp/confirm", url.Values{"code": {code}}).want(http.StatusUnprocessableEntity)
	}
	if r := c.postJSON("/auth/api/sign-out", nil); r.status != http.StatusOK {
		t.Fatal(r.status)
	}
	flNew(t, env).signIn("ann@example.com", pw) // still one factor

	c = flNew(t, env)
	c.signIn("ann@example.com", pw)
	done := c.postForm("/auth/profile/mfa/totp/confirm", url.Values{"code": {mfaCode(t, env, secret)}}).want(http.StatusOK)
	codes := mfaBackupPattern.FindAllStringSubmatch(string(done.body), -1)
	if len(codes) != 10 || !strings.Contains(string(done.body), `download="backup-codes.txt"`) {
		t.Fatalf("backup codes page: %s", done.body)
	}
	if !strings.Contains(html.UnescapeString(string(done.body)), "data:text/plain") {
		t.Fatal("no text download")
	}
	mfaWaitSubject(t, env, "ann@example.com", "turned on")
	if s := mfaMailSubjects(env, "ann@example.com"); len(s) != 1 || !strings.Contains(s[0], "turned on") {
		t.Fatalf("mail after enrolment: %v", s)
	}
	page = c.get("/auth/profile/mfa").want(http.StatusOK)
	if !strings.Contains(string(page.body), "You have 10 unused backup codes.") {
		t.Fatalf("mfa page when on: %s", page.body)
	}

	// Sign-in now needs the second factor; a backup code from the page works.
	env.Clock.Advance(30 * time.Second)
	s := flNew(t, env)
	mfaFirstStep(t, s, "ann@example.com", pw)
	s.postJSON("/auth/api/sign-in/factor-two", map[string]string{"method": "backup_code", "code": codes[0][1]}).want(http.StatusOK)

	// Regenerating needs the password and kills the old set.
	c.postForm("/auth/profile/mfa/backup-codes", url.Values{"password": {"wrong-password-123"}}).want(http.StatusUnprocessableEntity)
	fresh := c.postForm("/auth/profile/mfa/backup-codes", url.Values{"password": {pw}}).want(http.StatusOK)
	newCodes := mfaBackupPattern.FindAllStringSubmatch(string(fresh.body), -1)
	if len(newCodes) != 10 {
		t.Fatalf("regenerated: %s", fresh.body)
	}
	s = flNew(t, env)
	mfaFirstStep(t, s, "ann@example.com", pw)
	s.postJSON("/auth/api/sign-in/factor-two", map[string]string{"method": "backup_code", "code": codes[1][1]}).
		wantError(http.StatusUnprocessableEntity, "incorrect_code")
	s.postJSON("/auth/api/sign-in/factor-two", map[string]string{"method": "backup_code", "code": newCodes[0][1]}).want(http.StatusOK)

	// Past the reverification window, disabling needs both factors again:
	// the password alone sends the browser to the reverification page.
	env.Clock.Advance(auth.DefaultReverificationAge + time.Second)
	if loc := c.postForm("/auth/profile/mfa/disable", url.Values{"password": {pw}}).want(http.StatusSeeOther).location(); loc != "/auth/reverify?redirect_url=%2Fauth%2Fprofile%2Fmfa" {
		t.Fatalf("disable without a recent proof went to %q", loc)
	}
	c.postForm("/auth/profile/mfa/disable", url.Values{"password": {"wrong-password-123"}}).want(http.StatusUnprocessableEntity)
	mfaFirstStep(t, flNew(t, env), "ann@example.com", pw) // still on
	c.postForm("/auth/reverify", url.Values{"password": {pw}, "redirect_url": {"/auth/profile/mfa"}}).want(http.StatusUnprocessableEntity).fieldError("code")
	if loc := c.postForm("/auth/reverify", url.Values{"password": {pw}, "code": {mfaCode(t, env, secret)}, "redirect_url": {"/auth/profile/mfa"}}).want(http.StatusSeeOther).location(); loc != "/auth/profile/mfa" {
		t.Fatalf("reverification went to %q", loc)
	}
	c.postForm("/auth/profile/mfa/disable", url.Values{}).want(http.StatusSeeOther)
	flNew(t, env).signIn("ann@example.com", pw)
	mfaWaitSubject(t, env, "ann@example.com", "turned off")
	if s := mfaMailSubjects(env, "ann@example.com"); len(s) != 3 || !strings.Contains(s[1], "backup codes") || !strings.Contains(s[2], "turned off") {
		t.Fatalf("mail: %v", s)
	}
}

func TestMFAProfileNeedsSignIn(t *testing.T) {
	env := authtest.New(t)
	c := flNew(t, env)
	if r := c.get("/auth/profile/mfa"); r.status != http.StatusSeeOther {
		t.Fatalf("signed out: %d", r.status)
	}
	for _, p := range []string{"/auth/profile/mfa/totp", "/auth/profile/mfa/totp/confirm", "/auth/profile/mfa/backup-codes", "/auth/profile/mfa/disable"} {
		if r := c.postForm(p, url.Values{"code": {"123456"}, "password": {"x"}}); r.status < 300 || r.status == http.StatusOK {
			t.Errorf("%s signed out: %d", p, r.status)
		}
	}
}
