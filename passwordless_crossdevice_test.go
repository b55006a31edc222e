package auth_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/authtest"
)

// TestMagicLink_CrossDeviceAttackRefusedByDefault: an attacker asks for a
// link to the victim's address and waits; the victim opens the mail on
// their own device and confirms. By default a link works only in the
// browser that asked for it, so the victim's confirmation is refused,
// nothing is used, and the attacker's waiting browser gets no session,
// through the API or the pages.
func TestMagicLink_CrossDeviceAttackRefusedByDefault(t *testing.T) {
	t.Parallel()
	env, _ := pwEnv(t)
	victim := env.CreateUser(t, "vic@example.com", authtest.Password())
	attacker, phone := flNew(t, env), flNew(t, env)
	attacker.postJSON("/auth/api/sign-in/magic-link", map[string]string{"email": "vic@example.com"}).want(http.StatusAccepted)
	token := pwLink(t, env, "vic@example.com")

	phone.get("/auth/magic-link?token=" + token).want(http.StatusForbidden).contains("only in the browser where you asked")
	phone.postForm("/auth/magic-link", url.Values{"token": {token}}).want(http.StatusForbidden)
	phone.postJSON("/auth/api/magic-link/verify", map[string]string{"token": token}).wantError(http.StatusForbidden, "other_device")

	var st struct{ Status string }
	attacker.get("/auth/api/magic-link/status").want(http.StatusOK).decode(&st)
	if st.Status != "pending" {
		t.Errorf("the attacker's flow is %q after the victim's click, want pending", st.Status)
	}
	attacker.postJSON("/auth/api/magic-link/continue", map[string]any{}).wantError(http.StatusConflict, "link_pending")
	if r := attacker.postForm("/auth/magic-link/continue", nil).want(http.StatusSeeOther); r.location() != "/auth/magic-link/sent" {
		t.Errorf("the continue form went to %q", r.location())
	}
	attacker.get("/auth/magic-link/sent").want(http.StatusOK).notContains("Continue here")
	attacker.get("/auth/api/me").wantError(http.StatusUnauthorized, "unauthenticated")
	phone.get("/auth/api/me").wantError(http.StatusUnauthorized, "unauthenticated")
	if ss, err := env.Auth.ListSessions(context.Background(), victim.ID); err != nil || len(ss) != 0 {
		t.Errorf("%d sessions of the victim (%v), want none", len(ss), err)
	}
}

// TestMagicLink_CrossDeviceNeedsTheMatchCode: with cross-device links on,
// the attacker's waiting browser shows a match code the victim never
// sees. The victim's confirmation without it, or with a malformed one,
// uses nothing and counts nothing; wrong ones use nothing, and the third
// ends the flow, after which even the right code fails. The attacker's
// browser never gets a session.
func TestMagicLink_CrossDeviceNeedsTheMatchCode(t *testing.T) {
	t.Parallel()
	env, _ := pwEnv(t, pwCrossDevice)
	victim := env.CreateUser(t, "vera@example.com", authtest.Password())
	attacker, phone := flNew(t, env), flNew(t, env)
	match := pwAskLink(attacker, "vera@example.com")
	if len(match) != 2 {
		t.Fatalf("match code %q, want 2 digits", match)
	}
	token := pwLink(t, env, "vera@example.com")
	attacker.get("/auth/magic-link/sent").want(http.StatusOK).contains(`id="match-code"`, match)

	pending := func(what string) {
		t.Helper()
		var st struct{ Status string }
		attacker.get("/auth/api/magic-link/status").want(http.StatusOK).decode(&st)
		if st.Status != "pending" {
			t.Fatalf("%s: the attacker's flow is %q, want pending", what, st.Status)
		}
		attacker.postJSON("/auth/api/magic-link/continue", map[string]any{}).wantError(http.StatusConflict, "link_pending")
		attacker.get("/auth/magic-link/sent").want(http.StatusOK).notContains("Continue here")
	}

	// The victim's page asks for the code and does not show it.
	phone.get("/auth/magic-link?token="+token).want(http.StatusOK).contains(`name="match_code"`, "Never enter a code someone else gives you").
		notContains(`id="match-code"`)
	// A blind click: no code.
	phone.postForm("/auth/magic-link", url.Values{"token": {token}}).want(http.StatusUnprocessableEntity).fieldError("match_code").
		contains(`name="token" value="` + token + `"`)
	phone.postJSON("/auth/api/magic-link/verify", map[string]string{"token": token}).
		wantError(http.StatusUnprocessableEntity, "match_code_required").wantField("match_code")
	for _, bad := range []string{"4", "4x", "123", " "} {
		phone.postJSON("/auth/api/magic-link/verify", map[string]string{"token": token, "match_code": bad}).
			wantError(http.StatusUnprocessableEntity, "match_code_required")
	}
	pending("after confirmations without a code")

	// Wrong codes: the first two are counted and refused, the third ends
	// the flow.
	wrong := pwOtherMatch(match)
	phone.postForm("/auth/magic-link", url.Values{"token": {token}, "match_code": {wrong}}).
		want(http.StatusUnprocessableEntity).fieldError("match_code")
	pending("after a wrong code")
	phone.postJSON("/auth/api/magic-link/verify", map[string]string{"token": token, "match_code": wrong}).
		wantError(http.StatusUnprocessableEntity, "incorrect_match_code").wantField("match_code")
	pending("after two wrong codes")
	phone.postJSON("/auth/api/magic-link/verify", map[string]string{"token": token, "match_code": wrong}).
		wantError(http.StatusGone, "link_cancelled")

	phone.postJSON("/auth/api/magic-link/verify", map[string]string{"token": token, "match_code": match}).
		wantError(http.StatusGone, "link_cancelled")
	phone.postForm("/auth/magic-link", url.Values{"token": {token}, "match_code": {match}}).want(http.StatusGone).alert()
	phone.get("/auth/magic-link?token=" + token).want(http.StatusGone).alert()
	var st struct{ Status string }
	attacker.get("/auth/api/magic-link/status").want(http.StatusOK).decode(&st)
	if st.Status != "expired" {
		t.Errorf("the attacker's flow is %q after three wrong codes, want expired", st.Status)
	}
	attacker.postJSON("/auth/api/magic-link/resend", map[string]any{}).wantError(http.StatusGone, "flow_expired")
	attacker.postJSON("/auth/api/magic-link/continue", map[string]any{}).wantError(http.StatusGone, "flow_expired")
	attacker.get("/auth/api/me").wantError(http.StatusUnauthorized, "unauthenticated")
	phone.get("/auth/api/me").wantError(http.StatusUnauthorized, "unauthenticated")
	if ss, err := env.Auth.ListSessions(context.Background(), victim.ID); err != nil || len(ss) != 0 {
		t.Errorf("%d sessions of the victim (%v), want none", len(ss), err)
	}
}

// TestMagicLink_CrossDeviceRightCodeAfterAWrongOne: a wrong match code
// uses nothing beyond the attempt it counts: the right one then signs in
// the device that opened the link, and the waiting browser continues,
// through the pages.
func TestMagicLink_CrossDeviceRightCodeAfterAWrongOne(t *testing.T) {
	t.Parallel()
	env, _ := pwEnv(t, pwCrossDevice)
	u := env.CreateUser(t, "wes@example.com", authtest.Password())
	laptop, phone := flNew(t, env), flNew(t, env)
	laptop.postForm("/auth/sign-in/magic-link", url.Values{"email": {"wes@example.com"}, "redirect_url": {"/inbox"}}).want(http.StatusSeeOther)
	token := pwLink(t, env, "wes@example.com")
	var st struct {
		MatchCode string `json:"match_code"`
	}
	laptop.get("/auth/api/magic-link/status").want(http.StatusOK).decode(&st)
	laptop.get("/auth/magic-link/sent").want(http.StatusOK).contains(`id="match-code"`, st.MatchCode)

	phone.postForm("/auth/magic-link", url.Values{"token": {token}, "match_code": {pwOtherMatch(st.MatchCode)}}).
		want(http.StatusUnprocessableEntity).fieldError("match_code")
	if r := phone.postForm("/auth/magic-link", url.Values{"token": {token}, "match_code": {st.MatchCode}}).want(http.StatusSeeOther); r.location() != "/inbox" {
		t.Errorf("the phone went to %q", r.location())
	}
	if me := phone.me(); me.User.ID != u.ID {
		t.Errorf("phone signed in as %s", me.User.ID)
	}
	laptop.get("/auth/magic-link/sent").want(http.StatusOK).contains("Continue here")
	if r := laptop.postForm("/auth/magic-link/continue", nil).want(http.StatusSeeOther); r.location() != "/inbox" {
		t.Errorf("the laptop went to %q", r.location())
	}
	if me := laptop.me(); me.User.ID != u.ID {
		t.Errorf("laptop signed in as %s", me.User.ID)
	}
}

// TestMagicLink_CrossDeviceConfigContradiction: the deprecated
// SameDeviceLinks may not be set together with CrossDeviceLinks.
func TestMagicLink_CrossDeviceConfigContradiction(t *testing.T) {
	t.Parallel()
	cfg := auth.Config{DatabasePath: t.TempDir() + "/x.db"}
	cfg.Passwordless.CrossDeviceLinks = true
	cfg.Passwordless.SameDeviceLinks = true //lint:ignore SA1019 the check of the deprecated field
	if _, err := auth.New(cfg); err == nil || !strings.Contains(err.Error(), "CrossDeviceLinks") {
		t.Errorf("SameDeviceLinks with CrossDeviceLinks: %v", err)
	}
}
