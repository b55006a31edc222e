package auth_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"

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
