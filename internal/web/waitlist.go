package web

// The waitlist (Path+"/waitlist"), the sign-up page's word on who may
// sign up, and the administrators' sign-up page (Path+"/admin/sign-up").

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/ui"
)

var errWaitlistClosed = core.Refuse(core.ErrNotFound, "waitlist_closed", "There is no waitlist: sign-up is not in waitlist mode.")

// signUpMode is the sign-up mode in force, for the sign-up page; a fault
// reading it is logged and the page says nothing.
func (a *Server) signUpMode(ctx context.Context) string {
	s, err := a.gate.rule.Settings(ctx)
	if err != nil {
		a.s.Logger.Error("embedauth: sign-up settings", "err", err)
		return ""
	}
	return string(s.Mode)
}

// joinWaitlist adds an address to the waitlist. It answers the same
// whether or not the address has an account or is on the list already.
func (a *Server) joinWaitlist(r *http.Request, rawEmail, rawName string) error {
	if err := rateLimited(a.limits.signUp, a.s.ClientIP(r)); err != nil {
		return err
	}
	ctx := r.Context()
	s, err := a.gate.rule.Settings(ctx)
	if err != nil {
		return err
	}
	if s.Mode != core.SignUpWaitlist {
		return errWaitlistClosed
	}
	if err := a.checkCaptcha(r); err != nil {
		return err
	}
	email, err := core.CleanEmail(rawEmail)
	if err != nil {
		return err
	}
	name, err := core.CleanName(rawName)
	if err != nil {
		return err
	}
	// Blocked and disposable addresses are told so; whether one has an
	// account or an invitation is not.
	if err := a.gate.rule.Check(ctx, email); err != nil {
		var refusal *core.Error
		if !errors.As(err, &refusal) {
			return err
		}
		if refusal.Field == "email" {
			return err
		}
	}
	return a.db.JoinWaitlist(ctx, email, name)
}

func (a *Server) waitlistPage(w http.ResponseWriter, r *http.Request) error {
	if a.signUpMode(r.Context()) != string(core.SignUpWaitlist) {
		return errWaitlistClosed
	}
	return a.render(w, http.StatusOK, "waitlist", ui.Waitlist{Page: a.page(r, "waitlist"), Email: r.URL.Query().Get("email")})
}

func (a *Server) waitlistForm(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.ParseForm(w, r, maxBody); err != nil {
		return err
	}
	email, name := r.PostFormValue("email"), r.PostFormValue("name")
	if err := a.joinWaitlist(r, email, name); err != nil {
		return a.formFail(w, r, err, "waitlist", func(p ui.Page) any { return ui.Waitlist{Page: p, Email: email, Name: name} })
	}
	return a.render(w, http.StatusOK, "waitlist", ui.Waitlist{Page: a.page(r, "waitlist"), Joined: true})
}

func (a *Server) apiWaitlist(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Email        string `json:"email"`
		Name         string `json:"name"`
		CaptchaToken string `json:"captcha_token"`
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	if err := a.joinWaitlist(withCaptchaToken(r, in.CaptchaToken), in.Email, in.Name); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusAccepted, statusBody{Status: "waitlisted"})
}

// The administrators' sign-up page.

func (a *Server) adminSignUpData(r *http.Request, p ui.Page) (ui.AdminSignUp, error) {
	ctx := r.Context()
	p.Title = "Sign-up"
	s, saved, err := a.db.SignUpSettings(ctx)
	if err != nil {
		return ui.AdminSignUp{}, err
	}
	if !saved {
		s = core.SignUpSettings{Mode: a.s.SignUp.Mode, Allowlist: a.s.SignUp.Allowlist, Blocklist: a.s.SignUp.Blocklist}
	}
	d := ui.AdminSignUp{Page: p, Mode: string(s.Mode), Allowlist: strings.Join(s.Allowlist, "\n"), Blocklist: strings.Join(s.Blocklist, "\n"), Saved: saved}
	list, err := a.db.Waitlist(ctx, "", 1000)
	if err != nil {
		return d, err
	}
	for _, e := range list {
		d.Waitlist = append(d.Waitlist, ui.WaitlistView{ID: e.ID, Email: e.Email, Name: e.Name, Status: e.Status, CreatedAt: e.CreatedAt})
	}
	return d, nil
}

func (a *Server) adminSignUpPage(w http.ResponseWriter, r *http.Request) error {
	if _, ok, err := a.adminPage(w, r); !ok {
		return err
	}
	d, err := a.adminSignUpData(r, a.page(r, "admin-sign-up"))
	if err != nil {
		return err
	}
	return a.render(w, http.StatusOK, "admin-sign-up", d)
}

// adminSignUpFail shows the admin page again with err, keeping what was
// typed in the settings form.
func (a *Server) adminSignUpFail(w http.ResponseWriter, r *http.Request, err error, keep func(*ui.AdminSignUp)) error {
	var loadErr error
	out := a.formFail(w, r, err, "admin-sign-up", func(p ui.Page) any {
		d, e := a.adminSignUpData(r, p)
		loadErr = e
		if keep != nil {
			keep(&d)
		}
		return d
	})
	if loadErr != nil {
		return loadErr
	}
	return out
}

func (a *Server) adminSignUpForm(w http.ResponseWriter, r *http.Request) error {
	if _, ok, err := a.adminPage(w, r); !ok {
		return err
	}
	if err := httpx.ParseForm(w, r, maxBody*16); err != nil {
		return err
	}
	mode, allow, block := r.PostFormValue("mode"), r.PostFormValue("allowlist"), r.PostFormValue("blocklist")
	_, err := a.UpdateSignUpSettings(r.Context(), core.SignUpSettings{Mode: core.SignUpMode(mode),
		Allowlist: strings.Split(allow, "\n"), Blocklist: strings.Split(block, "\n")})
	if err != nil {
		return a.adminSignUpFail(w, r, err, func(d *ui.AdminSignUp) { d.Mode, d.Allowlist, d.Blocklist = mode, allow, block })
	}
	a.notice(r, "Sign-up settings saved.")
	http.Redirect(w, r, a.s.Path+"/admin/sign-up", http.StatusSeeOther)
	return nil
}

func (a *Server) adminSignUpInviteForm(w http.ResponseWriter, r *http.Request) error {
	if _, ok, err := a.adminPage(w, r); !ok {
		return err
	}
	if err := httpx.ParseForm(w, r, maxBody); err != nil {
		return err
	}
	email := r.PostFormValue("email")
	if err := a.InviteToSignUp(r.Context(), email); err != nil {
		return a.adminSignUpFail(w, r, err, func(d *ui.AdminSignUp) { d.Invite = email })
	}
	a.notice(r, "Invitation sent to "+strings.TrimSpace(email)+".")
	http.Redirect(w, r, a.s.Path+"/admin/sign-up", http.StatusSeeOther)
	return nil
}

func (a *Server) adminWaitlistDecideForm(approve bool) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if _, ok, err := a.adminPage(w, r); !ok {
			return err
		}
		if err := httpx.ParseForm(w, r, maxBody); err != nil {
			return err
		}
		e, err := a.decideWaitlist(r.Context(), r.PathValue("id"), approve)
		if err != nil {
			return a.adminSignUpFail(w, r, err, nil)
		}
		if approve {
			a.notice(r, "Approved: "+e.Email+" was mailed an invitation.")
		} else {
			a.notice(r, "Rejected: "+e.Email+".")
		}
		http.Redirect(w, r, a.s.Path+"/admin/sign-up", http.StatusSeeOther)
		return nil
	}
}
