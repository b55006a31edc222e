package auth_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/embedauth/auth"
	"github.com/embedauth/auth/webhook"
)

// BenchmarkWebhookDispatch measures delivery throughput: b.N events
// (user.created, committed beforehand) delivered by FlushWebhooks to 10
// endpoints, each a receiver on loopback that verifies every signature.
// It reports events/s (each event delivered to all 10) and deliveries/s,
// and fails unless every receiver acknowledged every event exactly once.
// The "direct" case is the baseline of the same run: the same signed POSTs
// to the same kind of receivers, one sender goroutine per receiver, with
// no outbox, database or retry bookkeeping.
func BenchmarkWebhookDispatch(b *testing.B) {
	b.Run("dispatcher", benchDispatcher)
	b.Run("direct", benchDirectPosts)
}

func benchDispatcher(b *testing.B) {
	env := hookEnv(b)
	const endpoints = 10
	type counter struct {
		mu   sync.Mutex
		ids  map[string]int
		bad  int
		srv  *httptest.Server
		seed string
	}
	var counters []*counter
	for range endpoints {
		c := &counter{ids: map[string]int{}}
		c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			err := webhook.VerifyAt(c.seed, r.Header, body, env.Clock.Now(), webhook.DefaultTolerance)
			c.mu.Lock()
			if err != nil {
				c.bad++
			} else {
				c.ids[r.Header.Get(webhook.HeaderID)]++
			}
			c.mu.Unlock()
			w.WriteHeader(http.StatusNoContent)
		}))
		b.Cleanup(c.srv.Close)
		_, secret := mustHookEndpoint(b, env, c.srv.URL, "user.created")
		c.seed = secret
		counters = append(counters, c)
	}
	alignClock(env)
	ctx := context.Background()
	for i := range b.N {
		if _, err := env.Auth.CreateUser(ctx, auth.CreateUserParams{Email: fmt.Sprintf("u%d@example.com", i)}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	start := time.Now()
	delivered, err := env.Auth.FlushWebhooks(ctx)
	elapsed := time.Since(start)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	for i, c := range counters {
		if len(c.ids) != b.N || c.bad != 0 {
			b.Fatalf("receiver %d: %d of %d events, %d bad signatures", i, len(c.ids), b.N, c.bad)
		}
		for id, n := range c.ids {
			if n != 1 {
				b.Fatalf("receiver %d got %s %d times", i, id, n)
			}
		}
	}
	if delivered != b.N*endpoints {
		b.Fatalf("delivered %d, want %d", delivered, b.N*endpoints)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(delivered)/elapsed.Seconds(), "deliveries/s")
}

func benchDirectPosts(b *testing.B) {
	const endpoints = 10
	secret := webhook.NewSecret()
	key, _ := webhook.ParseSecret(secret)
	var srvs []*httptest.Server
	var mu sync.Mutex
	got := 0
	for range endpoints {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			if webhook.Verify(secret, r.Header, body) == nil {
				mu.Lock()
				got++
				mu.Unlock()
			}
			w.WriteHeader(http.StatusNoContent)
		}))
		b.Cleanup(srv.Close)
		srvs = append(srvs, srv)
	}
	client := (&webhook.Guard{Allowed: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}).Client(webhook.DefaultTimeout)
	data := []byte(`{"id":"user_x","email":"u@example.com","email_verified":true,"name":"","banned":false}`)
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for _, srv := range srvs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range b.N {
				id := fmt.Sprintf("evt_%d", i)
				now := time.Now()
				body, _ := webhook.Body("user.created", now, data)
				req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set(webhook.HeaderID, id)
				req.Header.Set(webhook.HeaderTimestamp, fmt.Sprint(now.Unix()))
				req.Header.Set(webhook.HeaderSignature, webhook.SignatureHeader([][]byte{key}, id, now, body))
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if got != b.N*endpoints {
		b.Fatalf("%d of %d posts verified", got, b.N*endpoints)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(got)/elapsed.Seconds(), "deliveries/s")
}
