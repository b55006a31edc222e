package passkey

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/embedauth/auth/passkey/passkeytest"
)

// seeds returns real responses and damaged copies of them.
func seeds(tb testing.TB) (registration, assertion []byte) {
	tb.Helper()
	a := passkeytest.New("https://example.com")
	reg, _, err := a.Create([]byte(`{"publicKey":{"challenge":"AAAAAAAAAAAAAAAAAAAAAA","rp":{"id":"example.com","name":"x"},"user":{"id":"AQID","name":"u"}}}`))
	if err != nil {
		tb.Fatal(err)
	}
	login, err := a.Get([]byte(`{"publicKey":{"challenge":"AAAAAAAAAAAAAAAAAAAAAA","rpId":"example.com"}}`))
	if err != nil {
		tb.Fatal(err)
	}
	return reg, login
}

func addSeeds(f *testing.F, valid []byte, field string) {
	f.Add(valid)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"id":"AA","rawId":"AA","type":"public-key","response":{}}`))
	f.Add([]byte(`{"id":"!!","rawId":"!!","type":"public-key"}`))
	f.Add(valid[:len(valid)/2])
	var m map[string]any
	if json.Unmarshal(valid, &m) == nil {
		r := m["response"].(map[string]any)
		raw, _ := base64.RawURLEncoding.DecodeString(r[field].(string))
		for _, n := range []int{0, 1, 37, len(raw) / 2, len(raw) - 1} {
			r[field] = base64.RawURLEncoding.EncodeToString(raw[:n])
			b, _ := json.Marshal(m)
			f.Add(b)
		}
	}
}

// FuzzParseRegistration feeds the registration finish endpoint's parser
// arbitrary bodies: it must return a response or an error, never panic.
func FuzzParseRegistration(f *testing.F) {
	reg, _ := seeds(f)
	addSeeds(f, reg, "attestationObject")
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := parseRegistration(body)
		if err == nil && (p == nil || len(p.RawID) == 0 || len(p.RawID) > MaxCredentialIDLength) {
			t.Fatalf("accepted %q as %+v", body, p)
		}
	})
}

// FuzzParseAssertion does the same for the sign-in finish endpoints.
func FuzzParseAssertion(f *testing.F) {
	_, login := seeds(f)
	addSeeds(f, login, "authenticatorData")
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := parseAssertion(body)
		if err == nil && (p == nil || len(p.RawID) == 0 || len(p.RawID) > MaxCredentialIDLength) {
			t.Fatalf("accepted %q as %+v", body, p)
		}
	})
}

func TestSafelyTurnsPanicsIntoErrMalformed(t *testing.T) {
	t.Parallel()
	_, err := safely(func([]byte) (int, error) { panic("boom") }, nil)
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("boom")) {
		t.Fatalf("err = %v", err)
	}
}
