package auth

import (
	"context"
	"net/url"

	"github.com/embedauth/auth/admin"
	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/web"
)

// User administration: the Go side of the admin pages at
// Config.Path+"/admin/users" and of the admin JSON API. Every method that
// changes a user takes the [AdminActor] who acts, checks the rules of
// package admin (an administrator cannot ban, lock or delete themselves
// or the last administrator), writes an entry of the admin audit log and
// the matching webhook event in the same transaction as the change.

// UserQuery selects a page of users: search, filters, sort and cursor.
type UserQuery = core.UserQuery

// UserCursor is where a page of users ends; pass [UserPage.Next] as
// UserQuery.After for the next page.
type UserCursor = core.UserCursor

// UserPage is one page of users and the cursor of the next.
type UserPage = core.UserPage

// UserSummary is one user of a [UserPage].
type UserSummary = core.UserSummary

// UserDetail is everything an administrator sees of one user.
type UserDetail = core.UserDetail

// AuditEntry is one entry of the admin audit log.
type AuditEntry = core.AuditEntry

// AdminActor is who performs an administrative action: an administrator
// (their user id and email) or a tool.
type AdminActor = admin.Actor

// Sort orders of [UserQuery].
const (
	SortCreatedDesc = core.SortCreatedDesc
	SortCreatedAsc  = core.SortCreatedAsc
	SortEmailAsc    = core.SortEmailAsc
	SortEmailDesc   = core.SortEmailDesc
)

// ListUsers returns one page of users. The zero UserQuery lists everyone,
// newest first, 50 at a time; each page is read by keyset from an index,
// so the last page costs what the first does.
func (a *Auth) ListUsers(ctx context.Context, q UserQuery) (UserPage, error) {
	return a.s.ListUsers(ctx, q)
}

// UserDetail returns a user with their addresses, passkeys, second
// factors, live sessions, organizations, connected accounts, metadata
// (private too) and the latest entries of their security log.
func (a *Auth) UserDetail(ctx context.Context, id string) (UserDetail, error) {
	return a.s.UserDetail(ctx, id)
}

// AdminBanUser bans a user on behalf of actor: their sessions end and
// sign-in is refused. Unlike [Auth.BanUser] it refuses to ban the actor
// or the last administrator, and it is audited.
func (a *Auth) AdminBanUser(ctx context.Context, actor AdminActor, id string) (User, error) {
	return a.s.AdminBanUser(ctx, actor, id)
}

// AdminUnbanUser lifts a ban on behalf of actor; audited.
func (a *Auth) AdminUnbanUser(ctx context.Context, actor AdminActor, id string) (User, error) {
	return a.s.AdminUnbanUser(ctx, actor, id)
}

// LockUser locks a user's password sign-in until [Auth.UnlockUser], as too
// many wrong passwords would (passkeys and emailed codes still sign in);
// audited.
func (a *Auth) LockUser(ctx context.Context, actor AdminActor, id string) error {
	return a.s.LockUser(ctx, actor, id)
}

// UnlockUser clears every lockout of a user: password failures and locks,
// and second-factor failures; audited.
func (a *Auth) UnlockUser(ctx context.Context, actor AdminActor, id string) error {
	return a.s.UnlockUser(ctx, actor, id)
}

// AdminDeleteUser deletes a user on behalf of actor, refusing the actor
// themselves and the last administrator; audited.
func (a *Auth) AdminDeleteUser(ctx context.Context, actor AdminActor, id string) error {
	return a.s.AdminDeleteUser(ctx, actor, id)
}

// AdminRevokeSession ends one session of a user; audited.
func (a *Auth) AdminRevokeSession(ctx context.Context, actor AdminActor, userID, sessionID string) error {
	return a.s.AdminRevokeSession(ctx, actor, userID, sessionID)
}

// AdminRevokeSessions ends every session of a user; audited.
func (a *Auth) AdminRevokeSessions(ctx context.Context, actor AdminActor, userID string) error {
	return a.s.AdminRevokeSessions(ctx, actor, userID)
}

// ResetMFA removes a user's two-step verification (authenticator app, text
// message codes, backup codes) so they can set it up again; audited.
func (a *Auth) ResetMFA(ctx context.Context, actor AdminActor, userID string) error {
	return a.s.ResetMFA(ctx, actor, userID)
}

// AdminRemovePasskey removes one passkey of a user, even their last;
// audited.
func (a *Auth) AdminRemovePasskey(ctx context.Context, actor AdminActor, userID, passkeyID string) error {
	return a.s.AdminRemovePasskey(ctx, actor, userID, passkeyID)
}

// VerifyIdentifier marks one email address or phone number of a user as
// verified (see UserDetail.Identifiers for the ids); audited.
func (a *Auth) VerifyIdentifier(ctx context.Context, actor AdminActor, userID, identifierID string) (User, error) {
	return a.s.VerifyIdentifier(ctx, actor, userID, identifierID)
}

// AdminUpdateMetadata replaces a user's metadata objects that are not
// nil, as [Auth.UpdateUserMetadata] does, and audits it.
func (a *Auth) AdminUpdateMetadata(ctx context.Context, actor AdminActor, userID string, m UserMetadata) (User, error) {
	return a.s.AdminUpdateMetadata(ctx, actor, userID, m)
}

// SetAdmin grants or revokes administration of the app, stored in the
// database (Config.IsAdmin may accept more users). Revoking one's own or
// the last administrator's is refused; audited.
func (a *Auth) SetAdmin(ctx context.Context, actor AdminActor, userID string, on bool) error {
	return a.s.SetAdmin(ctx, actor, userID, on)
}

// AdminCreateUser creates a user as [Auth.CreateUser] does, and audits it.
func (a *Auth) AdminCreateUser(ctx context.Context, actor AdminActor, p CreateUserParams) (User, error) {
	return a.s.AdminCreateUser(ctx, actor, p)
}

// InviteUser mails an invitation to create an account (a link to the
// sign-up page with the address filled in); audited.
func (a *Auth) InviteUser(ctx context.Context, actor AdminActor, email string) error {
	return a.s.InviteUser(ctx, actor, email)
}

// AuditLog returns the admin audit log, newest first: only the entries
// about userID when it is not empty, older than entry id before when
// before is not 0, at most limit (1 to 200; default 50).
func (a *Auth) AuditLog(ctx context.Context, userID string, before int64, limit int) ([]AuditEntry, error) {
	return a.s.AuditLog(ctx, userID, before, limit)
}

// ExportedUser is one user of [Auth.ExportUsers] and [Auth.ImportUser].
type ExportedUser = core.ExportedUser

// CLIActor is the [AdminActor] of the command-line tool in the audit log.
var CLIActor = admin.CLI

// OpenOffline opens the database of cfg as [New] does, for a tool (the
// embedauth command, a cron job, a migration script): it starts no
// background work, so it never delivers the app's queued mail or webhooks
// (the events of its own changes wait in the database for the app's
// dispatcher). Close it when done.
func OpenOffline(cfg Config) (*Auth, error) {
	s, err := web.OpenOffline(cfg)
	if err != nil {
		return nil, err
	}
	return &Auth{s: s}, nil
}

// ExportUsers calls fn with every user that has an email, oldest first,
// with their password hash, for moving users to another system or
// database.
func (a *Auth) ExportUsers(ctx context.Context, fn func(ExportedUser) error) error {
	return a.s.ExportUsers(ctx, fn)
}

// ImportUser creates one user from another system's export. The password
// hash may be argon2id (PHC string) or bcrypt ($2a$, $2b$, $2y$); a bcrypt
// hash is replaced with argon2id at the user's first sign-in. A taken
// email is refused with the code "email_taken"; audited.
func (a *Auth) ImportUser(ctx context.Context, actor AdminActor, u ExportedUser) (User, error) {
	return a.s.ImportUser(ctx, actor, u)
}

// Backup writes a consistent copy of the whole database to path (which
// must not exist) while the app keeps serving: an online backup with
// SQLite's VACUUM INTO. Keep the encryption key (Config.EncryptionKey, or
// the .key file beside the database) with it.
func (a *Auth) Backup(ctx context.Context, path string) error { return a.s.Backup(ctx, path) }

// Migrations returns the names of the schema migrations applied to the
// database, oldest first.
func (a *Auth) Migrations(ctx context.Context) ([]string, error) { return a.s.Migrations(ctx) }

// ListUsersQuery reads the users table's query parameters (q, filter,
// org, sort, cursor, limit: as the admin API's GET /api/admin/users takes
// them) and returns that page with the cursor of the next ("" on the last
// page). A bad parameter is a *core.Error naming it.
func (a *Auth) ListUsersQuery(ctx context.Context, params url.Values) (UserPage, string, error) {
	q, err := admin.ParseQuery(params)
	if err != nil {
		return UserPage{}, "", err
	}
	page, err := a.s.ListUsers(ctx, q)
	if err != nil {
		return page, "", err
	}
	return page, admin.EncodeCursor(page.Next, q.Sort), nil
}
