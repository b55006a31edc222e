package auth_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/authtest"
	"github.com/embedauth/auth/core"
)

type idList struct {
	Identifiers []core.Identifier `json:"identifiers"`
}

func (l idList) find(value string) (core.Identifier, bool) {
	for _, id := range l.Identifiers {
		if id.Value == value {
			return id, true
		}
	}
	return core.Identifier{}, false
}

// TestIdentifiers_AddVerifyPrimaryRemove walks a user through a second
// email and a phone number with the JSON API.
func TestIdentifiers_AddVerifyPrimaryRemove(t *testing.T) {
	t.Parallel()
	env, sms := pwEnv(t)
	pw := authtest.Password()
	u := env.CreateUser(t, "oli@example.com", pw)
	c := flNew(t, env)
	c.signIn("oli@example.com", pw)

	// Once the sign-in is older than the reverification window, adding
	// needs the password of a user who has one.
	env.Clock.Advance(auth.DefaultReverificationAge + time.Second)
	c.postJSON("/auth/api/me/identifiers", map[string]string{"type": "email", "value": "oli@work.example"}).
		wantError(http.StatusUnprocessableEntity, "password_required")
	c.postJSON("/auth/api/me/identifiers", map[string]string{"type": "email", "value": "oli@work.example", "password": "wrong-wrong-wrong"}).
		wantError(http.StatusUnprocessableEntity, "incorrect_password")
	c.postJSON("/auth/api/me/identifiers", map[string]string{"type": "email", "value": "oli@", "password": pw}).
		wantError(http.StatusUnprocessableEntity, "invalid_email").wantField("value")
	c.postJSON("/auth/api/me/identifiers", map[string]string{"type": "fax", "value": "1", "password": pw}).
		wantError(http.StatusUnprocessableEntity, "invalid_type")
	c.postJSON("/auth/api/me/identifiers", map[string]string{"type": "email", "value": "oli@work.example", "password": pw}).want(http.StatusAccepted)
	m := flWaitMail(t, env, "oli@work.example")
	if !strings.Contains(m.Text, "add this address") {
		t.Errorf("verification mail:\n%s", m.Text)
	}
	code := pwCodeRE.FindStringSubmatch(m.Text)[1]
	// Not usable before it is verified.
	flNew(t, env).postJSON("/auth/api/sign-in/email-code", map[string]string{"email": "oli@work.example"}).want(http.StatusAccepted)
	signup := flWaitMail(t, env, "oli@work.example")
	if !strings.Contains(signup.Text, "create your account") {
		t.Errorf("an unverified address signed in to its adder's account:\n%s", signup.Text)
	}
	c.postJSON("/auth/api/me/identifiers/verify", map[string]string{"code": pwOtherCode(code)}).wantError(http.StatusUnprocessableEntity, "incorrect_code")
	var list idList
	c.postJSON("/auth/api/me/identifiers/verify", map[string]string{"code": code}).want(http.StatusOK).decode(&list)
	work, ok := list.find("oli@work.example")
	if !ok || !work.Verified || work.Primary {
		t.Fatalf("identifiers %+v", list)
	}
	added := flWaitMail(t, env, "oli@example.com")
	if !strings.Contains(added.Subject, "oli@work.example was added") {
		t.Errorf("the primary address was not told: %q", added.Subject)
	}
	// The new address signs in to this account.
	c2 := flNew(t, env)
	c2.postJSON("/auth/api/sign-in/email-code", map[string]string{"email": "OLI@work.example"}).want(http.StatusAccepted)
	var in pwSignedIn
	c2.postJSON("/auth/api/code/verify", map[string]string{"code": pwMailCode(t, env, "OLI@work.example")}).want(http.StatusOK).decode(&in)
	if in.User.ID != u.ID {
		t.Errorf("the second address signed in as %s, want %s", in.User.ID, u.ID)
	}
	// So does the password, and a sign-up with the address only tells its owner.
	if me := flNew(t, env).signIn("oli@work.example", pw); me.User.ID != u.ID {
		t.Errorf("password sign-in with the second address: user %s, want %s", me.User.ID, u.ID)
	}
	flNew(t, env).postJSON("/auth/api/sign-up", map[string]string{"email": "oli@work.example", "password": authtest.Password()}).want(http.StatusAccepted)
	if m := flWaitMail(t, env, "oli@work.example"); !strings.Contains(m.Subject, "already exists") {
		t.Errorf("sign-up with a verified second address mailed %q, want the existing-account notice", m.Subject)
	}

	// A phone number.
	c.postJSON("/auth/api/me/identifiers", map[string]string{"type": "phone", "value": "+33 1 23 45 67 89", "password": pw}).want(http.StatusAccepted)
	c.postJSON("/auth/api/me/identifiers/verify", map[string]string{"code": pwSMSCode(t, env, sms, "+33123456789")}).want(http.StatusOK).decode(&list)
	phone, ok := list.find("+33123456789")
	if !ok || !phone.Verified || !phone.Primary {
		t.Fatalf("identifiers %+v", list)
	}
	if m := flWaitMail(t, env, "oli@example.com"); !strings.Contains(m.Subject, "+33123456789 was added") {
		t.Errorf("primary address told %q", m.Subject)
	}

	// Make the second email primary: User.Email follows, the old address is told.
	c.postJSON("/auth/api/me/identifiers/"+work.ID+"/primary", map[string]string{"password": pw}).want(http.StatusOK).decode(&list)
	if me := c.me(); me.User.Email != "oli@work.example" {
		t.Errorf("primary email %q", me.User.Email)
	}
	if m := flWaitMail(t, env, "oli@example.com"); !strings.Contains(m.Subject, "primary") {
		t.Errorf("old primary told %q", m.Subject)
	}
	// The primary email can't be removed; the old one can.
	c.deleteJSON("/auth/api/me/identifiers/"+work.ID, map[string]string{"password": pw}).wantError(http.StatusConflict, "last_identifier")
	old, _ := list.find("oli@example.com")
	c.deleteJSON("/auth/api/me/identifiers/"+old.ID, map[string]string{"password": pw}).want(http.StatusOK).decode(&list)
	if _, ok := list.find("oli@example.com"); ok || len(list.Identifiers) != 2 {
		t.Errorf("after removal %+v", list)
	}
	c.deleteJSON("/auth/api/me/identifiers/"+phone.ID, map[string]string{"password": pw}).want(http.StatusOK)
	c.deleteJSON("/auth/api/me/identifiers/idn_unknown", map[string]string{"password": pw}).wantError(http.StatusNotFound, "identifier_not_found")
	c.get("/auth/api/me/identifiers").want(http.StatusOK).decode(&list)
	if len(list.Identifiers) != 1 {
		t.Errorf("left %+v", list)
	}
}

// TestIdentifiers_LastIdentifierAndOtherUsers: a phone-only user cannot
// remove their only number; another user's identifiers are not found;
// an email another user has (in any case or Unicode form) is refused
// after the code proves it.
func TestIdentifiers_LastIdentifierAndOtherUsers(t *testing.T) {
	t.Parallel()
	env, sms := pwEnv(t)
	pw := authtest.Password()
	other := env.CreateUser(t, "straße@example.com", pw)
	c := flNew(t, env)
	c.postJSON("/auth/api/sign-up/sms", map[string]string{"phone": "+14155550199"}).want(http.StatusAccepted)
	c.postJSON("/auth/api/code/verify", map[string]string{"code": pwSMSCode(t, env, sms, "+14155550199")}).want(http.StatusOK)
	var list idList
	c.get("/auth/api/me/identifiers").want(http.StatusOK).decode(&list)
	c.deleteJSON("/auth/api/me/identifiers/"+list.Identifiers[0].ID, map[string]any{}).wantError(http.StatusConflict, "last_identifier")
	// Someone else's identifier id.
	ids, _ := env.Auth.Store().Identifiers(context.Background(), other.ID)
	c.deleteJSON("/auth/api/me/identifiers/"+ids[0].ID, map[string]any{}).wantError(http.StatusNotFound, "identifier_not_found")
	c.postJSON("/auth/api/me/identifiers/"+ids[0].ID+"/primary", map[string]any{}).wantError(http.StatusNotFound, "identifier_not_found")
	// Adding the other user's address (another Unicode form): the code is
	// sent (nothing is revealed first), then the proven address is refused.
	c.postJSON("/auth/api/me/identifiers", map[string]string{"type": "email", "value": "STRASSE@example.com"}).want(http.StatusAccepted)
	c.postJSON("/auth/api/me/identifiers/verify", map[string]string{"code": pwMailCode(t, env, "STRASSE@example.com")}).
		wantError(http.StatusConflict, "identifier_taken")
	// An email added to a phone-only user becomes their primary email.
	c.postJSON("/auth/api/me/identifiers", map[string]string{"type": "email", "value": "pho@example.com"}).want(http.StatusAccepted)
	c.postJSON("/auth/api/me/identifiers/verify", map[string]string{"code": pwMailCode(t, env, "pho@example.com")}).want(http.StatusOK)
	if me := c.me(); me.User.Email != "pho@example.com" || !me.User.EmailVerified {
		t.Errorf("user %+v", me.User)
	}
	// A password sign-up with that address is now taken.
	if _, err := env.Auth.GetUserByEmail(context.Background(), "PHO@example.com"); err != nil {
		t.Errorf("primary email not found: %v", err)
	}
}

// TestIdentifiers_ReauthWithoutPassword: a user without a password must
// have signed in (or reverified) recently to change addresses.
func TestIdentifiers_ReauthWithoutPassword(t *testing.T) {
	t.Parallel()
	env, _ := pwEnv(t)
	c := flNew(t, env)
	c.postJSON("/auth/api/sign-up/email-code", map[string]string{"email": "pia@example.com"}).want(http.StatusAccepted)
	c.postJSON("/auth/api/code/verify", map[string]string{"code": pwMailCode(t, env, "pia@example.com")}).want(http.StatusOK)
	c.postJSON("/auth/api/me/identifiers", map[string]string{"type": "email", "value": "pia2@example.com"}).want(http.StatusAccepted)
	env.Clock.Advance(auth.DefaultReverificationAge + time.Second)
	c.postJSON("/auth/api/me/identifiers", map[string]string{"type": "email", "value": "pia3@example.com"}).wantError(http.StatusForbidden, "reverification_required")
	flNew(t, env).get("/auth/api/me/identifiers").wantError(http.StatusUnauthorized, "unauthenticated")
}
