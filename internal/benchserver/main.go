// Command benchserver serves embedauth for load tests on loopback: /bare
// answers with a handler alone, /authed with the same handler behind
// Middleware, and /auth/ is the real Handler (for sign-in bursts). It
// creates a user, signs it in, and prints the session cookie and the
// user's password so wrk can replay them. GET /rss reports the process's
// peak resident memory (VmHWM) and current RSS.
//
//	go run ./internal/benchserver -addr 127.0.0.1:8181
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	auth "github.com/embedauth/auth"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8181", "listen address (loopback)")
	dir := flag.String("dir", "", "directory for the database (default a temp dir)")
	flag.Parse()
	if *dir == "" {
		d, err := os.MkdirTemp("", "benchserver")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(d)
		*dir = d
	}
	base := "http://localhost:" + (*addr)[strings.LastIndex(*addr, ":")+1:]
	a, err := auth.New(auth.Config{
		DatabasePath: filepath.Join(*dir, "bench.db"),
		BaseURL:      base,
		RateLimits:   auth.RateLimits{SignIn: -1, SignUp: -1, Codes: -1, Reset: -1, SignUpsPerHour: -1},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer a.Close()
	const email, pw = "load@example.com", "violet tractor umbrella 42"
	if _, err := a.CreateUser(context.Background(), auth.CreateUserParams{Email: email, Password: pw, EmailVerified: true}); err != nil {
		log.Fatal(err)
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := "anonymous"
		if u, ok := auth.UserFrom(r.Context()); ok {
			id = u.ID
		}
		io.WriteString(w, id)
	})
	mux := http.NewServeMux()
	mux.Handle("/bare", handler)
	mux.Handle("/authed", a.Middleware(handler))
	mux.Handle("/auth/", a.Handler())
	mux.HandleFunc("/rss", func(w http.ResponseWriter, r *http.Request) {
		f, err := os.Open("/proc/self/status")
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "VmHWM") || strings.HasPrefix(sc.Text(), "VmRSS") {
				fmt.Fprintln(w, sc.Text())
			}
		}
	})
	srv := &http.Server{Addr: *addr, Handler: mux}
	go func() {
		if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
			log.Fatal(err)
		}
	}()
	// Sign in once through the real API to get a cookie for /authed.
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	var resp *http.Response
	for i := 0; i < 100; i++ {
		resp, err = client.Post(base+"/auth/api/sign-in", "application/json",
			strings.NewReader(`{"email":"`+email+`","password":"`+pw+`"}`))
		if err == nil {
			break
		}
	}
	if err != nil || resp.StatusCode != 200 {
		log.Fatalf("sign in: %v %v", err, resp)
	}
	resp.Body.Close()
	u, _ := url.Parse(base)
	for _, c := range jar.Cookies(u) {
		fmt.Printf("COOKIE %s=%s\n", c.Name, c.Value)
	}
	fmt.Printf("EMAIL %s\nPASSWORD %s\nREADY %s\n", email, pw, base)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	srv.Shutdown(context.Background())
}
