package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/embedauth/auth/mail"
)

// TestOneHashPerRequest proves each sign-up and sign-in runs exactly one
// argon2id computation, whether or not the email has an account, and
// that refused input runs none.
func TestOneHashPerRequest(t *testing.T) {
	t.Parallel()
	a, err := New(Config{
		DatabasePath:    filepath.Join(t.TempDir(), "auth.db"),
		Mailer:          &mail.Capture{},
		PasswordHashing: Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
		RateLimits:      RateLimits{SignIn: -1, SignUp: -1, Codes: -1, Reset: -1, SignUpsPerHour: -1},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	const pw = "violet tractor umbrella 42"
	if _, err := a.CreateUser(context.Background(), CreateUserParams{Email: "known@example.com", Password: pw, EmailVerified: true}); err != nil {
		t.Fatal(err)
	}
	h := a.Handler()
	post := func(path, body string) int {
		req := httptest.NewRequest("POST", "/auth/api/"+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	for _, tc := range []struct {
		name, path, body string
		status           int
		hashes           int64
	}{
		{"sign-in known, right password", "sign-in", `{"email":"known@example.com","password":"` + pw + `"}`, http.StatusOK, 1},
		{"sign-in known, wrong password", "sign-in", `{"email":"known@example.com","password":"wrong password 123456"}`, http.StatusUnauthorized, 1},
		{"sign-in unknown", "sign-in", `{"email":"nobody@example.com","password":"wrong password 123456"}`, http.StatusUnauthorized, 1},
		{"sign-up new", "sign-up", `{"email":"new@example.com","password":"` + pw + `"}`, http.StatusAccepted, 1},
		{"sign-up taken", "sign-up", `{"email":"known@example.com","password":"` + pw + `"}`, http.StatusAccepted, 1},
		{"sign-up weak password", "sign-up", `{"email":"new2@example.com","password":"short"}`, http.StatusUnprocessableEntity, 0},
		{"sign-in malformed email", "sign-in", `{"email":"nope","password":"` + pw + `"}`, http.StatusUnprocessableEntity, 0},
	} {
		before := a.hasher.Count()
		if got := post(tc.path, tc.body); got != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, got, tc.status)
		}
		if got := a.hasher.Count() - before; got != tc.hashes {
			t.Errorf("%s: %d hashes, want %d", tc.name, got, tc.hashes)
		}
	}
}
