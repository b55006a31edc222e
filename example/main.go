// Command example is a small notes app that uses embedauth for accounts:
// a public landing page, sign-up and sign-in through embedauth's pages, and
// a dashboard where each user keeps private notes in the same SQLite file.
//
//	go run ./example
//
// then open http://localhost:8080. Mail (verification codes, reset links)
// is kept in the dev outbox at http://localhost:8080/auth/dev/mail.
//
// With GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET (or GOOGLE_CLIENT_ID and
// GOOGLE_CLIENT_SECRET) in the environment, the sign-in page also offers
// "Continue with GitHub" (Google); register
// http://localhost:8080/auth/oauth/github/callback (…/google/callback) as
// the redirect URI at the provider.
package main

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	auth "github.com/embedauth/auth"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static/notes.css
var staticFS embed.FS

func main() {
	addr := flag.String("addr", "localhost:8080", "address to listen on")
	dbPath := flag.String("db", "./embedauth-example.db", "SQLite database file")
	baseURL := flag.String("base-url", "", "public origin of the app (default http://localhost:<port of -addr>)")
	flag.Parse()

	if err := run(*addr, *dbPath, *baseURL); err != nil {
		log.Fatal(err)
	}
}

func run(addr, dbPath, baseURL string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	if baseURL == "" {
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		baseURL = "http://localhost:" + port
	}
	app, err := newServer(config(dbPath, baseURL))
	if err != nil {
		ln.Close()
		return err
	}
	defer app.Close()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Printf("Notes is running at %s\n  sign up:    %s/auth/sign-up\n  dev outbox: %s/auth/dev/mail (verification codes and reset links)\n  database:   %s\n",
		baseURL, baseURL, baseURL, dbPath)
	return serve(ctx, ln, app.routes())
}

// config is the embedauth configuration of `go run ./example`.
func config(dbPath, baseURL string) auth.Config {
	return auth.Config{DatabasePath: dbPath, BaseURL: baseURL, AppName: "Notes", Social: socialFromEnv(),
		// Notes belong to the active organization. Deleting them takes
		// org:admin or the org:notes:delete permission, which the
		// moderator role holds and an organization's own roles can hold.
		Organizations: auth.OrganizationsConfig{
			Permissions: []auth.OrgPermission{{Key: "org:notes:delete", Name: "Delete notes", Description: "Delete any note of the organization."}},
			Roles: []auth.OrgRole{{Key: "org:moderator", Name: "Moderator", Description: "A member who may delete notes.",
				Permissions: []string{"org:notes:delete", "org:sys_memberships:read"}}},
		}}
}

// socialFromEnv offers the providers whose credentials are in the
// environment.
func socialFromEnv() []auth.SocialProvider {
	var out []auth.SocialProvider
	for _, p := range []struct {
		kind auth.SocialKind
		env  string
	}{{auth.SocialGitHub, "GITHUB"}, {auth.SocialGoogle, "GOOGLE"}} {
		id, secret := os.Getenv(p.env+"_CLIENT_ID"), os.Getenv(p.env+"_CLIENT_SECRET")
		if id != "" && secret != "" {
			out = append(out, auth.SocialProvider{Kind: p.kind, ClientID: id, ClientSecret: secret})
		}
	}
	return out
}

// newServer starts embedauth with cfg and builds the notes app on its
// database. Serve app.routes(); Close the app when done.
func newServer(cfg auth.Config) (*app, error) {
	a, err := auth.New(cfg)
	if err != nil {
		return nil, err
	}
	app, err := newApp(a)
	if err != nil {
		a.Close()
		return nil, err
	}
	return app, nil
}

// serve serves h on ln until ctx ends, then shuts down gracefully, waiting
// up to 5 s for requests in flight.
func serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	<-stopped
	return nil
}

// app is the notes app: its own table in embedauth's database file.
type app struct {
	auth *auth.Auth
	db   *sql.DB
	tmpl *template.Template
}

// Close stops embedauth and closes the database.
func (app *app) Close() error { return app.auth.Close() }

func newApp(a *auth.Auth) (*app, error) {
	db := a.DB()
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS notes (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		user_id TEXT NOT NULL REFERENCES auth_users(id) ON DELETE CASCADE,
		body TEXT NOT NULL,
		created_at BIGINT NOT NULL)`); err != nil {
		return nil, err
	}
	// Notes of an organization (NULL: the author's personal notes). A
	// database from before organizations gets the column.
	if _, err := db.Exec(`SELECT org_id FROM notes LIMIT 0`); err != nil {
		if _, err := db.Exec(`ALTER TABLE notes ADD COLUMN org_id TEXT REFERENCES auth_organizations(id) ON DELETE CASCADE`); err != nil {
			return nil, err
		}
	}
	tmpl, err := template.ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	return &app{auth: a, db: db, tmpl: tmpl}, nil
}

func (app *app) routes() http.Handler {
	// The app's own pages carry the headers embedauth's pages carry: a
	// strict Content-Security-Policy (hence no inline styles in the
	// templates: they are in static/notes.css), no framing, no referrer,
	// no caching.
	own := http.NewServeMux()
	own.HandleFunc("GET /{$}", app.home)
	own.HandleFunc("GET /static/notes.css", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFileFS(w, r, staticFS, "static/notes.css")
	})
	own.Handle("GET /dashboard", app.auth.RequireUser(http.HandlerFunc(app.dashboard)))
	own.Handle("POST /notes", app.auth.RequireUser(http.HandlerFunc(app.addNote)))
	// The smallest protected route: who is signed in, as JSON (the load
	// driver in internal/bench measures it).
	own.Handle("GET /whoami", app.auth.RequireUser(http.HandlerFunc(app.whoami)))
	own.Handle("POST /notes/{id}/delete", app.auth.RequireUser(http.HandlerFunc(app.deleteNote)))

	mux := http.NewServeMux()
	mux.Handle("/auth/", app.auth.Handler())
	mux.Handle("/", app.auth.SecureHeaders(own))
	return app.auth.Middleware(http.NewCrossOriginProtection().Handler(mux))
}

type note struct {
	ID        int64
	Body      string
	Author    string
	CreatedAt time.Time
}

type pageData struct {
	Auth  auth.Components
	User  auth.User
	In    bool
	Notes []note
	Error string
	// OrgName is the active organization ("" for personal notes);
	// CanDelete tells whether its notes may be deleted.
	OrgName   string
	CanDelete bool
}

func (app *app) data(r *http.Request) pageData {
	u, ok := auth.UserFrom(r.Context())
	d := pageData{Auth: app.auth.Components(r), User: u, In: ok, CanDelete: true}
	if org, _, ok := auth.OrgFrom(r.Context()); ok {
		d.OrgName, d.CanDelete = org.Name, canDeleteNotes(r)
	}
	return d
}

// canDeleteNotes reports whether the user may delete the notes of the
// active organization: admins, and roles with org:notes:delete. The check
// reads only the request context.
func canDeleteNotes(r *http.Request) bool {
	return auth.HasRole(r.Context(), "org:admin") || auth.Has(r.Context(), "org:notes:delete")
}

// scope is the SQL condition (with its arguments from $first) that selects
// the notes of the request's active organization, or the user's personal
// notes without one.
func scope(r *http.Request, first int) (string, []any) {
	if org, _, ok := auth.OrgFrom(r.Context()); ok {
		return fmt.Sprintf("org_id = $%d", first), []any{org.ID}
	}
	u, _ := auth.UserFrom(r.Context())
	return fmt.Sprintf("org_id IS NULL AND user_id = $%d", first), []any{u.ID}
}

func (app *app) render(w http.ResponseWriter, name string, d pageData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := app.tmpl.ExecuteTemplate(w, name, d); err != nil {
		log.Printf("render %s: %v", name, err)
	}
}

func (app *app) home(w http.ResponseWriter, r *http.Request) {
	app.render(w, "home.html", app.data(r))
}

func (app *app) whoami(w http.ResponseWriter, r *http.Request) {
	u, _ := auth.UserFrom(r.Context())
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(struct {
		ID    string `json:"id"`
		Email string `json:"email"`
	}{u.ID, u.Email})
}

func (app *app) dashboard(w http.ResponseWriter, r *http.Request) {
	d := app.data(r)
	where, args := scope(r, 1)
	rows, err := app.db.QueryContext(r.Context(), `SELECT n.id, n.body, n.created_at, COALESCE(NULLIF(u.name, ''), u.email)
		FROM (SELECT * FROM notes WHERE `+where+`) n JOIN auth_users u ON u.id = n.user_id ORDER BY n.id DESC`, args...)
	if err != nil {
		http.Error(w, "could not load notes", http.StatusInternalServerError)
		return
	}
	defer rows.Close()
	for rows.Next() {
		var n note
		var created int64
		if err := rows.Scan(&n.ID, &n.Body, &created, &n.Author); err != nil {
			http.Error(w, "could not load notes", http.StatusInternalServerError)
			return
		}
		n.CreatedAt = time.UnixMilli(created)
		d.Notes = append(d.Notes, n)
	}
	app.render(w, "dashboard.html", d)
}

func (app *app) addNote(w http.ResponseWriter, r *http.Request) {
	u, _ := auth.UserFrom(r.Context())
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	body := strings.TrimSpace(r.PostFormValue("body"))
	if body == "" {
		http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
		return
	}
	var orgID any
	if org, _, ok := auth.OrgFrom(r.Context()); ok {
		orgID = org.ID
	}
	if _, err := app.db.ExecContext(r.Context(), `INSERT INTO notes (user_id, org_id, body, created_at) VALUES ($1, $2, $3, $4)`,
		u.ID, orgID, body, time.Now().UnixMilli()); err != nil {
		http.Error(w, "could not save the note", http.StatusInternalServerError)
		return
	}
	http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
}

func (app *app) deleteNote(w http.ResponseWriter, r *http.Request) {
	if !canDeleteNotes(r) {
		http.Error(w, "only admins and moderators delete the notes of an organization", http.StatusForbidden)
		return
	}
	// The scope keeps one user (or organization) from deleting another's note.
	where, args := scope(r, 2)
	if _, err := app.db.ExecContext(r.Context(), `DELETE FROM notes WHERE id = $1 AND `+where, append([]any{r.PathValue("id")}, args...)...); err != nil {
		http.Error(w, "could not delete the note", http.StatusInternalServerError)
		return
	}
	http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
}
