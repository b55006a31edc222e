package auth_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/embedauth/auth"
	"github.com/embedauth/auth/authtest"
)

// slEntry is one entry of GET /api/me/security-log.
type slEntry struct {
	ID          int64     `json:"id"`
	Kind        string    `json:"kind"`
	Method      string    `json:"method"`
	IP          string    `json:"ip"`
	UserAgent   string    `json:"user_agent"`
	Detail      string    `json:"detail"`
	Description string    `json:"description"`
	Device      string    `json:"device"`
	CreatedAt   time.Time `json:"created_at"`
}

// slLog returns c's security log, newest first.
func slLog(t testing.TB, c *flClient) []slEntry {
	t.Helper()
	var body struct {
		Entries []slEntry `json:"entries"`
		HasMore bool      `json:"has_more"`
	}
	c.get("/auth/api/me/security-log").want(http.StatusOK).decode(&body)
	return body.Entries
}

// slKinds lists the entries as "kind/detail", newest first.
func slKinds(list []slEntry) []string {
	var out []string
	for _, e := range list {
		out = append(out, e.Kind+"/"+e.Detail)
	}
	return out
}

func slHas(list []slEntry, kind, detail string) bool {
	for _, e := range list {
		if e.Kind == kind && e.Detail == detail {
			return true
		}
	}
	return false
}

func TestSecurityLog_SignInsAndFailures(t *testing.T) {
	env := authtest.New(t)
	pw := authtest.Password()
	env.CreateUser(t, "ann@example.com", pw)
	c := flNew(t, env)
	c.userAgent = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
	c.postJSON("/auth/api/sign-in", map[string]string{"email": "ann@example.com", "password": "wrong-wrong-wrong"}).want(http.StatusUnauthorized)
	env.Clock.Advance(time.Second)
	c.signIn("ann@example.com", pw)

	list := slLog(t, c)
	if got := strings.Join(slKinds(list), ","); got != "sign_in/new_device,sign_in_failed/wrong_password" {
		t.Fatalf("log = %s", got)
	}
	in := list[0]
	if in.Method != "password" || in.IP != "127.0.0.1" || in.Device != "Chrome on macOS" || !strings.Contains(in.UserAgent, "Chrome/120") ||
		in.Description != "Signed in with password from a new device" {
		t.Errorf("sign-in entry = %+v", in)
	}
	if list[1].Description != "Failed sign-in: wrong password" {
		t.Errorf("failure entry = %+v", list[1])
	}

	// The same browser again: a known device.
	c.postJSON("/auth/api/sign-out", nil).want(http.StatusOK)
	c.signIn("ann@example.com", pw)
	if got := slLog(t, c)[0]; got.Kind != "sign_in" || got.Detail != "" || got.Description != "Signed in with password" {
		t.Errorf("second sign-in = %+v", got)
	}

	// An unknown address logs nothing anywhere, and answers alike.
	flNew(t, env).postJSON("/auth/api/sign-in", map[string]string{"email": "nobody@example.com", "password": "wrong-wrong-wrong"}).
		wantError(http.StatusUnauthorized, "invalid_credentials")
}

func TestSecurityLog_LockedOncePerLockout(t *testing.T) {
	env := authtest.New(t, func(c *auth.Config) { c.LockoutThreshold = 3 })
	pw := authtest.Password()
	env.CreateUser(t, "ann@example.com", pw)
	bad := flNew(t, env)
	for range 3 {
		bad.postJSON("/auth/api/sign-in", map[string]string{"email": "ann@example.com", "password": "wrong-wrong-wrong"}).want(http.StatusUnauthorized)
	}
	for range 5 {
		bad.postJSON("/auth/api/sign-in", map[string]string{"email": "ann@example.com", "password": "wrong-wrong-wrong"}).
			wantError(http.StatusTooManyRequests, "too_many_attempts")
	}
	env.Clock.Advance(2 * time.Hour)
	c := flNew(t, env)
	c.signIn("ann@example.com", pw)
	list := slLog(t, c)
	locked, failed := 0, 0
	for _, e := range list {
		switch e.Kind {
		case "sign_in_locked":
			locked++
			if e.Description != "Sign-in blocked after too many failed attempts" {
				t.Errorf("locked entry = %+v", e)
			}
		case "sign_in_failed":
			failed++
		}
	}
	if locked != 1 || failed != 3 {
		t.Errorf("locked %d (want 1), failed %d (want 3): %v", locked, failed, slKinds(list))
	}
}

func TestSecurityLog_SecondFactorFailure(t *testing.T) {
	env := authtest.New(t)
	pw, secret, _ := mfaUser(t, env, "ann@example.com")
	c := flNew(t, env)
	c.postJSON("/auth/api/sign-in", map[string]string{"email": "ann@example.com", "password": pw}).want(http.StatusAccepted)
	c.postJSON("/auth/api/sign-in/factor-two", map[string]string{"method": "totp", "code": flOtherCode(mfaCode(t, env, secret))}).
		wantError(http.StatusUnprocessableEntity, "incorrect_code")
	c.postJSON("/auth/api/sign-in/factor-two", map[string]string{"method": "totp", "code": mfaCode(t, env, secret)}).want(http.StatusOK)
	list := slLog(t, c)
	if !slHas(list, "sign_in_failed", "wrong_second_factor") {
		t.Fatalf("no second-factor failure: %v", slKinds(list))
	}
	if list[0].Kind != "sign_in" || list[0].Method != "password+totp" || list[0].Description != "Signed in with password and authenticator app from a new device" {
		t.Errorf("sign-in entry = %+v", list[0])
	}
}

func TestSecurityLog_FactorChangesAndRevocations(t *testing.T) {
	env := authtest.New(t)
	u, c, key, pw := pkUser(t, env, "ann@example.com")
	other := flNew(t, env)
	otherMe := other.signIn("ann@example.com", pw)

	// Revoking a device.
	c.do("DELETE", "/auth/api/sessions/"+otherMe.Session.ID, "", nil).want(http.StatusOK)
	// MFA on, new backup codes, MFA off (the profile forms).
	if _, _, err := env.Auth.EnrolTOTPForTest(context.Background(), u.ID, u.Email); err != nil {
		t.Fatal(err)
	}
	c.postForm("/auth/profile/mfa/backup-codes", url.Values{"password": {pw}}).want(http.StatusOK)
	c.postForm("/auth/profile/mfa/disable", url.Values{"password": {pw}}).want(http.StatusSeeOther)
	// A second passkey, removed again.
	pk := pkRegister(t, c, pkKey(env))
	c.deleteJSON("/auth/api/passkeys/"+pk.ID, map[string]string{"password": pw}).want(http.StatusOK)
	// The password, which signs out the other devices.
	third := flNew(t, env)
	third.signIn("ann@example.com", pw)
	c.postJSON("/auth/api/password/change", map[string]string{"current_password": pw, "new_password": authtest.Password()}).want(http.StatusOK)
	_ = key

	list := slLog(t, c)
	for _, want := range [][2]string{
		{"session_revoked", "revoked"}, {"mfa_enabled", ""}, {"backup_codes_regenerated", ""}, {"mfa_disabled", ""},
		{"passkey_added", pk.Name}, {"passkey_removed", pk.Name}, {"password_changed", ""}, {"session_revoked", "password_changed"},
	} {
		if !slHas(list, want[0], want[1]) {
			t.Errorf("no %s/%s entry in %v", want[0], want[1], slKinds(list))
		}
	}
	for i := 1; i < len(list); i++ {
		if list[i].CreatedAt.After(list[i-1].CreatedAt) || list[i].ID > list[i-1].ID {
			t.Fatalf("not newest first: %v", slKinds(list))
		}
	}
	for _, e := range list {
		if e.Kind == "mfa_disabled" && (e.IP != "127.0.0.1" || e.UserAgent == "") {
			t.Errorf("a change made over HTTP lacks its client: %+v", e)
		}
		if e.Description == "" || e.Description == e.Kind {
			t.Errorf("no description for %+v", e)
		}
	}

	// The page shows the same, newest first, with device and IP.
	page := c.get("/auth/profile/security").want(http.StatusOK)
	page.contains("Security log", "Password changed", "Two-step verification turned off", "Passkey added: "+pk.Name, "127.0.0.1")
	if strings.Index(page.text(), "Password changed") > strings.Index(page.text(), "Two-step verification turned on") {
		t.Error("the page is not newest first")
	}
	c.get("/auth/profile?tab=security").want(http.StatusOK).contains(`href="/auth/profile/security"`)
}

func TestSecurityLog_OnlyTheOwner(t *testing.T) {
	env := authtest.New(t)
	pw := authtest.Password()
	env.CreateUser(t, "ann@example.com", pw)
	env.CreateUser(t, "bob@example.com", pw)
	ann, bob := flNew(t, env), flNew(t, env)
	ann.postJSON("/auth/api/sign-in", map[string]string{"email": "ann@example.com", "password": "wrong-wrong-wrong"}).want(http.StatusUnauthorized)
	ann.signIn("ann@example.com", pw)
	bob.signIn("bob@example.com", pw)
	if got := slKinds(slLog(t, bob)); len(got) != 1 || got[0] != "sign_in/new_device" {
		t.Errorf("bob sees %v", got)
	}
	if len(slLog(t, ann)) != 2 {
		t.Errorf("ann sees %v", slKinds(slLog(t, ann)))
	}
	bob.get("/auth/profile/security").want(http.StatusOK).notContains("wrong password")

	out := flNew(t, env)
	out.get("/auth/api/me/security-log").wantError(http.StatusUnauthorized, "unauthenticated")
	if loc := out.get("/auth/profile/security").want(http.StatusSeeOther).location(); !strings.HasPrefix(loc, "/auth/sign-in") {
		t.Errorf("signed-out page redirects to %q", loc)
	}
	// Bad paging input is a 422, never a 500.
	for _, q := range []string{"limit=0", "limit=101", "limit=x", "before=-1", "before=x", "limit=" + strings.Repeat("9", 40)} {
		ann.get("/auth/api/me/security-log?" + q).want(http.StatusUnprocessableEntity)
	}
	var page struct {
		Entries []slEntry `json:"entries"`
		HasMore bool      `json:"has_more"`
	}
	ann.get("/auth/api/me/security-log?limit=1").want(http.StatusOK).decode(&page)
	if len(page.Entries) != 1 || !page.HasMore {
		t.Fatalf("limit=1: %+v", page)
	}
	ann.get("/auth/api/me/security-log?before=" + strconv.FormatInt(page.Entries[0].ID, 10)).want(http.StatusOK).decode(&page)
	if len(page.Entries) != 1 || page.HasMore || page.Entries[0].Kind != "sign_in_failed" {
		t.Fatalf("before: %+v", page)
	}
}

func TestSecurityLog_PrunedByAge(t *testing.T) {
	env := authtest.New(t, func(c *auth.Config) { c.SecurityLogRetention = 30 * 24 * time.Hour })
	pw := authtest.Password()
	env.CreateUser(t, "ann@example.com", pw)
	c := flNew(t, env)
	c.postJSON("/auth/api/sign-in", map[string]string{"email": "ann@example.com", "password": "wrong-wrong-wrong"}).want(http.StatusUnauthorized)
	env.Clock.Advance(29 * 24 * time.Hour)
	c.signIn("ann@example.com", pw)
	env.Auth.HousekeepSecurityForTest(context.Background())
	if got := slKinds(slLog(t, c)); len(got) != 2 {
		t.Fatalf("pruned too early: %v", got)
	}
	env.Clock.Advance(2 * 24 * time.Hour)
	env.Auth.HousekeepSecurityForTest(context.Background())
	if got := slKinds(slLog(t, c)); len(got) != 1 || got[0] != "sign_in/new_device" {
		t.Fatalf("after 31 days: %v", got)
	}
}

func TestSecurityLog_AddressChanges(t *testing.T) {
	env, _ := pwEnv(t)
	pw := authtest.Password()
	env.CreateUser(t, "oli@example.com", pw)
	c := flNew(t, env)
	c.signIn("oli@example.com", pw)
	c.postJSON("/auth/api/me/identifiers", map[string]string{"type": "email", "value": "oli@work.example", "password": pw}).want(http.StatusAccepted)
	code := pwCodeRE.FindStringSubmatch(flWaitMail(t, env, "oli@work.example").Text)[1]
	var list idList
	c.postJSON("/auth/api/me/identifiers/verify", map[string]string{"code": code}).want(http.StatusOK).decode(&list)
	work, _ := list.find("oli@work.example")
	c.postJSON("/auth/api/me/identifiers/"+work.ID+"/primary", map[string]string{"password": pw}).want(http.StatusOK).decode(&list)
	old, _ := list.find("oli@example.com")
	c.deleteJSON("/auth/api/me/identifiers/"+old.ID, map[string]string{"password": pw}).want(http.StatusOK)

	got := slKinds(slLog(t, c))
	want := []string{"identifier_removed/oli@example.com", "primary_changed/oli@work.example", "identifier_added/oli@work.example", "sign_in/new_device"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("log = %v, want %v", got, want)
	}
	c.get("/auth/profile/security").want(http.StatusOK).
		contains("Email address added: oli@work.example", "Primary email address changed to oli@work.example", "Email address removed: oli@example.com")
}
