package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/internal/onetime"
	"github.com/embedauth/auth/internal/ratelimit"
	"github.com/embedauth/auth/mail"
	"github.com/embedauth/auth/passkey"
	"github.com/embedauth/auth/store"
	"github.com/embedauth/auth/ui"
)

var _ passkey.Store = (*store.DB)(nil)

// Keys of the browser-session data of the passkey flows.
const (
	keyPasskeyBinding = "pkb"      // a random value that binds ceremonies to this browser
	keyPasskeySignup  = "pksignup" // the pending passkey sign-up
)

// passkeys is the running passkey feature; nil when it is off.
type passkeys struct {
	svc  *passkey.Service
	mode PasskeyMode
	// begin caps ceremony starts per client IP: each stores a challenge.
	begin *ratelimit.Limiter
}

func (a *Server) initPasskeys() error {
	s := a.s
	if s.Passkeys.Mode == PasskeysDisabled || !a.enabled(MethodPasskey) {
		return nil
	}
	if !s.pk.on {
		s.Logger.Warn("embedauth: passkeys are off: WebAuthn needs a domain name, and BaseURL is an IP address; use localhost or set Config.Passkeys.RPID",
			"base_url", s.BaseURL)
		return nil
	}
	cfg := s.pk.service
	cfg.DecoyKey = hmacKey(a.codeKey, "embedauth passkey decoy v1")
	cfg.Now = s.Now
	svc, err := passkey.New(a.db, cfg)
	if err != nil {
		return err
	}
	limit := s.RateLimits.SignIn
	if limit > 0 {
		limit *= 4 // a sign-in page starts one ceremony for autofill, a click another
	}
	a.pk = &passkeys{svc: svc, mode: s.Passkeys.Mode, begin: a.limiter("passkey_begin", limit, time.Minute)}
	return nil
}

// passkeysOn reports whether passkeys are enabled.
func (a *Server) passkeysOn() bool { return a.pk != nil }

var errPasskeysOff = httpx.Errorf(http.StatusNotFound, "passkeys_disabled", "Passkeys are not enabled here.")

// passkeyBinding returns this browser's ceremony binding, creating it.
func (a *Server) passkeyBinding(ctx context.Context) string {
	b := a.sm.GetString(ctx, keyPasskeyBinding)
	if b == "" {
		b = onetime.NewToken()
		a.sm.Put(ctx, keyPasskeyBinding, b)
	}
	return b
}

// existingBinding returns this browser's binding without creating one:
// a ceremony finished by a browser that began none is refused.
func (a *Server) existingBinding(ctx context.Context) string {
	return a.sm.GetString(ctx, keyPasskeyBinding)
}

var (
	errPasskeyNotFound = httpx.Errorf(http.StatusNotFound, "passkey_not_found", "That passkey does not exist.")
	errLastSignIn      = httpx.Errorf(http.StatusConflict, "last_sign_in_method",
		"This passkey is your only way to sign in. Add another passkey or set a password first.")
)

// limitBegin caps ceremony starts per client IP.
func (a *Server) limitBegin(r *http.Request) error {
	return rateLimited(a.pk.begin, a.s.ClientIP(r))
}

// finishAssertion verifies an assertion for c. A passkey whose counter
// went backwards is reported to its owner (event and mail) before the
// refusal.
func (a *Server) finishAssertion(r *http.Request, c passkey.Ceremony, body []byte) (passkey.Assertion, error) {
	as, err := a.pk.svc.FinishLogin(r.Context(), c, body)
	var sce *passkey.SignCountError
	if errors.As(err, &sce) {
		if rerr := a.reportPasskeyClone(r, sce); rerr != nil {
			a.s.Logger.ErrorContext(r.Context(), "embedauth: report passkey clone", "err", rerr)
		}
	}
	if err != nil {
		return as, err
	}
	return as, nil
}

func (a *Server) reportPasskeyClone(r *http.Request, sce *passkey.SignCountError) error {
	ctx := r.Context()
	user, err := a.db.User(ctx, sce.Passkey.UserID)
	if err != nil {
		return err
	}
	m, err := a.newMail(mail.MsgPasskeyCloneSuspected, user.Email, a.passkeyMailData(r, user, sce.Passkey))
	if err != nil {
		return err
	}
	if err := a.db.PasskeyCloneSuspected(ctx, sce.Passkey, sce.Observed, m); err != nil {
		return err
	}
	a.dispatcher.Wake()
	return nil
}

func (a *Server) passkeyMailData(r *http.Request, user core.User, p core.Passkey) mail.Data {
	return mail.Data{Name: user.Name, Device: p.Name, IP: a.s.ClientIP(r), Link: a.s.origin + a.profileURL("security"),
		Lang: a.mailLang(r.Context(), &user)}
}

// passkeySignInBegin starts a sign-in: username-less when email is empty,
// else for that account's passkeys. An address without an account or
// without passkeys gets an answer of the same shape that can never finish.
func (a *Server) passkeySignInBegin(r *http.Request, rawEmail string) (json.RawMessage, error) {
	if err := a.limitBegin(r); err != nil {
		return nil, err
	}
	ctx := r.Context()
	c := passkey.Ceremony{Flow: passkey.FlowSignIn, Binding: a.passkeyBinding(ctx)}
	if strings.TrimSpace(rawEmail) == "" {
		return a.pk.svc.BeginLogin(ctx, c)
	}
	email, err := core.CleanEmail(rawEmail)
	if err != nil {
		return nil, err
	}
	user, err := a.db.UserByEmail(ctx, email)
	switch {
	case err == nil:
		list, err := a.db.UserPasskeys(ctx, user.ID)
		if err != nil {
			return nil, err
		}
		if len(list) > 0 {
			c.Subject = user.ID
			return a.pk.svc.BeginLogin(ctx, c)
		}
	case !errors.Is(err, core.ErrNotFound):
		return nil, err
	}
	return a.pk.svc.BeginDecoyLogin(ctx, c, store.EmailKey(email))
}

// passkeySignIn finishes a passkey sign-in and signs the browser in.
// Passkeys work while password sign-in is locked: the lockout counts
// guesses, and a passkey cannot be guessed.
func (a *Server) passkeySignIn(r *http.Request, body []byte) (*authState, error) {
	if err := rateLimited(a.limits.signIn, a.s.ClientIP(r)); err != nil {
		return nil, err
	}
	ctx := r.Context()
	as, err := a.finishAssertion(r, passkey.Ceremony{Flow: passkey.FlowSignIn, Binding: a.existingBinding(ctx)}, body)
	if err != nil {
		return nil, err
	}
	user, err := a.db.User(ctx, as.UserID)
	if err != nil {
		return nil, err
	}
	if user.Banned {
		return nil, core.ErrUserBanned
	}
	sess, err := a.deviceSession(r, user, "passkey", nil, false, false) // errDeviceVerificationRequired for a new device (device.go)
	if err != nil {
		return nil, err
	}
	return a.attachSession(r, user, sess)
}

// passkeyRegisterBegin starts adding a passkey to the signed-in user.
func (a *Server) passkeyRegisterBegin(r *http.Request, st *authState) (json.RawMessage, error) {
	if err := a.limitBegin(r); err != nil {
		return nil, err
	}
	if err := a.stepUp(r, st, "", "", ""); err != nil {
		return nil, err
	}
	ctx := r.Context()
	c := passkey.Ceremony{Flow: passkey.FlowRegister, Subject: st.user.ID, Binding: a.passkeyBinding(ctx)}
	return a.pk.svc.BeginRegistration(ctx, c, passkey.Account{Name: st.user.Email, DisplayName: st.user.DisplayName()})
}

// passkeyRegisterFinish verifies and stores the new passkey, and mails the
// user about it in the same transaction.
func (a *Server) passkeyRegisterFinish(r *http.Request, st *authState, body []byte) (core.Passkey, error) {
	ctx := r.Context()
	c := passkey.Ceremony{Flow: passkey.FlowRegister, Subject: st.user.ID, Binding: a.existingBinding(ctx)}
	reg, err := a.pk.svc.FinishRegistration(ctx, c, body)
	if err != nil {
		return core.Passkey{}, err
	}
	p := reg.Passkey
	if p.Name == "" {
		p.Name = describeDevice(a.locale(r), r.UserAgent())
	}
	m, err := a.newMail(mail.MsgPasskeyAdded, st.user.Email, a.passkeyMailData(r, st.user, p))
	if err != nil {
		return core.Passkey{}, err
	}
	p, err = a.db.AddPasskey(ctx, p, m)
	if errors.Is(err, core.ErrConflict) {
		return core.Passkey{}, passkey.Refuse(passkey.ErrCredentialExists, false)
	}
	if err != nil {
		return core.Passkey{}, err
	}
	a.dispatcher.Wake()
	return p, nil
}

// passkeyReauthBegin starts proving, again, a passkey of the signed-in
// user before a sensitive change.
func (a *Server) passkeyReauthBegin(r *http.Request, st *authState) (json.RawMessage, error) {
	if err := a.limitBegin(r); err != nil {
		return nil, err
	}
	ctx := r.Context()
	opts, err := a.pk.svc.BeginLogin(ctx, passkey.Ceremony{Flow: passkey.FlowReauth, Subject: st.user.ID, Binding: a.passkeyBinding(ctx)})
	if err != nil {
		return nil, err
	}
	return opts, nil
}

// passkeyReauthFinish verifies the re-authentication. It renews the cookie
// token and counts as a reverification of the session (see stepUp).
func (a *Server) passkeyReauthFinish(r *http.Request, st *authState, body []byte) error {
	ctx := r.Context()
	if _, err := a.finishAssertion(r, passkey.Ceremony{Flow: passkey.FlowReauth, Subject: st.user.ID, Binding: a.existingBinding(ctx)}, body); err != nil {
		return err
	}
	if err := a.db.SetReverified(ctx, st.session.ID); err != nil {
		return err
	}
	return a.sm.RenewToken(ctx)
}

// passkeySecondFactorBegin starts proving a passkey of userID, who has
// given a first factor (a password): the second step of MFA. It needs no
// signed-in session; the ceremony is bound to this browser and userID.
func (a *Server) passkeySecondFactorBegin(r *http.Request, userID string) (json.RawMessage, error) {
	if a.pk == nil {
		return nil, errPasskeysOff
	}
	if err := a.limitBegin(r); err != nil {
		return nil, err
	}
	ctx := r.Context()
	opts, err := a.pk.svc.BeginLogin(ctx, passkey.Ceremony{Flow: passkey.FlowSecondFactor, Subject: userID, Binding: a.passkeyBinding(ctx)})
	if err != nil {
		return nil, err
	}
	return opts, nil
}

// passkeySecondFactorFinish verifies the second factor of userID and
// returns the passkey used. It creates no session: the MFA step does.
func (a *Server) passkeySecondFactorFinish(r *http.Request, userID string, body []byte) (core.Passkey, error) {
	if a.pk == nil {
		return core.Passkey{}, errPasskeysOff
	}
	if err := rateLimited(a.limits.signIn, a.s.ClientIP(r)); err != nil {
		return core.Passkey{}, err
	}
	ctx := r.Context()
	as, err := a.finishAssertion(r, passkey.Ceremony{Flow: passkey.FlowSecondFactor, Subject: userID, Binding: a.existingBinding(ctx)}, body)
	if err != nil {
		return core.Passkey{}, err
	}
	return as.Passkey, nil
}

// cleanPasskeyName checks a passkey's new name.
func cleanPasskeyName(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	bad := httpx.FieldError("name", "invalid_passkey_name", "Give the passkey a name of 1 to 64 characters.")
	if s == "" || !utf8.ValidString(s) || utf8.RuneCountInString(s) > 64 {
		return "", bad
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return "", bad
		}
	}
	return s, nil
}

// renamePasskey renames one of the signed-in user's passkeys.
func (a *Server) renamePasskey(r *http.Request, st *authState, id, rawName string) (core.Passkey, error) {
	name, err := cleanPasskeyName(rawName)
	if err != nil {
		return core.Passkey{}, err
	}
	p, err := a.db.RenamePasskey(r.Context(), st.user.ID, id, name)
	if errors.Is(err, core.ErrNotFound) {
		return p, errPasskeyNotFound
	}
	return p, err
}

// deletePasskey removes one of the signed-in user's passkeys after
// re-authentication (see stepUp): a passkey re-authentication, or
// the password. The last way to sign in cannot be removed: the only
// passkey of a user without a password, unless a code or link can be
// mailed to their verified address.
func (a *Server) deletePasskey(r *http.Request, st *authState, id, pw, pwField string) error {
	ctx := r.Context()
	user := st.user
	p, err := a.db.Passkey(ctx, user.ID, id)
	if errors.Is(err, core.ErrNotFound) {
		return errPasskeyNotFound
	}
	if err != nil {
		return err
	}
	if err := a.stepUp(r, st, pw, pwField, "Enter your password to remove a passkey."); err != nil {
		return err
	}
	m, err := a.newMail(mail.MsgPasskeyRemoved, user.Email, a.passkeyMailData(r, user, p))
	if err != nil {
		return err
	}
	// A verified address that codes or links can be mailed to is a way in.
	keepOne := !user.EmailVerified || !(a.enabled(MethodEmailCode) || a.enabled(MethodMagicLink))
	switch _, err := a.db.DeletePasskey(ctx, user.ID, id, keepOne, m); {
	case errors.Is(err, core.ErrNotFound):
		return errPasskeyNotFound
	case errors.Is(err, core.ErrLastSignInMethod):
		return errLastSignIn
	case err != nil:
		return err
	}
	a.dispatcher.Wake()
	return nil
}

// passkeyNudge is where a browser goes once signed in, on the way to
// target: the two-step verification setup page for a user who must set it
// up (MFARequired), the page that asks to add a passkey for a user who has
// none in PasskeysRequired mode, else target.
func (a *Server) passkeyNudge(r *http.Request, st *authState, target string) string {
	if st != nil && a.mustEnrol(st) { // MFARequired comes first
		return a.s.Path + "/profile/mfa?redirect_url=" + queryEscape(target)
	}
	if a.pk == nil || a.pk.mode != PasskeysRequired || st == nil {
		return target
	}
	list, err := a.db.UserPasskeys(r.Context(), st.user.ID)
	if err != nil || len(list) > 0 {
		return target
	}
	return a.s.Path + "/passkeys/setup?redirect_url=" + queryEscape(target)
}

// passkeyList is the profile's passkey section, nil when passkeys are off.
func (a *Server) passkeyList(r *http.Request, st *authState) (*ui.PasskeyList, error) {
	if a.pk == nil {
		return nil, nil
	}
	list, err := a.db.UserPasskeys(r.Context(), st.user.ID)
	if err != nil {
		return nil, err
	}
	out := &ui.PasskeyList{Required: a.pk.mode == PasskeysRequired, HasPassword: st.user.HasPassword}
	for _, p := range list {
		out.List = append(out.List, ui.PasskeyView{ID: p.ID, Name: p.Name, CreatedAt: p.CreatedAt, LastUsedAt: p.LastUsedAt, Synced: p.BackupState})
	}
	return out, nil
}

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

// The passkey JSON API. Begin answers {"publicKey": options} in the
// standard JSON shape (PublicKeyCredentialCreationOptionsJSON or
// PublicKeyCredentialRequestOptionsJSON) for
// PublicKeyCredential.parseCreationOptionsFromJSON or
// parseRequestOptionsFromJSON; finish takes what
// PublicKeyCredential.toJSON() gives.

// credentialJSON is a RegistrationResponseJSON or
// AuthenticationResponseJSON. Its members are checked strictly, like every
// API body; the response object inside is the WebAuthn library's to read.
type credentialJSON struct {
	ID                      string          `json:"id"`
	RawID                   string          `json:"rawId"`
	Type                    string          `json:"type"`
	Response                json.RawMessage `json:"response"`
	AuthenticatorAttachment *string         `json:"authenticatorAttachment,omitempty"`
	ClientExtensionResults  json.RawMessage `json:"clientExtensionResults,omitempty"`
}

// readCredential decodes a finish request's body and returns it for the
// ceremony.
func readCredential(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	var c credentialJSON
	if err := httpx.DecodeJSON(w, r, maxBody, &c); err != nil {
		return nil, err
	}
	return json.Marshal(c)
}

// passkeyUser is apiUser behind the passkey guard.
func (a *Server) passkeyUser(r *http.Request) (*authState, error) {
	if a.pk == nil {
		return nil, errPasskeysOff
	}
	return a.apiUser(r)
}

func writeOptions(w http.ResponseWriter, opts json.RawMessage) error {
	return httpx.WriteJSON(w, http.StatusOK, opts)
}

func (a *Server) apiPasskeySignInBegin(w http.ResponseWriter, r *http.Request) error {
	if a.pk == nil {
		return errPasskeysOff
	}
	var in struct {
		Email string `json:"email"`
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	opts, err := a.passkeySignInBegin(r, in.Email)
	if err != nil {
		return err
	}
	return writeOptions(w, opts)
}

func (a *Server) apiPasskeySignInFinish(w http.ResponseWriter, r *http.Request) error {
	if a.pk == nil {
		return errPasskeysOff
	}
	body, err := readCredential(w, r)
	if err != nil {
		return err
	}
	st, err := a.passkeySignIn(r, body)
	if err != nil {
		return a.apiDeviceStepOr(w, r, err)
	}
	return a.writeMe(w, st)
}

func (a *Server) apiPasskeyRegisterBegin(w http.ResponseWriter, r *http.Request) error {
	st, err := a.passkeyUser(r)
	if err != nil {
		return err
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &struct{}{}); err != nil {
		return err
	}
	opts, err := a.passkeyRegisterBegin(r, st)
	if err != nil {
		return err
	}
	return writeOptions(w, opts)
}

type passkeyBody struct {
	Passkey core.Passkey `json:"passkey"`
}

func (a *Server) apiPasskeyRegisterFinish(w http.ResponseWriter, r *http.Request) error {
	st, err := a.passkeyUser(r)
	if err != nil {
		return err
	}
	body, err := readCredential(w, r)
	if err != nil {
		return err
	}
	p, err := a.passkeyRegisterFinish(r, st, body)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusCreated, passkeyBody{p})
}

func (a *Server) apiPasskeys(w http.ResponseWriter, r *http.Request) error {
	st, err := a.passkeyUser(r)
	if err != nil {
		return err
	}
	list, err := a.db.UserPasskeys(r.Context(), st.user.ID)
	if err != nil {
		return err
	}
	if list == nil {
		list = []core.Passkey{}
	}
	return httpx.WriteJSON(w, http.StatusOK, struct {
		Passkeys []core.Passkey `json:"passkeys"`
	}{list})
}

func (a *Server) apiRenamePasskey(w http.ResponseWriter, r *http.Request) error {
	st, err := a.passkeyUser(r)
	if err != nil {
		return err
	}
	var in struct {
		Name string `json:"name"`
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	p, err := a.renamePasskey(r, st, r.PathValue("id"), in.Name)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, passkeyBody{p})
}

func (a *Server) apiDeletePasskey(w http.ResponseWriter, r *http.Request) error {
	st, err := a.passkeyUser(r)
	if err != nil {
		return err
	}
	var in struct {
		Password string `json:"password"`
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	if err := a.deletePasskey(r, st, r.PathValue("id"), in.Password, "password"); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, statusBody{Status: "deleted"})
}

func (a *Server) apiPasskeyReauthBegin(w http.ResponseWriter, r *http.Request) error {
	st, err := a.passkeyUser(r)
	if err != nil {
		return err
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &struct{}{}); err != nil {
		return err
	}
	opts, err := a.passkeyReauthBegin(r, st)
	if err != nil {
		return err
	}
	return writeOptions(w, opts)
}

func (a *Server) apiPasskeyReauthFinish(w http.ResponseWriter, r *http.Request) error {
	st, err := a.passkeyUser(r)
	if err != nil {
		return err
	}
	body, err := readCredential(w, r)
	if err != nil {
		return err
	}
	if err := a.passkeyReauthFinish(r, st, body); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, statusBody{Status: "reauthenticated"})
}
