package auth_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"strings"
	"testing"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/authtest"
	"github.com/embedauth/auth/internal/pgtest"
	"github.com/embedauth/auth/mail"
)

// engines are the databases the end-to-end flows run on: each such test
// runs its body once per engine, as subtests named after them, and
// engineEnv starts the Auth of the subtest's engine.
var engines = []string{"sqlite", "postgres"}

// forEachEngine runs fn as a subtest per engine.
func forEachEngine(t *testing.T, fn func(t *testing.T)) {
	t.Helper()
	for _, e := range engines {
		t.Run(e, fn)
	}
}

// onPostgres reports whether tb is (inside) forEachEngine's postgres run.
func onPostgres(tb testing.TB) bool {
	return strings.Contains(tb.Name(), "/postgres")
}

// withPostgres points the Config at an empty schema of the test PostgreSQL
// server (see package pgtest), with an encryption key of its own.
func withPostgres(tb testing.TB) authtest.Option {
	tb.Helper()
	url := pgtest.URL(tb)
	key := make([]byte, 32)
	rand.Read(key)
	return func(c *auth.Config) {
		c.DatabaseURL = url
		c.EncryptionKey = key
	}
}

// engineEnv is authtest.New on the engine of tb.
func engineEnv(tb testing.TB, opts ...authtest.Option) *authtest.Env {
	tb.Helper()
	if onPostgres(tb) {
		opts = append([]authtest.Option{withPostgres(tb)}, opts...)
	}
	return authtest.New(tb, opts...)
}

func TestDatabaseURL_Config(t *testing.T) {
	t.Parallel()
	key := make([]byte, 32)
	for _, tc := range []struct {
		name string
		cfg  auth.Config
		want string
	}{
		{"NotPostgres", auth.Config{DatabaseURL: "mysql://x", EncryptionKey: key}, "must be a PostgreSQL URL"},
		{"NoKey", auth.Config{DatabaseURL: "postgres://127.0.0.1:1/x"}, "EncryptionKey is required when DatabaseURL"},
		{"WithDB", auth.Config{DatabaseURL: "postgres://127.0.0.1:1/x", DB: new(sql.DB), EncryptionKey: key}, "not both"},
		{"Unreachable", auth.Config{DatabaseURL: "postgres://127.0.0.1:1/x?connect_timeout=2", EncryptionKey: key}, "auth:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, err := auth.New(tc.cfg)
			if err == nil {
				a.Close()
				t.Fatal("auth.New succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not say %q", err, tc.want)
			}
		})
	}

	t.Run("OpensPostgres", func(t *testing.T) {
		t.Parallel()
		// A second Auth on the same URL sees the first one's users.
		url := pgtest.URL(t)
		key := make([]byte, 32)
		rand.Read(key)
		cfg := auth.Config{DatabaseURL: url, EncryptionKey: key, BaseURL: "http://localhost:8080", Mailer: &mail.Capture{}}
		a, err := auth.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		b, err := auth.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		u, err := a.CreateUser(context.Background(), auth.CreateUserParams{Email: "ann@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := b.GetUser(context.Background(), u.ID); err != nil || got.Email != "ann@example.com" {
			t.Fatalf("second instance: %+v, %v", got, err)
		}
	})
}
