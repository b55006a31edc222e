package auth_test

import (
	"context"
	"io"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/authtest"
	"github.com/embedauth/auth/internal/password"
)

// BenchmarkPasswordSignIn measures password sign-ins per second through the
// JSON API with the default argon2id cost, against the ceiling the hash
// itself sets (GOMAXPROCS / one hash time), measured in the same run. Many
// clients at once keep every hash slot busy, as under real load.
//
//	go test -run XXX -bench PasswordSignIn -benchtime 300x -count 5 .
func BenchmarkPasswordSignIn(b *testing.B) {
	env := authtest.New(b, func(c *auth.Config) { c.PasswordHashing = auth.Argon2Params{} })
	const email, pw = "bench@example.com", "violet tractor umbrella 42"
	env.CreateUser(b, email, pw)

	// One hash alone, on an otherwise idle machine: the median of 31,
	// before and after the load, so a noisy moment does not set the limit.
	h := password.NewHasher(password.DefaultParams, 1, time.Minute)
	hash, _ := h.Hash(context.Background(), pw)
	soloHash := func() time.Duration {
		var d []time.Duration
		for range 31 {
			start := time.Now()
			h.Verify(context.Background(), pw, hash)
			d = append(d, time.Since(start))
		}
		slices.Sort(d)
		return d[len(d)/2]
	}
	before := soloHash()

	body := `{"email":"` + email + `","password":"` + pw + `"}`
	workers := 8 * runtime.GOMAXPROCS(0)
	transport := &http.Transport{MaxIdleConnsPerHost: workers}
	defer transport.CloseIdleConnections()
	jobs := make(chan struct{})
	var wg sync.WaitGroup
	b.ResetTimer()
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Transport: transport}
			for range jobs {
				resp, err := client.Post(env.URL+"/auth/api/sign-in", "application/json", strings.NewReader(body))
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body) // read to the end, so the connection is kept
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
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(ru1.Utime.Nano() - ru0.Utime.Nano() + ru1.Stime.Nano() - ru0.Stime.Nano())
	b.ReportMetric(cpu.Seconds()/elapsed.Seconds(), "cpus-busy")
	b.StopTimer()
	hashTime := (before + soloHash()) / 2
	limit := float64(runtime.GOMAXPROCS(0)) / hashTime.Seconds()

	// Hashes alone, on every core at once: what the machine's memory
	// system allows before any HTTP or database work.
	ph := password.NewHasher(password.DefaultParams, runtime.GOMAXPROCS(0), time.Minute)
	var pwg sync.WaitGroup
	const perCore = 30
	pstart := time.Now()
	for range runtime.GOMAXPROCS(0) {
		pwg.Add(1)
		go func() {
			defer pwg.Done()
			for range perCore {
				ph.Verify(context.Background(), pw, hash)
			}
		}()
	}
	pwg.Wait()
	parallel := float64(perCore*runtime.GOMAXPROCS(0)) / time.Since(pstart).Seconds()
	rate := float64(b.N) / elapsed.Seconds()
	b.ReportMetric(hashTime.Seconds()*1000, "ms/hash")
	b.ReportMetric(limit, "limit/s")
	b.ReportMetric(rate, "signins/s")
	b.ReportMetric(rate/limit, "ratio")
	b.ReportMetric(parallel, "hashes-parallel/s")
	b.ReportMetric(rate/parallel, "ratio-vs-parallel")
}
