package ui_test

// Layout tests in headless Chromium: the pages and components are served
// straight from a UI (no Auth, no database) under the same strict
// Content-Security-Policy the library's pages get, and measured in the
// browser.

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/embedauth/auth/internal/browsertest"
	"github.com/embedauth/auth/ui"
)

// TestMain shares one Chromium among the package's browser tests and
// closes it at the end. Tests that need no browser never start it.
func TestMain(m *testing.M) { browsertest.Main(m) }

// pageCSP is the policy of the library's pages (respond.go): no inline
// script or style, so a page that needs one breaks here as it would there.
const pageCSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// servePages serves u's static files under /auth/static and the page
// with pages[key] at /page/key, and returns the server's URL. A key is a
// page's name, optionally followed by ":" and a variant ("org-profile:members").
func servePages(t *testing.T, u *ui.UI, pages map[string]any) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/auth/static/", http.StripPrefix("/auth/static", u.Static()))
	mux.HandleFunc("GET /page/{name}", func(w http.ResponseWriter, r *http.Request) {
		data, ok := pages[r.PathValue("name")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		name, _, _ := strings.Cut(r.PathValue("name"), ":")
		w.Header().Set("Content-Security-Policy", pageCSP)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := u.Render(w, name, data); err != nil {
			t.Errorf("render %s: %v", r.PathValue("name"), err)
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// eval evaluates the JavaScript expression js in the tab and returns its
// value.
func eval[T any](t *testing.T, tab *browsertest.Tab, js string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab.Context(), browsertest.DefaultTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// open navigates tab to url and fails unless the answer is 200.
func open(t *testing.T, tab *browsertest.Tab, url string) {
	t.Helper()
	if status := tab.Navigate(url); status != http.StatusOK {
		t.Fatalf("%s: HTTP status %d", url, status)
	}
}

// TestBrowserOtpauthURIWraps: the otpauth:// URI on the authenticator-app
// setup page is one long word; it must wrap inside the card rather than
// run past its edge.
func TestBrowserOtpauthURIWraps(t *testing.T) {
	tab := browsertest.Browser(t)
	u := newUI(t)
	base := servePages(t, u, map[string]any{"mfa": ui.MFA{Page: page(), HasPassword: true, Pending: &ui.MFAEnrolment{
		QR:     "data:image/png;base64,AA==",
		URL:    "otpauth://totp/Acme%20Test:ada.lovelace%40example.com?algorithm=SHA1&digits=6&issuer=Acme%20Test&period=30&secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
		Secret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
	}}})
	open(t, tab, base+"/page/mfa")
	// How far the URI's box reaches past the card's content box, in px.
	over := eval[float64](t, tab, `(() => {
		const card = document.querySelector(".ea-card"), uri = document.querySelector("#totp-uri");
		const pad = parseFloat(getComputedStyle(card).paddingRight);
		return uri.getBoundingClientRect().right - (card.getBoundingClientRect().right - pad);
	})()`)
	if over > 0.5 {
		tab.Screenshot("otpauth-overflow.png")
		t.Errorf("the otpauth URI runs %.0f px past the card's content edge", over)
	}
	if got := eval[string](t, tab, `document.querySelector("#totp-uri").textContent`); got == "" {
		t.Error("the URI is not shown")
	}
}

// longOtpauthURI is what an authenticator enrolment shows for a long
// address: one 150-character word.
const longOtpauthURI = "otpauth://totp/Acme%20Test:ada.lovelace%40example.com?algorithm=SHA1&digits=6&issuer=Acme%20Test&period=30&secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

// narrowPages is every page with data, plus the organization profile's
// tabs with rows, for the narrow-screen test.
func narrowPages() map[string]any {
	pages := pageData()
	p := page()
	mfa := pages["mfa"].(ui.MFA)
	mfa.Pending = &ui.MFAEnrolment{QR: "data:image/png;base64,AA==", URL: longOtpauthURI, Secret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"}
	pages["mfa"] = mfa
	// A long address is one long word on the profile.
	prof := pages["profile"].(ui.Profile)
	prof.User.Name, prof.User.Email = "Ada Lovelace-Byron", "ada.lovelace.byron@analytical-engine.example.com"
	pages["profile"] = prof
	for _, tab := range []string{"security", "devices", "organizations"} {
		pt := prof
		pt.Tab = tab
		pt.Tabs = []ui.ProfileTab{{Key: "", Label: "Profile"}, {Key: "security", Label: "Security"}, {Key: "devices", Label: "Devices"},
			{Key: "connections", Label: "Connected accounts"}, {Key: "organizations", Label: "Organizations"}}
		pt.Sessions = []ui.SessionView{{ID: "s1", Device: "Chrome on Android", IP: "203.0.113.77", Current: true}, {ID: "s2", Device: "Firefox on Windows", IP: "2001:db8::1234:5678"}}
		pt.Orgs = []ui.OrgView{{ID: "org_1", Name: "Acme Corporation International", Initials: "AC", RoleName: "Admin", Active: true}}
		pt.Invitations = []ui.PendingInvitationView{{ID: "inv_1", OrgName: "Analytical Engines Limited", Initials: "AE", RoleName: "Member"}}
		pages["profile:"+tab] = pt
	}
	org := ui.OrgView{ID: "org_1", Name: "Acme Corporation International", Initials: "AC", RoleName: "Admin"}
	tabs := []ui.OrgTab{{Key: "general", Label: "General"}, {Key: "members", Label: "Members"}, {Key: "invitations", Label: "Invitations"}, {Key: "domains", Label: "Domains"}, {Key: "roles", Label: "Roles"}}
	roles := []ui.Option{{Value: "org:admin", Label: "Admin"}, {Value: "org:member", Label: "Member"}}
	for _, tab := range []string{"members", "invitations", "domains", "roles"} {
		pages["org-profile:"+tab] = ui.OrgProfile{Page: p, Org: org, Tab: tab, Tabs: tabs, CanManage: true, CanDelete: true,
			CanManageMembers: true, CanManageDomains: true, CanManageRoles: true, HasPassword: true,
			Members: []ui.MemberView{{UserID: "user_1", Name: "Ada Lovelace", Email: "ada.lovelace@example.com", Initials: "AL", Role: "org:admin", RoleName: "Admin", You: true},
				{UserID: "user_2", Name: "Charles Babbage", Email: "charles.babbage@analytical-engine.example.com", Initials: "CB", Role: "org:member", RoleName: "Member", Manageable: true}},
			Invitations: []ui.InvitationView{{ID: "inv_1", Email: "grace.hopper@example.com", RoleName: "Member", Status: "pending"}},
			Requests:    []ui.RequestView{{ID: "req_1", Email: "alan.turing@example.com", Name: "Alan Turing"}},
			Domains:     []ui.DomainView{{ID: "dom_1", Name: "analytical-engine.example.com", ModeName: "Automatic invitation", Verified: true}, {ID: "dom_2", Name: "acme.test", ModeName: "Manual invitation", CodeSent: true}},
			Roles:       []ui.RoleView{{Key: "org:admin", Name: "Admin", Description: "Manages the organization.", Permissions: []string{"org:sys_memberships:manage"}}, {Key: "org:support", Name: "Support", Description: "Reads members.", Editable: true}},
			Permissions: []ui.PermissionView{{Key: "org:sys_memberships:manage", Name: "Manage members"}, {Key: "org:notes:delete", Name: "Delete notes", Editable: true}},
			RoleOptions: roles, ModeOptions: []ui.Option{{Value: "manual_invitation", Label: "Manual: invitations only"},
				{Value: "automatic_suggestion", Label: "Automatic suggestion: ask to join, an admin accepts"}}}
	}
	return pages
}

// narrowWidth is the width of a small phone.
const narrowWidth = 360

// overflow returns how far the document is wider than the viewport, in px.
func overflow(t *testing.T, tab *browsertest.Tab) int {
	t.Helper()
	return eval[int](t, tab, `document.documentElement.scrollWidth - document.documentElement.clientWidth`)
}

// TestBrowserPagesFitNarrowScreens: at 360 px every page of the library
// fits the screen, with no horizontal scrolling.
func TestBrowserPagesFitNarrowScreens(t *testing.T) {
	tab := browsertest.Browser(t)
	u := newUI(t)
	pages := narrowPages()
	base := servePages(t, u, pages)
	tab.Do("narrow viewport", chromedp.EmulateViewport(narrowWidth, 800))
	for key := range pages {
		open(t, tab, base+"/page/"+key)
		if over := overflow(t, tab); over > 0 {
			tab.Screenshot("narrow-" + strings.ReplaceAll(key, ":", "-") + ".png")
			t.Errorf("page %s at %d px: %d px of horizontal scroll", key, narrowWidth, over)
		}
	}
}

// hostCSS is an app's own header: a bar with the app's name on the left
// and, on the right, the organization switcher, a link and the user button,
// as in the example app.
const hostCSS = `body { margin: 0; font-family: system-ui, sans-serif; }
.bar { display: flex; justify-content: space-between; align-items: center; gap: 8px; padding: 12px 16px; border-bottom: 1px solid #ddd; }
.bar > div { display: flex; align-items: center; gap: 8px; }
.bar a { font-weight: 700; }
`

// serveHost serves an app's page with both components in its header at
// /host (and its stylesheet at /host.css), as an app would place them,
// with the library's static files under /auth/static. It returns the
// server's URL.
func serveHost(t *testing.T, u *ui.UI) string {
	t.Helper()
	acme := ui.OrgView{ID: "org_1", Name: "Acme Corporation International", Slug: "acme", Initials: "AC", RoleName: "Admin", Active: true}
	switcher, err := u.Component("org-switcher.html", ui.OrgSwitcher{Base: "/auth", Active: &acme, UserName: "Ada Lovelace",
		UserEmail: "ada.lovelace@example.com", Initials: "AL", RedirectURL: "/host",
		Orgs:        []ui.OrgView{acme, {ID: "org_2", Name: "Analytical Engine Society", Slug: "aes", Initials: "AE"}},
		Suggestions: []ui.SuggestionView{{OrgID: "org_3", Name: "Difference Engine Club", Initials: "DE", AutoJoin: true}}})
	if err != nil {
		t.Fatal(err)
	}
	button, err := u.Component("user-button.html", ui.UserButton{Base: "/auth", Initials: "AL", Name: "Ada Lovelace",
		Email: "ada.lovelace@example.com", ProfileURL: "/auth/profile"})
	if err != nil {
		t.Fatal(err)
	}
	html := `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
		`<title>Host</title>` + string(u.Stylesheets("/auth")) + `<link rel="stylesheet" href="/host.css"></head><body>` +
		`<nav class="bar"><a href="/host" id="home">Notes</a><div>` + string(switcher) + ` <a href="/host">Dashboard</a> ` + string(button) + `</div></nav>` +
		`<main id="outside"><h1>Dashboard</h1><p>The app's own content.</p></main></body></html>`
	mux := http.NewServeMux()
	mux.Handle("/auth/static/", http.StripPrefix("/auth/static", u.Static()))
	mux.HandleFunc("GET /host", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", pageCSP)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, html)
	})
	mux.HandleFunc("GET /host.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		io.WriteString(w, hostCSS)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestBrowserComponentsFitNarrowScreens: at 360 px an app's header with the
// organization switcher and the user button fits the screen, with either
// menu open, and the user button is not clipped; on a wide screen the
// switcher still names the organization.
func TestBrowserComponentsFitNarrowScreens(t *testing.T) {
	tab := browsertest.Browser(t)
	base := serveHost(t, newUI(t))
	open(t, tab, base+"/host")
	if got := eval[string](t, tab, `document.querySelector(".ea-orgswitcher-name").innerText`); got != "Acme Corporation International" {
		t.Errorf("wide screen: the switcher shows %q, want the organization's name", got)
	}

	tab.Do("narrow viewport", chromedp.EmulateViewport(narrowWidth, 800))
	open(t, tab, base+"/host")
	for _, menu := range []string{"", ".ea-orgswitcher", ".ea-userbutton"} {
		if menu != "" {
			eval[bool](t, tab, `document.querySelector("`+menu+`").open = true`)
		}
		name := "closed menus"
		if menu != "" {
			name = menu + " open"
		}
		if over := overflow(t, tab); over > 0 {
			tab.Screenshot("narrow-host" + strings.ReplaceAll(menu, ".", "-") + ".png")
			t.Errorf("%s at %d px: %d px of horizontal scroll", name, narrowWidth, over)
		}
		// Every part of the components, menus included, is on screen.
		if out := eval[string](t, tab, `[...document.querySelectorAll(".ea-userbutton, .ea-orgswitcher, details[open] .ea-menu")]
			.filter(e => { const r = e.getBoundingClientRect(); return r.left < 0 || r.right > innerWidth })
			.map(e => e.className).join(", ")`); out != "" {
			tab.Screenshot("narrow-host-clipped" + strings.ReplaceAll(menu, ".", "-") + ".png")
			t.Errorf("%s at %d px: %s reach past the screen's edge", name, narrowWidth, out)
		}
		if menu != "" {
			eval[bool](t, tab, `document.querySelector("`+menu+`").open = false`)
		}
	}
	tab.Screenshot("narrow-host.png")
}

// isOpen reports whether the <details> the selector matches is open.
func isOpen(t *testing.T, tab *browsertest.Tab, sel string) bool {
	t.Helper()
	return eval[bool](t, tab, `document.querySelector("`+sel+`").open`)
}

// TestBrowserMenusCloseLikeMenus: the user button's and the organization
// switcher's menus, in an app's page under a strict CSP, behave like
// menus: opening one closes the other, Escape closes the open one and
// gives focus back to its button, and a click elsewhere closes it, while
// a click inside it does not.
func TestBrowserMenusCloseLikeMenus(t *testing.T) {
	tab := browsertest.Browser(t)
	base := serveHost(t, newUI(t))
	open(t, tab, base+"/host")
	const (
		switcher = ".ea-orgswitcher"
		button   = ".ea-userbutton"
	)
	want := func(step string, switcherOpen, buttonOpen bool) {
		t.Helper()
		if got := isOpen(t, tab, switcher); got != switcherOpen {
			t.Errorf("%s: switcher open = %v, want %v", step, got, switcherOpen)
		}
		if got := isOpen(t, tab, button); got != buttonOpen {
			t.Errorf("%s: user button open = %v, want %v", step, got, buttonOpen)
		}
	}

	tab.Click(switcher + " > summary")
	want("switcher clicked", true, false)
	tab.Click(button + " > summary")
	want("then the user button clicked", false, true)
	tab.Click(switcher + " > summary")
	want("then the switcher clicked again", true, false)

	tab.Click(switcher + " .ea-menu-who")
	want("a click inside the switcher's menu", true, false)
	tab.Do("press Escape", chromedp.KeyEvent(kb.Escape))
	want("Escape", false, false)
	if got := eval[bool](t, tab, `document.activeElement === document.querySelector("`+switcher+` > summary")`); !got {
		t.Error("after Escape the focus is not on the switcher's button")
	}

	tab.Click(button + " > summary")
	want("user button clicked", false, true)
	tab.Click("#outside h1")
	want("a click on the app's page", false, false)
}

// TestBrowserMenusOpenWithoutJavaScript: with scripts off, both menus
// still open and close.
func TestBrowserMenusOpenWithoutJavaScript(t *testing.T) {
	tab := browsertest.Browser(t)
	base := serveHost(t, newUI(t))
	tab.Do("turn JavaScript off", func(ctx context.Context, _ *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return chromedp.Void{}, err
	})
	open(t, tab, base+"/host")
	for _, menu := range []string{".ea-orgswitcher", ".ea-userbutton"} {
		tab.Click(menu + " > summary")
		tab.WaitVisible(menu + " .ea-menu")
		tab.Click(menu + " > summary")
		if isOpen(t, tab, menu) {
			t.Errorf("%s: a second click on its button left it open", menu)
		}
	}
}
