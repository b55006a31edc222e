package auth_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/authtest"
	"github.com/embedauth/auth/internal/smtptest"
)

// getIn is GET path with an Accept-Language header.
func (c *flClient) getIn(acceptLanguage, path string) *flResp {
	c.t.Helper()
	return c.do(http.MethodGet, path, "", nil, "Accept-Language", acceptLanguage)
}

// jsonIn sends body as JSON with an Accept-Language header.
func (c *flClient) jsonIn(acceptLanguage, method, path string, body any) *flResp {
	c.t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.do(method, path, "application/json", bytes.NewReader(b), "Accept-Language", acceptLanguage)
}

var htmlLangRE = regexp.MustCompile(`<html lang="([^"]*)" dir="([^"]*)">`)

// pageLang returns the lang and dir of a page.
func pageLang(r *flResp) (string, string) {
	r.t.Helper()
	m := htmlLangRE.FindSubmatch(r.body)
	if m == nil {
		r.t.Fatalf("%s: no <html lang dir>: %.300s", r.what, r.body)
	}
	return string(m[1]), string(m[2])
}

// A page's language is the user's saved choice, else the browser's
// Accept-Language, else Config.DefaultLanguage.
func TestLanguageChoiceOrder(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	c := flNew(t, env)

	for accept, want := range map[string]string{
		"":                        "en",
		"de-DE,de;q=0.9,en;q=0.8": "de",
		"pt-BR,pt;q=0.9":          "pt-BR",
		"zh-CN":                   "en",
		"en;q=0.2, ja":            "ja",
		"ar-EG":                   "ar",
	} {
		if got, _ := pageLang(c.getIn(accept, "/auth/sign-in").want(http.StatusOK)); got != want {
			t.Errorf("Accept-Language %q: page in %q, want %q", accept, got, want)
		}
	}
	de := c.getIn("de", "/auth/sign-in").contains("Willkommen zurück. Melden Sie sich an, um fortzufahren.")
	if _, dir := pageLang(de); dir != "ltr" {
		t.Errorf("German dir = %s", dir)
	}
	if _, dir := pageLang(c.getIn("ar", "/auth/sign-in")); dir != "rtl" {
		t.Errorf("Arabic dir = %s", dir)
	}

	// The default language when the browser names none the app has.
	fr := authtest.New(t, func(c *auth.Config) { c.DefaultLanguage = "fr" })
	fc := flNew(t, fr)
	if got, _ := pageLang(fc.getIn("", "/auth/sign-in")); got != "fr" {
		t.Errorf("default fr, no header: page in %q", got)
	}
	if got, _ := pageLang(fc.getIn("zh", "/auth/sign-in")); got != "fr" {
		t.Errorf("default fr, zh: page in %q", got)
	}
	if got, _ := pageLang(fc.getIn("es-MX", "/auth/sign-in")); got != "es" {
		t.Errorf("default fr, es-MX: page in %q", got)
	}

	// The saved choice beats the browser's.
	pw := authtest.Password()
	env.CreateUser(t, "lang@example.com", pw)
	c.signIn("lang@example.com", pw)
	if got, _ := pageLang(c.getIn("de", "/auth/profile")); got != "de" {
		t.Errorf("no saved choice: profile in %q", got)
	}
	var me struct {
		User struct {
			Language string `json:"language"`
		} `json:"user"`
	}
	c.jsonIn("de", http.MethodPatch, "/auth/api/me", map[string]string{"language": "ja"}).want(http.StatusOK).decode(&me)
	if me.User.Language != "ja" {
		t.Errorf("PATCH /api/me: language %q", me.User.Language)
	}
	c.getIn("de", "/auth/api/me").want(http.StatusOK).decode(&me)
	if me.User.Language != "ja" {
		t.Errorf("GET /api/me: language %q", me.User.Language)
	}
	if got, _ := pageLang(c.getIn("de", "/auth/profile").contains("アカウント設定")); got != "ja" {
		t.Errorf("saved ja, browser de: profile in %q", got)
	}
	// A language the app lacks is refused, in the user's language, by a
	// stable code.
	e := c.jsonIn("de", http.MethodPatch, "/auth/api/me", map[string]string{"language": "xx-nope"}).wantError(http.StatusUnprocessableEntity, "unknown_language").errorBody()
	if e.Field != "language" || e.Message != "表示されている言語から選んでください。" {
		t.Errorf("unknown language: %+v", e)
	}
	// A tag is saved in its canonical form.
	c.jsonIn("", http.MethodPatch, "/auth/api/me", map[string]string{"language": "PT-br"}).want(http.StatusOK).decode(&me)
	if me.User.Language != "pt-BR" {
		t.Errorf("PT-br saved as %q", me.User.Language)
	}
	// "" forgets the choice: the browser's language again.
	c.jsonIn("", http.MethodPatch, "/auth/api/me", map[string]string{"language": ""}).want(http.StatusOK)
	if got, _ := pageLang(c.getIn("es", "/auth/profile")); got != "es" {
		t.Errorf("choice forgotten, browser es: profile in %q", got)
	}

	// The profile's select saves it too, and the notice is in the new language.
	c.do(http.MethodPost, "/auth/profile/language", "application/x-www-form-urlencoded",
		strings.NewReader(url.Values{"language": {"fr"}}.Encode()), "Accept-Language", "de").want(http.StatusSeeOther)
	p := c.getIn("de", "/auth/profile").contains("Langue enregistrée.", `<option value="fr" selected lang="fr">Français</option>`)
	if got, _ := pageLang(p); got != "fr" {
		t.Errorf("saved fr with the form: profile in %q", got)
	}
	c.do(http.MethodPost, "/auth/profile/language", "application/x-www-form-urlencoded",
		strings.NewReader(url.Values{"language": {"klingon"}}.Encode())).want(http.StatusUnprocessableEntity).contains("Choisissez l'une des langues proposées.")

	// The security log and its dates are written in the user's language.
	c.getIn("", "/auth/profile/security").contains("Connexion avec mot de passe").notContains("Signed in")
}

// JSON errors carry the message in the request's language and the code
// unchanged.
func TestErrorMessagesTranslated(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	c := flNew(t, env)
	env.CreateUser(t, "err@example.com", authtest.Password())
	for lang, want := range map[string]string{
		"":   "That email and password don't match an account.",
		"de": "E-Mail-Adresse und Passwort passen zu keinem Konto.",
		"es": "Ese correo y esa contraseña no coinciden con ninguna cuenta.",
	} {
		e := c.jsonIn(lang, http.MethodPost, "/auth/api/sign-in", map[string]string{"email": "err@example.com", "password": "wrong-password-1"}).errorBody()
		if e.Message != want {
			t.Errorf("%q: %+v, want message %q", lang, e, want)
		}
	}
	// A message with a value put in: the value survives the translation.
	if e := c.jsonIn("de", http.MethodPost, "/auth/api/sign-in", map[string]string{"colour": "blue"}).errorBody(); e.Code != "unknown_field" || e.Message != `Das Feld "colour" ist unbekannt.` {
		t.Errorf("unknown field in German: %+v", e)
	}
	// Several fields at once: every field's message is translated.
	e := c.jsonIn("fr", http.MethodPost, "/auth/api/sign-up", map[string]string{"email": "", "password": ""}).errorBody()
	if e.Message == "" || !strings.Contains(e.Message, "Saisissez") {
		t.Errorf("sign-up refusal in French: %+v", e)
	}
}

// Mail goes out in the recipient's saved language, else in the language
// of the request that caused it; over real SMTP.
func TestMailInRecipientLanguage(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t)
	env := devSMTPEnv(t, srv, func(c *auth.Config) { c.DisableNewDeviceEmails = true })
	pw := authtest.Password()
	env.CreateUser(t, "greta@example.com", pw)
	g := flNew(t, env)
	g.signIn("greta@example.com", pw)
	g.jsonIn("", http.MethodPatch, "/auth/api/me", map[string]string{"language": "de"}).want(http.StatusOK)

	// Someone with a French browser asks to reset Greta's password: the
	// mail is German, Greta's language.
	other := flNew(t, env)
	other.jsonIn("fr", http.MethodPost, "/auth/api/password/forgot", map[string]string{"email": "greta@example.com"}).want(http.StatusAccepted)
	m := srv.Wait(t, "greta@example.com", 10*time.Second)
	if m.Subject != "Setzen Sie Ihr Test App-Passwort zurück" {
		t.Errorf("subject %q", m.Subject)
	}
	for _, want := range []string{"Wir haben eine Anfrage erhalten, das Passwort Ihres Test App-Kontos zurückzusetzen.", "Der Link läuft in"} {
		if !strings.Contains(m.Text, want) || !strings.Contains(m.HTML, want) {
			t.Errorf("mail lacks %q:\n%s", want, m.Text)
		}
	}
	if !strings.Contains(m.HTML, `<html lang="de"`) {
		t.Error("the HTML mail does not say it is German")
	}

	// A new address has no saved language: the request's (Japanese).
	other.jsonIn("ja", http.MethodPost, "/auth/api/sign-up", map[string]string{"email": "kenji@example.com", "password": authtest.Password()}).want(http.StatusAccepted)
	m = srv.Wait(t, "kenji@example.com", 10*time.Second)
	if !strings.Contains(m.Subject, "の確認コードです") || !strings.Contains(m.Text, "確認コード") {
		t.Errorf("sign-up code in Japanese: %q\n%s", m.Subject, m.Text)
	}
}

// An app overrides a message and adds a language with files of its own;
// a key embedauth lacks stops New.
func TestTranslationOverrides(t *testing.T) {
	t.Parallel()
	files := fstest.MapFS{
		"en.json": {Data: []byte(`{"Welcome back. Sign in to continue.": "Good to see you again."}`)},
		"it.json": {Data: []byte(`{"Welcome back. Sign in to continue.": "Bentornato. Accedi per continuare.", "Email address": "Indirizzo email"}`)},
	}
	env := authtest.New(t, func(c *auth.Config) { c.Translations = files })
	c := flNew(t, env)
	c.getIn("en", "/auth/sign-in").contains("Good to see you again.")
	it := c.getIn("it", "/auth/sign-in").contains("Bentornato. Accedi per continuare.", "Indirizzo email", "Forgot password?")
	if got, _ := pageLang(it); got != "it" {
		t.Errorf("added language: page in %q", got)
	}

	cfg := auth.Config{DatabasePath: t.TempDir() + "/x.db", BaseURL: "http://localhost:1",
		Translations: fstest.MapFS{"de.json": {Data: []byte(`{"Sign inn": "Anmelden"}`)}}}
	if a, err := auth.New(cfg); err == nil {
		a.Close()
		t.Fatal("an unknown key was accepted")
	} else if !strings.Contains(err.Error(), `unknown message "Sign inn"`) {
		t.Errorf("error %v does not name the key", err)
	}
}

// Devices are described in the reader's language ("Chrome unter macOS"),
// on the devices page and in the JSON list of sessions.
func TestDeviceDescriptionsTranslated(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	pw := authtest.Password()
	env.CreateUser(t, "dev@example.com", pw)
	c := flNew(t, env)
	c.userAgent = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
	c.signIn("dev@example.com", pw)
	c.do(http.MethodGet, "/auth/profile?tab=devices", "", nil, "Accept-Language", "de").want(http.StatusOK).
		contains("Chrome unter macOS").notContains("Chrome on macOS")
	c.do(http.MethodGet, "/auth/api/sessions", "", nil, "Accept-Language", "fr").want(http.StatusOK).contains("Chrome sur macOS")
	c.get("/auth/profile?tab=devices").want(http.StatusOK).contains("Chrome on macOS")
}
