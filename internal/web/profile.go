package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/mail"
	"github.com/embedauth/auth/store"
	"github.com/embedauth/auth/ui"
)

func (a *Server) userView(u core.User) ui.UserView {
	return ui.UserView{ID: u.ID, Email: u.Email, Name: u.Name, Initials: u.Initials(), ImageURL: a.imageURL(u),
		EmailVerified: u.EmailVerified, HasPassword: u.HasPassword, CreatedAt: u.CreatedAt}
}

func (a *Server) sessionViews(r *http.Request, st *authState) ([]ui.SessionView, error) {
	list, err := a.db.ListSessions(r.Context(), st.user.ID)
	if err != nil {
		return nil, err
	}
	now := a.s.Now()
	out := make([]ui.SessionView, 0, len(list))
	for _, s := range list {
		if !s.Active(now, a.s.SessionIdleTimeout) {
			continue
		}
		out = append(out, ui.SessionView{ID: s.ID, Device: describeDevice(a.locale(r), s.UserAgent), IP: s.IP, Method: s.AuthMethod,
			CreatedAt: s.CreatedAt, LastActiveAt: s.LastActiveAt, Current: s.ID == st.session.ID})
	}
	return out, nil
}

// accounts lists the accounts signed in on this browser (multi-session).
func (a *Server) accounts(r *http.Request, st *authState) []ui.AccountView {
	if a.s.SessionMode != SessionMulti {
		return nil
	}
	ctx := r.Context()
	var out []ui.AccountView
	for _, id := range splitIDs(a.sm.GetString(ctx, keySessionIDs)) {
		if id == st.session.ID {
			out = append(out, ui.AccountView{SessionID: id, Email: st.user.Email, Name: st.user.Name, Initials: st.user.Initials(),
				ImageURL: a.imageURL(st.user), Active: true})
			continue
		}
		s, err := a.db.Session(ctx, id)
		if err != nil || !s.Active(a.s.Now(), a.s.SessionIdleTimeout) {
			continue
		}
		u, err := a.db.User(ctx, s.UserID)
		if err != nil || u.Banned {
			continue
		}
		out = append(out, ui.AccountView{SessionID: id, Email: u.Email, Name: u.Name, Initials: u.Initials(), ImageURL: a.imageURL(u)})
	}
	return out
}

// revokeSession ends one of the signed-in user's own sessions. An id that
// is not theirs is answered exactly like an unknown one.
func (a *Server) revokeSession(r *http.Request, st *authState, id string) error {
	ctx := r.Context()
	s, err := a.db.Session(ctx, id)
	if errors.Is(err, core.ErrNotFound) || (err == nil && (s.UserID != st.user.ID || s.EndedAt != nil)) {
		return httpx.Errorf(http.StatusNotFound, "session_not_found", "That session does not exist or has already ended.")
	}
	if err != nil {
		return err
	}
	if err := a.db.EndSession(ctx, id, "revoked"); err != nil {
		return err
	}
	a.cache.forgetSessions(id)
	return nil
}

// revokeOtherSessions signs the user out everywhere but here.
func (a *Server) revokeOtherSessions(r *http.Request, st *authState) (int, error) {
	ended, err := a.db.EndUserSessions(r.Context(), st.user.ID, st.session.ID, "revoked")
	if err != nil {
		return 0, err
	}
	a.cache.forgetSessions(ended...)
	return len(ended), nil
}

// updateName changes the signed-in user's display name.
func (a *Server) updateName(r *http.Request, st *authState, raw string) (core.User, error) {
	u, err := a.account.Rename(r.Context(), st.user.ID, raw)
	if err != nil {
		return u, err
	}
	a.cache.forgetUser(u.ID)
	return u, nil
}

// deletePasswordMissing asks for the password that deleting an account
// needs.
const deletePasswordMissing = "Enter your password to delete your account."

// deleteAccount deletes the signed-in user after checking their password
// (when they have one), and signs this browser out of them.
func (a *Server) deleteAccount(r *http.Request, st *authState, pw string) error {
	ctx := r.Context()
	user := st.user
	if err := a.stepUp(r, st, pw, "password", deletePasswordMissing); err != nil {
		return err
	}
	err := a.account.Delete(ctx, user, func() (*store.OutMail, error) {
		return a.newMail("account_deleted", user.Email, mail.Data{Name: user.Name, Lang: a.mailLang(ctx, &user)})
	})
	if err != nil {
		return err
	}
	a.cache.forgetUser(user.ID)
	a.dispatcher.Wake()
	// Sign this browser out as signing out does: in multi-session mode its
	// other accounts stay signed in.
	return a.signOut(r)
}

func (a *Server) apiMe(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	return a.writeMe(w, st)
}

func (a *Server) apiUpdateMe(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	var in struct {
		Name           *string         `json:"name"`
		UnsafeMetadata json.RawMessage `json:"unsafe_metadata"`
		Language       *string         `json:"language"`
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	up := store.UserUpdate{}
	var nameErr, metaErr, langErr error
	if in.Name != nil {
		var name string
		name, nameErr = core.CleanName(*in.Name)
		up.Name = &name
	}
	if in.UnsafeMetadata != nil {
		var obj map[string]any
		switch {
		case json.Unmarshal(in.UnsafeMetadata, &obj) != nil || obj == nil:
			metaErr = httpx.FieldError("unsafe_metadata", "invalid_metadata", "unsafe_metadata must be a JSON object.")
		case len(in.UnsafeMetadata) > 8<<10:
			metaErr = httpx.FieldError("unsafe_metadata", "metadata_too_large", "unsafe_metadata must be at most 8 KB.")
		}
		up.UnsafeMetadata = in.UnsafeMetadata
	}
	if in.Language != nil {
		lang := ""
		if *in.Language != "" {
			var ok bool
			if lang, ok = a.msgs.Known(*in.Language); !ok {
				langErr = errUnknownLanguage
			}
		}
		up.Language = &lang
	}
	if err := core.Combine(nameErr, metaErr, langErr); err != nil {
		return err
	}
	u, err := a.db.UpdateUser(r.Context(), st.user.ID, up)
	if err != nil {
		return err
	}
	a.cache.forgetUser(u.ID)
	return httpx.WriteJSON(w, http.StatusOK, struct {
		User userJSON `json:"user"`
	}{a.userJSON(u)})
}

func (a *Server) apiDeleteMe(w http.ResponseWriter, r *http.Request) error {
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
	if err := a.deleteAccount(r, st, in.Password); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, statusBody{Status: "deleted"})
}

func (a *Server) apiSessions(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	list, err := a.db.ListSessions(r.Context(), st.user.ID)
	if err != nil {
		return err
	}
	out := []sessionJSON{}
	now := a.s.Now()
	for _, s := range list {
		if s.Active(now, a.s.SessionIdleTimeout) {
			out = append(out, sessionJSON{Session: s, Device: describeDevice(a.locale(r), s.UserAgent), Current: s.ID == st.session.ID})
		}
	}
	return httpx.WriteJSON(w, http.StatusOK, struct {
		Sessions []sessionJSON `json:"sessions"`
	}{out})
}

func (a *Server) apiRevokeSession(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	if err := a.revokeSession(r, st, r.PathValue("id")); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, statusBody{Status: "revoked"})
}

func (a *Server) apiRevokeOthers(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	n, err := a.revokeOtherSessions(r, st)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, struct {
		Status string `json:"status"`
		Ended  int    `json:"ended"`
	}{"revoked", n})
}

func (a *Server) profilePage(w http.ResponseWriter, r *http.Request) error {
	st, ok, err := a.signedIn(w, r)
	if !ok {
		return err
	}
	if tab := r.URL.Query().Get("tab"); tab != "" && a.profileTab(r) != tab {
		http.Redirect(w, r, a.profileURL(""), http.StatusSeeOther) // not a section here
		return nil
	}
	data, err := a.profileData(r, st, a.page(r, "profile"))
	if err != nil {
		return err
	}
	return a.render(w, http.StatusOK, "profile", data)
}

// The profile page's sections, as Clerk's UserProfile has them, in the
// order of its navigation: "" is the profile itself (picture, name,
// addresses, the browser's other accounts).
var profileTabs = []ui.ProfileTab{{Key: "", Label: "Profile"}, {Key: "security", Label: "Security"},
	{Key: "devices", Label: "Devices"}, {Key: "connections", Label: "Connected accounts"}, {Key: "organizations", Label: "Organizations"}}

// hasProfileTab reports whether the profile page has the section: all do
// but connected accounts, which needs a social provider.
func (a *Server) hasProfileTab(key string) bool {
	return key != "connections" || len(a.social.list) > 0
}

// profileTab is the section of the profile page a request is about: the
// one a GET asks for (?tab=), or the one whose form was posted.
func (a *Server) profileTab(r *http.Request) string {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		tab := r.URL.Query().Get("tab")
		for _, t := range profileTabs {
			if t.Key == tab && a.hasProfileTab(tab) {
				return tab
			}
		}
		return ""
	}
	form, _ := strings.CutPrefix(r.URL.Path, a.s.Path+"/profile/")
	switch {
	case strings.HasPrefix(form, "password"), strings.HasPrefix(form, "delete"), strings.HasPrefix(form, "passkeys/"):
		return "security"
	case strings.HasPrefix(form, "sessions/"):
		return "devices"
	case strings.HasPrefix(form, "connections/"):
		return "connections"
	}
	return ""
}

// profileURL is the address of a section of the profile page.
func (a *Server) profileURL(tab string) string {
	if tab == "" {
		return a.s.Path + "/profile"
	}
	return a.s.Path + "/profile?tab=" + tab
}

// profileAction runs a profile form and redirects back to its section of
// the profile with a notice, or re-renders it with the error.
func (a *Server) profileAction(w http.ResponseWriter, r *http.Request, fn func(st *authState) (string, error)) error {
	return a.profileUpload(w, r, maxBody, nil, fn)
}

// profileUpload is profileAction for a form of up to limit bytes (a file
// upload); a bigger one is refused with tooLarge, which names the field.
func (a *Server) profileUpload(w http.ResponseWriter, r *http.Request, limit int64, tooLarge error, fn func(st *authState) (string, error)) error {
	st, ok, err := a.signedIn(w, r)
	if !ok {
		return err
	}
	msg := ""
	if err = httpx.ParseForm(w, r, limit); err == nil {
		msg, err = fn(st)
	} else if tooLarge != nil && errors.Is(err, core.ErrTooLarge) {
		err = tooLarge
	}
	if err != nil {
		e := httpx.Public(err)
		if httpx.Status(e) >= 500 {
			return err
		}
		data, derr := a.profileData(r, st, a.page(r, "profile"))
		if derr != nil {
			return derr
		}
		return a.formFail(w, r, err, "profile", func(p ui.Page) any { data.Page = p; return data })
	}
	if msg != "" {
		a.notice(r, msg)
	}
	http.Redirect(w, r, a.profileURL(a.profileTab(r)), http.StatusSeeOther)
	return nil
}

func (a *Server) nameForm(w http.ResponseWriter, r *http.Request) error {
	return a.profileAction(w, r, func(st *authState) (string, error) {
		_, err := a.updateName(r, st, r.PostFormValue("name"))
		return "Your name was saved.", err
	})
}

func (a *Server) revokeForm(w http.ResponseWriter, r *http.Request) error {
	return a.profileAction(w, r, func(st *authState) (string, error) {
		return "That device was signed out.", a.revokeSession(r, st, r.PostFormValue("session_id"))
	})
}

func (a *Server) revokeOthersForm(w http.ResponseWriter, r *http.Request) error {
	return a.profileAction(w, r, func(st *authState) (string, error) {
		_, err := a.revokeOtherSessions(r, st)
		return "All your other devices were signed out.", err
	})
}

func (a *Server) deleteForm(w http.ResponseWriter, r *http.Request) error {
	st, ok, err := a.signedIn(w, r)
	if !ok {
		return err
	}
	if err := httpx.ParseForm(w, r, maxBody); err != nil {
		return err
	}
	err = nil
	if r.PostFormValue("confirm") != "DELETE" {
		// Told with a missing password at once; a password given is not
		// checked until the confirmation is right (it would cost an attempt).
		err = core.Combine(httpx.FieldError("confirm", "confirmation_required", "Type DELETE to confirm."),
			a.missingPassword(r, st, r.PostFormValue("password"), "password", deletePasswordMissing))
	} else {
		err = a.deleteAccount(r, st, r.PostFormValue("password"))
	}
	if err != nil {
		data, derr := a.profileData(r, st, a.page(r, "profile"))
		if derr != nil {
			return derr
		}
		return a.formFail(w, r, err, "profile", func(p ui.Page) any { data.Page = p; return data })
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

// profileData is what the profile page shows: the navigation, and the
// section the request is about (profileTab), read only for it.
func (a *Server) profileData(r *http.Request, st *authState, p ui.Page) (ui.Profile, error) {
	d := ui.Profile{Page: p, User: a.userView(st.user), MinLength: a.s.PasswordMinLength, Tab: a.profileTab(r),
		Multi: a.s.SessionMode == SessionMulti, MaxImageSize: "2 MB"}
	for _, t := range profileTabs {
		if a.hasProfileTab(t.Key) {
			t.Active = t.Key == d.Tab
			d.Tabs = append(d.Tabs, t)
		}
	}
	var err error
	switch d.Tab {
	case "":
		d.Languages = a.languageOptions(st.user.Language)
		d.Accounts = a.accounts(r, st)
		d.Identifiers, err = a.identifierViews(r, st)
	case "security":
		d.PasskeyList, err = a.passkeyList(r, st)
	case "devices":
		d.Sessions, err = a.sessionViews(r, st)
	case "connections":
		d.Connections, err = a.connectionsView(r, st)
	case "organizations":
		if d.Orgs, err = a.userOrgViews(r.Context(), st); err == nil {
			d.Invitations, err = a.pendingInvitationViews(r.Context(), st.user)
		}
	}
	return d, err
}
