package auth_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/embedauth/auth/authtest"
)

// A right password clears the account's failed attempts also when the
// sign-in stops short of a session: at the second factor, at the new
// device's code, or at a ban. (With a session, the count is cleared in the
// session's transaction; TestT5_SuccessResetsFailureCount.)
func TestRightPasswordClearsFailuresWithoutSession(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		opts   []authtest.Option
		setup  func(t *testing.T, env *authtest.Env, email string) (pw, userID string)
		status int
		code   string
	}{
		{"second factor", []authtest.Option{secIPFromHeader}, func(t *testing.T, env *authtest.Env, email string) (string, string) {
			pw, _, _ := mfaUser(t, env, email)
			u, err := env.Auth.Store().UserByEmail(context.Background(), email)
			if err != nil {
				t.Fatal(err)
			}
			return pw, u.ID
		}, http.StatusAccepted, ""},
		{"device verification", []authtest.Option{secIPFromHeader, devVerify}, func(t *testing.T, env *authtest.Env, email string) (string, string) {
			pw := authtest.Password()
			return pw, env.CreateUser(t, email, pw).ID
		}, http.StatusAccepted, ""},
		{"banned", []authtest.Option{secIPFromHeader}, func(t *testing.T, env *authtest.Env, email string) (string, string) {
			pw := authtest.Password()
			u := env.CreateUser(t, email, pw)
			if _, err := env.Auth.BanUser(context.Background(), u.ID); err != nil {
				t.Fatal(err)
			}
			return pw, u.ID
		}, http.StatusForbidden, "user_banned"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			env := authtest.New(t, c.opts...)
			const email = "count@example.com"
			pw, id := c.setup(t, env, email)
			for i := range 3 {
				r := secSignIn(t, env, env.Client(), email, "wrong-"+pw, "X-Test-IP", fmt.Sprintf("10.7.0.%d", i+1))
				secWant(t, "wrong password", r, http.StatusUnauthorized, "invalid_credentials")
			}
			if n := secFailed(t, env, id); n != 3 {
				t.Fatalf("FailedAttempts = %d, want 3", n)
			}
			secWant(t, "right password", secSignIn(t, env, env.Client(), email, pw, "X-Test-IP", "10.7.1.1"), c.status, c.code)
			if n := secFailed(t, env, id); n != 0 {
				t.Fatalf("FailedAttempts after the right password = %d, want 0", n)
			}
		})
	}
}

// An address with an account and one without lock by the same rule, with
// the same answers at every step: status, code, message and Retry-After.
// Failures expire after LockoutDuration, the first lock lasts a minute and
// the next one twice as long, and the default threshold is 10.
func TestLockoutSameForKnownAndUnknownAddresses(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	pw := authtest.Password()
	env.CreateUser(t, "known@example.com", pw)
	step := 0
	// try makes one wrong attempt on each address and returns the answer,
	// failing when the two differ.
	try := func() secResp {
		t.Helper()
		step++
		known := secSignIn(t, env, env.Client(), "known@example.com", "wrong-"+pw)
		unknown := secSignIn(t, env, env.Client(), "nobody@example.com", "wrong-"+pw)
		if known.Status != unknown.Status || string(known.Body) != string(unknown.Body) ||
			known.Header.Get("Retry-After") != unknown.Header.Get("Retry-After") {
			t.Fatalf("step %d: known address %d %s Retry-After %q; unknown %d %s Retry-After %q", step,
				known.Status, known.Body, known.Header.Get("Retry-After"),
				unknown.Status, unknown.Body, unknown.Header.Get("Retry-After"))
		}
		return known
	}
	wrong := func(n int) {
		t.Helper()
		for range n {
			secWant(t, fmt.Sprintf("step %d", step+1), try(), http.StatusUnauthorized, "invalid_credentials")
		}
	}
	locked := func(retryAfter string) {
		t.Helper()
		r := try()
		secWant(t, fmt.Sprintf("step %d", step), r, http.StatusTooManyRequests, "too_many_attempts")
		if got := r.Header.Get("Retry-After"); got != retryAfter {
			t.Fatalf("step %d: Retry-After %q, want %q", step, got, retryAfter)
		}
	}

	// Failures older than the window (LockoutDuration, an hour) expire.
	wrong(9)
	env.Clock.Advance(time.Hour)
	wrong(9)
	// The 10th failure within the hour is evaluated and locks for a minute.
	wrong(1)
	locked("60")
	env.Clock.Advance(45 * time.Second)
	locked("15")
	// The next lock lasts twice as long.
	env.Clock.Advance(15 * time.Second)
	wrong(10)
	locked("120")
	env.Clock.Advance(2 * time.Minute)
	// The right password clears the known address's count.
	env.SignInWithPassword(t, env.Client(), "known@example.com", pw)
	wrong(9)
	if r := secSignIn(t, env, env.Client(), "known@example.com", "wrong-"+pw); r.Status != http.StatusUnauthorized {
		t.Fatalf("10th failure after a right password: %d %s", r.Status, r.Body)
	}
	if r := secSignIn(t, env, env.Client(), "known@example.com", "wrong-"+pw); r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") != "60" {
		t.Fatalf("11th failure after a right password: %d %s Retry-After %q, want a first lock of 60 s", r.Status, r.Body, r.Header.Get("Retry-After"))
	}
}
