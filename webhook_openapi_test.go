package auth_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/embedauth/auth/authtest"
)

// oaTokenWebhookAnswers drives the token and webhook routes to each of
// their documented successes and several errors, for
// TestOpenAPIAnswersMatch, on an Auth with an administrator.
func oaTokenWebhookAnswers(t *testing.T, check func(t *testing.T, op string, r *flResp)) {
	t.Helper()
	env := hookEnv(t)
	admin, _ := jwtSignIn(t, env, "admin@example.com")
	user, _ := jwtSignIn(t, env, "user@example.com")
	rc := newReceiver(t, env.Clock, nil)

	check(t, "GET /api/token", user.get("/auth/api/token"))
	check(t, "GET /api/token", user.get("/auth/api/token?template=nope"))
	check(t, "GET /.well-known/jwks.json", flNew(t, env).get("/auth/.well-known/jwks.json"))
	check(t, "GET /.well-known/openid-configuration", flNew(t, env).get("/auth/.well-known/openid-configuration"))

	// JWT templates and keys.
	tpl := map[string]any{"claims": map[string]any{"email": "{{user.email}}"}, "lifetime": 120, "audience": []string{"svc"}}
	check(t, "PUT /api/jwt-templates/{name}", user.sendJSON(http.MethodPut, "/auth/api/jwt-templates/svc", tpl))
	check(t, "PUT /api/jwt-templates/{name}", admin.sendJSON(http.MethodPut, "/auth/api/jwt-templates/svc", tpl))
	check(t, "PUT /api/jwt-templates/{name}", admin.sendJSON(http.MethodPut, "/auth/api/jwt-templates/svc", tpl))
	check(t, "PUT /api/jwt-templates/{name}", admin.sendJSON(http.MethodPut, "/auth/api/jwt-templates/bad", map[string]any{"claims": map[string]any{"x": "{{user.phone}}"}}))
	check(t, "GET /api/token", user.get("/auth/api/token?template=svc"))
	check(t, "GET /api/jwt-templates", admin.get("/auth/api/jwt-templates"))
	check(t, "GET /api/jwt-templates", user.get("/auth/api/jwt-templates"))
	check(t, "DELETE /api/jwt-templates/{name}", admin.sendJSON(http.MethodDelete, "/auth/api/jwt-templates/svc", nil))
	check(t, "DELETE /api/jwt-templates/{name}", admin.sendJSON(http.MethodDelete, "/auth/api/jwt-templates/svc", nil))
	check(t, "POST /api/jwt-keys/rotate", admin.postJSON("/auth/api/jwt-keys/rotate", map[string]string{"algorithm": "RS256"}))
	check(t, "POST /api/jwt-keys/rotate", admin.postJSON("/auth/api/jwt-keys/rotate", map[string]string{"algorithm": "none"}))
	check(t, "GET /api/jwt-keys", admin.get("/auth/api/jwt-keys"))
	check(t, "GET /.well-known/jwks.json", flNew(t, env).get("/auth/.well-known/jwks.json"))

	// Webhook endpoints.
	const eps = "/auth/api/webhooks/endpoints"
	check(t, "POST /api/webhooks/endpoints", admin.postJSON(eps, map[string]any{"url": "https://169.254.169.254/"}))
	check(t, "POST /api/webhooks/endpoints", admin.postJSON(eps, map[string]any{"url": "gopher://x"}))
	check(t, "POST /api/webhooks/endpoints", admin.postJSON(eps, map[string]any{"url": rc.URL, "event_types": []string{"user.creatd"}}))
	r := admin.postJSON(eps, map[string]any{"url": rc.URL, "description": "CRM", "event_types": []string{"user.created"}})
	check(t, "POST /api/webhooks/endpoints", r)
	var created struct {
		Endpoint struct{ ID string } `json:"endpoint"`
	}
	r.decode(&created)
	ep := eps + "/" + created.Endpoint.ID
	check(t, "GET /api/webhooks/endpoints", admin.get(eps))
	check(t, "GET /api/webhooks/endpoints/{id}", admin.get(ep))
	check(t, "GET /api/webhooks/endpoints/{id}", admin.get(eps+"/ep_unknown"))
	check(t, "PATCH /api/webhooks/endpoints/{id}", admin.patchJSON(ep, map[string]any{"description": "CRM 2"}))
	check(t, "PATCH /api/webhooks/endpoints/{id}", admin.patchJSON(ep, map[string]any{"description": strings.Repeat("x", 600)}))
	check(t, "GET /api/webhooks/endpoints/{id}/secret", admin.get(ep+"/secret"))
	check(t, "POST /api/webhooks/endpoints/{id}/rotate-secret", admin.postJSON(ep+"/rotate-secret", map[string]any{}))
	check(t, "POST /api/webhooks/endpoints/{id}/rotate-secret", admin.postJSON(eps+"/ep_unknown/rotate-secret", map[string]any{}))
	alignClock(env)
	env.CreateUser(t, "hooked@example.com", authtest.Password())
	flushHooks(t, env)
	check(t, "GET /api/webhooks/endpoints/{id}/deliveries", admin.get(ep+"/deliveries"))
	check(t, "GET /api/webhooks/endpoints/{id}/deliveries", admin.get(ep+"/deliveries?status=failed&limit=5"))
	check(t, "GET /api/webhooks/endpoints/{id}/deliveries", admin.get(ep+"/deliveries?limit=0"))
	check(t, "POST /api/webhooks/endpoints/{id}/replay", admin.postJSON(ep+"/replay", map[string]any{"since": env.Clock.Now().Add(-time.Hour)}))
	check(t, "POST /api/webhooks/endpoints/{id}/replay", admin.postJSON(ep+"/replay", map[string]any{"event_id": "evt_nope"}))
	check(t, "POST /api/webhooks/endpoints/{id}/replay", admin.postJSON(ep+"/replay", map[string]any{}))
	check(t, "DELETE /api/webhooks/endpoints/{id}", admin.sendJSON(http.MethodDelete, ep, nil))
	check(t, "DELETE /api/webhooks/endpoints/{id}", admin.sendJSON(http.MethodDelete, ep, nil))
	check(t, "GET /api/webhooks/endpoints/{id}/secret", admin.get(ep+"/secret"))
	check(t, "GET /api/webhooks/endpoints/{id}/deliveries", admin.get(ep+"/deliveries"))
}
