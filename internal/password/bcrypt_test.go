package password_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/embedauth/auth/internal/password"
)

func TestVerifyBcrypt(t *testing.T) {
	t.Parallel()
	h := password.NewHasher(password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, 2, time.Second)
	ctx := context.Background()
	b, err := bcrypt.GenerateFromPassword([]byte("correct horse battery"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	for _, prefix := range []string{"$2a$", "$2b$", "$2y$"} {
		enc := prefix + string(b[4:])
		if err := password.CheckHash(enc); err != nil {
			t.Fatalf("CheckHash(%s...): %v", prefix, err)
		}
		ok, rehash, err := h.Verify(ctx, "correct horse battery", enc)
		if err != nil || !ok || !rehash {
			t.Fatalf("%s right password: ok %v, rehash %v, err %v; want a match that needs a rehash", prefix, ok, rehash, err)
		}
		ok, rehash, err = h.Verify(ctx, "wrong horse battery", enc)
		if err != nil || ok || rehash {
			t.Fatalf("%s wrong password: ok %v, rehash %v, err %v", prefix, ok, rehash, err)
		}
	}
	if err := password.CheckHash("$2b$10$short"); !errors.Is(err, password.ErrInvalidHash) {
		t.Errorf("CheckHash of a truncated bcrypt hash: %v", err)
	}
	if err := password.CheckHash("md5:" + strings.Repeat("a", 32)); !errors.Is(err, password.ErrInvalidHash) {
		t.Errorf("CheckHash of an unknown hash: %v", err)
	}
}
