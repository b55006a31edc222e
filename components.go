package auth

import (
	"html/template"
	"net/http"

	"github.com/embedauth/auth/ui"
)

// Components are embedauth's UI pieces for a request, ready for an app's
// own templates: pass a.Components(r) to a template as .Auth and write
// {{ .Auth.UserButton }}.
type Components struct {
	a *Auth
	r *http.Request
}

// Components returns the UI components for r.
func (a *Auth) Components(r *http.Request) Components { return Components{a, r} }

// UserButton is the signed-in user's avatar with a menu (manage account,
// sign out), or nothing when no one is signed in. It needs the stylesheet
// of [Components.Stylesheets]. Its menu opens without JavaScript; a small
// script module it includes from Config.Path + "/static/" (allowed by a
// CSP's script-src 'self') makes it close on Escape or a click elsewhere.
func (c Components) UserButton() template.HTML { return c.a.UserButton(c.r) }

// Stylesheets returns the <link> tag for the components' styles, for the
// app's <head>. The stylesheet styles only the components: its rules are
// scoped under their root classes and leave the app's own elements alone.
func (c Components) Stylesheets() template.HTML { return c.a.ui.Stylesheets(c.a.s.Path) }

// UserButton renders the user button for r (see [Components.UserButton]).
func (a *Auth) UserButton(r *http.Request) template.HTML {
	st, err := a.lookup(r)
	if err != nil || st == nil {
		return ""
	}
	data := ui.UserButton{Base: a.s.Path, Initials: st.user.Initials(), Name: st.user.Name, Email: st.user.Email,
		ProfileURL: a.s.Path + "/profile"}
	html, err := a.ui.Component("user-button.html", data)
	if err != nil {
		a.s.Logger.Error("embedauth: user button", "err", err)
		return ""
	}
	return html
}
