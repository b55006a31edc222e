package auth_test

import (
	"net/http"
	"testing"

	"github.com/embedauth/auth/authtest"
)

// TestPasswordSignUpMethod checks that a sign-up with a password is
// recorded as one: the session's auth method and the security log say
// "password", not the email code that confirmed the address.
func TestPasswordSignUpMethod(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	c := flNew(t, env)
	flStartSignUp(c, "method-signup@example.com", authtest.Password())
	code := flVerificationCode(t, env, "method-signup@example.com")
	var me flMe
	c.postJSON("/auth/api/sign-up/verify", map[string]string{"code": code}).want(http.StatusOK).decode(&me)
	if me.Session.AuthMethod != "password" {
		t.Errorf("session auth method = %q, want password", me.Session.AuthMethod)
	}
	var found bool
	for _, e := range slLog(t, c) {
		if e.Detail != "sign_up" {
			continue
		}
		found = true
		if e.Method != "password" || e.Description != "Account created and signed in with password" {
			t.Errorf("sign-up log entry: method %q, %q", e.Method, e.Description)
		}
	}
	if !found {
		t.Fatal("no sign_up entry in the security log")
	}
}
