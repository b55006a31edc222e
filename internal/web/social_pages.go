package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/ui"
)

func (a *Server) socialStartForm(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.ParseForm(w, r, maxBody); err != nil {
		return err
	}
	target, err := a.socialStart(r, r.PathValue("provider"), r.PostFormValue("intent"), formRedirect(r))
	if err != nil {
		return err
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

// socialFormPostCallback receives a provider's answer sent as a
// cross-site form POST (response_mode=form_post). Such a request carries
// no SameSite=Lax cookie, so it changes nothing: it redirects the browser
// to the GET callback with the same fields, a top-level navigation that
// does carry the session cookie and meets the usual checks there. It is
// exempt from the cross-origin check for that reason.
func (a *Server) socialFormPostCallback(w http.ResponseWriter, r *http.Request) error {
	if a.social.byID[r.PathValue("provider")] == nil {
		return errProviderUnknown
	}
	if err := httpx.ParseForm(w, r, 8*maxOAuthParam); err != nil {
		return errSocialBadRequest
	}
	q := url.Values{}
	for _, k := range []string{"code", "state", "error", "error_description", "iss", "user"} {
		switch vs := r.PostForm[k]; {
		case len(vs) > 1 || (len(vs) == 1 && len(vs[0]) > maxOAuthParam):
			return errSocialBadRequest
		case len(vs) == 1:
			q.Set(k, vs[0])
		}
	}
	http.Redirect(w, r, a.s.Path+"/oauth/"+url.PathEscape(r.PathValue("provider"))+"/callback?"+q.Encode(), http.StatusSeeOther)
	return nil
}

func (a *Server) socialCallbackPage(w http.ResponseWriter, r *http.Request) error {
	target, err := a.socialCallback(r, r.PathValue("provider"))
	var exists errAccountExists
	if errors.As(err, &exists) {
		p := a.titled(r, "message", "You already have an account")
		return a.render(w, http.StatusConflict, "message", ui.Message{Page: p,
			Body: "An account with the email address that " + exists.provider + " gave us already exists. Sign in to it the way you usually do " +
				"in the next 10 minutes, and " + exists.provider + " will be connected to it, so you can use it next time.",
			LinkURL: a.s.Path + "/sign-in?redirect_url=" + queryEscape(a.s.Path+"/profile#connections"), LinkText: "Sign in"})
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

func (a *Server) socialDisconnectForm(w http.ResponseWriter, r *http.Request) error {
	return a.profileAction(w, r, func(st *authState) (string, error) {
		err := a.disconnectSocial(r, st, r.PostFormValue("account_id"), r.PostFormValue("password"))
		return "The account was disconnected. You can no longer sign in with it.", err
	})
}
