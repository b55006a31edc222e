package auth_test

// Impersonation and the sign-up page's word on who may sign up, end to end
// in headless Chromium (the shared browser of passkey_browser_test.go),
// driven with the MFA tests' tab helpers (mfa_browser_test.go).

import (
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/authtest"
)

// gbAppPage serves, on localhost (so the browser sends the same cookie),
// an app page of env's with the user button component.
func gbAppPage(t *testing.T, env *authtest.Env) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	page := template.Must(template.New("app").Parse(`<!doctype html><html><head>{{.Styles}}</head><body><nav>{{.Button}}</nav><h1>App</h1></body></html>`))
	srv := httptest.NewUnstartedServer(env.Auth.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page.Execute(w, map[string]any{"Styles": template.HTML(`<link rel="stylesheet" href="` + env.URL + `/auth/static/style.css">`),
			"Button": env.Auth.UserButton(r)})
	})))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return fmt.Sprintf("http://localhost:%d/", ln.Addr().(*net.TCPAddr).Port)
}

func TestImpersonationBrowser_BannerEndAndRefusals(t *testing.T) {
	t.Parallel()
	env := imEnv(t)
	adminPW, userPW := authtest.Password(), authtest.Password()
	env.CreateUser(t, "admin@example.com", adminPW)
	user := env.CreateUser(t, "ann@example.com", userPW)
	app := gbAppPage(t, env)
	b := mbBrowser(t, env)
	b.status("sign in", b.signIn("admin@example.com", adminPW), http.StatusOK)

	// The admin user page's "Impersonate" form posts here.
	if st := b.eval(`fetch("/auth/admin/users/` + user.ID + `/impersonate", {method: "POST", body: new URLSearchParams()}).then(r => String(r.status))`); st != "200" {
		t.Fatalf("impersonate: HTTP %s", st)
	}
	b.status("profile", b.Navigate(env.URL+"/auth/profile"), http.StatusOK)
	b.WaitVisible("#impersonation-banner")
	if text := b.Text("#impersonation-banner"); !strings.Contains(text, "signed in as ann@example.com") || !strings.Contains(text, "impersonated by admin@example.com") {
		t.Fatalf("banner: %q", text)
	}
	// The app's own pages show it in the user button.
	b.status("app page", b.Navigate(app), http.StatusOK)
	b.WaitVisible("#impersonation-banner")
	b.WaitVisible("#end-impersonation")

	// A sensitive change is refused, with a message.
	b.status("profile", b.Navigate(env.URL+"/auth/profile?tab=security"), http.StatusOK)
	b.Fill("#current_password", userPW)
	b.Fill("#new_password", authtest.Password())
	b.status("change password", b.Submit("#new_password"), http.StatusForbidden)
	if text := b.Text("main"); !strings.Contains(text, "can't be done while impersonating") {
		t.Fatalf("refusal page: %q", text)
	}

	// End impersonation: the browser is the administrator again.
	b.status("profile", b.Navigate(env.URL+"/auth/profile"), http.StatusOK)
	b.ClickAndWait("#end-impersonation")
	if p := b.Path(); p != "/auth/admin/users/"+user.ID {
		t.Errorf("ended on %s", p)
	}
	b.status("profile", b.Navigate(env.URL+"/auth/profile"), http.StatusOK)
	if n := b.eval(`String(document.querySelectorAll("#impersonation-banner").length)`); n != "0" {
		t.Fatal("the banner is still shown")
	}
	if who := b.eval(`fetch("/auth/api/me").then(r => r.json()).then(j => j.user.email)`); who != "admin@example.com" {
		t.Fatalf("after the end the browser is %s", who)
	}
	// The password was never changed.
	flNew(t, env).signIn("ann@example.com", userPW)
}

func TestSignUpBrowser_RestrictedAndWaitlistMessages(t *testing.T) {
	t.Parallel()
	env := authtest.New(t, func(c *auth.Config) { c.SignUp.Mode = auth.SignUpRestricted })
	b := mbBrowser(t, env)
	b.status("sign-up page", b.Navigate(env.URL+"/auth/sign-up"), http.StatusOK)
	if text := b.Text("#sign-up-mode"); !strings.Contains(text, "Sign-up is by invitation only") {
		t.Fatalf("restricted notice: %q", text)
	}
	b.Fill("#email", "ann@example.com")
	b.Fill("#password", authtest.Password())
	b.status("sign up", b.Submit("#password"), http.StatusForbidden)
	if text := b.Text("#form-error"); !strings.Contains(text, "Sign-up is by invitation only") {
		t.Fatalf("refusal: %q", text)
	}
	b.Fill("#email", "x@mailinator.com")
	b.Fill("#password", authtest.Password())
	b.status("disposable", b.Submit("#password"), http.StatusUnprocessableEntity)
	if text := b.Text("#email-error"); !strings.Contains(text, "Disposable email addresses") {
		t.Fatalf("disposable: %q", text)
	}

	// Waitlist mode: the page points to the waitlist, which takes the address.
	srMode(t, env, auth.SignUpSettings{Mode: auth.SignUpWaitlist})
	b.status("sign-up page", b.Navigate(env.URL+"/auth/sign-up"), http.StatusOK)
	if text := b.Text("#sign-up-mode"); !strings.Contains(text, "Join the waitlist") {
		t.Fatalf("waitlist notice: %q", text)
	}
	b.Fill("#email", "ann@example.com")
	b.Fill("#password", authtest.Password())
	b.status("sign up", b.Submit("#password"), http.StatusForbidden)
	if text := b.Text("#form-error"); !strings.Contains(text, "Join the waitlist") {
		t.Fatalf("refusal: %q", text)
	}
	b.ClickAndWait("#join-waitlist")
	b.wantPath("/auth/waitlist")
	b.Fill("#email", "ann@example.com")
	b.status("join", b.Submit("#email"), http.StatusOK)
	if text := b.Text("#waitlist-joined"); text != "You're on the list" {
		t.Fatalf("joined: %q", text)
	}
	list, err := env.Auth.Waitlist(t.Context(), "pending")
	if err != nil || len(list) != 1 || list[0].Email != "ann@example.com" {
		t.Fatalf("waitlist %+v, %v", list, err)
	}
}
