package auth_test

// Reverification before a sensitive change, end to end in headless
// Chromium: past MFA.ReverificationWindow, removing a passkey from the
// profile sends the browser to /auth/reverify, which wants the password
// and, with two-step verification on, an authenticator code (or, for a
// user without a password, offers the passkey); afterwards the change goes
// through without asking again. The tab has a virtual
// authenticator (pkBrowser, passkey_browser_test.go) and is driven with
// the MFA tests' helpers (mfa_browser_test.go).

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/authtest"
)

// The profile the delete form returns to, and the query the reverification
// page is reached with on the way.
const mrProfile = "/auth/profile?tab=security"

var mrBackToProfile = url.Values{"redirect_url": {mrProfile}}

// mrAccount is the profile's first section, where addresses are added.
const mrAccount = "/auth/profile"

// mrTab is a tab with a virtual authenticator.
type mrTab struct {
	*mbTab
	pk *pkTab
}

func mrBrowser(t *testing.T, env *authtest.Env) *mrTab {
	t.Helper()
	pk := pkBrowser(t, false)
	return &mrTab{mbTab: &mbTab{Tab: pk.Tab, t: t, env: env}, pk: pk}
}

// stringList runs js, which must give JSON.stringify of an array of strings.
func (b *mrTab) stringList(js string) []string {
	b.t.Helper()
	out := []string{}
	if err := json.Unmarshal([]byte(b.eval(js)), &out); err != nil {
		b.t.Fatalf("%s: %v", js, err)
	}
	return out
}

// apiPasskeys lists the ids of the user's passkeys, as GET
// /auth/api/passkeys answers the page.
func (b *mrTab) apiPasskeys() []string {
	b.t.Helper()
	return b.stringList(`fetch("/auth/api/passkeys", {headers: {Accept: "application/json"}}).then(r => {
		if (!r.ok) throw new Error("GET /auth/api/passkeys: HTTP " + r.status);
		return r.json() }).then(j => JSON.stringify((j.passkeys || []).map(p => p.id)))`)
}

// listedPasskeys lists the ids of the passkeys the profile page shows.
func (b *mrTab) listedPasskeys() []string {
	b.t.Helper()
	b.wantPath(mrProfile)
	return b.stringList(`JSON.stringify([...document.querySelectorAll("#passkeys li[data-passkey-id]")].map(li => li.dataset.passkeyId))`)
}

// wantPasskeys fails unless the API and the store both hold exactly ids.
func (b *mrTab) wantPasskeys(what, email string, ids []string) {
	b.t.Helper()
	if got := b.apiPasskeys(); !reflect.DeepEqual(got, ids) {
		b.t.Fatalf("%s: /auth/api/passkeys lists %q, want %q", what, got, ids)
	}
	if n := pkStoredPasskeys(b.t, b.env, email); n != len(ids) {
		b.t.Fatalf("%s: %d passkeys stored, want %d", what, n, len(ids))
	}
}

// removePasskey opens the Remove form of passkey id on the profile page,
// types pw into its password field (leaving it empty when pw is ""), and
// submits it. It returns the status of the page it lands on.
func (b *mrTab) removePasskey(id, pw string) int {
	b.t.Helper()
	b.wantPath(mrProfile)
	row := `#passkeys li[data-passkey-id="` + id + `"]`
	b.Click(row + " details:nth-of-type(2) summary")
	field := "#passkey-password-" + id
	b.WaitVisible(field)
	if pw != "" {
		b.Fill(field, pw)
	}
	if got := b.eval(`document.querySelector(` + mbJS(field) + `).value`); got != pw {
		b.t.Fatalf("password field of the Remove form holds %q, want %q", got, pw)
	}
	return b.ClickAndWait(row + " .ea-button-danger")
}

// wantReverifyPage checks the tab is on the reverification page, on its
// way back to the profile, asking for the password and an authenticator
// code, and offering the user's passkey.
func (b *mrTab) wantReverifyPage(what string) {
	b.t.Helper()
	b.wantPage("/auth/reverify", mrBackToProfile)
	if got := b.Text(".ea-subtitle"); got != "This action needs you to confirm it's you." {
		b.t.Fatalf("%s: reverification page says %q", what, got)
	}
	b.wantReverifyForm(what)
}

// wantReverifyForm checks the reverification form: password, code, the
// way back to the profile, and the passkey option.
func (b *mrTab) wantReverifyForm(what string) {
	b.t.Helper()
	for sel, want := range map[string]string{
		"#reverify-form label[for=password]": "Password",
		"#reverify-form label[for=code]":     "Code from your authenticator app, or a backup code",
		"#reverify-passkey button":           "Use a passkey",
	} {
		b.WaitVisible(sel)
		if got := b.Text(sel); got != want {
			b.t.Fatalf("%s: %s says %q, want %q", what, sel, got, want)
		}
	}
	if got := b.eval(`document.querySelector('#reverify-form input[name=redirect_url]').value`); got != mrProfile {
		b.t.Fatalf("%s: the form returns to %q, want %s", what, got, mrProfile)
	}
	// A user with a password is not offered an email code.
	if n := b.eval(`String(document.querySelectorAll("#reverify-send, #email_code").length)`); n != "0" {
		b.t.Fatalf("%s: the page offers an email code (%s elements)", what, n)
	}
}

// TestMFABrowserReverifyBeforePasskeyDelete: a user with a password and
// TOTP adds a passkey; past the reverification window, removing it (even
// with the password typed into the Remove form) leads to the
// reverification page and removes nothing. A wrong code there is refused
// and proves nothing; the password and a fresh code return to the
// profile, where the passkey is removed with the form's password left
// empty.
func TestMFABrowserReverifyBeforePasskeyDelete(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	b := mrBrowser(t, env)
	const email = "reverify@example.com"
	pw := authtest.Password()
	u := env.CreateUser(t, email, pw)
	b.status("password sign-in", b.signIn(email, pw), http.StatusOK)
	b.wantSignedInAtTarget(u.ID, "password")
	e := mbEnrol(t, b.mbTab, email, pw)
	enrolledAt := env.Clock.Now()

	// Add a passkey from the profile, within the window.
	b.status("profile", b.Navigate(env.URL+mrProfile), http.StatusOK)
	b.status("add a passkey", b.ClickAndWait("#add-passkey"), http.StatusOK)
	b.wantPath(mrProfile)
	ids := b.apiPasskeys()
	if len(ids) != 1 || !strings.HasPrefix(ids[0], "pk_") {
		t.Fatalf("after adding a passkey /auth/api/passkeys lists %q", ids)
	}
	if got := b.listedPasskeys(); !reflect.DeepEqual(got, ids) {
		t.Fatalf("the profile lists %q, the API %q", got, ids)
	}
	if n := len(b.pk.credentials()); n != 1 {
		t.Fatalf("the authenticator holds %d credentials", n)
	}
	id := ids[0]

	// Past the window. The clock also leaves the TOTP step used at
	// enrolment (and its neighbours) far behind: 601 s is 20 steps.
	env.Clock.Advance(auth.DefaultReverificationAge + time.Second)
	if env.Clock.Now().Unix()/30 <= enrolledAt.Unix()/30+1 {
		t.Fatal("the clock is still within the TOTP steps of enrolment")
	}

	// The password in the Remove form is not enough with TOTP on.
	b.status("profile", b.Navigate(env.URL+mrProfile), http.StatusOK)
	b.status("remove with the password", b.removePasskey(id, pw), http.StatusOK)
	b.wantReverifyPage("remove with the password")
	b.wantPasskeys("sent to reverify", email, ids)

	// A wrong code, with the right password: refused on the same page.
	b.Fill("#password", pw)
	b.Fill("#code", mbWrongCode(t, e.Secret, env.Clock.Now()))
	b.status("wrong code", b.Submit("#code"), http.StatusUnprocessableEntity)
	b.wantPath("/auth/reverify")
	if got := b.Text(mbCodeError); got != "That code is incorrect or was already used." {
		t.Fatalf("error under the code field %q", got)
	}
	if got := b.eval(`document.querySelector("#code").getAttribute("aria-invalid") || ""`); got != "true" {
		t.Fatalf("code field aria-invalid=%q", got)
	}
	if n := b.eval(`String(document.querySelectorAll("#password-error").length)`); n != "0" {
		t.Fatalf("a correct password was refused too: %q", b.Text("#password-error"))
	}
	b.wantReverifyForm("after a wrong code")
	b.wantPasskeys("after a wrong code", email, ids)

	// The wrong code proved nothing: removing, now with the form's
	// password empty, still leads to the reverification page.
	b.status("profile", b.Navigate(env.URL+mrProfile), http.StatusOK)
	b.status("remove after a wrong code", b.removePasskey(id, ""), http.StatusOK)
	b.wantReverifyPage("remove after a wrong code")
	b.wantPasskeys("sent to reverify again", email, ids)

	// The password and the current code: back to the profile, which
	// still lists the passkey (reverifying removes nothing).
	b.Fill("#password", pw)
	b.Fill("#code", mbCode(t, e.Secret, env.Clock.Now()))
	b.status("reverify", b.Submit("#code"), http.StatusOK)
	b.wantPath(mrProfile)
	if got := b.listedPasskeys(); !reflect.DeepEqual(got, ids) {
		t.Fatalf("after reverifying the profile lists %q, want %q", got, ids)
	}
	b.wantPasskeys("after reverifying", email, ids)

	// Remove again with the password field left empty: the recent
	// reverification lets it through.
	b.status("remove after reverifying", b.removePasskey(id, ""), http.StatusOK)
	b.wantPath(mrProfile)
	if got := b.Text(".ea-alert-info"); !strings.HasPrefix(got, "Your passkey was removed.") {
		t.Fatalf("notice after removing %q", got)
	}
	if got := b.listedPasskeys(); len(got) != 0 {
		t.Fatalf("after removing the profile lists %q", got)
	}
	if got := b.Text("#passkeys"); !strings.Contains(got, "You have no passkeys yet.") {
		t.Fatalf("passkey section after removing: %q", got)
	}
	b.wantPasskeys("after removing", email, []string{})
	if got := b.meStatus(); got != "200" {
		t.Fatalf("after removing the passkey /auth/api/me = %s", got)
	}

	// Past the window again, "Add a passkey" goes to the reverification
	// page (the script follows the API's reverification_required) and adds
	// nothing.
	env.Clock.Advance(auth.DefaultReverificationAge + time.Second)
	b.status("profile", b.Navigate(env.URL+mrProfile), http.StatusOK)
	b.status("add a passkey past the window", b.ClickAndWait("#add-passkey"), http.StatusOK)
	b.wantPage("/auth/reverify", url.Values{"redirect_url": {mrProfile}})
	b.wantPasskeys("after the refused add", email, []string{})
}

// mrPasskeyUser signs up through the pages with a passkey of the tab's
// virtual authenticator and no password, and returns the new user.
func mrPasskeyUser(t *testing.T, b *mrTab, name, email string) auth.User {
	t.Helper()
	b.status("sign-up page", b.Navigate(b.env.URL+"/auth/sign-up"), http.StatusOK)
	b.status("passkey sign-up", b.ClickAndWait("#passkey-sign-up"), http.StatusOK)
	b.wantPath("/auth/sign-up/passkey")
	b.Fill("#name", name)
	b.Fill("#email", email)
	b.status("start", b.Submit("#email"), http.StatusOK)
	b.Fill("#code", flVerificationCode(t, b.env, email))
	b.status("verify", b.Submit("#code"), http.StatusOK)
	b.status("create passkey", b.ClickAndWait("#create-passkey"), http.StatusOK)
	b.wantPath("/")
	u, err := b.env.Auth.GetUserByEmail(context.Background(), email)
	if err != nil || u.HasPassword || u.TwoFactorEnabled || !u.EmailVerified {
		t.Fatalf("signed up %+v, %v", u, err)
	}
	if got := b.authMethod(); got != "passkey" {
		t.Fatalf("session auth method %q after passkey sign-up", got)
	}
	return u
}

// TestMFABrowserReverifyWithPasskey: a user with a passkey, no password
// and no TOTP, past the reverification window, adds an email address from
// the profile. The browser is sent to the reverification page, which
// offers the passkey (and an emailed code) and no password; "Use a
// passkey" (the virtual authenticator answers) returns to the profile,
// where the same form now sends the new address a code, and the code adds
// it.
func TestMFABrowserReverifyWithPasskey(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	b := mrBrowser(t, env)
	const email, added = "keyonly@example.com", "second@example.com"
	mrPasskeyUser(t, b, "Kay Only", email)
	creds := b.pk.credentials()
	if len(creds) != 1 {
		t.Fatalf("the authenticator holds %d credentials", len(creds))
	}
	signCount := creds[0].SignCount

	env.Clock.Advance(auth.DefaultReverificationAge + time.Second)

	// The form has no password field; submitting it leads to the
	// reverification page and sends nothing.
	b.status("profile", b.Navigate(env.URL+mrAccount), http.StatusOK)
	if n := b.eval(`String(document.querySelectorAll("#add-email input[type=password]").length)`); n != "0" {
		t.Fatalf("the add-email form of a user without a password has %s password fields", n)
	}
	b.Fill("#new_email", added)
	b.status("add an email address", b.Submit("#new_email"), http.StatusOK)
	b.wantPage("/auth/reverify", url.Values{"redirect_url": {mrAccount}})
	for sel, want := range map[string]string{
		"#reverify-passkey button": "Use a passkey",
		"#reverify-send button":    "Email me a code",
	} {
		b.WaitVisible(sel)
		if got := b.Text(sel); got != want {
			t.Fatalf("%s says %q, want %q", sel, got, want)
		}
	}
	if got := b.eval(`document.querySelector('#reverify-passkey input[name=redirect_url]').value`); got != mrAccount {
		t.Fatalf("the passkey form returns to %q, want %s", got, mrAccount)
	}
	if n := b.eval(`String(document.querySelectorAll("#password, #code, #email_code").length)`); n != "0" {
		t.Fatalf("the page asks for a password or a code (%s fields)", n)
	}
	if got := flMailTo(env, added); len(got) != 0 {
		t.Fatalf("before reverifying %d mails went to %s", len(got), added)
	}

	// Use the passkey: the authenticator signs, and the browser is back
	// on the profile, with no code pending yet.
	b.status("use a passkey", b.ClickAndWait("#reverify-passkey button"), http.StatusOK)
	b.wantPath(mrAccount)
	if creds := b.pk.credentials(); len(creds) != 1 || creds[0].SignCount <= signCount {
		t.Fatalf("the authenticator did not sign: sign count %v before, now %+v", signCount, creds)
	}
	if got := b.Text("#addresses"); strings.Contains(got, added) {
		t.Fatalf("before resubmitting, the profile already mentions %s: %q", added, got)
	}

	// The same form now goes through: a code to the new address adds it.
	b.Fill("#new_email", added)
	b.status("add an email address after reverifying", b.Submit("#new_email"), http.StatusOK)
	b.wantPath("/auth/profile/identifiers/verify")
	b.Fill("#code", pwMailCode(t, env, added))
	b.status("verify the new address", b.Submit("#code"), http.StatusOK)
	b.wantPath(mrAccount)
	if got := b.Text(".ea-alert-info"); got != added+" was added to your account." {
		t.Fatalf("notice %q", got)
	}
	if got := b.Text(`#identifier-list li[data-value="` + added + `"]`); !strings.Contains(got, added) || strings.Contains(got, "Unverified") {
		t.Fatalf("the profile lists the new address as %q", got)
	}
}
