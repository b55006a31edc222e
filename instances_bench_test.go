package auth_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/authtest"
	"github.com/embedauth/auth/core"
)

// BenchmarkInstances measures what a user of several instances hits, on
// SQLite (one instance), PostgreSQL with one instance, and PostgreSQL with
// two instances behind one address (requests alternate between them; an
// email-code sign-in starts on one and is verified on the other), each
// through real HTTP from 64 concurrent keep-alive clients in the default
// configuration:
//
//   - Middleware: an authenticated request to an app route (the session
//     cache on, as by default), requests/s;
//   - PasswordSignIn: POST /auth/api/sign-in (authtest's cheap password
//     hash, so the figure is the rest of the sign-in), sign-ins/s;
//   - EmailCodeSignIn: POST /auth/api/code/verify with the mailed code
//     (new-device mail on, the default), sign-ins/s;
//   - Writers64: 64 goroutines each creating and ending sessions through
//     the store, operations/s.
//
// Any answer other than the expected one (a 5xx, a serialization failure
// that reached a caller) fails the benchmark.
//
//	EMBEDAUTH_POSTGRES_URL=... go test -run XXX -bench Instances -benchtime 2000x .
func BenchmarkInstances(b *testing.B) {
	const clients = 64
	quiet := func(c *auth.Config) {
		c.Passwordless.EmailsPerAddressPerHour = -1
		c.DisableNewDeviceEmails = false
	}
	for _, topo := range []struct {
		name string
		envs func(b *testing.B) []*authtest.Env
	}{
		{"sqlite", func(b *testing.B) []*authtest.Env { return []*authtest.Env{authtest.New(b, quiet, secQuietLog)} }},
		{"postgres-1", func(b *testing.B) []*authtest.Env {
			return []*authtest.Env{authtest.New(b, quiet, secQuietLog, withPostgres(b))}
		}},
		{"postgres-2", func(b *testing.B) []*authtest.Env {
			a, c, _ := instances(b, true, quiet, secQuietLog)
			return []*authtest.Env{a, c}
		}},
	} {
		b.Run(topo.name, func(b *testing.B) {
			envs := topo.envs(b)
			ctx := context.Background()
			transport := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}
			defer transport.CloseIdleConnections()
			client := &http.Client{Transport: transport, Timeout: 30 * time.Second,
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			do := func(method, u, cookie, body string, want int) (*http.Response, error) {
				req, _ := http.NewRequest(method, u, strings.NewReader(body))
				if body != "" {
					req.Header.Set("Content-Type", "application/json")
				}
				req.Header.Set("Accept", "application/json")
				if cookie != "" {
					req.Header.Set("Cookie", cookie)
				}
				resp, err := client.Do(req)
				if err != nil {
					return nil, err
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != want {
					return resp, fmt.Errorf("%s %s: status %d, want %d", method, u, resp.StatusCode, want)
				}
				return resp, nil
			}
			env := func(i int) *authtest.Env { return envs[i%len(envs)] }
			cookieOf := func(resp *http.Response) string {
				var parts []string
				for _, c := range resp.Cookies() {
					parts = append(parts, c.Name+"="+c.Value)
				}
				return strings.Join(parts, "; ")
			}
			rate := func(b *testing.B, start time.Time, unit string) {
				b.StopTimer()
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), unit)
			}
			pw := authtest.Password()
			var users []string
			for i := range clients {
				users = append(users, envs[0].CreateUser(b, fmt.Sprintf("load%d@example.com", i), pw).ID)
			}

			b.Run("Middleware", func(b *testing.B) {
				cookies := make([]string, clients)
				run(b, clients, clients, func(i int) error {
					resp, err := do("POST", env(i).URL+"/auth/api/sign-in", "",
						fmt.Sprintf(`{"email":"load%d@example.com","password":%q}`, i, pw), http.StatusOK)
					if err == nil {
						cookies[i] = cookieOf(resp)
					}
					return err
				})
				b.ResetTimer()
				start := time.Now()
				run(b, b.N, clients, func(i int) error {
					_, err := do("GET", env(i).URL+"/", cookies[i%clients], "", http.StatusOK)
					return err
				})
				rate(b, start, "req/s")
			})
			b.Run("PasswordSignIn", func(b *testing.B) {
				start := time.Now()
				run(b, b.N, clients, func(i int) error {
					_, err := do("POST", env(i).URL+"/auth/api/sign-in", "",
						fmt.Sprintf(`{"email":"load%d@example.com","password":%q}`, i%clients, pw), http.StatusOK)
					return err
				})
				rate(b, start, "signins/s")
			})
			b.Run("EmailCodeSignIn", func(b *testing.B) {
				b.StopTimer()
				type flow struct{ email, cookie, code string }
				flows := make([]flow, b.N)
				prefix := fmt.Sprintf("code%d-", time.Now().UnixNano())
				run(b, b.N, clients, func(i int) error {
					email := fmt.Sprintf("%s%d@example.com", prefix, i)
					if _, err := envs[0].Auth.CreateUser(ctx, auth.CreateUserParams{Email: email, EmailVerified: true}); err != nil {
						return err
					}
					resp, err := do("POST", env(i).URL+"/auth/api/sign-in/email-code", "", `{"email":"`+email+`"}`, http.StatusAccepted)
					if err != nil {
						return err
					}
					flows[i] = flow{email: email, cookie: cookieOf(resp)}
					return nil
				})
				for _, e := range envs {
					e.Auth.FlushMail(ctx)
				}
				run(b, b.N, clients, func(i int) error {
					wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
					defer cancel()
					m, err := envs[0].Mail.Wait(wctx, flows[i].email)
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
				b.StartTimer()
				start := time.Now()
				run(b, b.N, clients, func(i int) error {
					// Verified on the other instance when there are two.
					_, err := do("POST", env(i+1).URL+"/auth/api/code/verify", flows[i].cookie, `{"code":"`+flows[i].code+`"}`, http.StatusOK)
					return err
				})
				rate(b, start, "signins/s")
			})
			b.Run("Writers64", func(b *testing.B) {
				start := time.Now()
				run(b, b.N, 64, func(i int) error {
					db := env(i).Auth.Store()
					s, err := db.CreateSession(ctx, core.Session{UserID: users[i%clients], AuthMethod: "password", ExpiresAt: time.Now().Add(time.Hour)})
					if err != nil {
						return err
					}
					return db.EndSession(ctx, s.ID, "signed_out")
				})
				rate(b, start, "ops/s")
			})
		})
	}
}
