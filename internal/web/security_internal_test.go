package web

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"

	"github.com/embedauth/auth/mail"
)

// TestT8_OneHashPerRequestEitherWay counts argon2 computations: a request
// for a known address must cost exactly what one for an unknown address
// costs, or the difference shows in timing under load.
func TestT8_OneHashPerRequestEitherWay(t *testing.T) {
	t.Parallel()
	a, err := New(Config{
		DatabasePath:    filepath.Join(t.TempDir(), "t8.db"),
		BaseURL:         "http://localhost:8080",
		Mailer:          &mail.Capture{},
		PasswordHashing: Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
		RateLimits:      RateLimits{SignIn: -1, SignUp: -1, Codes: -1, Reset: -1, SignUpsPerHour: -1},
		Logger:          slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	const pw = "correct-horse-battery-orchard"
	if _, err := a.CreateUser(context.Background(), CreateUserParams{Email: "kate@example.com", Password: pw, EmailVerified: true}); err != nil {
		t.Fatal(err)
	}
	hashes := func(path string, body map[string]string) (int64, int) {
		b, _ := json.Marshal(body)
		req := httptest.NewRequest(http.MethodPost, "http://localhost:8080"+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		before := a.hasher.Count()
		a.Handler().ServeHTTP(rec, req)
		return a.hasher.Count() - before, rec.Code
	}
	for _, c := range []struct {
		path   string
		body   func(email string) map[string]string
		hashes int64
	}{
		{"/auth/api/sign-in", func(e string) map[string]string { return map[string]string{"email": e, "password": pw + "-wrong"} }, 1},
		{"/auth/api/sign-up", func(e string) map[string]string { return map[string]string{"email": e, "password": pw + "-new"} }, 1},
		{"/auth/api/password/forgot", func(e string) map[string]string { return map[string]string{"email": e} }, 0},
	} {
		kn, ks := hashes(c.path, c.body("kate@example.com"))
		un, us := hashes(c.path, c.body("kurt@example.com"))
		if kn != c.hashes || un != c.hashes || ks != us {
			t.Errorf("%s: known address %d hashes (%d), unknown %d hashes (%d); want %d each, same status",
				c.path, kn, ks, un, us, c.hashes)
		}
	}
}

// TestT50_ConcurrentFirstStartSharesOneKey starts several Auths at once on
// a new database without Config.EncryptionKey, as processes of one app
// sharing a file do after a deploy: every one must start, and all must
// use the one key file (or mail sealed by one could not be opened by
// another).
func TestT50_ConcurrentFirstStartSharesOneKey(t *testing.T) {
	t.Parallel()
	for trial := range 20 {
		startTogether(t, trial, filepath.Join(t.TempDir(), "shared.db"))
	}
}

func startTogether(t *testing.T, trial int, path string) {
	const n = 4
	auths := make([]*Server, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			auths[i], errs[i] = New(Config{
				DatabasePath: path,
				BaseURL:      "http://localhost:8080",
				Mailer:       &mail.Capture{},
				Logger:       slog.New(slog.DiscardHandler),
			})
		})
	}
	wg.Wait()
	for _, a := range auths {
		if a != nil {
			defer a.Close()
		}
	}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("trial %d: start %d of %d at once: %v", trial, i+1, n, err)
		}
	}
	sealed := auths[0].box.Seal([]byte("secret"))
	for i, a := range auths {
		if b, err := a.box.Open(sealed); err != nil || string(b) != "secret" {
			t.Fatalf("trial %d: Auth %d cannot open what Auth 0 sealed: %v", trial, i, err)
		}
	}
}
