package auth_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/authtest"
)

// GET /auth/api/me is served without loading the browser-session data
// (scs): with that data unreadable, the who-am-I still answers from the
// session cache, while a route that loads it fails. A ban still ends it
// at once.
func TestMeReadsNoBrowserSessionData(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	client := env.Client()
	user := env.SignIn(t, client, "ann@example.com")
	get := func(path string) (int, []byte) {
		t.Helper()
		resp, err := client.Get(env.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	if code, _ := get("/auth/api/me"); code != http.StatusOK {
		t.Fatalf("me: %d", code)
	}
	// Make every browser session's data undecodable.
	if _, err := env.Auth.Store().SQL().Exec(`UPDATE auth_session_tokens SET data = X'00'`); err != nil {
		t.Fatal(err)
	}
	code, body := get("/auth/api/me")
	if code != http.StatusOK {
		t.Fatalf("me with unreadable browser-session data: %d %s", code, body)
	}
	if resp, err := client.Get(env.URL + "/auth/api/me/mfa"); err != nil {
		t.Fatal(err)
	} else if resp.Body.Close(); resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("a route that loads the data answered %d; this test no longer shows what it claims", resp.StatusCode)
	}
	var me struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	if err := json.Unmarshal(body, &me); err != nil || me.User.ID != user.ID {
		t.Fatalf("me answered %s, want user %s", body, user.ID)
	}
	if resp, _ := client.Get(env.URL + "/auth/api/me"); resp.Header.Get("Vary") != "Cookie" {
		t.Errorf("Vary: %q, want Cookie", resp.Header.Get("Vary"))
	}
	if _, err := env.Auth.BanUser(context.Background(), user.ID); err != nil {
		t.Fatal(err)
	}
	if code, body := get("/auth/api/me"); code != http.StatusUnauthorized {
		t.Fatalf("me after a ban: %d %s", code, body)
	}
}

// The who-am-I's answer has its length, whether net/http counts it (a
// small answer, buffered whole) or the handler sets it (an answer larger
// than net/http buffers), is never chunked, and carries every security
// header of embedauth's answers.
func TestMeAnswerHasItsLengthAndHeaders(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	client := env.Client()
	user := env.SignIn(t, client, "ann@example.com")
	check := func(name string) int {
		t.Helper()
		resp, err := client.Get(env.URL + "/auth/api/me")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", name, resp.StatusCode, body)
		}
		if len(resp.TransferEncoding) > 0 || resp.ContentLength != int64(len(body)) {
			t.Errorf("%s: Content-Length %d, Transfer-Encoding %v for a body of %d bytes", name, resp.ContentLength, resp.TransferEncoding, len(body))
		}
		for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options",
			"Cross-Origin-Opener-Policy", "Cache-Control", "Vary"} {
			if resp.Header.Get(h) == "" {
				t.Errorf("%s: no %s header", name, h)
			}
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
			t.Errorf("%s: Content-Type %q", name, ct)
		}
		return len(body)
	}
	if n := check("small"); n > 2048 {
		t.Fatalf("the small answer is %d bytes; this test no longer covers net/http's count", n)
	}
	big := `{"bio":"` + strings.Repeat("x", 3000) + `"}`
	if _, err := env.Auth.UpdateUserMetadata(context.Background(), user.ID, auth.UserMetadata{Public: json.RawMessage(big)}); err != nil {
		t.Fatal(err)
	}
	if n := check("large"); n <= 2048 {
		t.Fatalf("the large answer is %d bytes; this test no longer covers an answer net/http would chunk", n)
	}
}
