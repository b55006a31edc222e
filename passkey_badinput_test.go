package auth_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/embedauth/auth/authtest"
)

// pkDamage returns resp with member (of the response object, or the
// credential when top) replaced by f's result.
func pkDamage(t testing.TB, resp []byte, top bool, member string, f func(string) any) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(resp, &m); err != nil {
		t.Fatal(err)
	}
	obj := m
	if !top {
		obj = m["response"].(map[string]any)
	}
	old, _ := obj[member].(string)
	obj[member] = f(old)
	b, _ := json.Marshal(m)
	return b
}

func pkTruncate(s string) any {
	raw, _ := base64.RawURLEncoding.DecodeString(s)
	return base64.RawURLEncoding.EncodeToString(raw[:len(raw)/2])
}

// TestPasskeyBadInput sends every passkey finish endpoint malformed JSON,
// wrong base64url, truncated attestation and authenticator data and huge
// bodies: each is a 4xx with a JSON error code, never a 5xx, and nothing
// is stored.
func TestPasskeyBadInput(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	_, c, key, _ := pkUser(t, env, "bad-pk@example.com")
	// The same browser also has a verified passkey sign-up, so the sign-up
	// finish endpoint gets as far as parsing.
	c.postJSON("/auth/api/passkeys/sign-up", map[string]string{"email": "bad-new@example.com"}).want(http.StatusAccepted)
	c.postJSON("/auth/api/passkeys/sign-up/verify", map[string]string{"code": flVerificationCode(t, env, "bad-new@example.com")}).want(http.StatusOK)
	flWaitMail(t, env, "bad-pk@example.com") // passkey added

	begin := c.postJSON("/auth/api/passkeys/register/begin", map[string]any{}).want(http.StatusOK)
	regResp, _, _ := pkKey(env).Create(begin.body)
	loginResp := pkBegin(t, c, key, "")
	events := apiEventCount(t, env)

	type route struct {
		path  string
		valid []byte
		data  string // the binary member to truncate
	}
	routes := []route{
		{"/auth/api/passkeys/sign-in/finish", loginResp, "authenticatorData"},
		{"/auth/api/passkeys/reauth/finish", loginResp, "authenticatorData"},
		{"/auth/api/passkeys/register/finish", regResp, "attestationObject"},
		{"/auth/api/passkeys/sign-up/finish", regResp, "attestationObject"},
	}
	for _, rt := range routes {
		cases := []struct {
			name, contentType string
			body              []byte
			status            int
			code              string
		}{
			{"Empty", "application/json", nil, 400, "invalid_request"},
			{"TextPlain", "text/plain", rt.valid, 415, "unsupported_media_type"},
			{"NotJSON", "application/json", []byte("id=1"), 400, "invalid_json"},
			{"Truncated", "application/json", rt.valid[:len(rt.valid)/2], 400, "invalid_json"},
			{"Array", "application/json", []byte("[]"), 400, "invalid_request"},
			{"UnknownMember", "application/json", []byte(`{"id":"AA","is_admin":true}`), 400, "unknown_field"},
			{"WrongType", "application/json", []byte(`{"id":12}`), 400, "invalid_request"},
			{"EmptyObject", "application/json", []byte(`{}`), 400, "invalid_credential"},
			{"Huge", "application/json", []byte(`{"id":"` + strings.Repeat("A", 70<<10) + `"}`), 413, "request_too_large"},
			{"WrongBase64URL", "application/json", pkDamage(t, rt.valid, true, "rawId", func(s string) any { return "+/" + s + "==" }), 400, "invalid_credential"},
			{"IDMismatch", "application/json", pkDamage(t, rt.valid, true, "id", func(string) any { return "AAAA" }), 400, "invalid_credential"},
			{"ClientDataNotBase64", "application/json", pkDamage(t, rt.valid, false, "clientDataJSON", func(string) any { return "%%%" }), 400, "invalid_credential"},
			{"ClientDataNotJSON", "application/json", pkDamage(t, rt.valid, false, "clientDataJSON", func(string) any { return base64.RawURLEncoding.EncodeToString([]byte("nope")) }), 400, "invalid_credential"},
			{"TruncatedBinary", "application/json", pkDamage(t, rt.valid, false, rt.data, pkTruncate), 400, "invalid_credential"},
			{"EmptyBinary", "application/json", pkDamage(t, rt.valid, false, rt.data, func(string) any { return "" }), 400, "invalid_credential"},
			{"BinaryAsNumber", "application/json", pkDamage(t, rt.valid, false, rt.data, func(string) any { return 7 }), 400, "invalid_credential"},
			{"ResponseNotObject", "application/json", pkDamage(t, rt.valid, true, "response", func(string) any { return "x" }), 400, "invalid_credential"},
			{"NoResponse", "application/json", pkDamage(t, rt.valid, true, "response", func(string) any { return nil }), 400, "invalid_credential"},
		}
		for _, tc := range cases {
			t.Run(strings.TrimPrefix(rt.path, "/auth/api/passkeys/")+"/"+tc.name, func(t *testing.T) {
				r := c.as(t).do("POST", rt.path, tc.contentType, strings.NewReader(string(tc.body)))
				r.wantError(tc.status, tc.code)
			})
		}
	}
	for _, path := range []string{"/auth/api/passkeys/sign-in/begin", "/auth/api/passkeys/register/begin", "/auth/api/passkeys/reauth/begin",
		"/auth/api/passkeys/sign-up/begin", "/auth/api/passkeys/sign-up", "/auth/api/passkeys/sign-up/verify", "/auth/api/passkeys/sign-up/resend"} {
		c.do("POST", path, "application/json", strings.NewReader(`{"x":1}`)).wantError(http.StatusBadRequest, "unknown_field")
		c.do("POST", path, "application/json", strings.NewReader(`{`)).wantError(http.StatusBadRequest, "invalid_json")
	}
	c.postJSON("/auth/api/passkeys/sign-in/begin", map[string]any{"email": 5}).wantError(http.StatusBadRequest, "invalid_request")
	if got := apiEventCount(t, env); got != events {
		t.Errorf("bad input wrote %d events", got-events)
	}
	if n := len(pkPasskeys(t, c)); n != 1 {
		t.Errorf("%d passkeys after bad input, want 1", n)
	}
	// The real responses still work afterwards: nothing consumed them.
	c.postJSON("/auth/api/passkeys/register/finish", regResp).want(http.StatusCreated)
}
