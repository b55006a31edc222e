package auth_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/authtest"
)

// BenchmarkEmailCodeSignIn measures email-code verification to a new
// session, server side: completed sign-ins per second over loopback HTTP
// from 64 concurrent clients, each POST /auth/api/code/verify with the
// right code of its own flow (users and flows are made before the timer).
// In the same run it measures a bare handler that reads a small JSON body
// and answers JSON, with the same clients. Any error fails the benchmark.
//
//	go test -run XXX -bench EmailCodeSignIn -benchtime 4000x -count 5 .
func BenchmarkEmailCodeSignIn(b *testing.B) {
	const clients = 64
	env := authtest.New(b, func(c *auth.Config) {
		c.Passwordless.EmailsPerAddressPerHour = -1
		c.Logger = nil
		c.DisableNewDeviceEmails = false // the default: every sign-in here is from a new device
	}, secQuietLog)
	n := b.N
	transport := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	ctx := context.Background()

	// Users, flows (one browser cookie each) and the codes from the mail.
	type flow struct{ email, cookie, code string }
	flows := make([]flow, n)
	run(b, n, clients, func(i int) error {
		email := fmt.Sprintf("bench%d@example.com", i)
		if _, err := env.Auth.CreateUser(ctx, auth.CreateUserParams{Email: email, EmailVerified: true}); err != nil {
			return err
		}
		resp, err := client.Post(env.URL+"/auth/api/sign-in/email-code", "application/json", strings.NewReader(`{"email":"`+email+`"}`))
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			return fmt.Errorf("start: %d", resp.StatusCode)
		}
		for _, c := range resp.Cookies() {
			if strings.HasSuffix(c.Name, "embedauth_session") {
				flows[i] = flow{email: email, cookie: c.Name + "=" + c.Value}
			}
		}
		return nil
	})
	env.Auth.FlushMail(ctx)
	run(b, n, clients, func(i int) error {
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		m, err := env.Mail.Wait(wctx, flows[i].email)
		if err != nil {
			return err
		}
		match := pwCodeRE.FindStringSubmatch(m.Text)
		if match == nil {
			return fmt.Errorf("no code in %q", m.Text)
		}
		flows[i].code = match[1]
		return nil
	})

	// The bare baseline: the same clients, a handler that reads a small
	// JSON body and answers JSON.
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":"ok"}`)
	}))
	defer bare.Close()
	post := func(u, cookie, body string, want int) error {
		req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			return fmt.Errorf("%s: status %d", u, resp.StatusCode)
		}
		return nil
	}
	bareStart := time.Now()
	run(b, n, clients, func(i int) error {
		return post(bare.URL+"/verify", flows[i].cookie, `{"code":"123456"}`, http.StatusOK)
	})
	bareRate := float64(n) / time.Since(bareStart).Seconds()

	b.ResetTimer()
	start := time.Now()
	run(b, n, clients, func(i int) error {
		return post(env.URL+"/auth/api/code/verify", flows[i].cookie, `{"code":"`+flows[i].code+`"}`, http.StatusOK)
	})
	elapsed := time.Since(start)
	b.StopTimer()
	rate := float64(n) / elapsed.Seconds()
	b.ReportMetric(rate, "signins/s")
	b.ReportMetric(bareRate, "bare-req/s")
	b.ReportMetric(rate/bareRate, "ratio")
	// Every sign-in made exactly one session.
	var sessions int
	env.Auth.Store().SQL().QueryRow(`SELECT COUNT(*) FROM auth_sessions`).Scan(&sessions)
	if sessions != n {
		b.Fatalf("%d sessions for %d sign-ins", sessions, n)
	}
}

// run calls fn(0..n-1) from `workers` goroutines and fails b on any error.
func run(b *testing.B, n, workers int, fn func(i int) error) {
	b.Helper()
	var next atomic.Int64
	var errs atomic.Int64
	var first sync.Once
	var firstErr error
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					errs.Add(1)
					first.Do(func() { firstErr = err })
				}
			}
		}()
	}
	wg.Wait()
	if errs.Load() > 0 {
		b.Fatalf("%d errors; first: %v", errs.Load(), firstErr)
	}
}
