// Package captcha verifies bot-protection challenges on the server: the
// token a widget such as Cloudflare Turnstile or hCaptcha puts in a form
// is posted to the provider's siteverify endpoint with the secret key,
// and the answer decides.
//
// [Verifier] is the one interface sign-up and sign-in call; [Turnstile]
// and [HCaptcha] are its adapters. Both speak the same siteverify
// protocol: a form-encoded POST of secret, response and remoteip,
// answered with JSON {"success": bool, "hostname": "...",
// "error-codes": [...]}.
package captcha

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/embedauth/auth/core"
)

// Refusals of a challenge.
var (
	// ErrRequired is a request without a challenge token.
	ErrRequired = core.Invalid("captcha_token", "captcha_required", "Complete the check that you're not a robot, then try again.")
	// ErrFailed is a token the provider did not accept, or accepted for
	// another site.
	ErrFailed = core.Invalid("captcha_token", "captcha_failed", "The check that you're not a robot failed. Try again.")
	// ErrUnavailable is a provider that did not answer as it should.
	ErrUnavailable = core.Refuse(core.ErrUnavailable, "captcha_unavailable",
		"We couldn't check that you're not a robot just now. Try again in a moment.")
)

// Verifier checks a challenge token that a browser solved. It returns nil
// or a refusal ([ErrRequired], [ErrFailed], [ErrUnavailable]).
type Verifier interface {
	Verify(ctx context.Context, token, remoteIP string) error
}

// Widget describes a provider's browser widget, for the pages that show
// it.
type Widget struct {
	// ScriptURL is the widget's script.
	ScriptURL string
	// Class is the class of the element the script turns into a widget.
	Class string
	// Field is the form field the widget fills with its token.
	Field string
	// Origins are the origins the page's Content-Security-Policy must
	// allow for scripts, frames and connections.
	Origins []string
}

// Siteverify endpoints and widgets of the providers.
const (
	TurnstileVerifyURL = "https://challenges.cloudflare.com/turnstile/v0/siteverify"
	HCaptchaVerifyURL  = "https://api.hcaptcha.com/siteverify"
)

// TurnstileWidget and HCaptchaWidget are the providers' widgets.
var (
	TurnstileWidget = Widget{ScriptURL: "https://challenges.cloudflare.com/turnstile/v0/api.js", Class: "cf-turnstile",
		Field: "cf-turnstile-response", Origins: []string{"https://challenges.cloudflare.com"}}
	HCaptchaWidget = Widget{ScriptURL: "https://js.hcaptcha.com/1/api.js", Class: "h-captcha",
		Field: "h-captcha-response", Origins: []string{"https://hcaptcha.com", "https://*.hcaptcha.com"}}
)

// Siteverify is a [Verifier] for a provider speaking the siteverify
// protocol. [Turnstile] and [HCaptcha] return one set up for their
// provider.
type Siteverify struct {
	// URL is the siteverify endpoint.
	URL string
	// Secret is the secret key.
	Secret string
	// Hostnames, when set, are the only hostnames a solved challenge may
	// come from (the answer's "hostname").
	Hostnames []string
	// Client makes the request. Default: a client with a 10 s timeout.
	Client *http.Client
}

// Turnstile returns a Verifier of Cloudflare Turnstile tokens. verifyURL
// may be empty (the real endpoint).
func Turnstile(secret, verifyURL string, hostnames ...string) *Siteverify {
	if verifyURL == "" {
		verifyURL = TurnstileVerifyURL
	}
	return &Siteverify{URL: verifyURL, Secret: secret, Hostnames: hostnames}
}

// HCaptcha returns a Verifier of hCaptcha tokens. verifyURL may be empty
// (the real endpoint).
func HCaptcha(secret, verifyURL string, hostnames ...string) *Siteverify {
	if verifyURL == "" {
		verifyURL = HCaptchaVerifyURL
	}
	return &Siteverify{URL: verifyURL, Secret: secret, Hostnames: hostnames}
}

// MaxTokenLength bounds a token: Turnstile's are at most 2048 characters.
const MaxTokenLength = 4096

var defaultClient = &http.Client{Timeout: 10 * time.Second}

// answer is the siteverify JSON answer.
type answer struct {
	Success    bool     `json:"success"`
	Hostname   string   `json:"hostname"`
	ErrorCodes []string `json:"error-codes"`
}

// Verify posts token to the siteverify endpoint and checks the answer.
func (v *Siteverify) Verify(ctx context.Context, token, remoteIP string) error {
	token = strings.TrimSpace(token)
	if token == "" {
		return ErrRequired
	}
	if len(token) > MaxTokenLength {
		return ErrFailed
	}
	form := url.Values{"secret": {v.Secret}, "response": {token}}
	if remoteIP != "" {
		form.Set("remoteip", remoteIP)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, v.URL, strings.NewReader(form.Encode()))
	if err != nil {
		return ErrUnavailable.With(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	client := v.Client
	if client == nil {
		client = defaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return ErrUnavailable.With(fmt.Errorf("captcha: siteverify: %w", err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return ErrUnavailable.With(fmt.Errorf("captcha: siteverify: status %d", resp.StatusCode))
	}
	var a answer
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&a); err != nil {
		return ErrUnavailable.With(fmt.Errorf("captcha: siteverify: %w", err))
	}
	if !a.Success {
		return ErrFailed.With(fmt.Errorf("captcha: siteverify: %v", a.ErrorCodes))
	}
	if len(v.Hostnames) > 0 && !hostAllowed(v.Hostnames, a.Hostname) {
		return ErrFailed.With(fmt.Errorf("captcha: solved on %q", a.Hostname))
	}
	return nil
}

func hostAllowed(list []string, host string) bool {
	for _, h := range list {
		if strings.EqualFold(h, host) {
			return true
		}
	}
	return false
}
