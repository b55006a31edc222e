package auth_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/authtest"
	"github.com/embedauth/auth/internal/browsertest"
)

// envScreenshots names the variable that makes TestBrowserAdminPages
// write the README's screenshots into docs/screenshots.
const envScreenshots = "EMBEDAUTH_SCREENSHOTS"

// TestBrowserAdminPages drives the admin pages in Chromium as an
// administrator: the users table with a search and a filter, a user's
// page, banning (the user is shown banned, the audit log says who did
// it), and both pages at 390 px without horizontal scrolling. With
// EMBEDAUTH_SCREENSHOTS set it saves the screenshots the README shows.
func TestBrowserAdminPages(t *testing.T) {
	tab := browsertest.Browser(t)
	env := authtest.New(t)
	ctx := context.Background()
	pw := authtest.Password()
	root := env.CreateUser(t, "grace@example.com", pw)
	if err := env.Auth.SetAdmin(ctx, auth.AdminActor{Email: "setup"}, root.ID, true); err != nil {
		t.Fatal(err)
	}
	people := []struct {
		name, email string
		verified    bool
	}{
		{"Ada Lovelace", "ada@analytical.example", true}, {"Alan Turing", "alan@bletchley.example", true},
		{"Katherine Johnson", "katherine@nasa.example", true}, {"Edsger Dijkstra", "edsger@eindhoven.example", false},
		{"Barbara Liskov", "barbara@mit.example", true}, {"Donald Knuth", "don@stanford.example", true},
		{"Margaret Hamilton", "margaret@apollo.example", false}, {"Ken Thompson", "ken@bell-labs.example", true},
	}
	ids := map[string]string{}
	for _, p := range people {
		u, err := env.Auth.AdminCreateUser(ctx, auth.AdminActor{Email: "setup"}, auth.CreateUserParams{Email: p.email, Name: p.name, EmailVerified: p.verified,
			PublicMetadata: []byte(`{"plan":"team"}`)})
		if err != nil {
			t.Fatal(err)
		}
		ids[p.email] = u.ID
	}
	if _, err := env.Auth.AdminBanUser(ctx, auth.AdminActor{Email: "setup"}, ids["ken@bell-labs.example"]); err != nil {
		t.Fatal(err)
	}
	if err := env.Auth.LockUser(ctx, auth.AdminActor{Email: "setup"}, ids["don@stanford.example"]); err != nil {
		t.Fatal(err)
	}

	status := func(what string, got int) {
		t.Helper()
		if got != http.StatusOK {
			t.Fatalf("%s: status %d", what, got)
		}
	}
	status("sign-in page", tab.Navigate(env.URL+"/auth/sign-in?redirect_url=%2Fauth%2Fadmin%2Fusers"))
	tab.Fill("#email", root.Email)
	tab.Fill("#password", pw)
	status("sign in", tab.Submit("#password"))
	if p := tab.Path(); p != "/auth/admin/users" {
		t.Fatalf("after sign-in at %s", p)
	}
	if got := tab.Text("#users tbody"); !hasAll(got, "Ada Lovelace", "Ken Thompson", "banned", "locked", "unverified") {
		t.Fatalf("users table:\n%s", got)
	}
	shoot := func(name string) {
		if os.Getenv(envScreenshots) == "" {
			return
		}
		t.Helper()
		sctx, cancel := context.WithTimeout(tab.Context(), browsertest.DefaultTimeout)
		defer cancel()
		png, err := chromedp.Run(sctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join("docs", "screenshots"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("docs", "screenshots", name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	shoot("admin-users.png")

	// Search, then a filter.
	tab.Fill("#q", "kath")
	status("search", tab.Submit("#q"))
	if got := tab.Text("#users tbody"); !hasAll(got, "Katherine Johnson") || hasAll(got, "Ada") {
		t.Fatalf("search for kath:\n%s", got)
	}
	status("banned filter", tab.Navigate(env.URL+"/auth/admin/users?filter=banned"))
	if got := tab.Text("#users tbody"); !hasAll(got, "Ken Thompson") || hasAll(got, "Ada") {
		t.Fatalf("banned users:\n%s", got)
	}

	// A user's page, and a ban from it.
	status("user page", tab.Navigate(env.URL+"/auth/admin/users/"+ids["ada@analytical.example"]))
	if got := tab.Text("#fields"); !hasAll(got, ids["ada@analytical.example"]) {
		t.Fatalf("user fields:\n%s", got)
	}
	shoot("admin-user.png")
	status("ban", tab.ClickAndWait(`#actions form[action$="/ban"] button`))
	if got := tab.Text(".ea-profile-header"); !hasAll(got, "banned") {
		t.Fatalf("after the ban:\n%s", got)
	}
	if got := tab.Text("#admin-audit"); !hasAll(got, "user.banned", root.Email) {
		t.Fatalf("audit on the user page:\n%s", got)
	}
	status("audit log", tab.ClickAndWait(`.ea-tabs a[href$="/admin/audit"]`))
	if got := tab.Text("#audit"); !hasAll(got, "user.banned", "ada@analytical.example", root.Email) {
		t.Fatalf("audit log:\n%s", got)
	}

	// A phone: no horizontal scroll.
	tab.Do("phone viewport", chromedp.EmulateViewport(390, 844))
	for _, path := range []string{"/auth/admin/users", "/auth/admin/users/" + ids["margaret@apollo.example"], "/auth/admin/audit"} {
		status(path, tab.Navigate(env.URL+path))
		ectx, cancel := context.WithTimeout(tab.Context(), browsertest.DefaultTimeout)
		over, err := chromedp.Run(ectx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - document.documentElement.clientWidth`))
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if over > 0 {
			tab.Screenshot("admin-narrow.png")
			t.Errorf("%s at 390 px: %d px of horizontal scroll", path, over)
		}
	}
}

// hasAll reports whether s holds every one of subs.
func hasAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
