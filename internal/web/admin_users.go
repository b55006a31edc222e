package web

// User administration: the users table, a user's page and its actions, the
// admin audit log (Path+"/admin/users", Path+"/admin/audit"), their JSON
// API (Path+"/api/admin/..."), and the Go methods apps call. The rules
// (who may do what, the audit entries, the query parameters) live in
// package admin.

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/embedauth/auth/admin"
	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/internal/i18n"
	"github.com/embedauth/auth/internal/password"
	"github.com/embedauth/auth/mail"
	"github.com/embedauth/auth/store"
	"github.com/embedauth/auth/ui"
)

var _ admin.Store[*store.OutMail] = (*store.DB)(nil)

// Aliases of the administration types.
type (
	// UserQuery selects a page of users. See [core.UserQuery].
	UserQuery = core.UserQuery
	// UserPage is one page of users. See [core.UserPage].
	UserPage = core.UserPage
	// UserSummary is one row of the users table. See [core.UserSummary].
	UserSummary = core.UserSummary
	// UserDetail is everything an administrator sees of a user. See
	// [core.UserDetail].
	UserDetail = core.UserDetail
	// AuditEntry is one entry of the admin audit log. See [core.AuditEntry].
	AuditEntry = core.AuditEntry
	// AdminActor is who performs an administrative action. See [admin.Actor].
	AdminActor = admin.Actor
)

// isAdmin reports whether the user administers this app: Config.IsAdmin
// accepts them, or they were granted administration (Auth.SetAdmin, the
// command-line tool, another administrator).
func (a *Server) isAdmin(ctx context.Context, u core.User) (bool, error) {
	if a.s.IsAdmin != nil && a.s.IsAdmin(u) {
		return true, nil
	}
	return a.db.IsAdmin(ctx, u.ID)
}

// adminsExist reports whether anyone can be an administrator: when nobody
// can, the admin pages answer 404 even to a signed-out browser.
func (a *Server) adminsExist(ctx context.Context) (bool, error) {
	if a.s.IsAdmin != nil {
		return true, nil
	}
	n, err := a.db.CountAdmins(ctx)
	return n > 0, err
}

func actorOf(st *authState) admin.Actor { return admin.Actor{ID: st.user.ID, Email: st.user.Email} }

// forgetAfterAdmin drops what the session cache holds of a user an
// administrator changed, so the change applies at their next request.
func (a *Server) forgetAfterAdmin(userID string, sessions ...string) {
	a.cache.forgetUser(userID)
	if len(sessions) > 0 {
		a.cache.forgetSessions(sessions...)
	}
}

// ListUsers returns one page of users: search, filters, sort and a cursor
// in q (see [core.UserQuery]).
func (a *Server) ListUsers(ctx context.Context, q UserQuery) (UserPage, error) {
	return a.adm.ListUsers(ctx, q)
}

// UserDetail returns everything an administrator sees of a user: their
// addresses, factors, live sessions, organizations, connected accounts,
// metadata (private too) and the latest 50 entries of their security log.
func (a *Server) UserDetail(ctx context.Context, id string) (UserDetail, error) {
	u, err := a.db.User(ctx, id)
	if err != nil {
		if errors.Is(err, core.ErrNotFound) {
			return UserDetail{}, admin.ErrNotFound
		}
		return UserDetail{}, err
	}
	d := UserDetail{User: u, PrivateMetadata: u.PrivateMetadata}
	var until = &d.LockedUntil
	adminFlag, locked, failures, err := a.db.AdminState(ctx, id)
	if err != nil {
		return d, err
	}
	d.Admin, d.Failures = adminFlag, failures
	if !locked.IsZero() {
		*until = &locked
	}
	if d.Identifiers, err = a.db.Identifiers(ctx, id); err != nil {
		return d, err
	}
	if d.Passkeys, err = a.db.UserPasskeys(ctx, id); err != nil {
		return d, err
	}
	if _, _, err := a.db.TOTPSecret(ctx, id); err == nil {
		d.TOTP = true
	} else if !errors.Is(err, core.ErrNotFound) {
		return d, err
	}
	if d.SMSFactor, err = a.db.SMSFactor(ctx, id); err != nil {
		return d, err
	}
	if d.BackupCodes, err = a.db.BackupCodesLeft(ctx, id); err != nil {
		return d, err
	}
	if d.Sessions, err = a.db.ListSessions(ctx, id); err != nil {
		return d, err
	}
	if d.Orgs, err = a.db.UserOrgs(ctx, id); err != nil {
		return d, err
	}
	if d.Accounts, err = a.db.ExternalAccounts(ctx, id); err != nil {
		return d, err
	}
	if d.SecurityLog, err = a.db.SecurityLog(ctx, id, 0, 50); err != nil {
		return d, err
	}
	for _, p := range []*[]core.Identifier{&d.Identifiers} {
		if *p == nil {
			*p = []core.Identifier{}
		}
	}
	if d.Passkeys == nil {
		d.Passkeys = []core.Passkey{}
	}
	if d.Sessions == nil {
		d.Sessions = []core.Session{}
	}
	if d.Orgs == nil {
		d.Orgs = []core.OrgMembership{}
	}
	if d.Accounts == nil {
		d.Accounts = []core.ExternalAccount{}
	}
	if d.SecurityLog == nil {
		d.SecurityLog = []core.SecurityEvent{}
	}
	return d, nil
}

// AdminBanUser bans a user on behalf of actor (see [admin.Service.Ban]):
// refused for the actor themselves and the last administrator; audited.
func (a *Server) AdminBanUser(ctx context.Context, actor AdminActor, id string) (User, error) {
	u, err := a.adm.Ban(ctx, actor, id)
	a.forgetAfterAdmin(id)
	return u, err
}

// AdminUnbanUser lifts a ban on behalf of actor; audited.
func (a *Server) AdminUnbanUser(ctx context.Context, actor AdminActor, id string) (User, error) {
	u, err := a.adm.Unban(ctx, actor, id)
	a.forgetAfterAdmin(id)
	return u, err
}

// LockUser locks a user's password sign-in until an administrator
// unlocks it; audited.
func (a *Server) LockUser(ctx context.Context, actor AdminActor, id string) error {
	return a.adm.Lock(ctx, actor, id)
}

// UnlockUser clears every lockout of a user (password and second factor);
// audited.
func (a *Server) UnlockUser(ctx context.Context, actor AdminActor, id string) error {
	return a.adm.Unlock(ctx, actor, id)
}

// AdminDeleteUser deletes a user on behalf of actor: refused for the actor
// themselves and the last administrator; audited.
func (a *Server) AdminDeleteUser(ctx context.Context, actor AdminActor, id string) error {
	err := a.adm.Delete(ctx, actor, id)
	a.forgetAfterAdmin(id)
	return err
}

// AdminRevokeSession ends one session of a user; audited.
func (a *Server) AdminRevokeSession(ctx context.Context, actor AdminActor, userID, sessionID string) error {
	err := a.adm.RevokeSession(ctx, actor, userID, sessionID)
	a.forgetAfterAdmin(userID, sessionID)
	return err
}

// AdminRevokeSessions ends every session of a user; audited.
func (a *Server) AdminRevokeSessions(ctx context.Context, actor AdminActor, userID string) error {
	ids, err := a.adm.RevokeSessions(ctx, actor, userID)
	a.forgetAfterAdmin(userID, ids...)
	return err
}

// ResetMFA removes a user's two-step verification; audited.
func (a *Server) ResetMFA(ctx context.Context, actor AdminActor, userID string) error {
	err := a.adm.ResetMFA(ctx, actor, userID)
	a.forgetAfterAdmin(userID)
	return err
}

// AdminRemovePasskey removes one passkey of a user; audited.
func (a *Server) AdminRemovePasskey(ctx context.Context, actor AdminActor, userID, passkeyID string) error {
	return a.adm.RemovePasskey(ctx, actor, userID, passkeyID)
}

// VerifyIdentifier marks one address of a user as verified; audited.
func (a *Server) VerifyIdentifier(ctx context.Context, actor AdminActor, userID, identifierID string) (User, error) {
	u, err := a.adm.VerifyIdentifier(ctx, actor, userID, identifierID)
	a.forgetAfterAdmin(userID)
	return u, err
}

// AdminUpdateMetadata replaces a user's metadata objects that are not nil;
// audited.
func (a *Server) AdminUpdateMetadata(ctx context.Context, actor AdminActor, userID string, m UserMetadata) (User, error) {
	u, err := a.adm.UpdateMetadata(ctx, actor, userID, m)
	a.forgetAfterAdmin(userID)
	return u, err
}

// SetAdmin grants or revokes administration of the app; revoking one's
// own or the last administrator's is refused; audited.
func (a *Server) SetAdmin(ctx context.Context, actor AdminActor, userID string, on bool) error {
	return a.adm.SetAdmin(ctx, actor, userID, on)
}

// AdminCreateUser creates a user as [Server.CreateUser] does, and audits it
// in the same transaction.
func (a *Server) AdminCreateUser(ctx context.Context, actor AdminActor, p CreateUserParams) (User, error) {
	u, err := a.CreateUser(a.adm.Audited(ctx, actor, core.AuditUserCreated, core.User{Email: p.Email}, ""), p)
	if err != nil {
		return u, createUserRefusal(err)
	}
	return u, nil
}

// InviteUser invites an address to create an account: it may sign up
// whatever the sign-up mode (restricted and waitlist modes included) for
// SignUp.InvitationTTL, and is mailed a link to the sign-up page with the
// address filled in. The invitation, its mail and the audit entry are
// written in one transaction, as [Server.InviteToSignUp] does.
func (a *Server) InviteUser(ctx context.Context, actor AdminActor, email string) error {
	clean, err := core.CleanEmail(email)
	if err != nil {
		return err
	}
	link := a.s.origin + a.s.Path + "/sign-up?email=" + url.QueryEscape(clean)
	m, err := a.newMail(mail.MsgAppInvitation, clean, mail.Data{Link: link, Inviter: actor.Email, ExpiresIn: a.s.SignUp.InvitationTTL,
		Lang: a.mailLang(ctx, nil)})
	if err != nil {
		return err
	}
	ctx = a.adm.Audited(ctx, actor, core.AuditUserInvited, core.User{Email: clean}, "")
	if err := a.db.InviteToSignUp(ctx, clean, a.s.Now().Add(a.s.SignUp.InvitationTTL), m); err != nil {
		return err
	}
	a.dispatcher.Wake()
	return nil
}

// AuditLog returns the admin audit log, newest first: entries about
// userID only when it is not empty, older than entry id before when
// before is not 0, at most limit (1 to 200).
func (a *Server) AuditLog(ctx context.Context, userID string, before int64, limit int) ([]AuditEntry, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	return a.db.AuditLog(ctx, userID, before, limit)
}

// The pages.

// adminReverified guards a destructive action: the administrator's
// session must have proved its factors within MFA.ReverificationWindow.
func (a *Server) adminReverified(r *http.Request, st *authState) error {
	ok, err := a.recentlyVerified(r.Context(), st, a.s.MFA.ReverificationWindow)
	if err != nil {
		return err
	}
	if !ok {
		return errReverificationRequired
	}
	return nil
}

var filterLabels = map[string]string{"banned": "Banned", "locked": "Locked", "unverified": "Unverified",
	"has_mfa": "Two-step on", "has_passkey": "Has a passkey", "admin": "Administrators"}

var sortLabels = map[string]string{core.SortCreatedDesc: "Newest first", core.SortCreatedAsc: "Oldest first",
	core.SortEmailAsc: "Email A-Z", core.SortEmailDesc: "Email Z-A"}

func badges(s core.UserSummary) []string {
	var out []string
	if s.Banned {
		out = append(out, "banned")
	}
	if s.LockedUntil != nil {
		out = append(out, "locked")
	}
	if !s.EmailVerified {
		out = append(out, "unverified")
	}
	if s.TwoFactorEnabled {
		out = append(out, "MFA")
	}
	if s.HasPasskey {
		out = append(out, "passkey")
	}
	if s.Admin {
		out = append(out, "admin")
	}
	return out
}

func (a *Server) usersData(r *http.Request, p ui.Page) (ui.AdminUsers, int, error) {
	p.Title = "Users"
	v := r.URL.Query()
	data := ui.AdminUsers{Page: p, Nav: ui.AdminNav{Active: "users"}, Search: v.Get("q"), Org: v.Get("org")}
	checked := map[string]bool{}
	for _, f := range v["filter"] {
		checked[f] = true
	}
	for _, f := range admin.Filters {
		data.Filters = append(data.Filters, ui.AdminOption{Value: f, Label: filterLabels[f], Checked: checked[f]})
	}
	q, err := admin.ParseQuery(v)
	for _, s := range admin.Sorts {
		data.Sorts = append(data.Sorts, ui.AdminOption{Value: s, Label: sortLabels[s], Checked: s == q.Sort})
	}
	if err == nil && q.OrgID != "" {
		// The organization field takes an id or a slug.
		var org core.Org
		if org, err = a.adminOrg(r.Context(), q.OrgID); err == nil {
			q.OrgID, data.OrgName = org.ID, org.Name
		}
	}
	if err != nil {
		e := httpx.Public(err)
		data.Error = e.Message
		data.FieldErrors = fieldErrors(e, "")
		return data, httpx.Status(e), nil
	}
	page, err := a.ListUsers(r.Context(), q)
	if err != nil {
		return data, 0, err
	}
	for _, u := range page.Users {
		data.Users = append(data.Users, ui.AdminUserRow{ID: u.ID, Email: u.Email, Name: u.Name, Initials: u.Initials(),
			CreatedAt: u.CreatedAt, Badges: badges(u)})
	}
	if page.Next != nil {
		next := url.Values{}
		for k, vs := range v {
			next[k] = vs
		}
		next.Set("cursor", admin.EncodeCursor(page.Next, q.Sort))
		data.NextURL = a.s.Path + "/admin/users?" + next.Encode()
	}
	if q.After != nil {
		first := url.Values{}
		for k, vs := range v {
			first[k] = vs
		}
		first.Del("cursor")
		data.FirstURL = a.s.Path + "/admin/users?" + first.Encode()
	}
	return data, http.StatusOK, nil
}

// adminOrg finds the organization the users table is limited to, by id or
// by slug.
func (a *Server) adminOrg(ctx context.Context, idOrSlug string) (core.Org, error) {
	org, err := a.db.Org(ctx, idOrSlug)
	if errors.Is(err, core.ErrNotFound) {
		org, err = a.db.OrgBySlug(ctx, strings.ToLower(idOrSlug))
	}
	if errors.Is(err, core.ErrNotFound) {
		return org, admin.ErrOrgNotFound
	}
	return org, err
}

func (a *Server) adminUsersPage(w http.ResponseWriter, r *http.Request) error {
	if _, ok, err := a.adminPage(w, r); !ok {
		return err
	}
	data, status, err := a.usersData(r, a.page(r, "admin-users"))
	if err != nil {
		return err
	}
	return a.render(w, status, "admin-users", data)
}

// usersFormFail shows the users page again with a form's error.
func (a *Server) usersFormFail(w http.ResponseWriter, r *http.Request, err error, email, name, field string) error {
	data, _, derr := a.usersData(r, a.page(r, "admin-users"))
	if derr != nil {
		return derr
	}
	if e := httpx.Public(err); field != "" && e.Field == "email" {
		f := *e
		f.Field = field
		err = &f
	}
	return a.formFail(w, r, err, "admin-users", func(p ui.Page) any {
		p.Title = data.Title
		data.Page, data.Email, data.Name = p, email, name
		return data
	})
}

func (a *Server) adminCreateUserForm(w http.ResponseWriter, r *http.Request) error {
	st, ok, err := a.adminPage(w, r)
	if !ok {
		return err
	}
	if err := httpx.ParseForm(w, r, maxBody); err != nil {
		return err
	}
	in := CreateUserParams{Email: r.PostFormValue("email"), Name: r.PostFormValue("name"), Password: r.PostFormValue("password"),
		EmailVerified: r.PostFormValue("email_verified") == "true"}
	u, err := a.AdminCreateUser(r.Context(), actorOf(st), in)
	if err != nil {
		return a.usersFormFail(w, r, createUserRefusal(err), in.Email, in.Name, "")
	}
	a.notice(r, "The user was created.")
	http.Redirect(w, r, a.s.Path+"/admin/users/"+url.PathEscape(u.ID), http.StatusSeeOther)
	return nil
}

// createUserRefusal names the field of a refused creation: a taken
// address is the email field's.
func createUserRefusal(err error) error {
	if errors.Is(err, core.ErrConflict) {
		e := core.Refuse(core.ErrConflict, "email_taken", "A user with this email already exists.")
		e.Field = "email"
		return e
	}
	return err
}

func (a *Server) adminInviteForm(w http.ResponseWriter, r *http.Request) error {
	st, ok, err := a.adminPage(w, r)
	if !ok {
		return err
	}
	if err := httpx.ParseForm(w, r, maxBody); err != nil {
		return err
	}
	email := r.PostFormValue("email")
	if err := a.InviteUser(r.Context(), actorOf(st), email); err != nil {
		return a.usersFormFail(w, r, err, "", "", "invite_email")
	}
	a.notice(r, "The invitation was sent.")
	http.Redirect(w, r, a.s.Path+"/admin/users", http.StatusSeeOther)
	return nil
}

func (a *Server) userPageData(r *http.Request, st *authState, id string, p ui.Page) (ui.AdminUser, error) {
	ctx := r.Context()
	d, err := a.UserDetail(ctx, id)
	if err != nil {
		if errors.Is(err, core.ErrNotFound) {
			return ui.AdminUser{}, errNoPage
		}
		return ui.AdminUser{}, err
	}
	u := d.User
	p.Title = u.DisplayName()
	data := ui.AdminUser{Page: p, Nav: ui.AdminNav{Active: "users"}, ID: u.ID, Email: u.Email, Name: u.Name, Initials: u.Initials(),
		Verified: u.EmailVerified, Banned: u.Banned, Admin: d.Admin, Self: u.ID == st.user.ID, LockedUntil: d.LockedUntil,
		Failures: d.Failures, HasPassword: u.HasPassword, TOTP: d.TOTP, SMSFactor: d.SMSFactor, BackupCodes: d.BackupCodes,
		CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt, Impersonate: a.impersonationOffered(),
		PublicMetadata: indentJSON(u.PublicMetadata), PrivateMetadata: indentJSON(u.PrivateMetadata), UnsafeMetadata: indentJSON(u.UnsafeMetadata)}
	for _, i := range d.Identifiers {
		data.Identifiers = append(data.Identifiers, ui.AdminIdentifier{ID: i.ID, Kind: i.Kind, Value: i.Value, Primary: i.Primary, Verified: i.Verified})
	}
	for _, pk := range d.Passkeys {
		data.Passkeys = append(data.Passkeys, ui.AdminPasskey{ID: pk.ID, Name: pk.Name, CreatedAt: pk.CreatedAt, LastUsedAt: pk.LastUsedAt})
	}
	for _, s := range d.Sessions {
		data.Sessions = append(data.Sessions, ui.AdminSession{ID: s.ID, Device: describeDevice(a.locale(r), s.UserAgent), IP: s.IP, AuthMethod: s.AuthMethod,
			CreatedAt: s.CreatedAt, LastActiveAt: s.LastActiveAt})
	}
	for _, m := range d.Orgs {
		data.Orgs = append(data.Orgs, ui.AdminOrg{ID: m.Org.ID, Name: m.Org.Name, Role: m.Membership.Role})
	}
	for _, x := range d.Accounts {
		data.Accounts = append(data.Accounts, ui.AdminAccount{Provider: x.Provider, Email: x.Email})
	}
	for _, e := range d.SecurityLog {
		data.SecurityLog = append(data.SecurityLog, ui.SecurityEntry{When: e.CreatedAt, Description: describeSecurityEvent(e),
			Device: deviceSummary(a.locale(r), e.UserAgent), IP: e.IP, Warning: e.Kind == core.SecuritySignInFailed || e.Kind == core.SecuritySignInLocked})
	}
	audit, err := a.AuditLog(ctx, id, 0, 20)
	if err != nil {
		return data, err
	}
	data.Audit = auditRows(a.locale(r), audit)
	return data, nil
}

// impersonationOffered reports whether the user page shows the
// Impersonate form: only when a handler for it is mounted.
func (a *Server) impersonationOffered() bool {
	for _, rt := range a.routeTable() {
		if rt.Method == "POST" && rt.Path == "/admin/users/{id}/impersonate" {
			return true
		}
	}
	return false
}

func auditRows(l *i18n.Locale, list []core.AuditEntry) []ui.AdminAuditRow {
	var out []ui.AdminAuditRow
	for _, e := range list {
		actor := e.ActorEmail
		if actor == "" {
			actor = e.ActorID
		}
		out = append(out, ui.AdminAuditRow{Actor: actor, Action: e.Action, TargetID: e.TargetID, TargetEmail: e.TargetEmail,
			Detail: e.Detail, IP: e.IP, Device: deviceSummary(l, e.UserAgent), CreatedAt: e.CreatedAt})
	}
	return out
}

func indentJSON(m json.RawMessage) string {
	var v any
	if len(m) == 0 || json.Unmarshal(m, &v) != nil {
		return "{}"
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return "{}"
	}
	return string(b)
}

func (a *Server) adminUserPage(w http.ResponseWriter, r *http.Request) error {
	st, ok, err := a.adminPage(w, r)
	if !ok {
		return err
	}
	data, err := a.userPageData(r, st, r.PathValue("id"), a.page(r, "admin-user"))
	if err != nil {
		return err
	}
	return a.render(w, http.StatusOK, "admin-user", data)
}

// userAction runs a form of a user's page: destructive ones first need a
// recent reverification (the browser is sent to the reverification page,
// which comes back here). Success redirects back with a notice (or to the
// users table when the user is gone); a refusal shows the page again.
func (a *Server) userAction(destructive bool, fn func(r *http.Request, st *authState, id string) (string, error)) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		st, ok, err := a.adminPage(w, r)
		if !ok {
			return err
		}
		if err := httpx.ParseForm(w, r, maxBody); err != nil {
			return err
		}
		id := r.PathValue("id")
		back := a.s.Path + "/admin/users/" + url.PathEscape(id)
		if destructive {
			if err := a.adminReverified(r, st); err != nil {
				if errors.Is(err, errReverificationRequired) {
					a.notice(r, "Confirm it's you, then do it again.")
					http.Redirect(w, r, a.reverifyTarget(back), http.StatusSeeOther)
					return nil
				}
				return err
			}
		}
		msg, err := fn(r, st, id)
		if err != nil {
			if errors.Is(err, admin.ErrNotFound) {
				return errNoPage
			}
			data, derr := a.userPageData(r, st, id, a.page(r, "admin-user"))
			if derr != nil {
				return derr
			}
			return a.formFail(w, r, err, "admin-user", func(p ui.Page) any { p.Title = data.Title; data.Page = p; return data })
		}
		a.notice(r, msg)
		if msg == userDeletedNotice {
			back = a.s.Path + "/admin/users"
		}
		http.Redirect(w, r, back, http.StatusSeeOther)
		return nil
	}
}

const userDeletedNotice = "The user was deleted."

func (a *Server) adminBanForm(r *http.Request, st *authState, id string) (string, error) {
	_, err := a.AdminBanUser(r.Context(), actorOf(st), id)
	return "The user is banned: their sessions ended and they cannot sign in.", err
}

func (a *Server) adminUnbanForm(r *http.Request, st *authState, id string) (string, error) {
	_, err := a.AdminUnbanUser(r.Context(), actorOf(st), id)
	return "The user can sign in again.", err
}

func (a *Server) adminLockForm(r *http.Request, st *authState, id string) (string, error) {
	return "Password sign-in is locked until you unlock it.", a.LockUser(r.Context(), actorOf(st), id)
}

func (a *Server) adminUnlockForm(r *http.Request, st *authState, id string) (string, error) {
	return "Every lockout of the user was cleared.", a.UnlockUser(r.Context(), actorOf(st), id)
}

func (a *Server) adminRevokeSessionForm(r *http.Request, st *authState, id string) (string, error) {
	return "The device was signed out.", a.AdminRevokeSession(r.Context(), actorOf(st), id, r.PostFormValue("session_id"))
}

func (a *Server) adminRevokeAllForm(r *http.Request, st *authState, id string) (string, error) {
	return "Every device of the user was signed out.", a.AdminRevokeSessions(r.Context(), actorOf(st), id)
}

func (a *Server) adminResetMFAForm(r *http.Request, st *authState, id string) (string, error) {
	return "Two-step verification was reset.", a.ResetMFA(r.Context(), actorOf(st), id)
}

func (a *Server) adminRemovePasskeyForm(r *http.Request, st *authState, id string) (string, error) {
	return "The passkey was removed.", a.AdminRemovePasskey(r.Context(), actorOf(st), id, r.PostFormValue("passkey_id"))
}

func (a *Server) adminVerifyIdentifierForm(r *http.Request, st *authState, id string) (string, error) {
	_, err := a.VerifyIdentifier(r.Context(), actorOf(st), id, r.PostFormValue("identifier_id"))
	return "The address is marked verified.", err
}

func (a *Server) adminMetadataForm(r *http.Request, st *authState, id string) (string, error) {
	m := UserMetadata{Public: formJSON(r, "public_metadata"), Private: formJSON(r, "private_metadata"), Unsafe: formJSON(r, "unsafe_metadata")}
	_, err := a.AdminUpdateMetadata(r.Context(), actorOf(st), id, m)
	return "The metadata was saved.", err
}

// formJSON reads a metadata field: nil (unchanged) when absent, {} when
// left empty.
func formJSON(r *http.Request, name string) json.RawMessage {
	if _, ok := r.PostForm[name]; !ok {
		return nil
	}
	v := strings.TrimSpace(r.PostFormValue(name))
	if v == "" {
		v = "{}"
	}
	return json.RawMessage(v)
}

func (a *Server) adminSetAdminForm(r *http.Request, st *authState, id string) (string, error) {
	on := r.PostFormValue("admin") == "true"
	if err := a.SetAdmin(r.Context(), actorOf(st), id, on); err != nil {
		return "", err
	}
	if on {
		return "The user is now an administrator.", nil
	}
	return "The user is no longer an administrator.", nil
}

func (a *Server) adminDeleteForm(r *http.Request, st *authState, id string) (string, error) {
	if r.PostFormValue("confirm") != "yes" {
		return "", httpx.FieldError("confirm", "confirmation_required", "Tick the box to confirm the deletion.")
	}
	return userDeletedNotice, a.AdminDeleteUser(r.Context(), actorOf(st), id)
}

func (a *Server) adminAuditPage(w http.ResponseWriter, r *http.Request) error {
	if _, ok, err := a.adminPage(w, r); !ok {
		return err
	}
	p := a.page(r, "admin-audit")
	p.Title = "Audit log"
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	const size = 50
	list, err := a.AuditLog(r.Context(), "", before, size)
	if err != nil {
		return err
	}
	data := ui.AdminAudit{Page: p, Nav: ui.AdminNav{Active: "audit"}, Entries: auditRows(a.locale(r), list)}
	if len(list) == size {
		data.NextURL = a.s.Path + "/admin/audit?before=" + strconv.FormatInt(list[len(list)-1].ID, 10)
	}
	return a.render(w, http.StatusOK, "admin-audit", data)
}

// ExportedUser is one user of ExportUsers and ImportUsers. See
// [core.ExportedUser].
type ExportedUser = core.ExportedUser

// ExportUsers calls fn with every user that has an email, oldest first,
// password hash included.
func (a *Server) ExportUsers(ctx context.Context, fn func(ExportedUser) error) error {
	return a.db.ExportUsers(ctx, fn)
}

// ImportUser creates one user from another system's export: the email
// must be free, the password hash (if any) an argon2id PHC string or a
// bcrypt hash ($2a$, $2b$, $2y$; replaced with argon2id at the user's
// first sign-in), the metadata JSON objects. The id and creation time are
// new. Audited as users.imported with the actor; writes user.created.
func (a *Server) ImportUser(ctx context.Context, actor AdminActor, e ExportedUser) (User, error) {
	email, err := core.CleanEmail(e.Email)
	if err != nil {
		return User{}, err
	}
	name, err := core.CleanName(e.Name)
	if err != nil {
		return User{}, err
	}
	if e.PasswordHash != "" {
		if err := password.CheckHash(e.PasswordHash); err != nil {
			return User{}, core.Invalid("password_hash", "invalid_password_hash", "The password hash is neither argon2id nor bcrypt.").With(err)
		}
	}
	actx := a.adm.Audited(ctx, actor, core.AuditUsersImported, core.User{Email: email}, "")
	u, err := a.db.CreateUser(actx, store.NewUser{Email: email, Name: name, EmailVerified: e.EmailVerified, PasswordHash: e.PasswordHash,
		PublicMetadata: e.PublicMetadata, PrivateMetadata: e.PrivateMetadata, UnsafeMetadata: e.UnsafeMetadata})
	if err != nil {
		if errors.Is(err, core.ErrConflict) {
			return User{}, core.Refuse(core.ErrConflict, "email_taken", "A user with this email already exists.")
		}
		if errors.Is(err, core.ErrInvalidInput) {
			return User{}, core.Invalid("metadata", "invalid_metadata", "Metadata must be JSON objects.")
		}
		return User{}, err
	}
	if e.Banned {
		if u, err = a.db.SetBanned(ctx, u.ID, true); err != nil {
			return u, err
		}
	}
	return u, nil
}

// Backup writes a consistent copy of the database to path (which must not
// exist) while the app keeps running.
func (a *Server) Backup(ctx context.Context, path string) error { return a.db.Backup(ctx, path) }

// Migrations returns the names of the applied schema migrations.
func (a *Server) Migrations(ctx context.Context) ([]string, error) { return a.db.Migrations(ctx) }
