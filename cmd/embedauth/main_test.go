package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/crypto/bcrypt"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/internal/pgtest"
)

// cli runs the tool in-process against db and returns its exit code and
// output.
func cli(t *testing.T, db, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"-db", db}, args...), strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func mustCLI(t *testing.T, db string, args ...string) string {
	t.Helper()
	code, out, errs := cli(t, db, "", args...)
	if code != exitOK {
		t.Fatalf("embedauth %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

func TestUsage(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "auth.db")
	for _, c := range []struct {
		args []string
		code int
		out  string
	}{
		{nil, exitUsage, ""},
		{[]string{"-help"}, exitOK, "Exit codes"},
		{[]string{"nope"}, exitUsage, ""},
		{[]string{"users"}, exitUsage, "Commands:"},
		{[]string{"users", "nope"}, exitUsage, ""},
		{[]string{"users", "ban", "-help"}, exitOK, "Usage: embedauth users ban USER"},
		{[]string{"users", "ban"}, exitUsage, ""},
		{[]string{"users", "delete", "ann@example.com"}, exitUsage, ""},
		{[]string{"users", "list", "-sort", "sideways"}, exitUsage, ""},
		{[]string{"users", "list", "-bogus"}, exitUsage, ""},
		{[]string{"import"}, exitUsage, ""},
		{[]string{"users", "show", "nobody@example.com"}, exitFailure, ""},
	} {
		code, out, _ := cli(t, db, "", c.args...)
		if code != c.code || !strings.Contains(out, c.out) {
			t.Errorf("embedauth %v: exit %d, output %.80q; want exit %d with %q", c.args, code, out, c.code, c.out)
		}
	}
}

func TestCommands(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "auth.db")

	id := strings.TrimSpace(mustCLI(t, db, "users", "create", "-email", "ann@example.com", "-name", "Ann", "-verified"))
	if !strings.HasPrefix(id, "user_") {
		t.Fatalf("create printed %q", id)
	}
	code, _, _ := cli(t, db, "plum kettle orbit seventeen lanterns\n", "users", "create", "-email", "bob@example.com", "-password-stdin")
	if code != exitOK {
		t.Fatal("create with a password failed")
	}
	if code, _, errs := cli(t, db, "", "users", "create", "-email", "ann@example.com"); code != exitFailure || !strings.Contains(errs, "email_taken") {
		t.Errorf("a taken email: exit %d, %s", code, errs)
	}
	if out := mustCLI(t, db, "users", "list"); !strings.Contains(out, "ann@example.com") || !strings.Contains(out, "bob@example.com") {
		t.Errorf("list:\n%s", out)
	}
	if out := mustCLI(t, db, "users", "list", "-q", "ANN", "-json"); !strings.Contains(out, id) || strings.Contains(out, "bob@") {
		t.Errorf("search:\n%s", out)
	}
	if out := mustCLI(t, db, "users", "show", "ann@example.com"); !strings.Contains(out, id) {
		t.Errorf("show:\n%s", out)
	}

	mustCLI(t, db, "admin", "grant", "ann@example.com")
	if code, _, errs := cli(t, db, "", "admin", "revoke", id); code != exitFailure || !strings.Contains(errs, "last_admin") {
		t.Errorf("revoking the last admin: exit %d, %s", code, errs)
	}
	if code, _, _ := cli(t, db, "", "users", "ban", id); code != exitFailure {
		t.Errorf("banning the last admin: exit %d", code)
	}
	mustCLI(t, db, "users", "ban", "bob@example.com")
	if out := mustCLI(t, db, "users", "list", "-filter", "banned"); !strings.Contains(out, "bob@example.com") || strings.Contains(out, "ann@") {
		t.Errorf("banned filter:\n%s", out)
	}
	mustCLI(t, db, "users", "unban", "bob@example.com")
	mustCLI(t, db, "users", "unlock", "bob@example.com")
	mustCLI(t, db, "sessions", "revoke", "bob@example.com")
	if kid := strings.TrimSpace(mustCLI(t, db, "keys", "rotate")); kid == "" {
		t.Error("keys rotate printed no key id")
	}
	if out := mustCLI(t, db, "migrate"); !strings.Contains(out, "0014_admin.sql") {
		t.Errorf("migrate:\n%s", out)
	}

	// The audit log names the tool.
	a, err := auth.OpenOffline(auth.Config{DatabasePath: db})
	if err != nil {
		t.Fatal(err)
	}
	log, err := a.AuditLog(context.Background(), "", 0, 100)
	a.Close()
	if err != nil || len(log) < 5 || log[0].ActorEmail != "cli" {
		t.Errorf("audit log: %d entries, %v; first %+v", len(log), err, log)
	}

	// Backup: a consistent copy that opens with the same users.
	copyPath := filepath.Join(dir, "copy.db")
	mustCLI(t, db, "backup", copyPath)
	if code, _, _ := cli(t, db, "", "backup", copyPath); code != exitFailure {
		t.Error("backup over an existing file did not fail")
	}
	if err := os.Link(db+".key", copyPath+".key"); err != nil {
		t.Fatal(err)
	}
	if out := mustCLI(t, copyPath, "users", "list"); !strings.Contains(out, "bob@example.com") {
		t.Errorf("backup holds:\n%s", out)
	}

	mustCLI(t, db, "users", "delete", "-yes", "bob@example.com")
	if code, _, _ := cli(t, db, "", "users", "show", "bob@example.com"); code != exitFailure {
		t.Error("a deleted user is still shown")
	}
}

func TestExportImport(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src.db"), filepath.Join(dir, "dst.db")
	code, _, _ := cli(t, src, "plum kettle orbit seventeen lanterns\n", "users", "create", "-email", "ann@example.com", "-password-stdin", "-verified")
	if code != exitOK {
		t.Fatal("create failed")
	}
	file := filepath.Join(dir, "users.json")
	mustCLI(t, src, "export", "-o", file)
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var exp struct {
		Users []auth.ExportedUser `json:"users"`
	}
	if err := json.Unmarshal(b, &exp); err != nil || len(exp.Users) != 1 || !strings.HasPrefix(exp.Users[0].PasswordHash, "$argon2id$") {
		t.Fatalf("export: %v %+v", err, exp)
	}
	// Add a user from a bcrypt system, and one with a hash of no known kind.
	h, _ := bcrypt.GenerateFromPassword([]byte("tr0ub4dor and more words"), bcrypt.MinCost)
	exp.Users = append(exp.Users, auth.ExportedUser{Email: "bcrypt@example.com", EmailVerified: true, PasswordHash: string(h)},
		auth.ExportedUser{Email: "md5@example.com", PasswordHash: "5f4dcc3b5aa765d61d8327deb882cf99"})
	b, _ = json.Marshal(exp)
	code, out, errs := cli(t, dst, string(b), "import", "-")
	if code != exitFailure || !strings.Contains(out, "imported 2 users, skipped 0, refused 1") || !strings.Contains(errs, "md5@example.com") {
		t.Fatalf("import: exit %d\n%s%s", code, out, errs)
	}
	// Again: everyone is skipped or refused, nothing is duplicated.
	code, out, _ = cli(t, dst, string(b), "import", "-")
	if code != exitFailure || !strings.Contains(out, "imported 0 users, skipped 2, refused 1") {
		t.Fatalf("import again: exit %d\n%s", code, out)
	}
	if out := mustCLI(t, dst, "users", "list"); !strings.Contains(out, "bcrypt@example.com") || !strings.Contains(out, "ann@example.com") {
		t.Errorf("imported users:\n%s", out)
	}
}

// TestBuild checks that the tool builds as go install builds it.
func TestBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "embedauth")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "-help").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Exit codes") {
		t.Fatalf("embedauth -help: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "nope")
	if err := cmd.Run(); cmd.ProcessState.ExitCode() != exitUsage {
		t.Fatalf("embedauth nope: %v, exit %d", err, cmd.ProcessState.ExitCode())
	}
}

func TestMigrateTo(t *testing.T) { // not parallel: sets the environment
	dir := t.TempDir()
	db := filepath.Join(dir, "app.db")
	if code, out, errs := cli(t, db, "plum kettle orbit seventeen lanterns\n", "users", "create", "-email", "ann@example.com", "-password-stdin", "-verified"); code != exitOK {
		t.Fatalf("create: exit %d\n%s%s", code, out, errs)
	}
	mustCLI(t, db, "keys", "rotate")
	url := pgtest.URL(t)
	if code, _, errs := cli(t, db, "", "migrate-to", "mysql://nope"); code != exitUsage {
		t.Fatalf("migrate-to a non-PostgreSQL URL: exit %d %s", code, errs)
	}
	out := mustCLI(t, db, "migrate-to", "-finish", url)
	if !strings.Contains(out, "counts and checksums match") || !strings.Contains(out, "auth_users") {
		t.Fatalf("migrate-to:\n%s", out)
	}
	// The app starts on PostgreSQL with the SQLite file's key, and finds
	// the user and its password.
	cfg := postgresConfig(t, db, url)
	a, err := auth.OpenOffline(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	u, err := a.GetUserByEmail(context.Background(), "ann@example.com")
	if err != nil || !u.EmailVerified || !u.HasPassword {
		t.Fatalf("user on PostgreSQL = %+v, %v", u, err)
	}
	// The tool itself works on the PostgreSQL database.
	t.Setenv("EMBEDAUTH_ENCRYPTION_KEY", base64.StdEncoding.EncodeToString(cfg.EncryptionKey))
	if out := mustCLI(t, url, "users", "list"); !strings.Contains(out, "ann@example.com") {
		t.Fatalf("users list on PostgreSQL:\n%s", out)
	}
	// Copying again into the now full database is refused.
	if code, _, errs := cli(t, db, "", "migrate-to", url); code != exitFailure || !strings.Contains(errs, "empty") {
		t.Fatalf("second migrate-to: exit %d %s", code, errs)
	}
}

// TestMigrateToWhileServing moves a serving app: migrate-to runs twice
// while the app signs users in and changes them over HTTP and through its
// Go API, then once with -finish after it stops, and the app started on
// PostgreSQL has every write, the deletions included, and the last
// browser's session.
func TestMigrateToWhileServing(t *testing.T) { // not parallel: the environment of the other tests
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "app.db")
	url := pgtest.URL(t)
	const pw = "plum kettle orbit seventeen lanterns"
	// One client address signs everyone in: its sign-in limit is raised.
	a, err := auth.New(auth.Config{DatabasePath: db, BaseURL: "http://localhost:8080", RateLimits: auth.RateLimits{SignIn: 100000}})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/auth/", a.Handler())
	srv := httptest.NewServer(mux)

	// The load: one writer signs new users in over HTTP (user, session,
	// cookie token, new-device mail, security log) and deletes every third;
	// another changes the first user's metadata as fast as it can.
	first, err := a.CreateUser(ctx, auth.CreateUserParams{Email: "first@example.com", EmailVerified: true})
	if err != nil {
		t.Fatal(err)
	}
	var (
		stop       = make(chan struct{})
		wg         sync.WaitGroup
		mu         sync.Mutex
		live, gone []string
		lastCookie *http.Cookie
		metaWrites atomic.Int64
		lastMeta   atomic.Int64
		loadErr    = make(chan error, 2)
	)
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			email := fmt.Sprintf("user%d@example.com", i)
			u, err := a.CreateUser(ctx, auth.CreateUserParams{Email: email, Password: pw, EmailVerified: true})
			if err != nil {
				loadErr <- fmt.Errorf("create %s: %w", email, err)
				return
			}
			body, _ := json.Marshal(map[string]string{"email": email, "password": pw})
			req, _ := http.NewRequest("POST", srv.URL+"/auth/api/sign-in", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			resp, err := srv.Client().Do(req)
			if err != nil {
				loadErr <- err
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				loadErr <- fmt.Errorf("sign in %s: %s", email, resp.Status)
				return
			}
			mu.Lock()
			if i%3 == 2 {
				if err := a.DeleteUser(ctx, u.ID); err != nil {
					mu.Unlock()
					loadErr <- err
					return
				}
				gone = append(gone, email)
			} else {
				live = append(live, email)
				for _, c := range resp.Cookies() {
					if c.Name == "embedauth_session" {
						lastCookie = c
					}
				}
			}
			mu.Unlock()
		}
	}()
	go func() {
		defer wg.Done()
		for i := int64(1); ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := a.UpdateUserMetadata(ctx, first.ID, auth.UserMetadata{Public: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i))}); err != nil {
				loadErr <- fmt.Errorf("metadata: %w", err)
				return
			}
			lastMeta.Store(i)
			metaWrites.Add(1)
		}
	}()

	// Copies while it serves: the app's writes go on during each.
	for run := range 2 {
		before := metaWrites.Load()
		out := mustCLI(t, db, "migrate-to", url)
		if !strings.Contains(out, "counts and checksums match") || !strings.Contains(out, "unfinished") {
			t.Fatalf("migrate-to run %d:\n%s", run+1, out)
		}
		t.Logf("run %d: %s", run+1, out)
		if metaWrites.Load() == before {
			t.Fatalf("migrate-to run %d: the app wrote nothing while it copied", run+1)
		}
		// The app may not be started on the copy yet.
		if _, err := auth.OpenOffline(auth.Config{DatabaseURL: url, EncryptionKey: make([]byte, 32)}); err == nil || !strings.Contains(err.Error(), "unfinished copy") {
			t.Fatalf("opening an unfinished copy: %v", err)
		}
	}
	close(stop)
	wg.Wait()
	select {
	case err := <-loadErr:
		t.Fatalf("the app's writes failed during the copies: %v", err)
	default:
	}
	srv.Close()
	a.Close()
	if len(live) < 2 || len(gone) < 1 {
		t.Fatalf("the load signed in %d users and deleted %d; too few to test", len(live), len(gone))
	}

	out := mustCLI(t, db, "migrate-to", "-finish", url)
	if !strings.Contains(out, "finished") {
		t.Fatalf("migrate-to -finish:\n%s", out)
	}
	pg, err := auth.New(postgresConfig(t, db, url))
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	for _, email := range live {
		if _, err := pg.GetUserByEmail(ctx, email); err != nil {
			t.Errorf("%s on PostgreSQL: %v", email, err)
		}
	}
	for _, email := range gone {
		if _, err := pg.GetUserByEmail(ctx, email); err == nil {
			t.Errorf("%s, deleted while the app served, is on PostgreSQL", email)
		}
	}
	u, err := pg.GetUserByEmail(ctx, "first@example.com")
	if want := fmt.Sprintf(`{"n":%d}`, lastMeta.Load()); err != nil || string(u.PublicMetadata) != want {
		t.Errorf("first user's metadata on PostgreSQL = %s (%v), want the last write %s", u.PublicMetadata, err, want)
	}
	// The last browser is still signed in, now served from PostgreSQL.
	pgMux := http.NewServeMux()
	pgMux.Handle("/auth/", pg.Handler())
	pgSrv := httptest.NewServer(pgMux)
	defer pgSrv.Close()
	req, _ := http.NewRequest("GET", pgSrv.URL+"/auth/api/me", nil)
	req.AddCookie(lastCookie)
	resp, err := pgSrv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var me struct {
		User struct{ Email string } `json:"user"`
	}
	json.NewDecoder(resp.Body).Decode(&me)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || me.User.Email != live[len(live)-1] {
		t.Fatalf("GET /api/me with the last cookie on PostgreSQL: %s, %+v; want %s", resp.Status, me, live[len(live)-1])
	}
}

// postgresConfig is the Config of the app moved from the SQLite file db
// to the PostgreSQL database url: that URL and the file's key.
func postgresConfig(t *testing.T, db, url string) auth.Config {
	t.Helper()
	key, err := os.ReadFile(db + ".key")
	if err != nil {
		t.Fatal(err)
	}
	cfg := auth.Config{DatabaseURL: url, BaseURL: "http://localhost:8080"}
	if cfg.EncryptionKey, err = hex.DecodeString(strings.TrimSpace(string(key))); err != nil {
		t.Fatal(err)
	}
	return cfg
}
