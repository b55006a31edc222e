package auth_test

import (
	"context"
	"fmt"
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
// itself sets (GOMAXPROCS / one hash time). Many clients at once keep every
// hash slot busy, as under real load.
//
// The run is cut into rounds, each measuring a batch of sign-ins between
// measures of one hash alone (the median of ten, five before and five
// after) and of hashes alone on every core (before and after), so that all
// three see the same machine: on a shared machine a neighbour's
// load comes and goes within seconds. Each round's sign-in rate is taken
// between its first and last few answers, where every hash slot is busy.
// The metrics are the medians over the rounds.
//
//	go test -run XXX -bench PasswordSignIn -benchtime 1400x -count 4 .
func BenchmarkPasswordSignIn(b *testing.B) {
	env := authtest.New(b, func(c *auth.Config) { c.PasswordHashing = auth.Argon2Params{} })
	const pw = "violet tractor umbrella 42"
	procs := runtime.GOMAXPROCS(0)

	h := password.NewHasher(password.DefaultParams, procs, time.Minute)
	hash, _ := h.Hash(context.Background(), pw)
	soloHashes := func() (d []time.Duration) {
		for range 5 {
			start := time.Now()
			h.Verify(context.Background(), pw, hash)
			d = append(d, time.Since(start))
		}
		return d
	}
	parallelHashes := func() float64 { // per second, every core hashing
		const perCore = 4
		var wg sync.WaitGroup
		start := time.Now()
		for range procs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range perCore {
					h.Verify(context.Background(), pw, hash)
				}
			}()
		}
		wg.Wait()
		return float64(perCore*procs) / time.Since(start).Seconds()
	}

	// signIns runs n sign-ins and returns their rate between the answers
	// numbered skip and n-skip.
	run := signInClients(b, env, pw)
	skip := 2 * procs
	signIns := func(n int) float64 {
		at := run(n)
		return float64(n-2*skip) / at[n-1-skip].Sub(at[skip]).Seconds()
	}

	const rounds = 7
	batch := max(b.N/rounds, 10*skip)
	var ratios, vsParallel, rates, limits, parallels, busy []float64
	b.ResetTimer()
	for range rounds {
		solo := soloHashes()
		parallel := parallelHashes()
		var ru0, ru1 syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
		start := time.Now()
		rate := signIns(batch)
		elapsed := time.Since(start)
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
		parallel = (parallel + parallelHashes()) / 2
		solo = append(solo, soloHashes()...)
		slices.Sort(solo)
		limit := float64(procs) / solo[len(solo)/2].Seconds()
		cpu := time.Duration(ru1.Utime.Nano() - ru0.Utime.Nano() + ru1.Stime.Nano() - ru0.Stime.Nano())
		ratios = append(ratios, rate/limit)
		vsParallel = append(vsParallel, rate/parallel)
		rates, limits, parallels = append(rates, rate), append(limits, limit), append(parallels, parallel)
		busy = append(busy, cpu.Seconds()/elapsed.Seconds())
	}
	b.StopTimer()
	b.Logf("per round: ratio %.3f, vs parallel %.3f", ratios, vsParallel)
	median := func(x []float64) float64 { slices.Sort(x); return x[len(x)/2] }
	b.ReportMetric(median(limits), "limit/s")
	b.ReportMetric(median(parallels), "hashes-parallel/s")
	b.ReportMetric(median(rates), "signins/s")
	b.ReportMetric(median(ratios), "ratio")
	b.ReportMetric(median(vsParallel), "ratio-vs-parallel")
	b.ReportMetric(median(busy), "cpus-busy")
}

// BenchmarkPasswordSignInWork measures what a password sign-in costs
// besides its hash: the same clients and requests as
// BenchmarkPasswordSignIn, with a trivial argon2id cost (8 KiB, one pass).
//
//	go test -run XXX -bench PasswordSignInWork -benchtime 4000x -count 4 .
func BenchmarkPasswordSignInWork(b *testing.B) {
	env := authtest.New(b, func(c *auth.Config) { c.PasswordHashing = auth.Argon2Params{Memory: 8, Time: 1, Threads: 1} })
	const pw = "violet tractor umbrella 42"
	run := signInClients(b, env, pw)
	b.ResetTimer()
	start := time.Now()
	run(b.N)
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "signins/s")
}

// signInClients starts 8 keep-alive clients per core, each signing in as
// a user of its own (bench0@example.com, ...) through the JSON API, and
// returns a function that runs n sign-ins and returns when each answer
// came. Any answer but 200 fails b. One user per client, as sign-ins of
// many users are: one account's concurrent attempts count toward its
// lockout before their hashes are checked.
func signInClients(b *testing.B, env *authtest.Env, pw string) func(n int) []time.Time {
	workers := 8 * runtime.GOMAXPROCS(0)
	bodies := make([]string, workers)
	for i := range workers {
		email := fmt.Sprintf("bench%d@example.com", i)
		env.CreateUser(b, email, pw)
		bodies[i] = `{"email":"` + email + `","password":"` + pw + `"}`
	}
	transport := &http.Transport{MaxIdleConnsPerHost: workers}
	jobs := make(chan struct{})
	done := make(chan time.Time)
	b.Cleanup(func() {
		close(jobs)
		transport.CloseIdleConnections()
	})
	for i := range workers {
		body := bodies[i]
		go func() {
			client := &http.Client{Transport: transport}
			for range jobs {
				resp, err := client.Post(env.URL+"/auth/api/sign-in", "application/json", strings.NewReader(body))
				if err != nil {
					b.Error(err)
				} else {
					io.Copy(io.Discard, resp.Body) // read to the end, so the connection is kept
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Errorf("status %d", resp.StatusCode)
					}
				}
				done <- time.Now()
			}
		}()
	}
	return func(n int) []time.Time {
		go func() {
			for range n {
				jobs <- struct{}{}
			}
		}()
		at := make([]time.Time, n)
		for i := range n {
			at[i] = <-done
		}
		return at
	}
}
