package auth_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/authtest"
)

// mfaEnrolAPI turns on TOTP for c's user through the JSON API and returns
// the secret and the backup codes.
func mfaEnrolAPI(t *testing.T, env *authtest.Env, c *flClient, pw string) (string, []string) {
	t.Helper()
	var begin struct {
		Secret string `json:"secret"`
		URI    string `json:"uri"`
		QR     string `json:"qr_code"`
	}
	c.postJSON("/auth/api/me/mfa/totp", map[string]string{"password": pw}).want(http.StatusOK).decode(&begin)
	if len(begin.Secret) != 32 || !strings.Contains(begin.URI, "secret="+begin.Secret) || !strings.HasPrefix(begin.QR, "data:image/png;base64,") {
		t.Fatalf("enrolment: %+v", begin)
	}
	var done struct {
		BackupCodes []string `json:"backup_codes"`
	}
	c.postJSON("/auth/api/me/mfa/totp/confirm", map[string]string{"code": mfaCode(t, env, begin.Secret)}).want(http.StatusOK).decode(&done)
	if len(done.BackupCodes) != 10 {
		t.Fatalf("backup codes: %v", done.BackupCodes)
	}
	env.Clock.Advance(30 * time.Second)
	return begin.Secret, done.BackupCodes
}

// TestMFAAPI drives enrolment, status, new backup codes and turning off
// through the JSON API, with the bad inputs a client can send.
func TestMFAAPI(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	pw := authtest.Password()
	env.CreateUser(t, "api-mfa@example.com", pw)
	c := flNew(t, env)
	c.signIn("api-mfa@example.com", pw)

	var st struct {
		TOTP            bool     `json:"totp"`
		BackupCodesLeft int      `json:"backup_codes_left"`
		Pending         bool     `json:"pending"`
		Required        bool     `json:"required"`
		SecondFactors   []string `json:"second_factors"`
	}
	c.get("/auth/api/me/mfa").want(http.StatusOK).decode(&st)
	if st.TOTP || st.Pending || st.Required || len(st.SecondFactors) != 0 {
		t.Fatalf("status before: %+v", st)
	}
	flNew(t, env).get("/auth/api/me/mfa").wantError(http.StatusUnauthorized, "unauthenticated")
	// Confirming before starting, then bad codes.
	c.postJSON("/auth/api/me/mfa/totp/confirm", map[string]string{"code": "123456"}).wantError(http.StatusConflict, "enrolment_not_started")
	c.postJSON("/auth/api/me/mfa/totp", map[string]string{"password": "wrong-password-123"}).wantError(http.StatusUnprocessableEntity, "incorrect_password")
	c.postJSON("/auth/api/me/mfa/totp", map[string]any{}).want(http.StatusOK) // just signed in: no password needed
	c.get("/auth/api/me/mfa").want(http.StatusOK).decode(&st)
	if !st.Pending || st.TOTP {
		t.Fatalf("status while pending: %+v", st)
	}
	for _, bad := range []string{"", "12345", "1234567", "abcdef", "12 34 5x"} {
		r := c.postJSON("/auth/api/me/mfa/totp/confirm", map[string]string{"code": bad})
		if r.status != http.StatusUnprocessableEntity {
			t.Fatalf("code %q: %d %s", bad, r.status, r.body)
		}
	}
	c.postJSON("/auth/api/me/mfa/totp/confirm", map[string]string{"code": "123456"}).wantError(http.StatusUnprocessableEntity, "incorrect_code")
	c.get("/auth/api/me/mfa").want(http.StatusOK).decode(&st)
	if st.TOTP {
		t.Fatal("a wrong code turned MFA on")
	}

	other := flNew(t, env) // another device of the same user
	other.signIn("api-mfa@example.com", pw)
	before := c.sessionCookie()
	secret, codes := mfaEnrolAPI(t, env, c, pw)
	// A second-factor change signs the other devices out and renews this
	// one's token.
	other.get("/auth/api/me").wantError(http.StatusUnauthorized, "unauthenticated")
	if c.sessionCookie() == before {
		t.Error("the cookie token was not renewed")
	}
	if me := c.me(); !strings.Contains(string(c.get("/auth/api/me").body), `"two_factor_enabled":true`) {
		t.Fatalf("me after enrolment: %+v", me)
	}
	c.get("/auth/api/me/mfa").want(http.StatusOK).decode(&st)
	if !st.TOTP || st.BackupCodesLeft != 10 || strings.Join(st.SecondFactors, ",") != "totp,backup_code" {
		t.Fatalf("status after: %+v", st)
	}
	c.postJSON("/auth/api/me/mfa/totp", map[string]any{}).wantError(http.StatusConflict, "mfa_already_enabled")
	mfaWaitSubject(t, env, "api-mfa@example.com", "turned on")
	if s := mfaMailSubjects(env, "api-mfa@example.com"); len(s) != 1 || !strings.Contains(s[0], "turned on") {
		t.Fatalf("mails: %v", s)
	}

	// Past the window, new backup codes need both factors again.
	env.Clock.Advance(auth.DefaultReverificationAge + time.Second)
	c.postJSON("/auth/api/me/mfa/backup-codes", map[string]string{"password": pw}).wantError(http.StatusForbidden, "reverification_required")
	c.postJSON("/auth/api/reverify", map[string]string{"password": pw, "code": mfaCode(t, env, secret)}).want(http.StatusOK)
	var fresh struct {
		BackupCodes []string `json:"backup_codes"`
	}
	c.postJSON("/auth/api/me/mfa/backup-codes", map[string]any{}).want(http.StatusOK).decode(&fresh)
	if len(fresh.BackupCodes) != 10 || fresh.BackupCodes[0] == codes[1] {
		t.Fatalf("new codes: %v", fresh.BackupCodes)
	}
	// The old set is dead.
	s := flNew(t, env)
	mfaFirstStep(t, s, "api-mfa@example.com", pw)
	s.postJSON("/auth/api/sign-in/factor-two", map[string]string{"method": "backup_code", "code": codes[1]}).wantError(http.StatusUnprocessableEntity, "incorrect_code")

	// Turning off.
	c.deleteJSON("/auth/api/me/mfa", map[string]string{"password": "wrong-password-123"}).wantError(http.StatusUnprocessableEntity, "incorrect_password")
	c.deleteJSON("/auth/api/me/mfa", map[string]any{}).want(http.StatusOK)
	c.deleteJSON("/auth/api/me/mfa", map[string]any{}).wantError(http.StatusConflict, "mfa_not_enabled")
	c.postJSON("/auth/api/me/mfa/backup-codes", map[string]any{}).wantError(http.StatusConflict, "mfa_not_enabled")
	flNew(t, env).signIn("api-mfa@example.com", pw) // one factor again
	mfaWaitSubject(t, env, "api-mfa@example.com", "turned off")
	if s := mfaMailSubjects(env, "api-mfa@example.com"); len(s) != 3 || !strings.Contains(s[1], "backup codes") || !strings.Contains(s[2], "turned off") {
		t.Fatalf("mails: %v", s)
	}
}

// TestMFAPolicyRequired: with MFARequired, a user without two-step
// verification is sent to set it up; until then the app sees no user, API
// clients get mfa_enrollment_required and no token is minted.
func TestMFAPolicyRequired(t *testing.T) {
	t.Parallel()
	env := authtest.New(t, func(c *auth.Config) { c.MFA.Policy = auth.MFARequired })
	pw := authtest.Password()
	u := env.CreateUser(t, "must@example.com", pw)
	c := flNew(t, env)
	r := c.postForm("/auth/sign-in", url.Values{"email": {"must@example.com"}, "password": {pw}, "redirect_url": {"/app/home"}}).want(http.StatusSeeOther)
	if loc := r.location(); loc != "/auth/profile/mfa?redirect_url=%2Fapp%2Fhome" {
		t.Fatalf("after sign-in: %q", loc)
	}
	// RequireUser: browsers go to the set-up page, API clients get 403.
	if loc := c.get("/app/home").want(http.StatusSeeOther).location(); loc != "/auth/profile/mfa?redirect_url=%2Fapp%2Fhome" {
		t.Fatalf("app page: %q", loc)
	}
	c.do("GET", "/app/home", "", nil, "Accept", "application/json").wantError(http.StatusForbidden, "mfa_enrollment_required")
	c.get("/auth/api/token").wantError(http.StatusForbidden, "mfa_enrollment_required")
	// Middleware alone shows no user to the app.
	if v := ogProbe(t, env, c); v.SignedIn {
		t.Fatal("the app sees a user who has not enrolled")
	}
	// The set-up page says why and cannot be turned off afterwards.
	page := c.get("/auth/profile/mfa?redirect_url=%2Fapp%2Fhome").want(http.StatusOK)
	page.contains("Your account requires two-step verification", `name="redirect_url" value="/app/home"`)

	mfaEnrolAPI(t, env, c, pw)
	if body := string(c.get("/app/home").want(http.StatusOK).body); body != "user:"+u.ID {
		t.Fatalf("app page after enrolment: %q", body)
	}
	if v := ogProbe(t, env, c); !v.SignedIn {
		t.Fatal("the app does not see the enrolled user")
	}
	c.get("/auth/api/token").want(http.StatusOK)
	c.deleteJSON("/auth/api/me/mfa", map[string]any{}).wantError(http.StatusConflict, "mfa_required")
	c.get("/auth/profile/mfa").want(http.StatusOK).notContains(`action="/auth/profile/mfa/disable"`)
}

// TestMFAPolicyOrganization: an organization that requires two-step
// verification cannot be entered by a member without it, and only an
// admin with it can require it.
func TestMFAPolicyOrganization(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	ann := ogSignIn(t, env, "ann@mfa-org.example")
	org := ogCreate(t, ann, "Vault", "vault")
	bob := ogJoin(t, env, ann, org.Organization.ID, "bob@mfa-org.example", "org:member")
	if v := ogProbe(t, env, bob.flClient); v.OrgID != org.Organization.ID {
		t.Fatalf("bob's active org before: %+v", v)
	}

	// Ann must have two-step verification herself first.
	ann.patchJSON("/auth/api/orgs/"+org.Organization.ID, map[string]any{"require_mfa": true}).wantError(http.StatusForbidden, "mfa_enrollment_required")
	bob.patchJSON("/auth/api/orgs/"+org.Organization.ID, map[string]any{"require_mfa": true}).wantError(http.StatusForbidden, "permission_denied")
	mfaEnrolAPI(t, env, ann.flClient, ann.pw)
	var out struct {
		Organization struct {
			RequireMFA bool `json:"require_mfa"`
		} `json:"organization"`
	}
	ann.patchJSON("/auth/api/orgs/"+org.Organization.ID, map[string]any{"require_mfa": true}).want(http.StatusOK).decode(&out)
	if !out.Organization.RequireMFA {
		t.Fatal("require_mfa not set")
	}
	// Bob's session no longer has the organization, and he cannot enter it.
	if v := ogProbe(t, env, bob.flClient); v.OrgID != "" || v.OK {
		t.Fatalf("bob still in the org: %+v", v)
	}
	if v := ogProbe(t, env, ann.flClient); v.OrgID != org.Organization.ID {
		t.Fatalf("ann left the org: %+v", v)
	}
	bob.postJSON("/auth/api/orgs/active", map[string]string{"org_id": org.Organization.ID}).wantError(http.StatusForbidden, "mfa_enrollment_required")
	page := bob.get("/auth/profile/mfa").want(http.StatusOK)
	page.contains("Vault requires two-step verification")
	var st struct {
		Required bool `json:"required"`
	}
	bob.get("/auth/api/me/mfa").want(http.StatusOK).decode(&st)
	if !st.Required {
		t.Fatal("status does not say it is required")
	}
	// Once enrolled, he can enter.
	mfaEnrolAPI(t, env, bob.flClient, bob.pw)
	bob.postJSON("/auth/api/orgs/active", map[string]string{"org_id": org.Organization.ID}).want(http.StatusOK)
	if v := ogProbe(t, env, bob.flClient); v.OrgID != org.Organization.ID {
		t.Fatalf("bob after enrolling: %+v", v)
	}
	// Turning MFA off leaves him outside again (it stays possible).
	bob.deleteJSON("/auth/api/me/mfa", map[string]any{}).want(http.StatusOK)
	if v := ogProbe(t, env, bob.flClient); v.OrgID != "" {
		t.Fatalf("bob without MFA: %+v", v)
	}
	// A new member invited to the organization joins without entering it.
	cy := ogSignIn(t, env, "cy@mfa-org.example")
	_, token := ogInvite(t, env, ann, org.Organization.ID, "cy@mfa-org.example", "org:member")
	cy.postJSON("/auth/api/orgs/invitations/accept", map[string]string{"token": token}).want(http.StatusOK)
	if v := ogProbe(t, env, cy.flClient); v.OrgID != "" {
		t.Fatalf("cy entered without MFA: %+v", v)
	}
	// Changing the requirement is a sensitive change.
	env.Clock.Advance(auth.DefaultReverificationAge + time.Second)
	ann.patchJSON("/auth/api/orgs/"+org.Organization.ID, map[string]any{"require_mfa": false}).wantError(http.StatusForbidden, "reverification_required")
	// The settings form sends the browser to confirm it's them, and back.
	loc := ogForm(ann.flClient, "/auth/orgs/"+org.Organization.ID+"/security").want(http.StatusSeeOther).location()
	if want := "/auth/reverify?redirect_url=" + url.QueryEscape("/auth/orgs/"+org.Organization.ID+"?tab=general"); loc != want {
		t.Fatalf("security form went to %q, want %q", loc, want)
	}
}
