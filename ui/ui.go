// Package ui renders embedauth's server-side pages and components from
// embedded html/template files. It decides nothing: handlers pass typed page
// structs ([SignIn], [Profile], ...) and ui turns them into HTML.
//
// # Templates
//
// templates/layout.html is the page skeleton, templates/partials/*.html are
// shared pieces, and each page is templates/pages/NAME.html defining
// "content" (and optionally "title"). Everything is parsed once, in [New],
// so a broken template fails at start-up. An app may pass an fs.FS whose
// files replace embedded ones of the same path, for example
// "templates/pages/sign-in.html" or "static/style.css".
//
// # Languages
//
// Template text is English, passed through the func "t": {{t "Sign in"}},
// {{t "At least %v characters." .MinLength}}. Each page is parsed once per
// language, at its first render in it, with "t", "date", "lang" and "dir"
// bound to that language; the language of a render is its data's Page.Lang
// (or the Lang of a component's data). Text that reaches a page from Go
// (titles, notices, form errors) is translated by the same "t" in the
// templates, by its English text.
//
// The components an app places in its own pages (UserButton,
// OrganizationSwitcher) have a stylesheet of their own, static/components.css,
// whose every rule is scoped under their root classes.
//
// The pages need no inline script or style, so they run under a strict
// Content-Security-Policy. There are two small script modules, served
// from the static files like the stylesheets (script-src 'self' allows
// them): static/passkey.js runs passkey ceremonies, and static/menu.js,
// which the components include, makes their menus close like menus.
// Everything else works without them.
package ui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/embedauth/auth/internal/i18n"
)

//go:embed templates static
var embedded embed.FS

// Theme is the look of the pages, written into theme.css as CSS variables.
type Theme struct {
	// PrimaryColor is the color of buttons and avatars: #rgb, #rrggbb or
	// rgb(r, g, b). Default #4f46e5. Links and focus rings use the nearest
	// shade of it that meets WCAG AA contrast in the light and in the dark
	// color scheme, and button labels are white or dark, whichever reads.
	PrimaryColor string
	// Radius is the corner radius of cards and inputs, a CSS length.
	Radius string
	// FontFamily is a CSS font stack.
	FontFamily string
}

// UI holds the parsed templates and the static files.
type UI struct {
	mu    sync.RWMutex
	pages map[pageKey]*template.Template // parsed pages, per language
	// sources holds the pages not parsed yet (name to source): without
	// overrides, a page is parsed at its first render, which keeps the
	// parsing of every page out of the start of the app.
	sources    map[string]string
	base       *template.Template            // layout and partials, never executed: pages are its clones
	components map[string]*template.Template // per language, made at first use
	static     map[string]staticFile
	version    string
	msgs       *i18n.Catalogs
}

// pageKey names a page parsed for one language: its funcs (t, date, lang,
// dir) are bound to that language.
type pageKey struct{ name, lang string }

type staticFile struct {
	body        []byte
	contentType string
}

// overlay reads a file from overrides when it has it, else from embedded.
type overlay struct{ over fs.FS }

func (o overlay) ReadFile(name string) ([]byte, error) {
	if o.over != nil {
		if b, err := fs.ReadFile(o.over, name); err == nil {
			return b, nil
		}
	}
	return fs.ReadFile(embedded, name)
}

// New parses every template and prepares the static files, with the
// embedded message catalogs and English as the default language.
// overrides may be nil.
func New(overrides fs.FS, theme Theme) (*UI, error) {
	msgs, err := i18n.New(i18n.Options{})
	if err != nil {
		return nil, err
	}
	return NewLocalized(overrides, theme, msgs)
}

// NewLocalized is New with the message catalogs pages are translated
// with.
func NewLocalized(overrides fs.FS, theme Theme, msgs *i18n.Catalogs) (*UI, error) {
	o := overlay{overrides}
	u := &UI{pages: map[pageKey]*template.Template{}, sources: map[string]string{}, static: map[string]staticFile{},
		components: map[string]*template.Template{}, msgs: msgs}

	css, err := o.ReadFile("static/style.css")
	if err != nil {
		return nil, fmt.Errorf("ui: %w", err)
	}
	pal, err := newPalette(theme.PrimaryColor)
	if err != nil {
		return nil, fmt.Errorf("ui: theme: %w", err)
	}
	pageTheme := []byte(themeCSS(theme, pal, ":root"))
	componentsCSS, err := o.ReadFile("static/components.css")
	if err != nil {
		return nil, fmt.Errorf("ui: %w", err)
	}
	// The components' theme goes on their own roots, not :root, so that
	// the file an app links styles nothing of the app's.
	componentsCSS = append(componentsCSS, themeCSS(theme, pal, componentRoots)...)
	passkeyJS, err := o.ReadFile("static/passkey.js")
	if err != nil {
		return nil, fmt.Errorf("ui: %w", err)
	}
	menuJS, err := o.ReadFile("static/menu.js")
	if err != nil {
		return nil, fmt.Errorf("ui: %w", err)
	}
	u.static["style.css"] = staticFile{css, "text/css; charset=utf-8"}
	u.static["theme.css"] = staticFile{pageTheme, "text/css; charset=utf-8"}
	u.static["components.css"] = staticFile{componentsCSS, "text/css; charset=utf-8"}
	u.static["passkey.js"] = staticFile{passkeyJS, "text/javascript; charset=utf-8"}
	u.static["menu.js"] = staticFile{menuJS, "text/javascript; charset=utf-8"}
	h := sha256.New()
	h.Write(css)
	h.Write(pageTheme)
	h.Write(componentsCSS)
	h.Write(passkeyJS)
	h.Write(menuJS)
	u.version = hex.EncodeToString(h.Sum(nil))[:12]

	funcs := u.funcs(msgs.Default())
	layout, err := o.ReadFile("templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("ui: %w", err)
	}
	base := template.New("layout.html").Funcs(funcs)
	if _, err := base.Parse(string(layout)); err != nil {
		return nil, fmt.Errorf("ui: layout.html: %w", err)
	}
	partials, err := fs.Glob(embedded, "templates/partials/*.html")
	if err != nil {
		return nil, err
	}
	for _, p := range partials {
		b, err := o.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("ui: %w", err)
		}
		if _, err := base.New(path.Base(p)).Parse(string(b)); err != nil {
			return nil, fmt.Errorf("ui: %s: %w", p, err)
		}
	}
	u.base = base
	pages, err := fs.Glob(embedded, "templates/pages/*.html")
	if err != nil {
		return nil, err
	}
	for _, p := range pages {
		b, err := o.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("ui: %w", err)
		}
		u.sources[strings.TrimSuffix(path.Base(p), ".html")] = string(b)
	}
	// Overridden templates are the app's: every page is parsed now, so
	// that a mistake in them stops the start. The embedded ones are known
	// to parse (this package's tests parse and render each).
	if overrides != nil {
		for name := range u.sources {
			if _, err := u.page(name, msgs.Default()); err != nil {
				return nil, err
			}
		}
	}
	return u, nil
}

// funcs are the template funcs, bound to the language l.
func (u *UI) funcs(l *i18n.Locale) template.FuncMap {
	return template.FuncMap{
		"static": func(base, name string) string { return base + "/static/" + name + "?v=" + u.version },
		"date":   func(t time.Time) string { return l.Date(t.UTC()) },
		// field is a form field's message, translated.
		"field": func(m map[string]string, name string) string { return l.T(m[name]) },
		"t":     l.T,
		"num":   l.Number,
		"lang":  l.Tag,
		"dir":   l.Dir,
		// join lists names ("Acme, Globex").
		"join": func(names []string) string { return strings.Join(names, ", ") },
	}
}

// locale is the language of a render's data: its Page's Lang, else the
// default.
func (u *UI) locale(data any) *i18n.Locale {
	if d, ok := data.(interface{ language() string }); ok {
		if l := u.msgs.Lookup(d.language()); l != nil {
			return l
		}
	}
	return u.msgs.Default()
}

// page returns the page name parsed for language l, parsing it at its
// first use in l.
func (u *UI) page(name string, l *i18n.Locale) (*template.Template, error) {
	key := pageKey{name, l.Tag()}
	u.mu.RLock()
	t, ok := u.pages[key]
	u.mu.RUnlock()
	if ok {
		return t, nil
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if t, ok := u.pages[key]; ok {
		return t, nil
	}
	src, ok := u.sources[name]
	if !ok {
		return nil, fmt.Errorf("ui: no page %q", name)
	}
	t, err := u.base.Clone()
	if err != nil {
		return nil, err
	}
	t.Funcs(u.funcs(l))
	if _, err := t.New(name + ".html").Parse(src); err != nil {
		return nil, fmt.Errorf("ui: templates/pages/%s.html: %w", name, err)
	}
	u.pages[key] = t
	return t, nil
}

// component returns the components' templates for language l.
func (u *UI) component(l *i18n.Locale) (*template.Template, error) {
	u.mu.RLock()
	t, ok := u.components[l.Tag()]
	u.mu.RUnlock()
	if ok {
		return t, nil
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if t, ok := u.components[l.Tag()]; ok {
		return t, nil
	}
	t, err := u.base.Clone()
	if err != nil {
		return nil, err
	}
	t.Funcs(u.funcs(l))
	u.components[l.Tag()] = t
	return t, nil
}

// componentRoots selects the root elements of the components.
const componentRoots = ".ea-userbutton,.ea-orgswitcher"

// themeCSS writes the theme as CSS variables on the elements sel selects:
// the colors of pal (links and focus rings per color scheme), radius and
// font.
func themeCSS(t Theme, pal palette, sel string) string {
	clean := func(s string) string {
		// A theme value must not end the declaration or the rule.
		return strings.NewReplacer(";", "", "}", "", "{", "", "<", "", "\n", " ").Replace(s)
	}
	return fmt.Sprintf("%s{--ea-primary:%s;--ea-on-primary:%s;--ea-link:%s;--ea-focus:%s;--ea-radius:%s;--ea-font:%s}\n"+
		"@media (prefers-color-scheme: dark){%s{--ea-link:%s;--ea-focus:%s}}\n",
		sel, pal.primary.hex(), pal.onPrimary.hex(), pal.linkLight.hex(), pal.linkLight.hex(), clean(t.Radius), clean(t.FontFamily),
		sel, pal.linkDark.hex(), pal.linkDark.hex())
}

// Render writes page name with data into w. The page is rendered into a
// buffer first, so a template error never leaves half a page.
func (u *UI) Render(w io.Writer, name string, data any) error {
	t, err := u.page(name, u.locale(data))
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", data); err != nil {
		return fmt.Errorf("ui: render %s: %w", name, err)
	}
	_, err = buf.WriteTo(w)
	return err
}

// Component renders a partial (for example "user-button.html") as HTML an
// app can place in its own templates, in the language of data's Lang
// field (see [Page]) when it has one.
func (u *UI) Component(name string, data any) (template.HTML, error) {
	var buf bytes.Buffer
	t, err := u.component(u.locale(data))
	if err != nil {
		return "", err
	}
	if err := t.ExecuteTemplate(&buf, name, data); err != nil {
		return "", fmt.Errorf("ui: component %s: %w", name, err)
	}
	return template.HTML(buf.String()), nil
}

// Static serves the stylesheets and scripts under any prefix (strip it
// first). Files are immutable per version, so they are cached for a year.
func (u *UI) Static() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := u.static[path.Base(r.URL.Path)]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", f.contentType)
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		w.Write(f.body)
	})
}

// Stylesheets returns the <link> tag an app puts in its <head> for the
// components, with the static files served under base + "/static". The
// stylesheet styles the components only: every rule is scoped under their
// root classes, so the app's own elements keep the app's look.
func (u *UI) Stylesheets(base string) template.HTML {
	link := func(name string) string {
		return `<link rel="stylesheet" href="` + template.HTMLEscapeString(base+"/static/"+name+"?v="+u.version) + `">`
	}
	return template.HTML(link("components.css"))
}

// Version identifies the current static files, for cache busting.
func (u *UI) Version() string { return u.version }
