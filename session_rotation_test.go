package auth_test

// A cookie token replaced when the active organization changes keeps
// working for a short grace, so the browser's requests already under way
// are not refused; everything that ends a session still ends it at once.

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/authtest"
)

// rotStatuses sends n requests at once with only the cookie value given,
// alternating between the JSON API and an app route behind RequireUser,
// and returns their statuses. start, when not nil, holds them back until
// it is closed.
func rotStatuses(t *testing.T, env *authtest.Env, cookie string, n int, start <-chan struct{}) []int {
	t.Helper()
	hc := env.Client()
	hc.Jar = nil
	statuses := make([]int, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			path := "/auth/api/me"
			if i%2 == 1 {
				path = "/dashboard"
			}
			req, err := http.NewRequest(http.MethodGet, env.URL+path, nil)
			if err != nil {
				errs[i] = err
				return
			}
			req.Header.Set("Accept", "application/json")
			req.Header.Set("Cookie", "embedauth_session="+cookie)
			if start != nil {
				<-start
			}
			resp, err := hc.Do(req)
			if err != nil {
				errs[i] = err
				return
			}
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err) // not Fatal: this may run on another goroutine
		}
	}
	return statuses
}

// rotActiveOrg is the active organization a request with only the cookie
// value given has, as the app's Middleware sees it; ok is false when the
// request is signed out.
func rotActiveOrg(t *testing.T, env *authtest.Env, cookie string) (orgID string, ok bool) {
	t.Helper()
	h := env.Auth.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, signedIn := auth.UserFrom(r.Context())
		org, _, _ := auth.OrgFrom(r.Context())
		json.NewEncoder(w).Encode(map[string]any{"signed_in": signedIn, "org": org.ID})
	}))
	req := httptest.NewRequest(http.MethodGet, env.URL+"/app", nil)
	req.Header.Set("Cookie", "embedauth_session="+cookie)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var v struct {
		SignedIn bool   `json:"signed_in"`
		Org      string `json:"org"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	return v.Org, v.SignedIn
}

func TestOrgSwitch_ParallelRequestsWithTheOldCookieSucceed(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t)
		ann := ogSignIn(t, env, "ann@example.com")
		alpha := ogCreate(t, ann, "Alpha", "alpha")
		beta := ogCreate(t, ann, "Beta", "beta")
		old := ann.sessionCookie()
		for _, s := range rotStatuses(t, env, old, 8, nil) { // and fill the session cache
			if s != http.StatusOK {
				t.Fatalf("before the switch: %d", s)
			}
		}

		// Eight requests leave with the cookie the browser has while it
		// switches organizations.
		start := make(chan struct{})
		var during []int
		done := make(chan struct{})
		go func() {
			defer close(done)
			during = rotStatuses(t, env, old, 8, start)
		}()
		close(start)
		ann.postJSON("/auth/api/orgs/active", map[string]string{"org_id": alpha.Organization.ID}).want(http.StatusOK)
		<-done
		current := ann.sessionCookie()
		if current == old {
			t.Fatal("switching did not renew the cookie token")
		}
		// And eight that left before the answer with the new cookie arrived.
		after := rotStatuses(t, env, old, 8, nil)
		for i, s := range append(during, after...) {
			if s != http.StatusOK {
				t.Errorf("request %d with the previous cookie: %d, want 200", i, s)
			}
		}
		// The old cookie is the same device session: it sees the organization
		// just switched to, never more than the new cookie does.
		for _, c := range []string{old, current} {
			if org, ok := rotActiveOrg(t, env, c); !ok || org != alpha.Organization.ID {
				t.Errorf("active organization = %q (signed in %v), want %q", org, ok, alpha.Organization.ID)
			}
		}

		// Switching through the form page keeps the previous cookie working too.
		old = current
		ogForm(ann.flClient, "/auth/orgs/switch", "org_id", beta.Organization.ID, "redirect_url", "/dashboard").want(http.StatusSeeOther)
		for i, s := range rotStatuses(t, env, old, 8, nil) {
			if s != http.StatusOK {
				t.Errorf("request %d with the cookie from before the form: %d, want 200", i, s)
			}
		}
	})
}

// TestOrgSwitch_OldCookieEndsWithTheSession: the grace is for the same
// live session only. Signing out, revoking the session and a ban end the
// previous cookie at once, even with its state in the session cache.
func TestOrgSwitch_OldCookieEndsWithTheSession(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t)
		for _, c := range []struct {
			name string
			end  func(t *testing.T, u *ogUser)
		}{
			{"SignOut", func(t *testing.T, u *ogUser) {
				u.postJSON("/auth/api/sign-out", struct{}{}).want(http.StatusOK)
			}},
			{"RevokedFromAnotherDevice", func(t *testing.T, u *ogUser) {
				other := flNew(t, env)
				other.signIn(u.email, u.pw)
				other.postJSON("/auth/api/sessions/revoke-others", struct{}{}).want(http.StatusOK)
			}},
			{"Ban", func(t *testing.T, u *ogUser) {
				if _, err := env.Auth.BanUser(context.Background(), u.user.ID); err != nil {
					t.Fatal(err)
				}
			}},
		} {
			t.Run(c.name, func(t *testing.T) {
				u := ogSignIn(t, env, "end-"+c.name+"@example.com")
				org := ogCreate(t, u, "Org "+c.name, "")
				old := u.sessionCookie()
				u.postJSON("/auth/api/orgs/active", map[string]string{"org_id": ""}).want(http.StatusOK)
				u.postJSON("/auth/api/orgs/active", map[string]string{"org_id": org.Organization.ID}).want(http.StatusOK)
				for range 2 { // the second answer comes from the session cache
					if _, ok := rotActiveOrg(t, env, old); !ok {
						t.Fatal("the previous cookie is signed out within its grace")
					}
				}
				c.end(t, u)
				if _, ok := rotActiveOrg(t, env, old); ok {
					t.Error("the previous cookie is still signed in after the session ended")
				}
				for i, s := range rotStatuses(t, env, old, 2, nil) {
					if s != http.StatusUnauthorized {
						t.Errorf("request %d with the previous cookie: %d, want 401", i, s)
					}
				}
				if secTokenStored(t, env, old) {
					t.Error("the previous cookie token is still stored")
				}
			})
		}
	})
}

// TestOrgSwitch_PlantedCookieStaysDead: a cookie planted before sign-in is
// deleted at sign-in and an organization switch after it gives it no grace.
func TestOrgSwitch_PlantedCookieStaysDead(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t)
		pw := authtest.Password()
		env.CreateUser(t, "planted@example.com", pw)
		c := flNew(t, env)
		planted := secAnonCookie(t, env, c.hc)
		me := c.signIn("planted@example.com", pw)
		u := &ogUser{flClient: c, user: me.User, email: "planted@example.com", pw: pw}
		signedIn := u.sessionCookie()
		org := ogCreate(t, u, "Planted", "planted")
		u.postJSON("/auth/api/orgs/active", map[string]string{"org_id": ""}).want(http.StatusOK)
		u.postJSON("/auth/api/orgs/active", map[string]string{"org_id": org.Organization.ID}).want(http.StatusOK)
		if s := secMe(t, env, planted); s != http.StatusUnauthorized {
			t.Errorf("the planted cookie after sign-in and a switch: %d, want 401", s)
		}
		if secTokenStored(t, env, planted) {
			t.Error("the planted cookie token is still stored")
		}
		if s := secMe(t, env, signedIn); s != http.StatusOK {
			t.Errorf("the signed-in cookie from before the switches: %d, want 200", s)
		}
	})
}

// TestOrgSwitch_LaterRotationEndsTheGrace: a rotation that must end the old
// token at once (here a password change, which also signs out the other
// devices) ends the grace of a token replaced by an earlier switch too.
func TestOrgSwitch_LaterRotationEndsTheGrace(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t)
		u := ogSignIn(t, env, "strict@example.com")
		org := ogCreate(t, u, "Strict", "strict")
		u.postJSON("/auth/api/orgs/active", map[string]string{"org_id": ""}).want(http.StatusOK)
		retired := u.sessionCookie()
		u.postJSON("/auth/api/orgs/active", map[string]string{"org_id": org.Organization.ID}).want(http.StatusOK)
		for range 2 { // the second answer comes from the session cache
			if _, ok := rotActiveOrg(t, env, retired); !ok {
				t.Fatal("the previous cookie is signed out within its grace")
			}
		}
		u.postJSON("/auth/api/password/change", map[string]string{"current_password": u.pw, "new_password": authtest.Password()}).want(http.StatusOK)
		if _, ok := rotActiveOrg(t, env, retired); ok {
			t.Error("a cookie retired before the password change is still signed in")
		}
		if secTokenStored(t, env, retired) {
			t.Error("a cookie retired before the password change is still stored")
		}
		if s := secMe(t, env, u.sessionCookie()); s != http.StatusOK {
			t.Errorf("the current cookie after the password change: %d, want 200", s)
		}
	})
}
