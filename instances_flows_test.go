package auth_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/authtest"
	"github.com/embedauth/auth/internal/oidctest"
	"github.com/embedauth/auth/passkey/passkeytest"
)

// jwtKeyID returns the kid of a compact JWT's header.
func jwtKeyID(t *testing.T, jwt string) string {
	t.Helper()
	h, err := base64.RawURLEncoding.DecodeString(strings.Split(jwt, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	var hdr struct{ Kid string }
	if err := json.Unmarshal(h, &hdr); err != nil {
		t.Fatal(err)
	}
	return hdr.Kid
}

// TestInstances_SigningKeyRotation: a signing key rotated on A signs B's
// next tokens and is in B's JWKS within a second (the key cache's own
// reload, every 30 s, never comes here: the clock stands still).
func TestInstances_SigningKeyRotation(t *testing.T) {
	t.Parallel()
	// One address: the instances issue tokens for the same issuer.
	a, b, _ := instances(t, true)
	cb, _ := jwtSignIn(t, b, "ann@example.com")
	before := jwtKeyID(t, jwtMint(t, cb, ""))
	kid, err := a.Auth.RotateSigningKey(context.Background(), "")
	if err != nil || kid == before {
		t.Fatalf("rotate: %q (was %q), %v", kid, before, err)
	}
	if !seenWithin(time.Second, func() bool { return jwtKeyID(t, jwtMint(t, cb, "")) == kid }) {
		t.Fatalf("B still signs with %s a second after A rotated to %s", jwtKeyID(t, jwtMint(t, cb, "")), kid)
	}
	cb.get("/auth/.well-known/jwks.json").want(http.StatusOK).contains(`"kid":"`+kid+`"`, `"kid":"`+before+`"`)
	// A token B signs now is accepted by A's middleware.
	bearer(t, a, jwtMint(t, cb, "")).want(http.StatusOK)
}

// TestInstances_PasskeyCeremonySpansInstances: registering a passkey
// begins on A and finishes on B; signing in with it begins on B and
// finishes on A.
func TestInstances_PasskeyCeremonySpansInstances(t *testing.T) {
	t.Parallel()
	a, b, _ := instances(t, true)
	pw := authtest.Password()
	u := a.CreateUser(t, "pat@example.com", pw)
	ca := flNew(t, a)
	ca.signIn("pat@example.com", pw)
	key := passkeytest.New(a.URL)

	begin := ca.postJSON("/auth/api/passkeys/register/begin", map[string]any{}).want(http.StatusOK)
	created, _, err := key.Create(begin.body)
	if err != nil {
		t.Fatal(err)
	}
	flNew(t, b).withCookie(ca.sessionCookie()).postJSON("/auth/api/passkeys/register/finish", created).want(http.StatusCreated)

	onB := flNew(t, b)
	begin = onB.postJSON("/auth/api/passkeys/sign-in/begin", map[string]string{}).want(http.StatusOK)
	assertion, err := key.Get(begin.body)
	if err != nil {
		t.Fatal(err)
	}
	var me flMe
	flNew(t, a).withCookie(onB.sessionCookie()).postJSON("/auth/api/passkeys/sign-in/finish", assertion).want(http.StatusOK).decode(&me)
	if me.User.ID != u.ID || me.Session.AuthMethod != "passkey" {
		t.Fatalf("signed in as %+v", me)
	}
}

// TestInstances_SocialSignInSpansInstances: a sign-in with an OpenID
// Connect provider starts on A, and the provider's redirect back lands on
// B, which completes it.
func TestInstances_SocialSignInSpansInstances(t *testing.T) {
	t.Parallel()
	op := oidctest.New(t)
	a, b, clock := instances(t, true, func(c *auth.Config) {
		c.Social = append(c.Social, auth.SocialProvider{Kind: auth.SocialOIDC, ID: "idp", Name: "Test IdP", IssuerURL: op.URL,
			ClientID: op.ClientID, ClientSecret: op.ClientSecret})
	})
	op.SetClock(clock.Now)
	op.SetUser(oidctest.User{Subject: "kc-7", Email: "ada@example.com", EmailVerified: true, Name: "Ada Lovelace"})

	ca := flNew(t, a)
	back := socialAuthorize(t, ca, "idp", nil)
	r := flNew(t, b).withCookie(ca.sessionCookie()).get(back).want(http.StatusSeeOther)
	var session string
	for _, ck := range r.cookies {
		if ck.Name == "embedauth_session" && ck.Value != "" {
			session = ck.Value
		}
	}
	if session == "" {
		t.Fatalf("B's answer to the callback set no session (Location %q)", r.header.Get("Location"))
	}
	me := flNew(t, a).withCookie(session).me().User
	if me.Email != "ada@example.com" || me.Name != "Ada Lovelace" {
		t.Fatalf("signed in as %+v", me)
	}
}
