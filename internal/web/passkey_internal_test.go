package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/mail"
	"github.com/embedauth/auth/passkey/passkeytest"
)

// pkInternalAuth is an Auth on a temporary database, served on loopback
// with BaseURL on localhost (WebAuthn needs a domain name), with the
// second-factor routes of testhooks.go mounted beside it.
func pkInternalAuth(tb testing.TB) (*Server, string, *http.Client) {
	tb.Helper()
	srv := httptest.NewUnstartedServer(nil)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	base := "http://localhost:" + port
	a, err := New(Config{
		DatabasePath:    filepath.Join(tb.TempDir(), "auth.db"),
		BaseURL:         base,
		Mailer:          &mail.Capture{},
		PasswordHashing: Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
		RateLimits:      RateLimits{SignIn: -1, SignUp: -1, Codes: -1, Reset: -1, SignUpsPerHour: -1},
		Logger:          slog.New(slog.DiscardHandler),
	})
	if err != nil {
		tb.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/auth/", a.Handler())
	mux.Handle("/test/second-factor/", a.PasskeySecondFactorTestHandler("/test/second-factor"))
	srv.Config.Handler = a.Middleware(mux)
	srv.Start()
	tb.Cleanup(func() { srv.Close(); a.Close() })
	jar, _ := cookiejar.New(nil)
	return a, base, &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func pkPost(tb testing.TB, c *http.Client, url string, body any) (int, []byte) {
	tb.Helper()
	var b []byte
	switch v := body.(type) {
	case []byte:
		b = v
	default:
		b, _ = json.Marshal(v)
	}
	resp, err := c.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// TestPasskeySecondFactor uses the verification the MFA step will call:
// passkeySecondFactorBegin and passkeySecondFactorFinish.
func TestPasskeySecondFactor(t *testing.T) {
	t.Parallel()
	a, base, c := pkInternalAuth(t)
	ctx := context.Background()
	const pw = "violet tractor umbrella 42"
	u, err := a.CreateUser(ctx, CreateUserParams{Email: "mfa@example.com", Password: pw, EmailVerified: true})
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := pkPost(t, c, base+"/auth/api/sign-in", map[string]string{"email": u.Email, "password": pw}); st != http.StatusOK {
		t.Fatalf("sign-in: %d", st)
	}
	// Without a passkey there is nothing to ask for.
	if st, body := pkPost(t, c, base+"/test/second-factor/begin", map[string]any{}); st != http.StatusBadRequest || !bytes.Contains(body, []byte("no_passkeys")) {
		t.Fatalf("begin without passkeys: %d %s", st, body)
	}
	key := passkeytest.New(base)
	_, opts := pkPost(t, c, base+"/auth/api/passkeys/register/begin", map[string]any{})
	reg, _, _ := key.Create(opts)
	if st, body := pkPost(t, c, base+"/auth/api/passkeys/register/finish", reg); st != http.StatusCreated {
		t.Fatalf("register: %d %s", st, body)
	}

	st, opts := pkPost(t, c, base+"/test/second-factor/begin", map[string]any{})
	if st != http.StatusOK {
		t.Fatalf("begin: %d %s", st, opts)
	}
	resp, _ := key.Get(opts)
	st, body := pkPost(t, c, base+"/test/second-factor/finish", resp)
	if st != http.StatusOK || !bytes.Contains(body, []byte(`"verified":true`)) {
		t.Fatalf("finish: %d %s", st, body)
	}
	// A sign-in challenge does not pass as a second factor, nor the reverse.
	_, opts = pkPost(t, c, base+"/auth/api/passkeys/sign-in/begin", map[string]any{})
	resp, _ = key.Get(opts)
	if st, body := pkPost(t, c, base+"/test/second-factor/finish", resp); st != http.StatusBadRequest || !bytes.Contains(body, []byte("passkey_request_invalid")) {
		t.Fatalf("sign-in challenge as second factor: %d %s", st, body)
	}
	_, opts = pkPost(t, c, base+"/test/second-factor/begin", map[string]any{})
	resp, _ = key.Get(opts)
	if st, body := pkPost(t, c, base+"/auth/api/passkeys/sign-in/finish", resp); st != http.StatusBadRequest {
		t.Fatalf("second-factor challenge as sign-in: %d %s", st, body)
	}
	// The clone check applies.
	_, opts = pkPost(t, c, base+"/test/second-factor/begin", map[string]any{})
	resp, _ = key.Get(opts, passkeytest.WithSignCount(0))
	if st, body := pkPost(t, c, base+"/test/second-factor/finish", resp); st != http.StatusForbidden || !bytes.Contains(body, []byte("passkey_blocked")) {
		t.Fatalf("counter drop: %d %s", st, body)
	}
	evs, _ := a.db.Events(ctx, core.EventPasskeyCloneSuspected, -1)
	if len(evs) != 1 {
		t.Fatalf("%d clone events", len(evs))
	}
}

// FuzzPasskeyFinishEndpoints posts arbitrary bodies to the finish endpoints
// (the sign-in one parses every body; register and sign-up finish decode
// them): the answer is always a 4xx JSON error, never a panic or a 5xx.
func FuzzPasskeyFinishEndpoints(f *testing.F) {
	a, base, c := pkInternalAuth(f)
	const pw = "violet tractor umbrella 42"
	if _, err := a.CreateUser(context.Background(), CreateUserParams{Email: "fuzz@example.com", Password: pw, EmailVerified: true}); err != nil {
		f.Fatal(err)
	}
	pkPost(f, c, base+"/auth/api/sign-in", map[string]string{"email": "fuzz@example.com", "password": pw})
	key := passkeytest.New(base)
	_, opts := pkPost(f, c, base+"/auth/api/passkeys/register/begin", map[string]any{})
	reg, _, _ := key.Create(opts, passkeytest.WithoutKeeping())
	_, opts = pkPost(f, c, base+"/auth/api/passkeys/sign-in/begin", map[string]any{})
	login, _ := passkeytest.New(base).Get(opts)
	for _, s := range [][]byte{reg, login, reg[:len(reg)/2], login[:len(login)/3], []byte(`{}`), []byte(`[]`), []byte(`null`),
		[]byte(`{"id":"AA","rawId":"AA","type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"AA","signature":"AA"}}`),
		[]byte(`{"id":"AA","rawId":"AA","type":"public-key","response":{"clientDataJSON":"e30","attestationObject":"oA"}}`)} {
		f.Add(s)
	}
	u, _ := url.Parse(base)
	var parts []string
	for _, ck := range c.Jar.Cookies(u) {
		parts = append(parts, ck.Name+"="+ck.Value)
	}
	cookies := strings.Join(parts, "; ")
	h := a.Middleware(a.Handler())
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, path := range []string{"/auth/api/passkeys/sign-in/finish", "/auth/api/passkeys/register/finish", "/auth/api/passkeys/sign-up/finish"} {
			req := httptest.NewRequest(http.MethodPost, base+path, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Cookie", cookies)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			var e struct{ Error struct{ Code string } }
			if rec.Code < 400 || rec.Code >= 500 || json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Error.Code == "" {
				t.Fatalf("%s %q: %d %s", path, body, rec.Code, rec.Body.Bytes())
			}
		}
	})
}
