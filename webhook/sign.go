package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The Standard Webhooks headers.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// SecretPrefix starts every signing secret.
const SecretPrefix = "whsec_"

// DefaultTolerance is how far a webhook-timestamp may be from the
// receiver's clock, either way, for [Verify] to accept it.
const DefaultTolerance = 5 * time.Minute

// Errors of [Verify] and [ParseSecret].
var (
	// ErrMissingHeader means a webhook-id, webhook-timestamp or
	// webhook-signature header is missing.
	ErrMissingHeader = errors.New("webhook: missing header")
	// ErrInvalidHeader means the webhook-timestamp is not a number.
	ErrInvalidHeader = errors.New("webhook: invalid header")
	// ErrTimestamp means the webhook-timestamp is outside the tolerance:
	// a replay, or a clock far off.
	ErrTimestamp = errors.New("webhook: timestamp outside the tolerance")
	// ErrNoMatchingSignature means no v1 signature matches the body.
	ErrNoMatchingSignature = errors.New("webhook: no matching signature")
	// ErrInvalidSecret means a secret is not "whsec_" and 24 to 64 bytes
	// of base64.
	ErrInvalidSecret = errors.New("webhook: invalid secret")
)

// NewSecret returns a new random signing secret: "whsec_" and the base64
// of 32 random bytes.
func NewSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return SecretPrefix + base64.StdEncoding.EncodeToString(b)
}

// ParseSecret returns the key of a secret ("whsec_" + base64; the prefix
// may be left out, as the Standard Webhooks libraries allow). The key must
// be 24 to 64 bytes.
func ParseSecret(secret string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, SecretPrefix))
	if err != nil || len(key) < 24 || len(key) > 64 {
		return nil, ErrInvalidSecret
	}
	return key, nil
}

// Sign returns the Standard Webhooks signature of a message:
// "v1," + base64(HMAC-SHA256(key, id + "." + unix seconds + "." + body)).
func Sign(key []byte, id string, ts time.Time, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write(strconv.AppendInt(nil, ts.Unix(), 10))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// SignatureHeader returns the webhook-signature header for keys: one
// signature per key, space-separated (the current secret and, during a
// rotation, the previous one).
func SignatureHeader(keys [][]byte, id string, ts time.Time, body []byte) string {
	sigs := make([]string, len(keys))
	for i, k := range keys {
		sigs[i] = Sign(k, id, ts, body)
	}
	return strings.Join(sigs, " ")
}

// Verify checks a webhook received with headers h and body against a
// signing secret, as the Standard Webhooks libraries do: the three headers
// present, the timestamp within DefaultTolerance of now, and one of the
// space-separated v1 signatures matching (compared in constant time).
// It verifies embedauth's webhooks and those of any Standard Webhooks
// sender. Use the webhook-id as an idempotency key: a message may arrive
// more than once.
func Verify(secret string, h http.Header, body []byte) error {
	return VerifyAt(secret, h, body, time.Now(), DefaultTolerance)
}

// VerifyAt is Verify with the receiver's clock and tolerance given.
func VerifyAt(secret string, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	key, err := ParseSecret(secret)
	if err != nil {
		return err
	}
	id, tsHeader, sigHeader := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if id == "" || tsHeader == "" || sigHeader == "" {
		return ErrMissingHeader
	}
	sec, err := strconv.ParseInt(tsHeader, 10, 64)
	if err != nil {
		return ErrInvalidHeader
	}
	ts := time.Unix(sec, 0)
	if now.Sub(ts) > tolerance || ts.Sub(now) > tolerance {
		return fmt.Errorf("%w (%s, now %s)", ErrTimestamp, ts.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	want := []byte(Sign(key, id, ts, body)[len("v1,"):])
	for _, sig := range strings.Fields(sigHeader) {
		version, value, ok := strings.Cut(sig, ",")
		if !ok || version != "v1" {
			continue
		}
		if hmac.Equal([]byte(value), want) {
			return nil
		}
	}
	return ErrNoMatchingSignature
}
