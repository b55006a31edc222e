package onetime

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"

	"github.com/embedauth/auth/core"
)

// NewCode returns n uniformly random decimal digits from the CSPRNG.
func NewCode(n int) string {
	limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
	v, err := rand.Int(rand.Reader, limit)
	if err != nil {
		panic(err) // crypto/rand does not fail
	}
	return fmt.Sprintf("%0*d", n, v)
}

// NewToken returns 256 random bits, URL-safe (43 characters).
func NewToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// ValidToken reports whether t can be a token [NewToken] made, so that
// anything else is refused before it is looked up.
func ValidToken(t string) bool {
	if len(t) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(t)
	return err == nil
}

// CleanCode returns a code of exactly digits ASCII digits, with
// surrounding white space trimmed. Anything else (letters, spaces or
// dashes inside, too few or too many digits) is a refusal wrapping [ErrMalformedCode], so a
// user learns at once that the code was mistyped and no attempt is
// counted.
func CleanCode(raw string, digits int) (string, error) {
	s := strings.TrimSpace(raw)
	malformed := &core.Error{Kind: core.ErrInvalidInput, Code: "invalid_code", Field: "code",
		Message: fmt.Sprintf("Enter the %d-digit code we sent you, digits only.", digits), Err: ErrMalformedCode}
	if len(s) != digits {
		return "", malformed
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", malformed
		}
	}
	return s, nil
}

// hash keys a secret and binds it to binding and flowID: HMAC-SHA256 over
// binding, flowID, a zero byte and the secret, in hex. Without the key
// the stored hash cannot be brute-forced for a 6-digit code.
func hash(key []byte, binding, flowID, secret string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(binding))
	m.Write([]byte(flowID))
	m.Write([]byte{0})
	m.Write([]byte(secret))
	return hex.EncodeToString(m.Sum(nil))
}
