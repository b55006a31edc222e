package auth_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"testing"
	"time"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/authtest"
	"github.com/embedauth/auth/internal/pgtest"
	"github.com/embedauth/auth/mail"
)

// twoInstances starts two Auths, each with its own HTTP server, on one
// PostgreSQL database (a schema of the test server), with one encryption
// key, one clock and one mailbox, as two app instances behind a load balancer are.
func twoInstances(t *testing.T, opts ...authtest.Option) (a, b *authtest.Env, clock *authtest.Clock) {
	t.Helper()
	return instances(t, false, opts...)
}

// instances starts the two instances of twoInstances; with oneAddress, B
// answers for A's public URL too (BaseURL), as instances behind one load
// balancer do, so that a browser's flow may start on one and finish on
// the other.
func instances(t testing.TB, oneAddress bool, opts ...authtest.Option) (a, b *authtest.Env, clock *authtest.Clock) {
	t.Helper()
	url := pgtest.URL(t)
	key := make([]byte, 32)
	rand.Read(key)
	// Mid-minute, so a one-minute window does not end during the test.
	clock = authtest.NewClock(time.Now().Truncate(time.Minute).Add(5 * time.Second))
	// One mailbox: either instance's dispatcher may send a message.
	box := &mail.Capture{}
	shared := func(c *auth.Config) {
		c.DatabaseURL, c.EncryptionKey, c.Now, c.Mailer = url, key, clock.Now, box
	}
	all := append([]authtest.Option{shared}, opts...)
	a = authtest.New(t, all...)
	if oneAddress {
		all = append(all, func(c *auth.Config) { c.BaseURL = a.URL })
	}
	b = authtest.New(t, all...)
	a.Mail, b.Mail = box, box
	return a, b, clock
}

func TestInstances_ShareUsersAndSessions(t *testing.T) {
	t.Parallel()
	a, b, _ := twoInstances(t)
	pw := authtest.Password()
	a.CreateUser(t, "ann@example.com", pw)
	// Signed in through A, the cookie works on B.
	ca := flNew(t, a)
	me := ca.signIn("ann@example.com", pw)
	cb := flNew(t, b).withCookie(ca.sessionCookie())
	var got flMe
	cb.get("/auth/api/me").want(http.StatusOK).decode(&got)
	if got.User.ID != me.User.ID || got.Session.ID != me.Session.ID {
		t.Fatalf("B sees %+v, want A's user and session %+v", got, me)
	}
}

func TestInstances_ShareRateLimits(t *testing.T) {
	t.Parallel()
	const limit = 5
	a, b, _ := twoInstances(t, secThreshold100, func(c *auth.Config) {
		c.RateLimits = auth.RateLimits{SignIn: limit}
	})
	a.CreateUser(t, "ann@example.com", authtest.Password())
	// The client's sign-in attempts go to A and B in turn: the limit is
	// the two instances' together, not each one's.
	envs := []*authtest.Env{a, b}
	for i := range limit {
		r := flNew(t, envs[i%2]).postJSON("/auth/api/sign-in", map[string]string{"email": "ann@example.com", "password": fmt.Sprintf("wrong guess %d", i)})
		if r.status == http.StatusTooManyRequests {
			t.Fatalf("attempt %d refused before the limit: %s", i+1, r.body)
		}
	}
	for _, env := range envs {
		flNew(t, env).postJSON("/auth/api/sign-in", map[string]string{"email": "ann@example.com", "password": "one more"}).
			wantError(http.StatusTooManyRequests, "rate_limited")
	}
}

func TestInstances_ShareLockouts(t *testing.T) {
	t.Parallel()
	a, b, _ := twoInstances(t, func(c *auth.Config) { c.LockoutThreshold = 3 })
	pw := authtest.Password()
	u := a.CreateUser(t, "ann@example.com", pw)
	envs := []*authtest.Env{a, b}
	for i := range 3 {
		flNew(t, envs[i%2]).postJSON("/auth/api/sign-in", map[string]string{"email": "ann@example.com", "password": fmt.Sprintf("wrong guess %d", i)})
	}
	// Locked by the failures on both: the right password fails on either.
	for _, env := range envs {
		if r := flNew(t, env).postJSON("/auth/api/sign-in", map[string]string{"email": "ann@example.com", "password": pw}); r.status == http.StatusOK {
			t.Fatalf("signed in on a locked account: %s", r.body)
		}
	}
	if n := secFailed(t, b, u.ID); n < 3 {
		t.Fatalf("B counts %d failures, want the 3 on A and B", n)
	}
}

// seenWithin polls cond until it holds or d has passed, and reports
// whether it held: another instance's change arrives asynchronously.
func seenWithin(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestInstances_SessionCacheInvalidation: B caches a signed-in session
// (its cache time-to-live never runs out here: the clock stands still), and
// a sign-out, revocation or ban made through A reaches B's cache within a
// second.
func TestInstances_SessionCacheInvalidation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, a *authtest.Env, ca *flClient, me flMe)
	}{
		{"SignOut", func(t *testing.T, a *authtest.Env, ca *flClient, me flMe) {
			ca.postJSON("/auth/api/sign-out", nil).want(http.StatusOK)
		}},
		{"RevokeSession", func(t *testing.T, a *authtest.Env, ca *flClient, me flMe) {
			if err := a.Auth.RevokeSession(ctx, me.Session.ID); err != nil {
				t.Fatal(err)
			}
		}},
		{"Ban", func(t *testing.T, a *authtest.Env, ca *flClient, me flMe) {
			if _, err := a.Auth.BanUser(ctx, me.User.ID); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, b, _ := twoInstances(t, func(c *auth.Config) { c.SessionCacheTTL = time.Hour })
			pw := authtest.Password()
			a.CreateUser(t, "ann@example.com", pw)
			ca := flNew(t, a)
			me := ca.signIn("ann@example.com", pw)
			cb := flNew(t, b).withCookie(ca.sessionCookie())
			cb.get("/auth/api/me").want(http.StatusOK) // now in B's cache
			cb.get("/auth/api/me").want(http.StatusOK)
			tc.change(t, a, ca, me)
			if !seenWithin(time.Second, func() bool { return cb.get("/auth/api/me").status == http.StatusUnauthorized }) {
				t.Fatalf("B still accepts the session a second after the change on A")
			}
		})
	}
}

func TestInstances_RoleChangeReachesTheOtherCache(t *testing.T) {
	t.Parallel()
	a, b, _ := twoInstances(t, func(c *auth.Config) { c.SessionCacheTTL = time.Hour })
	ann := ogSignIn(t, a, "ann@example.com")
	org := ogCreate(t, ann, "Acme", "acme").Organization
	bob := ogJoin(t, a, ann, org.ID, "bob@example.com", "org:member")
	if v := ogProbe(t, b, bob.flClient); v.OrgID != org.ID || v.Role != "org:member" {
		t.Fatalf("B sees bob as %+v", v)
	}
	ann.patchJSON("/auth/api/orgs/"+org.ID+"/members/"+bob.user.ID, map[string]string{"role": "org:admin"}).want(http.StatusOK)
	if !seenWithin(time.Second, func() bool { return ogProbe(t, b, bob.flClient).Role == "org:admin" }) {
		t.Fatalf("B still sees bob as %+v a second after the change on A", ogProbe(t, b, bob.flClient))
	}
}
