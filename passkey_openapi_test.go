package auth_test

import (
	"net/http"
	"testing"
	"time"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/authtest"
	"github.com/embedauth/auth/passkey/passkeytest"
)

// oaPasskeyAnswers drives every passkey route to its success and to its
// main errors for TestOpenAPIAnswersMatch, which checks each answer
// against the document.
func oaPasskeyAnswers(t *testing.T, check func(t *testing.T, op string, r *flResp)) {
	env := authtest.New(t, pkOnlyPasskeys)
	key := pkKey(env)

	// Passkey-only sign-up, with its errors.
	su := flNew(t, env)
	check(t, "POST /api/passkeys/sign-up", su.postJSON("/auth/api/passkeys/sign-up", map[string]string{"email": "oa-pk@example.com", "name": "Oa"}))
	check(t, "POST /api/passkeys/sign-up", su.postJSON("/auth/api/passkeys/sign-up", map[string]string{"email": "oa-pk@"}))
	check(t, "POST /api/passkeys/sign-up/begin", su.postJSON("/auth/api/passkeys/sign-up/begin", map[string]any{}))
	first := flVerificationCode(t, env, "oa-pk@example.com")
	check(t, "POST /api/passkeys/sign-up/verify", su.postJSON("/auth/api/passkeys/sign-up/verify", map[string]string{"code": flOtherCode(first)}))
	check(t, "POST /api/passkeys/sign-up/resend", su.postJSON("/auth/api/passkeys/sign-up/resend", map[string]any{}))
	code := flVerificationCode(t, env, "oa-pk@example.com")
	check(t, "POST /api/passkeys/sign-up/verify", su.postJSON("/auth/api/passkeys/sign-up/verify", map[string]string{"code": code}))
	check(t, "POST /api/passkeys/sign-up/resend", su.postJSON("/auth/api/passkeys/sign-up/resend", map[string]any{}))
	begin := su.postJSON("/auth/api/passkeys/sign-up/begin", map[string]any{})
	check(t, "POST /api/passkeys/sign-up/begin", begin)
	bad, _, _ := key.Create(begin.body, passkeytest.WithOrigin("https://evil.example"), passkeytest.WithoutKeeping())
	check(t, "POST /api/passkeys/sign-up/finish", su.postJSON("/auth/api/passkeys/sign-up/finish", bad))
	begin = su.postJSON("/auth/api/passkeys/sign-up/begin", map[string]any{})
	reg, _, _ := key.Create(begin.body)
	check(t, "POST /api/passkeys/sign-up/finish", su.postJSON("/auth/api/passkeys/sign-up/finish", reg))

	// The signed-in user's passkeys.
	check(t, "GET /api/passkeys", su.get("/auth/api/passkeys"))
	begin = su.postJSON("/auth/api/passkeys/register/begin", map[string]any{})
	check(t, "POST /api/passkeys/register/begin", begin)
	dup, _, _ := passkeytest.New(env.URL).Create(begin.body, passkeytest.WithCredentialID(key.Credentials()[0].ID))
	check(t, "POST /api/passkeys/register/finish", su.postJSON("/auth/api/passkeys/register/finish", dup))
	key2 := pkKey(env)
	begin = su.postJSON("/auth/api/passkeys/register/begin", map[string]any{})
	reg, _, _ = key2.Create(begin.body)
	finish := su.postJSON("/auth/api/passkeys/register/finish", reg)
	check(t, "POST /api/passkeys/register/finish", finish)
	check(t, "POST /api/passkeys/register/finish", su.postJSON("/auth/api/passkeys/register/finish", reg))
	var added struct{ Passkey pkPasskey }
	finish.decode(&added)
	check(t, "PATCH /api/passkeys/{id}", su.patchJSON("/auth/api/passkeys/"+added.Passkey.ID, map[string]string{"name": "Second"}))
	check(t, "PATCH /api/passkeys/{id}", su.patchJSON("/auth/api/passkeys/"+added.Passkey.ID, map[string]string{"name": ""}))
	check(t, "PATCH /api/passkeys/{id}", su.patchJSON("/auth/api/passkeys/pk_unknown", map[string]string{"name": "X"}))
	env.Clock.Advance(auth.DefaultReverificationAge + time.Second) // past the sign-in's proof
	check(t, "DELETE /api/passkeys/{id}", su.deleteJSON("/auth/api/passkeys/"+added.Passkey.ID, map[string]string{}))
	check(t, "DELETE /api/passkeys/{id}", su.deleteJSON("/auth/api/passkeys/pk_unknown", map[string]string{}))
	begin = su.postJSON("/auth/api/passkeys/reauth/begin", map[string]any{})
	check(t, "POST /api/passkeys/reauth/begin", begin)
	resp, _ := key2.Get(begin.body, passkeytest.WithoutUserVerification())
	check(t, "POST /api/passkeys/reauth/finish", su.postJSON("/auth/api/passkeys/reauth/finish", resp))
	begin = su.postJSON("/auth/api/passkeys/reauth/begin", map[string]any{})
	resp, _ = key2.Get(begin.body)
	check(t, "POST /api/passkeys/reauth/finish", su.postJSON("/auth/api/passkeys/reauth/finish", resp))
	check(t, "POST /api/passkeys/reauth/finish", su.postJSON("/auth/api/passkeys/reauth/finish", resp))
	check(t, "DELETE /api/passkeys/{id}", su.deleteJSON("/auth/api/passkeys/"+added.Passkey.ID, map[string]string{}))
	list := pkPasskeys(t, su)
	check(t, "DELETE /api/passkeys/{id}", su.deleteJSON("/auth/api/passkeys/"+list[0].ID, map[string]string{}))

	// Sign-in: username-less and username-first, with refusals.
	in := flNew(t, env)
	check(t, "POST /api/passkeys/sign-in/begin", in.postJSON("/auth/api/passkeys/sign-in/begin", map[string]string{"email": "nope"}))
	begin = in.postJSON("/auth/api/passkeys/sign-in/begin", map[string]any{})
	check(t, "POST /api/passkeys/sign-in/begin", begin)
	resp, _ = key.Get(begin.body)
	check(t, "POST /api/passkeys/sign-in/finish", in.postJSON("/auth/api/passkeys/sign-in/finish", resp))
	check(t, "POST /api/passkeys/sign-in/finish", in.postJSON("/auth/api/passkeys/sign-in/finish", resp))
	out := flNew(t, env)
	resp = pkBegin(t, out, key, "oa-pk@example.com", passkeytest.WithSignCount(0))
	check(t, "POST /api/passkeys/sign-in/finish", out.postJSON("/auth/api/passkeys/sign-in/finish", resp))
	resp = pkBegin(t, out, key, "", passkeytest.WithFlags(true, true))
	check(t, "POST /api/passkeys/sign-in/finish", out.postJSON("/auth/api/passkeys/sign-in/finish", resp))
	resp = pkBegin(t, out, key, "", passkeytest.WithCredentialID([]byte("unknown credential")))
	check(t, "POST /api/passkeys/sign-in/finish", out.postJSON("/auth/api/passkeys/sign-in/finish", resp))
	check(t, "POST /api/passkeys/reauth/begin", flNew(t, env).postJSON("/auth/api/passkeys/reauth/begin", map[string]any{}))
	if got := out.get("/auth/api/me"); got.status != http.StatusUnauthorized {
		t.Errorf("refused passkeys signed a client in: %d", got.status)
	}
}
