package auth

import (
	"errors"
	"net/http"

	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/ui"
)

// socialRoutes adds the social sign-in pages: a form POST starts an
// authorization request, the provider sends the browser back to the GET
// callback (the redirect URI registered at the provider).
func (a *Auth) socialRoutes(h func(string, httpx.HandlerFunc)) {
	p := a.s.Path
	h("POST "+p+"/oauth/{provider}/start", a.socialStartForm)
	h("GET "+p+"/oauth/{provider}/callback", a.socialCallbackPage)
	h("POST "+p+"/profile/connections/disconnect", a.socialDisconnectForm)
}

func (a *Auth) socialStartForm(w http.ResponseWriter, r *http.Request) error {
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

func (a *Auth) socialCallbackPage(w http.ResponseWriter, r *http.Request) error {
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

func (a *Auth) socialDisconnectForm(w http.ResponseWriter, r *http.Request) error {
	return a.profileAction(w, r, func(st *authState) (string, error) {
		err := a.disconnectSocial(r, st, r.PostFormValue("account_id"), r.PostFormValue("password"))
		return "The account was disconnected. You can no longer sign in with it.", err
	})
}
