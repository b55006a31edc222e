package web

import (
	"errors"
	"net/http"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/ui"
)

var passkeySignUpTitles = map[string]string{
	ui.PasskeyStepEmail:  "Create your account",
	ui.PasskeyStepCode:   "Check your email",
	ui.PasskeyStepCreate: "Create your passkey",
}

// passkeySignUpData is the passkey sign-up page at the browser's step.
func (a *Server) passkeySignUpData(r *http.Request, p ui.Page, redirect string, fresh bool) ui.PasskeySignUp {
	d := ui.PasskeySignUp{Page: p, Step: ui.PasskeyStepEmail, RedirectURL: redirect, Next: a.afterSignIn(redirect),
		TTL: humanDuration(a.s.VerificationCodeTTL)}
	if !fresh {
		if ps, err := a.pendingPasskeySignup(r.Context()); err == nil {
			d.MaskedEmail = maskEmail(ps.Email)
			d.Step = ui.PasskeyStepCode
			if ps.VerifiedAt != nil {
				d.Step = ui.PasskeyStepCreate
			}
		}
	}
	d.Title = passkeySignUpTitles[d.Step]
	return d
}

func (a *Server) passkeySignUpTarget(redirect string) string {
	target := a.s.Path + "/sign-up/passkey"
	if redirect != "" {
		target += "?redirect_url=" + queryEscape(redirect)
	}
	return target
}

// passkeySetupPage asks a signed-in user without a passkey to add one
// (after sign-in, in PasskeysRequired mode) and then goes on.
func (a *Server) passkeySetupPage(w http.ResponseWriter, r *http.Request) error {
	st, ok, err := a.signedIn(w, r)
	if !ok {
		return err
	}
	next := a.afterSignIn(r.URL.Query().Get("redirect_url"))
	if a.pk == nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	p := a.page(r, "passkey-setup")
	p.Title = "Add a passkey"
	list, err := a.db.UserPasskeys(r.Context(), st.user.ID)
	if err != nil {
		return err
	}
	if len(list) > 0 {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	return a.render(w, http.StatusOK, "passkey-setup", ui.PasskeySetup{Page: p, Next: next, Required: a.pk.mode == PasskeysRequired})
}

// wholeForm shows an error above the form rather than under a field: the
// passkey forms of the profile repeat their field names on every row.
func wholeForm(err error) error {
	var e *core.Error
	if errors.As(err, &e) && e.Field != "" {
		c := *e
		c.Field = ""
		return &c
	}
	return err
}

func (a *Server) passkeyRenameForm(w http.ResponseWriter, r *http.Request) error {
	return a.profileAction(w, r, func(st *authState) (string, error) {
		if a.pk == nil {
			return "", errPasskeysOff
		}
		_, err := a.renamePasskey(r, st, r.PostFormValue("passkey_id"), r.PostFormValue("name"))
		return "Your passkey was renamed.", wholeForm(err)
	})
}

func (a *Server) passkeyDeleteForm(w http.ResponseWriter, r *http.Request) error {
	return a.profileAction(w, r, func(st *authState) (string, error) {
		if a.pk == nil {
			return "", errPasskeysOff
		}
		err := a.deletePasskey(r, st, r.PostFormValue("passkey_id"), r.PostFormValue("password"), "password")
		return "Your passkey was removed. You can also delete it from your device or password manager.", wholeForm(err)
	})
}
