package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/mail"
	"github.com/embedauth/auth/store"
)

// notesClient is one person using the example app over HTTP.
type notesClient struct {
	t    *testing.T
	base string
	hc   *http.Client
}

func (c *notesClient) do(method, path, contentType, body string) (int, string) {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (c *notesClient) json(method, path string, v any) (int, string) {
	c.t.Helper()
	b, _ := json.Marshal(v)
	return c.do(method, path, "application/json", string(b))
}

func (c *notesClient) form(path string, kv ...string) int {
	c.t.Helper()
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	status, _ := c.do("POST", path, "application/x-www-form-urlencoded", v.Encode())
	return status
}

func (c *notesClient) dashboard() string {
	c.t.Helper()
	status, body := c.do("GET", "/dashboard", "", "")
	if status != http.StatusOK {
		c.t.Fatalf("dashboard: %d", status)
	}
	return body
}

var (
	apiCode   = regexp.MustCompile(`verification code is (\d{6})`)
	apiInvite = regexp.MustCompile(`/auth/orgs/invitation\?token=([A-Za-z0-9_-]+)`)
	deleteURL = regexp.MustCompile(`action="(/notes/\d+/delete)"`)
)

// TestNotesBelongToTheActiveOrganization: notes written with an
// organization active are the organization's (its members see them); a
// member cannot delete them and a moderator can; personal notes stay
// private, and the note ids of one scope delete nothing in another.
func TestNotesBelongToTheActiveOrganization(t *testing.T) {
	capture := &mail.Capture{}
	base := startExample(t, func(c *auth.Config) {
		c.Mailer = capture
		c.PasswordHashing = auth.Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	})
	wait := func(to string, re *regexp.Regexp) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		m, err := capture.Wait(ctx, to)
		if err != nil {
			t.Fatalf("no mail to %s: %v", to, err)
		}
		match := re.FindStringSubmatch(m.Text)
		if match == nil {
			t.Fatalf("mail to %s:\n%s", to, m.Text)
		}
		return match[1]
	}
	signUp := func(name, email string) *notesClient {
		t.Helper()
		jar, _ := cookiejar.New(nil)
		c := &notesClient{t: t, base: base, hc: &http.Client{Jar: jar, Timeout: 10 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
		if status, body := c.json("POST", "/auth/api/sign-up", map[string]string{"name": name, "email": email, "password": "a long enough password 123"}); status != http.StatusAccepted {
			t.Fatalf("sign up %s: %d %s", email, status, body)
		}
		if status, body := c.json("POST", "/auth/api/sign-up/verify", map[string]string{"code": wait(email, apiCode)}); status != http.StatusOK {
			t.Fatalf("verify %s: %d %s", email, status, body)
		}
		return c
	}

	ann := signUp("Ann", "ann@example.com")
	status, body := ann.json("POST", "/auth/api/orgs", map[string]string{"name": "Acme"})
	var created struct {
		Organization struct{ ID string } `json:"organization"`
	}
	if json.Unmarshal([]byte(body), &created); status != http.StatusCreated {
		t.Fatalf("create org: %d %s", status, body)
	}
	orgID := created.Organization.ID
	ann.form("/notes", "body", "Acme roadmap")
	bob := signUp("Bob", "bob@example.com")
	bob.form("/notes", "body", "Bob's private diary")
	ann.json("POST", "/auth/api/orgs/"+orgID+"/invitations", map[string]string{"email": "bob@example.com"})
	if status, body := bob.json("POST", "/auth/api/orgs/invitations/accept", map[string]string{"token": wait("bob@example.com", apiInvite)}); status != http.StatusOK {
		t.Fatalf("accept: %d %s", status, body)
	}

	page := bob.dashboard()
	if !strings.Contains(page, "Acme roadmap") || strings.Contains(page, "Bob&#39;s private diary") || strings.Contains(page, "/delete") {
		t.Fatalf("bob's Acme dashboard:\n%s", page)
	}
	annPage := ann.dashboard()
	if strings.Contains(annPage, "private diary") {
		t.Fatal("ann sees bob's personal note")
	}
	roadmap := deleteURL.FindStringSubmatch(annPage)
	if roadmap == nil {
		t.Fatal("the admin has no delete button")
	}
	if status := bob.form(roadmap[1]); status != http.StatusForbidden {
		t.Fatalf("a member deleting: %d", status)
	}
	// Bob's own personal note id does nothing while Acme is active, and
	// ann's delete of it does nothing either.
	bob.json("POST", "/auth/api/orgs/active", map[string]string{"org_id": ""})
	diary := deleteURL.FindStringSubmatch(bob.dashboard())
	if diary == nil {
		t.Fatal("bob cannot delete his own personal note")
	}
	if status := ann.form(diary[1]); status != http.StatusSeeOther {
		t.Fatalf("ann's delete of another scope's note: %d", status)
	}
	if !strings.Contains(bob.dashboard(), "private diary") {
		t.Fatal("ann deleted bob's personal note")
	}
	// A moderator may delete the organization's notes.
	var me struct {
		User struct{ ID string } `json:"user"`
	}
	_, meBody := bob.do("GET", "/auth/api/me", "", "")
	json.Unmarshal([]byte(meBody), &me)
	if status, body := ann.json("PATCH", "/auth/api/orgs/"+orgID+"/members/"+me.User.ID, map[string]string{"role": "org:moderator"}); status != http.StatusOK {
		t.Fatalf("make bob a moderator: %d %s", status, body)
	}
	bob.json("POST", "/auth/api/orgs/active", map[string]string{"org_id": orgID})
	if status := bob.form(roadmap[1]); status != http.StatusSeeOther {
		t.Fatalf("a moderator deleting: %d", status)
	}
	if strings.Contains(ann.dashboard(), "Acme roadmap") {
		t.Fatal("the note survived its deletion")
	}
}

// TestNotesTableGainsOrgColumn: a database from before organizations gets
// the org_id column, and its notes stay personal.
func TestNotesTableGainsOrgColumn(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", store.DSN(path))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE notes (id INTEGER PRIMARY KEY AUTOINCREMENT, user_id TEXT NOT NULL, body TEXT NOT NULL, created_at BIGINT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	db.Exec(`INSERT INTO notes (user_id, body, created_at) VALUES ('user_x', 'old note', 1)`)
	db.Close()
	app, err := newServer(config(path, "http://localhost:8080"))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	var n int
	if err := app.db.QueryRow(`SELECT COUNT(*) FROM notes WHERE org_id IS NULL`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("notes without an org = %d, %v", n, err)
	}
}
