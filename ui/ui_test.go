package ui_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/embedauth/auth/ui"
)

const appName = "Acme Test"

var theme = ui.Theme{PrimaryColor: "#4f46e5", Radius: "8px", FontFamily: "Inter, sans-serif"}

func newUI(t *testing.T) *ui.UI {
	t.Helper()
	u, err := ui.New(nil, theme)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return u
}

func page() ui.Page {
	return ui.Page{AppName: appName, Base: "/auth", Title: "A title"}
}

// pageData returns zero-value-ish data of the right type for each page.
func pageData() map[string]any {
	p := page()
	return map[string]any{
		"sign-in": ui.SignIn{Page: social(p, "google", "Google")},
		"sign-up": ui.SignUp{Page: social(p, "github", "GitHub"), MinLength: 8},
		"verify":  ui.Verify{Page: p, Email: "a***@example.com", TTL: "10 minutes"},
		"forgot":  ui.Forgot{Page: p},
		"reset":   ui.Reset{Page: p, Valid: true, MinLength: 8},
		"message": ui.Message{Page: p},
		"error":   ui.Error{Page: p, Status: 404, Message: "Not found."},
		"profile": ui.Profile{Page: p, User: ui.UserView{Email: "ada@example.com"}, MinLength: 8, Connections: &ui.Connections{
			List:      []ui.Connection{{ID: "ext_1", ProviderID: "google", ProviderName: "Google", Email: "ada@example.com"}},
			Available: []ui.SocialButton{{ID: "github", Name: "GitHub"}}, HasPassword: true}},
		"dev-mail": ui.DevMail{Page: p},
		"sign-out": ui.Message{Page: p},

		"factor-two":   ui.FactorTwo{Page: p, Method: "totp", Factors: []string{"totp", "backup_code"}, Next: "/"},
		"mfa":          ui.MFA{Page: p, HasPassword: true, Pending: &ui.MFAEnrolment{QR: "data:image/png;base64,AA==", URL: "otpauth://totp/x", Secret: "ABC"}},
		"mfa-reverify": ui.MFAReverify{Page: p, HasPassword: true, TOTP: true},
		"security-log": ui.SecurityLog{Page: p, More: true, Entries: []ui.SecurityEntry{
			{When: time.Date(2026, 3, 4, 5, 6, 0, 0, time.UTC), Description: "Signed in with a password", Device: "Chrome on macOS", IP: "203.0.113.7"},
			{Description: "Failed sign-in: wrong password", Warning: true}}},
		"verify-device":    ui.VerifyDevice{Page: p, To: "a***@example.com", TTL: "10 minutes"},
		"mfa-backup-codes": ui.MFABackupCodes{Page: p, Codes: []string{"abcde-fghjk"}, Download: "data:text/plain,x"},

		"webhooks": ui.WebhookEndpoints{Page: p, EventTypes: []ui.WebhookEventType{{Name: "user.created", Checked: true}},
			Endpoints: []ui.WebhookEndpointView{{ID: "ep_1", URL: "https://hooks.example.com/x", EventTypes: []string{"user.created"}}}},
		"webhooks-endpoint": ui.WebhookEndpoint{Page: p, Endpoint: ui.WebhookEndpointView{ID: "ep_1", URL: "https://hooks.example.com/x"}, Secret: "whsec_x",
			Deliveries: []ui.WebhookDeliveryView{{EventID: "evt_1", EventType: "user.created", Status: "delivered", Attempts: []ui.WebhookAttemptView{{Number: 1, StatusCode: 200}}}}},

		"admin-users": ui.AdminUsers{Page: p, Nav: ui.AdminNav{Active: "users"}, Search: "ada", NextURL: "/auth/admin/users?cursor=x",
			Filters: []ui.AdminOption{{Value: "banned", Label: "Banned", Checked: true}}, Sorts: []ui.AdminOption{{Value: "created_desc", Label: "Newest first", Checked: true}},
			Users: []ui.AdminUserRow{{ID: "user_1", Email: "ada@example.com", Name: "Ada", Initials: "A", Badges: []string{"banned", "admin"}}}},
		"admin-user": ui.AdminUser{Page: p, Nav: ui.AdminNav{Active: "users"}, ID: "user_1", Email: "ada@example.com", Name: "Ada", Initials: "A",
			TOTP: true, BackupCodes: 3, Impersonate: true, PublicMetadata: "{}", PrivateMetadata: "{}", UnsafeMetadata: "{}",
			Identifiers: []ui.AdminIdentifier{{ID: "idn_1", Kind: "email", Value: "ada@example.com", Primary: true}},
			Passkeys:    []ui.AdminPasskey{{ID: "pk_1", Name: "Laptop"}}, Sessions: []ui.AdminSession{{ID: "sess_1", Device: "Chrome on macOS"}},
			Orgs: []ui.AdminOrg{{ID: "org_1", Name: "Acme", Role: "admin"}}, Accounts: []ui.AdminAccount{{Provider: "google", Email: "ada@example.com"}},
			SecurityLog: []ui.SecurityEntry{{Description: "Signed in with a password"}}, Audit: []ui.AdminAuditRow{{Actor: "root@example.com", Action: "user.banned"}}},
		"admin-audit": ui.AdminAudit{Page: p, Nav: ui.AdminNav{Active: "audit"}, NextURL: "/auth/admin/audit?before=1",
			Entries: []ui.AdminAuditRow{{Actor: "root@example.com", Action: "user.banned", TargetID: "user_1", TargetEmail: "ada@example.com"}}},

		"org-list":       ui.OrgList{Page: p, Orgs: []ui.OrgView{{ID: "org_1", Name: "Acme", Initials: "A", Active: true}}, Suggestions: []ui.SuggestionView{{OrgID: "org_2", Name: "Beta", AutoJoin: true}}},
		"org-new":        ui.OrgNew{Page: p},
		"org-profile":    ui.OrgProfile{Page: p, Org: ui.OrgView{ID: "org_1", Name: "Acme"}, Tab: "general", CanManage: true, CanDelete: true, HasPassword: true},
		"org-invitation": ui.OrgInvitation{Page: p, State: "sign-up", OrgName: "Acme", Email: "ann@example.com", MinLength: 15},

		"passkey-sign-up": ui.PasskeySignUp{Page: p, Step: ui.PasskeyStepEmail},
		"passkey-setup":   ui.PasskeySetup{Page: p, Next: "/"},

		"code":       ui.Code{Page: p, To: "a***@example.com", Channel: "email", TTL: "10 minutes", Digits: 6, Action: "/auth/code", BackURL: "/auth/sign-in"},
		"phone":      ui.Phone{Page: p, SignUp: true},
		"magic-link": ui.LinkConfirm{Page: p, To: "a***@example.com", Token: "t", Requester: "Chrome on macOS (192.0.2.1)"},
		"waitlist":   ui.Waitlist{Page: p, Email: "ann@example.com"},
		"admin-sign-up": ui.AdminSignUp{Page: p, Mode: "waitlist", Allowlist: "example.com",
			Waitlist: []ui.WaitlistView{{ID: "wait_1", Email: "ann@example.com", Status: "pending"}}},
		"magic-link-sent": ui.LinkSent{Page: p, To: "a***@example.com", TTL: "15 minutes", BackURL: "/auth/sign-in"},
	}
}

func render(t *testing.T, u *ui.UI, name string, data any) string {
	t.Helper()
	var buf bytes.Buffer
	if err := u.Render(&buf, name, data); err != nil {
		t.Fatalf("Render(%q): %v", name, err)
	}
	return buf.String()
}

func TestNew(t *testing.T) {
	t.Parallel()
	if _, err := ui.New(nil, ui.Theme{}); err != nil {
		t.Fatalf("New with a zero theme: %v", err)
	}
	u := newUI(t)
	if !regexp.MustCompile(`^[0-9a-f]{12}$`).MatchString(u.Version()) {
		t.Errorf("Version() = %q, want 12 hex characters", u.Version())
	}
}

func TestEveryPageRenders(t *testing.T) {
	t.Parallel()
	u := newUI(t)
	data := pageData()
	entries, err := os.ReadDir("templates/pages")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(data) {
		t.Errorf("templates/pages holds %d pages, the test knows %d", len(entries), len(data))
	}
	styleLink := `<link rel="stylesheet" href="/auth/static/style.css?v=` + u.Version() + `">`
	themeLink := `<link rel="stylesheet" href="/auth/static/theme.css?v=` + u.Version() + `">`
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".html")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d, ok := data[name]
			if !ok {
				t.Fatalf("no test data for page %q", name)
			}
			out := render(t, u, name, d)
			for _, want := range []string{"<!doctype html>", appName, styleLink, themeLink, "</html>"} {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q", want)
				}
			}
			if strings.Contains(out, "<script") || strings.Contains(out, "style=") {
				t.Error("output holds inline script or style")
			}
			if strings.Contains(out, "/auth/dev/mail") {
				t.Error("dev footer shown outside dev mode")
			}
		})
	}
}

func TestRenderBaseless(t *testing.T) {
	t.Parallel()
	u := newUI(t)
	out := render(t, u, "sign-in", ui.SignIn{Page: ui.Page{AppName: appName}})
	if want := `href="/static/style.css?v=` + u.Version() + `"`; !strings.Contains(out, want) {
		t.Errorf("output lacks %q", want)
	}
}

func TestRenderDevMode(t *testing.T) {
	t.Parallel()
	u := newUI(t)
	p := page()
	p.DevMode = true
	if out := render(t, u, "sign-in", ui.SignIn{Page: p}); !strings.Contains(out, `href="/auth/dev/mail"`) {
		t.Error("dev footer missing in dev mode")
	}
}

func TestRenderErrors(t *testing.T) {
	t.Parallel()
	u := newUI(t)
	var buf bytes.Buffer
	if err := u.Render(&buf, "no-such-page", ui.SignIn{Page: page()}); err == nil {
		t.Error("an unknown page rendered")
	}
	// The profile page reads .User, which SignIn has not: the error must
	// leave nothing half-written.
	buf.Reset()
	if err := u.Render(&buf, "profile", ui.SignIn{Page: page()}); err == nil {
		t.Error("profile rendered with SignIn data")
	}
	if buf.Len() != 0 {
		t.Errorf("a failed render wrote %d bytes", buf.Len())
	}
}

func TestFieldErrors(t *testing.T) {
	t.Parallel()
	u := newUI(t)
	withErrors := func(fields ...string) ui.Page {
		p := page()
		p.FieldErrors = map[string]string{}
		for _, f := range fields {
			p.FieldErrors[f] = "Problem with " + f + "."
		}
		return p
	}
	tests := []struct {
		page   string
		data   func(ui.Page) any
		fields []string
		// ids maps a field to the id of its input when they differ.
		ids map[string]string
	}{
		{"sign-in", func(p ui.Page) any { return ui.SignIn{Page: p} }, []string{"email", "password"}, nil},
		{"sign-up", func(p ui.Page) any { return ui.SignUp{Page: p, MinLength: 8} }, []string{"name", "email", "password"}, nil},
		{"forgot", func(p ui.Page) any { return ui.Forgot{Page: p} }, []string{"email"}, nil},
		{"verify", func(p ui.Page) any { return ui.Verify{Page: p} }, []string{"code"}, nil},
		{"reset", func(p ui.Page) any { return ui.Reset{Page: p, Valid: true, MinLength: 8} }, []string{"password"}, nil},
		{"profile", func(p ui.Page) any {
			return ui.Profile{Page: p, User: ui.UserView{Email: "a@example.com", HasPassword: true}, MinLength: 8}
		}, []string{"name", "image"}, nil},
		{"profile", func(p ui.Page) any {
			return ui.Profile{Page: p, User: ui.UserView{Email: "a@example.com", HasPassword: true}, MinLength: 8, Tab: "security"}
		}, []string{"current_password", "new_password", "password", "confirm"}, map[string]string{"password": "delete_password"}},
	}
	for _, tt := range tests {
		t.Run(tt.page, func(t *testing.T) {
			t.Parallel()
			clean := render(t, u, tt.page, tt.data(withErrors()))
			if strings.Contains(clean, "aria-invalid") || strings.Contains(clean, "ea-field-error") {
				t.Error("a form without errors marks a field invalid")
			}
			for _, f := range tt.fields {
				out := render(t, u, tt.page, tt.data(withErrors(f)))
				id := f
				if tt.ids[f] != "" {
					id = tt.ids[f]
				}
				msg := `<p class="ea-field-error" id="` + id + `-error">Problem with ` + f + `.</p>`
				if !strings.Contains(out, msg) {
					t.Errorf("%s: output lacks %q", f, msg)
				}
				if n := strings.Count(out, `aria-invalid="true"`); n != 1 {
					t.Errorf("%s: %d fields marked invalid, want 1", f, n)
				}
				input := regexp.MustCompile(`<input id="` + id + `"[^>]*aria-invalid="true"`)
				if !input.MatchString(out) {
					t.Errorf("%s: input #%s is not marked aria-invalid", f, id)
				}
				if !strings.Contains(out, id+`-error"`) || !regexp.MustCompile(`aria-describedby="[^"]*\b`+id+`-error"`).MatchString(out) {
					t.Errorf("%s: input is not described by its error", f)
				}
			}
		})
	}
}

func TestAlerts(t *testing.T) {
	t.Parallel()
	u := newUI(t)
	p := page()
	p.Notice = "Check your inbox."
	p.Error = "Wrong email or password."
	out := render(t, u, "sign-in", ui.SignIn{Page: p})
	for _, want := range []string{
		`<div class="ea-alert ea-alert-info" role="status">Check your inbox.</div>`,
		`<div class="ea-alert ea-alert-error" role="alert" id="form-error">Wrong email or password.</div>`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

func TestEscaping(t *testing.T) {
	t.Parallel()
	u := newUI(t)
	const evil = `<script>alert(1)</script>`
	p := page()
	p.AppName = evil
	p.Notice = evil
	p.FieldErrors = map[string]string{"email": evil}
	tests := []struct {
		name string
		page string
		data any
	}{
		{"sign-up name", "sign-up", ui.SignUp{Page: page(), Name: evil, Email: `"><script>x</script>`}},
		{"app name, notice and field error", "sign-in", ui.SignIn{Page: p}},
		{"message", "message", ui.Message{Page: page(), Heading: evil, Body: evil, LinkText: evil, LinkURL: "/ok"}},
		{"error", "error", ui.Error{Page: page(), Message: evil}},
		{"profile", "profile", ui.Profile{Page: page(), User: ui.UserView{Name: evil, Email: evil, Initials: evil},
			Sessions: []ui.SessionView{{ID: evil, Device: evil, IP: evil}, {ID: "b", Current: true}}}},
		{"dev mail", "dev-mail", ui.DevMail{Page: page(), Messages: []ui.DevMessage{{To: evil, Subject: evil, Text: evil, Error: evil}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out := render(t, u, tt.page, tt.data)
			if strings.Contains(out, "<script") {
				t.Errorf("user data reached the page unescaped:\n%s", out)
			}
			if !strings.Contains(out, "&lt;script&gt;") {
				t.Errorf("escaped data missing")
			}
		})
	}
}

func TestUnsafeURLs(t *testing.T) {
	t.Parallel()
	u := newUI(t)
	out := render(t, u, "message", ui.Message{Page: page(), LinkURL: "javascript:alert(1)", LinkText: "Go"})
	if strings.Contains(out, "javascript:") {
		t.Error("a javascript: URL reached an href")
	}
	out = render(t, u, "dev-mail", ui.DevMail{Page: page(), Messages: []ui.DevMessage{{Links: []string{"javascript:alert(1)", "https://example.com/reset?t=abc"}}}})
	if strings.Contains(out, `href="javascript:`) {
		t.Error("a javascript: URL reached an href")
	}
	if !strings.Contains(out, `href="https://example.com/reset?t=abc"`) {
		t.Error("a safe link is missing")
	}
}

func TestProfileContent(t *testing.T) {
	t.Parallel()
	u := newUI(t)
	at := time.Date(2025, 3, 1, 12, 30, 0, 0, time.FixedZone("CET", 3600))
	prof := ui.Profile{
		Page: page(),
		User: ui.UserView{Email: "ada@example.com", Name: "Ada", Initials: "AL", CreatedAt: at},
		Sessions: []ui.SessionView{
			{ID: "sess_current", Device: "Firefox on Linux", CreatedAt: at, LastActiveAt: at, Current: true},
			{ID: "sess_other", Device: "Safari on iOS", CreatedAt: at, LastActiveAt: at},
		},
		Multi:    true,
		Accounts: []ui.AccountView{{SessionID: "sess_current", Email: "ada@example.com", Active: true}, {SessionID: "sess_b", Email: "bob@example.com"}},
		Tabs:     []ui.ProfileTab{{Key: "", Label: "Profile", Active: true}, {Key: "devices", Label: "Devices"}},
	}
	out := render(t, u, "profile", prof)
	for _, want := range []string{
		"1 Mar 2025, 11:30 UTC",
		`<input type="hidden" name="session_id" value="sess_b">`,
		`<form method="post" action="/auth/sign-out"`,
		`<a href="/auth/profile" id="tab-profile" aria-current="page" class="ea-tab-active">Profile</a>`,
		`<a href="/auth/profile?tab=devices" id="tab-devices">Devices</a>`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("profile section lacks %q", want)
		}
	}
	// Each section shows only its own forms.
	if strings.Contains(out, "revoke-others") || strings.Contains(out, `id="current_password"`) {
		t.Error("the profile section shows the devices or security forms")
	}
	prof.Tab = "devices"
	out = render(t, u, "profile", prof)
	for _, want := range []string{
		`<input type="hidden" name="session_id" value="sess_other">`,
		`action="/auth/profile/sessions/revoke-others"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("devices section lacks %q", want)
		}
	}
	if strings.Contains(out, `value="sess_current"`) || strings.Contains(out, `id="accounts"`) {
		t.Error("the current session offers itself for revoke, or the devices section shows the accounts")
	}
	// Without a password there is no current-password field.
	out = render(t, u, "profile", ui.Profile{Page: page(), User: ui.UserView{Email: "a@example.com"}, Tab: "security"})
	if strings.Contains(out, `id="current_password"`) || strings.Contains(out, "revoke-others") || strings.Contains(out, `id="accounts"`) {
		t.Error("profile shows password, revoke-others or accounts sections it should not")
	}
}

func TestResetInvalid(t *testing.T) {
	t.Parallel()
	u := newUI(t)
	out := render(t, u, "reset", ui.Reset{Page: page()})
	if strings.Contains(out, `action="/auth/reset"`) {
		t.Error("an invalid reset link still shows the form")
	}
	if !strings.Contains(out, `href="/auth/forgot"`) {
		t.Error("an invalid reset link does not offer a new one")
	}
}

func TestOverride(t *testing.T) {
	t.Parallel()
	over := fstest.MapFS{
		"templates/pages/sign-in.html": {Data: []byte(`{{define "content"}}<p id="custom">Custom sign-in for {{.Email}}</p>{{end}}`)},
	}
	u, err := ui.New(over, theme)
	if err != nil {
		t.Fatal(err)
	}
	out := render(t, u, "sign-in", ui.SignIn{Page: page(), Email: "<ada>"})
	if !strings.Contains(out, `<p id="custom">Custom sign-in for &lt;ada&gt;</p>`) {
		t.Errorf("the override was not used:\n%s", out)
	}
	if strings.Contains(out, "Welcome back") {
		t.Error("the embedded page still renders")
	}
	if !strings.Contains(out, appName) {
		t.Error("the override lost the layout")
	}
	// Other pages are untouched.
	if out := render(t, u, "sign-up", ui.SignUp{Page: page()}); !strings.Contains(out, "Get started with") {
		t.Error("sign-up changed")
	}
	// Overriding a page does not change the static files' version.
	if u.Version() != newUI(t).Version() {
		t.Error("a page override changed the version")
	}
}

func TestOverrideStaticAndPartial(t *testing.T) {
	t.Parallel()
	over := fstest.MapFS{
		"static/style.css":               {Data: []byte("body{color:red}")},
		"templates/partials/alerts.html": {Data: []byte(`{{define "alerts"}}<div id="my-alerts">{{.Notice}}</div>{{end}}`)},
	}
	u, err := ui.New(over, theme)
	if err != nil {
		t.Fatal(err)
	}
	if u.Version() == newUI(t).Version() {
		t.Error("a new style.css did not change the version")
	}
	p := page()
	p.Notice = "hi"
	if out := render(t, u, "sign-in", ui.SignIn{Page: p}); !strings.Contains(out, `<div id="my-alerts">hi</div>`) {
		t.Error("the partial override was not used")
	}
	w := httptest.NewRecorder()
	u.Static().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/style.css", nil))
	if w.Body.String() != "body{color:red}" {
		t.Errorf("style.css = %q", w.Body)
	}
}

func TestBrokenOverride(t *testing.T) {
	t.Parallel()
	for _, name := range []string{
		"templates/pages/sign-in.html",
		"templates/pages/profile.html",
		"templates/partials/header.html",
		"templates/layout.html",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			u, err := ui.New(fstest.MapFS{name: {Data: []byte("{{")}}, theme)
			if err == nil || u != nil {
				t.Fatalf("New with a broken %s = %v, %v; want an error", name, u, err)
			}
		})
	}
}

func TestThemeCSS(t *testing.T) {
	t.Parallel()
	get := func(t *testing.T, th ui.Theme) string {
		t.Helper()
		u, err := ui.New(nil, th)
		if err != nil {
			t.Fatal(err)
		}
		w := httptest.NewRecorder()
		u.Static().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/theme.css", nil))
		if w.Code != http.StatusOK {
			t.Fatalf("theme.css: %d", w.Code)
		}
		if ct := w.Header().Get("Content-Type"); ct != "text/css; charset=utf-8" {
			t.Errorf("Content-Type = %q", ct)
		}
		return w.Body.String()
	}
	t.Run("colors", func(t *testing.T) {
		t.Parallel()
		css := get(t, theme)
		// A primary color that already reads on the light palette is kept
		// for links; the dark palette gets a lighter shade of it.
		for _, want := range []string{"--ea-primary:#4f46e5", "--ea-on-primary:#ffffff", "--ea-link:#4f46e5", "--ea-focus:#4f46e5",
			"@media (prefers-color-scheme: dark){:root{--ea-link:#7b74ec;--ea-focus:#7b74ec}}", "--ea-radius:8px", "--ea-font:Inter, sans-serif"} {
			if !strings.Contains(css, want) {
				t.Errorf("theme.css %q lacks %q", css, want)
			}
		}
	})
	t.Run("hostile", func(t *testing.T) {
		t.Parallel()
		css := get(t, ui.Theme{
			PrimaryColor: "#123",
			Radius:       "1px}\nbody{display:none",
			FontFamily:   "x;background:url(//evil)</style><script>alert(1)</script>",
		})
		if strings.Contains(css, "<") {
			t.Errorf("theme.css %q holds '<'", css)
		}
		// One rule of variables, one @media block holding one rule.
		if n := strings.Count(css, "{"); n != 3 {
			t.Errorf("theme.css %q holds %d '{', want 3", css, n)
		}
		if n := strings.Count(css, "}"); n != 3 {
			t.Errorf("theme.css %q holds %d '}', want 3", css, n)
		}
		if n := strings.Count(css, ";"); n != 6 {
			t.Errorf("theme.css %q holds %d ';', want 6", css, n)
		}
		if n := strings.Count(css, "\n"); n != 2 || !strings.HasSuffix(css, "}}\n") {
			t.Errorf("theme.css %q is not two lines", css)
		}
		if !strings.HasPrefix(css, ":root{--ea-primary:#112233;") {
			t.Errorf("theme.css %q", css)
		}
	})
	t.Run("colors it cannot check", func(t *testing.T) {
		t.Parallel()
		// The contrast of links and labels is computed from the primary
		// color, so a color it cannot read is refused at start-up rather
		// than trusted.
		for _, c := range []string{"red;}</style><script>alert(1)</script>{", "rebeccapurple", "#12345", "rgba(0, 0, 0, .5)", "rgb(300, 0, 0)", "hsl(200 50% 50%)", "var(--x)"} {
			_, err := ui.New(nil, ui.Theme{PrimaryColor: c})
			if err == nil || !strings.Contains(err.Error(), "primary color") || !strings.Contains(err.Error(), "#rrggbb") {
				t.Errorf("PrimaryColor %q: err = %v, want a clear error", c, err)
			}
		}
	})
}

func TestStatic(t *testing.T) {
	t.Parallel()
	u := newUI(t)
	embedded, err := os.ReadFile("static/style.css")
	if err != nil {
		t.Fatal(err)
	}
	h := http.StripPrefix("/auth/static", u.Static())
	tests := []struct {
		path   string
		status int
		body   []byte
	}{
		{"/auth/static/style.css", 200, embedded},
		{"/auth/static/style.css?v=" + u.Version(), 200, embedded},
		{"/auth/static/theme.css", 200, nil},
		{"/auth/static/components.css", 200, nil},
		{"/auth/static/menu.js", 200, nil},
		{"/auth/static/nope.css", 404, nil},
		{"/auth/static/", 404, nil},
		{"/auth/static/layout.html", 404, nil},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, tt.path, nil))
			if w.Code != tt.status {
				t.Fatalf("status = %d, want %d", w.Code, tt.status)
			}
			if tt.status != 200 {
				return
			}
			want := "text/css; charset=utf-8"
			if strings.Contains(tt.path, ".js") {
				want = "text/javascript; charset=utf-8"
			}
			if ct := w.Header().Get("Content-Type"); ct != want {
				t.Errorf("Content-Type = %q, want %q", ct, want)
			}
			cc := w.Header().Get("Cache-Control")
			if !strings.Contains(cc, "max-age=31536000") || !strings.Contains(cc, "public") {
				t.Errorf("Cache-Control = %q, want a year", cc)
			}
			if tt.body != nil && !bytes.Equal(w.Body.Bytes(), tt.body) {
				t.Errorf("body differs from the embedded file (%d bytes)", w.Body.Len())
			}
		})
	}
}

func TestUserButton(t *testing.T) {
	t.Parallel()
	u := newUI(t)
	html, err := u.Component("user-button.html", ui.UserButton{
		Base: "/auth", Initials: "AL", Name: "Ada Lovelace", Email: "ada@example.com", ProfileURL: "/auth/profile",
	})
	if err != nil {
		t.Fatal(err)
	}
	out := string(html)
	for _, want := range []string{
		"ada@example.com",
		"Ada Lovelace",
		">AL<",
		`href="/auth/profile"`,
		`<form method="post" action="/auth/sign-out">`,
		`name="ea-menu"`, // one menu of the page open at a time, even without script
		`<script type="module" src="/auth/static/menu.js?v=` + u.Version() + `"></script>`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("user button lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "sessions/switch") || strings.Contains(out, "add=1") {
		t.Error("a single-account button offers switching")
	}
}

func TestUserButtonAccounts(t *testing.T) {
	t.Parallel()
	u := newUI(t)
	html, err := u.Component("user-button.html", ui.UserButton{
		Base: "/auth", Email: "<ada>@example.com", ProfileURL: "/auth/profile",
		Accounts: []ui.AccountView{
			{SessionID: "sess_a", Email: "<ada>@example.com", Active: true},
			{SessionID: "sess_b", Email: "bob@example.com"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	out := string(html)
	if strings.Contains(out, "<ada>") || !strings.Contains(out, "&lt;ada&gt;@example.com") {
		t.Error("email is not escaped")
	}
	if !strings.Contains(out, `action="/auth/sessions/switch"`) || !strings.Contains(out, `value="sess_b"`) || !strings.Contains(out, "Switch to bob@example.com") {
		t.Errorf("no switch to the other account:\n%s", out)
	}
	if strings.Contains(out, `value="sess_a"`) {
		t.Error("the active account offers a switch to itself")
	}
	if !strings.Contains(out, `href="/auth/sign-in?add=1"`) {
		t.Error("no add-account link")
	}
}

func TestComponentUnknown(t *testing.T) {
	t.Parallel()
	if _, err := newUI(t).Component("nope.html", nil); err == nil {
		t.Error("an unknown component rendered")
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	v := func(th ui.Theme) string {
		u, err := ui.New(nil, th)
		if err != nil {
			t.Fatal(err)
		}
		return u.Version()
	}
	base := v(theme)
	if again := v(theme); again != base {
		t.Errorf("Version changed for the same inputs: %q, %q", base, again)
	}
	for _, th := range []ui.Theme{
		{PrimaryColor: "#000000", Radius: theme.Radius, FontFamily: theme.FontFamily},
		{PrimaryColor: theme.PrimaryColor, Radius: "0", FontFamily: theme.FontFamily},
		{PrimaryColor: theme.PrimaryColor, Radius: theme.Radius, FontFamily: "serif"},
		{},
	} {
		if got := v(th); got == base {
			t.Errorf("theme %+v has the same version %q", th, got)
		}
	}
}

func TestConcurrentRender(t *testing.T) {
	t.Parallel()
	u := newUI(t)
	data := pageData()
	for i := range 8 {
		t.Run(string(rune('a'+i)), func(t *testing.T) {
			t.Parallel()
			for name, d := range data {
				render(t, u, name, d)
			}
			if _, err := u.Component("user-button.html", ui.UserButton{Email: "a@example.com"}); err != nil {
				t.Error(err)
			}
		})
	}
}

// social returns p with one "Continue with" button.
func social(p ui.Page, id, name string) ui.Page {
	p.Social = []ui.SocialButton{{ID: id, Name: name}}
	return p
}
