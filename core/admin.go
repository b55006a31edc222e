package core

import (
	"encoding/json"
	"time"
)

// Sort orders of [UserQuery].
const (
	SortCreatedDesc = "created_desc" // newest first: the default
	SortCreatedAsc  = "created_asc"
	SortEmailAsc    = "email_asc"
	SortEmailDesc   = "email_desc"
)

// UserQuery selects a page of users for administration. Zero fields do not
// filter: the zero value lists every user, newest first.
type UserQuery struct {
	// Search matches a prefix of any email address or phone number of the
	// user, of the name (case-insensitive), or of the user id.
	Search string
	// Banned, Locked, Unverified, HasMFA and HasPasskey keep only the users
	// that are so: banned, locked out of password sign-in, without a
	// verified primary email, with two-step verification, with a passkey.
	Banned, Locked, Unverified, HasMFA, HasPasskey bool
	// Admin keeps only the users granted administration in the database.
	Admin bool
	// OrgID keeps only the members of an organization.
	OrgID string
	// Sort is one of the Sort constants; empty is SortCreatedDesc.
	Sort string
	// After continues after the last user of a previous page.
	After *UserCursor
	// Limit is the page size.
	Limit int
}

// UserCursor is where a page of users ends: the sort key of its last user
// (creation time in Unix milliseconds, or the email key) and its id.
type UserCursor struct {
	Key string `json:"k"`
	ID  string `json:"i"`
}

// UserSummary is one row of the users table.
type UserSummary struct {
	User
	// Admin is set for users granted administration in the database.
	Admin bool `json:"admin"`
	// LockedUntil is set while password sign-in is locked.
	LockedUntil *time.Time `json:"locked_until,omitempty"`
	HasPasskey  bool       `json:"has_passkey"`
}

// UserPage is one page of users and the cursor of the next, nil on the last.
type UserPage struct {
	Users []UserSummary
	Next  *UserCursor
}

// Admin audit actions: what an administrator did.
const (
	AuditUserCreated      = "user.created"
	AuditUserInvited      = "user.invited"
	AuditUserBanned       = "user.banned"
	AuditUserUnbanned     = "user.unbanned"
	AuditUserLocked       = "user.locked"
	AuditUserUnlocked     = "user.unlocked"
	AuditUserDeleted      = "user.deleted"
	AuditEmailVerified    = "user.email_verified"
	AuditMetadataUpdated  = "user.metadata_updated"
	AuditMFAReset         = "user.mfa_reset"
	AuditPasskeyRemoved   = "user.passkey_removed"
	AuditSessionRevoked   = "session.revoked"
	AuditSessionsRevoked  = "user.sessions_revoked"
	AuditAdminGranted     = "admin.granted"
	AuditAdminRevoked     = "admin.revoked"
	AuditUsersImported    = "users.imported"
	AuditUserImpersonated = "user.impersonated"
	// AuditImpersonationEnded: the administrator ended an impersonation,
	// or its time ran out (Detail says which).
	AuditImpersonationEnded = "user.impersonation_ended"
)

// AuditEntry is one row of the admin audit log: who did what to whom,
// when and from where. ActorID is empty for the command-line tool.
type AuditEntry struct {
	ID          int64     `json:"id"`
	ActorID     string    `json:"actor_id"`
	ActorEmail  string    `json:"actor_email"`
	Action      string    `json:"action"`
	TargetID    string    `json:"target_id,omitempty"`
	TargetEmail string    `json:"target_email,omitempty"`
	Detail      string    `json:"detail,omitempty"`
	IP          string    `json:"ip,omitempty"`
	UserAgent   string    `json:"user_agent,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// UserDetail is everything an administrator sees of one user.
type UserDetail struct {
	User            User              `json:"user"`
	Admin           bool              `json:"admin"`
	LockedUntil     *time.Time        `json:"locked_until,omitempty"`
	Failures        int               `json:"failed_attempts"`
	Identifiers     []Identifier      `json:"identifiers"`
	Passkeys        []Passkey         `json:"passkeys"`
	TOTP            bool              `json:"totp"`
	SMSFactor       bool              `json:"sms_factor"`
	BackupCodes     int               `json:"backup_codes_left"`
	Sessions        []Session         `json:"sessions"`
	Orgs            []OrgMembership   `json:"organizations"`
	Accounts        []ExternalAccount `json:"connected_accounts"`
	PrivateMetadata json.RawMessage   `json:"private_metadata"`
	SecurityLog     []SecurityEvent   `json:"security_log"`
}

// ExportedUser is one user in the export and import format of the
// command-line tool: the fields that move between systems, the password
// hash included (argon2id PHC, or bcrypt on import).
type ExportedUser struct {
	ID              string          `json:"id,omitempty"`
	Email           string          `json:"email"`
	EmailVerified   bool            `json:"email_verified"`
	Name            string          `json:"name,omitempty"`
	Banned          bool            `json:"banned,omitempty"`
	CreatedAt       *time.Time      `json:"created_at,omitempty"`
	PasswordHash    string          `json:"password_hash,omitempty"`
	PublicMetadata  json.RawMessage `json:"public_metadata,omitempty"`
	PrivateMetadata json.RawMessage `json:"private_metadata,omitempty"`
	UnsafeMetadata  json.RawMessage `json:"unsafe_metadata,omitempty"`
}
