package auth_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/embedauth/auth/authtest"
)

// TestMFABeginEmptyBody checks that POST /api/me/mfa/totp, whose fields are
// all optional, takes an empty body sent with no content type as {}, while
// an empty body that claims another content type is still refused.
func TestMFABeginEmptyBody(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	pw := authtest.Password()
	env.CreateUser(t, "empty-body@example.com", pw)
	c := flNew(t, env)
	c.signIn("empty-body@example.com", pw)

	c.do(http.MethodPost, "/auth/api/me/mfa/totp", "text/plain", strings.NewReader("")).wantError(http.StatusUnsupportedMediaType, "unsupported_media_type")
	var begin struct {
		Secret string `json:"secret"`
	}
	c.do(http.MethodPost, "/auth/api/me/mfa/totp", "", nil).want(http.StatusOK).decode(&begin)
	if begin.Secret == "" {
		t.Fatal("no secret in the answer to an empty body")
	}
}
