package auth_test

import (
	"bytes"
	"net/http"
	"slices"
	"testing"
	"time"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/authtest"
)

// TestT8_NoEnumerationOnSend: asking for a code or a link to an address
// with an account and to one without gives the same status, body and
// cookies, and the same time. Not parallel: it measures time.
func TestT8_NoEnumerationOnSend(t *testing.T) {
	env, sms := pwEnv(t, secQuietLog, func(c *auth.Config) {
		c.Passwordless.EmailsPerAddressPerHour = -1
		c.Passwordless.SMSPerNumberPerDay = -1
		c.Passwordless.SMSPerIPPerDay = -1
		c.Passwordless.SMSPerDay = -1
	})
	env.CreateUser(t, "kate@example.com", authtest.Password())
	phoneUser := flNew(t, env)
	phoneUser.postJSON("/auth/api/sign-up/sms", map[string]string{"phone": "+14155550111"}).want(http.StatusAccepted)
	phoneUser.postJSON("/auth/api/code/verify", map[string]string{"code": pwSMSCode(t, env, sms, "+14155550111")}).want(http.StatusOK)
	samples := 150
	if testing.Short() {
		samples = 40
	}
	for _, c := range []struct {
		name, path, field, known, unknown string
	}{
		{"EmailCode", "/auth/api/sign-in/email-code", "email", "kate@example.com", "kurt@example.com"},
		{"EmailCodeSignUp", "/auth/api/sign-up/email-code", "email", "kate@example.com", "kurt@example.com"},
		{"MagicLink", "/auth/api/sign-in/magic-link", "email", "kate@example.com", "kurt@example.com"},
		{"SMS", "/auth/api/sign-in/sms", "phone", "+14155550111", "+14155550999"}, // both mask to +1******0...
	} {
		t.Run(c.name, func(t *testing.T) {
			do := func(addr string) (secResp, time.Duration) {
				start := time.Now()
				r := secJSON(t, env.Client(), http.MethodPost, env.URL+c.path, map[string]string{c.field: addr})
				return r, time.Since(start)
			}
			rk, _ := do(c.known)
			ru, _ := do(c.unknown)
			if rk.Status != http.StatusAccepted || ru.Status != http.StatusAccepted {
				t.Fatalf("known %s, unknown %s; want 202 for both", rk, ru)
			}
			if c.field == "email" && !bytes.Equal(rk.Body, ru.Body) {
				t.Errorf("bodies differ:\nknown   %s\nunknown %s", rk.Body, ru.Body)
			}
			if c.field == "phone" && len(rk.Body) != len(ru.Body) {
				t.Errorf("bodies differ in shape:\nknown   %s\nunknown %s", rk.Body, ru.Body)
			}
			sk, su := secCookieShape(rk.Header), secCookieShape(ru.Header)
			if !slices.Equal(sk, su) || len(sk) != 1 {
				t.Errorf("cookies differ:\nknown   %q\nunknown %q", sk, su)
			}
			secSameTiming(t, samples, c.known, c.unknown, func(i int, addr string) time.Duration {
				r, d := do(addr)
				if r.Status != http.StatusAccepted {
					t.Fatalf("sample %d for %s: %s", i, addr, r)
				}
				return d
			})
		})
	}
}
