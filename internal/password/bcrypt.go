package password

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// IsBcrypt reports whether encoded looks like a bcrypt hash.
func IsBcrypt(encoded string) bool {
	return strings.HasPrefix(encoded, "$2a$") || strings.HasPrefix(encoded, "$2b$") || strings.HasPrefix(encoded, "$2y$")
}

// CheckHash reports whether encoded is a hash Verify accepts: an argon2id
// PHC string within the supported bounds, or a bcrypt hash. Imports call
// it before storing a hash from another system.
func CheckHash(encoded string) error {
	if IsBcrypt(encoded) {
		if _, err := bcrypt.Cost([]byte(encoded)); err != nil || len(encoded) != 60 {
			return fmt.Errorf("%w: not a bcrypt hash", ErrInvalidHash)
		}
		return nil
	}
	_, _, _, err := parsePHC(encoded)
	return err
}

// verifyBcrypt checks password against a bcrypt hash while holding a slot.
// The password is tried as given and, when different, in NFKC form (our
// own hashes are of the NFKC form; another system's may be of either).
func (h *Hasher) verifyBcrypt(ctx context.Context, password, encoded string) (bool, error) {
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	defer func() { <-h.sem }()
	h.inFlight.Add(1)
	defer h.inFlight.Add(-1)
	candidates := []string{password}
	if n := Normalize(password); n != password {
		candidates = append(candidates, n)
	}
	for _, c := range candidates {
		err := bcrypt.CompareHashAndPassword([]byte(encoded), []byte(c))
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword), errors.Is(err, bcrypt.ErrPasswordTooLong):
		default:
			return false, fmt.Errorf("%w: %v", ErrInvalidHash, err)
		}
	}
	return false, nil
}
