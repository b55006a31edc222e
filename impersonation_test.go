package auth_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/authtest"
)

// imEnv is an app whose administrators are the admin@ addresses.
func imEnv(t *testing.T, opts ...authtest.Option) *authtest.Env {
	t.Helper()
	return authtest.New(t, append([]authtest.Option{func(c *auth.Config) {
		c.IsAdmin = func(u auth.User) bool { return strings.HasPrefix(u.Email, "admin") }
	}}, opts...)...)
}

// imStart has admin impersonate user through the admin page's form.
func imStart(t *testing.T, admin *ogUser, userID string) *flResp {
	t.Helper()
	return admin.postForm("/auth/admin/users/"+userID+"/impersonate", nil)
}

// jwtPayload decodes a JWT's payload without verifying it.
func jwtPayload(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestImpersonation_StartActEnd(t *testing.T) {
	t.Parallel()
	env := imEnv(t)
	admin := ogSignIn(t, env, "admin@example.com")
	user := ogSignIn(t, env, "ann@example.com")
	adminSession := admin.me().Session.ID

	imStart(t, admin, user.user.ID).want(http.StatusSeeOther)
	me := admin.me()
	if me.User.ID != user.user.ID {
		t.Fatalf("impersonating: me = %s, want %s", me.User.ID, user.user.ID)
	}
	sess, err := env.Auth.Store().Session(context.Background(), me.Session.ID)
	if err != nil || sess.ActorID != admin.user.ID || sess.AuthMethod != "impersonation" {
		t.Fatalf("session %+v, %v", sess, err)
	}
	if max := env.Clock.Now().Add(time.Hour); sess.ExpiresAt.After(max) {
		t.Errorf("impersonation lasts until %v, past %v", sess.ExpiresAt, max)
	}

	// The session token carries the actor (RFC 8693 "act").
	var tok struct{ JWT string }
	admin.get("/auth/api/token").want(http.StatusOK).decode(&tok)
	claims := jwtPayload(t, tok.JWT)
	if act, _ := claims["act"].(map[string]any); claims["sub"] != user.user.ID || act == nil || act["sub"] != admin.user.ID {
		t.Errorf("token claims %v", claims)
	}
	// Apps read the actor in their handlers.
	app := ogServe(t, env, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		imp, ok := auth.ImpersonationFrom(r.Context())
		fmt.Fprintf(w, "%v %s %s", ok, imp.ActorID, imp.UserID)
	}))
	if _, body := ogGet(t, admin.flClient, app+"/", false); body != "true "+admin.user.ID+" "+user.user.ID {
		t.Errorf("app saw %q", body)
	}
	if _, body := ogGet(t, user.flClient, app+"/", false); !strings.HasPrefix(body, "false") {
		t.Errorf("the user's own session is taken for an impersonation: %q", body)
	}
	// The banner is on every page and in the user button.
	admin.get("/auth/profile").want(http.StatusOK).contains(`id="impersonation-banner"`, "impersonated by admin@example.com", `action="/auth/impersonation/end"`)
	user.get("/auth/profile").want(http.StatusOK).notContains("impersonation-banner")

	// The user's security log shows it.
	if !slHas(slLog(t, user.flClient), "impersonation_started", "admin@example.com ("+admin.user.ID+")") {
		t.Errorf("log: %v", slKinds(slLog(t, user.flClient)))
	}

	// Ending gives the browser back the administrator's own session.
	r := admin.postForm("/auth/impersonation/end", nil).want(http.StatusSeeOther)
	if loc := r.location(); loc != "/auth/admin/users/"+user.user.ID {
		t.Errorf("ended to %s", loc)
	}
	if me := admin.me(); me.User.ID != admin.user.ID || me.Session.ID != adminSession {
		t.Fatalf("after the end: %+v", me)
	}
	if s, _ := env.Auth.Store().Session(context.Background(), sess.ID); s.EndedAt == nil {
		t.Error("the impersonation's session is still live")
	}
	if !slHas(slLog(t, user.flClient), "impersonation_ended", "admin@example.com ("+admin.user.ID+")") {
		t.Errorf("log: %v", slKinds(slLog(t, user.flClient)))
	}
	admin.postForm("/auth/impersonation/end", nil).want(http.StatusConflict)
	user.me() // the user's own session was never touched
	imWantAudit(t, env, user.user.ID, admin.user.ID, "user.impersonated", "user.impersonation_ended:ended")
}

// imWantAudit checks the admin audit log's entries about userID, oldest
// first, as action or action:detail, all by actorID.
func imWantAudit(t *testing.T, env *authtest.Env, userID, actorID string, want ...string) {
	t.Helper()
	log, err := env.Auth.AuditLog(context.Background(), userID, 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := len(log) - 1; i >= 0; i-- {
		e := log[i]
		if e.ActorID != actorID {
			t.Errorf("audit entry %+v is not by %s", e, actorID)
		}
		s := e.Action
		if e.Detail != "" {
			s += ":" + e.Detail
		}
		got = append(got, s)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("audit log about the user: %v, want %v", got, want)
	}
}

func TestImpersonation_SensitiveActionsRefused(t *testing.T) {
	t.Parallel()
	env := imEnv(t)
	admin := ogSignIn(t, env, "admin@example.com")
	user := ogSignIn(t, env, "ann@example.com")
	imStart(t, admin, user.user.ID).want(http.StatusSeeOther)

	for _, req := range []struct{ method, path string }{
		{"POST", "/auth/api/password/change"},
		{"DELETE", "/auth/api/me"},
		{"POST", "/auth/api/me/mfa/totp"},
		{"DELETE", "/auth/api/me/mfa"},
		{"POST", "/auth/api/me/identifiers"},
		{"POST", "/auth/api/passkeys/register/begin"},
		{"DELETE", "/auth/api/passkeys/pk_x"},
		{"POST", "/auth/api/sessions/revoke-others"},
		{"POST", "/auth/api/reverify"},
	} {
		admin.sendJSON(req.method, req.path, map[string]string{"current_password": user.pw, "new_password": authtest.Password()}).
			wantError(http.StatusForbidden, "impersonation_forbidden")
	}
	admin.postForm("/auth/profile/password", url.Values{"current_password": {user.pw}, "new_password": {authtest.Password()}}).
		want(http.StatusForbidden).contains("can't be done while impersonating")
	admin.postForm("/auth/profile/delete", url.Values{"password": {user.pw}}).want(http.StatusForbidden)
	// Not refused: reading, and harmless changes.
	admin.patchJSON("/auth/api/me", map[string]string{"name": "Ann B"}).want(http.StatusOK)
	// Nor can an impersonation start another or reach admin pages.
	imStart(t, admin, user.user.ID).want(http.StatusNotFound)
	if _, err := env.Auth.GetUser(context.Background(), user.user.ID); err != nil {
		t.Fatal(err)
	}
	// The real user is not limited.
	user.postJSON("/auth/api/password/change", map[string]string{"current_password": user.pw, "new_password": authtest.Password()}).want(http.StatusOK)
}

func TestImpersonation_WhoMayImpersonateWhom(t *testing.T) {
	t.Parallel()
	env := imEnv(t)
	admin := ogSignIn(t, env, "admin@example.com")
	admin2 := ogSignIn(t, env, "admin2@example.com")
	user := ogSignIn(t, env, "ann@example.com")
	user.postForm("/auth/admin/users/"+admin.user.ID+"/impersonate", nil).want(http.StatusNotFound)
	flNew(t, env).postForm("/auth/admin/users/"+user.user.ID+"/impersonate", nil).want(http.StatusUnauthorized)
	imStart(t, admin, admin2.user.ID).want(http.StatusForbidden).contains("Administrators can't be impersonated")
	imStart(t, admin, admin.user.ID).want(http.StatusUnprocessableEntity)
	imStart(t, admin, "user_nope").want(http.StatusNotFound)
	if _, err := env.Auth.BanUser(context.Background(), user.user.ID); err != nil {
		t.Fatal(err)
	}
	imStart(t, admin, user.user.ID).want(http.StatusForbidden)
	if me := admin.me(); me.User.ID != admin.user.ID {
		t.Errorf("a refused impersonation changed the browser's user to %s", me.User.ID)
	}

	allow := imEnv(t, func(c *auth.Config) { c.Impersonation.AllowAdmins = true })
	a1 := ogSignIn(t, allow, "admin@example.com")
	a2 := ogSignIn(t, allow, "admin2@example.com")
	imStart(t, a1, a2.user.ID).want(http.StatusSeeOther)
	// Acting as an administrator lends none of their admin pages.
	a1.get("/auth/admin/sign-up").want(http.StatusForbidden)

	off := imEnv(t, func(c *auth.Config) { c.Impersonation.Disabled = true })
	o1 := ogSignIn(t, off, "admin@example.com")
	o2 := ogSignIn(t, off, "ann@example.com")
	imStart(t, o1, o2.user.ID).want(http.StatusNotFound)
}

func TestImpersonation_MaxDuration(t *testing.T) {
	t.Parallel()
	env := imEnv(t, func(c *auth.Config) { c.Impersonation.MaxDuration = 15 * time.Minute })
	admin := ogSignIn(t, env, "admin@example.com")
	user := ogSignIn(t, env, "ann@example.com")
	imStart(t, admin, user.user.ID).want(http.StatusSeeOther)
	env.Clock.Advance(14 * time.Minute)
	if me := admin.me(); me.User.ID != user.user.ID {
		t.Fatalf("before the limit: %s", me.User.ID)
	}
	env.Clock.Advance(2 * time.Minute)
	// Past the limit the browser is the administrator again.
	if me := admin.me(); me.User.ID != admin.user.ID {
		t.Fatalf("after the limit: %s", me.User.ID)
	}
	admin.get("/auth/profile").want(http.StatusOK).notContains("impersonation-banner")
	if !slHas(slLog(t, user.flClient), "impersonation_ended", "admin@example.com ("+admin.user.ID+")") {
		t.Errorf("log: %v", slKinds(slLog(t, user.flClient)))
	}
	imWantAudit(t, env, user.user.ID, admin.user.ID, "user.impersonated", "user.impersonation_ended:time ran out")
}

func TestImpersonation_MultiSession(t *testing.T) {
	t.Parallel()
	env := imEnv(t, func(c *auth.Config) { c.SessionMode = auth.SessionMulti })
	admin := ogSignIn(t, env, "admin@example.com")
	user := ogSignIn(t, env, "ann@example.com")
	imStart(t, admin, user.user.ID).want(http.StatusSeeOther)
	if me := admin.me(); me.User.ID != user.user.ID {
		t.Fatalf("me = %s", me.User.ID)
	}
	admin.postJSON("/auth/api/impersonation/end", struct{}{}).want(http.StatusOK)
	if me := admin.me(); me.User.ID != admin.user.ID {
		t.Fatalf("after the end: %s", me.User.ID)
	}
}

// oaGateAnswers drives the waitlist and the end of an impersonation for
// TestOpenAPIAnswersMatch.
func oaGateAnswers(t *testing.T, check func(t *testing.T, op string, r *flResp)) {
	env := imEnv(t, func(c *auth.Config) { c.SignUp.Mode = auth.SignUpWaitlist })
	c := flNew(t, env)
	check(t, "POST /api/waitlist", c.postJSON("/auth/api/waitlist", map[string]string{"email": "w@example.com", "name": "W"}))
	check(t, "POST /api/waitlist", c.postJSON("/auth/api/waitlist", map[string]string{"email": "w@mailinator.com"}))
	check(t, "POST /api/waitlist", c.postJSON("/auth/api/waitlist", map[string]string{"email": "w@"}))
	admin := ogSignIn(t, env, "admin@example.com")
	user := ogSignIn(t, env, "ann@example.com")
	check(t, "POST /api/impersonation/end", admin.postJSON("/auth/api/impersonation/end", struct{}{}))
	imStart(t, admin, user.user.ID).want(http.StatusSeeOther)
	check(t, "POST /api/impersonation/end", admin.postJSON("/auth/api/impersonation/end", struct{}{}))
	srMode(t, env, auth.SignUpSettings{Mode: auth.SignUpPublic})
	check(t, "POST /api/waitlist", c.postJSON("/auth/api/waitlist", map[string]string{"email": "w2@example.com"}))
}
