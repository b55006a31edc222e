package auth_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/authtest"
	"github.com/embedauth/auth/core"
)

// usersAdminEnv starts an Auth with one administrator granted in the database,
// signed in, and one ordinary user.
func usersAdminEnv(t *testing.T) (env *authtest.Env, admin *flClient, adminMe flMe, user *flClient, userMe flMe) {
	t.Helper()
	env = authtest.New(t)
	admin, adminMe = jwtSignIn(t, env, "root@example.com")
	if err := env.Auth.SetAdmin(context.Background(), auth.AdminActor{Email: "test"}, adminMe.User.ID, true); err != nil {
		t.Fatal(err)
	}
	user, userMe = jwtSignIn(t, env, "ann@example.com")
	return env, admin, adminMe, user, userMe
}

type adminDetail struct {
	User     flUser `json:"user"`
	Admin    bool   `json:"admin"`
	Sessions []struct {
		ID string `json:"id"`
	} `json:"sessions"`
	Identifiers []struct {
		ID       string `json:"id"`
		Verified bool   `json:"verified"`
	} `json:"identifiers"`
	LockedUntil *time.Time `json:"locked_until"`
}

// oaAdminAnswers drives the admin API to each of its documented answers,
// for TestOpenAPIAnswersMatch.
func oaAdminAnswers(t *testing.T, check func(t *testing.T, op string, r *flResp)) {
	t.Helper()
	env, admin, adminMe, user, userMe := usersAdminEnv(t)
	ctx := context.Background()
	const base = "/auth/api/admin/users"
	id := userMe.User.ID

	check(t, "GET /api/admin/users", admin.get(base))
	check(t, "GET /api/admin/users", admin.get(base+"?q=ann&filter=unverified,banned&sort=email_asc&limit=1"))
	check(t, "GET /api/admin/users", admin.get(base+"?filter=sideways"))
	check(t, "GET /api/admin/users", admin.get(base+"?cursor=nope"))
	check(t, "GET /api/admin/users", user.get(base))
	check(t, "POST /api/admin/users", admin.postJSON(base, map[string]any{"email": "new@example.com", "name": "New", "public_metadata": map[string]any{"plan": "pro"}}))
	check(t, "POST /api/admin/users", admin.postJSON(base, map[string]any{"email": "new@example.com"}))
	check(t, "POST /api/admin/users", admin.postJSON(base, map[string]any{"email": "x@example.com", "password": "short"}))
	check(t, "POST /api/admin/users/invite", admin.postJSON(base+"/invite", map[string]any{"email": "guest@example.com"}))
	check(t, "POST /api/admin/users/invite", admin.postJSON(base+"/invite", map[string]any{"email": "nope"}))
	check(t, "GET /api/admin/users/{id}", admin.get(base+"/"+id))
	check(t, "GET /api/admin/users/{id}", admin.get(base+"/user_nobody"))

	check(t, "PATCH /api/admin/users/{id}/metadata", admin.patchJSON(base+"/"+id+"/metadata", map[string]any{"private_metadata": map[string]any{"tier": 2}}))
	check(t, "PATCH /api/admin/users/{id}/metadata", admin.patchJSON(base+"/"+id+"/metadata", map[string]any{"public_metadata": []int{1}}))
	var d adminDetail
	admin.get(base + "/" + id).want(http.StatusOK).decode(&d)
	check(t, "POST /api/admin/users/{id}/identifiers/{identifier_id}/verify", admin.postJSON(base+"/"+id+"/identifiers/"+d.Identifiers[0].ID+"/verify", nil))
	check(t, "POST /api/admin/users/{id}/identifiers/{identifier_id}/verify", admin.postJSON(base+"/"+id+"/identifiers/idn_nope/verify", nil))
	check(t, "POST /api/admin/users/{id}/lock", admin.postJSON(base+"/"+id+"/lock", nil))
	check(t, "POST /api/admin/users/{id}/lock", admin.postJSON(base+"/"+adminMe.User.ID+"/lock", nil))
	check(t, "POST /api/admin/users/{id}/unlock", admin.postJSON(base+"/"+id+"/unlock", nil))
	check(t, "DELETE /api/admin/users/{id}/sessions/{session_id}", admin.deleteJSON(base+"/"+id+"/sessions/"+d.Sessions[0].ID, nil))
	check(t, "DELETE /api/admin/users/{id}/sessions/{session_id}", admin.deleteJSON(base+"/"+id+"/sessions/sess_nope", nil))
	check(t, "DELETE /api/admin/users/{id}/sessions", admin.deleteJSON(base+"/"+id+"/sessions", nil))
	check(t, "DELETE /api/admin/users/{id}/mfa", admin.deleteJSON(base+"/"+id+"/mfa", nil))
	pk, err := env.Auth.Store().AddPasskey(ctx, core.Passkey{UserID: id, CredentialID: []byte{1, 2, 3}, PublicKey: []byte("k"), AAGUID: make([]byte, 16),
		AttestationFormat: "none", Name: "Phone"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	check(t, "DELETE /api/admin/users/{id}/passkeys/{passkey_id}", admin.deleteJSON(base+"/"+id+"/passkeys/"+pk.ID, nil))
	check(t, "DELETE /api/admin/users/{id}/passkeys/{passkey_id}", admin.deleteJSON(base+"/"+id+"/passkeys/"+pk.ID, nil))
	check(t, "PUT /api/admin/users/{id}/admin", admin.sendJSON(http.MethodPut, base+"/"+adminMe.User.ID+"/admin", map[string]any{"admin": false}))
	check(t, "PUT /api/admin/users/{id}/admin", admin.sendJSON(http.MethodPut, base+"/"+id+"/admin", map[string]any{}))
	check(t, "PUT /api/admin/users/{id}/admin", admin.sendJSON(http.MethodPut, base+"/"+id+"/admin", map[string]any{"admin": true}))
	check(t, "PUT /api/admin/users/{id}/admin", admin.sendJSON(http.MethodPut, base+"/"+id+"/admin", map[string]any{"admin": false}))
	check(t, "POST /api/admin/users/{id}/ban", admin.postJSON(base+"/"+adminMe.User.ID+"/ban", nil))
	check(t, "POST /api/admin/users/{id}/ban", admin.postJSON(base+"/"+id+"/ban", nil))
	check(t, "POST /api/admin/users/{id}/unban", admin.postJSON(base+"/"+id+"/unban", nil))
	check(t, "GET /api/admin/audit-log", admin.get("/auth/api/admin/audit-log?limit=5"))
	check(t, "GET /api/admin/audit-log", admin.get("/auth/api/admin/audit-log?before=x"))
	check(t, "DELETE /api/admin/users/{id}", admin.deleteJSON(base+"/"+id, nil))
	check(t, "DELETE /api/admin/users/{id}", admin.deleteJSON(base+"/"+id, nil))
	// A session that has not proved its factors lately may only read.
	env.Clock.Advance(time.Hour)
	check(t, "DELETE /api/admin/users/{id}", admin.deleteJSON(base+"/"+adminMe.User.ID, nil))
}

func TestAdminAPI_Rules(t *testing.T) {
	t.Parallel()
	env, admin, adminMe, user, userMe := usersAdminEnv(t)
	base := "/auth/api/admin/users/"

	t.Run("NonAdminIsRefused", func(t *testing.T) {
		user.get("/auth/api/admin/users").wantError(http.StatusForbidden, "admin_required")
		user.postJSON(base+adminMe.User.ID+"/ban", nil).wantError(http.StatusForbidden, "admin_required")
		flNew(t, env).get("/auth/api/admin/users").wantError(http.StatusUnauthorized, "unauthenticated")
	})
	t.Run("CannotBanOrDeleteSelf", func(t *testing.T) {
		admin.postJSON(base+adminMe.User.ID+"/ban", nil).wantError(http.StatusForbidden, "cannot_act_on_self")
		admin.deleteJSON(base+adminMe.User.ID, nil).wantError(http.StatusForbidden, "cannot_act_on_self")
		admin.sendJSON(http.MethodPut, base+adminMe.User.ID+"/admin", map[string]any{"admin": false}).wantError(http.StatusForbidden, "cannot_act_on_self")
	})
	t.Run("CannotRemoveTheLastAdmin", func(t *testing.T) {
		// Through the Go API, a tool acting on the only administrator.
		err := env.Auth.AdminDeleteUser(context.Background(), auth.AdminActor{Email: "cli"}, adminMe.User.ID)
		if e, ok := err.(*core.Error); !ok || e.Code != "last_admin" {
			t.Fatalf("deleting the last admin: %v", err)
		}
		err = env.Auth.SetAdmin(context.Background(), auth.AdminActor{Email: "cli"}, adminMe.User.ID, false)
		if e, ok := err.(*core.Error); !ok || e.Code != "last_admin" {
			t.Fatalf("revoking the last admin: %v", err)
		}
	})
	t.Run("BanEndsSessionsAndIsAuditedWithItsEvents", func(t *testing.T) {
		admin.postJSON(base+userMe.User.ID+"/ban", nil).want(http.StatusOK)
		user.get("/auth/api/me").wantError(http.StatusUnauthorized, "unauthenticated")
		log, err := env.Auth.AuditLog(context.Background(), userMe.User.ID, 0, 10)
		if err != nil || len(log) == 0 {
			t.Fatalf("audit log %v, %v", log, err)
		}
		e := log[0]
		if e.Action != core.AuditUserBanned || e.ActorID != adminMe.User.ID || e.ActorEmail != "root@example.com" || e.IP == "" || e.TargetEmail != "ann@example.com" {
			t.Errorf("audit entry %+v", e)
		}
		evs, err := env.Auth.Store().Events(context.Background(), "", 1000)
		if err != nil {
			t.Fatal(err)
		}
		var updated, ended bool
		for _, ev := range evs {
			if ev.Type == core.EventUserUpdated && strings.Contains(string(ev.Data), `"banned":true`) {
				updated = true
			}
			if ev.Type == core.EventSessionEnded && strings.Contains(string(ev.Data), userMe.Session.ID) {
				ended = true
			}
		}
		if !updated || !ended {
			t.Errorf("events: user.updated %v, session.ended %v", updated, ended)
		}
	})
	t.Run("BearerReadsButNeedsReverificationToDestroy", func(t *testing.T) {
		tok := jwtMint(t, admin, "")
		c := flNew(t, env)
		c.do(http.MethodGet, "/auth/api/admin/users", "", nil, "Authorization", "Bearer "+tok).want(http.StatusOK)
		c.do(http.MethodPost, base+userMe.User.ID+"/unlock", "", nil, "Authorization", "Bearer "+tok).want(http.StatusOK)
		c.do(http.MethodDelete, base+userMe.User.ID, "", nil, "Authorization", "Bearer "+tok).wantError(http.StatusForbidden, "reverification_required")
	})
}

func TestAdminPages_NotFoundForOthers(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	// Nobody is an administrator: even a signed-out browser gets 404.
	flNew(t, env).get("/auth/admin/users").want(http.StatusNotFound)
	c, me := jwtSignIn(t, env, "ann@example.com")
	c.get("/auth/admin/users").want(http.StatusNotFound)
	c.get("/auth/admin/users/" + me.User.ID).want(http.StatusNotFound)
	c.get("/auth/admin/audit").want(http.StatusNotFound)
	if err := env.Auth.SetAdmin(context.Background(), auth.AdminActor{Email: "test"}, me.User.ID, true); err != nil {
		t.Fatal(err)
	}
	c.get("/auth/admin/users").want(http.StatusOK).contains("ann@example.com")
	other, _ := jwtSignIn(t, env, "bob@example.com")
	other.get("/auth/admin/users").want(http.StatusNotFound)
}

func TestImportedBcryptHashSignsInAndIsUpgraded(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	ctx := context.Background()
	const pw = "plum kettle orbit seventeen lanterns"
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	u, err := env.Auth.ImportUser(ctx, auth.CLIActor, auth.ExportedUser{Email: "moved@example.com", EmailVerified: true, PasswordHash: string(h)})
	if err != nil {
		t.Fatal(err)
	}
	c := flNew(t, env)
	c.postJSON("/auth/api/sign-in", map[string]string{"email": "moved@example.com", "password": "wrong " + pw}).want(http.StatusUnauthorized)
	c.signIn("moved@example.com", pw)
	got, err := env.Auth.Store().PasswordHash(ctx, u.ID)
	if err != nil || !strings.HasPrefix(got, "$argon2id$") {
		t.Fatalf("hash after sign-in = %.20q, %v; want argon2id", got, err)
	}
	flNew(t, env).signIn("moved@example.com", pw)
}

func TestAdminLock_RefusesPasswordSignInUntilUnlocked(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	ctx := context.Background()
	pw := authtest.Password()
	u := env.CreateUser(t, "locked@example.com", pw)
	if err := env.Auth.LockUser(ctx, auth.CLIActor, u.ID); err != nil {
		t.Fatal(err)
	}
	flNew(t, env).postJSON("/auth/api/sign-in", map[string]string{"email": u.Email, "password": pw}).wantError(http.StatusTooManyRequests, "too_many_attempts")
	d, err := env.Auth.UserDetail(ctx, u.ID)
	if err != nil || d.LockedUntil == nil {
		t.Fatalf("detail of a locked user: %v, %v", d.LockedUntil, err)
	}
	if err := env.Auth.UnlockUser(ctx, auth.CLIActor, u.ID); err != nil {
		t.Fatal(err)
	}
	flNew(t, env).signIn(u.Email, pw)
}
