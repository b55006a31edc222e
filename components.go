package auth

import (
	"html/template"
	"net/http"
)

// Components are embedauth's UI pieces for a request, ready for an app's
// own templates: pass a.Components(r) to a template as .Auth and write
// {{ .Auth.Stylesheets }} in the <head> and {{ .Auth.UserButton }} where
// the avatar menu goes.
type Components struct {
	a *Auth
	r *http.Request
}

// Components returns the UI components for r.
func (a *Auth) Components(r *http.Request) Components { return Components{a, r} }

// UserButton is the signed-in user's avatar with a menu (manage account,
// sign out; in multi-session mode, the browser's other accounts to switch
// to and a link to add one), or nothing when no one is signed in. It needs the stylesheet
// of [Components.Stylesheets]. Its menu opens without JavaScript; a small
// script module it includes from Config.Path + "/static/" (allowed by a
// CSP's script-src 'self') makes it close on Escape or a click elsewhere.
func (c Components) UserButton() template.HTML { return c.a.s.UserButton(c.r) }

// OrganizationSwitcher is the signed-in user's active organization with a
// menu to switch to another one (or to their personal account), the
// organizations their verified email domain lets them join, and links to
// create and manage organizations. It renders nothing when no one is
// signed in. It needs the stylesheets of [Components.Stylesheets] and no
// JavaScript: a switch is a form POST that comes back to the current page.
func (c Components) OrganizationSwitcher() template.HTML { return c.a.s.OrganizationSwitcher(c.r) }

// Stylesheets returns the <link> tag for the components' styles, for the
// app's <head>. The stylesheet styles only the components: its rules are
// scoped under their root classes and leave the app's own elements alone.
func (c Components) Stylesheets() template.HTML { return c.a.s.Components(c.r).Stylesheets() }
