package web

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/mail"
	"github.com/embedauth/auth/social"
	"github.com/embedauth/auth/store"
	"github.com/embedauth/auth/ui"
)

// keySocialFlow holds the browser's one authorization request in
// progress (a socialFlow in JSON) until the provider sends it back.
const keySocialFlow = "social_flow"

// keySocialPending holds, as JSON, a provider identity whose verified
// email belongs to an existing account (default linking): once this
// browser signs in to that account, the identity is connected to it.
const keySocialPending = "social_pending"

// socialPending is a provider identity waiting for its account's owner to
// sign in in the same browser.
type socialPending struct {
	UserID  string                `json:"user_id"`
	Name    string                `json:"name"`
	Profile store.ExternalProfile `json:"profile"`
	Expires int64                 `json:"expires"`
}

// socialFlowTTL bounds how long a provider may take to send the browser
// back.
const socialFlowTTL = 10 * time.Minute

// maxOAuthParam caps each callback parameter; real codes and states are
// well under it.
const maxOAuthParam = 2048

// Intents of an authorization request.
const (
	intentSignIn = "sign-in"
	intentLink   = "link"
	// intentReverify proves a connected provider identity again: the
	// first factor of a reverification (reverify.go).
	intentReverify = "reverify"
)

// socialState is the social sign-in part of an Auth.
type socialState struct {
	byID    map[string]*socialProvider
	list    []*socialProvider
	buttons []ui.SocialButton
	origins []string // authorization page origins, for CSP form-action
	// refresh serialises token refreshes, so a rotating refresh token is
	// not spent twice by concurrent calls.
	refresh sync.Mutex
}

type socialProvider struct {
	cfg SocialProvider
	p   *social.Provider
}

// socialFlow is one authorization request of one browser.
type socialFlow struct {
	Provider    string `json:"provider"`
	State       string `json:"state"`
	Nonce       string `json:"nonce"`
	Verifier    string `json:"verifier"`
	Intent      string `json:"intent"`
	UserID      string `json:"user_id,omitempty"`
	SessionID   string `json:"session_id,omitempty"`
	RedirectURL string `json:"redirect_url,omitempty"`
	Expires     int64  `json:"expires"`
}

func (a *Server) initSocial() error {
	a.social = &socialState{byID: map[string]*socialProvider{}}
	var errs []error
	for _, c := range a.s.Social {
		p, err := social.New(social.Config{ID: c.ID, Kind: c.Kind, ClientID: c.ClientID, ClientSecret: c.ClientSecret,
			Scopes: c.Scopes, IssuerURL: c.IssuerURL, Tenant: c.Tenant, AuthURL: c.AuthURL, TokenURL: c.TokenURL, APIURL: c.APIURL,
			RedirectURL: a.s.origin + a.s.Path + "/oauth/" + c.ID + "/callback", Now: a.s.Now, FormPost: c.FormPost})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		sp := &socialProvider{cfg: c, p: p}
		a.social.byID[c.ID] = sp
		a.social.list = append(a.social.list, sp)
		a.social.buttons = append(a.social.buttons, ui.SocialButton{ID: c.ID, Name: c.Name})
		for _, o := range p.Origins() {
			if o != a.s.origin && !a.s.redirects[o] && !containsString(a.social.origins, o) {
				a.social.origins = append(a.social.origins, o)
			}
		}
	}
	return errors.Join(errs...)
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// socialButtons lists the providers for the sign-in and sign-up pages
// (shared: pages only read it).
func (a *Server) socialButtons() []ui.SocialButton {
	if a.social == nil {
		return nil
	}
	return a.social.buttons
}

// Public errors of social sign-in. None of them follows a change to the
// database.
var (
	errProviderUnknown = httpx.Errorf(http.StatusNotFound, "provider_not_found", "This sign-in provider is not available.")
	errSocialFlowGone  = httpx.Errorf(http.StatusBadRequest, "oauth_flow_expired",
		"This sign-in expired, was already completed, or was started in another browser. Start again.")
	errSocialBadRequest = httpx.Errorf(http.StatusBadRequest, "oauth_bad_request",
		"The provider sent back a request we could not read. Start again.")
	errSocialMissingCode = httpx.Errorf(http.StatusBadRequest, "oauth_missing_code",
		"The provider did not complete the sign-in. Start again.")
	errSocialUnverified = httpx.Errorf(http.StatusBadGateway, "oauth_failed",
		"We could not confirm your sign-in with the provider. Start again.")
	errSocialUnavailable = httpx.Errorf(http.StatusBadGateway, "provider_unavailable",
		"The sign-in provider can't be reached right now. Try again in a moment, or use another way to sign in.")
	errSocialTaken = httpx.Errorf(http.StatusConflict, "external_account_taken",
		"That account is already connected to another user here. Sign in with it, or connect a different one.")
	errSocialNotFound   = httpx.Errorf(http.StatusNotFound, "connection_not_found", "That connected account does not exist.")
	errSocialLastSignIn = httpx.Errorf(http.StatusConflict, "last_sign_in_method",
		"This connected account is your only way to sign in. Set a password, add a passkey or connect another account first.")
)

// providerError is the page for a provider's error= answer. Only the
// standard error code is shown, never the provider's free text.
func providerError(sp *socialProvider, code string) error {
	if code == "access_denied" {
		return formatted(&core.Error{Kind: core.ErrForbidden, Code: "oauth_access_denied"},
			"Signing in with %v was cancelled, so nothing changed. Try again, or use another way to sign in.", sp.cfg.Name)
	}
	clean := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r == '_' {
			return r
		}
		return -1
	}, code)
	if len(clean) > 40 {
		clean = clean[:40]
	}
	return formatted(&core.Error{Kind: core.ErrUnavailable, Code: "oauth_provider_error"},
		"%v could not sign you in (%v). Nothing changed. Try again, or use another way to sign in.", sp.cfg.Name, clean)
}

// formatted gives e a message made of format and args, which a
// translation fills into the reader's language.
func formatted(e *core.Error, format string, args ...any) *core.Error {
	e.Format, e.Args, e.Message = format, args, fmt.Sprintf(format, args...)
	return e
}

// socialStart starts an authorization request for this browser and
// returns the provider URL to send it to. intent is sign-in (also
// sign-up) or link (connect to the signed-in user, who must have proved
// their factors recently).
func (a *Server) socialStart(r *http.Request, id, intent, redirect string) (string, error) {
	sp := a.social.byID[id]
	if sp == nil {
		return "", errProviderUnknown
	}
	if err := rateLimited(a.limits.signIn, a.s.ClientIP(r)); err != nil {
		return "", err
	}
	ctx := r.Context()
	flow := socialFlow{Provider: id, Intent: intentSignIn, RedirectURL: a.safeRedirect(redirect), Expires: a.s.Now().Add(socialFlowTTL).UnixMilli()}
	switch intent {
	case "", intentSignIn:
	case intentLink:
		st, err := a.lookup(r)
		if err != nil {
			return "", err
		}
		if st == nil {
			return "", httpx.Errorf(http.StatusUnauthorized, "unauthenticated", "Sign in to connect an account.")
		}
		// Connecting a provider is a sensitive change (reverify.go).
		if err := a.stepUp(r, st, "", "", ""); errors.Is(err, errReverificationRequired) {
			return a.reverifyTarget(a.profileURL("connections")), nil
		} else if err != nil {
			return "", err
		}
		flow.Intent, flow.UserID, flow.SessionID = intentLink, st.user.ID, st.session.ID
	case intentReverify:
		st, err := a.lookup(r)
		if err != nil {
			return "", err
		}
		if st == nil {
			return "", httpx.Errorf(http.StatusUnauthorized, "unauthenticated", "Sign in to continue.")
		}
		flow.Intent, flow.UserID, flow.SessionID = intentReverify, st.user.ID, st.session.ID
	default:
		return "", httpx.Errorf(http.StatusBadRequest, "invalid_intent", "This request is not valid. Go back and try again.")
	}
	start, err := sp.p.Begin(ctx)
	if err != nil { // a 5xx: the adapter logs err
		return "", errSocialUnavailable.With(err)
	}
	flow.State, flow.Nonce, flow.Verifier = start.State, start.Nonce, start.Verifier
	b, err := json.Marshal(flow)
	if err != nil {
		return "", err
	}
	a.sm.Put(ctx, keySocialFlow, string(b)) // replaces any earlier request of this browser
	return start.URL, nil
}

// socialCallback completes the browser's authorization request and
// returns where to send the browser. The request is removed from the
// session first, so it is used once whatever happens; nothing changes in
// the database unless every check passes.
func (a *Server) socialCallback(r *http.Request, id string) (string, error) {
	ctx := r.Context()
	raw := a.sm.PopString(ctx, keySocialFlow)
	sp := a.social.byID[id]
	if sp == nil {
		return "", errProviderUnknown
	}
	if len(r.URL.RawQuery) > 4*maxOAuthParam {
		return "", errSocialBadRequest
	}
	q := r.URL.Query()
	for _, k := range []string{"code", "state", "error", "error_description", "iss"} {
		if vs := q[k]; len(vs) > 1 || (len(vs) == 1 && len(vs[0]) > maxOAuthParam) {
			return "", errSocialBadRequest
		}
	}
	var flow socialFlow
	if raw == "" || json.Unmarshal([]byte(raw), &flow) != nil || flow.Provider != id || a.s.Now().UnixMilli() >= flow.Expires {
		return "", errSocialFlowGone
	}
	if e := q.Get("error"); e != "" {
		return "", providerError(sp, e)
	}
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(flow.State)) != 1 || !sp.p.CallbackIssuerOK(q.Get("iss")) {
		return "", errSocialFlowGone
	}
	code := q.Get("code")
	if code == "" {
		return "", errSocialMissingCode
	}
	prof, err := sp.p.Exchange(ctx, social.Start{State: flow.State, Nonce: flow.Nonce, Verifier: flow.Verifier}, code)
	if err != nil { // a 5xx: the adapter logs why
		if errors.Is(err, social.ErrDiscovery) {
			return "", errSocialUnavailable.With(err)
		}
		return "", errSocialUnverified.With(err)
	}
	if prof.Name == "" {
		prof.Name = formPostName(q.Get("user"))
	}
	ext, err := a.externalProfile(prof)
	if err != nil {
		return "", err
	}
	switch flow.Intent {
	case intentLink:
		return a.socialLink(r, sp, flow, ext)
	case intentReverify:
		return a.socialReverify(r, flow, ext)
	}
	return a.socialSignIn(r, sp, flow, ext)
}

// formPostName reads the name a form POST answer carries in its "user"
// field (Apple sends {"name":{"firstName":"…","lastName":"…"}} at the
// first sign-in only). It names the account and nothing else: the email
// comes from the signed ID token.
func formPostName(raw string) string {
	var u struct {
		Name struct {
			First string `json:"firstName"`
			Last  string `json:"lastName"`
		} `json:"name"`
	}
	if raw == "" || json.Unmarshal([]byte(raw), &u) != nil {
		return ""
	}
	return strings.TrimSpace(u.Name.First + " " + u.Name.Last)
}

// externalProfile is what the store keeps of a profile: tokens sealed,
// and only when the app asked for them.
func (a *Server) externalProfile(p social.Profile) (store.ExternalProfile, error) {
	name := p.Name
	if len([]rune(name)) > 100 {
		name = string([]rune(name)[:100])
	}
	avatar := p.AvatarURL
	if len(avatar) > 2048 || !(strings.HasPrefix(avatar, "https://") || strings.HasPrefix(avatar, "http://")) {
		avatar = ""
	}
	email := p.Email
	if len(email) > 320 {
		email = ""
	}
	if len(p.Subject) > 255 {
		return store.ExternalProfile{}, errSocialUnverified
	}
	out := store.ExternalProfile{Provider: p.Provider, Subject: p.Subject, Email: email, EmailVerified: p.EmailVerified && email != "",
		Name: name, AvatarURL: avatar}
	if out.EmailVerified {
		if _, err := core.CleanEmail(email); err != nil { // not an address we could ever mail
			out.EmailVerified = false
		}
	}
	if a.s.StoreProviderTokens && p.Token.AccessToken != "" {
		out.Tokens = a.sealTokens(p.Token)
	}
	return out, nil
}

func (a *Server) sealTokens(t social.Token) *store.ExternalTokens {
	b, _ := json.Marshal(sealedToken{AccessToken: t.AccessToken, TokenType: t.TokenType})
	out := &store.ExternalTokens{Access: a.box.Seal(b), Expiry: t.Expiry}
	if t.RefreshToken != "" {
		out.Refresh = a.box.Seal([]byte(t.RefreshToken))
	}
	return out
}

// sealedToken is the sealed access-token column.
type sealedToken struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type,omitempty"`
}

// socialSignIn signs the browser in (signing up or linking as the
// store's rules allow) and returns where to go next.
func (a *Server) socialSignIn(r *http.Request, sp *socialProvider, flow socialFlow, ext store.ExternalProfile) (string, error) {
	ctx := r.Context()
	in := store.ExternalSignIn{Profile: ext, AutoLink: a.s.SocialLinking == SocialLinkVerifiedEmail}
	if in.AutoLink && ext.EmailVerified {
		// Queued only if the identity joins the account of that address.
		m, err := a.socialMail(r, mail.MsgAccountConnected, ext.Email, "", sp.cfg.Name, ext.Email)
		if err != nil {
			return "", err
		}
		in.LinkMail = m
	}
	out, err := a.db.SignInExternal(ctx, in)
	if errors.Is(err, core.ErrNotFound) {
		// A new identity: it creates its user only as the sign-up rule
		// allows (a refused one changed nothing above).
		gated := ""
		if ext.EmailVerified {
			gated = ext.Email
		}
		if err = a.signUpAllowed(r, gated); err != nil {
			return "", err
		}
		in.AllowSignUp = true
		out, err = a.db.SignInExternal(ctx, in)
	}
	switch {
	case errors.Is(err, store.ErrAccountExists):
		a.parkSocial(r, sp, ext)
		return "", errAccountExists{provider: sp.cfg.Name}
	case errors.Is(err, core.ErrBanned):
		return "", core.ErrUserBanned.With(err)
	case err != nil:
		return "", err
	}
	if out.Claimed {
		a.cache.forgetUser(out.User.ID)
	}
	if out.Linked {
		a.dispatcher.Wake()
	}
	method := "oauth_" + sp.cfg.ID
	if err := a.requireSecondFactor(r, out.User, method); errors.Is(err, errFactorTwoRequired) {
		return a.factorTwoTarget(flow.RedirectURL), nil
	} else if err != nil {
		return "", err
	}
	sess, err := a.deviceSession(r, out.User, method, nil, out.SignedUp, false) // device.go
	if errors.Is(err, errDeviceVerificationRequired) {
		return a.deviceTarget(flow.RedirectURL), nil
	} else if err != nil {
		return "", err
	}
	st, err := a.attachSession(r, out.User, sess)
	if err != nil {
		return "", err
	}
	return a.passkeyNudge(r, st, a.afterSignIn(flow.RedirectURL)), nil
}

// parkSocial keeps an identity whose verified email belongs to an existing
// account, so that it is connected once the account's owner signs in in
// this browser (linkPendingSocial). Proving the account first is what
// keeps a provider that vouches for someone else's address from taking
// it over.
func (a *Server) parkSocial(r *http.Request, sp *socialProvider, ext store.ExternalProfile) {
	ctx := r.Context()
	owner, err := a.db.UserByEmail(ctx, ext.Email)
	if err != nil {
		return
	}
	b, err := json.Marshal(socialPending{UserID: owner.ID, Name: sp.cfg.Name, Profile: ext,
		Expires: a.s.Now().Add(socialFlowTTL).UnixMilli()})
	if err == nil {
		a.sm.Put(ctx, keySocialPending, string(b))
	}
}

// linkPendingSocial connects the identity parkSocial kept to user, who
// has just signed in to the account it belongs to. Another user's sign-in,
// or a late one, drops it. A failure is logged: the sign-in stands.
func (a *Server) linkPendingSocial(r *http.Request, user core.User) {
	ctx := r.Context()
	raw := a.sm.PopString(ctx, keySocialPending)
	if raw == "" {
		return
	}
	var p socialPending
	if json.Unmarshal([]byte(raw), &p) != nil || p.UserID != user.ID || a.s.Now().UnixMilli() >= p.Expires {
		return
	}
	m, err := a.socialMail(r, mail.MsgAccountConnected, user.Email, user.Name, p.Name, p.Profile.Email)
	if err == nil {
		_, err = a.db.LinkExternal(ctx, user.ID, p.Profile, m)
	}
	if err != nil {
		a.s.Logger.Warn("embedauth: connect the provider after sign-in", "provider", p.Profile.Provider, "err", err)
		return
	}
	a.dispatcher.Wake()
	a.notice(r, "Your "+p.Name+" account is connected. You can sign in with it from now on.")
}

// errAccountExists answers a provider identity whose verified email
// belongs to an account it may not join by itself.
type errAccountExists struct{ provider string }

func (e errAccountExists) Error() string { return "auth: an account with this email exists" }

// socialLink connects the identity to the user who started the request,
// still signed in with the same session.
func (a *Server) socialLink(r *http.Request, sp *socialProvider, flow socialFlow, ext store.ExternalProfile) (string, error) {
	ctx := r.Context()
	st, err := a.lookup(r)
	if err != nil {
		return "", err
	}
	if st == nil || st.user.ID != flow.UserID || st.session.ID != flow.SessionID {
		return "", errSocialFlowGone
	}
	m, err := a.socialMail(r, mail.MsgAccountConnected, st.user.Email, st.user.Name, sp.cfg.Name, ext.Email)
	if err != nil {
		return "", err
	}
	if _, err := a.db.LinkExternal(ctx, st.user.ID, ext, m); errors.Is(err, core.ErrConflict) {
		return "", errSocialTaken
	} else if err != nil {
		return "", err
	}
	a.dispatcher.Wake()
	a.notice(r, "Your "+sp.cfg.Name+" account is connected. You can sign in with it from now on.")
	if t := a.safeRedirect(flow.RedirectURL); t != "" {
		return t, nil
	}
	return a.profileURL("connections"), nil
}

var errSocialNotYours = httpx.Errorf(http.StatusForbidden, "connection_not_yours",
	"That is not an account connected to you here. Use one of your connected accounts.")

// socialReverify finishes a reverification through a connected provider:
// the identity the provider proved must be one of the signed-in user's.
// It is the first factor; a user with two-step verification then gives
// the second at the reverification page.
func (a *Server) socialReverify(r *http.Request, flow socialFlow, ext store.ExternalProfile) (string, error) {
	ctx := r.Context()
	st, err := a.lookup(r)
	if err != nil {
		return "", err
	}
	if st == nil || st.user.ID != flow.UserID || st.session.ID != flow.SessionID {
		return "", errSocialFlowGone
	}
	list, err := a.db.ExternalAccounts(ctx, st.user.ID)
	if err != nil {
		return "", err
	}
	mine := false
	for _, x := range list {
		mine = mine || (x.Provider == ext.Provider && x.Subject == ext.Subject)
	}
	if !mine {
		return "", errSocialNotYours
	}
	return a.firstFactorReverified(r, st, flow.RedirectURL)
}

// disconnectSocial removes one of the user's provider identities after
// the user proves it is them (stepUp: a recent sign-in or reverification,
// or the password).
func (a *Server) disconnectSocial(r *http.Request, st *authState, id, pw string) error {
	ctx := r.Context()
	user := st.user
	if err := a.stepUp(r, st, pw, "password", "Enter your password to disconnect an account."); err != nil {
		return err
	}
	list, err := a.db.ExternalAccounts(ctx, user.ID)
	if err != nil {
		return err
	}
	var m *store.OutMail
	for _, x := range list {
		if x.ID == id {
			name := x.Provider
			if sp := a.social.byID[x.Provider]; sp != nil {
				name = sp.cfg.Name
			}
			if m, err = a.socialMail(r, mail.MsgAccountDisconnected, user.Email, user.Name, name, x.Email); err != nil {
				return err
			}
		}
	}
	// A verified address that codes or links can be mailed to is a way in.
	keepOne := !user.EmailVerified || !(a.enabled(MethodEmailCode) || a.enabled(MethodMagicLink))
	switch _, err := a.db.UnlinkExternal(ctx, user.ID, id, keepOne, m); {
	case errors.Is(err, core.ErrNotFound):
		return errSocialNotFound
	case errors.Is(err, core.ErrLastSignInMethod):
		return errSocialLastSignIn
	case err != nil:
		return err
	}
	a.dispatcher.Wake()
	return nil
}

// socialMail renders a notice about a connected account for the user's
// address to, or nil when the user has no address.
func (a *Server) socialMail(r *http.Request, template, to, name, provider, address string) (*store.OutMail, error) {
	if to == "" {
		return nil, nil
	}
	lang := a.mailLang(r.Context(), nil)
	if owner, _, err := a.db.UserByIdentifier(r.Context(), core.IdentifierEmail, to); err == nil {
		lang = a.mailLang(r.Context(), &owner)
	}
	return a.newMail(template, to, mail.Data{Name: name, Device: provider, Address: address, IP: a.s.ClientIP(r),
		Link: a.s.origin + a.profileURL("connections"), Lang: lang})
}

// connectionsView is the profile's connected-accounts section, nil when
// no provider is configured.
func (a *Server) connectionsView(r *http.Request, st *authState) (*ui.Connections, error) {
	if len(a.social.list) == 0 {
		return nil, nil
	}
	list, err := a.db.ExternalAccounts(r.Context(), st.user.ID)
	if err != nil {
		return nil, err
	}
	v := &ui.Connections{HasPassword: st.user.HasPassword, Available: a.socialButtons()}
	for _, x := range list {
		name := x.Provider
		if sp := a.social.byID[x.Provider]; sp != nil {
			name = sp.cfg.Name
		}
		v.List = append(v.List, ui.Connection{ID: x.ID, ProviderID: x.Provider, ProviderName: name, Email: x.Email, Name: x.Name, CreatedAt: x.CreatedAt})
	}
	return v, nil
}

// ProviderToken returns a valid access token of the user at provider (a
// SocialProvider's ID), refreshing it first when it has expired and the
// provider gave a refresh token, so the app can call the provider's API
// for the user:
//
//	tok, err := a.ProviderToken(ctx, user.ID, "github")
//	client := oauth2.NewClient(ctx, oauth2.StaticTokenSource(tok))
//
// It needs Config.StoreProviderTokens. A user who never signed in with
// provider since tokens were kept, or an unknown provider, is an error
// wrapping [core.ErrNotFound]. The refresh token itself is never
// returned.
func (a *Server) ProviderToken(ctx context.Context, userID, provider string) (*oauth2.Token, error) {
	sp := a.social.byID[provider]
	if sp == nil {
		return nil, fmt.Errorf("auth: provider token: unknown provider %q: %w", provider, core.ErrNotFound)
	}
	if !a.s.StoreProviderTokens {
		return nil, fmt.Errorf("auth: provider token: Config.StoreProviderTokens is off: %w", core.ErrNotFound)
	}
	a.social.refresh.Lock()
	defer a.social.refresh.Unlock()
	x, sealed, err := a.db.ExternalTokensFor(ctx, userID, provider)
	if err != nil {
		return nil, fmt.Errorf("auth: provider token: %w", err)
	}
	if sealed.Access == nil {
		return nil, fmt.Errorf("auth: provider token: none kept for this user: %w", core.ErrNotFound)
	}
	b, err := a.box.Open(sealed.Access)
	if err != nil {
		return nil, fmt.Errorf("auth: provider token: %w", err)
	}
	var at sealedToken
	if err := json.Unmarshal(b, &at); err != nil {
		return nil, fmt.Errorf("auth: provider token: %w", err)
	}
	tok := social.Token{AccessToken: at.AccessToken, TokenType: at.TokenType, Expiry: sealed.Expiry}
	if sealed.Refresh != nil {
		rt, err := a.box.Open(sealed.Refresh)
		if err != nil {
			return nil, fmt.Errorf("auth: provider token: %w", err)
		}
		tok.RefreshToken = string(rt)
	}
	nt, err := sp.p.Refresh(ctx, tok)
	if err != nil {
		return nil, fmt.Errorf("auth: provider token: %w", err)
	}
	if nt.AccessToken != tok.AccessToken {
		if nt.RefreshToken == tok.RefreshToken {
			nt.RefreshToken = "" // unchanged: keep the stored one
		}
		if err := a.db.SetExternalTokens(ctx, x.ID, *a.sealTokens(nt)); err != nil {
			return nil, fmt.Errorf("auth: provider token: %w", err)
		}
	}
	return &oauth2.Token{AccessToken: nt.AccessToken, TokenType: nt.TokenType, Expiry: nt.Expiry}, nil
}

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
			LinkURL: a.s.Path + "/sign-in?redirect_url=" + queryEscape(a.profileURL("connections")), LinkText: "Sign in"})
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

// apiConnections lists the signed-in user's connected provider accounts.
func (a *Server) apiConnections(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	list, err := a.db.ExternalAccounts(r.Context(), st.user.ID)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, struct {
		Connections []core.ExternalAccount `json:"connections"`
	}{list})
}

// apiDisconnect removes one of them, with the same proof as the profile
// form (disconnectSocial).
func (a *Server) apiDisconnect(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	var in struct {
		Password string `json:"password"`
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	if err := a.disconnectSocial(r, st, r.PathValue("id"), in.Password); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, statusBody{Status: "deleted"})
}

// socialMethod is one provider in GET /api/methods: a custom page posts a
// form (with redirect_url) to StartURL to begin.
type socialMethod struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	StartURL string `json:"start_url"`
}

func (a *Server) socialMethods() []socialMethod {
	out := make([]socialMethod, 0, len(a.social.list))
	for _, sp := range a.social.list {
		out = append(out, socialMethod{ID: sp.cfg.ID, Name: sp.cfg.Name, StartURL: a.s.Path + "/oauth/" + sp.cfg.ID + "/start"})
	}
	return out
}
