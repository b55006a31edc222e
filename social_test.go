package auth_test

// Social sign-in end to end over HTTP: the real handler, a cookie-jar
// client, and real OpenID Connect and GitHub-like OAuth 2.0 providers on
// loopback (internal/oidctest, internal/oauthtest). The client side is the
// real x/oauth2 and go-oidc code.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/authtest"
	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/oauthtest"
	"github.com/embedauth/auth/internal/oidctest"
)

// socialEnv is an app with one OpenID Connect provider, "idp".
type socialEnv struct {
	*authtest.Env
	op *oidctest.Server
}

func newSocialEnv(t *testing.T, opts ...authtest.Option) *socialEnv {
	t.Helper()
	op := oidctest.New(t)
	opts = append([]authtest.Option{func(c *auth.Config) {
		c.Social = append(c.Social, auth.SocialProvider{Kind: auth.SocialOIDC, ID: "idp", Name: "Test IdP", IssuerURL: op.URL,
			ClientID: op.ClientID, ClientSecret: op.ClientSecret})
	}}, opts...)
	env := authtest.New(t, opts...)
	op.SetClock(env.Clock.Now)
	return &socialEnv{Env: env, op: op}
}

// socialAuthorize starts a sign-in (or link) at provider for c, follows
// the provider's authorization page and returns the callback path and
// query the provider sent the browser back to, without visiting it.
func socialAuthorize(t *testing.T, c *flClient, provider string, form url.Values) string {
	t.Helper()
	r := c.postForm("/auth/oauth/"+provider+"/start", form).want(http.StatusSeeOther)
	loc := r.header.Get("Location")
	if strings.HasPrefix(loc, "/") {
		t.Fatalf("start redirected to %s, not to the provider", loc)
	}
	resp, err := c.hc.Get(loc)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound {
		t.Fatalf("provider answered %s, Location %q", resp.Status, resp.Header.Get("Location"))
	}
	if want := c.env.URL + "/auth/oauth/" + provider + "/callback"; back.Scheme+"://"+back.Host+back.Path != want {
		t.Fatalf("provider sent the browser to %s, want %s", back, want)
	}
	return back.RequestURI()
}

// socialSignIn runs the whole dance and returns the final answer.
func socialSignIn(t *testing.T, c *flClient, provider string) *flResp {
	t.Helper()
	return c.get(socialAuthorize(t, c, provider, nil))
}

// socialSnapshot counts what a failed flow must not change.
type socialSnapshot struct{ users, accounts, sessions, events int }

func snapshot(t *testing.T, env *authtest.Env) socialSnapshot {
	t.Helper()
	db := env.Auth.Store().SQL()
	var s socialSnapshot
	for _, q := range []struct {
		table string
		n     *int
	}{{"auth_users", &s.users}, {"auth_external_accounts", &s.accounts}, {"auth_sessions", &s.sessions}, {"auth_events", &s.events}} {
		if err := db.QueryRow("SELECT COUNT(*) FROM " + q.table).Scan(q.n); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func (s socialSnapshot) same(t *testing.T, env *authtest.Env) {
	t.Helper()
	if now := snapshot(t, env); now != s {
		t.Errorf("the database changed: before %+v, after %+v", s, now)
	}
}

func userByEmail(t *testing.T, env *authtest.Env, email string) auth.User {
	t.Helper()
	u, err := env.Auth.GetUserByEmail(context.Background(), email)
	if err != nil {
		t.Fatalf("user %s: %v", email, err)
	}
	return u
}

func TestSocialOIDC_SignUpThenSignIn(t *testing.T) {
	t.Parallel()
	env := newSocialEnv(t)
	env.op.SetUser(oidctest.User{Subject: "kc-1", Email: "ada@example.com", EmailVerified: true, Name: "Ada Lovelace"})
	c := flNew(t, env.Env)
	c.get("/auth/sign-in").want(http.StatusOK).contains(`action="/auth/oauth/idp/start"`, "Continue with Test IdP")
	c.get("/auth/sign-up").want(http.StatusOK).contains("Continue with Test IdP")

	r := c.get(socialAuthorize(t, c, "idp", url.Values{"redirect_url": {"/dashboard"}})).want(http.StatusSeeOther)
	if loc := r.header.Get("Location"); loc != "/dashboard" {
		t.Errorf("signed in to %s, want /dashboard", loc)
	}
	me := c.me().User
	if me.Email != "ada@example.com" || !me.EmailVerified || me.Name != "Ada Lovelace" {
		t.Errorf("me = %+v", me)
	}
	evs, err := env.Auth.Store().Events(context.Background(), core.EventUserCreated, -1)
	if err != nil || len(evs) != 1 {
		t.Fatalf("user.created events: %v %d", err, len(evs))
	}
	var data struct {
		ID       string                               `json:"id"`
		Accounts []struct{ Provider, Subject string } `json:"external_accounts"`
	}
	json.Unmarshal(evs[0].Data, &data)
	if data.ID != me.ID || len(data.Accounts) != 1 || data.Accounts[0].Provider != "idp" || data.Accounts[0].Subject != "kc-1" {
		t.Errorf("user.created data = %s", evs[0].Data)
	}
	var method string
	env.Auth.Store().SQL().QueryRow(`SELECT auth_method FROM auth_sessions WHERE user_id = $1`, me.ID).Scan(&method)
	if method != "oauth_idp" {
		t.Errorf("session method %q", method)
	}

	// Another browser signs in to the same account.
	c2 := flNew(t, env.Env)
	socialSignIn(t, c2, "idp").want(http.StatusSeeOther)
	if me2 := c2.me().User; me2.ID != me.ID {
		t.Errorf("second sign-in reached %s, want %s", me2.ID, me.ID)
	}
	if n := snapshot(t, env.Env).users; n != 1 {
		t.Errorf("%d users", n)
	}
}

func TestSocialOIDC_UnverifiedEmailStaysUnverified(t *testing.T) {
	t.Parallel()
	env := newSocialEnv(t)
	env.op.SetUser(oidctest.User{Subject: "kc-2", Email: "maybe@example.com", EmailVerified: false, Name: "Maybe"})
	c := flNew(t, env.Env)
	socialSignIn(t, c, "idp").want(http.StatusSeeOther)
	me := c.me().User
	if me.Email != "" || me.EmailVerified {
		t.Errorf("an unverified provider email became the account's: %+v", me)
	}
	if _, err := env.Auth.GetUserByEmail(context.Background(), "maybe@example.com"); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("the unverified address is an identifier: %v", err)
	}
}

// TestSocialOIDC_UnverifiedEmailRefusedForLinking: even with automatic
// linking, an email the provider did not verify never joins an account;
// the identity gets an account of its own, without the email, as it
// would if no account had the address (the answer does not tell).
func TestSocialOIDC_UnverifiedEmailRefusedForLinking(t *testing.T) {
	t.Parallel()
	env := newSocialEnv(t, func(c *auth.Config) { c.SocialLinking = auth.SocialLinkVerifiedEmail })
	pw := authtest.Password()
	owner := env.CreateUser(t, "bob@example.com", pw)
	env.op.SetUser(oidctest.User{Subject: "attacker", Email: "bob@example.com", EmailVerified: false})
	c := flNew(t, env.Env)
	socialSignIn(t, c, "idp").want(http.StatusSeeOther)
	if me := c.me().User; me.ID == owner.ID || me.Email != "" {
		t.Errorf("the unverified identity reached %+v", me)
	}
	if list, _ := env.Auth.Store().ExternalAccounts(context.Background(), owner.ID); len(list) != 0 {
		t.Errorf("linked to the owner: %+v", list)
	}
	flNew(t, env.Env).signIn("bob@example.com", pw)
	if u := userByEmail(t, env.Env, "bob@example.com"); u.ID != owner.ID || !u.HasPassword {
		t.Errorf("owner changed: %+v", u)
	}
	if evs, _ := env.Auth.Store().Events(context.Background(), core.EventUserUpdated, -1); len(evs) != 0 {
		t.Errorf("%d user.updated events", len(evs))
	}
}

func TestSocialOIDC_VerifiedEmailLinking(t *testing.T) {
	t.Parallel()
	t.Run("ProveFirstByDefault", func(t *testing.T) {
		t.Parallel()
		env := newSocialEnv(t)
		pw := authtest.Password()
		bob := env.CreateUser(t, "bob@example.com", pw)
		env.op.SetUser(oidctest.User{Subject: "bob-idp", Email: "bob@example.com", EmailVerified: true})
		before := snapshot(t, env.Env)
		c := flNew(t, env.Env)
		socialSignIn(t, c, "idp").want(http.StatusConflict).contains("Sign in to it", "/auth/sign-in?redirect_url=%2Fauth%2Fprofile%3Ftab%3Dconnections")
		before.same(t, env.Env)
		// Proving the account in the same browser connects the identity.
		c.signIn("bob@example.com", pw)
		if list, _ := env.Auth.Store().ExternalAccounts(context.Background(), bob.ID); len(list) != 1 || list[0].Subject != "bob-idp" {
			t.Fatalf("after signing in: %+v", list)
		}
		c.get("/auth/profile").want(http.StatusOK).contains("Test IdP account is connected")
		c.postJSON("/auth/api/sign-out", nil).want(http.StatusOK)
		socialSignIn(t, c, "idp").want(http.StatusSeeOther)
		if me := c.me().User; me.ID != bob.ID {
			t.Fatalf("provider sign-in as %s, want %s", me.ID, bob.ID)
		}
	})
	t.Run("ProvingAnotherAccountConnectsNothing", func(t *testing.T) {
		t.Parallel()
		env := newSocialEnv(t)
		env.CreateUser(t, "bob@example.com", authtest.Password())
		pw := authtest.Password()
		eve := env.CreateUser(t, "eve@example.com", pw)
		env.op.SetUser(oidctest.User{Subject: "bob-idp", Email: "bob@example.com", EmailVerified: true})
		c := flNew(t, env.Env)
		socialSignIn(t, c, "idp").want(http.StatusConflict)
		c.signIn("eve@example.com", pw)
		if list, _ := env.Auth.Store().ExternalAccounts(context.Background(), eve.ID); len(list) != 0 {
			t.Fatalf("connected to another account: %+v", list)
		}
	})
	t.Run("LateSignInConnectsNothing", func(t *testing.T) {
		t.Parallel()
		env := newSocialEnv(t)
		pw := authtest.Password()
		bob := env.CreateUser(t, "bob@example.com", pw)
		env.op.SetUser(oidctest.User{Subject: "bob-idp", Email: "bob@example.com", EmailVerified: true})
		c := flNew(t, env.Env)
		socialSignIn(t, c, "idp").want(http.StatusConflict)
		env.Clock.Advance(11 * time.Minute)
		c.signIn("bob@example.com", pw)
		if list, _ := env.Auth.Store().ExternalAccounts(context.Background(), bob.ID); len(list) != 0 {
			t.Fatalf("connected after the window: %+v", list)
		}
	})
	t.Run("Automatic", func(t *testing.T) {
		t.Parallel()
		env := newSocialEnv(t, func(c *auth.Config) { c.SocialLinking = auth.SocialLinkVerifiedEmail })
		owner := env.CreateUser(t, "bob@example.com", authtest.Password())
		env.op.SetUser(oidctest.User{Subject: "bob-idp", Email: "Bob@Example.com", EmailVerified: true})
		c := flNew(t, env.Env)
		socialSignIn(t, c, "idp").want(http.StatusSeeOther)
		if me := c.me().User; me.ID != owner.ID {
			t.Errorf("signed in as %s, want %s", me.ID, owner.ID)
		}
		evs, _ := env.Auth.Store().Events(context.Background(), core.EventUserUpdated, -1)
		if len(evs) != 1 || !bytes.Contains(evs[0].Data, []byte(`"bob-idp"`)) {
			t.Errorf("user.updated events: %d", len(evs))
		}
	})
}

// TestSocialOIDC_PreHijackedAccountClaimed: an account someone set up on
// the victim's address with a password and never verified loses that
// password and its sessions when the victim signs in with a provider that
// verified the address.
func TestSocialOIDC_PreHijackedAccountClaimed(t *testing.T) {
	t.Parallel()
	env := newSocialEnv(t, func(c *auth.Config) { c.SocialLinking = auth.SocialLinkVerifiedEmail })
	ctx := context.Background()
	pw := authtest.Password()
	planted, err := env.Auth.CreateUser(ctx, auth.CreateUserParams{Email: "victim@example.com", Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	attacker := flNew(t, env.Env)
	attacker.signIn("victim@example.com", pw)
	env.op.SetUser(oidctest.User{Subject: "victim-google", Email: "victim@example.com", EmailVerified: true})
	victim := flNew(t, env.Env)
	socialSignIn(t, victim, "idp").want(http.StatusSeeOther)
	me := victim.me().User
	if me.ID != planted.ID || !me.EmailVerified {
		t.Errorf("victim = %+v", me)
	}
	attacker.get("/auth/api/me").want(http.StatusUnauthorized)
	attacker.postJSON("/auth/api/sign-in", map[string]string{"email": "victim@example.com", "password": pw}).want(http.StatusUnauthorized)
}

func TestSocialOIDC_SecondFactorRequired(t *testing.T) {
	t.Parallel()
	env := newSocialEnv(t, func(c *auth.Config) { c.SocialLinking = auth.SocialLinkVerifiedEmail })
	_, secret, _ := mfaUser(t, env.Env, "mfa@example.com")
	env.op.SetUser(oidctest.User{Subject: "mfa-idp", Email: "mfa@example.com", EmailVerified: true})
	c := flNew(t, env.Env)
	r := socialSignIn(t, c, "idp").want(http.StatusSeeOther)
	if loc := r.header.Get("Location"); !strings.HasPrefix(loc, "/auth/sign-in/factor-two") {
		t.Fatalf("went to %s, want the second step", loc)
	}
	c.get("/auth/api/me").want(http.StatusUnauthorized)
	c.postForm("/auth/sign-in/factor-two", url.Values{"method": {"totp"}, "code": {mfaCode(t, env.Env, secret)}}).want(http.StatusSeeOther)
	if me := c.me().User; me.Email != "mfa@example.com" {
		t.Errorf("me = %+v", me)
	}

	// Signing in again with the now linked identity asks again.
	c2 := flNew(t, env.Env)
	if loc := socialSignIn(t, c2, "idp").want(http.StatusSeeOther).header.Get("Location"); !strings.HasPrefix(loc, "/auth/sign-in/factor-two") {
		t.Errorf("linked identity went to %s", loc)
	}
	c2.get("/auth/api/me").want(http.StatusUnauthorized)
}

func TestSocialOIDC_BannedUser(t *testing.T) {
	t.Parallel()
	env := newSocialEnv(t)
	c := flNew(t, env.Env)
	socialSignIn(t, c, "idp").want(http.StatusSeeOther)
	me := c.me().User
	if _, err := env.Auth.Store().SetBanned(context.Background(), me.ID, true); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, env.Env)
	socialSignIn(t, flNew(t, env.Env), "idp").want(http.StatusForbidden).contains("disabled")
	before.same(t, env.Env)
}

func TestSocialOIDC_LinkAndUnlink(t *testing.T) {
	t.Parallel()
	env := newSocialEnv(t)
	pw := authtest.Password()
	c := flNew(t, env.Env)
	env.CreateUser(t, "carol@example.com", pw)
	me := c.signIn("carol@example.com", pw).User
	// The provider's email is someone else's: linking from the profile
	// connects whatever identity the signed-in user proves.
	env.op.SetUser(oidctest.User{Subject: "carol-idp", Email: "carol.work@example.com", EmailVerified: true})
	c.get("/auth/profile?tab=connections").want(http.StatusOK).contains("Connected accounts", `id="connect-idp"`)
	r := c.get(socialAuthorize(t, c, "idp", url.Values{"intent": {"link"}, "redirect_url": {"/auth/profile"}})).want(http.StatusSeeOther)
	if loc := r.header.Get("Location"); loc != "/auth/profile" {
		t.Errorf("link went to %s", loc)
	}
	c.get("/auth/profile?tab=connections").want(http.StatusOK).contains("is connected", "carol.work@example.com", `id="disconnect-idp"`)
	list, _ := env.Auth.Store().ExternalAccounts(context.Background(), me.ID)
	if len(list) != 1 || list[0].Subject != "carol-idp" {
		t.Fatalf("accounts = %+v", list)
	}
	evs, _ := env.Auth.Store().Events(context.Background(), core.EventUserUpdated, -1)
	if len(evs) != 1 {
		t.Errorf("%d user.updated events after linking", len(evs))
	}

	// The linked identity signs in to carol's account from another browser.
	c2 := flNew(t, env.Env)
	socialSignIn(t, c2, "idp").want(http.StatusSeeOther)
	if got := c2.me().User; got.ID != me.ID {
		t.Errorf("linked sign-in reached %s", got.ID)
	}

	// Another user cannot take it over by linking it too.
	d := flNew(t, env.Env)
	dpw := authtest.Password()
	env.CreateUser(t, "dave@example.com", dpw)
	d.signIn("dave@example.com", dpw)
	before := snapshot(t, env.Env)
	d.get(socialAuthorize(t, d, "idp", url.Values{"intent": {"link"}})).want(http.StatusConflict)
	before.same(t, env.Env)

	// Past the reverification window, disconnecting needs the password.
	env.Clock.Advance(auth.DefaultReverificationAge + time.Second)
	before = snapshot(t, env.Env)
	c.postForm("/auth/profile/connections/disconnect", url.Values{"account_id": {list[0].ID}}).want(http.StatusUnprocessableEntity)
	c.postForm("/auth/profile/connections/disconnect", url.Values{"account_id": {list[0].ID}, "password": {"wrong password here"}}).want(http.StatusUnprocessableEntity)
	before.same(t, env.Env)
	d.postForm("/auth/profile/connections/disconnect", url.Values{"account_id": {list[0].ID}, "password": {dpw}}).want(http.StatusNotFound)
	c.postForm("/auth/profile/connections/disconnect", url.Values{"account_id": {list[0].ID}, "password": {pw}}).want(http.StatusSeeOther)
	if list, _ := env.Auth.Store().ExternalAccounts(context.Background(), me.ID); len(list) != 0 {
		t.Errorf("still connected: %+v", list)
	}
	evs, _ = env.Auth.Store().Events(context.Background(), core.EventUserUpdated, -1)
	if len(evs) != 2 {
		t.Errorf("%d user.updated events after unlinking", len(evs))
	}
	// Both changes were mailed to carol (R6).
	if _, err := env.Auth.FlushMail(context.Background()); err != nil {
		t.Fatal(err)
	}
	var subjects []string
	for _, m := range env.Mail.Messages() {
		if m.To == "carol@example.com" {
			subjects = append(subjects, m.Subject)
		}
	}
	want := []string{"Test IdP was connected to your Test App account", "Test IdP was disconnected from your Test App account"}
	if strings.Join(subjects, "|") != strings.Join(want, "|") {
		t.Errorf("mail to carol: %q, want %q", subjects, want)
	}
}

func TestSocialOIDC_LinkNeedsRecentSignIn(t *testing.T) {
	t.Parallel()
	env := newSocialEnv(t)
	pw := authtest.Password()
	env.CreateUser(t, "erin@example.com", pw)
	c := flNew(t, env.Env)
	c.signIn("erin@example.com", pw)
	env.Clock.Advance(time.Hour)
	r := c.postForm("/auth/oauth/idp/start", url.Values{"intent": {"link"}}).want(http.StatusSeeOther)
	if loc := r.header.Get("Location"); !strings.HasPrefix(loc, "/auth/reverify") {
		t.Errorf("stale session went to %s, want the reverification page", loc)
	}
	flNew(t, env.Env).postForm("/auth/oauth/idp/start", url.Values{"intent": {"link"}}).want(http.StatusUnauthorized)
}

// TestSocialOIDC_UnlinkLastMethodRefused: an account whose only way in is
// the provider keeps it.
func TestSocialOIDC_UnlinkLastMethodRefused(t *testing.T) {
	t.Parallel()
	env := newSocialEnv(t, func(c *auth.Config) { c.Methods = []auth.Method{auth.MethodPassword} })
	env.op.SetUser(oidctest.User{Subject: "only", Email: "only@example.com", EmailVerified: true})
	c := flNew(t, env.Env)
	socialSignIn(t, c, "idp").want(http.StatusSeeOther)
	me := c.me().User
	list, _ := env.Auth.Store().ExternalAccounts(context.Background(), me.ID)
	before := snapshot(t, env.Env)
	c.postForm("/auth/profile/connections/disconnect", url.Values{"account_id": {list[0].ID}}).want(http.StatusConflict).contains("only way to sign in")
	before.same(t, env.Env)

	// A stale session must prove itself first: the form sends it to the
	// reverification page.
	env.Clock.Advance(time.Hour)
	if loc := c.postForm("/auth/profile/connections/disconnect", url.Values{"account_id": {list[0].ID}}).want(http.StatusSeeOther).location(); !strings.HasPrefix(loc, "/auth/reverify?redirect_url=") {
		t.Fatalf("stale disconnect went to %q", loc)
	}
	c.deleteJSON("/auth/api/me/connections/"+list[0].ID, map[string]any{}).wantError(http.StatusForbidden, "reverification_required")
	before.same(t, env.Env)
}

// TestSocialOIDC_Tampering: every forged or replayed callback fails with
// a clear page and changes nothing.
func TestSocialOIDC_Tampering(t *testing.T) {
	t.Parallel()
	env := newSocialEnv(t)

	t.Run("State", func(t *testing.T) {
		c := flNew(t, env.Env)
		cb := socialAuthorize(t, c, "idp", nil)
		u, _ := url.Parse(cb)
		q := u.Query()
		q.Set("state", "forged"+q.Get("state"))
		before := snapshot(t, env.Env)
		c.get(u.Path + "?" + q.Encode()).want(http.StatusBadRequest).contains("Start again")
		// The flow was used up by the forged attempt.
		c.get(cb).want(http.StatusBadRequest)
		before.same(t, env.Env)
	})
	t.Run("MixUpIssuer", func(t *testing.T) {
		c := flNew(t, env.Env)
		u, _ := url.Parse(socialAuthorize(t, c, "idp", nil))
		q := u.Query()
		q.Set("iss", "https://other-provider.example")
		before := snapshot(t, env.Env)
		c.get(u.Path + "?" + q.Encode()).want(http.StatusBadRequest)
		before.same(t, env.Env)
	})
	t.Run("OtherBrowser", func(t *testing.T) {
		cb := socialAuthorize(t, flNew(t, env.Env), "idp", nil)
		before := snapshot(t, env.Env)
		flNew(t, env.Env).get(cb).want(http.StatusBadRequest)
		before.same(t, env.Env)
	})
	t.Run("ReplayedCallback", func(t *testing.T) {
		c := flNew(t, env.Env)
		cb := socialAuthorize(t, c, "idp", nil)
		c.get(cb).want(http.StatusSeeOther)
		before := snapshot(t, env.Env)
		c.get(cb).want(http.StatusBadRequest)
		before.same(t, env.Env)
	})
	t.Run("ReplayedCode", func(t *testing.T) {
		c := flNew(t, env.Env)
		used, _ := url.Parse(socialAuthorize(t, c, "idp", nil))
		c.get(used.RequestURI()).want(http.StatusSeeOther)
		// A new flow in the same browser, answered with the spent code.
		fresh, _ := url.Parse(socialAuthorize(t, c, "idp", nil))
		q := fresh.Query()
		q.Set("code", used.Query().Get("code"))
		before := snapshot(t, env.Env)
		c.get(fresh.Path + "?" + q.Encode()).want(http.StatusBadGateway).contains("could not confirm")
		before.same(t, env.Env)
	})
	t.Run("PKCECodeInjection", func(t *testing.T) {
		// The victim's code, stolen before it reached the app, injected
		// into the attacker's own flow: the attacker's PKCE verifier does
		// not match the challenge the code was issued for.
		victim, _ := url.Parse(socialAuthorize(t, flNew(t, env.Env), "idp", nil))
		attacker := flNew(t, env.Env)
		mine, _ := url.Parse(socialAuthorize(t, attacker, "idp", nil))
		q := mine.Query()
		q.Set("code", victim.Query().Get("code"))
		before := snapshot(t, env.Env)
		attacker.get(mine.Path + "?" + q.Encode()).want(http.StatusBadGateway)
		before.same(t, env.Env)
		attacker.get("/auth/api/me").want(http.StatusUnauthorized)
	})
	t.Run("ExpiredFlow", func(t *testing.T) {
		c := flNew(t, env.Env)
		cb := socialAuthorize(t, c, "idp", nil)
		env.Clock.Advance(11 * time.Minute)
		before := snapshot(t, env.Env)
		c.get(cb).want(http.StatusBadRequest).contains("expired")
		before.same(t, env.Env)
	})
}

// TestSocialOIDC_BadIDToken: ID tokens the provider's keys signed, but
// for another issuer or audience, expired or with another nonce, are
// refused.
func TestSocialOIDC_BadIDToken(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		knobs oidctest.Knobs
	}{
		{"WrongIssuer", oidctest.Knobs{Issuer: "https://accounts.evil.example"}},
		{"WrongAudience", oidctest.Knobs{Audience: "someone-elses-client"}},
		{"Expired", oidctest.Knobs{IDTokenTTL: -time.Second}},
		{"Nonce", oidctest.Knobs{Nonce: "replayed-nonce"}},
		{"Missing", oidctest.Knobs{NoIDToken: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := newSocialEnv(t)
			env.op.SetKnobs(tc.knobs)
			c := flNew(t, env.Env)
			before := snapshot(t, env.Env)
			socialSignIn(t, c, "idp").want(http.StatusBadGateway).contains("could not confirm your sign-in")
			before.same(t, env.Env)
			c.get("/auth/api/me").want(http.StatusUnauthorized)
		})
	}
}

// TestSocialOAuth_BadInput: provider errors, missing code, oversized and
// repeated parameters give a clear page and change nothing.
func TestSocialOAuth_BadInput(t *testing.T) {
	t.Parallel()
	env := newSocialEnv(t)
	before := snapshot(t, env.Env)

	t.Run("AccessDenied", func(t *testing.T) {
		e := newSocialEnv(t)
		e.op.SetKnobs(oidctest.Knobs{Error: "access_denied"})
		b := snapshot(t, e.Env)
		socialSignIn(t, flNew(t, e.Env), "idp").want(http.StatusForbidden).contains("was cancelled", "nothing changed")
		b.same(t, e.Env)
		// In the reader's language, the provider's name put in.
		c := flNew(t, e.Env)
		back := socialAuthorize(t, c, "idp", nil)
		c.do(http.MethodGet, back, "", nil, "Accept-Language", "de").want(http.StatusForbidden).
			contains("Die Anmeldung mit Test IdP wurde abgebrochen")
	})
	t.Run("ProviderErrorTextNotShown", func(t *testing.T) {
		c := flNew(t, env.Env)
		cb, _ := url.Parse(socialAuthorize(t, c, "idp", nil))
		q := url.Values{"state": {cb.Query().Get("state")}, "error": {"server_error<script>"}, "error_description": {"<b>pwned</b>"}}
		r := c.get(cb.Path + "?" + q.Encode()).want(http.StatusBadGateway).contains("(server_errorscript)")
		if bytes.Contains(r.body, []byte("pwned")) {
			t.Error("the provider's free text reached the page")
		}
	})
	t.Run("MissingCode", func(t *testing.T) {
		c := flNew(t, env.Env)
		cb, _ := url.Parse(socialAuthorize(t, c, "idp", nil))
		c.get(cb.Path + "?state=" + url.QueryEscape(cb.Query().Get("state"))).want(http.StatusBadRequest).contains("did not complete")
	})
	t.Run("Oversized", func(t *testing.T) {
		c := flNew(t, env.Env)
		cb, _ := url.Parse(socialAuthorize(t, c, "idp", nil))
		q := cb.Query()
		q.Set("code", strings.Repeat("A", 5000))
		c.get(cb.Path + "?" + q.Encode()).want(http.StatusBadRequest)
		q = cb.Query()
		q.Add("state", "second")
		c.get(cb.Path + "?" + q.Encode()).want(http.StatusBadRequest)
	})
	t.Run("NoFlow", func(t *testing.T) {
		flNew(t, env.Env).get("/auth/oauth/idp/callback?code=x&state=y").want(http.StatusBadRequest)
	})
	t.Run("UnknownProvider", func(t *testing.T) {
		c := flNew(t, env.Env)
		c.postForm("/auth/oauth/nope/start", nil).want(http.StatusNotFound)
		c.get("/auth/oauth/nope/callback?code=x&state=y").want(http.StatusNotFound)
	})
	t.Run("BadIntent", func(t *testing.T) {
		flNew(t, env.Env).postForm("/auth/oauth/idp/start", url.Values{"intent": {"admin"}}).want(http.StatusBadRequest)
	})
	t.Run("CrossSiteStart", func(t *testing.T) {
		flNew(t, env.Env).do(http.MethodPost, "/auth/oauth/idp/start", "application/x-www-form-urlencoded", nil,
			"Sec-Fetch-Site", "cross-site").want(http.StatusForbidden)
	})
	t.Run("ForeignRedirect", func(t *testing.T) {
		e := newSocialEnv(t)
		c := flNew(t, e.Env)
		r := c.get(socialAuthorize(t, c, "idp", url.Values{"redirect_url": {"https://evil.example/steal"}})).want(http.StatusSeeOther)
		if loc := r.header.Get("Location"); loc != "/" {
			t.Errorf("went to %s", loc)
		}
	})
	before.same(t, env.Env)
}

func TestSocialOIDC_DiscoveryFailure(t *testing.T) {
	t.Parallel()
	env := authtest.New(t, func(c *auth.Config) {
		c.Social = []auth.SocialProvider{{Kind: auth.SocialOIDC, ID: "down", IssuerURL: "http://127.0.0.1:1/realms/x", ClientID: "x"}}
	})
	flNew(t, env).postForm("/auth/oauth/down/start", nil).want(http.StatusBadGateway).contains("can't be reached")
}

func TestSocialOIDC_CSPAllowsProvider(t *testing.T) {
	t.Parallel()
	env := newSocialEnv(t)
	csp := flNew(t, env.Env).get("/auth/sign-in").header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "form-action 'self' "+env.op.URL) {
		t.Errorf("CSP %q does not let the sign-in form lead to the provider", csp)
	}
}

func TestSocialConfig_Invalid(t *testing.T) {
	t.Parallel()
	for _, p := range [][]auth.SocialProvider{
		{{Kind: auth.SocialOIDC, ClientID: "x", IssuerURL: "https://idp.example"}}, // no ID
		{{Kind: auth.SocialGoogle}}, // no client id
		{{Kind: auth.SocialGoogle, ClientID: "x"}, {Kind: auth.SocialGoogle, ClientID: "y"}}, // twice
		{{Kind: "friendster", ID: "f", ClientID: "x"}},                                       // unknown
		{{Kind: auth.SocialOIDC, ID: "kc", ClientID: "x", IssuerURL: "not a url"}},           // bad issuer
	} {
		_, err := auth.New(auth.Config{DatabasePath: t.TempDir() + "/a.db", Social: p})
		if err == nil {
			t.Errorf("New accepted %+v", p)
		}
	}
}

// TestSocialOAuth_GitHub covers the plain OAuth 2.0 path: no ID token,
// the profile from /user and the primary verified email from
// /user/emails.
func TestSocialOAuth_GitHub(t *testing.T) {
	t.Parallel()
	gh := oauthtest.New(t)
	env := authtest.New(t, func(c *auth.Config) {
		c.Social = []auth.SocialProvider{{Kind: auth.SocialGitHub, ClientID: gh.ClientID, ClientSecret: gh.ClientSecret,
			AuthURL: gh.URL + "/login/oauth/authorize", TokenURL: gh.URL + "/login/oauth/access_token", APIURL: gh.URL + "/api"}}
		c.StoreProviderTokens = true
	})
	gh.SetUser(oauthtest.User{ID: 101, Login: "octo", Name: "Octo Cat", PublicEmail: "public@example.com",
		Emails: []oauthtest.Email{{Email: "secondary@example.com", Verified: true}, {Email: "octo@example.com", Primary: true, Verified: true}}})
	c := flNew(t, env)
	c.get("/auth/sign-in").contains("Continue with GitHub")
	socialSignIn(t, c, "github").want(http.StatusSeeOther)
	me := c.me().User
	if me.Email != "octo@example.com" || !me.EmailVerified || me.Name != "Octo Cat" {
		t.Errorf("me = %+v", me)
	}
	tok, err := env.Auth.ProviderToken(context.Background(), me.ID, "github")
	if err != nil || !strings.HasPrefix(tok.AccessToken, "gho_") {
		t.Fatalf("ProviderToken: %v %+v", err, tok)
	}
	var sealed []byte
	env.Auth.Store().SQL().QueryRow(`SELECT access_token FROM auth_external_accounts`).Scan(&sealed)
	if bytes.Contains(sealed, []byte(tok.AccessToken)) {
		t.Error("the access token is stored in clear")
	}

	t.Run("NoVerifiedEmail", func(t *testing.T) {
		gh.SetUser(oauthtest.User{ID: 102, Login: "kit", PublicEmail: "octo@example.com",
			Emails: []oauthtest.Email{{Email: "kit@example.com", Primary: true}}})
		c := flNew(t, env)
		socialSignIn(t, c, "github").want(http.StatusSeeOther)
		if me := c.me().User; me.Email != "" || me.Name != "kit" {
			t.Errorf("me = %+v", me)
		}
	})
}

// TestSocialOIDC_ProviderToken: tokens are kept sealed and refreshed when
// expired.
func TestSocialOIDC_ProviderToken(t *testing.T) {
	t.Parallel()
	env := newSocialEnv(t, func(c *auth.Config) { c.StoreProviderTokens = true })
	c := flNew(t, env.Env)
	socialSignIn(t, c, "idp").want(http.StatusSeeOther)
	me := c.me().User
	ctx := context.Background()
	first, err := env.Auth.ProviderToken(ctx, me.ID, "idp")
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := env.Auth.ProviderToken(ctx, me.ID, "idp"); again.AccessToken != first.AccessToken {
		t.Error("a valid token was refreshed")
	}
	env.Clock.Advance(2 * time.Hour)
	fresh, err := env.Auth.ProviderToken(ctx, me.ID, "idp")
	if err != nil {
		t.Fatal(err)
	}
	if fresh.AccessToken == first.AccessToken || !fresh.Expiry.After(env.Clock.Now()) {
		t.Errorf("expired token not refreshed: %+v", fresh)
	}
	if _, err := env.Auth.ProviderToken(ctx, me.ID, "github"); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("unknown provider: %v", err)
	}
	if _, err := env.Auth.ProviderToken(ctx, "user_nobody", "idp"); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("unknown user: %v", err)
	}
}

// oaSocialAnswers drives the connected-account routes to their success
// and main errors for TestOpenAPIAnswersMatch.
func oaSocialAnswers(t *testing.T, check func(t *testing.T, op string, r *flResp)) {
	env := newSocialEnv(t, func(c *auth.Config) { c.Methods = []auth.Method{auth.MethodPassword} })
	check(t, "GET /api/methods", flNew(t, env.Env).get("/auth/api/methods"))

	// A user who has only the provider.
	env.op.SetUser(oidctest.User{Subject: "oa-only", Email: "oa-only@example.com", EmailVerified: true, Name: "Only"})
	only := flNew(t, env.Env)
	socialSignIn(t, only, "idp").want(http.StatusSeeOther)
	var list struct{ Connections []core.ExternalAccount }
	r := only.get("/auth/api/me/connections")
	check(t, "GET /api/me/connections", r)
	r.decode(&list)
	check(t, "DELETE /api/me/connections/{id}", only.deleteJSON("/auth/api/me/connections/"+list.Connections[0].ID, map[string]string{}))
	check(t, "DELETE /api/me/connections/{id}", only.deleteJSON("/auth/api/me/connections/ext_unknown", map[string]string{}))
	env.Clock.Advance(time.Hour)
	check(t, "DELETE /api/me/connections/{id}", only.deleteJSON("/auth/api/me/connections/"+list.Connections[0].ID, map[string]string{}))

	// A user with a password connects the provider, then disconnects it.
	pw := authtest.Password()
	env.CreateUser(t, "oa-pw@example.com", pw)
	c := flNew(t, env.Env)
	c.signIn("oa-pw@example.com", pw)
	env.op.SetUser(oidctest.User{Subject: "oa-pw", Email: "oa-pw@example.com", EmailVerified: true})
	c.get(socialAuthorize(t, c, "idp", url.Values{"intent": {"link"}})).want(http.StatusSeeOther)
	c.get("/auth/api/me/connections").decode(&list)
	check(t, "DELETE /api/me/connections/{id}", c.deleteJSON("/auth/api/me/connections/"+list.Connections[0].ID, map[string]string{}))
	check(t, "DELETE /api/me/connections/{id}", c.deleteJSON("/auth/api/me/connections/"+list.Connections[0].ID, map[string]string{"password": "wrong-wrong-wrong"}))
	check(t, "DELETE /api/me/connections/{id}", c.deleteJSON("/auth/api/me/connections/"+list.Connections[0].ID, map[string]string{"password": pw}))
	check(t, "GET /api/me/connections", c.get("/auth/api/me/connections"))
}

func TestSocialPages_HiddenWithoutProviders(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	c := flNew(t, env)
	if r := c.get("/auth/sign-in").want(http.StatusOK); bytes.Contains(r.body, []byte("/oauth/")) {
		t.Error("the sign-in page offers a provider though none is configured")
	}
	pw := authtest.Password()
	env.CreateUser(t, "plain@example.com", pw)
	c.signIn("plain@example.com", pw)
	if r := c.get("/auth/profile").want(http.StatusOK); bytes.Contains(r.body, []byte("Connected accounts")) {
		t.Error("the profile shows connected accounts though no provider is configured")
	}
	var m struct{ Social []any }
	c.get("/auth/api/methods").want(http.StatusOK).decode(&m)
	if m.Social == nil || len(m.Social) != 0 {
		t.Errorf("methods social = %v, want []", m.Social)
	}
}

// TestSocialOIDC_Reverify: a user whose only way in is a provider proves
// it's them again through that provider, and only through an identity
// connected to them; with two-step verification the provider is the
// first step and the code the second.
func TestSocialOIDC_Reverify(t *testing.T) {
	t.Parallel()
	env := newSocialEnv(t)
	env.op.SetUser(oidctest.User{Subject: "rv-1", Email: "rv@example.com", EmailVerified: true})
	c := flNew(t, env.Env)
	socialSignIn(t, c, "idp").want(http.StatusSeeOther)
	me := c.me().User

	env.Clock.Advance(auth.DefaultReverificationAge + time.Second)
	c.patchJSON("/auth/api/me", map[string]any{"name": "still fine"}).want(http.StatusOK) // not sensitive
	c.deleteJSON("/auth/api/me", map[string]any{}).wantError(http.StatusForbidden, "reverification_required")
	c.get("/auth/reverify?redirect_url=%2Fauth%2Fprofile").want(http.StatusOK).contains(`id="reverify-social-idp"`, "Email me a code")

	// Another identity at the same provider proves nothing.
	env.op.SetUser(oidctest.User{Subject: "someone-else", Email: "else@example.com", EmailVerified: true})
	c.get(socialAuthorize(t, c, "idp", url.Values{"intent": {"reverify"}, "redirect_url": {"/auth/profile"}})).want(http.StatusForbidden)
	c.deleteJSON("/auth/api/me", map[string]any{}).wantError(http.StatusForbidden, "reverification_required")

	// The user's own identity does, and returns to the page that asked.
	env.op.SetUser(oidctest.User{Subject: "rv-1", Email: "rv@example.com", EmailVerified: true})
	if loc := c.get(socialAuthorize(t, c, "idp", url.Values{"intent": {"reverify"}, "redirect_url": {"/auth/profile"}})).want(http.StatusSeeOther).location(); loc != "/auth/profile" {
		t.Fatalf("after reverifying: %q", loc)
	}
	// A signed-out browser cannot start one.
	flNew(t, env.Env).postForm("/auth/oauth/idp/start", url.Values{"intent": {"reverify"}}).want(http.StatusUnauthorized)

	// With two-step verification, the provider is only the first step.
	secret, _, err := env.Auth.EnrolTOTPForTest(context.Background(), me.ID, me.Email)
	if err != nil {
		t.Fatal(err)
	}
	env.Clock.Advance(auth.DefaultReverificationAge + time.Second)
	loc := c.get(socialAuthorize(t, c, "idp", url.Values{"intent": {"reverify"}, "redirect_url": {"/auth/profile"}})).want(http.StatusSeeOther).location()
	if loc != "/auth/reverify?redirect_url=%2Fauth%2Fprofile" {
		t.Fatalf("with MFA, the provider led to %q", loc)
	}
	c.deleteJSON("/auth/api/me", map[string]any{}).wantError(http.StatusForbidden, "reverification_required")
	c.get(loc).want(http.StatusOK).contains(`id="reverify-first-done"`).notContains(`name="password"`)
	c.postForm("/auth/reverify", url.Values{"redirect_url": {"/auth/profile"}}).want(http.StatusUnprocessableEntity).fieldError("code")
	if loc := c.postForm("/auth/reverify", url.Values{"code": {mfaCode(t, env.Env, secret)}, "redirect_url": {"/auth/profile"}}).want(http.StatusSeeOther).location(); loc != "/auth/profile" {
		t.Fatalf("after the second step: %q", loc)
	}
	c.deleteJSON("/auth/api/me", map[string]any{}).want(http.StatusOK)
}

var socialFormField = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)

// TestSocialApple_FormPost: Apple answers with a cross-site form POST
// (response_mode=form_post) that carries no SameSite=Lax cookie; the
// callback turns it into the usual redirect and the sign-in completes
// with the email from the ID token and the name from the form.
func TestSocialApple_FormPost(t *testing.T) {
	t.Parallel()
	op := oidctest.New(t)
	env := authtest.New(t, func(c *auth.Config) {
		c.Social = []auth.SocialProvider{{Kind: auth.SocialApple, ClientID: op.ClientID, ClientSecret: op.ClientSecret, IssuerURL: op.URL}}
	})
	op.SetClock(env.Clock.Now)
	op.SetUser(oidctest.User{Subject: "apple-1", Email: "ada@relay.example", EmailVerified: true})
	op.SetFormPostUser(`{"name":{"firstName":"Ada","lastName":"Lovelace"},"email":"ada@relay.example"}`)
	c := flNew(t, env)
	loc := c.postForm("/auth/oauth/apple/start", nil).want(http.StatusSeeOther).location()
	authz, err := url.Parse(loc)
	if err != nil || authz.Query().Get("response_mode") != "form_post" || authz.Query().Get("scope") != "openid email name" {
		t.Fatalf("authorization request %q", loc)
	}
	resp, err := c.hc.Get(loc)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	form := url.Values{}
	for _, m := range socialFormField.FindAllStringSubmatch(string(page), -1) {
		form.Set(m[1], html.UnescapeString(m[2]))
	}
	if form.Get("code") == "" || form.Get("state") == "" {
		t.Fatalf("provider page without a form: %s", page)
	}
	// The browser posts the form from the provider's origin, without the
	// session cookie (SameSite=Lax).
	crossSite := func(body url.Values) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, env.URL+"/auth/oauth/apple/callback", strings.NewReader(body.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", op.URL)
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	before := snapshot(t, env)
	big := url.Values{"code": {form.Get("code")}, "state": {strings.Repeat("s", 5000)}}
	if r := crossSite(big); r.StatusCode != http.StatusBadRequest {
		t.Fatalf("oversized form: %s", r.Status)
	}
	r := crossSite(form)
	back := r.Header.Get("Location")
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(back, "/auth/oauth/apple/callback?") {
		t.Fatalf("form post answered %s to %q", r.Status, back)
	}
	before.same(t, env) // the POST itself changed nothing
	c.get(back).want(http.StatusSeeOther)
	me := c.me().User
	if me.Email != "ada@relay.example" || !me.EmailVerified || me.Name != "Ada Lovelace" {
		t.Fatalf("signed in as %+v", me)
	}
	// Replaying the answer fails: the flow was used.
	c.get(back).want(http.StatusBadRequest)
}
