package ui_test

// Layout tests in headless Chromium: the pages and components are served
// straight from a UI (no Auth, no database) under the same strict
// Content-Security-Policy the library's pages get, and measured in the
// browser.

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/embedauth/auth/internal/browsertest"
	"github.com/embedauth/auth/ui"
)

// TestMain shares one Chromium among the package's browser tests and
// closes it at the end. Tests that need no browser never start it.
func TestMain(m *testing.M) { browsertest.Main(m) }

// pageCSP is the policy of the library's pages (respond.go): no inline
// script or style, so a page that needs one breaks here as it would there.
const pageCSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// servePages serves u's static files under /auth/static and the page name
// with pages[name] at /page/name, and returns the server's URL.
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
		w.Header().Set("Content-Security-Policy", pageCSP)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := u.Render(w, r.PathValue("name"), data); err != nil {
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
