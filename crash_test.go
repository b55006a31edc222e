package auth_test

import (
	"bufio"
	"bytes"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/embedauth/auth/store"
)

// TestT50_KillDuringSignUpKeepsInvariants starts a process that completes
// sign-ups as fast as it can (internal/crashtest), kills it with SIGKILL at
// a random point, again and again on the same database file, and then
// checks that every multi-row write was all or nothing: no user without
// their password or their user.created event, no event without its user,
// no session or cookie token without its owner.
//
// EMBEDAUTH_CRASH_ITERATIONS sets the number of kills (default 30; 10
// with -short).
func TestT50_KillDuringSignUpKeepsInvariants(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "js" || runtime.GOOS == "wasip1" {
		t.Skip("needs subprocesses and SIGKILL")
	}
	t.Parallel()
	iterations := 30
	if testing.Short() {
		iterations = 10
	}
	if v := os.Getenv("EMBEDAUTH_CRASH_ITERATIONS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("EMBEDAUTH_CRASH_ITERATIONS=%q is not a positive number", v)
		}
		iterations = n
	}

	dir := t.TempDir()
	bin := filepath.Join(dir, "crashtest")
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command to build the crash helper: %v", err)
	}
	if out, err := exec.Command(goTool, "build", "-o", bin, "./internal/crashtest").CombinedOutput(); err != nil {
		t.Fatalf("build the crash helper: %v\n%s", err, out)
	}

	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d, %d iterations", seed, iterations)
	rng := rand.New(rand.NewPCG(seed, seed>>32))
	dbPath := filepath.Join(dir, "crash.db")
	done := 0
	for i := range iterations {
		// Mostly after a few finished sign-ups, with workers mid-flight;
		// now and then at once, while the database is being opened.
		after := rng.IntN(12)
		if rng.IntN(8) == 0 {
			after = -1
		}
		done += crashOnce(t, bin, dbPath, after)
		if t.Failed() {
			t.Fatalf("iteration %d failed", i)
		}
	}
	t.Logf("%d sign-ups finished across %d kills", done, iterations)
	crashCheck(t, dbPath)
}

// crashOnce runs the helper until it has reported `after` finished
// sign-ups (-1: not even "ready"), kills it, and returns how many it
// reported.
func crashOnce(t *testing.T, bin, dbPath string, after int) int {
	t.Helper()
	cmd := exec.Command(bin, "-db", dbPath)
	var stderr crashBuffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 64)
	eof := make(chan struct{})
	go func() {
		defer close(eof)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default: // the test stopped listening; keep draining
			}
		}
	}()

	ok, ready := 0, false
	timeout := time.After(60 * time.Second)
	exited := false
wait:
	for after >= 0 && (!ready || ok < after) {
		select {
		case l := <-lines:
			switch l {
			case "ready":
				ready = true
			case "ok":
				ok++
			}
		case <-eof:
			exited = true
			break wait
		case <-timeout:
			t.Errorf("the helper made no progress in 60s (ready %v, %d sign-ups)", ready, ok)
			break wait
		}
	}
	cmd.Process.Kill() // SIGKILL
	<-eof
	err = cmd.Wait()
	if exited {
		t.Errorf("the helper exited on its own (%v) after %d sign-ups:\n%s", err, ok, stderr.String())
	}
	if ws, isExit := err.(*exec.ExitError); err == nil || (isExit && ws.ExitCode() != -1) {
		t.Errorf("the helper was not killed: %v\n%s", err, stderr.String())
	}
	return ok
}

// crashCheck opens the file as a new process would and checks the
// invariants that must survive any crash.
func crashCheck(t *testing.T, dbPath string) {
	t.Helper()
	db, err := store.Open(dbPath)
	if err != nil {
		t.Fatalf("reopen after the crashes: %v", err)
	}
	defer db.Close()
	q := db.SQL()

	var integrity string
	if err := q.QueryRow(`PRAGMA integrity_check`).Scan(&integrity); err != nil || integrity != "ok" {
		t.Errorf("integrity_check: %q, %v", integrity, err)
	}
	rows, err := q.Query(`PRAGMA foreign_key_check`)
	if err != nil {
		t.Fatal(err)
	}
	if rows.Next() {
		t.Error("foreign_key_check reports violations")
	}
	rows.Close()

	var users, sessions, events int
	q.QueryRow(`SELECT COUNT(*) FROM auth_users`).Scan(&users)
	q.QueryRow(`SELECT COUNT(*) FROM auth_sessions`).Scan(&sessions)
	q.QueryRow(`SELECT COUNT(*) FROM auth_events`).Scan(&events)
	t.Logf("after the crashes: %d users, %d sessions, %d events", users, sessions, events)
	if users == 0 {
		t.Error("no user was ever created: the test proved nothing")
	}

	// Event ids by type, computed once (json_extract per row would make the
	// checks quadratic on a database of a thousand kills).
	const ev = `WITH ev AS (SELECT type, json_extract(data, '$.id') AS id FROM auth_events) `
	for _, c := range []struct{ what, sql string }{
		{"users without a password", `SELECT COUNT(*) FROM auth_users
			WHERE id NOT IN (SELECT user_id FROM auth_passwords)`},
		{"users without exactly one user.created event", ev + `, created AS (SELECT id, COUNT(*) AS n FROM ev
			WHERE type = 'user.created' GROUP BY id)
			SELECT COUNT(*) FROM auth_users u LEFT JOIN created c ON c.id = u.id WHERE COALESCE(c.n, 0) <> 1`},
		{"user.created events without their user", ev + `SELECT COUNT(*) FROM ev
			WHERE type = 'user.created' AND id NOT IN (SELECT id FROM auth_users)`},
		{"passwords without their user", `SELECT COUNT(*) FROM auth_passwords
			WHERE user_id NOT IN (SELECT id FROM auth_users)`},
		{"sessions without their user", `SELECT COUNT(*) FROM auth_sessions
			WHERE user_id NOT IN (SELECT id FROM auth_users)`},
		{"sessions without their session.created event", ev + `SELECT COUNT(*) FROM auth_sessions
			WHERE id NOT IN (SELECT id FROM ev WHERE type = 'session.created')`},
		{"ended sessions without their session.ended event", ev + `SELECT COUNT(*) FROM auth_sessions
			WHERE ended_at IS NOT NULL AND id NOT IN (SELECT id FROM ev WHERE type = 'session.ended')`},
		{"session tokens whose session is missing", `SELECT COUNT(*) FROM auth_session_tokens
			WHERE session_id IS NOT NULL AND session_id NOT IN (SELECT id FROM auth_sessions)`},
		{"session tokens still signed in to an ended session", `SELECT COUNT(*) FROM auth_session_tokens t
			JOIN auth_sessions s ON s.id = t.session_id WHERE s.ended_at IS NOT NULL`},
		{"pending sign-ups without their code mail", `SELECT COUNT(*) FROM auth_signups
			WHERE email NOT IN (SELECT recipient FROM auth_mail_outbox WHERE template = 'verify_email')`},
	} {
		var n int
		if err := q.QueryRow(c.sql).Scan(&n); err != nil {
			t.Fatalf("%s: %v", c.what, err)
		}
		if n != 0 {
			t.Errorf("%d %s", n, c.what)
		}
	}
}

// crashBuffer is a bytes.Buffer safe for the exec copier and the test.
type crashBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *crashBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *crashBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
