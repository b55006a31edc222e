package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"net/http"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/internal/onetime"
)

// newCode returns n uniformly random decimal digits from the CSPRNG.
func newCode(n int) string {
	max := big.NewInt(1)
	for range n {
		max.Mul(max, big.NewInt(10))
	}
	v, err := rand.Int(rand.Reader, max)
	if err != nil {
		panic(err) // crypto/rand does not fail
	}
	return fmt.Sprintf("%0*d", n, v)
}

// newToken returns 256 random bits, URL-safe.
func newToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// codeHash binds a short code to the flow it was issued for and keys it
// with the encryption key, so the database alone cannot be brute-forced
// for it and a code from one flow fails in another.
func (a *Auth) codeHash(flowID, code string) string {
	m := hmac.New(sha256.New, a.codeKey)
	m.Write([]byte(flowID))
	m.Write([]byte{0})
	m.Write([]byte(code))
	return hex.EncodeToString(m.Sum(nil))
}

func equalHash(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// codeRefusal is the public answer to a refusal of a code by the
// one-time-code rules (internal/onetime), the same for every kind of
// code: a wrong or expired code is a 422 about the code field; a code
// without tries left, or a locked one, a 429, with Retry-After while a
// timed lock lasts. Other errors pass through.
func (a *Auth) codeRefusal(err error) error {
	var r *onetime.Error
	if !errors.As(err, &r) {
		return err
	}
	if errors.Is(r, core.ErrInvalidCode) {
		return &httpx.Error{Status: http.StatusUnprocessableEntity, Code: r.Code, Message: r.Message, Field: "code", Err: err}
	}
	e := &httpx.Error{Status: http.StatusTooManyRequests, Code: r.Code, Message: r.Message, Err: err}
	var locked *core.LockedError
	if errors.As(err, &locked) {
		e.RetryAfter = locked.Until.Sub(a.s.Now())
	}
	return e
}
