package web

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/mail"
	"github.com/embedauth/auth/passwordless"
	"github.com/embedauth/auth/store"
	"github.com/embedauth/auth/ui"
)

// reauth asks a signed-in user to prove it is still them before changing
// their addresses (see stepUp).
func (a *Server) reauth(r *http.Request, st *authState, pw, field string) error {
	return a.stepUp(r, st, pw, field, "Enter your password to change your email addresses and phone numbers.")
}

// identifierViews lists the user's addresses for the profile.
func (a *Server) identifierViews(r *http.Request, st *authState) (ui.Identifiers, error) {
	list, err := a.db.Identifiers(r.Context(), st.user.ID)
	if err != nil {
		return ui.Identifiers{}, err
	}
	out := ui.Identifiers{CanAddPhone: a.enabled(MethodSMSCode), NeedsPassword: st.user.HasPassword}
	for _, id := range list {
		v := ui.IdentifierView{ID: id.ID, Kind: id.Kind, Value: id.Value, Verified: id.Verified, Primary: id.Primary,
			Base: a.s.Path, NeedsPassword: st.user.HasPassword}
		if id.Kind == core.IdentifierPhone {
			out.Phones = append(out.Phones, v)
		} else {
			out.Emails = append(out.Emails, v)
		}
	}
	if c, ok := a.flowOf(r, keyIdentFlow); ok && c.UserID == st.user.ID {
		out.Pending = c.Address
	}
	return out, nil
}

// addressChangeMail notices the user's primary email of a change.
func (a *Server) addressChangeMail(r *http.Request, user core.User, template, address string) (*store.OutMail, error) {
	if user.Email == "" {
		return nil, nil
	}
	lang := a.mailLang(r.Context(), &user)
	return a.newMail(template, user.Email, mail.Data{Name: user.Name, Address: address, Device: describeDevice(a.msgs.Lookup(lang), r.UserAgent()),
		IP: a.s.ClientIP(r), Link: a.s.origin + a.s.Path + "/profile", Lang: lang})
}

// addIdentifier sends a code to an address the user wants to add. The
// address is added only once the code comes back; whether another account
// has it is not said before then.
func (a *Server) addIdentifier(r *http.Request, st *authState, kind, value, pw, pwField string) (sentBody, error) {
	var address, channel, masked string
	var err error
	switch kind {
	case core.IdentifierEmail:
		if address, err = core.CleanEmail(value); err != nil {
			return sentBody{}, err
		}
		channel, masked = core.IdentifierEmail, maskEmail(address)
	case core.IdentifierPhone:
		if !a.enabled(MethodSMSCode) {
			return sentBody{}, errMethodDisabled
		}
		if address, err = cleanPhone(value); err != nil {
			return sentBody{}, err
		}
		channel, masked = core.IdentifierPhone, passwordless.MaskPhone(address)
	default:
		return sentBody{}, httpx.FieldError("type", "invalid_type", `The type must be "email" or "phone".`)
	}
	if err := a.reauth(r, st, pw, pwField); err != nil {
		return sentBody{}, err
	}
	if err := rateLimited(a.limits.codes, a.s.ClientIP(r)); err != nil {
		return sentBody{}, err
	}
	ctx := r.Context()
	key := store.IdentifierKey(channel, address)
	if owner, id, err := a.db.UserByIdentifier(ctx, channel, address); err == nil && owner.ID == st.user.ID && id.Verified {
		return sentBody{}, httpx.Errorf(http.StatusConflict, "identifier_exists", "This address is already on your account.")
	}
	lang := a.mailLang(ctx, &st.user)
	render := a.renderEmail(lang, mail.MsgVerifyIdentifier, address, st.user.Name)
	kindOf := core.ChallengeEmailCode
	if channel == core.IdentifierPhone {
		render, kindOf = a.renderSMS(lang, "sms_verify", address), core.ChallengeSMSCode
	}
	c, err := a.pwl.svc.Start(ctx, passwordless.Request{Kind: kindOf, Purpose: core.PurposeVerify, Address: address, AddressKey: key,
		UserID: st.user.ID, Limits: a.sendLimits(r, channel, key)}, render)
	if err != nil {
		return sentBody{}, err
	}
	a.wake()
	a.sm.Put(ctx, keyIdentFlow, c.ID)
	return sentBody{Status: "sent", Channel: channel, To: masked, ExpiresIn: int(a.s.Passwordless.CodeTTL / time.Second)}, nil
}

// verifyIdentifier checks the code of the address being added and adds
// it, noticing the primary email.
func (a *Server) verifyIdentifier(r *http.Request, st *authState, code string) (core.Identifier, error) {
	ctx := r.Context()
	c, ok := a.flowOf(r, keyIdentFlow)
	if !ok || c.UserID != st.user.ID {
		a.sm.Remove(ctx, keyIdentFlow)
		return core.Identifier{}, errFlowGone
	}
	if err := rateLimited(a.limits.codes, a.s.ClientIP(r)); err != nil {
		return core.Identifier{}, err
	}
	m, err := a.addressChangeMail(r, st.user, mail.MsgIdentifierAdded, c.Address)
	if err != nil {
		return core.Identifier{}, err
	}
	var notice *core.Outgoing
	if m != nil {
		notice = &core.Outgoing{Channel: core.IdentifierEmail, To: m.To, Template: m.Template, Body: m.Body}
	}
	done, err := a.pwl.svc.VerifyCodeNotify(ctx, c.ID, code, nil, notice)
	if err != nil {
		e := err
		if errors.Is(e, errFlowGone) || errors.Is(err, core.ErrConflict) {
			a.sm.Remove(ctx, keyIdentFlow)
		}
		return core.Identifier{}, e
	}
	a.sm.Remove(ctx, keyIdentFlow)
	a.cache.forgetUser(st.user.ID)
	a.wake()
	return done.Identifier, nil
}

// findIdentifier returns one of the user's identifiers.
func (a *Server) findIdentifier(r *http.Request, st *authState, id string) (core.Identifier, error) {
	return a.account.Identifier(r.Context(), st.user.ID, id)
}

// setPrimary makes one of the user's verified addresses primary; the
// previous primary email is told.
func (a *Server) setPrimary(r *http.Request, st *authState, id, pw, pwField string) (core.User, error) {
	return a.changeIdentifier(r, st, id, pw, pwField, mail.MsgPrimaryChanged, a.account.SetPrimary)
}

// removeIdentifier removes one of the user's addresses; the primary email
// is told. The last way to sign in by address cannot be removed.
func (a *Server) removeIdentifier(r *http.Request, st *authState, id, pw, pwField string) (core.User, error) {
	return a.changeIdentifier(r, st, id, pw, pwField, mail.MsgIdentifierRemoved, a.account.RemoveIdentifier)
}

// changeIdentifier makes a change to one of the user's addresses after
// checking their password (or a recent reverification), with the notice
// of template about it queued in the change's transaction.
func (a *Server) changeIdentifier(r *http.Request, st *authState, id, pw, pwField, template string,
	change func(ctx context.Context, userID, id string, notice *store.OutMail) (core.User, error)) (core.User, error) {
	idn, err := a.findIdentifier(r, st, id)
	if err != nil {
		return core.User{}, err
	}
	if err := a.reauth(r, st, pw, pwField); err != nil {
		return core.User{}, err
	}
	m, err := a.addressChangeMail(r, st.user, template, idn.Value)
	if err != nil {
		return core.User{}, err
	}
	u, err := change(r.Context(), st.user.ID, id, m)
	if err != nil {
		return core.User{}, err
	}
	a.cache.forgetUser(st.user.ID)
	a.wake()
	return u, nil
}

// Profile pages.

func (a *Server) identifierAddForm(w http.ResponseWriter, r *http.Request) error {
	st, ok, err := a.signedIn(w, r)
	if !ok {
		return err
	}
	if err := httpx.ParseForm(w, r, maxBody); err != nil {
		return err
	}
	kind := r.PostFormValue("type")
	value := r.PostFormValue("email")
	if kind == core.IdentifierPhone {
		value = r.PostFormValue("phone")
	}
	if _, err := a.addIdentifier(r, st, kind, value, r.PostFormValue("identifier_password"), "identifier_password"); err != nil {
		return a.profileFail(w, r, st, err)
	}
	http.Redirect(w, r, a.s.Path+"/profile/identifiers/verify", http.StatusSeeOther)
	return nil
}

// profileFail re-renders the profile with err.
func (a *Server) profileFail(w http.ResponseWriter, r *http.Request, st *authState, err error) error {
	if httpx.Status(httpx.Public(err)) >= 500 {
		return err
	}
	data, derr := a.profileData(r, st, a.page(r, "profile"))
	if derr != nil {
		return derr
	}
	return a.formFail(w, r, err, "profile", func(p ui.Page) any { data.Page = p; return data })
}

func (a *Server) identifierVerifyPage(w http.ResponseWriter, r *http.Request) error {
	st, ok, err := a.signedIn(w, r)
	if !ok {
		return err
	}
	c, found := a.flowOf(r, keyIdentFlow)
	if !found || c.UserID != st.user.ID {
		http.Redirect(w, r, a.s.Path+"/profile", http.StatusSeeOther)
		return nil
	}
	return a.render(w, http.StatusOK, "code", a.codeData(r, a.titled(r, "code", "Verify your new address"), c))
}

func (a *Server) identifierVerifyForm(w http.ResponseWriter, r *http.Request) error {
	st, ok, err := a.signedIn(w, r)
	if !ok {
		return err
	}
	if err := httpx.ParseForm(w, r, maxBody); err != nil {
		return err
	}
	idn, err := a.verifyIdentifier(r, st, r.PostFormValue("code"))
	if err != nil {
		if errors.Is(err, errFlowGone) || httpx.Public(err).Code == "identifier_taken" {
			a.notice(r, httpx.Public(err).Message)
			http.Redirect(w, r, a.s.Path+"/profile", http.StatusSeeOther)
			return nil
		}
		return a.flowFail(w, r, err, keyIdentFlow, a.s.Path+"/profile")
	}
	a.notice(r, idn.Value+" was added to your account.")
	http.Redirect(w, r, a.profileURL(""), http.StatusSeeOther)
	return nil
}

func (a *Server) identifierResendForm(w http.ResponseWriter, r *http.Request) error {
	st, ok, err := a.signedIn(w, r)
	if !ok {
		return err
	}
	if err := httpx.ParseForm(w, r, maxBody); err != nil {
		return err
	}
	if c, found := a.flowOf(r, keyIdentFlow); !found || c.UserID != st.user.ID {
		http.Redirect(w, r, a.s.Path+"/profile", http.StatusSeeOther)
		return nil
	}
	if _, err := a.resendFlow(r, keyIdentFlow); err != nil {
		return a.flowFail(w, r, err, keyIdentFlow, a.s.Path+"/profile")
	}
	a.notice(r, "We sent a new code. Codes sent before it no longer work.")
	http.Redirect(w, r, a.s.Path+"/profile/identifiers/verify", http.StatusSeeOther)
	return nil
}

func (a *Server) identifierPrimaryForm(w http.ResponseWriter, r *http.Request) error {
	return a.profileAction(w, r, func(st *authState) (string, error) {
		_, err := a.setPrimary(r, st, r.PostFormValue("identifier_id"), r.PostFormValue("identifier_password"), "identifier_password")
		return "Your primary address was changed.", err
	})
}

func (a *Server) identifierRemoveForm(w http.ResponseWriter, r *http.Request) error {
	return a.profileAction(w, r, func(st *authState) (string, error) {
		_, err := a.removeIdentifier(r, st, r.PostFormValue("identifier_id"), r.PostFormValue("identifier_password"), "identifier_password")
		return "The address was removed.", err
	})
}

func (a *Server) writeIdentifiers(w http.ResponseWriter, r *http.Request, userID string) error {
	list, err := a.db.Identifiers(r.Context(), userID)
	if err != nil {
		return err
	}
	if list == nil {
		list = []core.Identifier{}
	}
	return httpx.WriteJSON(w, http.StatusOK, identifiersBody{list})
}

func (a *Server) apiIdentifiers(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	return a.writeIdentifiers(w, r, st.user.ID)
}

func (a *Server) apiAddIdentifier(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	var in struct {
		Type     string `json:"type"`
		Value    string `json:"value"`
		Password string `json:"password"`
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	sent, err := a.addIdentifier(r, st, in.Type, in.Value, in.Password, "password")
	if err != nil {
		if e := httpx.Public(err); e.Field == "email" || e.Field == "phone" {
			e2 := *e
			e2.Field = "value"
			return &e2
		}
		return err
	}
	return httpx.WriteJSON(w, http.StatusAccepted, sent)
}

func (a *Server) apiVerifyIdentifier(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	var in codeInput
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	if _, err := a.verifyIdentifier(r, st, in.Code); err != nil {
		return err
	}
	return a.writeIdentifiers(w, r, st.user.ID)
}

func (a *Server) apiPrimaryIdentifier(w http.ResponseWriter, r *http.Request) error {
	return a.apiChangeIdentifier(w, r, a.setPrimary)
}

func (a *Server) apiRemoveIdentifier(w http.ResponseWriter, r *http.Request) error {
	return a.apiChangeIdentifier(w, r, a.removeIdentifier)
}

// apiChangeIdentifier runs change on the address in the path, with the
// password in the body, and answers the user's addresses.
func (a *Server) apiChangeIdentifier(w http.ResponseWriter, r *http.Request,
	change func(r *http.Request, st *authState, id, pw, pwField string) (core.User, error)) error {
	var in identifierChange
	st, err := a.apiSignedInJSON(w, r, &in)
	if err != nil {
		return err
	}
	if _, err := change(r, st, r.PathValue("id"), in.Password, "password"); err != nil {
		return err
	}
	return a.writeIdentifiers(w, r, st.user.ID)
}
