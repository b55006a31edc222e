package auth_test

// Passkeys end to end in headless Chromium with the DevTools virtual
// authenticator (see ../shared/TESTING.md): the page's script, the JSON
// API and the browser's WebAuthn, together. One Chromium serves the whole
// test binary (internal/browsertest).

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	cdpwa "github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/authtest"
	"github.com/embedauth/auth/internal/browsertest"
	"github.com/embedauth/auth/mail"
)

// TestMain shares one Chromium among the package's browser tests and
// closes it at the end. Tests that need no browser never start it.
func TestMain(m *testing.M) { browsertest.Main(m) }

// pkRecorder records, in the tab's sessionStorage (it survives
// navigations), the mediation of every navigator.credentials.get and the
// body of the last ceremony begin request.
const pkRecorder = `(() => {
  if (!navigator.credentials) return;
  const get = navigator.credentials.get.bind(navigator.credentials);
  navigator.credentials.get = (o) => {
    const l = JSON.parse(sessionStorage.getItem("pk-mediations") || "[]");
    l.push((o && o.mediation) || "default");
    sessionStorage.setItem("pk-mediations", JSON.stringify(l));
    return get(o);
  };
  const f = window.fetch.bind(window);
  window.fetch = (u, o) => {
    if (o && typeof o.body === "string" && String(u).endsWith("/begin")) sessionStorage.setItem("pk-last-begin", o.body);
    return f(u, o);
  };
})();`

// pkNoAutofill makes the page believe conditional mediation is
// unavailable. A virtual authenticator answers an autofill request at once
// (it has no autofill menu), which would sign the page in before a test
// can press the button it means to test.
const pkNoAutofill = `if (window.PublicKeyCredential) PublicKeyCredential.isConditionalMediationAvailable = async () => false;`

// pkTab is a browser tab with a virtual authenticator.
type pkTab struct {
	*browsertest.Tab
	t     *testing.T
	authn cdpwa.AuthenticatorID
}

// pkBrowser opens a tab with WebAuthn enabled, a virtual platform
// authenticator (CTAP 2.1, resident keys, user verification) and the
// recorder; autofill says whether conditional mediation stays available.
func pkBrowser(t *testing.T, autofill bool) *pkTab {
	t.Helper()
	tab := browsertest.Browser(t)
	p := &pkTab{Tab: tab, t: t}
	p.call("enable WebAuthn", func(ctx context.Context) error {
		_, err := chromedp.Call(ctx, cdpwa.Enable, cdpwa.EnableParams{})
		return err
	})
	p.authn = p.addAuthenticator()
	script := pkRecorder
	if !autofill {
		script += pkNoAutofill
	}
	p.call("add the recorder", func(ctx context.Context) error {
		_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: script})
		return err
	})
	return p
}

// call runs fn with a step timeout derived from the tab's context.
func (p *pkTab) call(what string, fn func(ctx context.Context) error) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.Context(), browsertest.DefaultTimeout)
	defer cancel()
	if err := fn(ctx); err != nil {
		p.t.Fatalf("%s: %v (page %s)", what, err, p.URL())
	}
}

func (p *pkTab) addAuthenticator() cdpwa.AuthenticatorID {
	p.t.Helper()
	var id cdpwa.AuthenticatorID
	p.call("add a virtual authenticator", func(ctx context.Context) error {
		res, err := chromedp.Call(ctx, cdpwa.AddVirtualAuthenticator, cdpwa.AddVirtualAuthenticatorParams{Options: &cdpwa.VirtualAuthenticatorOptions{
			Protocol: cdpwa.AuthenticatorProtocolCtap2, Ctap2version: cdpwa.Ctap2versionCtap21, Transport: cdpwa.AuthenticatorTransportInternal,
			HasResidentKey: true, HasUserVerification: true, IsUserVerified: true,
			AutomaticPresenceSimulation: true, // cdproto always sends it: false would hang every ceremony
		}})
		id = res.AuthenticatorID
		return err
	})
	return id
}

// credentials returns what the virtual authenticator holds.
func (p *pkTab) credentials() []*cdpwa.Credential {
	p.t.Helper()
	var out []*cdpwa.Credential
	p.call("read the authenticator's credentials", func(ctx context.Context) error {
		res, err := chromedp.Call(ctx, cdpwa.GetCredentials, cdpwa.GetCredentialsParams{AuthenticatorID: p.authn})
		out = res.Credentials
		return err
	})
	return out
}

// swapAuthenticator replaces the authenticator with a new, empty one (a
// second device).
func (p *pkTab) swapAuthenticator() {
	p.t.Helper()
	p.call("remove the virtual authenticator", func(ctx context.Context) error {
		_, err := chromedp.Call(ctx, cdpwa.RemoveVirtualAuthenticator, cdpwa.RemoveVirtualAuthenticatorParams{AuthenticatorID: p.authn})
		return err
	})
	p.authn = p.addAuthenticator()
}

// eval evaluates js, a promise allowed, and returns its string value.
func (p *pkTab) eval(js string) string {
	p.t.Helper()
	var s string
	p.call("evaluate "+js, func(ctx context.Context) (err error) {
		s, err = chromedp.Run(ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
		return err
	})
	return s
}

// meStatus is the status of GET /auth/api/me from the page.
func (p *pkTab) meStatus() string {
	return p.eval(`fetch("/auth/api/me").then(r => String(r.status))`)
}

func (p *pkTab) wantPath(prefix string) {
	p.t.Helper()
	if got := p.Path(); !strings.HasPrefix(got, prefix) {
		p.t.Fatalf("page is %s, want %s", got, prefix)
	}
}

// pkStatus fails unless status is want.
func pkStatus(t *testing.T, what string, got, want int) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: HTTP status %d, want %d", what, got, want)
	}
}

func pkStoredPasskeys(t *testing.T, env *authtest.Env, email string) int {
	t.Helper()
	u, err := env.Auth.GetUserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	list, err := env.Auth.Store().UserPasskeys(context.Background(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

// TestBrowserPasskeyJourney: passkey-only sign-up, a second registration of
// the same authenticator refused (excludeCredentials), rename, sign-out,
// username-less and username-first sign-in, a second passkey from the
// profile, delete with re-authentication, and the last passkey kept.
func TestBrowserPasskeyJourney(t *testing.T) {
	tab := pkBrowser(t, false)
	env := authtest.New(t, pkOnlyPasskeys)
	const email = "journey@example.com"

	// Sign up with a passkey.
	pkStatus(t, "sign-up page", tab.Navigate(env.URL+"/auth/sign-up"), http.StatusOK)
	pkStatus(t, "passkey sign-up", tab.ClickAndWait("#passkey-sign-up"), http.StatusOK)
	tab.wantPath("/auth/sign-up/passkey")
	tab.Fill("#name", "Jo Urney")
	tab.Fill("#email", email)
	pkStatus(t, "start", tab.Submit("#email"), http.StatusOK)
	tab.Fill("#code", flVerificationCode(t, env, email))
	pkStatus(t, "verify", tab.Submit("#code"), http.StatusOK)
	tab.WaitVisible("#create-passkey")
	tab.Screenshot("passkey-sign-up-create.png")
	pkStatus(t, "create passkey", tab.ClickAndWait("#create-passkey"), http.StatusOK)
	tab.wantPath("/")
	u, err := env.Auth.GetUserByEmail(context.Background(), email)
	if err != nil || u.HasPassword || !u.EmailVerified || u.Name != "Jo Urney" {
		t.Fatalf("user %+v, %v", u, err)
	}
	creds := tab.credentials()
	if len(creds) != 1 || !creds[0].IsResidentCredential || len(creds[0].UserHandle) != 32 {
		t.Fatalf("the authenticator holds %+v", creds)
	}
	if n := pkStoredPasskeys(t, env, email); n != 1 {
		t.Fatalf("%d passkeys stored", n)
	}

	// The profile lists it; the same authenticator cannot register again.
	pkStatus(t, "profile", tab.Navigate(env.URL+"/auth/profile?tab=security"), http.StatusOK)
	if got := tab.Text("#passkeys .ea-passkey-name"); got != "Headless Chrome on Linux" {
		t.Errorf("passkey name %q", got)
	}
	tab.Click("#add-passkey")
	tab.WaitVisible("#passkeys [data-passkey-error]")
	if got := tab.Text("#passkeys [data-passkey-error]"); !strings.Contains(got, "already has a passkey") {
		t.Fatalf("second registration of the same authenticator: %q", got)
	}
	if n := pkStoredPasskeys(t, env, email); n != 1 || len(tab.credentials()) != 1 {
		t.Fatalf("%d passkeys stored after an excluded registration", n)
	}

	// Rename.
	tab.Click("#passkeys details:first-of-type summary")
	tab.Fill("#passkeys input[name=name]", "My laptop")
	pkStatus(t, "rename", tab.Submit("#passkeys input[name=name]"), http.StatusOK)
	if got := tab.Text("#passkeys .ea-passkey-name"); got != "My laptop" {
		t.Fatalf("renamed to %q", got)
	}
	tab.Screenshot("passkey-profile.png")

	// Sign out, then sign in without typing anything.
	pkStatus(t, "sign out", tab.ClickAndWait(".ea-signout button"), http.StatusOK)
	tab.wantPath("/auth/sign-in")
	if got := tab.meStatus(); got != "401" {
		t.Fatalf("after sign-out /api/me = %s", got)
	}
	tab.WaitVisible("#passkey-sign-in")
	tab.Screenshot("passkey-sign-in.png")
	pkStatus(t, "passkey sign-in", tab.ClickAndWait("#passkey-sign-in"), http.StatusOK)
	tab.wantPath("/")
	if got := tab.Text("body"); got != "user:"+u.ID {
		t.Fatalf("after username-less sign-in: %q", got)
	}
	if got := tab.eval(`sessionStorage.getItem("pk-last-begin")`); got != "{}" {
		t.Errorf("username-less sign-in began with %s", got)
	}

	// Sign out, then sign in with the email first.
	pkStatus(t, "sign-out page", tab.Navigate(env.URL+"/auth/sign-out"), http.StatusOK)
	pkStatus(t, "sign out", tab.ClickAndWait(`form[action="/auth/sign-out"] button`), http.StatusOK)
	pkStatus(t, "sign-in page", tab.Navigate(env.URL+"/auth/sign-in"), http.StatusOK)
	tab.Fill("#email", email)
	pkStatus(t, "username-first sign-in", tab.ClickAndWait("#passkey-sign-in"), http.StatusOK)
	tab.wantPath("/")
	if got := tab.eval(`sessionStorage.getItem("pk-last-begin")`); got != `{"email":"`+email+`"}` {
		t.Errorf("username-first sign-in began with %s", got)
	}
	if got := tab.meStatus(); got != "200" {
		t.Fatalf("after username-first sign-in /api/me = %s", got)
	}

	// A second device adds a passkey from the profile.
	tab.swapAuthenticator()
	pkStatus(t, "profile", tab.Navigate(env.URL+"/auth/profile?tab=security"), http.StatusOK)
	pkStatus(t, "add a passkey", tab.ClickAndWait("#add-passkey"), http.StatusOK)
	if n := pkStoredPasskeys(t, env, email); n != 2 {
		t.Fatalf("%d passkeys after adding one", n)
	}
	tab.WaitVisible("#passkeys li:nth-of-type(2)")

	// Remove the first device's passkey: the user has no password, so the
	// form asks the second device first.
	first := `#passkeys li[data-passkey-id="` + tab.eval(`fetch("/auth/api/passkeys").then(r => r.json()).then(j => j.passkeys.find(p => p.name === "My laptop").id)`) + `"]`
	tab.Click(first + " details:nth-of-type(2) summary")
	pkStatus(t, "remove", tab.ClickAndWait(first+" .ea-button-danger"), http.StatusOK)
	if got := tab.Text(".ea-alert-info"); !strings.Contains(got, "passkey was removed") {
		t.Fatalf("notice %q", got)
	}
	if n := pkStoredPasskeys(t, env, email); n != 1 {
		t.Fatalf("%d passkeys after removing one", n)
	}
	if got := tab.Text("#passkeys .ea-passkey-name"); got == "My laptop" {
		t.Fatal("the wrong passkey was removed")
	}
	// The last one stays.
	tab.Click("#passkeys li details:nth-of-type(2) summary")
	pkStatus(t, "remove the last", tab.ClickAndWait("#passkeys li .ea-button-danger"), http.StatusConflict)
	if got := tab.Text("#form-error"); !strings.Contains(got, "only way to sign in") {
		t.Fatalf("error %q", got)
	}
	if n := pkStoredPasskeys(t, env, email); n != 1 {
		t.Fatalf("the last passkey was removed (%d left)", n)
	}
}

// TestBrowserPasskeyAutofill: with a passkey on the device, the sign-in
// page offers it through the email field's autofill (conditional
// mediation), and picking it signs in. The virtual authenticator picks at
// once, so signing out lands on the sign-in page, which signs right back
// in without a click.
func TestBrowserPasskeyAutofill(t *testing.T) {
	tab := pkBrowser(t, true)
	env := authtest.New(t)
	pw := authtest.Password()
	u := env.CreateUser(t, "auto@example.com", pw)

	pkStatus(t, "sign-in page", tab.Navigate(env.URL+"/auth/sign-in?redirect_url=%2Fauth%2Fprofile"), http.StatusOK)
	if got := tab.eval(`document.querySelector("#email").getAttribute("autocomplete")`); got != "username webauthn" {
		t.Fatalf("autocomplete %q", got)
	}
	tab.Fill("#email", u.Email)
	tab.Fill("#password", pw)
	pkStatus(t, "password sign-in", tab.Submit("#password"), http.StatusOK)
	tab.wantPath("/auth/profile")
	pkStatus(t, "security section", tab.Navigate(env.URL+"/auth/profile?tab=security"), http.StatusOK)
	pkStatus(t, "add a passkey", tab.ClickAndWait("#add-passkey"), http.StatusOK)
	if n := pkStoredPasskeys(t, env, u.Email); n != 1 {
		t.Fatalf("%d passkeys", n)
	}
	tab.eval(`(sessionStorage.removeItem("pk-mediations"), "")`)

	pkStatus(t, "sign out", tab.ClickAndWait(".ea-signout button"), http.StatusOK)
	// "/" sends the signed-out browser to the sign-in page, whose autofill
	// request the virtual authenticator answers: back to "/", signed in.
	tab.WaitVisible("pre")
	if got := tab.Text("pre"); got != "user:"+u.ID {
		t.Fatalf("after autofill: %q", got)
	}
	if got := tab.eval(`sessionStorage.getItem("pk-mediations")`); got != `["conditional"]` {
		t.Fatalf("credential requests %s, want one conditional", got)
	}
	me := tab.eval(`fetch("/auth/api/me").then(r => r.json()).then(j => j.session.auth_method)`)
	if me != "passkey" {
		t.Fatalf("session auth method %q", me)
	}
}

// TestBrowserPasskeyRequiredMode: in PasskeysRequired mode a user without
// a passkey is asked for one after signing in with a password.
func TestBrowserPasskeyRequiredMode(t *testing.T) {
	tab := pkBrowser(t, false)
	env := authtest.New(t, func(c *auth.Config) { c.Passkeys.Mode = auth.PasskeysRequired })
	pw := authtest.Password()
	u := env.CreateUser(t, "must@example.com", pw)
	pkStatus(t, "sign-in page", tab.Navigate(env.URL+"/auth/sign-in"), http.StatusOK)
	tab.Fill("#email", u.Email)
	tab.Fill("#password", pw)
	pkStatus(t, "password sign-in", tab.Submit("#password"), http.StatusOK)
	tab.wantPath("/auth/passkeys/setup")
	tab.WaitVisible("#add-passkey")
	tab.Screenshot("passkey-setup.png")
	pkStatus(t, "add a passkey", tab.ClickAndWait("#add-passkey"), http.StatusOK)
	tab.wantPath("/")
	if n := pkStoredPasskeys(t, env, u.Email); n != 1 {
		t.Fatalf("%d passkeys", n)
	}
	// Next sign-in goes straight through.
	pkStatus(t, "sign-out page", tab.Navigate(env.URL+"/auth/sign-out"), http.StatusOK)
	pkStatus(t, "sign out", tab.ClickAndWait(`form[action="/auth/sign-out"] button`), http.StatusOK)
	pkStatus(t, "sign-in page", tab.Navigate(env.URL+"/auth/sign-in"), http.StatusOK)
	tab.Fill("#email", u.Email)
	tab.Fill("#password", pw)
	pkStatus(t, "password sign-in", tab.Submit("#password"), http.StatusOK)
	tab.wantPath("/")
}

// TestBrowserPasskeySecondFactor runs the passkey verification the MFA
// step is built on (passkeySecondFactorBegin/Finish, served by the test
// handler of internal/web/testhooks.go) from a page, after a password
// sign-in.
func TestBrowserPasskeySecondFactor(t *testing.T) {
	tab := pkBrowser(t, false)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := fmt.Sprintf("http://localhost:%d", ln.Addr().(*net.TCPAddr).Port)
	capture := &mail.Capture{}
	a, err := auth.New(auth.Config{DatabasePath: filepath.Join(t.TempDir(), "auth.db"), BaseURL: base, Mailer: capture,
		PasswordHashing: auth.Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/auth/", a.Handler())
	mux.Handle("/test/second-factor/", a.PasskeySecondFactorTestHandler("/test/second-factor"))
	mux.Handle("/", a.RequireUser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "home") })))
	srv := &http.Server{Handler: a.Middleware(mux), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close(); a.Close() })

	const pw = "violet tractor umbrella 42"
	if _, err := a.CreateUser(context.Background(), auth.CreateUserParams{Email: "two@example.com", Password: pw, EmailVerified: true}); err != nil {
		t.Fatal(err)
	}
	pkStatus(t, "sign-in page", tab.Navigate(base+"/auth/sign-in?redirect_url=%2Fauth%2Fprofile"), http.StatusOK)
	tab.Fill("#email", "two@example.com")
	tab.Fill("#password", pw)
	pkStatus(t, "password sign-in", tab.Submit("#password"), http.StatusOK)
	pkStatus(t, "security section", tab.Navigate(base+"/auth/profile?tab=security"), http.StatusOK)
	pkStatus(t, "add a passkey", tab.ClickAndWait("#add-passkey"), http.StatusOK)

	pkStatus(t, "second factor page", tab.Navigate(base+"/test/second-factor/"), http.StatusOK)
	pkStatus(t, "verify", tab.ClickAndWait("#verify-passkey"), http.StatusOK)
	tab.wantPath("/test/second-factor/done")
	if got := tab.Text("#result"); got != "Second factor verified with Headless Chrome on Linux" {
		t.Fatalf("result %q", got)
	}
}
