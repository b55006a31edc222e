package auth_test

import (
	"context"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/authtest"
	"github.com/embedauth/auth/internal/browsertest"
	"github.com/embedauth/auth/internal/i18n"
)

// lbAppPage serves, on localhost (so the browser sends the same cookie),
// an app page with both components and their stylesheet.
func lbAppPage(t *testing.T, env *authtest.Env) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	page := template.Must(template.New("app").Parse(`<!doctype html><html><head><meta name="viewport" content="width=device-width, initial-scale=1">{{.Styles}}</head>` +
		`<body style="margin:0"><nav style="display:flex;justify-content:space-between;padding:8px">{{.Switcher}}{{.Button}}</nav><h1>App</h1></body></html>`))
	srv := httptest.NewUnstartedServer(env.Auth.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := env.Auth.Components(r)
		// The stylesheet comes from env's origin (the app runs on another port).
		page.Execute(w, map[string]any{"Styles": template.HTML(`<link rel="stylesheet" href="` + env.URL + `/auth/static/components.css">`), "Button": c.UserButton(), "Switcher": c.OrganizationSwitcher()})
	})))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return fmt.Sprintf("http://localhost:%d/", ln.Addr().(*net.TCPAddr).Port)
}

// TestBrowserPagesInEveryLanguage renders the pages (sign-in, sign-up,
// profile and its sections, two-step settings, reverification, the
// organization pages, the admin pages, the components with their menus
// open) in every language at 390 px wide, and fails when any of
// them scrolls sideways: a long German word or a right-to-left Arabic
// page must still fit a phone. With EMBEDAUTH_SCREENSHOTS set it saves
// the German and Japanese sign-in pages the README shows.
func TestBrowserPagesInEveryLanguage(t *testing.T) {
	out := browsertest.Browser(t) // signed out
	in := browsertest.Browser(t)  // signed in
	env := authtest.New(t)
	app := lbAppPage(t, env)
	cat, err := i18n.New(i18n.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pw := authtest.Password()
	user := env.CreateUser(t, "wilhelmine.zwetschgenbaum@example.com", pw)
	// An administrator, for the admin pages too.
	if err := env.Auth.SetAdmin(context.Background(), auth.AdminActor{Email: "test"}, user.ID, true); err != nil {
		t.Fatal(err)
	}
	if st := in.Navigate(env.URL + "/auth/sign-in"); st != http.StatusOK {
		t.Fatalf("sign-in page: %d", st)
	}
	in.Fill("#email", "wilhelmine.zwetschgenbaum@example.com")
	in.Fill("#password", pw)
	if st := in.Submit("#password"); st != http.StatusOK {
		t.Fatalf("sign in: %d", st)
	}
	ectx, cancel := context.WithTimeout(in.Context(), browsertest.DefaultTimeout)
	orgID, err := chromedp.Run(ectx, chromedp.Evaluate[string](`fetch("/auth/api/orgs", {method: "POST", headers: {"Content-Type": "application/json"},
		body: JSON.stringify({name: "Internationale Zusammenarbeitsgesellschaft"})}).then(r => r.json()).then(j => j.id || j.organization && j.organization.id || JSON.stringify(j))`, chromedp.EvalAwaitPromise))
	cancel()
	if err != nil {
		t.Fatal(err)
	}

	setLanguage := func(tab *browsertest.Tab, lang string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(tab.Context(), browsertest.DefaultTimeout)
		defer cancel()
		if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
			t.Fatal(err)
		}
		if _, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": lang}}); err != nil {
			t.Fatal(err)
		}
	}
	overflow := func(tab *browsertest.Tab) int {
		t.Helper()
		ctx, cancel := context.WithTimeout(tab.Context(), browsertest.DefaultTimeout)
		defer cancel()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("details").forEach(d => d.open = true),
			document.documentElement.scrollWidth - document.documentElement.clientWidth`))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	htmlLang := func(tab *browsertest.Tab) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(tab.Context(), browsertest.DefaultTimeout)
		defer cancel()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.lang + " " + document.documentElement.dir`))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	signedOut := []string{"/auth/sign-in", "/auth/sign-up", "/auth/forgot", "/auth/sign-up/passkey"}
	signedIn := []string{"/auth/profile", "/auth/profile?tab=security", "/auth/profile?tab=devices", "/auth/profile?tab=organizations",
		"/auth/profile/mfa", "/auth/profile/security", "/auth/reverify", "/auth/orgs", "/auth/orgs/new", "/auth/orgs/" + orgID,
		"/auth/orgs/" + orgID + "?tab=members", "/auth/orgs/" + orgID + "?tab=domains",
		"/auth/admin/users", "/auth/admin/users/" + user.ID, "/auth/admin/audit", "/auth/admin/sign-up", "/auth/admin/webhooks"}
	for _, tab := range []*browsertest.Tab{out, in} {
		tab.Do("phone viewport", chromedp.EmulateViewport(390, 844))
	}
	for _, lang := range cat.Languages() {
		want := lang + " " + cat.Lookup(lang).Dir()
		check := func(tab *browsertest.Tab, url string, page bool) {
			t.Helper()
			if st := tab.Navigate(url); st != http.StatusOK {
				t.Errorf("%s %s: status %d", lang, url, st)
				return
			}
			if got := htmlLang(tab); page && got != want {
				t.Errorf("%s %s: <html> is %q, want %q", lang, url, got, want)
			}
			if n := overflow(tab); n > 0 {
				tab.Screenshot("overflow-" + lang + "-" + filepath.Base(url) + ".png")
				t.Errorf("%s %s at 390 px: %d px of horizontal scroll", lang, url, n)
			}
		}
		setLanguage(out, lang)
		setLanguage(in, lang)
		for _, p := range signedOut {
			check(out, env.URL+p, true)
		}
		if os.Getenv(envScreenshots) != "" && (lang == "de" || lang == "ja") {
			out.Navigate(env.URL + "/auth/sign-in")
			ctx, cancel := context.WithTimeout(out.Context(), browsertest.DefaultTimeout)
			png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			cancel()
			if err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(filepath.Join("docs", "screenshots"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join("docs", "screenshots", "sign-in-"+lang+".png"), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		for _, p := range signedIn {
			check(in, env.URL+p, true)
		}
		check(in, app, false)
	}
}
