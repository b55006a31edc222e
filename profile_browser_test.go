package auth_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/embedauth/auth/authtest"
	"github.com/embedauth/auth/internal/browsertest"
)

func prEval[T any](t *testing.T, tab *browsertest.Tab, js string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab.Context(), browsertest.DefaultTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// TestBrowserProfileSections walks the profile page as a person would: a
// navigation bar between short sections, each showing its own forms, and
// a profile picture chosen with the file input, shown in the header once
// uploaded.
func TestBrowserProfileSections(t *testing.T) {
	tab := browsertest.Browser(t)
	env := authtest.New(t)
	pw := authtest.Password()
	env.CreateUser(t, "pia@example.com", pw)

	if st := tab.Navigate(env.URL + "/auth/sign-in?redirect_url=%2Fauth%2Fprofile"); st != http.StatusOK {
		t.Fatalf("sign-in page: %d", st)
	}
	tab.Fill("#email", "pia@example.com")
	tab.Fill("#password", pw)
	if st := tab.Submit("#password"); st != http.StatusOK || tab.Path() != "/auth/profile" {
		t.Fatalf("signed in at %s (%d)", tab.Path(), st)
	}
	if got := prEval[string](t, tab, `[...document.querySelectorAll("nav.ea-tabs a")].map(a => a.textContent).join("|")`); got != "Profile|Security|Devices|Organizations" {
		t.Fatalf("navigation %q", got)
	}
	for _, s := range []struct{ tab, path, shows, hides string }{
		{"#tab-security", "/auth/profile?tab=security", "#password", "#sessions"},
		{"#tab-devices", "/auth/profile?tab=devices", "#sessions", "#password"},
		{"#tab-organizations", "/auth/profile?tab=organizations", "#organizations", "#avatar"},
		{"#tab-profile", "/auth/profile", "#avatar", "#delete"},
	} {
		if st := tab.ClickAndWait(s.tab); st != http.StatusOK || tab.Path() != s.path {
			t.Fatalf("%s: at %s (%d)", s.tab, tab.Path(), st)
		}
		if !prEval[bool](t, tab, `document.querySelector("`+s.shows+`") !== null && document.querySelector("`+s.hides+`") === null`) {
			t.Errorf("%s: does not show %s alone", s.path, s.shows)
		}
		if cur := prEval[string](t, tab, `document.querySelector("nav.ea-tabs [aria-current=page]").id`); "#"+cur != s.tab {
			t.Errorf("%s: the current tab is #%s", s.path, cur)
		}
		// One page with every form open was 2,200 px.
		if h := prEval[float64](t, tab, `document.documentElement.scrollHeight`); h > 1600 {
			t.Errorf("%s is %.0f px tall", s.path, h)
		}
		if s.tab == "#tab-security" {
			tab.Screenshot("profile-security.png")
		}
	}

	// A picture, chosen with the file input.
	file := filepath.Join(t.TempDir(), "me.png")
	if err := os.WriteFile(file, avatarPNG(t, 800, 500), 0o600); err != nil {
		t.Fatal(err)
	}
	tab.Do("choose a picture", chromedp.SetUploadFiles(chromedp.CSS("#image"), []string{file}))
	if st := tab.ClickAndWait(`#avatar button[type="submit"]`); st != http.StatusOK {
		t.Fatalf("upload: %d", st)
	}
	if got := tab.Text(".ea-alert-info"); !strings.Contains(got, "picture was saved") {
		t.Errorf("after upload: %q", got)
	}
	if w := prEval[float64](t, tab, `new Promise(r => { const i = document.querySelector(".ea-profile-header img"); i.complete ? r(i.naturalWidth) : i.onload = () => r(i.naturalWidth) })`); w != 256 {
		t.Fatalf("the header picture is %.0f px wide, want the 256 px square", w)
	}
	tab.Screenshot("profile-picture.png")
	if st := tab.ClickAndWait(`form[action="/auth/profile/avatar/remove"] button`); st != http.StatusOK {
		t.Fatalf("remove: %d", st)
	}
	if prEval[bool](t, tab, `document.querySelector(".ea-profile-header img") !== null`) {
		t.Error("the picture is still shown after removal")
	}
}
