package captcha_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/embedauth/auth/captcha"
)

// fakeSiteverify speaks the siteverify protocol: the token "pass" from
// the expected secret succeeds on hostname "app.example"; "other-host"
// succeeds for another site; anything else fails.
type fakeSiteverify struct {
	mu   sync.Mutex
	seen []map[string]string
}

func (f *fakeSiteverify) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.seen = append(f.seen, map[string]string{"secret": r.PostForm.Get("secret"), "response": r.PostForm.Get("response"), "remoteip": r.PostForm.Get("remoteip")})
	f.mu.Unlock()
	out := map[string]any{"success": false, "error-codes": []string{"invalid-input-response"}}
	switch {
	case r.PostForm.Get("secret") != "s3cret":
		out["error-codes"] = []string{"invalid-input-secret"}
	case r.PostForm.Get("response") == "pass":
		out = map[string]any{"success": true, "hostname": "app.example"}
	case r.PostForm.Get("response") == "other-host":
		out = map[string]any{"success": true, "hostname": "evil.example"}
	}
	_ = json.NewEncoder(w).Encode(out)
}

func TestSiteverify(t *testing.T) {
	t.Parallel()
	fake := &fakeSiteverify{}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	ctx := context.Background()
	for name, v := range map[string]*captcha.Siteverify{
		"turnstile": captcha.Turnstile("s3cret", srv.URL, "app.example"),
		"hcaptcha":  captcha.HCaptcha("s3cret", srv.URL, "app.example"),
	} {
		t.Run(name, func(t *testing.T) {
			if err := v.Verify(ctx, "pass", "203.0.113.9"); err != nil {
				t.Fatalf("good token: %v", err)
			}
			for token, want := range map[string]error{
				"":                        captcha.ErrRequired,
				"wrong":                   captcha.ErrFailed,
				"other-host":              captcha.ErrFailed,
				strings.Repeat("x", 5000): captcha.ErrFailed,
			} {
				if err := v.Verify(ctx, token, ""); !errors.Is(err, want) {
					t.Errorf("token %.10q: %v, want %v", token, err, want)
				}
			}
		})
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if got := fake.seen[0]; got["secret"] != "s3cret" || got["response"] != "pass" || got["remoteip"] != "203.0.113.9" {
		t.Fatalf("siteverify got %v", got)
	}
}

func TestSiteverify_WrongSecretFails(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(&fakeSiteverify{})
	defer srv.Close()
	if err := captcha.Turnstile("wrong", srv.URL).Verify(context.Background(), "pass", ""); !errors.Is(err, captcha.ErrFailed) {
		t.Fatalf("wrong secret: %v", err)
	}
}

func TestSiteverify_ProviderDown(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusBadGateway)
	}))
	defer srv.Close()
	if err := captcha.HCaptcha("s3cret", srv.URL).Verify(context.Background(), "pass", ""); !errors.Is(err, captcha.ErrUnavailable) {
		t.Fatalf("provider down: %v", err)
	}
	garbage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>")) }))
	defer garbage.Close()
	if err := captcha.HCaptcha("s3cret", garbage.URL).Verify(context.Background(), "pass", ""); !errors.Is(err, captcha.ErrUnavailable) {
		t.Fatalf("garbage answer: %v", err)
	}
}
