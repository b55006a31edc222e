package webhook_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/embedauth/auth/webhook"
)

// The Standard Webhooks reference test vector (standard-webhooks
// libraries/go/webhook_test.go, TestWebhookSign; the same in every
// language's library).
const (
	vectorSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorTimestamp = 1614265330
	vectorBody      = `{"test": 2432232314}`
	vectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func headers(id string, ts int64, sig string) http.Header {
	h := http.Header{}
	h.Set(webhook.HeaderID, id)
	h.Set(webhook.HeaderTimestamp, fmt.Sprint(ts))
	h.Set(webhook.HeaderSignature, sig)
	return h
}

// TestT44_SignaturesMatchTheReferenceVectors checks Sign and Verify
// against the reference vector, byte for byte, and against an
// independent computation of the scheme for other inputs.
func TestT44_SignaturesMatchTheReferenceVectors(t *testing.T) {
	t.Parallel()
	key, err := webhook.ParseSecret(vectorSecret)
	if err != nil {
		t.Fatal(err)
	}
	if got := webhook.Sign(key, vectorID, time.Unix(vectorTimestamp, 0), []byte(vectorBody)); got != vectorSignature {
		t.Fatalf("Sign = %s, want %s", got, vectorSignature)
	}
	at := time.Unix(vectorTimestamp, 0)
	if err := webhook.VerifyAt(vectorSecret, headers(vectorID, vectorTimestamp, vectorSignature), []byte(vectorBody), at, webhook.DefaultTolerance); err != nil {
		t.Fatalf("the reference vector does not verify: %v", err)
	}
	// The prefix is optional, as in the reference libraries.
	if err := webhook.VerifyAt(strings.TrimPrefix(vectorSecret, "whsec_"), headers(vectorID, vectorTimestamp, vectorSignature), []byte(vectorBody), at, webhook.DefaultTolerance); err != nil {
		t.Fatalf("secret without prefix: %v", err)
	}
	// Other inputs: the scheme computed independently.
	for _, body := range []string{"", "{}", `{"type":"user.created","timestamp":1,"data":{"id":"user_1"}}`, strings.Repeat("é", 5000)} {
		secret := webhook.NewSecret()
		k, _ := webhook.ParseSecret(secret)
		m := hmac.New(sha256.New, k)
		fmt.Fprintf(m, "%s.%d.%s", "evt_1", int64(1700000000), body)
		want := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
		if got := webhook.Sign(k, "evt_1", time.Unix(1700000000, 0), []byte(body)); got != want {
			t.Fatalf("Sign(%q) = %s, want %s", body, got, want)
		}
	}
}

func TestT44_TamperedOrStaleWebhooksRejected(t *testing.T) {
	t.Parallel()
	at := time.Unix(vectorTimestamp, 0)
	ok := func() http.Header { return headers(vectorID, vectorTimestamp, vectorSignature) }
	tests := []struct {
		name string
		h    func() http.Header
		body string
		now  time.Time
		want error
	}{
		{"tampered body", ok, `{"test": 2432232315}`, at, webhook.ErrNoMatchingSignature},
		{"body with a space more", ok, `{"test":  2432232314}`, at, webhook.ErrNoMatchingSignature},
		{"other id", func() http.Header { h := ok(); h.Set(webhook.HeaderID, "msg_other"); return h }, vectorBody, at, webhook.ErrNoMatchingSignature},
		{"other timestamp", func() http.Header { return headers(vectorID, vectorTimestamp+1, vectorSignature) }, vectorBody, at, webhook.ErrNoMatchingSignature},
		{"6 minutes old", ok, vectorBody, at.Add(6 * time.Minute), webhook.ErrTimestamp},
		{"6 minutes ahead", ok, vectorBody, at.Add(-6 * time.Minute), webhook.ErrTimestamp},
		{"missing id", func() http.Header { h := ok(); h.Del(webhook.HeaderID); return h }, vectorBody, at, webhook.ErrMissingHeader},
		{"missing timestamp", func() http.Header { h := ok(); h.Del(webhook.HeaderTimestamp); return h }, vectorBody, at, webhook.ErrMissingHeader},
		{"missing signature", func() http.Header { h := ok(); h.Del(webhook.HeaderSignature); return h }, vectorBody, at, webhook.ErrMissingHeader},
		{"timestamp not a number", func() http.Header { h := ok(); h.Set(webhook.HeaderTimestamp, "1614265330.5"); return h }, vectorBody, at, webhook.ErrInvalidHeader},
		{"v2 signature only", func() http.Header { return headers(vectorID, vectorTimestamp, "v2,"+vectorSignature[3:]) }, vectorBody, at, webhook.ErrNoMatchingSignature},
		{"signature of another secret", func() http.Header {
			k, _ := webhook.ParseSecret(webhook.NewSecret())
			return headers(vectorID, vectorTimestamp, webhook.Sign(k, vectorID, at, []byte(vectorBody)))
		}, vectorBody, at, webhook.ErrNoMatchingSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := webhook.VerifyAt(vectorSecret, tt.h(), []byte(tt.body), tt.now, webhook.DefaultTolerance); !errors.Is(err, tt.want) {
				t.Fatalf("VerifyAt = %v, want %v", err, tt.want)
			}
		})
	}
	// Within 5 minutes either way is fine.
	for _, d := range []time.Duration{-5 * time.Minute, 5 * time.Minute} {
		if err := webhook.VerifyAt(vectorSecret, ok(), []byte(vectorBody), at.Add(d), webhook.DefaultTolerance); err != nil {
			t.Errorf("%v off: %v", d, err)
		}
	}
	// Verify uses the real clock: the 2021 vector is far too old.
	if err := webhook.Verify(vectorSecret, ok(), []byte(vectorBody)); !errors.Is(err, webhook.ErrTimestamp) {
		t.Errorf("Verify(2021 vector) = %v, want ErrTimestamp", err)
	}
}

// TestT48_BothSignaturesVerifyDuringRotation signs with the new and the
// old secret: a receiver holding either accepts the message.
func TestT48_BothSignaturesVerifyDuringRotation(t *testing.T) {
	t.Parallel()
	oldSecret, newSecret := webhook.NewSecret(), webhook.NewSecret()
	oldKey, _ := webhook.ParseSecret(oldSecret)
	newKey, _ := webhook.ParseSecret(newSecret)
	now := time.Now()
	body := []byte(`{"type":"user.created"}`)
	sig := webhook.SignatureHeader([][]byte{newKey, oldKey}, "evt_1", now, body)
	if parts := strings.Fields(sig); len(parts) != 2 || !strings.HasPrefix(parts[0], "v1,") || !strings.HasPrefix(parts[1], "v1,") {
		t.Fatalf("signature header %q, want two v1 signatures", sig)
	}
	for _, s := range []string{oldSecret, newSecret} {
		if err := webhook.Verify(s, headers("evt_1", now.Unix(), sig), body); err != nil {
			t.Errorf("verify with one of the two secrets: %v", err)
		}
	}
	if err := webhook.Verify(webhook.NewSecret(), headers("evt_1", now.Unix(), sig), body); !errors.Is(err, webhook.ErrNoMatchingSignature) {
		t.Errorf("a third secret: %v", err)
	}
}

func TestSecrets(t *testing.T) {
	t.Parallel()
	s := webhook.NewSecret()
	key, err := webhook.ParseSecret(s)
	if !strings.HasPrefix(s, "whsec_") || err != nil || len(key) != 32 {
		t.Fatalf("NewSecret = %q: %v, %d bytes", s, err, len(key))
	}
	if s == webhook.NewSecret() {
		t.Fatal("two equal secrets")
	}
	for _, bad := range []string{"whsec_", "whsec_c2hvcnQ=", "whsec_not base64!", "whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 65))} {
		if _, err := webhook.ParseSecret(bad); !errors.Is(err, webhook.ErrInvalidSecret) {
			t.Errorf("ParseSecret(%q) = %v", bad, err)
		}
	}
}
