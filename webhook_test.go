package auth_test

// Webhooks end to end: endpoints managed through the API and the admin
// page, deliveries from the events outbox to real receivers over HTTP on
// loopback, driven by a fake clock and FlushWebhooks.

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/authtest"
	"github.com/embedauth/auth/webhook"
)

// hookRequest is one request a receiver got.
type hookRequest struct {
	header http.Header
	body   []byte
	at     time.Time // the fake clock when it arrived
	status int       // what the receiver answered
}

func (r hookRequest) id() string { return r.header.Get(webhook.HeaderID) }

func (r hookRequest) payload(t testing.TB) webhook.Payload {
	t.Helper()
	var p webhook.Payload
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("payload %s: %v", r.body, err)
	}
	return p
}

// receiver is a webhook receiver on loopback whose answers the test
// scripts.
type receiver struct {
	*httptest.Server
	clock   *authtest.Clock
	mu      sync.Mutex
	reqs    []hookRequest
	respond func(now time.Time, r *http.Request) (int, http.Header)
}

func newReceiver(t testing.TB, clock *authtest.Clock, respond func(now time.Time, r *http.Request) (int, http.Header)) *receiver {
	rc := &receiver{clock: clock, respond: respond}
	if rc.respond == nil {
		rc.respond = func(time.Time, *http.Request) (int, http.Header) { return http.StatusOK, nil }
	}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		now := rc.clock.Now()
		rc.mu.Lock()
		status, h := rc.respond(now, r)
		rc.reqs = append(rc.reqs, hookRequest{header: r.Header.Clone(), body: body, at: now, status: status})
		rc.mu.Unlock()
		for k, v := range h {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"received":%q}`, r.Header.Get(webhook.HeaderID))
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) requests() []hookRequest {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]hookRequest(nil), rc.reqs...)
}

// hookEnv is an Auth for webhook tests: admins are admin@..., receivers on
// 127.0.0.1 are allowed, and the dispatcher runs only when the test
// flushes (its poll is an hour of real time).
func hookEnv(t testing.TB, opts ...authtest.Option) *authtest.Env {
	t.Helper()
	return adminEnv(t, append([]authtest.Option{func(c *auth.Config) { c.Webhooks.Poll = time.Hour }}, opts...)...)
}

func mustHookEndpoint(t testing.TB, env *authtest.Env, url string, types ...string) (auth.WebhookEndpoint, string) {
	t.Helper()
	e, secret, err := env.Auth.CreateWebhookEndpoint(context.Background(), auth.WebhookEndpointParams{URL: url, EventTypes: types})
	if err != nil {
		t.Fatal(err)
	}
	return e, secret
}

func flushHooks(t testing.TB, env *authtest.Env) int {
	t.Helper()
	n, err := env.Auth.FlushWebhooks(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// headOf returns the oldest pending delivery of an endpoint, the one the
// dispatcher tries next.
func headOf(t testing.TB, env *authtest.Env, endpointID string) (auth.WebhookDelivery, bool) {
	t.Helper()
	list, err := env.Auth.WebhookDeliveries(context.Background(), endpointID, "pending", 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) == 0 {
		return auth.WebhookDelivery{}, false
	}
	return list[len(list)-1], true
}

// alignClock moves the clock to the next whole second, so that times
// stored in milliseconds compare equal.
func alignClock(env *authtest.Env) time.Time {
	now := env.Clock.Now()
	env.Clock.Advance(now.Truncate(time.Second).Add(time.Second).Sub(now))
	return env.Clock.Now()
}

// advanceTo moves the clock to at (never back).
func advanceTo(env *authtest.Env, at time.Time) {
	if d := at.Sub(env.Clock.Now()); d > 0 {
		env.Clock.Advance(d)
	}
}

// hookSignature computes a Standard Webhooks signature without the
// webhook package: HMAC-SHA256 keyed with the base64-decoded secret after
// "whsec_", over "{id}.{timestamp}.{body}", as "v1," + standard base64.
func hookSignature(t testing.TB, secret, id, timestamp string, body []byte) string {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		t.Fatalf("secret %q: %v", secret, err)
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + timestamp + "."))
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// hookWantSignedBy checks that the webhook-signature header of r holds
// exactly the signatures of secrets over the id, timestamp and body the
// receiver got, computed by hookSignature.
func hookWantSignedBy(t testing.TB, what string, r hookRequest, secrets ...string) {
	t.Helper()
	var want []string
	for _, s := range secrets {
		want = append(want, hookSignature(t, s, r.id(), r.header.Get(webhook.HeaderTimestamp), r.body))
	}
	got := strings.Fields(r.header.Get(webhook.HeaderSignature))
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("%s: webhook-signature %q, want %q", what, got, want)
	}
}

// TestWebhook_IndependentSignatureMatchesTheSpecVector checks
// hookSignature itself against the Standard Webhooks reference vector.
func TestWebhook_IndependentSignatureMatchesTheSpecVector(t *testing.T) {
	t.Parallel()
	got := hookSignature(t, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", []byte(`{"test": 2432232314}`))
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Fatalf("hookSignature = %s, want %s", got, want)
	}
}

func TestWebhook_DeliveryFormatAndSignature(t *testing.T) {
	t.Parallel()
	env := hookEnv(t)
	rc := newReceiver(t, env.Clock, nil)
	_, secret := mustHookEndpoint(t, env, rc.URL+"/hooks?src=embedauth", "user.created")
	u := env.CreateUser(t, "ann@example.com", authtest.Password())
	flushHooks(t, env) // (the dispatcher's own first round may have delivered it already)
	reqs := rc.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	r := reqs[0]
	hookWantSignedBy(t, "delivery", r, secret)
	if err := webhook.VerifyAt(secret, r.header, r.body, r.at, webhook.DefaultTolerance); err != nil {
		t.Fatalf("signature: %v", err)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" || !strings.HasPrefix(r.id(), "evt_") ||
		r.header.Get(webhook.HeaderTimestamp) != fmt.Sprint(r.at.Unix()) {
		t.Fatalf("headers %v", r.header)
	}
	p := r.payload(t)
	var data map[string]any
	json.Unmarshal(p.Data, &data)
	if p.Type != "user.created" || data["id"] != u.ID || data["email"] != "ann@example.com" || p.Timestamp != u.CreatedAt.UnixMilli() {
		t.Fatalf("payload %s", r.body)
	}
	if _, ok := data["private_metadata"]; ok || !strings.HasPrefix(string(r.body), `{"type":"user.created","timestamp":`) {
		t.Fatalf("payload shape %s", r.body)
	}
	// Not subscribed: session events do not go to this endpoint.
	c := flNew(t, env)
	pw := authtest.Password()
	env.CreateUser(t, "bob@example.com", pw)
	c.signIn("bob@example.com", pw)
	flushHooks(t, env)
	for _, r := range rc.requests() {
		if r.payload(t).Type != "user.created" {
			t.Fatalf("got %s", r.payload(t).Type)
		}
	}
}

// TestT45_ReceiverDownForAnHourGetsEveryEventOnceInOrder: the receiver
// answers 503 for a simulated hour, then 200. The oldest message is
// retried on Svix's schedule with a fresh timestamp and the same id each
// time; the messages behind it wait (order per endpoint) and follow at
// once when it gets through; every event id is acknowledged exactly once;
// another endpoint is not held up.
func TestT45_ReceiverDownForAnHourGetsEveryEventOnceInOrder(t *testing.T) {
	t.Parallel()
	env := hookEnv(t)
	t0 := alignClock(env)
	down := newReceiver(t, env.Clock, func(now time.Time, r *http.Request) (int, http.Header) {
		if now.Before(t0.Add(time.Hour)) {
			return http.StatusServiceUnavailable, nil
		}
		return http.StatusOK, nil
	})
	up := newReceiver(t, env.Clock, nil)
	epDown, secret := mustHookEndpoint(t, env, down.URL, "user.created")
	mustHookEndpoint(t, env, up.URL, "user.created")
	var want []string
	for i := range 5 {
		u := env.CreateUser(t, fmt.Sprintf("u%d@example.com", i), authtest.Password())
		want = append(want, u.ID)
	}
	flushHooks(t, env)
	if got := len(up.requests()); got != 5 {
		t.Fatalf("the healthy endpoint got %d, want 5 at once", got)
	}
	if got := len(down.requests()); got != 1 {
		t.Fatalf("the failing endpoint got %d requests, want only its oldest message", got)
	}
	// Drive the clock to each next attempt.
	for range 20 {
		head, ok := headOf(t, env, epDown.ID)
		if !ok {
			break
		}
		advanceTo(env, *head.NextAttemptAt)
		flushHooks(t, env)
	}
	if _, ok := headOf(t, env, epDown.ID); ok {
		t.Fatal("messages still pending")
	}
	reqs := down.requests()
	// The schedule: 0, 5 s, 5 min, 30 min, then 2 h, when it gets through.
	wantAt := []time.Duration{0, 5 * time.Second, 5*time.Minute + 5*time.Second, 35*time.Minute + 5*time.Second, 2*time.Hour + 35*time.Minute + 5*time.Second}
	if len(reqs) != len(wantAt)+4 {
		t.Fatalf("%d requests, want %d", len(reqs), len(wantAt)+4)
	}
	firstID := reqs[0].id()
	for i, d := range wantAt {
		r := reqs[i]
		if r.id() != firstID || !r.at.Equal(t0.Add(d)) || string(r.body) != string(reqs[0].body) {
			t.Errorf("attempt %d: id %s at +%v, want %s at +%v with the same body", i+1, r.id(), r.at.Sub(t0), firstID, d)
		}
		if r.header.Get(webhook.HeaderTimestamp) != fmt.Sprint(r.at.Unix()) {
			t.Errorf("attempt %d: webhook-timestamp %s, want the attempt's time %d", i+1, r.header.Get(webhook.HeaderTimestamp), r.at.Unix())
		}
		hookWantSignedBy(t, fmt.Sprintf("attempt %d", i+1), r, secret)
		if err := webhook.VerifyAt(secret, r.header, r.body, r.at, webhook.DefaultTolerance); err != nil {
			t.Errorf("attempt %d: %v", i+1, err)
		}
	}
	// Every event acknowledged once, in order; a receiver deduping by
	// webhook-id processes each once.
	var acked []string
	seen := map[string]int{}
	for _, r := range reqs {
		if r.status == http.StatusOK {
			var data struct{ ID string }
			json.Unmarshal(r.payload(t).Data, &data)
			acked = append(acked, data.ID)
			seen[r.id()]++
		}
	}
	if fmt.Sprint(acked) != fmt.Sprint(want) {
		t.Fatalf("acknowledged %v, want %v in order", acked, want)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("event %s acknowledged %d times", id, n)
		}
	}
	// The log shows the attempts.
	log, err := env.Auth.WebhookDeliveries(context.Background(), epDown.ID, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	first := log[len(log)-1]
	if first.Status != "delivered" || len(first.Attempts) != 5 || first.Attempts[0].StatusCode != 503 || first.Attempts[4].StatusCode != 200 ||
		!strings.Contains(first.Attempts[4].Response, first.EventID) {
		t.Fatalf("log of the first message: %+v", first)
	}
	if e, _ := env.Auth.GetWebhookEndpoint(context.Background(), epDown.ID); !e.Enabled || e.FailingSince != nil {
		t.Fatalf("endpoint after recovery: %+v", e)
	}
}

// TestT46_StatusHandling: 410 disables the endpoint; a redirect is a
// failure and is not followed; Retry-After pushes the retry back; and an
// endpoint that fails for 5 days is disabled.
func TestT46_StatusHandling(t *testing.T) {
	t.Parallel()

	t.Run("410Disables", func(t *testing.T) {
		t.Parallel()
		env := hookEnv(t)
		rc := newReceiver(t, env.Clock, func(time.Time, *http.Request) (int, http.Header) { return http.StatusGone, nil })
		ep, _ := mustHookEndpoint(t, env, rc.URL)
		env.CreateUser(t, "a@example.com", authtest.Password())
		flushHooks(t, env)
		e, _ := env.Auth.GetWebhookEndpoint(context.Background(), ep.ID)
		if e.Enabled || e.DisabledReason != "gone" {
			t.Fatalf("after 410: %+v", e)
		}
		env.CreateUser(t, "b@example.com", authtest.Password())
		env.Clock.Advance(24 * time.Hour)
		flushHooks(t, env)
		if n := len(rc.requests()); n != 1 {
			t.Fatalf("%d requests to a disabled endpoint, want only the one answered 410", n)
		}
	})

	t.Run("RedirectIsAFailure", func(t *testing.T) {
		t.Parallel()
		env := hookEnv(t)
		target := newReceiver(t, env.Clock, nil)
		rc := newReceiver(t, env.Clock, func(time.Time, *http.Request) (int, http.Header) {
			return http.StatusFound, http.Header{"Location": {target.URL}}
		})
		ep, _ := mustHookEndpoint(t, env, rc.URL, "user.created")
		alignClock(env)
		env.CreateUser(t, "a@example.com", authtest.Password())
		if n := flushHooks(t, env); n != 0 {
			t.Fatalf("a redirect counted as %d deliveries", n)
		}
		if len(target.requests()) != 0 {
			t.Fatal("the redirect was followed")
		}
		head, ok := headOf(t, env, ep.ID)
		if !ok || len(head.Attempts) != 1 || head.Attempts[0].StatusCode != http.StatusFound || !strings.Contains(head.Attempts[0].Error, "redirect") ||
			!head.NextAttemptAt.Equal(env.Clock.Now().Add(5*time.Second)) {
			t.Fatalf("after a 302: %+v", head)
		}
	})

	t.Run("RetryAfterHonoured", func(t *testing.T) {
		t.Parallel()
		env := hookEnv(t)
		calls := 0
		rc := newReceiver(t, env.Clock, func(time.Time, *http.Request) (int, http.Header) {
			calls++
			if calls == 1 {
				return http.StatusServiceUnavailable, http.Header{"Retry-After": {"3600"}}
			}
			return http.StatusOK, nil
		})
		ep, _ := mustHookEndpoint(t, env, rc.URL, "user.created")
		t0 := alignClock(env)
		env.CreateUser(t, "a@example.com", authtest.Password())
		flushHooks(t, env)
		head, _ := headOf(t, env, ep.ID)
		if !head.NextAttemptAt.Equal(t0.Add(time.Hour)) {
			t.Fatalf("next attempt at +%v, want +1h (Retry-After)", head.NextAttemptAt.Sub(t0))
		}
		env.Clock.Advance(5 * time.Second) // the schedule's 5 s: not yet
		flushHooks(t, env)
		if len(rc.requests()) != 1 {
			t.Fatal("retried before Retry-After")
		}
		advanceTo(env, t0.Add(time.Hour))
		flushHooks(t, env)
		if reqs := rc.requests(); len(reqs) != 2 || reqs[1].status != http.StatusOK || !reqs[1].at.Equal(t0.Add(time.Hour)) {
			t.Fatalf("at Retry-After: %d requests", len(reqs))
		}
	})

	t.Run("DisabledAfterFiveDaysOfFailure", func(t *testing.T) {
		t.Parallel()
		env := hookEnv(t)
		rc := newReceiver(t, env.Clock, func(time.Time, *http.Request) (int, http.Header) { return http.StatusInternalServerError, nil })
		ep, _ := mustHookEndpoint(t, env, rc.URL, "user.created")
		for i := range 6 {
			env.CreateUser(t, fmt.Sprintf("u%d@example.com", i), authtest.Password())
		}
		t0 := env.Clock.Now()
		flushHooks(t, env)
		var e auth.WebhookEndpoint
		for range 100 {
			head, ok := headOf(t, env, ep.ID)
			if e, _ = env.Auth.GetWebhookEndpoint(context.Background(), ep.ID); !e.Enabled || !ok {
				break
			}
			advanceTo(env, *head.NextAttemptAt)
			flushHooks(t, env)
		}
		if e.Enabled || e.DisabledReason != "failing" {
			t.Fatalf("endpoint after days of 500s: %+v", e)
		}
		reqs := rc.requests()
		last := reqs[len(reqs)-1].at
		if last.Sub(t0) < 5*24*time.Hour || last.Sub(t0) > 5*24*time.Hour+10*time.Hour {
			t.Fatalf("disabled %v after the first failure, want just past 5 days", last.Sub(t0))
		}
		if len(reqs) < 8 {
			t.Fatalf("only %d attempts", len(reqs))
		}
		// Given up messages are "failed", and can be replayed after a fix.
		failed, _ := env.Auth.WebhookDeliveries(context.Background(), ep.ID, "failed", 100)
		if len(failed) != 4 || len(failed[0].Attempts) != 8 {
			t.Fatalf("%d failed messages (want 4, 8 attempts each): %+v", len(failed), failed)
		}
	})
}

// TestT47_InternalAddressesRefused: endpoints on 127.0.0.1, the metadata
// address or private networks are refused when saved, and a name that
// rebinds to 127.0.0.1 after it was saved is refused when the dispatcher
// connects.
func TestT47_InternalAddressesRefused(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, authtest.NewClock(time.Now()), nil)
	_, port, _ := strings.Cut(strings.TrimPrefix(rc.URL, "http://127.0.0.1"), ":")
	var lookups atomic.Int64
	env := authtest.New(t, func(c *auth.Config) {
		c.IsAdmin = func(u auth.User) bool { return u.Email == "admin@example.com" }
		c.Webhooks.Poll = time.Hour
		c.Webhooks.LookupIP = func(ctx context.Context, host string) ([]netip.Addr, error) {
			switch host {
			case "rebind.example.com":
				if lookups.Add(1) == 1 {
					return []netip.Addr{netip.MustParseAddr("93.184.216.34")}, nil
				}
				return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
			case "metadata.google.internal":
				return []netip.Addr{netip.MustParseAddr("169.254.169.254")}, nil
			}
			return nil, errors.New("no such host")
		}
	})
	admin, _ := jwtSignIn(t, env, "admin@example.com")
	for _, u := range []string{rc.URL, "http://127.0.0.1:" + port, "https://localhost:" + port, "https://169.254.169.254/latest/meta-data/",
		"https://metadata.google.internal/computeMetadata/v1/", "https://10.0.0.8/hook", "https://[::1]/hook", "https://[fd00:ec2::254]/"} {
		r := admin.postJSON("/auth/api/webhooks/endpoints", map[string]any{"url": u})
		r.want(http.StatusUnprocessableEntity)
		if e := r.errorBody(); (e.Code != "url_not_allowed" && e.Code != "invalid_url") || e.Field != "url" {
			t.Errorf("%s: %+v", u, e)
		}
	}
	if _, _, err := env.Auth.CreateWebhookEndpoint(context.Background(), auth.WebhookEndpointParams{URL: "https://127.0.0.1/"}); !errors.Is(err, webhook.ErrForbiddenAddress) {
		t.Errorf("Go API: %v, want an error wrapping webhook.ErrForbiddenAddress", err)
	}
	// DNS rebinding: public when saved, 127.0.0.1 when dialed.
	ep, _ := mustHookEndpoint(t, env, "https://rebind.example.com:"+port+"/hook")
	env.CreateUser(t, "a@example.com", authtest.Password())
	if n := flushHooks(t, env); n != 0 {
		t.Fatalf("delivered %d through a rebinding name", n)
	}
	head, ok := headOf(t, env, ep.ID)
	if !ok || len(head.Attempts) == 0 || !strings.Contains(head.Attempts[0].Error, "address not allowed") || head.Attempts[0].StatusCode != 0 {
		t.Fatalf("rebinding attempt: %+v", head)
	}
	if n := len(rc.requests()); n != 0 {
		t.Fatalf("the loopback receiver got %d requests", n)
	}
}

// TestT48_RotatedSecretSignsBesideTheOldFor24Hours rotates an endpoint's
// secret through the API: for 24 hours both signatures are sent and each
// secret verifies; then only the new one.
func TestT48_RotatedSecretSignsBesideTheOldFor24Hours(t *testing.T) {
	t.Parallel()
	env := hookEnv(t)
	admin, _ := jwtSignIn(t, env, "admin@example.com")
	rc := newReceiver(t, env.Clock, nil)
	alignClock(env) // the endpoint comes after the admin's own user.created
	var created struct {
		Endpoint auth.WebhookEndpoint `json:"endpoint"`
		Secret   string               `json:"secret"`
	}
	admin.postJSON("/auth/api/webhooks/endpoints", map[string]any{"url": rc.URL, "event_types": []string{"user.created"}}).want(http.StatusCreated).decode(&created)
	oldSecret := created.Secret
	var rotated struct{ Secret string }
	admin.postJSON("/auth/api/webhooks/endpoints/"+created.Endpoint.ID+"/rotate-secret", map[string]any{}).want(http.StatusOK).decode(&rotated)
	newSecret := rotated.Secret
	var current struct{ Secret string }
	admin.get("/auth/api/webhooks/endpoints/" + created.Endpoint.ID + "/secret").want(http.StatusOK).decode(&current)
	if newSecret == oldSecret || current.Secret != newSecret || !strings.HasPrefix(newSecret, "whsec_") {
		t.Fatalf("secrets: old %s, rotated %s, current %s", oldSecret, newSecret, current.Secret)
	}
	env.CreateUser(t, "a@example.com", authtest.Password())
	flushHooks(t, env)
	env.Clock.Advance(24*time.Hour - time.Second)
	env.CreateUser(t, "b@example.com", authtest.Password())
	flushHooks(t, env)
	env.Clock.Advance(2 * time.Second)
	env.CreateUser(t, "c@example.com", authtest.Password())
	flushHooks(t, env)
	reqs := rc.requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests", len(reqs))
	}
	for i, r := range reqs[:2] {
		hookWantSignedBy(t, fmt.Sprintf("message %d within 24 h", i), r, oldSecret, newSecret)
		for _, s := range []string{oldSecret, newSecret} {
			if err := webhook.VerifyAt(s, r.header, r.body, r.at, webhook.DefaultTolerance); err != nil {
				t.Errorf("message %d within 24 h: %v", i, err)
			}
		}
	}
	last := reqs[2]
	hookWantSignedBy(t, "after 24 h", last, newSecret)
	if err := webhook.VerifyAt(newSecret, last.header, last.body, last.at, webhook.DefaultTolerance); err != nil {
		t.Errorf("after 24 h, new secret: %v", err)
	}
	if err := webhook.VerifyAt(oldSecret, last.header, last.body, last.at, webhook.DefaultTolerance); err == nil {
		t.Error("after 24 h the old secret still verifies")
	}
}

func TestWebhook_EndpointsAPI(t *testing.T) {
	t.Parallel()
	env := hookEnv(t)
	admin, _ := jwtSignIn(t, env, "admin@example.com")
	user, _ := jwtSignIn(t, env, "user@example.com")
	rc := newReceiver(t, env.Clock, nil)

	user.get("/auth/api/webhooks/endpoints").wantError(http.StatusForbidden, "admin_required")
	flNew(t, env).get("/auth/api/webhooks/endpoints").wantError(http.StatusUnauthorized, "unauthenticated")

	// Bad input is refused with a message that says what is wrong.
	for _, tt := range []struct {
		body  map[string]any
		code  string
		field string
		says  string
	}{
		{map[string]any{"url": "not a url"}, "invalid_url", "url", "scheme"},
		{map[string]any{"url": "ftp://example.com/x"}, "invalid_url", "url", "https"},
		{map[string]any{"url": rc.URL, "event_types": []string{"user.created", "user.craeted", "nope"}}, "unknown_event_type", "event_types", `"user.craeted", "nope"`},
		{map[string]any{"url": rc.URL, "description": strings.Repeat("x", 501)}, "invalid_description", "description", "500"},
	} {
		r := admin.postJSON("/auth/api/webhooks/endpoints", tt.body)
		r.wantError(http.StatusUnprocessableEntity, tt.code).wantField(tt.field)
		if !strings.Contains(r.errorBody().Message, tt.says) {
			t.Errorf("%v: message %q lacks %q", tt.body, r.errorBody().Message, tt.says)
		}
	}

	var created struct {
		Endpoint auth.WebhookEndpoint `json:"endpoint"`
		Secret   string               `json:"secret"`
	}
	admin.postJSON("/auth/api/webhooks/endpoints", map[string]any{"url": rc.URL, "description": "CRM",
		"event_types": []string{"user.created", "user.deleted", "user.created"}}).want(http.StatusCreated).decode(&created)
	id := created.Endpoint.ID
	if fmt.Sprint(created.Endpoint.EventTypes) != "[user.created user.deleted]" || !created.Endpoint.Enabled {
		t.Fatalf("created %+v", created.Endpoint)
	}
	var list struct{ Endpoints []auth.WebhookEndpoint }
	admin.get("/auth/api/webhooks/endpoints").want(http.StatusOK).decode(&list)
	if len(list.Endpoints) != 1 || list.Endpoints[0].ID != id {
		t.Fatalf("list %+v", list)
	}
	if strings.Contains(string(admin.get("/auth/api/webhooks/endpoints").body), created.Secret) {
		t.Fatal("the list shows the secret")
	}
	admin.patchJSON("/auth/api/webhooks/endpoints/"+id, map[string]any{"event_types": []string{"bad.type"}}).wantError(http.StatusUnprocessableEntity, "unknown_event_type")
	var got struct{ Endpoint auth.WebhookEndpoint }
	admin.patchJSON("/auth/api/webhooks/endpoints/"+id, map[string]any{"enabled": false, "description": "CRM (paused)"}).want(http.StatusOK).decode(&got)
	if got.Endpoint.Enabled || got.Endpoint.DisabledReason != "manual" || got.Endpoint.Description != "CRM (paused)" {
		t.Fatalf("patched %+v", got.Endpoint)
	}
	// Events while disabled are not queued for it; re-enabled, it gets
	// new ones.
	env.CreateUser(t, "while-off@example.com", authtest.Password())
	flushHooks(t, env)
	admin.patchJSON("/auth/api/webhooks/endpoints/"+id, map[string]any{"enabled": true}).want(http.StatusOK)
	u := env.CreateUser(t, "on@example.com", authtest.Password())
	flushHooks(t, env)
	reqs := rc.requests()
	if len(reqs) != 1 || !strings.Contains(string(reqs[0].body), u.ID) {
		t.Fatalf("after re-enabling: %d requests", len(reqs))
	}
	evID := reqs[0].id()

	// The delivery log, and replays.
	var log struct{ Deliveries []auth.WebhookDelivery }
	admin.get("/auth/api/webhooks/endpoints/" + id + "/deliveries").want(http.StatusOK).decode(&log)
	if len(log.Deliveries) != 1 || log.Deliveries[0].EventID != evID || log.Deliveries[0].Status != "delivered" ||
		len(log.Deliveries[0].Attempts) != 1 || log.Deliveries[0].Attempts[0].StatusCode != 200 {
		t.Fatalf("log %+v", log)
	}
	admin.get("/auth/api/webhooks/endpoints/"+id+"/deliveries?status=bogus").wantError(http.StatusBadRequest, "invalid_status")
	admin.postJSON("/auth/api/webhooks/endpoints/"+id+"/replay", map[string]any{"event_id": evID}).want(http.StatusAccepted)
	admin.postJSON("/auth/api/webhooks/endpoints/"+id+"/replay", map[string]any{"event_id": "evt_nope"}).wantError(http.StatusNotFound, "event_not_found")
	admin.postJSON("/auth/api/webhooks/endpoints/"+id+"/replay", map[string]any{}).wantError(http.StatusUnprocessableEntity, "replay_target_required")
	admin.postJSON("/auth/api/webhooks/endpoints/"+id+"/replay", map[string]any{"since": env.Clock.Now().Add(-time.Hour)}).want(http.StatusAccepted)
	flushHooks(t, env)
	reqs = rc.requests()
	if len(reqs) != 2 || reqs[1].id() != evID || string(reqs[1].body) != string(reqs[0].body) {
		t.Fatalf("replay: %d requests, ids %s/%s", len(reqs), reqs[0].id(), reqs[len(reqs)-1].id())
	}

	admin.do(http.MethodDelete, "/auth/api/webhooks/endpoints/"+id, "", nil).want(http.StatusOK)
	admin.get("/auth/api/webhooks/endpoints/"+id).wantError(http.StatusNotFound, "endpoint_not_found")
	admin.get("/auth/api/webhooks/endpoints/"+id+"/deliveries").wantError(http.StatusNotFound, "endpoint_not_found")
}

func TestWebhook_AdminPage(t *testing.T) {
	t.Parallel()
	env := hookEnv(t)
	admin, _ := jwtSignIn(t, env, "admin@example.com")
	user, _ := jwtSignIn(t, env, "user@example.com")
	rc := newReceiver(t, env.Clock, nil)

	user.get("/auth/admin/webhooks").want(http.StatusNotFound)
	if loc := flNew(t, env).get("/auth/admin/webhooks").want(http.StatusSeeOther).location(); !strings.Contains(loc, "/auth/sign-in") {
		t.Fatalf("signed out: redirected to %q", loc)
	}
	admin.get("/auth/admin/webhooks").want(http.StatusOK).contains("Add an endpoint", "user.created", "No endpoints yet.")

	admin.postForm("/auth/admin/webhooks", url.Values{"url": {"https://127.0.0.2/x"}}).want(http.StatusUnprocessableEntity).fieldError("url")
	admin.postForm("/auth/admin/webhooks", url.Values{"url": {rc.URL}, "event_types": {"user.created", "nope"}}).want(http.StatusUnprocessableEntity)
	r := admin.postForm("/auth/admin/webhooks", url.Values{"url": {rc.URL}, "description": {"CRM"}, "event_types": {"user.created"}}).want(http.StatusSeeOther)
	page := r.location()
	if !strings.HasPrefix(page, "/auth/admin/webhooks/ep_") {
		t.Fatalf("created: redirected to %q", page)
	}
	id := strings.TrimPrefix(page, "/auth/admin/webhooks/")
	secret, _ := env.Auth.WebhookSecret(context.Background(), id)
	admin.get(page).want(http.StatusOK).notice().contains(rc.URL, "CRM", secret, "No messages yet.")
	user.get(page).want(http.StatusNotFound)

	env.CreateUser(t, "a@example.com", authtest.Password())
	flushHooks(t, env)
	admin.get(page).want(http.StatusOK).contains("user.created", "delivered", "Attempt 1")
	admin.postForm(page+"/rotate-secret", nil).want(http.StatusSeeOther)
	admin.get(page).want(http.StatusOK).contains("The previous secret also signs until")
	admin.postForm(page+"/replay", url.Values{"event_id": {"evt_nope"}}).want(http.StatusNotFound).fieldError("event_id")
	admin.postForm(page+"/replay", url.Values{"since": {env.Clock.Now().Add(-time.Hour).UTC().Format("2006-01-02T15:04")}}).want(http.StatusSeeOther)
	admin.postForm(page+"/enabled", url.Values{"enabled": {"false"}}).want(http.StatusSeeOther)
	admin.get(page).want(http.StatusOK).contains("disabled (manual)")
	admin.postForm(page+"/delete", nil).want(http.StatusSeeOther)
	admin.get(page).want(http.StatusNotFound)

	// With IsAdmin unset, nobody has the page.
	plain := authtest.New(t)
	c, _ := jwtSignIn(t, plain, "admin@example.com")
	c.get("/auth/admin/webhooks").want(http.StatusNotFound)
	flNew(t, plain).get("/auth/admin/webhooks").want(http.StatusNotFound)
}
