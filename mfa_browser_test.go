package auth_test

// Two-step verification end to end in headless Chromium: TOTP enrolment on
// /auth/profile/mfa, then sign-in through /auth/sign-in/factor-two with a
// TOTP code or a backup code. Everything the test types it first reads off
// the page (the key, the backup codes); codes are computed at the Auth's
// clock (authtest's, which moves only when the test moves it). The shared
// Chromium comes from TestMain in passkey_browser_test.go.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/embedauth/auth/authtest"
	"github.com/embedauth/auth/internal/browsertest"
)

// mbProtected is a page of the app behind RequireUser (authtest serves
// "user:ID" there), the redirect target of every sign-in below.
const mbProtected = "/dashboard"

// Selectors of the MFA pages the tests depend on (ui/templates/pages).
const (
	mbQRImage       = `img[alt="QR code of the authenticator key"]` // mfa.html, enrolment
	mbOtpauthURI    = `.ea-hint code`                               // mfa.html, enrolment
	mbCodeError     = `#code-error`                                 // field error under #code
	mbBackupOption  = `a[href*="method=backup_code"]`               // factor-two.html
	mbSignOutButton = `form[action="/auth/sign-out"] button`
)

// mbBackupCode is the form the enrolment page shows backup codes in.
var mbBackupCode = regexp.MustCompile(`^[a-z0-9]{5}-[a-z0-9]{5}$`)

// mbJS quotes s as a JavaScript string literal.
func mbJS(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}

// mbTab is a browser tab on one authtest.Env.
type mbTab struct {
	*browsertest.Tab
	t   *testing.T
	env *authtest.Env
}

func mbBrowser(t *testing.T, env *authtest.Env) *mbTab {
	t.Helper()
	return &mbTab{Tab: browsertest.Browser(t), t: t, env: env}
}

// eval evaluates js in the page, a promise allowed, and returns its
// string value.
func (b *mbTab) eval(js string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.Context(), browsertest.DefaultTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v (page %s)", js, err, b.URL())
	}
	return s
}

// status fails unless an HTTP status is want.
func (b *mbTab) status(what string, got, want int) {
	b.t.Helper()
	if got != want {
		b.t.Fatalf("%s: HTTP status %d, want %d (page %s)", what, got, want, b.URL())
	}
}

// wantPath fails unless the tab is at want (path and query).
func (b *mbTab) wantPath(want string) {
	b.t.Helper()
	if got := b.Path(); got != want {
		b.t.Fatalf("page is %s, want %s", got, want)
	}
}

// wantPage fails unless the tab is at path with exactly the query
// parameters q (in any order and escaping).
func (b *mbTab) wantPage(path string, q url.Values) {
	b.t.Helper()
	raw := b.Path()
	u, err := url.Parse(raw)
	if err != nil || u.Path != path || !reflect.DeepEqual(u.Query(), q) {
		b.t.Fatalf("page is %s, want %s?%s", raw, path, q.Encode())
	}
}

// meStatus is the status of GET /auth/api/me from the page.
func (b *mbTab) meStatus() string {
	b.t.Helper()
	return b.eval(`fetch("/auth/api/me").then(r => String(r.status))`)
}

// authMethod is the signed-in session's auth_method.
func (b *mbTab) authMethod() string {
	b.t.Helper()
	return b.eval(`fetch("/auth/api/me").then(r => r.json()).then(j => j.session.auth_method)`)
}

// signIn signs in with a password from the sign-in page the protected page
// sends a signed-out browser to, and returns the status of the page it
// lands on.
func (b *mbTab) signIn(email, pw string) int {
	b.t.Helper()
	b.status("protected page", b.Navigate(b.env.URL+mbProtected), http.StatusOK)
	b.wantPath("/auth/sign-in?redirect_url=" + url.QueryEscape(mbProtected))
	b.Fill("#email", email)
	b.Fill("#password", pw)
	return b.Submit("#password")
}

// signInToFactorTwo gives the password and expects the second step.
func (b *mbTab) signInToFactorTwo(email, pw string) {
	b.t.Helper()
	b.status("password sign-in", b.signIn(email, pw), http.StatusOK)
	b.wantPath("/auth/sign-in/factor-two?redirect_url=" + url.QueryEscape(mbProtected))
	b.WaitVisible("#code")
	// Half signed in is signed out.
	if got := b.meStatus(); got != "401" {
		b.t.Fatalf("between the two factors /auth/api/me = %s, want 401", got)
	}
}

// signOut signs out from the sign-out page.
func (b *mbTab) signOut() {
	b.t.Helper()
	b.status("sign-out page", b.Navigate(b.env.URL+"/auth/sign-out"), http.StatusOK)
	b.status("sign out", b.ClickAndWait(mbSignOutButton), http.StatusOK)
	if got := b.meStatus(); got != "401" {
		b.t.Fatalf("after sign-out /auth/api/me = %s", got)
	}
}

// wantSignedInAtTarget checks the browser landed on the protected page,
// signed in as userID with a session of the given auth method.
func (b *mbTab) wantSignedInAtTarget(userID, method string) {
	b.t.Helper()
	b.wantPath(mbProtected)
	if got := b.Text("body"); got != "user:"+userID {
		b.t.Fatalf("protected page says %q, want user:%s", got, userID)
	}
	if got := b.authMethod(); got != method {
		b.t.Fatalf("session auth method %q, want %q", got, method)
	}
}

// wantCodeRefused checks the page the second step answered with: a 422,
// the message under the code field, and no session. The tab stays on the
// answer, whose form takes the next try.
func (b *mbTab) wantCodeRefused(what string, status int) {
	b.t.Helper()
	b.status(what, status, http.StatusUnprocessableEntity)
	b.wantPath("/auth/sign-in/factor-two")
	if got := b.Text(mbCodeError); got != "That code is incorrect or was already used." {
		b.t.Fatalf("%s: error under the code field %q", what, got)
	}
	if got := b.eval(`document.querySelector("#code").getAttribute("aria-invalid") || ""`); got != "true" {
		b.t.Fatalf("%s: code field aria-invalid=%q", what, got)
	}
	b.wantNoSession(what)
}

// wantNoSession checks, from the page, that the browser has no session:
// the protected page redirects to the sign-in page, and the API says 401.
func (b *mbTab) wantNoSession(what string) {
	b.t.Helper()
	want := b.env.URL + "/auth/sign-in?redirect_url=" + url.QueryEscape(mbProtected)
	if got := b.eval(`fetch(` + mbJS(mbProtected) + `).then(r => r.url)`); got != want {
		b.t.Fatalf("%s: the protected page led to %s, want %s", what, got, want)
	}
	if got := b.meStatus(); got != "401" {
		b.t.Fatalf("%s: /auth/api/me = %s, want 401", what, got)
	}
}

// mbTOTPOpts are the parameters the enrolment URI announces (and the
// mfa package uses).
var mbTOTPOpts = totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// mbCode is the TOTP code of secret at t.
func mbCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, mbTOTPOpts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// mbWrongCode is a well-formed code that no step the server accepts at
// now (now-30 s, now, now+30 s) produces.
func mbWrongCode(t *testing.T, secret string, now time.Time) string {
	t.Helper()
	valid := map[string]bool{}
	for d := -1; d <= 1; d++ {
		valid[mbCode(t, secret, now.Add(time.Duration(d)*30*time.Second))] = true
	}
	for i := 0; ; i++ {
		if c := fmt.Sprintf("%06d", i*111111%1000000); !valid[c] {
			return c
		}
	}
}

// mbEnrolment is what the enrolment pages showed.
type mbEnrolment struct {
	Secret      string
	BackupCodes []string
}

// mbEnrol turns on TOTP from the profile page of the signed-in tab, with
// the password pw, reading the key from the page, and returns the key and
// the backup codes the page shows once. It checks the enrolment page on
// the way: the QR image, the otpauth URI, and that a wrong code changes
// nothing.
func mbEnrol(t *testing.T, b *mbTab, email, pw string) mbEnrolment {
	t.Helper()
	b.status("mfa page", b.Navigate(b.env.URL+"/auth/profile/mfa"), http.StatusOK)
	b.wantPath("/auth/profile/mfa")
	// Just signed in, the sign-in is proof enough: the form asks for no
	// password (see mfa_reverify.go).
	if n := b.eval(`String(document.querySelectorAll("form[action='/auth/profile/mfa/totp'] input[name=password]").length)`); n != "0" {
		t.Fatalf("the set-up form asks for the password %s times right after sign-in", n)
	}
	b.status("start enrolment", b.ClickAndWait("form[action='/auth/profile/mfa/totp'] button[type=submit]"), http.StatusOK)
	b.wantPath("/auth/profile/mfa")

	secret := b.Text("#totp-secret")
	if !regexp.MustCompile(`^[A-Z2-7]{32}$`).MatchString(secret) { // 160 bits in base32
		t.Fatalf("key on the page %q, want 32 base32 characters", secret)
	}
	// The otpauth URI on the page carries the same key and the parameters
	// the codes below assume.
	uri := b.Text(mbOtpauthURI)
	key, err := otp.NewKeyFromURL(uri)
	if err != nil {
		t.Fatalf("otpauth URI %q: %v", uri, err)
	}
	if key.Type() != "totp" || key.Secret() != secret || key.Issuer() != "Test App" || key.AccountName() != email ||
		key.Algorithm() != otp.AlgorithmSHA1 || key.Digits() != otp.DigitsSix || key.Period() != 30 {
		t.Fatalf("otpauth URI %q does not match key %s, issuer Test App, account %s, SHA1, 6 digits, 30 s", uri, secret, email)
	}
	mbCheckQR(t, b, key)

	// A wrong code leaves two-step verification off and the same key on
	// the page.
	wrong := mbWrongCode(t, secret, b.env.Clock.Now())
	b.Fill("#code", wrong)
	b.status("confirm with a wrong code", b.Submit("#code"), http.StatusUnprocessableEntity)
	if got := b.Text(mbCodeError); got != "That code is incorrect or was already used." {
		t.Fatalf("error under the code field %q", got)
	}
	if got := b.Text("#totp-secret"); got != secret {
		t.Fatalf("after a wrong code the key is %q, was %q", got, secret)
	}
	// Still one factor: a password sign-in elsewhere goes straight in.
	b.env.SignInWithPassword(t, b.env.Client(), email, pw)

	b.Fill("#code", mbCode(t, secret, b.env.Clock.Now()))
	b.status("confirm", b.Submit("#code"), http.StatusOK)
	b.wantPath("/auth/profile/mfa/totp/confirm")
	var codes []string
	if err := json.Unmarshal([]byte(b.eval(`JSON.stringify([...document.querySelectorAll("#backup-codes li code")].map(c => c.innerText))`)), &codes); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, c := range codes {
		if !mbBackupCode.MatchString(c) || seen[c] {
			t.Fatalf("backup codes on the page: %q", codes)
		}
		seen[c] = true
	}
	if len(codes) != 10 {
		t.Fatalf("%d backup codes on the page, want 10: %q", len(codes), codes)
	}
	// The download holds the same codes.
	href := b.eval(`document.querySelector('a[download="backup-codes.txt"]').href`)
	text, err := url.PathUnescape(strings.TrimPrefix(href, "data:text/plain;charset=utf-8,"))
	if err != nil || !strings.HasPrefix(href, "data:text/plain;charset=utf-8,") {
		t.Fatalf("download link %q: %v", href, err)
	}
	for _, c := range codes {
		if !strings.Contains(text, "\n"+c+"\n") {
			t.Fatalf("download %q lacks backup code %s", text, c)
		}
	}

	// Done: the profile says it is on.
	b.status("done", b.ClickAndWait(`a[href="/auth/profile/mfa"]`), http.StatusOK)
	b.wantPath("/auth/profile/mfa")
	if got := b.Text("#backup-codes"); !strings.Contains(got, "You have 10 unused backup codes.") {
		t.Fatalf("mfa page after enrolment: %q", got)
	}
	if n := b.eval(`String(document.querySelectorAll(` + mbJS("#totp-secret, "+mbQRImage) + `).length)`); n != "0" {
		t.Fatalf("the key is still shown after enrolment (%s elements)", n)
	}
	return mbEnrolment{Secret: secret, BackupCodes: codes}
}

// mbCheckQR checks that the enrolment page shows the QR code as a PNG
// data: URI that the browser decoded, and that it encodes the otpauth URI
// of key (the same encoder draws the expected picture).
func mbCheckQR(t *testing.T, b *mbTab, key *otp.Key) {
	t.Helper()
	b.WaitVisible(mbQRImage)
	src := b.eval(`document.querySelector(` + mbJS(mbQRImage) + `).getAttribute("src")`)
	const prefix = "data:image/png;base64,"
	if !strings.HasPrefix(src, prefix) {
		t.Fatalf("QR image src %.60q..., want a %s URI", src, prefix)
	}
	// The browser loaded it as an image.
	loaded := b.eval(`(() => { const i = document.querySelector(` + mbJS(mbQRImage) + `);
		return i.decode().then(() => i.naturalWidth + "x" + i.naturalHeight) })()`)
	if loaded != "200x200" {
		t.Fatalf("the browser decoded the QR image as %s, want 200x200", loaded)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(src, prefix))
	if err != nil {
		t.Fatalf("QR image: %v", err)
	}
	got, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("QR image is not a PNG: %v", err)
	}
	want, err := key.Image(200, 200)
	if err != nil {
		t.Fatal(err)
	}
	if !mbSamePicture(got, want) {
		t.Fatal("the QR image does not encode the otpauth URI shown on the page")
	}
}

// mbSamePicture compares two pictures pixel by pixel in grey.
func mbSamePicture(a, b image.Image) bool {
	if a.Bounds().Size() != b.Bounds().Size() {
		return false
	}
	ao, bo := a.Bounds().Min, b.Bounds().Min
	for y := 0; y < a.Bounds().Dy(); y++ {
		for x := 0; x < a.Bounds().Dx(); x++ {
			ga := color.GrayModel.Convert(a.At(ao.X+x, ao.Y+y)).(color.Gray)
			gb := color.GrayModel.Convert(b.At(bo.X+x, bo.Y+y)).(color.Gray)
			if ga != gb {
				return false
			}
		}
	}
	return true
}

// mbEnrolledUser creates a user with a password, signs the tab in through
// the sign-in page, enrols TOTP through the profile and signs out.
func mbEnrolledUser(t *testing.T, b *mbTab, email string) (userID, pw string, e mbEnrolment) {
	t.Helper()
	pw = authtest.Password()
	u := b.env.CreateUser(t, email, pw)
	b.status("password sign-in", b.signIn(email, pw), http.StatusOK)
	b.wantSignedInAtTarget(u.ID, "password")
	e = mbEnrol(t, b, email, pw)
	b.signOut()
	return u.ID, pw, e
}

// TestMFABrowserEnrolTOTP: a user signed in with a password turns on
// two-step verification from the profile with the key read off the page,
// and gets ten backup codes once.
func TestMFABrowserEnrolTOTP(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	b := mbBrowser(t, env)
	const email = "enrol@example.com"
	pw := authtest.Password()
	u := env.CreateUser(t, email, pw)
	b.status("password sign-in", b.signIn(email, pw), http.StatusOK)
	b.wantSignedInAtTarget(u.ID, "password")

	e := mbEnrol(t, b, email, pw)
	if len(e.BackupCodes) != 10 {
		t.Fatalf("%d backup codes", len(e.BackupCodes))
	}
	// The codes are shown once: the profile offers new ones, not these.
	b.status("mfa page", b.Navigate(env.URL+"/auth/profile/mfa"), http.StatusOK)
	if body := b.Text("body"); strings.Contains(body, e.BackupCodes[0]) {
		t.Fatal("the mfa page shows a backup code again")
	}
	// Enrolment took effect: a password alone no longer signs in.
	b.signOut()
	b.signInToFactorTwo(email, pw)
}

// TestMFABrowserSignInWithTOTP: with TOTP on, a password sign-in stops at
// the second step, which refuses a wrong code and the code of the step
// used at enrolment, and takes the next step's code to the redirect
// target. That code does not work twice either.
func TestMFABrowserSignInWithTOTP(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	b := mbBrowser(t, env)
	const email = "totp@example.com"
	userID, pw, e := mbEnrolledUser(t, b, email)

	b.signInToFactorTwo(email, pw)
	if got := b.Text("label[for=code]"); got != "Authentication code" {
		t.Fatalf("code field label %q", got)
	}
	b.Fill("#code", mbWrongCode(t, e.Secret, env.Clock.Now()))
	b.wantCodeRefused("wrong code", b.Submit("#code"))

	// The clock has not moved since enrolment: this step's code was used.
	b.Fill("#code", mbCode(t, e.Secret, env.Clock.Now()))
	b.wantCodeRefused("code of the step used at enrolment", b.Submit("#code"))

	env.Clock.Advance(30 * time.Second)
	fresh := mbCode(t, e.Secret, env.Clock.Now())
	b.Fill("#code", fresh)
	b.status("fresh code", b.Submit("#code"), http.StatusOK)
	b.wantSignedInAtTarget(userID, "password+totp")

	// The same code in a new sign-in, within its 30 seconds: refused.
	b.signOut()
	b.signInToFactorTwo(email, pw)
	b.Fill("#code", fresh)
	b.wantCodeRefused("code used for the last sign-in", b.Submit("#code"))
}

// TestMFABrowserSignInWithBackupCode: the second step offers a backup code
// instead; one from the enrolment page signs in, a made-up one does not,
// and a used one is refused the next time.
func TestMFABrowserSignInWithBackupCode(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	b := mbBrowser(t, env)
	const email = "backup@example.com"
	userID, pw, e := mbEnrolledUser(t, b, email)
	useBackup := func() {
		t.Helper()
		b.status("backup code option", b.ClickAndWait(mbBackupOption), http.StatusOK)
		b.wantPage("/auth/sign-in/factor-two", url.Values{"method": {"backup_code"}, "redirect_url": {mbProtected}})
		if got := b.Text("label[for=code]"); got != "Backup code" {
			t.Fatalf("code field label %q", got)
		}
	}

	b.signInToFactorTwo(email, pw)
	useBackup()
	b.Fill("#code", "aaaaa-aaaaa")
	b.wantCodeRefused("made-up backup code", b.Submit("#code"))
	// The answer stays on the backup code form.
	if got := b.Text("label[for=code]"); got != "Backup code" {
		t.Fatalf("after a wrong backup code the label is %q", got)
	}
	b.Fill("#code", e.BackupCodes[0])
	b.status("backup code", b.Submit("#code"), http.StatusOK)
	b.wantSignedInAtTarget(userID, "password+backup_code")
	b.status("mfa page", b.Navigate(env.URL+"/auth/profile/mfa"), http.StatusOK)
	if got := b.Text("#backup-codes"); !strings.Contains(got, "You have 9 unused backup codes.") {
		t.Fatalf("mfa page after using a backup code: %q", got)
	}

	// The same code again, in a new sign-in: refused.
	b.signOut()
	b.signInToFactorTwo(email, pw)
	useBackup()
	b.Fill("#code", e.BackupCodes[0])
	b.wantCodeRefused("used backup code", b.Submit("#code"))

	// Another of the saved codes still works.
	b.Fill("#code", e.BackupCodes[1])
	b.status("second backup code", b.Submit("#code"), http.StatusOK)
	b.wantSignedInAtTarget(userID, "password+backup_code")
}
