package mail

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	texttemplate "text/template"
	"time"

	"github.com/embedauth/auth/internal/i18n"
)

// Names of the messages the embedded templates provide.
const (
	// MsgVerifyEmail carries the one-time code (Data.Code) that finishes a
	// sign-up, with its validity (Data.ExpiresIn) and an optional link.
	MsgVerifyEmail = "verify_email"
	// MsgSignupExistingAccount tells the owner of an address that someone
	// tried to sign up with it; Data.Link leads to sign-in / password reset.
	MsgSignupExistingAccount = "signup_existing_account"
	// MsgResetPassword carries the password-reset link (Data.Link) and its
	// validity (Data.ExpiresIn); Data.Code is shown too if set.
	MsgResetPassword = "reset_password"
	// MsgPasswordChanged notices a password change (Data.Time, Device, IP),
	// with a link (Data.Link) to reset the password if it wasn't them.
	MsgPasswordChanged = "password_changed"
	// MsgAccountDeleted notices that the account was deleted (Data.Time).
	MsgAccountDeleted = "account_deleted"
	// MsgSignInCode carries a one-time sign-in code (Data.Code) and its
	// validity (Data.ExpiresIn).
	MsgSignInCode = "sign_in_code"
	// MsgSignUpCode carries the one-time code that creates an account for
	// a new address.
	MsgSignUpCode = "sign_up_code"
	// MsgMagicLink carries a sign-in link (Data.Link) and its validity.
	MsgMagicLink = "magic_link"
	// MsgMagicLinkSignUp carries the link that creates an account for a
	// new address.
	MsgMagicLinkSignUp = "magic_link_sign_up"
	// MsgVerifyIdentifier carries the code that adds an email address to
	// a signed-in user's account.
	MsgVerifyIdentifier = "verify_identifier"
	// MsgIdentifierAdded, MsgIdentifierRemoved and MsgPrimaryChanged
	// notice a change of the account's addresses (Data.Address, Time,
	// Device, IP).
	MsgIdentifierAdded   = "identifier_added"
	MsgIdentifierRemoved = "identifier_removed"
	MsgPrimaryChanged    = "primary_changed"
	// MsgOrgInvitation invites the recipient to an organization (Data.Org)
	// on behalf of Data.Inviter with a role (Data.Role); Data.Link accepts
	// it within Data.ExpiresIn.
	MsgOrgInvitation = "org_invitation"
	// MsgAppInvitation invites the recipient, on behalf of an
	// administrator (Data.Inviter), to create an account: Data.Link is the
	// sign-up page with the address filled in.
	MsgAppInvitation = "app_invitation"
	// MsgOrgDomainCode carries the code (Data.Code) that proves an
	// organization (Data.Org) controls the recipient's domain.
	MsgOrgDomainCode = "org_domain_code"
	// MsgMFAEnabled, MsgMFADisabled and MsgMFABackupCodes notice a change
	// of the account's two-step verification (Data.Time, Device, IP), with
	// a link (Data.Link) to review it.
	MsgMFAEnabled     = "mfa_enabled"
	MsgMFADisabled    = "mfa_disabled"
	MsgMFABackupCodes = "mfa_backup_codes"
	// MsgReverifyCode carries the code (Data.Code) a signed-in user enters
	// to confirm it's them before a sensitive change.
	MsgReverifyCode = "reverify_code"
	// MsgNewDeviceSignIn notices a sign-in from a device the account had
	// not used before (Data.Time, Device, IP, Method), with a link
	// (Data.Link) to the signed-in devices to sign it out.
	MsgNewDeviceSignIn = "new_device_sign_in"
	// MsgDeviceVerificationCode carries the code (Data.Code) that lets a
	// device the account had not used before finish signing in (Data.Time,
	// Device, IP, Method, ExpiresIn).
	MsgDeviceVerificationCode = "device_verification_code"
	// MsgPasskeyAdded and MsgPasskeyRemoved tell the user a passkey
	// (Data.Device is its name) was added to or removed from their account;
	// Data.Link is the profile page.
	MsgPasskeyAdded   = "passkey_added"
	MsgPasskeyRemoved = "passkey_removed"
	// MsgPasskeyCloneSuspected tells the user a passkey (Data.Device) was
	// blocked because its signature counter went backwards.
	MsgPasskeyCloneSuspected = "passkey_clone_suspected"
	// MsgAccountConnected and MsgAccountDisconnected tell the user a
	// provider account (Data.Device is the provider, Data.Address the
	// account's email) was connected to or disconnected from theirs.
	MsgAccountConnected    = "account_connected"
	MsgAccountDisconnected = "account_disconnected"
	// MsgSignUpInvitation invites an address to sign up (an approved
	// waitlist entry, an administrator's invitation), with a link to the
	// sign-up page (Data.Link) and how long the invitation lasts.
	MsgSignUpInvitation = "signup_invitation"
)

// DefaultColor is the button and link colour used when Brand.Color is empty
// or not a colour this package accepts.
const DefaultColor = "#4f46e5"

//go:embed templates/*.txt templates/*.html
var embedded embed.FS

// layoutFile is the shared HTML layout. It calls the template "content",
// which is the body of NAME.html, and may use the blocks "preheader" and
// "reason" that NAME.html can redefine, and the templates "greeting" and
// "button" it defines itself.
const layoutFile = "layout.html"

// Brand is the app's look in mail.
type Brand struct {
	// AppName is shown in the header (unless there is a logo), subjects and
	// texts. Default: the host of BaseURL.
	AppName string
	// LogoURL is an absolute https URL of a logo image, shown 32px high in
	// place of the app name in the header of HTML mail. Optional.
	LogoURL string
	// Color is the CSS colour of buttons and links: "#rgb", "#rrggbb",
	// "rgb(…)" or a colour name. Default DefaultColor.
	Color string
	// BaseURL is the app's public URL, linked from the footer.
	BaseURL string
}

// Data is what a template sees. Templates see it as ".", together with
// .To (the recipient), .Subject (the rendered subject; in NAME.txt and
// NAME.html only), .Color (Brand.Color, checked) and .Button LABEL (the
// argument for the layout's "button" template, linking to .Link).
type Data struct {
	// Brand is the app's look.
	Brand Brand
	// Code is the one-time code, when the message carries one.
	Code string
	// Link is the action URL, when the message carries one.
	Link string
	// ExpiresIn is the validity of the code or link; templates print it as
	// "10 minutes" via the func "duration".
	ExpiresIn time.Duration
	// Name is the recipient's name, if known.
	Name string
	// Device describes the device of an event, e.g. "Chrome on macOS".
	Device string
	// IP is the IP address of an event.
	IP string
	// Time is when the event happened; Render uses the current time if it
	// is zero. Templates print it with the func "when".
	Time time.Time
	// Address is the email address or phone number a notice is about.
	Address string
	// Org is the name of the organization a message is about.
	Org string
	// Inviter is the name (or email) of who sent an invitation.
	Inviter string
	// Role is the name of the role an invitation grants.
	Role string
	// Method describes how a sign-in was made, such as "Password and
	// authenticator app".
	Method string
	// Lang is the BCP 47 tag of the language to write the message in ("de",
	// "pt-BR"); "" or a language the catalogs lack is the default one.
	Lang string
}

// view is the value templates execute on.
type view struct {
	Data
	To      string
	Subject string
}

// Color returns Brand.Color if it is a safe CSS colour, else DefaultColor.
func (v view) Color() htmltemplate.CSS { return htmltemplate.CSS(safeColor(v.Brand.Color)) }

// button is the argument of the layout's "button" template.
type button struct {
	Label string
	URL   string
	Color htmltemplate.CSS
}

// Button returns the "button" template's argument for a button labelled
// label that links to .Link.
func (v view) Button(label string) button {
	return button{Label: label, URL: v.Link, Color: v.Color()}
}

var colorRE = regexp.MustCompile(`^(#[0-9a-fA-F]{3,8}|[a-zA-Z]{3,30}|(rgb|rgba|hsl|hsla)\([0-9.,%/ ]{1,60}\))$`)

func safeColor(c string) string {
	c = strings.TrimSpace(c)
	if c == "" || !colorRE.MatchString(c) {
		return DefaultColor
	}
	return c
}

// message holds the three parsed templates of one message.
type message struct {
	subject *texttemplate.Template
	text    *texttemplate.Template
	html    *htmltemplate.Template
}

// Templates renders the embedded message templates, overridable by an app,
// in each language of its message catalogs. It is safe for concurrent use.
type Templates struct {
	overrides fs.FS
	cat       *i18n.Catalogs
	mu        sync.Mutex
	byLang    map[string]map[string]*message // parsed per language, at first use
	errs      map[string]error
}

// parsed returns the messages parsed for language l, parsing them on
// first use in l.
func (t *Templates) parsed(l *i18n.Locale) (map[string]*message, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if m, ok := t.byLang[l.Tag()]; ok {
		return m, t.errs[l.Tag()]
	}
	m, err := parseTemplates(t.overrides, l)
	t.byLang[l.Tag()], t.errs[l.Tag()] = m, err
	return m, err
}

// NewTemplates parses the embedded templates once. overrides (may be nil)
// is an fs.FS whose files, at its root, replace embedded files of the same
// name: NAME.subject.txt and NAME.txt (text/template), NAME.html
// (html/template, the inner part of the layout) and layout.html. A complete
// set of three files for a new NAME adds a message. Other files are
// ignored.
//
// Broken templates fail here, not at send time: every message is also
// rendered once with sample data, so an unknown field or func is reported
// too. Files in overrides that would have no effect (such as "verify_emial.html")
// are errors as well.
//
// Without overrides, only the embedded templates are used: they are
// known to parse and render (this package's tests do both), so parsing
// them waits for the first message, which keeps it out of the start of
// the app.
func NewTemplates(overrides fs.FS) (*Templates, error) {
	cat, err := i18n.New(i18n.Options{})
	if err != nil {
		return nil, err
	}
	return NewLocalizedTemplates(overrides, cat)
}

// NewLocalizedTemplates is NewTemplates with the message catalogs the
// templates' text is translated with (the func "t"); Data.Lang chooses
// the language of each message.
func NewLocalizedTemplates(overrides fs.FS, cat *i18n.Catalogs) (*Templates, error) {
	t := &Templates{overrides: overrides, cat: cat, byLang: map[string]map[string]*message{}, errs: map[string]error{}}
	if overrides != nil {
		if _, err := t.parsed(cat.Default()); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// parseTemplates parses, checks and trial-renders every message, in
// language l.
func parseTemplates(overrides fs.FS, l *i18n.Locale) (map[string]*message, error) {
	files := map[string]string{} // file name -> source
	origin := map[string]string{}
	embeddedFiles, err := fs.Sub(embedded, "templates")
	if err != nil {
		return nil, err
	}
	if err := collect(embeddedFiles, files, origin, "embedded"); err != nil {
		return nil, err
	}
	if overrides != nil {
		if err := collect(overrides, files, origin, "override"); err != nil {
			return nil, err
		}
	}

	// Every NAME that has any file must have all three.
	names := map[string]bool{}
	for f := range files {
		if f == layoutFile {
			continue
		}
		names[messageName(f)] = true
	}
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(names)) {
		for _, f := range []string{name + ".subject.txt", name + ".txt", name + ".html"} {
			if _, ok := files[f]; !ok {
				errs = append(errs, fmt.Errorf("mail: message %q has no %s (an override file with a misspelt name?)", name, f))
			}
		}
	}
	if _, ok := files[layoutFile]; !ok {
		errs = append(errs, fmt.Errorf("mail: %s is missing", layoutFile))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	funcs := localeFuncs(l)
	layout, err := htmltemplate.New(layoutFile).Funcs(htmltemplate.FuncMap(funcs)).Parse(files[layoutFile])
	if err != nil {
		return nil, fmt.Errorf("mail: %s template %s: %w", origin[layoutFile], layoutFile, err)
	}

	msgs := map[string]*message{}
	for _, name := range slices.Sorted(maps.Keys(names)) {
		m, err := parseMessage(layout, name, files, origin, funcs)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		msgs[name] = m
		if _, err := m.render(name, "Ada Lövelace <ada@example.com>", sampleData()); err != nil {
			errs = append(errs, fmt.Errorf("%w (trial render with sample data; files: %s)", err, describe(name, origin)))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return msgs, nil
}

// localeFuncs are the functions every message template can call, in the
// language l: "t" translates a message of the catalogs, "duration" and
// "when" write a duration and a time the language's way.
func localeFuncs(l *i18n.Locale) map[string]any {
	return map[string]any{
		"duration": l.Duration,
		"year":     func() int { return time.Now().Year() },
		"when":     l.LongDate,
		"t":        l.T,
		"lang":     l.Tag,
		"dir":      l.Dir,
	}
}

func collect(fsys fs.FS, files, origin map[string]string, from string) error {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return fmt.Errorf("mail: reading %s templates: %w", from, err)
	}
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || strings.HasPrefix(n, ".") || (!strings.HasSuffix(n, ".txt") && !strings.HasSuffix(n, ".html")) {
			continue
		}
		if n != layoutFile && messageName(n) == "" {
			continue
		}
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return fmt.Errorf("mail: reading %s template %s: %w", from, n, err)
		}
		files[n] = string(b)
		origin[n] = from
	}
	return nil
}

// messageName returns NAME for NAME.subject.txt, NAME.txt and NAME.html.
func messageName(file string) string {
	for _, suffix := range []string{".subject.txt", ".txt", ".html"} {
		if name, ok := strings.CutSuffix(file, suffix); ok {
			return name
		}
	}
	return ""
}

func describe(name string, origin map[string]string) string {
	var parts []string
	for _, f := range []string{name + ".subject.txt", name + ".txt", name + ".html", layoutFile} {
		parts = append(parts, origin[f]+" "+f)
	}
	return strings.Join(parts, ", ")
}

func parseMessage(layout *htmltemplate.Template, name string, files, origin map[string]string, funcs map[string]any) (*message, error) {
	wrap := func(file string, err error) error {
		return fmt.Errorf("mail: %s template %s: %w", origin[file], file, err)
	}
	var m message
	var err error
	f := name + ".subject.txt"
	if m.subject, err = texttemplate.New(f).Funcs(funcs).Parse(files[f]); err != nil {
		return nil, wrap(f, err)
	}
	f = name + ".txt"
	if m.text, err = texttemplate.New(f).Funcs(funcs).Parse(files[f]); err != nil {
		return nil, wrap(f, err)
	}
	f = name + ".html"
	if m.html, err = layout.Clone(); err != nil {
		return nil, wrap(f, err)
	}
	if _, err = m.html.New("content").Parse(files[f]); err != nil {
		return nil, wrap(f, err)
	}
	return &m, nil
}

func sampleData() Data {
	return Data{
		Brand:     Brand{AppName: "Example", LogoURL: "https://example.com/logo.png", Color: "#123456", BaseURL: "https://example.com"},
		Code:      "123456",
		Link:      "https://example.com/action?token=abc",
		ExpiresIn: 10 * time.Minute,
		Name:      "Ada",
		Device:    "Firefox on Linux",
		IP:        "192.0.2.1",
		Time:      time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Address:   "ada@example.org",
		Org:       "Acme",
		Inviter:   "Grace",
		Role:      "Admin",
	}
}

// Names returns the names of the messages t can render, sorted.
func (t *Templates) Names() []string {
	msgs, _ := t.parsed(t.cat.Default())
	return slices.Sorted(maps.Keys(msgs))
}

// Render renders message name for the recipient to ("address" or
// "Name <address>") with data. Empty Brand fields get defaults (AppName:
// the host of BaseURL; Color: DefaultColor) and a zero Time becomes now.
func (t *Templates) Render(name string, to string, data Data) (Message, error) {
	l := t.cat.Lookup(data.Lang)
	if l == nil {
		l = t.cat.Default()
	}
	msgs, err := t.parsed(l)
	if err != nil {
		return Message{}, err
	}
	m, ok := msgs[name]
	if !ok {
		return Message{}, fmt.Errorf("mail: no message template %q (have %s)", name, strings.Join(t.Names(), ", "))
	}
	if strings.TrimSpace(to) == "" || strings.ContainsAny(to, "\r\n") {
		return Message{}, fmt.Errorf("mail: render %s: invalid recipient %q", name, to)
	}
	if data.Brand.AppName == "" {
		if u, err := url.Parse(data.Brand.BaseURL); err == nil && u.Hostname() != "" {
			data.Brand.AppName = u.Hostname()
		}
	}
	data.Brand.Color = safeColor(data.Brand.Color)
	if data.Time.IsZero() {
		data.Time = time.Now()
	}
	return m.render(name, to, data)
}

func (m *message) render(name, to string, data Data) (Message, error) {
	v := view{Data: data, To: to}
	var buf bytes.Buffer
	if err := m.subject.Execute(&buf, v); err != nil {
		return Message{}, fmt.Errorf("mail: render %s subject: %w", name, err)
	}
	v.Subject = strings.Join(strings.Fields(buf.String()), " ")
	if v.Subject == "" {
		return Message{}, fmt.Errorf("mail: render %s: empty subject", name)
	}

	buf.Reset()
	if err := m.text.Execute(&buf, v); err != nil {
		return Message{}, fmt.Errorf("mail: render %s text: %w", name, err)
	}
	text := tidyText(buf.String())

	buf.Reset()
	if err := m.html.ExecuteTemplate(&buf, layoutFile, v); err != nil {
		return Message{}, fmt.Errorf("mail: render %s html: %w", name, err)
	}
	return Message{To: to, Subject: v.Subject, Text: text, HTML: buf.String()}, nil
}

// tidyText trims trailing white space from lines, collapses runs of blank
// lines into one and ends the text with a single newline.
func tidyText(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		l = strings.TrimRight(l, " \t")
		if l == "" && (len(out) == 0 || out[len(out)-1] == "") {
			continue
		}
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n")) + "\n"
}

// FormatDuration writes d in plain English words, as the template func
// "duration" does in an English message: 10*time.Minute is "10 minutes", time.Hour "1 hour", 7*24*time.Hour
// "7 days", 90*time.Minute "1 hour and 30 minutes". It names at most the
// two largest units (days, hours, minutes; seconds only under a minute) and
// drops smaller remainders, so it never overstates d.
func FormatDuration(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	if d < time.Minute {
		return plural(int64(d/time.Second), "second")
	}
	mins := int64(d / time.Minute)
	amounts := []int64{mins / (24 * 60), mins / 60 % 24, mins % 60}
	names := []string{"day", "hour", "minute"}
	for i, n := range amounts {
		if n == 0 {
			continue
		}
		s := plural(n, names[i])
		if i+1 < len(amounts) && amounts[i+1] != 0 {
			s += " and " + plural(amounts[i+1], names[i+1])
		}
		return s
	}
	return "0 minutes" // unreachable: d >= 1 minute
}

func plural(n int64, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.FormatInt(n, 10) + " " + unit + "s"
}
