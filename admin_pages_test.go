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
)

// TestAdminPages_Forms drives the forms of the admin pages over HTTP:
// creating and inviting users, a destructive action that needs a recent
// reverification, and a refusal shown on the page.
func TestAdminPages_Forms(t *testing.T) {
	t.Parallel()
	env, admin, adminMe, _, userMe := usersAdminEnv(t)
	userPage := "/auth/admin/users/" + userMe.User.ID

	t.Run("CreateUser", func(t *testing.T) {
		r := admin.postForm("/auth/admin/users", url.Values{"email": {"made@example.com"}, "name": {"Made"}, "email_verified": {"true"}}).want(http.StatusSeeOther)
		if !strings.HasPrefix(r.location(), "/auth/admin/users/user_") {
			t.Fatalf("create redirects to %q", r.location())
		}
		id := strings.TrimPrefix(r.location(), "/auth/admin/users/")
		log, err := env.Auth.AuditLog(context.Background(), id, 0, 10)
		if err != nil || len(log) != 1 || log[0].Action != "user.created" || log[0].ActorID != adminMe.User.ID {
			t.Fatalf("audit of the creation: %+v, %v", log, err)
		}
		admin.postForm("/auth/admin/users", url.Values{"email": {"made@example.com"}}).want(http.StatusConflict).contains("A user with this email already exists.")
		admin.postForm("/auth/admin/users", url.Values{"email": {"nope"}}).want(http.StatusUnprocessableEntity)
	})
	t.Run("Invite", func(t *testing.T) {
		admin.postForm("/auth/admin/users/invite", url.Values{"email": {"guest@example.com"}}).want(http.StatusSeeOther)
		m := flWaitMail(t, env, "guest@example.com")
		if !strings.Contains(m.Text, "/auth/sign-up?email=guest%40example.com") {
			t.Fatalf("invitation:\n%s", m.Text)
		}
		flNew(t, env).get("/auth/sign-up?email=guest%40example.com").want(http.StatusOK).contains(`value="guest@example.com"`)
	})
	t.Run("SelfIsRefusedOnThePage", func(t *testing.T) {
		admin.postForm("/auth/admin/users/"+adminMe.User.ID+"/lock", nil).want(http.StatusForbidden).contains("You cannot do this to your own account.")
	})
	t.Run("DeleteNeedsConfirmation", func(t *testing.T) {
		admin.postForm(userPage+"/delete", nil).want(http.StatusUnprocessableEntity).contains("Tick the box")
	})
	t.Run("MetadataMustBeObjects", func(t *testing.T) {
		admin.postForm(userPage+"/metadata", url.Values{"public_metadata": {"[1]"}}).want(http.StatusUnprocessableEntity)
		admin.postForm(userPage+"/metadata", url.Values{"public_metadata": {`{"plan":"pro"}`}}).want(http.StatusSeeOther)
		d, err := env.Auth.UserDetail(context.Background(), userMe.User.ID)
		if err != nil || string(d.User.PublicMetadata) != `{"plan":"pro"}` {
			t.Fatalf("metadata %s, %v", d.User.PublicMetadata, err)
		}
	})
	t.Run("DestructiveNeedsReverification", func(t *testing.T) {
		env.Clock.Advance(time.Hour)
		r := admin.postForm(userPage+"/ban", nil).want(http.StatusSeeOther)
		if !strings.HasPrefix(r.location(), "/auth/reverify") {
			t.Fatalf("a stale session's ban redirects to %q", r.location())
		}
		if u, _ := env.Auth.GetUser(context.Background(), userMe.User.ID); u.Banned {
			t.Fatal("banned without reverification")
		}
		// Unban is not destructive: it needs no reverification.
		admin.postForm(userPage+"/unban", nil).want(http.StatusSeeOther)
	})
}

// TestAdminInvite_LetsInWhenRestricted: an administrator's invitation is a
// sign-up invitation: in restricted mode the invited address signs up,
// another is still refused, and the invitation is audited.
func TestAdminInvite_LetsInWhenRestricted(t *testing.T) {
	t.Parallel()
	env := authtest.New(t, func(c *auth.Config) { c.SignUp.Mode = auth.SignUpRestricted })
	admin, adminMe := jwtSignIn(t, env, "root@example.com")
	if err := env.Auth.SetAdmin(context.Background(), auth.AdminActor{Email: "test"}, adminMe.User.ID, true); err != nil {
		t.Fatal(err)
	}
	pw := authtest.Password()
	flNew(t, env).postJSON("/auth/api/sign-up", map[string]string{"email": "guest@example.com", "password": pw}).
		wantError(http.StatusForbidden, "sign_up_restricted")
	admin.postForm("/auth/admin/users/invite", url.Values{"email": {"guest@example.com"}}).want(http.StatusSeeOther)
	if m := flWaitMail(t, env, "guest@example.com"); !strings.Contains(m.Text, "root@example.com invited you") || !strings.Contains(m.Text, "expires in") {
		t.Fatalf("invitation:\n%s", m.Text)
	}
	c := flNew(t, env)
	c.postJSON("/auth/api/sign-up", map[string]string{"email": "guest@example.com", "password": pw}).want(http.StatusAccepted)
	c.postJSON("/auth/api/sign-up/verify", map[string]string{"code": flVerificationCode(t, env, "guest@example.com")}).want(http.StatusOK)
	flNew(t, env).postJSON("/auth/api/sign-up", map[string]string{"email": "other@example.com", "password": pw}).
		wantError(http.StatusForbidden, "sign_up_restricted")
	log, err := env.Auth.AuditLog(context.Background(), "", 0, 10)
	if err != nil || len(log) == 0 || log[0].Action != "user.invited" || log[0].TargetEmail != "guest@example.com" {
		t.Fatalf("audit log %+v, %v", log, err)
	}
}

// TestAdminUsers_OrgFilter: the users table's organization field limits
// it to the members of the organization named by its slug or id, names it,
// and says so when no organization has that slug or id.
func TestAdminUsers_OrgFilter(t *testing.T) {
	t.Parallel()
	env, admin, _, _, _ := usersAdminEnv(t)
	member := ogSignIn(t, env, "member@example.com")
	org := ogCreate(t, member, "Acme Rockets", "acme-rockets")

	for _, q := range []string{"acme-rockets", "ACME-Rockets", org.Organization.ID} {
		admin.get("/auth/admin/users?org="+url.QueryEscape(q)).want(http.StatusOK).
			contains("member@example.com", "Members of Acme Rockets only.", `value="`+q+`"`).
			notContains("ann@example.com", "root@example.com")
	}
	admin.get("/auth/admin/users").want(http.StatusOK).
		contains("member@example.com", "ann@example.com").notContains("Members of")
	admin.get("/auth/admin/users?org=no-such-org").want(http.StatusNotFound).
		contains("No organization has this id or slug.", `aria-invalid="true"`).notContains("ann@example.com")
}
