package webhook_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/embedauth/auth/webhook"
)

// A receiver verifies each webhook with the endpoint's secret before it
// trusts the payload, and dedupes by webhook-id.
func ExampleVerify() {
	secret := webhook.NewSecret() // in an app: the endpoint's secret from embedauth
	seen := map[string]bool{}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil || webhook.Verify(secret, r.Header, body) != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		if id := r.Header.Get(webhook.HeaderID); !seen[id] {
			seen[id] = true
			var p webhook.Payload
			json.Unmarshal(body, &p)
			fmt.Println("event", p.Type)
		}
		w.WriteHeader(http.StatusNoContent)
	})

	// What embedauth sends, here by hand.
	key, _ := webhook.ParseSecret(secret)
	body, _ := webhook.Body("user.created", time.Now(), json.RawMessage(`{"id":"user_1"}`))
	now := time.Now()
	for range 2 { // a retry: the same id
		req := httptest.NewRequest("POST", "/webhooks", strings.NewReader(string(body)))
		req.Header.Set(webhook.HeaderID, "evt_1")
		req.Header.Set(webhook.HeaderTimestamp, fmt.Sprint(now.Unix()))
		req.Header.Set(webhook.HeaderSignature, webhook.SignatureHeader([][]byte{key}, "evt_1", now, body))
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		fmt.Println(rec.Code)
	}
	// Output:
	// event user.created
	// 204
	// 204
}

// Sign is the Standard Webhooks signature, byte for byte.
func ExampleSign() {
	key, _ := webhook.ParseSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	fmt.Println(webhook.Sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`)))
	// Output: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=
}
