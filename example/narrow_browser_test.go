package main

import (
	"context"
	"crypto/rand"
	"log/slog"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/internal/browsertest"
	"github.com/embedauth/auth/internal/smtptest"
	"github.com/embedauth/auth/mail"
)

// TestBrowserNarrowScreen uses the example on a 360 px wide phone: signing
// up, the dashboard with the organization switcher and the user button in
// the app's header (menus closed and open), the profile and the
// organization's pages all fit the screen without horizontal scrolling.
func TestBrowserNarrowScreen(t *testing.T) {
	tab := browsertest.Browser(t)
	smtp := smtptest.Start(t)
	key := make([]byte, 32)
	rand.Read(key)
	base := startExample(t, func(c *auth.Config) {
		c.SMTP = &mail.SMTPConfig{Host: smtp.Host(), Port: smtp.Port(), From: "Notes <no-reply@example.com>", TLS: mail.TLSNone}
		devMode := false
		c.DevMode = &devMode
		c.EncryptionKey = key
		c.Logger = slog.New(slog.NewTextHandler(t.Output(), nil))
	})
	const width = 360
	tab.Do("phone viewport", chromedp.EmulateViewport(width, 780))
	b := &orgBrowser{t: t, tab: tab, base: base, smtp: smtp}
	fits := func(what string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(tab.Context(), browsertest.DefaultTimeout)
		defer cancel()
		over, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - document.documentElement.clientWidth`))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if over > 0 {
			// Name what sticks out, for the reader of the failure.
			wide, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > innerWidth).map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className ? "." + e.className : "")).slice(0, 8).join(", ")`))
			t.Logf("%s: past the right edge: %s", what, wide)
			tab.Screenshot("narrow-" + strings.ReplaceAll(what, " ", "-") + ".png")
			t.Errorf("%s at %d px: %d px of horizontal scroll", what, width, over)
		}
	}

	b.ok("sign-up page", tab.Navigate(base+"/auth/sign-up?redirect_url=/dashboard"))
	fits("sign-up")
	b.signUp("Ada Lovelace-Byron", "ada.lovelace.byron@analytical-engine.example.com", "ada lovelace engine notes 1843", true)
	fits("dashboard")
	b.openSwitcher()
	fits("switcher open")
	b.ok("create organization page", tab.ClickAndWait(".ea-orgswitcher .ea-menu-create"))
	fits("create organization")
	tab.Fill("#name", "Analytical Engine Society of London")
	b.ok("create organization", tab.Submit("#name"))
	b.wantOrg("Analytical Engine Society of London")
	fits("dashboard of the organization")
	b.openSwitcher()
	fits("switcher of the organization open")
	b.ok("manage organization", tab.ClickAndWait(".ea-orgswitcher .ea-menu-manage"))
	orgPath := tab.Path()
	fits("organization profile")
	for _, tabName := range []string{"members", "invitations", "domains", "roles"} {
		b.ok(tabName, tab.Navigate(base+orgPath+"?tab="+tabName))
		fits("organization " + tabName)
	}
	b.ok("dashboard", tab.Navigate(base+"/dashboard"))
	tab.Click(".ea-userbutton summary")
	tab.WaitVisible(".ea-userbutton .ea-menu")
	fits("user button open")
	tab.Screenshot("narrow-dashboard-menu.png")
	b.ok("profile", tab.ClickAndWait(`.ea-userbutton .ea-menu a[href="/auth/profile"]`))
	fits("profile")
	b.ok("security log", tab.Navigate(base+"/auth/profile/security"))
	fits("security log")
	b.ok("two-step verification", tab.Navigate(base+"/auth/profile/mfa"))
	b.ok("set up an authenticator app", tab.Submit(`form[action="/auth/profile/mfa/totp"]`))
	tab.WaitVisible("#totp-uri")
	fits("authenticator app setup")
}
