package auth_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/mail"
	"github.com/embedauth/auth/webhook"
)

// The T51 child: this test binary run again with EMBEDAUTH_T51_DB set. It
// opens an Auth on that database, creates a user (the user.created event
// commits with it), says "committed" and, in mode "inflight", sends the
// webhook; then it waits to be killed.
func TestT51Child(t *testing.T) {
	dbPath := os.Getenv("EMBEDAUTH_T51_DB")
	if dbPath == "" {
		t.Skip("the subprocess of TestT51_CrashBetweenCommitAndSendStillDelivers")
	}
	a, err := auth.New(t51Config(dbPath, time.Now))
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(2)
	}
	u, err := a.CreateUser(context.Background(), auth.CreateUserParams{Email: os.Getenv("EMBEDAUTH_T51_EMAIL"), EmailVerified: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(2)
	}
	fmt.Println("committed " + u.ID)
	if os.Getenv("EMBEDAUTH_T51_MODE") == "inflight" {
		go a.FlushWebhooks(context.Background())
	}
	select {} // until SIGKILL
}

func t51Config(dbPath string, now func() time.Time) auth.Config {
	return auth.Config{
		DatabasePath:    dbPath,
		BaseURL:         "http://localhost:8080",
		Mailer:          mail.Discard{},
		PasswordHashing: auth.Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
		Webhooks:        auth.WebhooksConfig{AllowedNetworks: []string{"127.0.0.1"}, Poll: time.Hour},
		Logger:          slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:             now,
	}
}

// TestT51_CrashBetweenCommitAndSendStillDelivers kills a process with
// SIGKILL right after it committed a change (before any webhook was
// sent), and another while its webhook request was in flight. In both
// cases an Auth started again on the same file delivers the event: once in
// the first case, again with the same webhook-id in the second (at least
// once; receivers dedupe).
func TestT51_CrashBetweenCommitAndSendStillDelivers(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "js" || runtime.GOOS == "wasip1" {
		t.Skip("needs subprocesses and SIGKILL")
	}
	t.Parallel()
	for _, mode := range []string{"commit", "inflight"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			dbPath := filepath.Join(t.TempDir(), "crash.db")
			var mu sync.Mutex
			var got []hookRequest
			arrived, release := make(chan struct{}, 1), make(chan struct{})
			rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				mu.Lock()
				got = append(got, hookRequest{header: r.Header.Clone(), body: body})
				first := len(got) == 1
				mu.Unlock()
				if first && mode == "inflight" {
					arrived <- struct{}{}
					<-release // the sender is killed meanwhile: this answer is lost
				}
			}))
			defer rc.Close()
			defer close(release)
			requests := func() []hookRequest {
				mu.Lock()
				defer mu.Unlock()
				return append([]hookRequest(nil), got...)
			}

			// The endpoint, set up by a first process.
			setup, err := auth.New(t51Config(dbPath, time.Now))
			if err != nil {
				t.Fatal(err)
			}
			_, secret, err := setup.CreateWebhookEndpoint(context.Background(), auth.WebhookEndpointParams{URL: rc.URL, EventTypes: []string{"user.created"}})
			if err != nil {
				t.Fatal(err)
			}
			setup.Close()

			cmd := exec.Command(os.Args[0], "-test.run=^TestT51Child$")
			cmd.Env = append(os.Environ(), "EMBEDAUTH_T51_DB="+dbPath, "EMBEDAUTH_T51_MODE="+mode, "EMBEDAUTH_T51_EMAIL=crash-"+mode+"@example.com")
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			lines := make(chan string, 1)
			go func() {
				sc := bufio.NewScanner(out)
				for sc.Scan() {
					if strings.HasPrefix(sc.Text(), "committed ") {
						lines <- strings.TrimPrefix(sc.Text(), "committed ")
					}
				}
				close(lines)
			}()
			var userID string
			select {
			case userID = <-lines:
			case <-time.After(60 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("the child did not commit: %s", stderr.String())
			}
			if userID == "" {
				cmd.Wait()
				t.Fatalf("the child exited: %s", stderr.String())
			}
			if mode == "inflight" {
				select {
				case <-arrived:
				case <-time.After(60 * time.Second):
					cmd.Process.Kill()
					t.Fatal("the child's webhook never arrived")
				}
			}
			if err := cmd.Process.Kill(); err != nil { // SIGKILL
				t.Fatal(err)
			}
			cmd.Wait()
			before := len(requests())
			if mode == "commit" && before != 0 {
				t.Fatalf("%d requests before the crash; the child was to be killed before sending", before)
			}

			// Restart. An in-flight message is leased for 2 minutes: the
			// restarted process's clock is past that.
			now := time.Now
			if mode == "inflight" {
				now = func() time.Time { return time.Now().Add(3 * time.Minute) }
			}
			again, err := auth.New(t51Config(dbPath, now))
			if err != nil {
				t.Fatal(err)
			}
			defer again.Close()
			if _, err := again.FlushWebhooks(context.Background()); err != nil {
				t.Fatal(err)
			}
			reqs := requests()
			if len(reqs) != before+1 {
				t.Fatalf("%d requests after the restart, want %d", len(reqs), before+1)
			}
			last := reqs[len(reqs)-1]
			if err := webhook.VerifyAt(secret, last.header, last.body, now(), webhook.DefaultTolerance); err != nil {
				t.Fatalf("redelivered message: %v", err)
			}
			if !strings.Contains(string(last.body), userID) || !strings.Contains(string(last.body), `"type":"user.created"`) {
				t.Fatalf("redelivered %s, want the child's user %s", last.body, userID)
			}
			if mode == "inflight" && (reqs[0].id() != last.id() || string(reqs[0].body) != string(last.body)) {
				t.Fatalf("the retry has id %s, the lost attempt %s: want the same id and body", last.id(), reqs[0].id())
			}
			// And nothing more: it is recorded delivered now.
			if _, err := again.FlushWebhooks(context.Background()); err != nil || len(requests()) != before+1 {
				t.Fatalf("sent again after being recorded: %v, %d requests", err, len(requests()))
			}
		})
	}
}
