package auth_test

// HTTP scenarios of the passkey flows (JSON API and pages) against a real
// Auth, with the software authenticator of passkey/passkeytest playing the
// browser. Helpers start with "pk".

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/authtest"
	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/mail"
	"github.com/embedauth/auth/passkey/passkeytest"
)

// pkPasskey is the JSON of a passkey.
type pkPasskey struct {
	ID             string  `json:"id"`
	UserID         string  `json:"user_id"`
	Name           string  `json:"name"`
	BackupEligible bool    `json:"backup_eligible"`
	BackedUp       bool    `json:"backed_up"`
	CreatedAt      string  `json:"created_at"`
	LastUsedAt     *string `json:"last_used_at"`
}

// pkKey returns a software authenticator for env's origin.
func pkKey(env *authtest.Env) *passkeytest.Authenticator { return passkeytest.New(env.URL) }

// pkRegister adds a passkey held by key to c's signed-in user.
func pkRegister(t testing.TB, c *flClient, key *passkeytest.Authenticator, opts ...passkeytest.Option) pkPasskey {
	t.Helper()
	begin := c.postJSON("/auth/api/passkeys/register/begin", map[string]any{}).want(http.StatusOK)
	resp, _, err := key.Create(begin.body, opts...)
	if err != nil {
		t.Fatal(err)
	}
	var out struct{ Passkey pkPasskey }
	c.postJSON("/auth/api/passkeys/register/finish", resp).want(http.StatusCreated).decode(&out)
	return out.Passkey
}

// pkBegin starts a sign-in (username-first when email is set) and returns
// key's answer to it.
func pkBegin(t testing.TB, c *flClient, key *passkeytest.Authenticator, email string, opts ...passkeytest.Option) []byte {
	t.Helper()
	body := map[string]string{}
	if email != "" {
		body["email"] = email
	}
	begin := c.postJSON("/auth/api/passkeys/sign-in/begin", body).want(http.StatusOK)
	resp, err := key.Get(begin.body, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// pkSignIn signs c in with key and returns the finish answer.
func pkSignIn(t testing.TB, c *flClient, key *passkeytest.Authenticator, email string, opts ...passkeytest.Option) *flResp {
	t.Helper()
	return c.postJSON("/auth/api/passkeys/sign-in/finish", pkBegin(t, c, key, email, opts...))
}

// pkUser creates a user with a password, signs a new client in and gives
// the user a passkey held by a new authenticator.
func pkUser(t testing.TB, env *authtest.Env, email string) (auth.User, *flClient, *passkeytest.Authenticator, string) {
	t.Helper()
	pw := authtest.Password()
	u := env.CreateUser(t, email, pw)
	c := flNew(t, env)
	c.signIn(email, pw)
	key := pkKey(env)
	pkRegister(t, c, key)
	return u, c, key, pw
}

// pkSignUp runs a passkey-only sign-up through the JSON API.
func pkSignUp(t testing.TB, env *authtest.Env, c *flClient, key *passkeytest.Authenticator, email string) flMe {
	t.Helper()
	c.postJSON("/auth/api/passkeys/sign-up", map[string]string{"email": email, "name": "Pat Key"}).want(http.StatusAccepted)
	code := flVerificationCode(t, env, email)
	c.postJSON("/auth/api/passkeys/sign-up/verify", map[string]string{"code": code}).want(http.StatusOK)
	begin := c.postJSON("/auth/api/passkeys/sign-up/begin", map[string]any{}).want(http.StatusOK)
	resp, _, err := key.Create(begin.body)
	if err != nil {
		t.Fatal(err)
	}
	var me flMe
	c.postJSON("/auth/api/passkeys/sign-up/finish", resp).want(http.StatusOK).decode(&me)
	return me
}

func pkPasskeys(t testing.TB, c *flClient) []pkPasskey {
	t.Helper()
	var out struct{ Passkeys []pkPasskey }
	c.get("/auth/api/passkeys").want(http.StatusOK).decode(&out)
	return out.Passkeys
}

// pkEvents counts the events of a type.
func pkEvents(t testing.TB, env *authtest.Env, typ string) []core.Event {
	t.Helper()
	evs, err := env.Auth.Store().Events(context.Background(), typ, -1)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// pkOnlyPasskeys keeps password and passkeys, so a code mailed to the
// address is no way in and the last passkey of a user without a password
// is their last sign-in method.
func pkOnlyPasskeys(c *auth.Config) {
	c.Methods = []auth.Method{auth.MethodPassword, auth.MethodPasskey}
}

func TestPasskeySignUpJSON(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	c := flNew(t, env)
	key := pkKey(env)
	me := pkSignUp(t, env, c, key, "pat@example.com")
	if me.User.Email != "pat@example.com" || me.User.Name != "Pat Key" || !me.User.EmailVerified || me.User.HasPassword {
		t.Fatalf("signed up %+v", me.User)
	}
	if me.Session.AuthMethod != "passkey" || me.Session.UserID != me.User.ID {
		t.Fatalf("session %+v", me.Session)
	}
	if got := c.me(); got.User.ID != me.User.ID {
		t.Fatalf("/api/me = %+v", got.User)
	}
	list := pkPasskeys(t, c)
	if len(list) != 1 || list[0].UserID != me.User.ID || list[0].Name != "Go HTTP client" {
		t.Fatalf("passkeys %+v", list)
	}
	// The user handle the passkey holds is the user's random handle.
	h, err := env.Auth.Store().PasskeyUserHandle(context.Background(), me.User.ID)
	if err != nil || !bytes.Equal(h, key.Credentials()[0].UserHandle) || len(h) != 32 {
		t.Fatalf("handle %x (%v), authenticator holds %x", h, err, key.Credentials()[0].UserHandle)
	}
	// Signed out, the passkey signs in without an email.
	c.postJSON("/auth/api/sign-out", nil).want(http.StatusOK)
	var again flMe
	pkSignIn(t, c, key, "").want(http.StatusOK).decode(&again)
	if again.User.ID != me.User.ID || again.Session.AuthMethod != "passkey" {
		t.Fatalf("sign-in after sign-up: %+v", again)
	}
	if evs := pkEvents(t, env, core.EventPasskeyCreated); len(evs) != 1 {
		t.Errorf("%d passkey.created events", len(evs))
	}
}

func TestPasskeySignUpPages(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	c := flNew(t, env)
	c.get("/auth/sign-up").want(http.StatusOK).contains(`href="/auth/sign-up/passkey"`, `data-passkey-only hidden`, `src="/auth/static/passkey.js?v=`)
	c.get("/auth/sign-up/passkey").want(http.StatusOK).contains(`action="/auth/sign-up/passkey"`, "Sign up with a passkey")
	// A bad address is shown on the form.
	c.postForm("/auth/sign-up/passkey", url.Values{"email": {"nope"}}).want(http.StatusUnprocessableEntity).fieldError("email")
	r := c.postForm("/auth/sign-up/passkey", url.Values{"email": {"page@example.com"}, "name": {"Page"}, "redirect_url": {"/app/x"}}).want(http.StatusSeeOther)
	if loc := r.location(); loc != "/auth/sign-up/passkey?redirect_url=%2Fapp%2Fx" {
		t.Fatalf("start redirects to %q", loc)
	}
	c.get(r.location()).want(http.StatusOK).contains("p***@example.com", `action="/auth/sign-up/passkey/verify"`, "expires in 10 minutes")
	code := flVerificationCode(t, env, "page@example.com")
	c.postForm("/auth/sign-up/passkey/verify", url.Values{"code": {flOtherCode(code)}}).want(http.StatusUnprocessableEntity).fieldError("code")
	c.postForm("/auth/sign-up/passkey/resend", url.Values{}).want(http.StatusSeeOther)
	code = flVerificationCode(t, env, "page@example.com")
	c.postForm("/auth/sign-up/passkey/verify", url.Values{"code": {code}, "redirect_url": {"/app/x"}}).want(http.StatusSeeOther)
	page := c.get("/auth/sign-up/passkey?redirect_url=%2Fapp%2Fx").want(http.StatusOK)
	page.contains(`data-passkey="register"`, `data-begin="/auth/api/passkeys/sign-up/begin"`, `data-next="/app/x"`, "Create passkey")
	// The password flow's verify step never sees a passkey sign-up.
	c.postJSON("/auth/api/sign-up/verify", map[string]string{"code": code}).wantError(http.StatusGone, "signup_expired")
	// The create step, as the page's script runs it.
	begin := c.postJSON("/auth/api/passkeys/sign-up/begin", map[string]any{}).want(http.StatusOK)
	resp, _, _ := pkKey(env).Create(begin.body)
	c.postJSON("/auth/api/passkeys/sign-up/finish", resp).want(http.StatusOK)
	c.get("/app/x").want(http.StatusOK)
	// The sign-up is over.
	c.postJSON("/auth/api/passkeys/sign-up/begin", map[string]any{}).wantError(http.StatusGone, "signup_expired")
}

func TestPasskeySignUp_Errors(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)

	t.Run("CreateBeforeVerify", func(t *testing.T) {
		t.Parallel()
		c := flNew(t, env)
		c.postJSON("/auth/api/passkeys/sign-up", map[string]string{"email": "early@example.com"}).want(http.StatusAccepted)
		c.postJSON("/auth/api/passkeys/sign-up/begin", map[string]any{}).wantError(http.StatusConflict, "email_not_verified")
		resp, _, _ := pkKey(env).Create([]byte(`{"publicKey":{"challenge":"AAAAAAAAAAAAAAAAAAAAAA","rp":{"id":"localhost"},"user":{"id":"AQ"}}}`))
		c.postJSON("/auth/api/passkeys/sign-up/finish", resp).wantError(http.StatusConflict, "email_not_verified")
		if _, err := env.Auth.GetUserByEmail(context.Background(), "early@example.com"); err == nil {
			t.Fatal("a user exists before the email was verified")
		}
	})
	t.Run("ExistingEmailSameAnswer", func(t *testing.T) {
		t.Parallel()
		env.CreateUser(t, "taken@example.com", authtest.Password())
		c := flNew(t, env)
		var got struct{ Status, Email string }
		c.postJSON("/auth/api/passkeys/sign-up", map[string]string{"email": "taken@example.com"}).want(http.StatusAccepted).decode(&got)
		if got.Status != "verification_required" || got.Email != "t***@example.com" {
			t.Fatalf("answer %+v", got)
		}
		m := flWaitMail(t, env, "taken@example.com")
		if !strings.Contains(m.Text, "already has an account") {
			t.Fatalf("the owner got %q", m.Subject)
		}
		// No code was sent, so none verifies.
		c.postJSON("/auth/api/passkeys/sign-up/verify", map[string]string{"code": "123456"}).wantError(http.StatusUnprocessableEntity, "incorrect_code")
	})
	t.Run("TooManyWrongCodes", func(t *testing.T) {
		t.Parallel()
		c := flNew(t, env)
		c.postJSON("/auth/api/passkeys/sign-up", map[string]string{"email": "guess@example.com"}).want(http.StatusAccepted)
		code := flVerificationCode(t, env, "guess@example.com")
		for range 5 {
			c.postJSON("/auth/api/passkeys/sign-up/verify", map[string]string{"code": flOtherCode(code)}).wantError(http.StatusUnprocessableEntity, "incorrect_code")
		}
		c.postJSON("/auth/api/passkeys/sign-up/verify", map[string]string{"code": code}).wantError(http.StatusTooManyRequests, "too_many_attempts")
	})
	t.Run("NoPendingSignUp", func(t *testing.T) {
		t.Parallel()
		c := flNew(t, env)
		c.postJSON("/auth/api/passkeys/sign-up/verify", map[string]string{"code": "123456"}).wantError(http.StatusGone, "signup_expired")
		c.postJSON("/auth/api/passkeys/sign-up/resend", map[string]any{}).wantError(http.StatusGone, "signup_expired")
		c.postJSON("/auth/api/passkeys/sign-up/begin", map[string]any{}).wantError(http.StatusGone, "signup_expired")
	})
	t.Run("ResendAfterVerify", func(t *testing.T) {
		t.Parallel()
		c := flNew(t, env)
		c.postJSON("/auth/api/passkeys/sign-up", map[string]string{"email": "done@example.com"}).want(http.StatusAccepted)
		c.postJSON("/auth/api/passkeys/sign-up/verify", map[string]string{"code": flVerificationCode(t, env, "done@example.com")}).want(http.StatusOK)
		c.postJSON("/auth/api/passkeys/sign-up/resend", map[string]any{}).wantError(http.StatusConflict, "already_verified")
	})
}

func TestPasskeyRegisterAndSignIn(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	u, c, key, _ := pkUser(t, env, "reg@example.com")
	list := pkPasskeys(t, c)
	if len(list) != 1 || list[0].Name != "Go HTTP client" || list[0].LastUsedAt != nil || list[0].BackedUp {
		t.Fatalf("passkeys %+v", list)
	}
	if m := flWaitMail(t, env, "reg@example.com"); !strings.Contains(m.Subject, "passkey was added") || !strings.Contains(m.Text, "Go HTTP client") {
		t.Fatalf("mail %q:\n%s", m.Subject, m.Text)
	}

	for _, email := range []string{"", "reg@example.com", "REG@Example.com"} {
		fresh := flNew(t, env)
		var me flMe
		pkSignIn(t, fresh, key, email).want(http.StatusOK).decode(&me)
		if me.User.ID != u.ID || me.Session.AuthMethod != "passkey" {
			t.Fatalf("sign-in with email %q: %+v", email, me)
		}
		fresh.get("/app").want(http.StatusOK).contains("user:" + u.ID)
	}
	if list := pkPasskeys(t, c); list[0].LastUsedAt == nil {
		t.Error("last use not recorded")
	}
	// A synced passkey shows as backed up.
	synced := pkKey(env)
	synced.BackupEligible, synced.BackupState = true, true
	if p := pkRegister(t, c, synced); !p.BackupEligible || !p.BackedUp {
		t.Fatalf("synced passkey %+v", p)
	}
}

func TestPasskeyUsernameFirstRevealsNothing(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	_, _, key, _ := pkUser(t, env, "has@example.com")
	env.CreateUser(t, "nokeys@example.com", authtest.Password())
	allow := func(email string) []string {
		var o struct {
			PublicKey struct {
				AllowCredentials []struct{ ID string }
				Challenge        string
			}
		}
		flNew(t, env).postJSON("/auth/api/passkeys/sign-in/begin", map[string]string{"email": email}).want(http.StatusOK).decode(&o)
		var ids []string
		for _, c := range o.PublicKey.AllowCredentials {
			ids = append(ids, c.ID)
		}
		return ids
	}
	for _, email := range []string{"has@example.com", "nokeys@example.com", "nobody@example.com"} {
		first, second := allow(email), allow(email)
		if len(first) != 1 || first[0] != second[0] {
			t.Errorf("%s: allowCredentials %v then %v: want one stable id", email, first, second)
		}
	}
	// Not even a real passkey finishes a ceremony begun for another address.
	c := flNew(t, env)
	begin := c.postJSON("/auth/api/passkeys/sign-in/begin", map[string]string{"email": "nobody@example.com"}).want(http.StatusOK)
	resp, _ := key.Get(begin.body, passkeytest.WithCredential(key.Credentials()[0]))
	c.postJSON("/auth/api/passkeys/sign-in/finish", resp).wantError(http.StatusUnauthorized, "passkey_unknown")
	c.postJSON("/auth/api/passkeys/sign-in/begin", map[string]string{"email": "not an email"}).wantError(http.StatusUnprocessableEntity, "invalid_email")
}

func TestPasskeyRenameAndDelete(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	_, c, key, pw := pkUser(t, env, "del@example.com")
	p := pkPasskeys(t, c)[0]
	other := flNew(t, env)
	env.CreateUser(t, "other@example.com", pw)
	other.signIn("other@example.com", pw)

	var got struct{ Passkey pkPasskey }
	c.patchJSON("/auth/api/passkeys/"+p.ID, map[string]string{"name": "  Work laptop "}).want(http.StatusOK).decode(&got)
	if got.Passkey.Name != "Work laptop" {
		t.Fatalf("renamed to %q", got.Passkey.Name)
	}
	for _, bad := range []string{"", "   ", strings.Repeat("x", 65), "a\nb"} {
		c.patchJSON("/auth/api/passkeys/"+p.ID, map[string]string{"name": bad}).wantError(http.StatusUnprocessableEntity, "invalid_passkey_name")
	}
	other.patchJSON("/auth/api/passkeys/"+p.ID, map[string]string{"name": "Mine"}).wantError(http.StatusNotFound, "passkey_not_found")
	other.deleteJSON("/auth/api/passkeys/"+p.ID, map[string]string{"password": pw}).wantError(http.StatusNotFound, "passkey_not_found")

	// Deleting asks for the password once the sign-in is older than the
	// reverification window.
	env.Clock.Advance(auth.DefaultReverificationAge + time.Second)
	c.deleteJSON("/auth/api/passkeys/"+p.ID, map[string]string{}).wantError(http.StatusUnprocessableEntity, "password_required")
	c.deleteJSON("/auth/api/passkeys/"+p.ID, map[string]string{"password": "wrong-wrong-wrong"}).wantError(http.StatusUnprocessableEntity, "incorrect_password")
	// Or a passkey re-authentication.
	begin := c.postJSON("/auth/api/passkeys/reauth/begin", map[string]any{}).want(http.StatusOK)
	resp, _ := key.Get(begin.body)
	var st struct{ Status string }
	c.postJSON("/auth/api/passkeys/reauth/finish", resp).want(http.StatusOK).decode(&st)
	if st.Status != "reauthenticated" {
		t.Fatalf("reauth status %q", st.Status)
	}
	env.Auth.FlushMail(context.Background())
	before := len(flMailTo(env, "del@example.com"))
	c.deleteJSON("/auth/api/passkeys/"+p.ID, map[string]string{}).want(http.StatusOK)
	if len(pkPasskeys(t, c)) != 0 {
		t.Fatal("the passkey is still listed")
	}
	mails := flMailTo(env, "del@example.com")
	if len(mails) != before+1 || !strings.Contains(mails[len(mails)-1].Subject, "passkey was removed") || !strings.Contains(mails[len(mails)-1].Text, "Work laptop") {
		t.Fatalf("removal mail: %d new", len(mails)-before)
	}
	pkSignIn(t, flNew(t, env), key, "").wantError(http.StatusUnauthorized, "passkey_unknown")
	// The re-authentication lasts for the reverification window.
	p2 := pkRegister(t, c, pkKey(env))
	env.Clock.Advance(auth.DefaultReverificationAge + time.Second)
	c.deleteJSON("/auth/api/passkeys/"+p2.ID, map[string]string{}).wantError(http.StatusUnprocessableEntity, "password_required")
}

func TestPasskeyPagesProfile(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	_, c, _, pw := pkUser(t, env, "prof@example.com")
	p := pkPasskeys(t, c)[0]
	page := c.get("/auth/profile?tab=security").want(http.StatusOK)
	page.contains(`id="passkeys"`, "Go HTTP client", `data-passkey="register"`, `action="/auth/profile/passkeys/rename"`,
		`action="/auth/profile/passkeys/delete"`, `src="/auth/static/passkey.js?v=`, "not used yet")
	c.postForm("/auth/profile/passkeys/rename", url.Values{"passkey_id": {p.ID}, "name": {"Desk key"}}).want(http.StatusSeeOther)
	c.get("/auth/profile?tab=security").want(http.StatusOK).contains("Desk key", "Your passkey was renamed.")
	c.postForm("/auth/profile/passkeys/rename", url.Values{"passkey_id": {p.ID}, "name": {""}}).want(http.StatusUnprocessableEntity).alert()
	c.postForm("/auth/profile/passkeys/delete", url.Values{"passkey_id": {p.ID}, "password": {"wrong-wrong-wrong"}}).want(http.StatusUnprocessableEntity).alert()
	c.postForm("/auth/profile/passkeys/delete", url.Values{"passkey_id": {p.ID}, "password": {pw}}).want(http.StatusSeeOther)
	c.get("/auth/profile?tab=security").want(http.StatusOK).contains("You have no passkeys yet.", "Your passkey was removed.")
}

func TestPasskeyLastSignInMethod(t *testing.T) {
	t.Parallel()
	env := authtest.New(t, pkOnlyPasskeys)
	c := flNew(t, env)
	key := pkKey(env)
	pkSignUp(t, env, c, key, "only@example.com")
	p := pkPasskeys(t, c)[0]
	// Without a password, deleting needs a passkey re-authentication once
	// the sign-in is older than the reverification window.
	env.Clock.Advance(auth.DefaultReverificationAge + time.Second)
	c.deleteJSON("/auth/api/passkeys/"+p.ID, map[string]string{}).wantError(http.StatusForbidden, "reverification_required")
	begin := c.postJSON("/auth/api/passkeys/reauth/begin", map[string]any{}).want(http.StatusOK)
	resp, _ := key.Get(begin.body)
	c.postJSON("/auth/api/passkeys/reauth/finish", resp).want(http.StatusOK)
	c.deleteJSON("/auth/api/passkeys/"+p.ID, map[string]string{}).wantError(http.StatusConflict, "last_sign_in_method")
	// The profile form says so too.
	c.postForm("/auth/profile/passkeys/delete", url.Values{"passkey_id": {p.ID}}).want(http.StatusConflict).alert().contains("only way to sign in")
	// With a second passkey, the first can go.
	key2 := pkKey(env)
	pkRegister(t, c, key2)
	c.deleteJSON("/auth/api/passkeys/"+p.ID, map[string]string{}).want(http.StatusOK)
	if n := len(pkPasskeys(t, c)); n != 1 {
		t.Fatalf("%d passkeys left", n)
	}

	t.Run("EmailCodeIsAWayIn", func(t *testing.T) {
		t.Parallel()
		env := authtest.New(t) // default methods: codes and links can be mailed
		c := flNew(t, env)
		key := pkKey(env)
		pkSignUp(t, env, c, key, "mailable@example.com")
		p := pkPasskeys(t, c)[0]
		begin := c.postJSON("/auth/api/passkeys/reauth/begin", map[string]any{}).want(http.StatusOK)
		resp, _ := key.Get(begin.body)
		c.postJSON("/auth/api/passkeys/reauth/finish", resp).want(http.StatusOK)
		c.deleteJSON("/auth/api/passkeys/"+p.ID, map[string]string{}).want(http.StatusOK)
	})
}

func TestPasskeyReauthGuardsAccountChanges(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	c := flNew(t, env)
	key := pkKey(env)
	me := pkSignUp(t, env, c, key, "guard@example.com")
	// Past the reverification window, setting a password and deleting the
	// account need a passkey first.
	env.Clock.Advance(auth.DefaultReverificationAge + time.Second)
	c.postJSON("/auth/api/password/change", map[string]string{"new_password": authtest.Password()}).wantError(http.StatusForbidden, "reverification_required")
	c.deleteJSON("/auth/api/me", map[string]string{}).wantError(http.StatusForbidden, "reverification_required")
	page := c.get("/auth/profile?tab=security").want(http.StatusOK)
	page.contains(`action="/auth/profile/delete" class="ea-form" novalidate data-passkey-reauth`)
	// Another user's passkey does not re-authenticate this one.
	_, _, otherKey, _ := pkUser(t, env, "stranger@example.com")
	begin := c.postJSON("/auth/api/passkeys/reauth/begin", map[string]any{}).want(http.StatusOK)
	resp, _ := otherKey.Get(begin.body, passkeytest.WithCredential(otherKey.Credentials()[0]))
	c.postJSON("/auth/api/passkeys/reauth/finish", resp).wantError(http.StatusUnauthorized, "passkey_rejected")
	oldCookie := c.sessionCookie()
	begin = c.postJSON("/auth/api/passkeys/reauth/begin", map[string]any{}).want(http.StatusOK)
	resp, _ = key.Get(begin.body)
	c.postJSON("/auth/api/passkeys/reauth/finish", resp).want(http.StatusOK)
	if c.sessionCookie() == oldCookie {
		t.Error("re-authentication kept the cookie token")
	}
	c.deleteJSON("/auth/api/me", map[string]string{}).want(http.StatusOK)
	if _, err := env.Auth.GetUser(context.Background(), me.User.ID); !errors.Is(err, core.ErrNotFound) {
		t.Fatalf("user after delete: %v", err)
	}
}

func TestPasskeyRequiredMode(t *testing.T) {
	t.Parallel()
	env := authtest.New(t, func(c *auth.Config) { c.Passkeys.Mode = auth.PasskeysRequired })
	pw := authtest.Password()
	env.CreateUser(t, "req@example.com", pw)
	c := flNew(t, env)
	r := c.postForm("/auth/sign-in", url.Values{"email": {"req@example.com"}, "password": {pw}, "redirect_url": {"/app/home"}}).want(http.StatusSeeOther)
	if loc := r.location(); loc != "/auth/passkeys/setup?redirect_url=%2Fapp%2Fhome" {
		t.Fatalf("sign-in redirects to %q, want the passkey setup page", loc)
	}
	c.get(r.location()).want(http.StatusOK).contains("asks every account to have a passkey", `data-passkey="register"`,
		`data-next="/app/home"`, `href="/app/home"`)
	c.get("/auth/profile?tab=security").want(http.StatusOK).contains("asks every account to have one")
	pkRegister(t, c, pkKey(env))
	// With a passkey, the setup page and sign-in go straight on.
	if loc := c.get("/auth/passkeys/setup?redirect_url=%2Fapp%2Fhome").want(http.StatusSeeOther).location(); loc != "/app/home" {
		t.Fatalf("setup with a passkey redirects to %q", loc)
	}
	r = flNew(t, env).postForm("/auth/sign-in", url.Values{"email": {"req@example.com"}, "password": {pw}, "redirect_url": {"/app/home"}}).want(http.StatusSeeOther)
	if loc := r.location(); loc != "/app/home" {
		t.Fatalf("sign-in with a passkey redirects to %q", loc)
	}
	// A password sign-up lands on the setup page after its code.
	su := flNew(t, env)
	flStartSignUp(su, "new-req@example.com", authtest.Password())
	r = su.postForm("/auth/verify", url.Values{"code": {flVerificationCode(t, env, "new-req@example.com")}}).want(http.StatusSeeOther)
	if !strings.HasPrefix(r.location(), "/auth/passkeys/setup") {
		t.Fatalf("verify redirects to %q", r.location())
	}
	// Optional mode does not ask.
	opt := authtest.New(t)
	opt.CreateUser(t, "opt@example.com", pw)
	if loc := flNew(t, opt).postForm("/auth/sign-in", url.Values{"email": {"opt@example.com"}, "password": {pw}}).want(http.StatusSeeOther).location(); loc != "/" {
		t.Fatalf("optional mode redirects to %q", loc)
	}
	flNew(t, opt).get("/auth/passkeys/setup").want(http.StatusSeeOther)
}

func TestPasskeyDisabledMode(t *testing.T) {
	t.Parallel()
	for name, opt := range map[string]authtest.Option{
		"Mode":    func(c *auth.Config) { c.Passkeys.Mode = auth.PasskeysDisabled },
		"Methods": func(c *auth.Config) { c.Methods = []auth.Method{auth.MethodPassword} },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			env := authtest.New(t, opt)
			pw := authtest.Password()
			env.CreateUser(t, "off@example.com", pw)
			c := flNew(t, env)
			c.postJSON("/auth/api/passkeys/sign-in/begin", map[string]any{}).wantError(http.StatusNotFound, "passkeys_disabled")
			c.postJSON("/auth/api/passkeys/sign-up", map[string]string{"email": "x@example.com"}).wantError(http.StatusNotFound, "passkeys_disabled")
			c.get("/auth/sign-up/passkey").want(http.StatusNotFound)
			c.get("/auth/sign-in").want(http.StatusOK).notContains("passkey.js", "webauthn", "Sign in with a passkey")
			c.signIn("off@example.com", pw)
			c.get("/auth/api/passkeys").wantError(http.StatusNotFound, "passkeys_disabled")
			c.postJSON("/auth/api/passkeys/register/begin", map[string]any{}).wantError(http.StatusNotFound, "passkeys_disabled")
			c.get("/auth/profile").want(http.StatusOK).notContains(`id="passkeys"`, "passkey.js")
		})
	}
}

func TestPasskeyConfig(t *testing.T) {
	t.Parallel()
	newAuth := func(t *testing.T, base string, pk auth.PasskeyConfig) (*auth.Auth, *bytes.Buffer, error) {
		var logs bytes.Buffer
		a, err := auth.New(auth.Config{DatabasePath: filepath.Join(t.TempDir(), "a.db"), BaseURL: base, Mailer: &mail.Capture{},
			Passkeys: pk, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		if a != nil {
			t.Cleanup(func() { a.Close() })
		}
		return a, &logs, err
	}
	t.Run("IPBaseURLTurnsPasskeysOff", func(t *testing.T) {
		t.Parallel()
		a, logs, err := newAuth(t, "http://127.0.0.1:8080", auth.PasskeyConfig{})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(logs.String(), "passkeys are off") {
			t.Errorf("no warning: %s", logs)
		}
		_ = a
	})
	t.Run("IPBaseURLRequired", func(t *testing.T) {
		t.Parallel()
		if _, _, err := newAuth(t, "http://127.0.0.1:8080", auth.PasskeyConfig{Mode: auth.PasskeysRequired}); err == nil || !strings.Contains(err.Error(), "IP address") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("SubdomainSetup", func(t *testing.T) {
		t.Parallel()
		if _, _, err := newAuth(t, "https://app.example.com", auth.PasskeyConfig{RPID: "example.com",
			Origins: []string{"https://app.example.com", "https://www.example.com"}}); err != nil {
			t.Fatal(err)
		}
	})
	for name, pk := range map[string]auth.PasskeyConfig{
		"ForeignRPID":        {RPID: "example.org"},
		"OriginOffRPID":      {Origins: []string{"https://evil.example"}},
		"PlainHTTPOrigin":    {Origins: []string{"http://app.example.com"}},
		"UnknownMode":        {Mode: 7},
		"UnknownUV":          {UserVerification: 7},
		"UnknownAttestation": {Attestation: 7},
		"OriginWithAPath":    {Origins: []string{"https://app.example.com/x"}},
		"IPRPIDExplicitly":   {RPID: "10.0.0.1"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, _, err := newAuth(t, "https://app.example.com", pk); err == nil || !strings.Contains(err.Error(), "Passkeys") {
				t.Fatalf("err = %v, want a Passkeys config error", err)
			}
		})
	}
}

func TestPasskeyBannedAndLocked(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	u, _, key, _ := pkUser(t, env, "ban@example.com")
	// T6: a password lockout does not stop passkeys.
	for range 100 {
		flNew(t, env).postJSON("/auth/api/sign-in", map[string]string{"email": "ban@example.com", "password": "wrong-wrong-wrong"})
	}
	flNew(t, env).postJSON("/auth/api/sign-in", map[string]string{"email": "ban@example.com", "password": "wrong-wrong-wrong"}).
		wantError(http.StatusTooManyRequests, "too_many_attempts")
	pkSignIn(t, flNew(t, env), key, "").want(http.StatusOK)
	// A banned user cannot sign in with a passkey.
	if _, err := env.Auth.BanUser(context.Background(), u.ID); err != nil {
		t.Fatal(err)
	}
	pkSignIn(t, flNew(t, env), key, "").wantError(http.StatusForbidden, "user_banned")
}

func TestPasskeyStaticScriptAndCSP(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	c := flNew(t, env)
	page := c.get("/auth/sign-in").want(http.StatusOK)
	page.contains(`autocomplete="username webauthn"`, `data-passkey-autofill`, `id="passkey-sign-in"`, `data-passkey-only hidden`,
		`<script type="module" src="/auth/static/passkey.js?v=`)
	csp := page.header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") {
		t.Errorf("CSP %q", csp)
	}
	js := c.get("/auth/static/passkey.js").want(http.StatusOK)
	if ct := js.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
		t.Errorf("Content-Type %q", ct)
	}
	for _, want := range []string{"parseRequestOptionsFromJSON", "parseCreationOptionsFromJSON", `mediation`, "conditional", "toJSON()"} {
		if !strings.Contains(string(js.body), want) {
			t.Errorf("passkey.js lacks %q", want)
		}
	}
	for _, bad := range []string{"eval(", "innerHTML", "import ", "http://", "https://"} {
		if strings.Contains(string(js.body), bad) {
			t.Errorf("passkey.js has %q", bad)
		}
	}
}

func TestPasskeyMailTemplatesOverridable(t *testing.T) {
	t.Parallel()
	env := authtest.New(t, func(c *auth.Config) {
		c.MailTemplates = fstest.MapFS{"passkey_added.subject.txt": {Data: []byte("New key for {{.Brand.AppName}}")}}
	})
	pkUser(t, env, "tpl@example.com")
	if m := flWaitMail(t, env, "tpl@example.com"); m.Subject != "New key for Test App" {
		t.Fatalf("subject %q", m.Subject)
	}
}

// TestPasskeySpoofedHostNeverWidensOrigins is part of T27: the request's
// Host says nothing about which origin is allowed.
func TestPasskeySpoofedHostNeverWidensOrigins(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	_, _, key, _ := pkUser(t, env, "host@example.com")
	c := flNew(t, env)
	resp := pkBegin(t, c, key, "", passkeytest.WithOrigin("http://evil.example"))
	req, _ := http.NewRequest(http.MethodPost, env.URL+"/auth/api/passkeys/sign-in/finish", bytes.NewReader(resp))
	req.Host = "evil.example"
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-Host", "evil.example")
	u, _ := url.Parse(env.URL)
	for _, ck := range c.hc.Jar.Cookies(u) {
		req.AddCookie(ck)
	}
	hr, err := c.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer hr.Body.Close()
	var body struct{ Error struct{ Code string } }
	json.NewDecoder(hr.Body).Decode(&body)
	if hr.StatusCode != http.StatusUnauthorized || body.Error.Code != "passkey_rejected" {
		t.Fatalf("spoofed Host: %d %s", hr.StatusCode, body.Error.Code)
	}
}
