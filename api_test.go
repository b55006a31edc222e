package auth_test

// Bad input, cross-origin requests, response headers, the session cookie
// and the events outbox, over the JSON API and the HTML form pages. The
// helpers (flNew, flResp, ...) are in flows_test.go.

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/authtest"
	"github.com/embedauth/auth/core"
)

// apiBodyRoute is a JSON route that reads a body, with a body it accepts.
type apiBodyRoute struct {
	method, path string
	valid        map[string]any
	firstField   string // a string field, for the wrong-type case
}

func apiBodyRoutes() []apiBodyRoute {
	pw := authtest.Password()
	return []apiBodyRoute{
		{"POST", "/auth/api/sign-up", map[string]any{"email": "new@example.com", "password": pw, "name": "N"}, "email"},
		{"POST", "/auth/api/sign-up/verify", map[string]any{"code": "123456"}, "code"},
		{"POST", "/auth/api/sign-up/resend", map[string]any{}, ""},
		{"POST", "/auth/api/sign-in", map[string]any{"email": "x@example.com", "password": pw}, "email"},
		{"POST", "/auth/api/password/forgot", map[string]any{"email": "x@example.com"}, "email"},
		{"POST", "/auth/api/password/reset", map[string]any{"token": "abc", "password": pw}, "token"},
		{"POST", "/auth/api/password/change", map[string]any{"current_password": "a", "new_password": pw}, "current_password"},
		{"PATCH", "/auth/api/me", map[string]any{"name": "N"}, "name"},
		{"DELETE", "/auth/api/me", map[string]any{"password": "x"}, "password"},
		{"POST", "/auth/api/sessions/switch", map[string]any{"session_id": "sess_x"}, "session_id"},
		{"POST", "/auth/api/reverify", map[string]any{"password": "x", "code": "123456"}, "password"},
		{"POST", "/auth/api/sign-in/factor-two", map[string]any{"method": "totp", "code": "123456"}, "method"},
		{"POST", "/auth/api/sign-in/verify-device", map[string]any{"code": "123456"}, "code"},
		{"POST", "/auth/api/sign-in/verify-device/resend", map[string]any{}, ""},
		{"POST", "/auth/api/me/mfa/totp", map[string]any{"password": "x"}, "password"},
		{"POST", "/auth/api/me/mfa/totp/confirm", map[string]any{"code": "123456"}, "code"},
		{"POST", "/auth/api/me/mfa/backup-codes", map[string]any{"password": "x"}, "password"},
		{"DELETE", "/auth/api/me/mfa", map[string]any{"password": "x"}, "password"},
		{"POST", "/auth/api/me/mfa/sms", map[string]any{"password": "x"}, "password"},
		{"DELETE", "/auth/api/me/mfa/sms", map[string]any{"password": "x"}, "password"},
		{"DELETE", "/auth/api/me/connections/ext_x", map[string]any{"password": "x"}, "password"},
	}
}

// TestAPIBadInput sends every JSON route that reads a body malformed
// bodies: each is a 4xx with a JSON error code, never a 500, and changes
// nothing.
func TestAPIBadInput(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	pw := authtest.Password()
	env.CreateUser(t, "bad@example.com", pw)
	c := flNew(t, env)
	me := c.signIn("bad@example.com", pw)
	// Past the reverification window, so sensitive routes check the password.
	env.Clock.Advance(auth.DefaultReverificationAge + time.Second)
	// A pending sign-up in the same browser, so verify reaches its checks.
	flStartSignUp(c, "pending@example.com", authtest.Password())
	flVerificationCode(t, env, "pending@example.com")
	events := apiEventCount(t, env)

	for _, rt := range apiBodyRoutes() {
		valid, _ := json.Marshal(rt.valid)
		cases := []struct {
			name, contentType, body string
			status                  int
			code                    string
		}{
			{"Empty", "application/json", "", 400, "invalid_request"},
			{"TextPlain", "text/plain", string(valid), 415, "unsupported_media_type"},
			{"TextPlainCharset", "text/plain; charset=utf-8", string(valid), 415, "unsupported_media_type"},
			{"FormEncoded", "application/x-www-form-urlencoded", "email=a%40b.co", 415, "unsupported_media_type"},
			{"NoContentType", "", string(valid), 415, "unsupported_media_type"},
			{"JSONLookalike", "application/jsonx", string(valid), 415, "unsupported_media_type"},
			{"Truncated", "application/json", string(valid[:len(valid)-1]), 400, "invalid_json"},
			{"NotJSON", "application/json", "email=a", 400, "invalid_json"},
			{"UnknownField", "application/json", apiWithField(valid, `"is_admin":true`), 400, "unknown_field"},
			{"TrailingGarbage", "application/json", string(valid) + " x", 400, "invalid_json"},
			{"TrailingBrace", "application/json", string(valid) + "}", 400, "invalid_json"},
			{"TwoObjects", "application/json", string(valid) + string(valid), 400, "invalid_json"},
			{"Array", "application/json", "[" + string(valid) + "]", 400, "invalid_request"},
			{"String", "application/json", `"hello"`, 400, "invalid_request"},
			{"DeepNesting", "application/json", strings.Repeat("[", 20000), 400, "invalid_json"},
		}
		if rt.firstField != "" {
			cases = append(cases,
				struct {
					name, contentType, body string
					status                  int
					code                    string
				}{"WrongTypeNumber", "application/json", apiWithField(valid, `"`+rt.firstField+`":12`), 400, "invalid_request"},
				struct {
					name, contentType, body string
					status                  int
					code                    string
				}{"WrongTypeObject", "application/json", apiWithField(valid, `"`+rt.firstField+`":{"$ne":null}`), 400, "invalid_request"},
			)
		}
		for _, tc := range cases {
			t.Run(rt.method+rt.path+"/"+tc.name, func(t *testing.T) {
				r := c.as(t).do(rt.method, rt.path, tc.contentType, strings.NewReader(tc.body))
				r.wantError(tc.status, tc.code)
				if strings.HasPrefix(tc.name, "WrongType") {
					r.wantField(rt.firstField)
				}
			})
		}
	}

	// Missing and empty fields: 4xx with the field named where there is one.
	for _, tc := range []struct {
		method, path, body string
		status             int
		code, field        string
	}{
		{"POST", "/auth/api/sign-up", `{}`, 422, "email_required", "email"},
		{"POST", "/auth/api/sign-up", `{"email":"","password":"","name":""}`, 422, "email_required", "email"},
		{"POST", "/auth/api/sign-up", `{"email":"   "}`, 422, "email_required", "email"},
		{"POST", "/auth/api/sign-up", `{"email":"n@example.com"}`, 422, "password_too_short", "password"},
		{"POST", "/auth/api/sign-up", `{"email":"n@example.com","password":"    "}`, 422, "password_too_short", "password"},
		{"POST", "/auth/api/sign-up", `{"email":"n@example.com","password":"` + pw + `","name":"` + strings.Repeat("x", 101) + `"}`, 422, "invalid_name", "name"},
		{"POST", "/auth/api/sign-up/verify", `{}`, 422, "invalid_code", "code"},
		{"POST", "/auth/api/sign-up/verify", `{"code":""}`, 422, "invalid_code", "code"},
		{"POST", "/auth/api/sign-up/verify", `{"code":"12345"}`, 422, "invalid_code", "code"},
		{"POST", "/auth/api/sign-up/verify", `{"code":"1234567"}`, 422, "invalid_code", "code"},
		{"POST", "/auth/api/sign-up/verify", `{"code":"12345a"}`, 422, "invalid_code", "code"},
		{"POST", "/auth/api/sign-up/verify", `{"code":"١٢٣٤٥٦"}`, 422, "invalid_code", "code"},
		{"POST", "/auth/api/sign-in", `{}`, 422, "email_required", "email"},
		{"POST", "/auth/api/sign-in", `{"email":"bad@example.com"}`, 422, "password_required", "password"},
		{"POST", "/auth/api/sign-in", `{"email":"bad@example.com","password":""}`, 422, "password_required", "password"},
		{"POST", "/auth/api/sign-in", `{"email":null,"password":null}`, 422, "email_required", "email"},
		{"POST", "/auth/api/password/forgot", `{}`, 422, "email_required", "email"},
		{"POST", "/auth/api/password/reset", `{}`, 400, "token_invalid", ""},
		{"POST", "/auth/api/password/reset", `{"token":"abc"}`, 400, "token_invalid", ""},
		{"POST", "/auth/api/password/change", `{}`, 422, "password_required", "current_password"},
		{"POST", "/auth/api/password/change", `{"current_password":"` + pw + `"}`, 422, "password_too_short", "new_password"},
		{"DELETE", "/auth/api/me", `{}`, 422, "password_required", "password"},
		{"POST", "/auth/api/sessions/switch", `{}`, 404, "session_not_found", ""},
		{"DELETE", "/auth/api/sessions/%00", ``, 404, "session_not_found", ""},
		{"DELETE", "/auth/api/sessions/" + strings.Repeat("s", 2000), ``, 404, "session_not_found", ""},
		{"GET", "/auth/api/nope", ``, 404, "not_found", ""},
	} {
		t.Run("Missing"+tc.method+tc.path+tc.body, func(t *testing.T) {
			ct := "application/json"
			if tc.body == "" {
				ct = ""
			}
			r := c.as(t).do(tc.method, tc.path, ct, strings.NewReader(tc.body))
			r.wantError(tc.status, tc.code)
			if tc.field != "" {
				r.wantField(tc.field)
			}
		})
	}

	// Nothing above changed anything.
	if got := apiEventCount(t, env); got != events {
		t.Errorf("bad input wrote %d events", got-events)
	}
	if got := c.me(); got.User.Name != "" || got.Session.ID != me.Session.ID {
		t.Errorf("bad input changed the user or session: %+v", got)
	}
	c.signIn("bad@example.com", pw)
}

// apiWithField adds a member to a JSON object (replacing one of the same
// name is not needed: a duplicate's last value wins in encoding/json).
func apiWithField(obj []byte, member string) string {
	s := strings.TrimSuffix(string(obj), "}")
	if s == "{" {
		return "{" + member + "}"
	}
	return s + "," + member + "}"
}

func TestAPIMalformedEmails(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	emails := []string{
		"a@", "@example.com", "a b@x.io", "x@localhost", "a@@x.io", "Ann <a@x.io>", "a@x..io", "a@.x.io", "a@x.io.",
		"a@x.io,b@x.io", "a\x00@x.io", "a\u202e@x.io", "\xff@x.io", strings.Repeat("a", 288) + "@example.com",
		strings.Repeat("a", 65) + "@example.com", "a@" + strings.Repeat("x", 300) + ".io",
	}
	for _, email := range emails {
		t.Run(strings.ToValidUTF8(email[:min(len(email), 20)], "?"), func(t *testing.T) {
			t.Parallel()
			c := flNew(t, env)
			// JSON cannot carry invalid UTF-8: the decoder turns it into
			// U+FFFD, an ordinary character. Forms can.
			if utf8.ValidString(email) {
				for _, path := range []string{"/auth/api/sign-up", "/auth/api/sign-in"} {
					c.postJSON(path, map[string]string{"email": email, "password": authtest.Password()}).
						wantError(http.StatusUnprocessableEntity, "invalid_email").wantField("email")
				}
				c.postJSON("/auth/api/password/forgot", map[string]string{"email": email}).
					wantError(http.StatusUnprocessableEntity, "invalid_email").wantField("email")
			}
			for _, path := range []string{"/auth/sign-up", "/auth/sign-in", "/auth/forgot"} {
				c.postForm(path, url.Values{"email": {email}, "password": {authtest.Password()}}).
					want(http.StatusUnprocessableEntity).fieldError("email")
			}
		})
	}
	if n, _ := env.Auth.Store().CountUsers(context.Background()); n != 0 {
		t.Errorf("%d users created", n)
	}
	if ms := env.Mail.Messages(); len(ms) != 0 {
		t.Errorf("mail sent to malformed addresses: %v", ms[0].To)
	}
}

func TestAPIFormBadInput(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	pw := authtest.Password()
	env.CreateUser(t, "form@example.com", pw)

	signedIn := flNew(t, env)
	signedIn.signIn("form@example.com", pw)
	env.Clock.Advance(auth.DefaultReverificationAge + time.Second) // sensitive forms ask for the password
	pending := flNew(t, env)
	pending.postForm("/auth/sign-up", url.Values{"email": {"pend@example.com"}, "password": {authtest.Password()}}).want(http.StatusSeeOther)
	flVerificationCode(t, env, "pend@example.com")

	for _, tc := range []struct {
		name        string
		c           *flClient
		path        string
		contentType string
		body        string
		status      int
		shows       string // a field with an error, or "alert"
	}{
		{"SignInEmpty", nil, "/auth/sign-in", "", "", 422, "email"},
		{"SignInNoPassword", nil, "/auth/sign-in", "", "email=form%40example.com", 422, "password"},
		{"SignInEmptyPassword", nil, "/auth/sign-in", "", "email=form%40example.com&password=", 422, "password"},
		{"SignInRepeatedFields", nil, "/auth/sign-in", "", "email=form%40example.com&email=x%40example.com&password=nope-nope-nope-nope", 401, "alert"},
		{"SignUpEmpty", nil, "/auth/sign-up", "", "", 422, "email"},
		{"SignUpShortPassword", nil, "/auth/sign-up", "", "email=n%40example.com&password=short", 422, "password"},
		{"SignUpNameTooLong", nil, "/auth/sign-up", "", "email=n%40example.com&password=" + pw + "&name=" + strings.Repeat("x", 101), 422, "name"},
		{"ForgotEmpty", nil, "/auth/forgot", "", "", 422, "email"},
		{"VerifyEmpty", pending, "/auth/verify", "", "", 422, "code"},
		{"VerifyLetters", pending, "/auth/verify", "", "code=abcdef", 422, "code"},
		{"ResetNoLink", nil, "/auth/reset", "", "password=" + pw, 400, "alert"},
		{"NameTooLong", signedIn, "/auth/profile/name", "", "name=" + strings.Repeat("x", 101), 422, "name"},
		{"PasswordEmpty", signedIn, "/auth/profile/password", "", "", 422, "current_password"},
		{"RevokeEmpty", signedIn, "/auth/profile/sessions/revoke", "", "", 404, "alert"},
		{"DeleteEmpty", signedIn, "/auth/profile/delete", "", "", 422, "confirm"},
		{"DeleteNoPassword", signedIn, "/auth/profile/delete", "", "confirm=DELETE", 422, "delete_password"},
		{"SwitchSingleMode", signedIn, "/auth/sessions/switch", "", "session_id=x", 404, "alert"},
		{"BadEscape", nil, "/auth/sign-in", "", "email=%zz&password=x", 400, "alert"},
		{"TextPlain", nil, "/auth/sign-in", "text/plain", "email=a", 415, "alert"},
		{"JSONToForm", nil, "/auth/sign-in", "application/json", `{"email":"form@example.com"}`, 415, "alert"},
		{"NoContentType", nil, "/auth/sign-up", "none", "email=a", 415, "alert"},
		{"BadMultipart", nil, "/auth/sign-in", "multipart/form-data; boundary=xx", "--xx\r\nnot a part", 400, "alert"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.c
			if c == nil {
				c = flNew(t, env)
			}
			ct := tc.contentType
			switch ct {
			case "":
				ct = "application/x-www-form-urlencoded"
			case "none":
				ct = ""
			}
			r := c.as(t).do(http.MethodPost, tc.path, ct, strings.NewReader(tc.body))
			if strings.HasPrefix(r.header.Get("Content-Type"), "application/json") && tc.contentType != "application/json" {
				t.Fatalf("a form got a JSON answer: %s", r.body)
			}
			r.want(tc.status)
			switch {
			case tc.contentType == "application/json":
				r.errorBody()
			case tc.shows == "alert":
				r.alert()
			default:
				r.fieldError(tc.shows)
			}
		})
	}
	signedIn.get("/auth/api/me").want(http.StatusOK)
}

// TestAPIHugePassword sends a 1 MB password to every endpoint that takes
// one: each answers 413 without hashing it (no argon2id computation runs
// for the request: the subtests run one after another, so the count is
// theirs alone) or reading it whole (SECURITY.md T4).
func TestAPIHugePassword(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	pw := authtest.Password()
	env.CreateUser(t, "huge@example.com", pw)
	huge := strings.Repeat("p", 1<<20)

	for _, tc := range []struct {
		name, method, path string
		form               bool
		body               map[string]string
	}{
		{"SignUpJSON", "POST", "/auth/api/sign-up", false, map[string]string{"email": "h2@example.com", "password": huge}},
		{"SignInJSON", "POST", "/auth/api/sign-in", false, map[string]string{"email": "huge@example.com", "password": huge}},
		{"ResetJSON", "POST", "/auth/api/password/reset", false, map[string]string{"token": "t", "password": huge}},
		{"ChangeJSON", "POST", "/auth/api/password/change", false, map[string]string{"current_password": huge, "new_password": huge}},
		{"DeleteJSON", "DELETE", "/auth/api/me", false, map[string]string{"password": huge}},
		{"SignUpForm", "POST", "/auth/sign-up", true, map[string]string{"email": "h3@example.com", "password": huge}},
		{"SignInForm", "POST", "/auth/sign-in", true, map[string]string{"email": "huge@example.com", "password": huge}},
		{"ResetForm", "POST", "/auth/reset", true, map[string]string{"password": huge}},
		{"ChangeForm", "POST", "/auth/profile/password", true, map[string]string{"current_password": huge, "new_password": huge}},
		{"DeleteForm", "POST", "/auth/profile/delete", true, map[string]string{"password": huge, "confirm": "DELETE"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := flNew(t, env)
			c.signIn("huge@example.com", pw)
			hashes := env.Auth.PasswordHashesForTest()
			var r *flResp
			if tc.form {
				v := url.Values{}
				for k, s := range tc.body {
					v.Set(k, s)
				}
				r = c.postForm(tc.path, v)
			} else {
				r = c.sendJSON(tc.method, tc.path, tc.body)
			}
			if tc.form {
				r.want(http.StatusRequestEntityTooLarge).alert()
			} else {
				r.wantError(http.StatusRequestEntityTooLarge, "request_too_large")
			}
			if n := env.Auth.PasswordHashesForTest() - hashes; n != 0 {
				t.Errorf("refusing a 1 MB password ran %d password hashes, want none", n)
			}
		})
	}
	// Just under the limit, a long password is still refused by the policy,
	// not by the server falling over.
	long := strings.Repeat("correct horse ", 100) // 1400 characters
	flNew(t, env).postJSON("/auth/api/sign-up", map[string]string{"email": "h4@example.com", "password": long}).
		wantError(http.StatusUnprocessableEntity, "password_too_long")
	flNew(t, env).postJSON("/auth/api/sign-in", map[string]string{"email": "huge@example.com", "password": long}).
		wantError(http.StatusUnauthorized, "invalid_credentials")
}

// TestAPICrossOrigin sends every state-changing request, each of which
// would succeed from the same origin, with cross-site Fetch Metadata or a
// foreign Origin: every one is 403 and nothing changes (SECURITY.md T39).
func TestAPICrossOrigin(t *testing.T) {
	t.Parallel()
	for _, hdr := range [][]string{
		{"Sec-Fetch-Site", "cross-site"},
		{"Origin", "https://evil.example"},
		{"Sec-Fetch-Site", "same-site"},
		{"Origin", "null"},
	} {
		t.Run(hdr[0]+"="+hdr[1], func(t *testing.T) {
			t.Parallel()
			env := authtest.New(t)
			ctx := context.Background()
			pw := authtest.Password()
			u := env.CreateUser(t, "victim@example.com", pw)
			other := flNew(t, env)
			otherMe := other.signIn("victim@example.com", pw)
			c := flNew(t, env)
			me := c.signIn("victim@example.com", pw)
			// This browser also has a pending sign-up and a reset link in
			// progress, so every route has something to act on.
			flStartSignUp(c, "newbie@example.com", authtest.Password())
			code := flVerificationCode(t, env, "newbie@example.com")
			c.postJSON("/auth/api/password/forgot", map[string]string{"email": "victim@example.com"}).want(http.StatusAccepted)
			link := flResetLink(t, env, "victim@example.com")
			c.get(strings.TrimPrefix(link, env.URL)).want(http.StatusSeeOther)
			token := flResetToken(t, link)

			env.Auth.FlushMail(ctx)
			mailBefore := len(env.Mail.Messages())
			eventsBefore := apiEventCount(t, env)
			newPW := authtest.Password()

			type req struct {
				method, path, contentType, body string
			}
			form := func(path string, v url.Values) req {
				return req{"POST", path, "application/x-www-form-urlencoded", v.Encode()}
			}
			js := func(method, path string, v any) req {
				b, _ := json.Marshal(v)
				if v == nil {
					b = nil
				}
				return req{method, path, "application/json", string(b)}
			}
			reqs := []req{
				form("/auth/sign-in", url.Values{"email": {"victim@example.com"}, "password": {pw}}),
				form("/auth/sign-up", url.Values{"email": {"x1@example.com"}, "password": {newPW}}),
				form("/auth/verify", url.Values{"code": {code}}),
				form("/auth/verify/resend", nil),
				form("/auth/sign-out", nil),
				form("/auth/forgot", url.Values{"email": {"victim@example.com"}}),
				form("/auth/reset", url.Values{"password": {newPW}}),
				form("/auth/profile/name", url.Values{"name": {"Pwned"}}),
				form("/auth/profile/password", url.Values{"current_password": {pw}, "new_password": {newPW}}),
				form("/auth/profile/sessions/revoke", url.Values{"session_id": {otherMe.Session.ID}}),
				form("/auth/profile/sessions/revoke-others", nil),
				form("/auth/profile/delete", url.Values{"password": {pw}, "confirm": {"DELETE"}}),
				form("/auth/sessions/switch", url.Values{"session_id": {otherMe.Session.ID}}),
				js("POST", "/auth/api/sign-up", map[string]string{"email": "x2@example.com", "password": newPW}),
				js("POST", "/auth/api/sign-up/verify", map[string]string{"code": code}),
				js("POST", "/auth/api/sign-up/resend", map[string]string{}),
				js("POST", "/auth/api/sign-in", map[string]string{"email": "victim@example.com", "password": pw}),
				js("POST", "/auth/api/sign-out", nil),
				js("POST", "/auth/api/password/forgot", map[string]string{"email": "victim@example.com"}),
				js("POST", "/auth/api/password/reset", map[string]string{"token": token, "password": newPW}),
				js("POST", "/auth/api/password/change", map[string]string{"current_password": pw, "new_password": newPW}),
				js("PATCH", "/auth/api/me", map[string]any{"name": "Pwned", "unsafe_metadata": map[string]int{"x": 1}}),
				js("DELETE", "/auth/api/me", map[string]string{"password": pw}),
				js("DELETE", "/auth/api/sessions/"+otherMe.Session.ID, nil),
				js("POST", "/auth/api/sessions/revoke-others", nil),
				js("POST", "/auth/api/sessions/switch", map[string]string{"session_id": otherMe.Session.ID}),
				// A simple (CORS-preflight-free) request a page could send.
				{"POST", "/auth/api/sign-out", "text/plain", ""},
				{"POST", "/auth/api/sessions/revoke-others", "text/plain", ""},
				{"DELETE", "/auth/api/sessions/" + otherMe.Session.ID, "text/plain", ""},
			}
			for _, rq := range reqs {
				r := c.do(rq.method, rq.path, rq.contentType, strings.NewReader(rq.body), hdr...)
				if strings.Contains(rq.path, "/api/") || rq.contentType == "application/json" {
					r.wantError(http.StatusForbidden, "cross_origin_request")
				} else {
					r.want(http.StatusForbidden).alert()
				}
				if len(r.cookies) != 0 {
					t.Errorf("%s %s: refused request set cookies %v", rq.method, rq.path, r.cookies)
				}
			}

			// Nothing changed.
			if got := apiEventCount(t, env); got != eventsBefore {
				t.Errorf("refused requests wrote %d events", got-eventsBefore)
			}
			env.Auth.FlushMail(ctx)
			if got := len(env.Mail.Messages()); got != mailBefore {
				t.Errorf("refused requests sent %d mails", got-mailBefore)
			}
			if got := c.me(); got.User.ID != u.ID || got.Session.ID != me.Session.ID || got.User.Name != "" ||
				flCompactJSON(got.User.UnsafeMetadata) != "{}" {
				t.Errorf("this browser's user or session changed: %+v", got)
			}
			if got := other.me(); got.Session.ID != otherMe.Session.ID {
				t.Errorf("the other device's session changed")
			}
			if n, _ := env.Auth.Store().CountUsers(ctx); n != 1 {
				t.Errorf("%d users, want 1", n)
			}
			// The pending sign-up, the reset link and the old password all
			// still work: the refused requests consumed none of them.
			c.postJSON("/auth/api/sign-up/verify", map[string]string{"code": code}).want(http.StatusOK)
			flNew(t, env).postJSON("/auth/api/sign-in", map[string]string{"email": "victim@example.com", "password": pw}).want(http.StatusOK)
			flNew(t, env).postJSON("/auth/api/password/reset", map[string]string{"token": token, "password": newPW}).want(http.StatusOK)
		})
	}
	// Same-origin requests from a browser pass.
	t.Run("SameOrigin", func(t *testing.T) {
		t.Parallel()
		env := authtest.New(t)
		pw := authtest.Password()
		env.CreateUser(t, "same@example.com", pw)
		c := flNew(t, env)
		body, _ := json.Marshal(map[string]string{"email": "same@example.com", "password": pw})
		c.do("POST", "/auth/api/sign-in", "application/json", bytes.NewReader(body), "Sec-Fetch-Site", "same-origin", "Origin", env.URL).want(http.StatusOK)
		u, _ := url.Parse(env.URL)
		c.do("POST", "/auth/api/sign-out", "", nil, "Origin", "http://"+u.Host).want(http.StatusOK)
	})
}

var apiCSPSource = regexp.MustCompile(`^[a-z-]+ .+$`)

// TestAPISecurityHeaders checks the headers of every kind of answer under
// /auth/: pages, redirects, form errors, API answers and errors.
func TestAPISecurityHeaders(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	pw := authtest.Password()
	env.CreateUser(t, "hdr@example.com", pw)
	in := flNew(t, env)
	in.signIn("hdr@example.com", pw)
	pending := flNew(t, env)
	flStartSignUp(pending, "hpend@example.com", authtest.Password())
	out := flNew(t, env)

	var answers []*flResp
	add := func(r *flResp) { answers = append(answers, r) }
	for _, p := range []string{"/auth/sign-in", "/auth/sign-in?redirect_url=%2Fx", "/auth/sign-up", "/auth/verify", "/auth/forgot",
		"/auth/reset", "/auth/reset?token=abc", "/auth/sign-out", "/auth/profile", "/auth/dev/mail", "/auth/nope", "/auth/",
		"/auth/api/me", "/auth/api/sessions", "/auth/api/nope"} {
		add(out.get(p))
	}
	for _, p := range []string{"/auth/profile", "/auth/api/me", "/auth/api/sessions", "/auth/sign-in", "/auth/sign-out"} {
		add(in.get(p))
	}
	add(pending.get("/auth/verify"))
	add(out.postForm("/auth/sign-in", url.Values{"email": {"hdr@example.com"}, "password": {"wrong-wrong-wrong"}}))
	add(out.postForm("/auth/sign-up", url.Values{}))
	add(out.do("POST", "/auth/sign-in", "text/plain", strings.NewReader("x")))
	add(out.postJSON("/auth/api/sign-in", map[string]string{"email": "hdr@example.com", "password": "wrong-wrong-wrong"}))
	add(out.postJSON("/auth/api/sign-in", "{"))
	add(out.do("POST", "/auth/api/sign-in", "application/json", strings.NewReader("{}"), "Sec-Fetch-Site", "cross-site"))
	add(out.postForm("/auth/sign-in", url.Values{"email": {"hdr@example.com"}, "password": {pw}}))
	add(out.postJSON("/auth/api/sign-in", map[string]string{"email": "hdr@example.com", "password": pw}))
	add(out.postJSON("/auth/api/sign-out", nil))

	for _, r := range answers {
		h := r.header
		csp := h.Get("Content-Security-Policy")
		directives := map[string]string{}
		for _, d := range strings.Split(csp, ";") {
			d = strings.TrimSpace(d)
			if !apiCSPSource.MatchString(d) {
				t.Errorf("%s: CSP directive %q is malformed", r.what, d)
				continue
			}
			name, value, _ := strings.Cut(d, " ")
			directives[name] = value
		}
		if directives["frame-ancestors"] != "'none'" || directives["default-src"] != "'none'" {
			t.Errorf("%s: CSP %q lacks frame-ancestors 'none' or default-src 'none'", r.what, csp)
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") || strings.Contains(csp, "*") {
			t.Errorf("%s: CSP %q allows inline or any source", r.what, csp)
		}
		for name, want := range map[string]string{
			"X-Content-Type-Options": "nosniff",
			"Referrer-Policy":        "no-referrer",
			"X-Frame-Options":        "DENY",
		} {
			if got := h.Get(name); got != want {
				t.Errorf("%s: %s = %q, want %q", r.what, name, got, want)
			}
		}
		if cc := h.Values("Cache-Control"); len(cc) == 0 || cc[0] != "no-store" {
			t.Errorf("%s: Cache-Control = %q, want no-store", r.what, cc)
		}
		if h.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS on plain-http localhost", r.what)
		}
		if r.status >= 500 {
			t.Errorf("%s: status %d", r.what, r.status)
		}
		// The pages run under the CSP: no inline script or style.
		if strings.HasPrefix(h.Get("Content-Type"), "text/html") {
			body := string(r.body)
			for _, bad := range []string{"<script>", "<style", " style=", " onclick=", " onload=", "javascript:"} {
				if strings.Contains(body, bad) {
					t.Errorf("%s: page has inline %q, which the CSP blocks", r.what, bad)
				}
			}
		}
	}

	// Static files and the OpenAPI document are cacheable but otherwise
	// carry the same headers.
	for _, p := range []string{"/auth/static/style.css", "/auth/static/theme.css", "/auth/api/openapi.json"} {
		r := out.get(p).want(http.StatusOK)
		if !strings.Contains(r.header.Get("Content-Security-Policy"), "frame-ancestors 'none'") ||
			r.header.Get("X-Content-Type-Options") != "nosniff" || r.header.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("%s: headers %v", p, r.header)
		}
	}
}

func TestAPISessionCookie(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	pw := authtest.Password()
	env.CreateUser(t, "cookie@example.com", pw)

	check := func(t *testing.T, r *flResp, wantCleared bool) {
		t.Helper()
		var found int
		for _, line := range r.header.Values("Set-Cookie") {
			ck, err := http.ParseSetCookie(line)
			if err != nil {
				t.Fatalf("%s: bad Set-Cookie %q: %v", r.what, line, err)
			}
			if ck.Name == "embedauth_device" {
				continue // the long-lived device cookie of a sign-in (device_test.go)
			}
			if ck.Name != "embedauth_session" {
				t.Errorf("%s: unexpected cookie %q", r.what, ck.Name)
				continue
			}
			found++
			if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Domain != "" || ck.Secure {
				t.Errorf("%s: cookie %q: HttpOnly=%v SameSite=%v Path=%q Domain=%q Secure=%v", r.what, line,
					ck.HttpOnly, ck.SameSite, ck.Path, ck.Domain, ck.Secure)
			}
			if strings.Contains(strings.ToLower(line), "domain=") {
				t.Errorf("%s: cookie sets a Domain: %q", r.what, line)
			}
			cleared := ck.MaxAge < 0
			if cleared != wantCleared {
				t.Errorf("%s: cookie %q cleared=%v, want %v", r.what, line, cleared, wantCleared)
			}
			if !cleared && (len(ck.Value) < 40 || ck.MaxAge <= 0) {
				t.Errorf("%s: cookie %q is short or not persistent", r.what, line)
			}
		}
		if found != 1 {
			t.Errorf("%s: %d session cookies set, want 1", r.what, found)
		}
	}

	t.Run("JSONSignIn", func(t *testing.T) {
		t.Parallel()
		c := flNew(t, env)
		check(t, c.postJSON("/auth/api/sign-in", map[string]string{"email": "cookie@example.com", "password": pw}).want(http.StatusOK), false)
		check(t, c.postJSON("/auth/api/sign-out", nil).want(http.StatusOK), true)
	})
	t.Run("FormSignIn", func(t *testing.T) {
		t.Parallel()
		c := flNew(t, env)
		r := c.postForm("/auth/sign-in", url.Values{"email": {"cookie@example.com"}, "password": {pw}}).want(http.StatusSeeOther)
		check(t, r, false)
		check(t, c.postForm("/auth/sign-out", nil).want(http.StatusSeeOther), true)
	})
	t.Run("SignUp", func(t *testing.T) {
		t.Parallel()
		c := flNew(t, env)
		check(t, c.postJSON("/auth/api/sign-up", map[string]string{"email": "ck2@example.com", "password": authtest.Password()}).want(http.StatusAccepted), false)
		code := flVerificationCode(t, env, "ck2@example.com")
		pre := c.sessionCookie()
		check(t, c.postJSON("/auth/api/sign-up/verify", map[string]string{"code": code}).want(http.StatusOK), false)
		if c.sessionCookie() == pre {
			t.Error("the cookie token was not renewed at sign-in")
		}
		c.withCookie(pre).get("/auth/api/me").wantError(http.StatusUnauthorized, "unauthenticated")
	})
	t.Run("NoCookieWhenNothingHappens", func(t *testing.T) {
		t.Parallel()
		c := flNew(t, env)
		for _, r := range []*flResp{c.get("/auth/sign-in"), c.get("/auth/api/me"), c.get("/auth/profile"),
			c.postJSON("/auth/api/sign-in", map[string]string{"email": "cookie@example.com", "password": "wrong-wrong-wrong"})} {
			if v := r.header.Values("Set-Cookie"); len(v) != 0 {
				t.Errorf("%s set %v", r.what, v)
			}
		}
	})
}

// TestAPIEvents checks that each change writes exactly its events, and a
// refused change none.
func TestAPIEvents(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	ctx := context.Background()
	// count("") counts the account events; the email.created events of
	// queued mail are counted by name only.
	count := func(typ string) []core.Event {
		t.Helper()
		evs, err := env.Auth.Store().Events(ctx, typ, 100)
		if err != nil {
			t.Fatal(err)
		}
		if typ == "" {
			evs = slices.DeleteFunc(evs, func(e core.Event) bool { return e.Type == core.EventEmailCreated })
		}
		return evs
	}
	want := func(typ string, n int) []core.Event {
		t.Helper()
		evs := count(typ)
		if len(evs) != n {
			t.Fatalf("%d %s events, want %d: %+v", len(evs), typ, n, evs)
		}
		return evs
	}

	c := flNew(t, env)
	pw := authtest.Password()
	flStartSignUp(c, "ev@example.com", pw)
	code := flVerificationCode(t, env, "ev@example.com")
	c.postJSON("/auth/api/sign-up/verify", map[string]string{"code": flOtherCode(code)}).wantError(http.StatusUnprocessableEntity, "incorrect_code")
	want("", 0) // a pending sign-up and a wrong code are not account events
	want(core.EventEmailCreated, 1)

	me := c.postJSON("/auth/api/sign-up/verify", map[string]string{"code": code}).want(http.StatusOK)
	var m flMe
	me.decode(&m)
	uc := want(core.EventUserCreated, 1)
	sc := want(core.EventSessionCreated, 1)
	want("", 2)
	var ud struct {
		ID    string `json:"id"`
		Email string `json:"email"`
	}
	json.Unmarshal(uc[0].Data, &ud)
	if ud.ID != m.User.ID || ud.Email != "ev@example.com" {
		t.Errorf("user.created data = %s", uc[0].Data)
	}
	var sd struct {
		ID         string `json:"id"`
		UserID     string `json:"user_id"`
		AuthMethod string `json:"auth_method"`
	}
	json.Unmarshal(sc[0].Data, &sd)
	if sd.ID != m.Session.ID || sd.UserID != m.User.ID || sd.AuthMethod != "password" {
		t.Errorf("session.created data = %s", sc[0].Data)
	}

	// Sign-out: one session.ended.
	c.postJSON("/auth/api/sign-out", nil).want(http.StatusOK)
	se := want(core.EventSessionEnded, 1)
	var ed struct {
		ID     string `json:"id"`
		Reason string `json:"reason"`
	}
	json.Unmarshal(se[0].Data, &ed)
	if ed.ID != m.Session.ID || ed.Reason != "signed_out" {
		t.Errorf("session.ended data = %s", se[0].Data)
	}
	// A failed sign-in writes nothing; a good one a session.created.
	c.postJSON("/auth/api/sign-in", map[string]string{"email": "ev@example.com", "password": "wrong-wrong-wrong"}).want(http.StatusUnauthorized)
	want("", 3)
	second := c.signIn("ev@example.com", pw)
	want(core.EventSessionCreated, 2)

	// A refused delete writes nothing; a delete writes user.deleted and
	// ends the session.
	c.deleteJSON("/auth/api/me", map[string]string{"password": "wrong-wrong-wrong"}).want(http.StatusUnprocessableEntity)
	want(core.EventUserDeleted, 0)
	c.deleteJSON("/auth/api/me", map[string]string{"password": pw}).want(http.StatusOK)
	ud2 := want(core.EventUserDeleted, 1)
	if !strings.Contains(string(ud2[0].Data), m.User.ID) {
		t.Errorf("user.deleted data = %s", ud2[0].Data)
	}
	se = want(core.EventSessionEnded, 2)
	json.Unmarshal(se[1].Data, &ed)
	if ed.ID != second.Session.ID {
		t.Errorf("second session.ended is for %s, want %s", ed.ID, second.Session.ID)
	}
	want(core.EventUserCreated, 1)
}

func apiEventCount(t testing.TB, env *authtest.Env) int {
	t.Helper()
	evs, err := env.Auth.Store().Events(context.Background(), "", 10000)
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}
