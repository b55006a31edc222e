package web

import (
	"html/template"
	"net/http"

	"github.com/embedauth/auth/ui"
)

// Components are embedauth's UI pieces for a request, ready for an app's
// own templates: pass a.Components(r) to a template as .Auth and write
// {{ .Auth.UserButton }}.
type Components struct {
	a *Server
	r *http.Request
}

// Components returns the UI components for r.
func (a *Server) Components(r *http.Request) Components { return Components{a, r} }

// UserButton is the signed-in user's avatar with a menu (manage account,
// sign out; in multi-session mode, switching to the browser's other
// accounts and adding one), or nothing when no one is signed in. It needs the stylesheet
// at Config.Path + "/static/style.css" and no JavaScript.
func (c Components) UserButton() template.HTML { return c.a.UserButton(c.r) }

// Stylesheets returns the <link> tag for the components' styles.
func (c Components) Stylesheets() template.HTML { return c.a.ui.Stylesheets(c.a.s.Path) }

// UserButton renders the user button for r (see [Components.UserButton]).
func (a *Server) UserButton(r *http.Request) template.HTML {
	st, err := a.lookup(r)
	if err != nil || st == nil {
		return ""
	}
	data := ui.UserButton{Base: a.s.Path, Initials: st.user.Initials(), ImageURL: a.imageURL(st.user), Name: st.user.Name, Email: st.user.Email,
		ProfileURL: a.s.Path + "/profile", Impersonation: a.impersonationView(r), Lang: a.locale(r).Tag()}
	if a.s.SessionMode == SessionMulti {
		// The app's own pages run outside Handler, so the browser's
		// session data may not be loaded yet.
		ctx, err := a.sm.Load(r.Context(), cookieValue(r, a.s.cookieName))
		if err != nil {
			a.s.Logger.Error("embedauth: user button", "err", err)
			return ""
		}
		data.Accounts = a.accounts(r.WithContext(ctx), st)
	}
	html, err := a.ui.Component("user-button.html", data)
	if err != nil {
		a.s.Logger.Error("embedauth: user button", "err", err)
		return ""
	}
	return html
}
