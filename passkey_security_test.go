package auth_test

// SECURITY.md T26-T33 (R9, WebAuthn) over HTTP. The software authenticator
// of passkey/passkeytest crafts what a browser will not send. Each refusal
// must leave the client signed out.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/embedauth/auth/authtest"
	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/passkey/passkeytest"
)

// pkRefused checks a refused sign-in: the status and code, and that the
// client is still signed out.
func pkRefused(t *testing.T, c *flClient, r *flResp, status int, code string) {
	t.Helper()
	r.wantError(status, code)
	if got := c.get("/auth/api/me"); got.status != http.StatusUnauthorized {
		t.Fatalf("a refused passkey signed the client in (%d)", got.status)
	}
}

// TestT26_PasskeyReplayAndExpiredChallenge: a replayed assertion, a second
// answer to one challenge, an expired challenge (on the username-less path
// too) and a challenge begun by another browser all fail.
func TestT26_PasskeyReplayAndExpiredChallenge(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	_, _, key, _ := pkUser(t, env, "t26@example.com")

	t.Run("Replay", func(t *testing.T) {
		c := flNew(t, env)
		resp := pkBegin(t, c, key, "")
		c.postJSON("/auth/api/passkeys/sign-in/finish", resp).want(http.StatusOK)
		attacker := flNew(t, env)
		attacker.postJSON("/auth/api/passkeys/sign-in/begin", map[string]any{}).want(http.StatusOK)
		pkRefused(t, attacker, attacker.postJSON("/auth/api/passkeys/sign-in/finish", resp), http.StatusBadRequest, "passkey_request_invalid")
		c.postJSON("/auth/api/passkeys/sign-in/finish", resp).wantError(http.StatusBadRequest, "passkey_request_invalid")
	})
	t.Run("ReusedChallenge", func(t *testing.T) {
		c := flNew(t, env)
		begin := c.postJSON("/auth/api/passkeys/sign-in/begin", map[string]any{}).want(http.StatusOK)
		first, _ := key.Get(begin.body)
		second, _ := key.Get(begin.body)
		c.postJSON("/auth/api/passkeys/sign-in/finish", first).want(http.StatusOK)
		c.postJSON("/auth/api/passkeys/sign-in/finish", second).wantError(http.StatusBadRequest, "passkey_request_invalid")
	})
	for _, email := range []string{"", "t26@example.com"} {
		t.Run("Expired/"+map[bool]string{true: "Discoverable", false: "UsernameFirst"}[email == ""], func(t *testing.T) {
			c := flNew(t, env)
			resp := pkBegin(t, c, key, email)
			env.Clock.Advance(5*time.Minute + time.Second)
			pkRefused(t, c, c.postJSON("/auth/api/passkeys/sign-in/finish", resp), http.StatusBadRequest, "passkey_expired")
		})
	}
	t.Run("OtherBrowser", func(t *testing.T) {
		victim, attacker := flNew(t, env), flNew(t, env)
		resp := pkBegin(t, victim, key, "")
		attacker.postJSON("/auth/api/passkeys/sign-in/begin", map[string]any{}).want(http.StatusOK)
		pkRefused(t, attacker, attacker.postJSON("/auth/api/passkeys/sign-in/finish", resp), http.StatusBadRequest, "passkey_request_invalid")
		// No cookie at all: no browser began anything.
		pkRefused(t, attacker, flNew(t, env).postJSON("/auth/api/passkeys/sign-in/finish", resp), http.StatusBadRequest, "passkey_request_invalid")
	})
	t.Run("NeverIssued", func(t *testing.T) {
		c := flNew(t, env)
		resp := pkBegin(t, c, key, "", passkeytest.WithChallenge(base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{9}, 32))))
		pkRefused(t, c, c.postJSON("/auth/api/passkeys/sign-in/finish", resp), http.StatusBadRequest, "passkey_request_invalid")
	})
}

// TestT27_PasskeyOriginAllowlist: a foreign origin, a sibling subdomain,
// another scheme or port, and a cross-origin iframe all fail; the origin
// is checked against the configured list only (see also
// TestPasskeySpoofedHostNeverWidensOrigins).
func TestT27_PasskeyOriginAllowlist(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	_, _, key, _ := pkUser(t, env, "t27@example.com")
	port := env.URL[strings.LastIndex(env.URL, ":"):]
	for _, origin := range []string{"https://evil.example", "http://evil.localhost" + port, "https://localhost" + port,
		"http://localhost:1", "http://localhost", "null", "", env.URL + "/"} {
		t.Run(origin, func(t *testing.T) {
			c := flNew(t, env)
			pkRefused(t, c, pkSignIn(t, c, key, "", passkeytest.WithOrigin(origin)), http.StatusUnauthorized, "passkey_rejected")
		})
	}
	t.Run("CrossOriginFrame", func(t *testing.T) {
		c := flNew(t, env)
		pkRefused(t, c, pkSignIn(t, c, key, "", passkeytest.WithCrossOrigin()), http.StatusUnauthorized, "passkey_rejected")
	})
	t.Run("Registration", func(t *testing.T) {
		c := flNew(t, env)
		pw := authtest.Password()
		env.CreateUser(t, "t27b@example.com", pw)
		c.signIn("t27b@example.com", pw)
		begin := c.postJSON("/auth/api/passkeys/register/begin", map[string]any{}).want(http.StatusOK)
		resp, _, _ := pkKey(env).Create(begin.body, passkeytest.WithOrigin("https://evil.example"))
		c.postJSON("/auth/api/passkeys/register/finish", resp).wantError(http.StatusBadRequest, "passkey_rejected")
		if n := len(pkPasskeys(t, c)); n != 0 {
			t.Fatalf("%d passkeys registered from a foreign origin", n)
		}
	})
}

// TestT28_PasskeyRPIDAndFlags: a foreign rpIdHash fails, as do UV=0 (user
// verification is required by default) and UP=0.
func TestT28_PasskeyRPIDAndFlags(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	_, _, key, _ := pkUser(t, env, "t28@example.com")
	for _, tc := range []struct {
		name   string
		opt    passkeytest.Option
		status int
		code   string
	}{
		{"ForeignRPIDHash", passkeytest.WithRPID("evil.example"), http.StatusUnauthorized, "passkey_rejected"},
		{"ParentDomainRPIDHash", passkeytest.WithRPID("com"), http.StatusUnauthorized, "passkey_rejected"},
		{"UV0", passkeytest.WithoutUserVerification(), http.StatusUnauthorized, "user_verification_required"},
		{"UP0", passkeytest.WithoutUserPresence(), http.StatusUnauthorized, "passkey_rejected"},
		{"BadSignature", passkeytest.WithBadSignature(), http.StatusUnauthorized, "passkey_rejected"},
		{"WrongType", passkeytest.WithType("webauthn.create"), http.StatusUnauthorized, "passkey_rejected"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := flNew(t, env)
			pkRefused(t, c, pkSignIn(t, c, key, "", tc.opt), tc.status, tc.code)
			pkRefused(t, c, pkSignIn(t, c, key, "t28@example.com", tc.opt), tc.status, tc.code)
		})
	}
}

// TestT29_PasskeySignCountDrop: a counter that goes backwards blocks the
// sign-in, records a passkey.clone_suspected event and mails the user; the
// stored counter stays, so the real authenticator keeps working.
func TestT29_PasskeySignCountDrop(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	u, _, key, _ := pkUser(t, env, "t29@example.com")
	for range 3 {
		pkSignIn(t, flNew(t, env), key, "").want(http.StatusOK)
	}
	flWaitMail(t, env, "t29@example.com") // passkey added
	c := flNew(t, env)
	pkRefused(t, c, pkSignIn(t, c, key, "", passkeytest.WithSignCount(1)), http.StatusForbidden, "passkey_blocked")
	evs := pkEvents(t, env, core.EventPasskeyCloneSuspected)
	if len(evs) != 1 {
		t.Fatalf("%d clone events", len(evs))
	}
	var data struct {
		UserID   string `json:"user_id"`
		Observed uint32 `json:"observed_sign_count"`
		Stored   uint32 `json:"stored_sign_count"`
	}
	json.Unmarshal(evs[0].Data, &data)
	if data.UserID != u.ID || data.Observed != 1 || data.Stored != 3 {
		t.Fatalf("event data %s", evs[0].Data)
	}
	m := flWaitMail(t, env, "t29@example.com")
	if !strings.Contains(m.Subject, "blocked") || !strings.Contains(m.Text, "signature counter went backwards") {
		t.Fatalf("mail %q:\n%s", m.Subject, m.Text)
	}
	// The same counter again is also a regression; a higher one works.
	pkSignIn(t, flNew(t, env), key, "", passkeytest.WithSignCount(3)).wantError(http.StatusForbidden, "passkey_blocked")
	pkSignIn(t, flNew(t, env), key, "", passkeytest.WithSignCount(4)).want(http.StatusOK)
	// A forged low counter (bad signature) raises no alarm.
	before := len(pkEvents(t, env, core.EventPasskeyCloneSuspected))
	pkSignIn(t, flNew(t, env), key, "", passkeytest.WithSignCount(1), passkeytest.WithBadSignature()).wantError(http.StatusUnauthorized, "passkey_rejected")
	if after := len(pkEvents(t, env, core.EventPasskeyCloneSuspected)); after != before {
		t.Fatal("a forged assertion was reported as a clone")
	}
}

// TestT30_PasskeyBackupFlags: BE is fixed at registration, and BS without
// BE fails.
func TestT30_PasskeyBackupFlags(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	_, _, plain, _ := pkUser(t, env, "t30@example.com")
	_, c2, _, _ := pkUser(t, env, "t30b@example.com")
	synced := pkKey(env)
	synced.BackupEligible, synced.BackupState = true, true
	pkRegister(t, c2, synced)
	for _, tc := range []struct {
		name   string
		key    *passkeytest.Authenticator
		be, bs bool
	}{
		{"BEOnForDeviceBound", plain, true, false},
		{"BEOnAndBSForDeviceBound", plain, true, true},
		{"BEOffForSynced", synced, false, false},
		{"BSWithoutBE", plain, false, true},
		{"BSWithoutBESynced", synced, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := flNew(t, env)
			pkRefused(t, c, pkSignIn(t, c, tc.key, "", passkeytest.WithFlags(tc.be, tc.bs)), http.StatusUnauthorized, "passkey_rejected")
		})
	}
	// BS may change while BE stays.
	pkSignIn(t, flNew(t, env), synced, "", passkeytest.WithFlags(true, false)).want(http.StatusOK)
	if list := pkPasskeys(t, c2); list[len(list)-1].BackedUp {
		t.Error("the new backup state was not recorded")
	}
	t.Run("RegistrationBSWithoutBE", func(t *testing.T) {
		begin := c2.postJSON("/auth/api/passkeys/register/begin", map[string]any{}).want(http.StatusOK)
		resp, _, _ := pkKey(env).Create(begin.body, passkeytest.WithFlags(false, true))
		c2.postJSON("/auth/api/passkeys/register/finish", resp).wantError(http.StatusBadRequest, "passkey_rejected")
	})
}

// TestT31_PasskeyCredentialIDs: a credential id of 1024 bytes, or one
// another user owns, is refused at registration and at sign-in.
func TestT31_PasskeyCredentialIDs(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	_, _, annKey, _ := pkUser(t, env, "ann31@example.com")
	bob, bobClient, _, _ := pkUser(t, env, "bob31@example.com")
	annID := annKey.Credentials()[0].ID

	begin := bobClient.postJSON("/auth/api/passkeys/register/begin", map[string]any{}).want(http.StatusOK)
	resp, _, _ := pkKey(env).Create(begin.body, passkeytest.WithCredentialID(annID))
	bobClient.postJSON("/auth/api/passkeys/register/finish", resp).wantError(http.StatusConflict, "passkey_exists")
	begin = bobClient.postJSON("/auth/api/passkeys/register/begin", map[string]any{}).want(http.StatusOK)
	resp, _, _ = pkKey(env).Create(begin.body, passkeytest.WithCredentialID(make([]byte, 1024)))
	bobClient.postJSON("/auth/api/passkeys/register/finish", resp).wantError(http.StatusBadRequest, "invalid_credential")
	begin = bobClient.postJSON("/auth/api/passkeys/register/begin", map[string]any{}).want(http.StatusOK)
	resp, _, _ = pkKey(env).Create(begin.body, passkeytest.WithCredentialID(bytes.Repeat([]byte{3}, 1023)))
	bobClient.postJSON("/auth/api/passkeys/register/finish", resp).want(http.StatusCreated)
	if owner, _ := env.Auth.Store().PasskeyByCredentialID(context.Background(), annID); owner.UserID == bob.ID {
		t.Fatal("ann's credential moved to bob")
	}

	// Sign-in for bob's account with ann's credential.
	c := flNew(t, env)
	resp = pkBegin(t, c, annKey, "bob31@example.com", passkeytest.WithCredential(annKey.Credentials()[0]))
	pkRefused(t, c, c.postJSON("/auth/api/passkeys/sign-in/finish", resp), http.StatusUnauthorized, "passkey_rejected")
	pkRefused(t, c, pkSignIn(t, c, annKey, "", passkeytest.WithCredentialID(make([]byte, 1024))), http.StatusBadRequest, "invalid_credential")
}

// TestT32_PasskeyForeignUserHandle: ann's credential presented with bob's
// user handle fails, whether the sign-in is username-less or for ann.
func TestT32_PasskeyForeignUserHandle(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	_, _, annKey, _ := pkUser(t, env, "ann32@example.com")
	bob, _, _, _ := pkUser(t, env, "bob32@example.com")
	bobHandle, err := env.Auth.Store().PasskeyUserHandle(context.Background(), bob.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, email := range []string{"", "ann32@example.com"} {
		c := flNew(t, env)
		pkRefused(t, c, pkSignIn(t, c, annKey, email, passkeytest.WithUserHandle(bobHandle)), http.StatusUnauthorized, "passkey_rejected")
	}
	c := flNew(t, env)
	pkRefused(t, c, pkSignIn(t, c, annKey, "", passkeytest.WithUserHandle(nil)), http.StatusUnauthorized, "passkey_rejected")
	pkRefused(t, c, pkSignIn(t, c, annKey, "", passkeytest.WithUserHandle([]byte("made up"))), http.StatusUnauthorized, "passkey_rejected")
}

// TestT33_PasskeyUserIDRandomAndLastMethod: user.id in the creation options
// is 32 random bytes per user, neither the email nor the user id, stable
// for the user; removing the last sign-in method is refused.
func TestT33_PasskeyUserIDRandomAndLastMethod(t *testing.T) {
	t.Parallel()
	env := authtest.New(t, pkOnlyPasskeys)
	handles := map[string]bool{}
	for _, email := range []string{"a33@example.com", "b33@example.com"} {
		pw := authtest.Password()
		u := env.CreateUser(t, email, pw)
		c := flNew(t, env)
		c.signIn(email, pw)
		var first []byte
		for range 2 {
			var o struct {
				PublicKey struct{ User struct{ ID, Name string } }
			}
			c.postJSON("/auth/api/passkeys/register/begin", map[string]any{}).want(http.StatusOK).decode(&o)
			id, err := base64.RawURLEncoding.DecodeString(o.PublicKey.User.ID)
			if err != nil || len(id) != 32 {
				t.Fatalf("user.id %q: %d bytes, %v", o.PublicKey.User.ID, len(id), err)
			}
			if bytes.Contains(id, []byte(email)) || bytes.Contains(id, []byte(u.ID)) || o.PublicKey.User.ID == u.ID {
				t.Fatal("user.id holds the email or the user id")
			}
			if first != nil && !bytes.Equal(first, id) {
				t.Fatal("user.id changed for one user")
			}
			first = id
		}
		handles[string(first)] = true
	}
	if len(handles) != 2 {
		t.Fatal("two users share a user handle")
	}
	// The last passkey of a user without a password stays.
	c := flNew(t, env)
	key := pkKey(env)
	pkSignUp(t, env, c, key, "last33@example.com")
	begin := c.postJSON("/auth/api/passkeys/reauth/begin", map[string]any{}).want(http.StatusOK)
	resp, _ := key.Get(begin.body)
	c.postJSON("/auth/api/passkeys/reauth/finish", resp).want(http.StatusOK)
	c.deleteJSON("/auth/api/passkeys/"+pkPasskeys(t, c)[0].ID, map[string]string{}).wantError(http.StatusConflict, "last_sign_in_method")
	pkSignIn(t, flNew(t, env), key, "").want(http.StatusOK)
}
