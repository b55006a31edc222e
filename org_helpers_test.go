package auth_test

// Helpers of the organization tests (org_*_test.go). Their names start
// with "og" so they do not collide with other test files of this package.

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/authtest"
)

// ogOrg mirrors the JSON of core.Org; ogMembership of core.Membership.
type ogOrg struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Slug      string    `json:"slug"`
	LogoURL   string    `json:"logo_url"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

type ogMembership struct {
	ID     string `json:"id"`
	OrgID  string `json:"org_id"`
	UserID string `json:"user_id"`
	Role   string `json:"role"`
}

type ogOrgAndMembership struct {
	Organization ogOrg        `json:"organization"`
	Membership   ogMembership `json:"membership"`
}

type ogInvitation struct {
	ID     string `json:"id"`
	OrgID  string `json:"org_id"`
	Email  string `json:"email"`
	Role   string `json:"role"`
	Status string `json:"status"`
}

type ogDomain struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	EnrollmentMode string `json:"enrollment_mode"`
	Verified       bool   `json:"verified"`
}

// ogUser is a signed-in API client with its user.
type ogUser struct {
	*flClient
	user  flUser
	email string
	pw    string
}

// ogSignIn creates a verified user and signs a new client in as them.
func ogSignIn(t testing.TB, env *authtest.Env, email string) *ogUser {
	t.Helper()
	pw := authtest.Password()
	env.CreateUser(t, email, pw)
	c := flNew(t, env)
	me := c.signIn(email, pw)
	return &ogUser{flClient: c, user: me.User, email: email, pw: pw}
}

// ogCreate creates an organization through the API; it becomes active.
func ogCreate(t testing.TB, u *ogUser, name, slug string) ogOrgAndMembership {
	t.Helper()
	var out ogOrgAndMembership
	u.postJSON("/auth/api/orgs", map[string]string{"name": name, "slug": slug}).want(http.StatusCreated).decode(&out)
	return out
}

var ogTokenPattern = regexp.MustCompile(`/auth/orgs/invitation\?token=([A-Za-z0-9_-]+)`)

// ogInvite invites email to org as role through the API and returns the
// token from the mail that arrives.
func ogInvite(t testing.TB, env *authtest.Env, admin *ogUser, orgID, email, role string) (ogInvitation, string) {
	t.Helper()
	var out struct{ Invitation ogInvitation }
	admin.postJSON("/auth/api/orgs/"+orgID+"/invitations", map[string]string{"email": email, "role": role}).want(http.StatusCreated).decode(&out)
	return out.Invitation, ogInvitationToken(t, env, email)
}

// ogInvitationToken waits for an invitation mail to email and returns its
// token, checking the link is on the configured origin.
func ogInvitationToken(t testing.TB, env *authtest.Env, email string) string {
	t.Helper()
	m := flWaitMail(t, env, email)
	match := ogTokenPattern.FindStringSubmatch(m.Text)
	if match == nil || !strings.Contains(m.Text, env.URL+"/auth/orgs/invitation?token=") {
		t.Fatalf("invitation mail to %s has no link on %s:\n%s", email, env.URL, m.Text)
	}
	return match[1]
}

// ogJoin invites a new user to org with role and has them accept.
func ogJoin(t testing.TB, env *authtest.Env, admin *ogUser, orgID, email, role string) *ogUser {
	t.Helper()
	u := ogSignIn(t, env, email)
	_, token := ogInvite(t, env, admin, orgID, email, role)
	u.postJSON("/auth/api/orgs/invitations/accept", map[string]string{"token": token}).want(http.StatusOK)
	return u
}

// ogView is what a handler behind Middleware sees of the organization.
type ogView struct {
	SignedIn bool
	OrgID    string
	OrgName  string
	Role     string
	OK       bool
	Has      map[string]bool
	Perms    []string
}

// ogProbe sends a request with c's session cookie through env's Middleware
// to a handler that reports OrgFrom, HasRole and Has for perms.
func ogProbe(t testing.TB, env *authtest.Env, c *flClient, perms ...string) ogView {
	t.Helper()
	h := env.Auth.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var v ogView
		_, v.SignedIn = auth.UserFrom(r.Context())
		var org auth.Org
		org, v.Role, v.OK = auth.OrgFrom(r.Context())
		v.OrgID, v.OrgName = org.ID, org.Name
		v.Has = map[string]bool{}
		for _, p := range perms {
			v.Has[p] = auth.Has(r.Context(), p)
		}
		if v.Role != "" && !auth.HasRole(r.Context(), v.Role) {
			v.Role = "HasRole disagrees with OrgFrom"
		}
		v.Perms = auth.OrgPermissionsFrom(r.Context())
		json.NewEncoder(w).Encode(v)
	}))
	req := httptest.NewRequest("GET", env.URL+"/app", nil)
	req.Header.Set("Cookie", "embedauth_session="+c.sessionCookie())
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var v ogView
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("probe: %v: %s", err, rec.Body)
	}
	return v
}

// ogServe runs h behind env's Middleware on a server of its own and
// returns a client that sends c's cookie to it.
func ogServe(t testing.TB, env *authtest.Env, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(env.Auth.Middleware(h))
	t.Cleanup(srv.Close)
	return srv.URL
}

// ogGet sends GET url with c's session cookie (and JSON accepted when
// json is set), without following redirects.
func ogGet(t testing.TB, c *flClient, rawURL string, json bool) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", rawURL, nil)
	req.Header.Set("Cookie", "embedauth_session="+c.sessionCookie())
	if json {
		req.Header.Set("Accept", "application/json")
	}
	hc := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// ogEvents returns the data of the events of type typ.
func ogEvents(t testing.TB, env *authtest.Env, typ string) []map[string]any {
	t.Helper()
	evs, err := env.Auth.Store().Events(context.Background(), typ, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, e := range evs {
		var m map[string]any
		if err := json.Unmarshal(e.Data, &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// ogForm posts a form and returns the answer.
func ogForm(c *flClient, path string, kv ...string) *flResp {
	c.t.Helper()
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return c.postForm(path, v)
}
