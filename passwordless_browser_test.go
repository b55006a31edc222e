package auth_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/embedauth/auth/authtest"
	"github.com/embedauth/auth/internal/browsertest"
)

// TestBrowserMagicLinkCrossDeviceWithMatchCode: in headless Chromium,
// with cross-device links on, the browser that asks for a link shows a
// 2-digit code. Another browser context (the phone) opens the link: a
// blind "Continue" is refused with the field marked, the right code signs
// the phone in, and the waiting page of the first browser moves on by
// itself to "Continue here", which signs it in too.
func TestBrowserMagicLinkCrossDeviceWithMatchCode(t *testing.T) {
	laptop := browsertest.Browser(t)
	phone := browsertest.Browser(t) // another browser context: its own cookies
	env, _ := pwEnv(t, pwCrossDevice)
	const email = "browser-link@example.com"
	u := env.CreateUser(t, email, authtest.Password())

	pkStatus(t, "sign-in page", laptop.Navigate(env.URL+"/auth/sign-in?redirect_url=/app"), http.StatusOK)
	laptop.Fill("#email", email)
	pkStatus(t, "ask for a link", laptop.ClickAndWait("#method-magic-link"), http.StatusOK)
	if got := laptop.Path(); got != "/auth/magic-link/sent" {
		t.Fatalf("after asking, the page is %s", got)
	}
	match := strings.TrimSpace(laptop.Text("#match-code"))
	if len(match) != 2 || strings.Trim(match, "0123456789") != "" {
		t.Fatalf("the waiting page shows the match code %q, want 2 digits", match)
	}
	laptop.Screenshot("magic-link-sent-match-code.png")

	link := env.URL + "/auth/magic-link?token=" + pwLink(t, env, email)
	pkStatus(t, "open the link on the phone", phone.Navigate(link), http.StatusOK)
	if text := phone.Text("main"); !strings.Contains(text, "requested from another browser") {
		t.Errorf("the phone's confirmation page:\n%s", text)
	}
	// A blind click (the form leaves validation to the server).
	pkStatus(t, "confirm without the code", phone.ClickAndWait("#confirm-link"), http.StatusUnprocessableEntity)
	if msg := phone.Text("#match_code-error"); !strings.Contains(msg, "2-digit code") {
		t.Errorf("the field error says %q", msg)
	}
	phone.Screenshot("magic-link-confirm-match-code.png")
	phone.Fill("#match_code", match)
	pkStatus(t, "confirm with the code", phone.ClickAndWait("#confirm-link"), http.StatusOK)
	if got, body := phone.Path(), phone.Text("body"); got != "/app" || body != "user:"+u.ID {
		t.Fatalf("the phone is on %s showing %q, want /app signed in", got, body)
	}

	// The waiting page refreshes itself and offers to continue.
	laptop.WaitVisible("#continue-here")
	pkStatus(t, "continue on the laptop", laptop.ClickAndWait("#continue-here"), http.StatusOK)
	if got, body := laptop.Path(), laptop.Text("body"); got != "/app" || body != "user:"+u.ID {
		t.Fatalf("the laptop is on %s showing %q, want /app signed in", got, body)
	}
}
