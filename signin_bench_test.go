package auth_test

import (
	"context"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/authtest"
	"github.com/embedauth/auth/internal/password"
)

// BenchmarkPasswordSignIn measures password sign-ins per second through the
// JSON API with the default argon2id cost, against the ceiling the hash
// itself sets (GOMAXPROCS / one hash time), measured in the same run.
func BenchmarkPasswordSignIn(b *testing.B) {
	env := authtest.New(b, func(c *auth.Config) { c.PasswordHashing = auth.Argon2Params{} })
	const email, pw = "bench@example.com", "violet tractor umbrella 42"
	env.CreateUser(b, email, pw)

	h := password.NewHasher(password.DefaultParams, 1, time.Minute)
	hash, _ := h.Hash(context.Background(), pw)
	const samples = 20
	start := time.Now()
	for range samples {
		h.Verify(context.Background(), pw, hash)
	}
	hashTime := time.Since(start) / samples
	limit := float64(runtime.GOMAXPROCS(0)) / hashTime.Seconds()

	body := `{"email":"` + email + `","password":"` + pw + `"}`
	workers := 2 * runtime.GOMAXPROCS(0)
	jobs := make(chan struct{})
	var wg sync.WaitGroup
	b.ResetTimer()
	start = time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{}
			for range jobs {
				resp, err := client.Post(env.URL+"/auth/api/sign-in", "application/json", strings.NewReader(body))
				if err != nil {
					b.Error(err)
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Errorf("status %d", resp.StatusCode)
				}
			}
		}()
	}
	for range b.N {
		jobs <- struct{}{}
	}
	close(jobs)
	wg.Wait()
	elapsed := time.Since(start)
	rate := float64(b.N) / elapsed.Seconds()
	b.ReportMetric(hashTime.Seconds()*1000, "ms/hash")
	b.ReportMetric(limit, "limit/s")
	b.ReportMetric(rate, "signins/s")
	b.ReportMetric(rate/limit, "ratio")
}
