package auth_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/authtest"
	"github.com/embedauth/auth/internal/oidctest"
)

// srMode saves sign-up settings through the Go API, as an administrator's
// change at run time would.
func srMode(t testing.TB, env *authtest.Env, s auth.SignUpSettings) {
	t.Helper()
	if _, err := env.Auth.UpdateSignUpSettings(context.Background(), s); err != nil {
		t.Fatal(err)
	}
}

// srUserCount counts the users.
func srUserCount(t testing.TB, env *authtest.Env) int {
	t.Helper()
	var n int
	if err := env.Auth.Store().SQL().QueryRow(`SELECT COUNT(*) FROM auth_users`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSignUpRestrictions_PasswordSignUp(t *testing.T) {
	t.Parallel()
	env := authtest.New(t, func(c *auth.Config) {
		c.SignUp.Blocklist = []string{"blocked.example", "eve@example.com"}
		c.SignUp.DisposableDomains = []string{"throwaway.example"}
	})
	c := flNew(t, env)
	pw := authtest.Password()
	for _, tc := range []struct{ email, code string }{
		{"eve@example.com", "email_blocked"},
		{"x@mx.blocked.example", "email_blocked"},
		{"x@mailinator.com", "email_disposable"},
		{"x@sub.throwaway.example", "email_disposable"},
	} {
		c.postJSON("/auth/api/sign-up", map[string]string{"email": tc.email, "password": pw}).
			wantError(http.StatusUnprocessableEntity, tc.code).wantField("email")
	}
	// The form shows the reason beside the field.
	c.postForm("/auth/sign-up", url.Values{"email": {"x@yopmail.com"}, "password": {pw}}).
		want(http.StatusUnprocessableEntity).fieldError("email").contains("Disposable email addresses can't be used")

	srMode(t, env, auth.SignUpSettings{Mode: auth.SignUpRestricted})
	c.postJSON("/auth/api/sign-up", map[string]string{"email": "ann@example.com", "password": pw}).
		wantError(http.StatusForbidden, "sign_up_restricted")
	c.get("/auth/sign-up").want(http.StatusOK).contains("Sign-up is by invitation only")
	c.postForm("/auth/sign-up", url.Values{"email": {"ann@example.com"}, "password": {pw}}).
		want(http.StatusForbidden).alert().contains("Sign-up is by invitation only")

	// An invited address gets in; the invitation mail links to the sign-up page.
	if err := env.Auth.InviteToSignUp(context.Background(), "Ann@Example.com"); err != nil {
		t.Fatal(err)
	}
	m := flWaitMail(t, env, "Ann@Example.com")
	if !strings.Contains(m.Text, env.URL+"/auth/sign-up?email=Ann%40Example.com") {
		t.Errorf("invitation mail has no sign-up link:\n%s", m.Text)
	}
	flStartSignUp(c, "ann@example.com", pw)
	code := flVerificationCode(t, env, "ann@example.com")
	c.postJSON("/auth/api/sign-up/verify", map[string]string{"code": code}).want(http.StatusOK)

	// Saved settings win over Config until reset.
	if err := env.Auth.ResetSignUpSettings(context.Background()); err != nil {
		t.Fatal(err)
	}
	flNew(t, env).postJSON("/auth/api/sign-up", map[string]string{"email": "bob@example.com", "password": pw}).want(http.StatusAccepted)
}

func TestSignUpRestrictions_WaitlistApproveInvites(t *testing.T) {
	t.Parallel()
	env := authtest.New(t, func(c *auth.Config) { c.SignUp.Mode = auth.SignUpWaitlist })
	c := flNew(t, env)
	pw := authtest.Password()
	c.postJSON("/auth/api/sign-up", map[string]string{"email": "ann@example.com", "password": pw}).
		wantError(http.StatusForbidden, "sign_up_waitlist")
	c.get("/auth/sign-up").want(http.StatusOK).contains("Join the waitlist", `href="/auth/waitlist"`)

	// Joining answers the same for a new address, one on the list, and
	// an account's; a disposable address is told why.
	env.CreateUser(t, "owner@example.com", pw)
	for _, email := range []string{"ann@example.com", "ANN@example.com", "owner@example.com"} {
		var out struct{ Status string }
		c.postJSON("/auth/api/waitlist", map[string]string{"email": email, "name": "Ann"}).want(http.StatusAccepted).decode(&out)
		if out.Status != "waitlisted" {
			t.Errorf("join %s: %+v", email, out)
		}
	}
	c.postJSON("/auth/api/waitlist", map[string]string{"email": "x@mailinator.com"}).wantError(http.StatusUnprocessableEntity, "email_disposable")
	c.postForm("/auth/waitlist", url.Values{"email": {"cat@example.com"}}).want(http.StatusOK).contains("You're on the list")

	list, err := env.Auth.Waitlist(context.Background(), "pending")
	ids := map[string]string{}
	for _, e := range list {
		ids[e.Email] = e.ID
	}
	if err != nil || len(list) != 3 || ids["ann@example.com"] == "" || ids["cat@example.com"] == "" {
		t.Fatalf("waitlist = %+v, %v", list, err)
	}
	if _, err := env.Auth.RejectWaitlistEntry(context.Background(), ids["cat@example.com"]); err != nil {
		t.Fatal(err)
	}
	e, err := env.Auth.ApproveWaitlistEntry(context.Background(), ids["ann@example.com"])
	if err != nil || e.Status != "approved" || e.Name != "Ann" {
		t.Fatalf("approve: %+v, %v", e, err)
	}
	if _, err := env.Auth.ApproveWaitlistEntry(context.Background(), ids["ann@example.com"]); err == nil {
		t.Error("approving twice succeeded")
	}
	m := flWaitMail(t, env, "ann@example.com")
	if !strings.Contains(m.Subject, "invitation") || !strings.Contains(m.Text, "/auth/sign-up?email=") {
		t.Errorf("invitation mail %q:\n%s", m.Subject, m.Text)
	}
	// The approved address signs up; the rejected one is still refused.
	flStartSignUp(c, "ann@example.com", pw)
	c.postJSON("/auth/api/sign-up/verify", map[string]string{"code": flVerificationCode(t, env, "ann@example.com")}).want(http.StatusOK)
	flNew(t, env).postJSON("/auth/api/sign-up", map[string]string{"email": "cat@example.com", "password": pw}).
		wantError(http.StatusForbidden, "sign_up_waitlist")

	// Outside waitlist mode there is no waitlist.
	srMode(t, env, auth.SignUpSettings{Mode: auth.SignUpRestricted})
	c.get("/auth/waitlist").want(http.StatusNotFound)
	c.postJSON("/auth/api/waitlist", map[string]string{"email": "dan@example.com"}).wantError(http.StatusNotFound, "waitlist_closed")
}

// TestSignUpRestrictions_Passwordless: a code, link or text message to a
// new address is sent as before (the answer never tells whether an
// address has an account), but the proven address creates no account
// while sign-up is closed to it; an existing account still signs in.
func TestSignUpRestrictions_Passwordless(t *testing.T) {
	t.Parallel()
	env, sms := pwEnv(t, func(c *auth.Config) { c.SignUp.Mode = auth.SignUpRestricted })
	env.CreateUser(t, "old@example.com", authtest.Password())

	c := flNew(t, env)
	c.postJSON("/auth/api/sign-up/email-code", map[string]string{"email": "new@example.com"}).want(http.StatusAccepted)
	c.postJSON("/auth/api/code/verify", map[string]string{"code": pwMailCode(t, env, "new@example.com")}).
		wantError(http.StatusForbidden, "sign_up_restricted")

	c = flNew(t, env)
	c.postJSON("/auth/api/sign-up/magic-link", map[string]string{"email": "link@example.com"}).want(http.StatusAccepted)
	c.postJSON("/auth/api/magic-link/verify", map[string]string{"token": pwLink(t, env, "link@example.com")}).
		wantError(http.StatusForbidden, "sign_up_restricted")

	c = flNew(t, env)
	c.postJSON("/auth/api/sign-up/sms", map[string]string{"phone": "+15555550123"}).want(http.StatusAccepted)
	c.postJSON("/auth/api/code/verify", map[string]string{"code": pwSMSCode(t, env, sms, "+15555550123")}).
		wantError(http.StatusForbidden, "sign_up_restricted")

	if n := srUserCount(t, env); n != 1 {
		t.Fatalf("%d users, want only the existing one", n)
	}
	c = flNew(t, env)
	c.postJSON("/auth/api/sign-in/email-code", map[string]string{"email": "old@example.com"}).want(http.StatusAccepted)
	c.postJSON("/auth/api/code/verify", map[string]string{"code": pwMailCode(t, env, "old@example.com")}).want(http.StatusOK)

	// A disposable address is refused once proven, in any mode.
	srMode(t, env, auth.SignUpSettings{Mode: auth.SignUpPublic})
	c = flNew(t, env)
	c.postJSON("/auth/api/sign-up/email-code", map[string]string{"email": "x@guerrillamail.com"}).want(http.StatusAccepted)
	c.postJSON("/auth/api/code/verify", map[string]string{"code": pwMailCode(t, env, "x@guerrillamail.com")}).
		wantError(http.StatusUnprocessableEntity, "email_disposable")
	// An invited address signs up by code.
	if err := env.Auth.InviteToSignUp(context.Background(), "new2@example.com"); err != nil {
		t.Fatal(err)
	}
	flWaitMail(t, env, "new2@example.com") // the invitation
	srMode(t, env, auth.SignUpSettings{Mode: auth.SignUpRestricted})
	c = flNew(t, env)
	c.postJSON("/auth/api/sign-up/email-code", map[string]string{"email": "new2@example.com"}).want(http.StatusAccepted)
	c.postJSON("/auth/api/code/verify", map[string]string{"code": pwMailCode(t, env, "new2@example.com")}).want(http.StatusOK)
}

func TestSignUpRestrictions_PasskeySignUp(t *testing.T) {
	t.Parallel()
	env := authtest.New(t, func(c *auth.Config) { c.SignUp.Mode = auth.SignUpRestricted })
	c := flNew(t, env)
	c.postJSON("/auth/api/passkeys/sign-up", map[string]string{"email": "ann@example.com"}).wantError(http.StatusForbidden, "sign_up_restricted")
	c.postJSON("/auth/api/passkeys/sign-up", map[string]string{"email": "x@10minutemail.com"}).wantError(http.StatusUnprocessableEntity, "email_disposable")
	if err := env.Auth.InviteToSignUp(context.Background(), "ann@example.com"); err != nil {
		t.Fatal(err)
	}
	c.postJSON("/auth/api/passkeys/sign-up", map[string]string{"email": "ann@example.com"}).want(http.StatusAccepted)
}

func TestSignUpRestrictions_SocialSignUp(t *testing.T) {
	t.Parallel()
	env := newSocialEnv(t, func(c *auth.Config) { c.SignUp.Mode = auth.SignUpRestricted })
	env.op.SetUser(oidctest.User{Subject: "kc-1", Email: "ada@example.com", EmailVerified: true, Name: "Ada"})
	before := snapshot(t, env.Env)
	socialSignIn(t, flNew(t, env.Env), "idp").want(http.StatusForbidden).contains("Sign-up is by invitation only")
	if n := snapshot(t, env.Env).users; n != before.users {
		t.Fatalf("a refused social sign-up created a user")
	}
	// An account of the address signs in (its identity links), and an
	// invited address signs up.
	env.CreateUser(t, "ada@example.com", authtest.Password())
	env.op.SetUser(oidctest.User{Subject: "kc-2", Email: "bob@example.com", EmailVerified: true, Name: "Bob"})
	if err := env.Auth.InviteToSignUp(context.Background(), "bob@example.com"); err != nil {
		t.Fatal(err)
	}
	c := flNew(t, env.Env)
	socialSignIn(t, c, "idp").want(http.StatusSeeOther)
	if me := c.me().User; me.Email != "bob@example.com" {
		t.Errorf("signed up as %+v", me)
	}
	// Blocked addresses never sign up, whatever the mode.
	srMode(t, env.Env, auth.SignUpSettings{Mode: auth.SignUpPublic, Blocklist: []string{"evil.example"}})
	env.op.SetUser(oidctest.User{Subject: "kc-3", Email: "x@evil.example", EmailVerified: true})
	socialSignIn(t, flNew(t, env.Env), "idp").want(http.StatusUnprocessableEntity).contains("can't be used to sign up")
}

// TestSignUpRestrictions_OrgInvitationLetsIn: in restricted mode a
// pending organization invitation lets its address sign up and accept.
func TestSignUpRestrictions_OrgInvitationLetsIn(t *testing.T) {
	t.Parallel()
	env := authtest.New(t, func(c *auth.Config) { c.SignUp.Mode = auth.SignUpRestricted })
	admin := ogSignIn(t, env, "boss@example.com")
	org := ogCreate(t, admin, "Acme", "acme")
	_, token := ogInvite(t, env, admin, org.Organization.ID, "new@example.com", "org:member")

	c := flNew(t, env)
	c.get("/auth/orgs/invitation?token=" + token).want(http.StatusSeeOther)
	c.get("/auth/orgs/invitation").want(http.StatusOK).contains("Acme")
	pw := authtest.Password()
	c.postForm("/auth/sign-up", url.Values{"email": {"new@example.com"}, "password": {pw}, "redirect_url": {"/auth/orgs/invitation"}}).
		want(http.StatusSeeOther)
	c.postJSON("/auth/api/sign-up/verify", map[string]string{"code": flVerificationCode(t, env, "new@example.com")}).want(http.StatusOK)
	// Creating the account accepted the invitation.
	if me := c.me(); me.User.Email != "new@example.com" {
		t.Fatalf("me = %+v", me.User)
	}
	var list struct {
		Organizations []ogOrgAndMembership `json:"organizations"`
	}
	c.get("/auth/api/orgs").want(http.StatusOK).decode(&list)
	if len(list.Organizations) != 1 || list.Organizations[0].Organization.ID != org.Organization.ID {
		t.Fatalf("the invited person belongs to %+v", list.Organizations)
	}
	// Another address is still refused.
	flNew(t, env).postJSON("/auth/api/sign-up", map[string]string{"email": "other@example.com", "password": pw}).
		wantError(http.StatusForbidden, "sign_up_restricted")
}

func TestSignUpVelocity_PerIPPerHour(t *testing.T) {
	t.Parallel()
	env := authtest.New(t, func(c *auth.Config) { c.RateLimits.SignUpsPerHour = 2 })
	c := flNew(t, env)
	pw := authtest.Password()
	c.postJSON("/auth/api/sign-up", map[string]string{"email": "a1@example.com", "password": pw}).want(http.StatusAccepted)
	c.postJSON("/auth/api/sign-up", map[string]string{"email": "a2@example.com", "password": pw}).want(http.StatusAccepted)
	r := flNew(t, env).postJSON("/auth/api/sign-up", map[string]string{"email": "a3@example.com", "password": pw}).
		wantError(http.StatusTooManyRequests, "too_many_sign_ups")
	if r.header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	// Sign-in is not counted.
	env.CreateUser(t, "old@example.com", pw)
	flNew(t, env).signIn("old@example.com", pw)
	env.Clock.Advance(time.Hour)
	flNew(t, env).postJSON("/auth/api/sign-up", map[string]string{"email": "a3@example.com", "password": pw}).want(http.StatusAccepted)
}

func TestSignUpVelocity_OnByDefault(t *testing.T) {
	t.Parallel()
	env := authtest.New(t, func(c *auth.Config) { c.RateLimits = auth.RateLimits{SignUp: -1} })
	pw := authtest.Password()
	for i := range 20 {
		flNew(t, env).postJSON("/auth/api/sign-up", map[string]string{"email": "v" + string(rune('a'+i)) + "@example.com", "password": pw}).
			want(http.StatusAccepted)
	}
	flNew(t, env).postJSON("/auth/api/sign-up", map[string]string{"email": "last@example.com", "password": pw}).
		wantError(http.StatusTooManyRequests, "too_many_sign_ups")
}

func TestSignUpAdminPage(t *testing.T) {
	t.Parallel()
	env := authtest.New(t, func(c *auth.Config) {
		c.IsAdmin = func(u auth.User) bool { return u.Email == "admin@example.com" }
		c.SignUp.Mode = auth.SignUpWaitlist
	})
	admin := ogSignIn(t, env, "admin@example.com")
	user := ogSignIn(t, env, "user@example.com")
	user.get("/auth/admin/sign-up").want(http.StatusNotFound)
	user.postForm("/auth/admin/sign-up", url.Values{"mode": {"public"}}).want(http.StatusNotFound)

	flNew(t, env).postJSON("/auth/api/waitlist", map[string]string{"email": "wait@example.com"}).want(http.StatusAccepted)
	page := admin.get("/auth/admin/sign-up").want(http.StatusOK).contains("wait@example.com", `value="waitlist" checked`, "From the app's configuration")
	_ = page
	admin.postForm("/auth/admin/sign-up", url.Values{"mode": {"restricted"}, "allowlist": {"corp.example\nnot a domain"}}).
		want(http.StatusUnprocessableEntity).contains("is neither an email address nor a domain", "not a domain")
	admin.postForm("/auth/admin/sign-up", url.Values{"mode": {"restricted"}, "allowlist": {" Corp.Example \n\n"}, "blocklist": {"bad.example"}}).
		want(http.StatusSeeOther)
	s, err := env.Auth.SignUpSettings(context.Background())
	if err != nil || s.Mode != auth.SignUpRestricted || len(s.Allowlist) != 1 || s.Allowlist[0] != "corp.example" || s.Blocklist[0] != "bad.example" {
		t.Fatalf("settings %+v, %v", s, err)
	}
	admin.get("/auth/admin/sign-up").want(http.StatusOK).contains("Sign-up settings saved.", "Saved here")
	flNew(t, env).postJSON("/auth/api/sign-up", map[string]string{"email": "ann@corp.example", "password": authtest.Password()}).want(http.StatusAccepted)

	list, _ := env.Auth.Waitlist(context.Background(), "")
	admin.postForm("/auth/admin/sign-up/waitlist/"+list[0].ID+"/approve", nil).want(http.StatusSeeOther)
	flWaitMail(t, env, "wait@example.com")
	admin.postForm("/auth/admin/sign-up/waitlist/"+list[0].ID+"/reject", nil).want(http.StatusConflict).contains("approved or rejected already")
	admin.postForm("/auth/admin/sign-up/waitlist/wait_nope/approve", nil).want(http.StatusNotFound)
	admin.postForm("/auth/admin/sign-up/invite", url.Values{"email": {"not-an-email"}}).want(http.StatusUnprocessableEntity)
	admin.postForm("/auth/admin/sign-up/invite", url.Values{"email": {"guest@example.com"}}).want(http.StatusSeeOther)
	flWaitMail(t, env, "guest@example.com")
}

func TestSignUpConfig_Invalid(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]func(*auth.Config){
		"mode":       func(c *auth.Config) { c.SignUp.Mode = "closed" },
		"list":       func(c *auth.Config) { c.SignUp.Blocklist = []string{"no spaces allowed"} },
		"provider":   func(c *auth.Config) { c.BotProtection.Provider = "recaptcha" },
		"keys":       func(c *auth.Config) { c.BotProtection.Provider = auth.BotProtectionTurnstile },
		"duration":   func(c *auth.Config) { c.Impersonation.MaxDuration = 24 * time.Hour },
		"keysNoProv": func(c *auth.Config) { c.BotProtection.SiteKey = "x" },
	} {
		c := auth.Config{DatabasePath: t.TempDir() + "/x.db"}
		cfg(&c)
		if a, err := auth.New(c); err == nil {
			a.Close()
			t.Errorf("%s: New accepted the config", name)
		}
	}
}
