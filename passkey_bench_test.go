package auth_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/authtest"
	"github.com/embedauth/auth/passkey/passkeytest"
)

// pkBenchUsers creates n users, each with a passkey on its own software
// authenticator, through the JSON API.
func pkBenchUsers(b *testing.B, env *authtest.Env, n int) []*passkeytest.Authenticator {
	b.Helper()
	keys := make([]*passkeytest.Authenticator, n)
	for i := range keys {
		pw := authtest.Password()
		email := fmt.Sprintf("bench%d@example.com", i)
		env.CreateUser(b, email, pw)
		c := flNew(b, env)
		c.signIn(email, pw)
		keys[i] = pkKey(env)
		pkRegister(b, c, keys[i])
	}
	return keys
}

// pkServe runs one request through h in process and returns the answer.
func pkServe(h http.Handler, method, target, cookie string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// BenchmarkPasskeySignIn measures, in process, the server side of a
// passkey sign-in: POST /auth/api/passkeys/sign-in/finish, which parses
// the assertion, uses its stored challenge once, checks origin, RP ID,
// flags, user handle and signature, records the counter, creates the
// session and commits the cookie token. Baselines in the same run: the
// ECDSA P-256 verification alone (the floor) and a password sign-in
// with the default argon2id cost.
//
//	go test -run XXX -bench 'PasskeySignIn$' -benchtime 2000x -count 3 .
func BenchmarkPasskeySignIn(b *testing.B) {
	b.Run("ecdsa-verify", func(b *testing.B) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		digest := sha256.Sum256([]byte("authenticator data and client data hash"))
		sig, _ := ecdsa.SignASN1(rand.Reader, key, digest[:])
		b.ReportAllocs()
		for b.Loop() {
			if !ecdsa.VerifyASN1(&key.PublicKey, digest[:], sig) {
				b.Fatal("bad signature")
			}
		}
	})
	b.Run("passkey", func(b *testing.B) {
		env := authtest.New(b)
		key := pkBenchUsers(b, env, 1)[0]
		h := env.Auth.Handler()
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			b.StopTimer()
			begin := pkServe(h, "POST", env.URL+"/auth/api/passkeys/sign-in/begin", "", []byte(`{}`))
			cookie := strings.SplitN(begin.Header().Get("Set-Cookie"), ";", 2)[0]
			resp, err := key.Get(begin.Body.Bytes())
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			if rec := pkServe(h, "POST", env.URL+"/auth/api/passkeys/sign-in/finish", cookie, resp); rec.Code != http.StatusOK {
				b.Fatalf("finish: %d %s", rec.Code, rec.Body)
			}
		}
	})
	b.Run("password", func(b *testing.B) {
		env := authtest.New(b, func(c *auth.Config) { c.PasswordHashing = auth.Argon2Params{} })
		pw := authtest.Password()
		env.CreateUser(b, "pw@example.com", pw)
		h := env.Auth.Handler()
		body := []byte(`{"email":"pw@example.com","password":"` + pw + `"}`)
		b.ReportAllocs()
		for b.Loop() {
			if rec := pkServe(h, "POST", env.URL+"/auth/api/sign-in", "", body); rec.Code != http.StatusOK {
				b.Fatalf("sign-in: %d %s", rec.Code, rec.Body)
			}
		}
	})
}

// pkHTTPSignIns runs b.N sign-ins over loopback HTTP from workers
// concurrent clients, each on its own keep-alive connection, each sign-in
// from a fresh cookie jar (a new browser). signIn does one; it returns
// false on any error, which the benchmark counts and reports.
func pkHTTPSignIns(b *testing.B, workers int, signIn func(worker int, c *http.Client) bool) {
	b.Helper()
	var failed atomic.Int64
	jobs := make(chan struct{})
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			transport := &http.Transport{MaxIdleConnsPerHost: 1}
			defer transport.CloseIdleConnections()
			for range jobs {
				jar, _ := cookiejar.New(nil)
				if !signIn(w, &http.Client{Transport: transport, Jar: jar, Timeout: time.Minute}) {
					failed.Add(1)
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
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "signins/s")
	b.ReportMetric(float64(failed.Load()), "errors")
	if n := failed.Load(); n > 0 {
		b.Errorf("%d of %d sign-ins failed", n, b.N)
	}
}

func pkPostHTTP(c *http.Client, url string, body []byte) ([]byte, int, error) {
	resp, err := c.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return out, resp.StatusCode, err
}

// BenchmarkPasskeySignInHTTP measures passkey sign-ins per second over
// loopback HTTP: 8 concurrent clients per core, each a user with its own
// software authenticator signing with a real P-256 key, doing begin and
// finish as a browser would. The baseline in the same run is the same
// clients signing in with a password (default argon2id). Clients and
// server share the machine's cores.
//
//	go test -run XXX -bench 'PasskeySignInHTTP' -benchtime 3000x -count 3 .
func BenchmarkPasskeySignInHTTP(b *testing.B) {
	workers := 8 * runtime.GOMAXPROCS(0)
	b.Run("passkey", func(b *testing.B) {
		env := authtest.New(b)
		keys := pkBenchUsers(b, env, workers)
		pkHTTPSignIns(b, workers, func(w int, c *http.Client) bool {
			opts, st, err := pkPostHTTP(c, env.URL+"/auth/api/passkeys/sign-in/begin", []byte(`{}`))
			if err != nil || st != http.StatusOK {
				b.Logf("begin: %d %v", st, err)
				return false
			}
			resp, err := keys[w].Get(opts)
			if err != nil {
				return false
			}
			out, st, err := pkPostHTTP(c, env.URL+"/auth/api/passkeys/sign-in/finish", resp)
			if err != nil || st != http.StatusOK {
				b.Logf("finish: %d %v %s", st, err, out)
				return false
			}
			return true
		})
	})
	b.Run("password", func(b *testing.B) {
		env := authtest.New(b, func(c *auth.Config) { c.PasswordHashing = auth.Argon2Params{} })
		pws := make([]string, workers)
		for i := range pws {
			pws[i] = authtest.Password()
			env.CreateUser(b, fmt.Sprintf("pw%d@example.com", i), pws[i])
		}
		pkHTTPSignIns(b, workers, func(w int, c *http.Client) bool {
			body := []byte(fmt.Sprintf(`{"email":"pw%d@example.com","password":"%s"}`, w, pws[w]))
			_, st, err := pkPostHTTP(c, env.URL+"/auth/api/sign-in", body)
			return err == nil && st == http.StatusOK
		})
	})
}
