// Command crashtest is the subprocess of the T50 crash test (crash_test.go
// in the auth package). It opens an Auth on the SQLite file named by -db
// and, from several workers at once, completes sign-ups through the real
// HTTP handler on loopback as fast as it can: sign up, read the code from
// the mail, verify, and sometimes change the password and sign out, or
// create a user from the back end and sign in. It prints "ready" once the
// database is open and "ok" after each finished sign-up, and runs until it
// is killed. Any unexpected answer is printed to stderr and exits 1.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"regexp"
	"sync"
	"time"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/mail"
)

func main() {
	dbPath := flag.String("db", "", "the SQLite file")
	workers := flag.Int("workers", 4, "concurrent sign-ups")
	flag.Parse()
	if *dbPath == "" {
		fmt.Fprintln(os.Stderr, "crashtest: -db is required")
		os.Exit(2)
	}
	box := &mailbox{byTo: map[string]chan mail.Message{}}
	a, err := auth.New(auth.Config{
		DatabasePath:    *dbPath,
		BaseURL:         "http://localhost:8080",
		Mailer:          box,
		PasswordHashing: auth.Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
		RateLimits:      auth.RateLimits{SignIn: -1, SignUp: -1, Codes: -1, Reset: -1, SignUpsPerHour: -1},
		Logger:          slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		fail("open: %v", err)
	}
	srv := httptest.NewServer(a.Handler())
	var out sync.Mutex
	say := func(s string) {
		out.Lock()
		defer out.Unlock()
		os.Stdout.WriteString(s + "\n")
	}
	say("ready")
	prefix := fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano())
	for w := range *workers {
		go func() {
			for n := 0; ; n++ {
				run(a, srv.URL, box, fmt.Sprintf("c-%s-%d-%d@example.com", prefix, w, n), n)
				say("ok")
			}
		}()
	}
	select {}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "crashtest: "+format+"\n", args...)
	os.Exit(1)
}

var codeRe = regexp.MustCompile(`\b(\d{6})\b`)

const (
	password1 = "crash-orchard-lamp-41"
	password2 = "crash-harbour-kite-73"
)

// run completes one account for email.
func run(a *auth.Auth, base string, box *mailbox, email string, n int) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	if n%5 == 4 {
		// The back-end path: user, password and event in one call.
		if _, err := a.CreateUser(context.Background(), auth.CreateUserParams{Email: email, Password: password1}); err != nil {
			fail("create user: %v", err)
		}
		post(c, base+"/auth/api/sign-in", map[string]string{"email": email, "password": password1}, http.StatusOK)
	} else {
		post(c, base+"/auth/api/sign-up", map[string]string{"email": email, "password": password1}, http.StatusAccepted)
		m := box.wait(email)
		code := codeRe.FindStringSubmatch(m.Text)
		if code == nil {
			fail("no code in mail to %s", email)
		}
		post(c, base+"/auth/api/sign-up/verify", map[string]string{"code": code[1]}, http.StatusOK)
	}
	if n%3 == 0 {
		post(c, base+"/auth/api/password/change", map[string]string{"current_password": password1, "new_password": password2}, http.StatusOK)
	}
	if n%2 == 0 {
		post(c, base+"/auth/api/sign-out", struct{}{}, http.StatusOK)
	}
}

func post(c *http.Client, url string, v any, want int) {
	b, _ := json.Marshal(v)
	resp, err := c.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		fail("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		fail("POST %s: %d %s, want %d", url, resp.StatusCode, body, want)
	}
}

// mailbox hands each recipient's mail to the worker waiting for it.
type mailbox struct {
	mu   sync.Mutex
	byTo map[string]chan mail.Message
}

func (b *mailbox) ch(to string) chan mail.Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.byTo[to]
	if c == nil {
		c = make(chan mail.Message, 4)
		b.byTo[to] = c
	}
	return c
}

func (b *mailbox) Send(ctx context.Context, m mail.Message) error {
	select {
	case b.ch(m.To) <- m:
	default:
	}
	return nil
}

func (b *mailbox) wait(to string) mail.Message {
	select {
	case m := <-b.ch(to):
		b.mu.Lock()
		delete(b.byTo, to)
		b.mu.Unlock()
		return m
	case <-time.After(20 * time.Second):
		fail("no mail to %s", to)
	}
	panic("unreachable")
}
