package auth_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/embedauth/auth/authtest"
)

func TestRequireReverification(t *testing.T) {
	env := authtest.New(t)
	pw, secret, backup := mfaUser(t, env, "ann@example.com")
	c := flNew(t, env)
	mfaFirstStep(t, c, "ann@example.com", pw)
	c.postJSON("/auth/api/sign-in/factor-two", map[string]string{"method": "totp", "code": mfaCode(t, env, secret)}).want(http.StatusOK)

	h := env.Auth.Middleware(env.Auth.RequireReverification(0, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("secret action"))
	})))
	call := func(method, cookie string, json bool) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, env.URL+"/app/secret?x=1", nil)
		if cookie != "" {
			req.Header.Set("Cookie", "embedauth_session="+cookie)
		}
		if json {
			req.Header.Set("Accept", "application/json")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	if rec := call("GET", c.sessionCookie(), false); rec.Code != http.StatusOK || rec.Body.String() != "secret action" {
		t.Fatalf("fresh sign-in: %d %s", rec.Code, rec.Body)
	}
	if rec := call("GET", "", false); rec.Code != http.StatusSeeOther || !strings.Contains(rec.Header().Get("Location"), "/auth/sign-in") {
		t.Fatalf("signed out: %d %s", rec.Code, rec.Header().Get("Location"))
	}

	env.Clock.Advance(11 * time.Minute)
	rec := call("GET", c.sessionCookie(), false)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/auth/reverify?redirect_url="+url.QueryEscape("/app/secret?x=1") {
		t.Fatalf("stale: %d %s", rec.Code, rec.Header().Get("Location"))
	}
	for _, r := range []*httptest.ResponseRecorder{call("GET", c.sessionCookie(), true), call("POST", c.sessionCookie(), false)} {
		if r.Code != http.StatusForbidden || !strings.Contains(r.Body.String(), `"reverification_required"`) {
			t.Fatalf("stale API: %d %s", r.Code, r.Body)
		}
	}

	page := c.get("/auth/reverify?redirect_url=" + url.QueryEscape("/app/secret?x=1")).want(http.StatusOK)
	if !strings.Contains(string(page.body), `name="password"`) || !strings.Contains(string(page.body), `name="code"`) {
		t.Fatalf("reverify page: %s", page.body)
	}
	form := func(pw, code string) *flResp {
		return c.postForm("/auth/reverify", url.Values{"password": {pw}, "code": {code}, "redirect_url": {"/app/secret?x=1"}})
	}
	form("wrong-password-123", mfaCode(t, env, secret)).want(http.StatusUnprocessableEntity)
	form(pw, "").want(http.StatusUnprocessableEntity)
	form(pw, "000000").want(http.StatusUnprocessableEntity)
	old := c.sessionCookie()
	done := form(pw, mfaCode(t, env, secret)).want(http.StatusSeeOther)
	if done.header.Get("Location") != "/app/secret?x=1" {
		t.Fatalf("after reverification: %s", done.header.Get("Location"))
	}
	if c.sessionCookie() == old {
		t.Fatal("cookie token not renewed")
	}
	if rec := call("GET", c.sessionCookie(), false); rec.Code != http.StatusOK {
		t.Fatalf("after reverification: %d", rec.Code)
	}
	if rec := call("GET", old, false); rec.Code == http.StatusOK {
		t.Fatal("the old cookie still works")
	}

	// Later again, a backup code works too.
	env.Clock.Advance(11 * time.Minute)
	if rec := call("GET", c.sessionCookie(), false); rec.Code != http.StatusSeeOther {
		t.Fatalf("stale again: %d", rec.Code)
	}
	form(pw, backup[0]).want(http.StatusSeeOther)
	if rec := call("GET", c.sessionCookie(), false); rec.Code != http.StatusOK {
		t.Fatalf("after backup-code reverification: %d", rec.Code)
	}

	// The JSON API reverifies too.
	env.Clock.Advance(11 * time.Minute)
	c.postJSON("/auth/api/reverify", map[string]string{"password": pw}).wantError(http.StatusUnprocessableEntity, "code_required")
	c.postJSON("/auth/api/reverify", map[string]string{"password": pw, "code": mfaCode(t, env, secret)}).want(http.StatusOK)
	if rec := call("GET", c.sessionCookie(), true); rec.Code != http.StatusOK {
		t.Fatalf("after API reverification: %d", rec.Code)
	}

	// A user without MFA reverifies with the password alone.
	bpw := authtest.Password()
	env.CreateUser(t, "bob@example.com", bpw)
	b := flNew(t, env)
	b.signIn("bob@example.com", bpw)
	env.Clock.Advance(11 * time.Minute)
	page = b.get("/auth/reverify").want(http.StatusOK)
	if strings.Contains(string(page.body), `name="code"`) {
		t.Fatal("code asked of a user without MFA")
	}
	b.postForm("/auth/reverify", url.Values{"password": {bpw}}).want(http.StatusSeeOther)
	if rec := call("GET", b.sessionCookie(), false); rec.Code != http.StatusOK {
		t.Fatalf("bob after reverification: %d", rec.Code)
	}
}
