package auth_test

import (
	"net/http"
	"testing"
	"time"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/authtest"
)

// oaPasswordlessAnswers drives the passwordless and address routes to
// their successes and main errors for TestOpenAPIAnswersMatch, which
// checks every answer against the document.
func oaPasswordlessAnswers(t *testing.T, check func(t *testing.T, op string, r *flResp)) {
	env, sms := pwEnv(t, pwCrossDevice)
	pw := authtest.Password()
	env.CreateUser(t, "pl@example.com", pw)

	// Email code: sign-up and sign-in, with the main errors.
	su := flNew(t, env)
	check(t, "POST /api/sign-up/email-code", su.postJSON("/auth/api/sign-up/email-code", map[string]string{"email": "pl-new@example.com", "name": "New"}))
	check(t, "POST /api/sign-up/email-code", su.postJSON("/auth/api/sign-up/email-code", map[string]string{"email": "pl-new@"}))
	code := pwMailCode(t, env, "pl-new@example.com")
	check(t, "POST /api/code/verify", su.postJSON("/auth/api/code/verify", map[string]string{"code": "12"}))
	check(t, "POST /api/code/verify", su.postJSON("/auth/api/code/verify", map[string]string{"code": pwOtherCode(code)}))
	check(t, "POST /api/code/resend", su.postJSON("/auth/api/code/resend", map[string]any{}))
	check(t, "POST /api/code/verify", su.postJSON("/auth/api/code/verify", map[string]string{"code": pwMailCode(t, env, "pl-new@example.com")}))
	si := flNew(t, env)
	check(t, "POST /api/sign-in/email-code", si.postJSON("/auth/api/sign-in/email-code", map[string]string{"email": "pl@example.com", "redirect_url": "/x"}))
	check(t, "POST /api/code/verify", si.postJSON("/auth/api/code/verify", map[string]string{"code": pwMailCode(t, env, "pl@example.com")}))

	// SMS.
	ph := flNew(t, env)
	check(t, "POST /api/sign-up/sms", ph.postJSON("/auth/api/sign-up/sms", map[string]string{"phone": "+14155550142", "name": "Phil"}))
	check(t, "POST /api/sign-up/sms", ph.postJSON("/auth/api/sign-up/sms", map[string]string{"phone": "0142"}))
	check(t, "POST /api/code/verify", ph.postJSON("/auth/api/code/verify", map[string]string{"code": pwSMSCode(t, env, sms, "+14155550142")}))
	ph2 := flNew(t, env)
	check(t, "POST /api/sign-in/sms", ph2.postJSON("/auth/api/sign-in/sms", map[string]string{"phone": "+14155550142"}))
	pwSMSCode(t, env, sms, "+14155550142")

	// Magic links: used in another browser without, with a wrong and with
	// the right match code, then continued; errors.
	ml := flNew(t, env)
	check(t, "POST /api/sign-in/magic-link", ml.postJSON("/auth/api/sign-in/magic-link", map[string]string{"email": "pl@example.com"}))
	check(t, "GET /api/magic-link/status", ml.get("/auth/api/magic-link/status"))
	var st struct {
		MatchCode string `json:"match_code"`
	}
	ml.get("/auth/api/magic-link/status").want(http.StatusOK).decode(&st)
	check(t, "POST /api/magic-link/resend", ml.postJSON("/auth/api/magic-link/resend", map[string]any{}))
	pwLink(t, env, "pl@example.com")
	token := pwLink(t, env, "pl@example.com")
	check(t, "POST /api/magic-link/continue", ml.postJSON("/auth/api/magic-link/continue", map[string]any{}))
	check(t, "POST /api/magic-link/verify", flNew(t, env).postJSON("/auth/api/magic-link/verify", map[string]string{"token": "nope"}))
	check(t, "POST /api/magic-link/verify", flNew(t, env).postJSON("/auth/api/magic-link/verify", map[string]string{"token": token}))
	check(t, "POST /api/magic-link/verify", flNew(t, env).postJSON("/auth/api/magic-link/verify", map[string]string{"token": token, "match_code": pwOtherMatch(st.MatchCode)}))
	check(t, "POST /api/magic-link/verify", flNew(t, env).postJSON("/auth/api/magic-link/verify", map[string]string{"token": token, "match_code": st.MatchCode}))
	check(t, "POST /api/magic-link/verify", flNew(t, env).postJSON("/auth/api/magic-link/verify", map[string]string{"token": token, "match_code": st.MatchCode}))
	check(t, "GET /api/magic-link/status", ml.get("/auth/api/magic-link/status"))
	check(t, "POST /api/magic-link/continue", ml.postJSON("/auth/api/magic-link/continue", map[string]any{}))
	check(t, "POST /api/sign-up/magic-link", flNew(t, env).postJSON("/auth/api/sign-up/magic-link", map[string]string{"email": "pl-link@example.com", "name": "L"}))
	// A flow ended by wrong match codes.
	ended := flNew(t, env)
	match := pwAskLink(ended, "pl@example.com")
	token = pwLink(t, env, "pl@example.com")
	for range 3 {
		check(t, "POST /api/magic-link/verify", flNew(t, env).postJSON("/auth/api/magic-link/verify", map[string]string{"token": token, "match_code": pwOtherMatch(match)}))
	}
	check(t, "GET /api/magic-link/status", ended.get("/auth/api/magic-link/status"))
	check(t, "POST /api/magic-link/continue", ended.postJSON("/auth/api/magic-link/continue", map[string]any{}))
	// Same-device links (the default) refuse another browser.
	senv, _ := pwEnv(t)
	senv.CreateUser(t, "pl-same@example.com", pw)
	same := flNew(t, senv)
	check(t, "POST /api/sign-in/magic-link", same.postJSON("/auth/api/sign-in/magic-link", map[string]string{"email": "pl-same@example.com"}))
	token = pwLink(t, senv, "pl-same@example.com")
	check(t, "POST /api/magic-link/verify", flNew(t, senv).postJSON("/auth/api/magic-link/verify", map[string]string{"token": token, "match_code": "00"}))
	check(t, "POST /api/magic-link/verify", same.postJSON("/auth/api/magic-link/verify", map[string]string{"token": token}))

	// Addresses.
	me := flNew(t, env)
	me.signIn("pl@example.com", pw)
	env.Clock.Advance(auth.DefaultReverificationAge + time.Second) // past the sign-in's proof
	check(t, "POST /api/me/identifiers", me.postJSON("/auth/api/me/identifiers", map[string]string{"type": "email", "value": "pl2@example.com"}))
	check(t, "POST /api/me/identifiers", me.postJSON("/auth/api/me/identifiers", map[string]string{"type": "email", "value": "pl2@example.com", "password": pw}))
	check(t, "POST /api/me/identifiers/resend", me.postJSON("/auth/api/me/identifiers/resend", map[string]any{}))
	pwMailCode(t, env, "pl2@example.com")
	check(t, "POST /api/me/identifiers/verify", me.postJSON("/auth/api/me/identifiers/verify", map[string]string{"code": pwMailCode(t, env, "pl2@example.com")}))
	var list idList
	r := me.get("/auth/api/me/identifiers").want(http.StatusOK)
	check(t, "GET /api/me/identifiers", r)
	r.decode(&list)
	second, _ := list.find("pl2@example.com")
	first, _ := list.find("pl@example.com")
	check(t, "POST /api/me/identifiers/{id}/primary", me.postJSON("/auth/api/me/identifiers/"+second.ID+"/primary", map[string]string{"password": pw}))
	check(t, "DELETE /api/me/identifiers/{id}", me.deleteJSON("/auth/api/me/identifiers/"+second.ID, map[string]string{"password": pw}))
	check(t, "DELETE /api/me/identifiers/{id}", me.deleteJSON("/auth/api/me/identifiers/"+first.ID, map[string]string{"password": "wrong-wrong-wrong"}))
	check(t, "DELETE /api/me/identifiers/{id}", me.deleteJSON("/auth/api/me/identifiers/"+first.ID, map[string]string{"password": pw}))
}
