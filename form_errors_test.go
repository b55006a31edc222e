package auth_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestFormErrors_EveryFieldAtOnce: a form with several fields wrong marks
// every one of them in one answer, beside its input, rather than one per
// try; the JSON API lists them under error.fields.
func TestFormErrors_EveryFieldAtOnce(t *testing.T) {
	t.Parallel()
	env := hookEnv(t) // admin@example.com is an admin
	long := strings.Repeat("n", 101)

	// Sign-up: a malformed address, a name too long and a short password.
	c := flNew(t, env)
	c.postForm("/auth/sign-up", url.Values{"email": {"not-an-address"}, "name": {long}, "password": {"short"}}).
		want(http.StatusUnprocessableEntity).fieldError("email").fieldError("name").fieldError("password")
	var body struct {
		Error struct {
			Code, Field string
			Fields      []struct{ Field, Code, Message string }
		}
	}
	c.postJSON("/auth/api/sign-up", map[string]string{"email": "not-an-address", "name": long, "password": "short"}).
		want(http.StatusUnprocessableEntity).decode(&body)
	var fields []string
	for _, f := range body.Error.Fields {
		if f.Code == "" || f.Message == "" {
			t.Errorf("field %q has no code or message: %+v", f.Field, f)
		}
		fields = append(fields, f.Field)
	}
	if body.Error.Field != "email" || body.Error.Code != "invalid_email" || !slices.Equal(fields, []string{"email", "name", "password"}) {
		t.Fatalf("sign-up JSON error = %+v", body.Error)
	}
	// One field wrong: no list, as before.
	body.Error.Fields = nil
	c.postJSON("/auth/api/sign-up", map[string]string{"email": "ok@example.com", "password": "short"}).
		want(http.StatusUnprocessableEntity).decode(&body)
	if body.Error.Field != "password" || body.Error.Fields != nil {
		t.Fatalf("one field wrong: %+v", body.Error)
	}

	// Sign-in with both fields empty.
	c.postForm("/auth/sign-in", url.Values{"email": {""}, "password": {""}}).
		want(http.StatusUnprocessableEntity).fieldError("email").fieldError("password")

	// Profile: a password change with the current one missing and a weak
	// new one, and deletion without the confirmation or the password.
	admin, _ := jwtSignIn(t, env, "admin@example.com")
	env.Clock.Advance(30 * time.Minute) // past the window in which a recent sign-in stands for the password
	admin.postForm("/auth/profile/password", url.Values{"current_password": {""}, "new_password": {"short"}}).
		want(http.StatusUnprocessableEntity).fieldError("current_password").fieldError("new_password")
	admin.postForm("/auth/profile/delete", url.Values{"confirm": {"no"}, "password": {""}}).
		want(http.StatusUnprocessableEntity).fieldError("confirm").fieldError("delete_password")

	// Creating an organization with a bad slug and an http logo.
	admin.postForm("/auth/orgs/new", url.Values{"name": {""}, "slug": {"Not A Slug"}, "logo_url": {"http://example.com/l.png"}}).
		want(http.StatusUnprocessableEntity).fieldError("name").fieldError("slug").fieldError("logo_url")

	// A webhook endpoint with a bad URL, an unknown event and a long
	// description.
	admin.postForm("/auth/admin/webhooks", url.Values{"url": {"ftp://x"}, "event_types": {"nope"}, "description": {strings.Repeat("d", 501)}}).
		want(http.StatusUnprocessableEntity).fieldError("url").fieldError("description").contains(`id="event_types-error"`)
}
